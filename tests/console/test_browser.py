"""The console in a real browser: Debian's Chromium driven by Selenium (``chromium`` and
``chromium-driver``; ``.ci/run`` installs both). A coordinator's path on the bundled Minle
data: two Excel workbooks with Chinese headers, a plan, the map, a rota page and the
workbook download, each looked at as a screenshot.

Set ``MATCHING_SCREENSHOTS=DIR`` to keep the screenshots (the README's come from here).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
from matplotlib import image

from matching.console.launch import ServedConsole, serve_in_background
from matching.world.columns import ALIASES
from tests.helpers.hostile import FLAG, hostile_names_world

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import (  # noqa: E402
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

MINLE = Path(__file__).parents[2] / "scenarios" / "minle"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
#: Seconds a page may take to show what is waited for (the plan itself takes about 10).
PAGE_WAIT = 180
#: The map's volunteer blue (#1f5fa8) and paired-elder green (#2f7d4f).
VOLUNTEER_BLUE = np.array([0x1F, 0x5F, 0xA8]) / 255
PAIRED_GREEN = np.array([0x2F, 0x7D, 0x4F]) / 255

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser"), pytest.mark.skipif(
    (CHROMIUM is None or CHROMEDRIVER is None) and not os.environ.get("MATCHING_REQUIRE_CHROMIUM"),
    reason="no chromium and chromium-driver on this machine")]


def chinese_workbook(kind: str, out: Path) -> Path:
    """The Minle roster as an office would keep it: .xlsx, headers in Chinese."""
    table = pd.read_csv(MINLE / f"{kind}.csv", dtype=str, keep_default_na=False)
    table = table.rename(columns={c: ALIASES[c][0] for c in table.columns if c in ALIASES})
    path = out / ("志愿者名册.xlsx" if kind == "volunteers" else "老人名册.xlsx")
    table.to_excel(path, index=False)
    return path


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    """``matching serve`` in its own process on a free loopback port, working in a sandbox
    folder that holds its data folder (``console.sandbox``: nothing may appear in it
    outside ``data/``)."""
    sandbox = tmp_path_factory.mktemp("console")
    server, url = start_console(sandbox)
    yield url
    server.terminate()
    server.wait(timeout=30)


def start_console(sandbox: Path, *options: str) -> tuple[subprocess.Popen, Console]:
    """``matching serve`` on a free loopback port with its data in ``sandbox/data``, once
    it answers: the process and its address (with the start secret it printed)."""
    served = serve_in_background(sandbox / "data", *options, cwd=sandbox)
    return served.process, Console(served.url, sandbox, served.secret)


class Console(str):
    """The console's address, with the sandbox it works in and its start secret."""

    def __new__(cls, url: str, sandbox: Path, secret: str = "") -> Console:
        made = super().__new__(cls, url)
        made.sandbox = sandbox  # type: ignore[attr-defined]
        made.secret = secret  # type: ignore[attr-defined]
        return made

    @property
    def entry(self) -> str:
        """The address ``matching serve`` printed: opening it lets a browser in."""
        return ServedConsole(None, self, self.secret).entry  # type: ignore[arg-type,attr-defined]

    @property
    def credential(self) -> dict[str, str]:
        """The header a script sends with the start secret."""
        return ServedConsole(None, self, self.secret).headers  # type: ignore[arg-type,attr-defined]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    assert CHROMIUM and CHROMEDRIVER, "MATCHING_REQUIRE_CHROMIUM is set: install chromium-driver"
    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000",
                 "--disable-dev-shm-usage", "--hide-scrollbars", "--lang=zh-CN"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.downloads = downloads
    yield driver
    driver.quit()


def shoot(driver, name: str, tmp_path: Path) -> np.ndarray:
    """A screenshot of what the browser shows (kept in MATCHING_SCREENSHOTS if set)."""
    folder = Path(os.environ.get("MATCHING_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"console-{name}.png"
    driver.save_screenshot(str(path))
    return image.imread(path)[..., :3]


def plan_weeks(browser, weeks: int, start: str | None = None) -> str:
    """Plan ``weeks`` weeks (from the Monday ``start``, else the form's) from the plan page
    and wait for the run; its final status."""
    # the run's page refreshes its status while it is read: an element gone from the
    # document (stale, or "does not belong to the document") is looked up again
    wait = WebDriverWait(browser, PAGE_WAIT,
                         ignored_exceptions=(StaleElementReferenceException,
                                             WebDriverException))
    browser.find_element(By.LINK_TEXT, "3 排班").click()
    if start is not None:  # a date field types as the browser's locale says: set it
        browser.execute_script("arguments[0].value = arguments[1]",
                               browser.find_element(By.NAME, "start"), start)
    field = browser.find_element(By.NAME, "weeks")
    field.clear()
    field.send_keys(str(weeks))
    browser.find_element(By.ID, "plan").click()
    wait.until(lambda d: "/runs/" in d.current_url)

    def finished(d: Any) -> str | bool:
        status = d.find_element(By.ID, "status").get_attribute("data-status")
        return status if status in ("done", "failed") else False
    return wait.until(finished)


def pixels_near(picture: np.ndarray, colour: np.ndarray, tolerance: float = 0.08) -> int:
    return int((np.abs(picture - colour).max(axis=-1) < tolerance).sum())


def test_two_excel_files_to_printed_rotas(console, browser, tmp_path):
    wait = WebDriverWait(browser, PAGE_WAIT)
    browser.get(console.entry)  # as the person who started it: the printed address
    browser.find_element(By.NAME, "name").send_keys("民乐社区")
    browser.find_element(By.CSS_SELECTOR, "form[action='/programmes'] button").click()
    wait.until(lambda d: d.current_url.endswith("/upload"))

    # first with a slip: an age written in words in the elders' sixth data row (row 7)
    good = {kind: chinese_workbook(kind, tmp_path) for kind in ("volunteers", "elders")}
    slipped = pd.read_excel(good["elders"], dtype=str, engine="calamine").fillna("")
    slipped.loc[5, "年龄"] = "八十多"
    bad = tmp_path / "bad" / "老人名册.xlsx"
    bad.parent.mkdir()
    slipped.to_excel(bad, index=False)
    browser.find_element(By.NAME, "volunteers").send_keys(str(good["volunteers"]))
    browser.find_element(By.NAME, "elders").send_keys(str(bad))
    browser.find_element(By.CSS_SELECTOR, "form.upload button").click()
    problems = wait.until(lambda d: d.find_elements(By.ID, "problems"))
    cells = [c.text for c in problems[0].find_elements(By.CSS_SELECTOR, "tbody td")]
    assert cells == ["老人名册.xlsx", "7", "年龄", "八十多", "不是数字"], cells
    assert browser.find_elements(By.ID, "upload-ok") == []
    shoot(browser, "upload", tmp_path)

    for kind in ("volunteers", "elders"):
        browser.find_element(By.NAME, kind).send_keys(str(good[kind]))
    browser.find_element(By.CSS_SELECTOR, "form.upload button").click()
    ok = wait.until(lambda d: d.find_elements(By.ID, "upload-ok"))
    assert "已检查并保存" in ok[0].text

    assert plan_weeks(browser, 2) == "done", browser.page_source[:3000]
    cards = browser.find_element(By.CLASS_NAME, "cards").text
    # Minle's tiers: 8 elders of priority 3 and 147 of priority 2, all paired
    assert "8 / 8" in cards and "147 / 147" in cards and "最优" in cards
    shoot(browser, "results", tmp_path)

    rota_links = browser.find_elements(By.CSS_SELECTOR, "a.rota")
    assert len(rota_links) >= 60  # one page per volunteer with anything to do (of 63)
    first = rota_links[0].get_attribute("href")
    workbook = browser.find_element(By.ID, "workbook")
    workbook.click()
    end = time.monotonic() + 60
    while not list(browser.downloads.glob("*.xlsx")):
        assert time.monotonic() < end, "the workbook did not download"
        time.sleep(0.2)
    time.sleep(0.5)
    book = openpyxl.load_workbook(next(browser.downloads.glob("*.xlsx")), read_only=True)
    # two weeks from 30 March: the pairs, the schedule, a sheet a week, unmet, unpaired
    # (the plan starts next Monday, as the form proposes)
    monday = dt.date.today() - dt.timedelta(days=dt.date.today().weekday()) + \
        dt.timedelta(weeks=1)
    weeks = [f"第{k + 1}周（{monday + dt.timedelta(weeks=k):%m-%d}起）" for k in range(2)]
    assert book.sheetnames == ["结对", "排班", "问候电话", *weeks, "未能安排", "未结对"]
    assert book["结对"].max_row == 156  # 155 elders and a header

    browser.find_element(By.LINK_TEXT, "2 地图").click()
    wait.until(lambda d: d.find_element(By.ID, "map").get_attribute("data-drawn") == "218")
    picture = shoot(browser, "map", tmp_path)
    # 63 volunteers and 155 elders drawn: both colours are plainly on the screen
    assert pixels_near(picture, VOLUNTEER_BLUE) > 500
    assert pixels_near(picture, PAIRED_GREEN) > 500

    browser.get(first)
    body = browser.find_element(By.TAG_NAME, "body").text
    volunteer = first.rsplit("/", 1)[1].removesuffix(".html")
    names = pd.read_csv(MINLE / "volunteers.csv", dtype=str).set_index("volunteer_id")["name"]
    assert names[volunteer] in body
    shoot(browser, "rota", tmp_path)


# --- hostile data in the browser -----------------------------------------------------------

def flag_set(driver) -> bool:
    """Whether a payload has run in the page shown."""
    return bool(driver.execute_script(f"return window.{FLAG} === 1"))


def test_hostile_names_never_run_in_any_page(console, browser, tmp_path):
    """The hostile world (script in names, communities and addresses; odd ids) uploaded,
    planned, and every page opened: the results, every map label, every rota page, the
    report, a statement. No payload sets its flag anywhere."""
    world = hostile_names_world(tmp_path / "hostile")
    wait = WebDriverWait(browser, PAGE_WAIT)
    browser.get(console.entry)
    browser.find_element(By.NAME, "name").send_keys("hostile")
    browser.find_element(By.CSS_SELECTOR, "form[action='/programmes'] button").click()
    wait.until(lambda d: d.current_url.endswith("/upload"))
    for kind in ("volunteers", "elders", "relations"):
        browser.find_element(By.NAME, kind).send_keys(str(world[kind]))
    browser.find_element(By.CSS_SELECTOR, "form.upload button").click()
    wait.until(lambda d: d.find_elements(By.ID, "upload-ok"))
    assert not flag_set(browser)
    # a week that has passed: it can be recorded in the time bank below
    assert plan_weeks(browser, 1, "2026-03-30") == "done"
    results = browser.current_url
    assert not flag_set(browser)
    # the long name wraps or is cut: the page is no wider than the window
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 1280
    shoot(browser, "hostile-results", tmp_path)

    # every map label opened, one after the other
    browser.find_element(By.LINK_TEXT, "2 地图").click()
    wait.until(lambda d: d.find_element(By.ID, "map").get_attribute("data-drawn") == "36")
    opened = browser.execute_script("""
        const map = document.getElementById("map").leafletMap;
        let opened = 0;
        map.eachLayer((layer) => {
          if (layer.getTooltip && layer.getTooltip()) { layer.openTooltip(); opened += 1; }
        });
        return opened;""")
    assert opened == 36  # 12 volunteers and 24 elders
    labels = browser.find_elements(By.CLASS_NAME, "leaflet-tooltip")
    assert any("<img src=x" in label.text for label in labels)  # shown as text
    assert not flag_set(browser)
    shoot(browser, "hostile-map", tmp_path)

    # every page of the programme, and every file of the run that is a page
    pages = [f"{console}/p/hostile/{step}" for step in ("upload", "plan", "changes",
                                                        "timebank")]
    browser.get(results)
    pages += [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "a")
              if "/files/" in (a.get_attribute("href") or "")
              and (a.get_attribute("href") or "").endswith(".html")]
    pages += [a.get_attribute("href") for a in browser.find_elements(
        By.CSS_SELECTOR, "a[href*='?elder=']")]
    assert len(pages) > 12
    for page in pages:
        browser.get(page)
        assert browser.find_elements(By.TAG_NAME, "body"), page
        assert not flag_set(browser), page
        # a 10,000-character name wraps: no page is wider than the window
        assert browser.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth"), page
    # a statement, after a week is recorded
    browser.get(f"{console}/p/hostile/timebank")
    browser.find_element(By.ID, "all-done").click()  # it asks first, saying how many
    wait.until(lambda d: d.find_elements(By.ID, "confirm-all"))
    browser.find_element(By.ID, "confirm-yes").click()
    wait.until(lambda d: d.find_elements(By.ID, "recorded"))
    for link in [a.get_attribute("href") for a in browser.find_elements(
            By.CSS_SELECTOR, "#balances a")][:3]:
        browser.get(link)
        assert not flag_set(browser), link
    # everything the console wrote lies in its data folder
    strays = [p for p in console.sandbox.rglob("*")
              if not p.is_relative_to(console.sandbox / "data")]
    assert strays == []

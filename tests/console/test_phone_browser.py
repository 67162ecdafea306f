"""A volunteer's link on a phone-sized Chromium (360 x 640): open it, mark a visit done,
see it marked, reload and still see it; then the coordinator approves it and the phone
shows it banked. Screenshots of the phone page and the approval page are kept in
``MATCHING_SCREENSHOTS`` when set."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.console.test_browser import (
    CHROMEDRIVER,
    CHROMIUM,
    MINLE,
    PAGE_WAIT,
    shoot,
    start_console,
)

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser"), pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None, reason="no chromium and chromium-driver")]

#: A phone's screen, in CSS pixels.
PHONE = (360, 640)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``matching serve`` with Minle planned for two weeks (links kept working long after
    that past fortnight), and the volunteers' links."""
    server, url = start_console(tmp_path_factory.mktemp("phone"), "--link-days", "36500")
    with httpx.Client(base_url=url, timeout=60, headers=url.credential) as client:
        files = {k: (f"{k}.csv", (MINLE / f"{k}.csv").read_bytes(), "text/csv")
                 for k in ("volunteers", "elders", "relations")}
        assert client.post("/api/programmes/minle/inputs", files=files).status_code == 200
        run_id = client.post("/api/programmes/minle/runs", json={
            "start": "2026-03-30", "weeks": 2, "time_limit": 20}).json()["id"]
        end = time.monotonic() + PAGE_WAIT
        while client.get(f"/api/runs/{run_id}").json()["status"] not in ("done", "failed"):
            assert time.monotonic() < end
            time.sleep(0.3)
        links = client.get(f"/api/runs/{run_id}/links").json()
        yield url, run_id, links, client
    server.terminate()
    server.wait(timeout=30)


def chromium(width: int, height: int, phone: bool = False):
    """Headless Chromium; a phone is emulated (a desktop window cannot be narrower than
    about 500 pixels)."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                 f"--window-size={width},{height}", "--disable-dev-shm-usage",
                 "--hide-scrollbars", "--lang=zh-CN"):
        options.add_argument(flag)
    if phone:
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": {
            "width": width, "height": height, "pixelRatio": 2}})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def test_a_volunteer_marks_a_visit_on_a_phone_and_it_stays_marked(served, tmp_path: Path):
    url, _, links, client = served
    link = next(row for row in links
                if any(a["activity"] == "visit" for a in
                       client.get(f"{row['url']}/activities").json()))
    phone = chromium(*PHONE, phone=True)
    desk = chromium(1400, 1000)
    try:
        wait = WebDriverWait(phone, PAGE_WAIT)
        phone.get(url + link["url"])
        assert "您好" in phone.find_element(By.TAG_NAME, "h1").text
        assert phone.execute_script("return window.innerWidth") == PHONE[0]
        # nothing wider than the phone
        assert phone.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]
        item = phone.find_element(By.CSS_SELECTOR, "section.item[id^='a-']")
        key = item.get_attribute("id")
        shoot(phone, "phone", tmp_path)
        item.find_element(By.CSS_SELECTOR, "button.done").click()
        wait.until(lambda d: d.find_elements(By.ID, "notice"))
        assert "已保存" in phone.find_element(By.ID, "notice").text
        marked = phone.find_element(By.ID, key).find_element(By.CLASS_NAME, "marked").text
        assert marked.startswith("已记录：完成")
        phone.refresh()
        again = phone.find_element(By.ID, key).find_element(By.CLASS_NAME, "marked").text
        assert again == marked
        shoot(phone, "phone-marked", tmp_path)
        # one mark, however often the page was reloaded
        pending = client.get("/api/programmes/minle/timebank/pending").json()
        assert len(pending) == 1 and pending[0]["volunteer_id"] == link["volunteer_id"]

        # the coordinator approves it on the time-bank page
        desk.get(url.entry)  # the coordinator, at the computer that started the console
        desk.get(url + "/p/minle/timebank")
        assert desk.find_element(By.ID, "approve").is_displayed()
        desk.execute_script("document.getElementById('phone-marks').scrollIntoView()")
        shoot(desk, "approval", tmp_path)
        desk.find_element(By.ID, "approve-all").click()
        WebDriverWait(desk, PAGE_WAIT).until(lambda d: d.find_elements(By.ID, "approved"))
        assert client.get("/api/programmes/minle/timebank/pending").json() == []
        phone.refresh()
        banked = phone.find_element(By.ID, key).find_element(By.CLASS_NAME, "marked").text
        assert "已记入时间银行" in banked
        assert "0.0 小时" not in phone.find_element(By.ID, "hours").text
        shoot(phone, "phone-banked", tmp_path)
    finally:
        phone.quit()
        desk.quit()


def test_a_request_is_accepted_on_a_phone_and_confirmed_by_the_family(served,
                                                                       tmp_path: Path):
    """Request -> accept on the phone -> done -> the family confirms with one tap ->
    approved: the volunteer's hours and passbook change."""
    url, _, links, client = served
    today = time.strftime("%Y-%m-%d")
    posted = client.post("/api/programmes/minle/requests", json={
        "elder_id": "E00001", "service": "visit", "date": today, "minutes": 60})
    assert posted.status_code == 201, posted.text
    request, taker = posted.json()["id"], posted.json()["offered_to"][0]
    link = next(row["url"] for row in links if row["volunteer_id"] == taker)
    family = next(row["url"] for row in
                  client.get("/api/programmes/minle/family-links").json()
                  if row["elder_id"] == "E00001")
    phone = chromium(*PHONE, phone=True)
    desk = chromium(1400, 1000)
    try:
        # a page reloading under the wait: its elements are looked up again, whichever way
        # the driver says a node is gone (stale, missing, or "does not belong to the
        # document")
        wait = WebDriverWait(phone, PAGE_WAIT, ignored_exceptions=(WebDriverException,))
        phone.get(url + link)
        hours_before = phone.find_element(By.ID, "hours").text
        offer = phone.find_element(By.ID, f"q-{request}")
        assert "唐云" in offer.text and "上门探访" in offer.text
        assert phone.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]
        phone.execute_script("arguments[0].scrollIntoView()", offer)
        shoot(phone, "phone-request", tmp_path)
        offer.find_element(By.CSS_SELECTOR, "button.accept").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#q-{request} button.finished"))
        taken = phone.find_element(By.ID, f"q-{request}")
        assert "您已接下" in taken.text
        taken.find_element(By.CSS_SELECTOR, "button.finished").click()
        wait.until(lambda d: "等待确认" in d.execute_script(
            f"var e = document.getElementById('q-{request}'); return e ? e.textContent : ''"))
        shoot(phone, "phone-request-done", tmp_path)

        # the family, on the elder's own link: one tap on five stars
        phone.get(url + family)
        assert "唐云" in phone.find_element(By.TAG_NAME, "h1").text
        shoot(phone, "family", tmp_path)
        phone.find_element(By.CSS_SELECTOR,
                           f"#q-{request} button[value='5']").click()
        wait.until(lambda d: d.find_elements(By.ID, "notice"))
        assert "谢谢" in phone.find_element(By.ID, "notice").text
        assert "已确认 ★★★★★" in phone.find_element(By.ID, f"q-{request}").text
        shoot(phone, "family-confirmed", tmp_path)

        # the coordinator approves; the phone's hours and passbook change
        assert client.post(f"/api/programmes/minle/requests/{request}/approve",
                           json={}).status_code == 200
        phone.get(url + link)
        assert phone.find_element(By.ID, "hours").text != hours_before
        book = phone.find_element(By.CSS_SELECTOR, "table.passbook")
        assert "唐云" in book.text and "+1" in book.text
        phone.execute_script("document.getElementById('passbook').scrollIntoView()")
        shoot(phone, "phone-passbook", tmp_path)
        desk.get(url + link + "/passbook")
        assert "时间银行存折" in desk.find_element(By.TAG_NAME, "h1").text
        shoot(desk, "passbook-printed", tmp_path)
        desk.get(url.entry)
        desk.get(url + "/alliance")
        assert desk.find_element(By.ID, "alliance-balances").is_displayed()
        shoot(desk, "alliance", tmp_path)
        desk.get(url + "/p/minle/family-cards")
        assert desk.find_element(By.ID, "card-1").is_displayed()
        shoot(desk, "family-cards", tmp_path)
        desk.get(url + "/p/minle/requests")
        assert "已记入时间银行 ★★★★★" in desk.find_element(By.ID, f"r-{request}").text
        shoot(desk, "requests", tmp_path)
    finally:
        phone.quit()
        desk.quit()

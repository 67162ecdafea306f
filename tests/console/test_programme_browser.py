"""The programme across plans in Chromium, as a coordinator clicks through it: three
volunteers leave (entered on the changes page with a date and a reason), a re-plan from the
day they leave, the list of whom to tell and its printable 通知清单, the 记录 page, and a
mark sent back to a volunteer's phone with a reason; each page looked at as a screenshot
(``MATCHING_SCREENSHOTS=DIR`` keeps them), none wider than the window."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.console.test_browser import (
    MINLE,
    PAGE_WAIT,
    WebDriverWait,
    browser,  # noqa: F401 (a fixture)
    plan_weeks,
    shoot,
    start_console,
)

By = pytest.importorskip("selenium.webdriver.common.by").By
Select = pytest.importorskip("selenium.webdriver.support.ui").Select
expected_conditions = pytest.importorskip("selenium.webdriver.support.expected_conditions")

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

#: The volunteers who leave, and the day (a Monday of the plan's weeks, long past).
LEAVING, LEAVE_DAY = ("V00000", "V00001", "V00002"), "2026-04-13"


def api(url, path: str, body: dict | None = None) -> object:
    request = urllib.request.Request(url + path, method="POST" if body else "GET",
                                     data=json.dumps(body).encode() if body else None,
                                     headers={"Content-Type": "application/json",
                                              **url.credential})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def fits(driver) -> bool:
    return driver.execute_script("return document.documentElement.scrollWidth "
                                 "<= window.innerWidth")


def test_the_coordinators_sequence_in_a_browser(browser, tmp_path):  # noqa: F811
    server, url = start_console(tmp_path, "--programme", "minle", str(MINLE),
                                "--link-days", "36500",
                                "--phone-address", "http://192.168.1.20:8000")
    wait = WebDriverWait(browser, PAGE_WAIT)
    try:
        browser.get(url.entry)
        browser.get(f"{url}/p/minle/upload")
        assert plan_weeks(browser, 4, "2026-03-30") == "done"
        for vid in LEAVING:  # the changes page's form, as the coordinator fills it in
            browser.get(f"{url}/p/minle/changes")
            form = browser.find_element(By.ID, "form-leave")
            Select(form.find_element(By.NAME, "id")).select_by_value(vid)
            browser.execute_script("arguments[0].value = arguments[1]",
                                   form.find_element(By.NAME, "date"), LEAVE_DAY)
            Select(form.find_element(By.NAME, "reason")).select_by_value("moved")
            form.find_element(By.CSS_SELECTOR, "button").click()
            # the page the form came from is gone before the next is read
            wait.until(expected_conditions.staleness_of(form))
            wait.until(lambda d: d.find_elements(By.ID, "pending"))
        rows = browser.find_elements(By.CSS_SELECTOR, "#pending tbody tr")
        assert len(rows) == 3 and all("离开" in r.text and "搬走" in r.text for r in rows)
        assert fits(browser)
        shoot(browser, "programme-changes", tmp_path)
        browser.execute_script("arguments[0].value = arguments[1]",
                               browser.find_element(By.NAME, "from_date"), LEAVE_DAY)
        browser.find_element(By.ID, "replan").click()
        wait.until(lambda d: d.find_element(By.ID, "status").get_attribute("data-status")
                   in ("done", "failed"))
        assert browser.find_element(By.ID, "status").get_attribute("data-status") == "done"
        told = browser.find_elements(By.CSS_SELECTOR, "#told tbody tr")
        assert told and fits(browser)
        # those who left are named, never a bare id
        assert not any(f">{v}<" in browser.page_source for v in LEAVING)
        shoot(browser, "programme-results", tmp_path)
        browser.find_element(By.ID, "notify").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "td.tick"))
        assert len(browser.find_elements(By.CSS_SELECTOR, "td.tick")) >= 6
        shoot(browser, "programme-notify", tmp_path)
        browser.get(f"{url}/p/minle/audit")
        kinds = [td.text for td in browser.find_elements(By.CSS_SELECTOR,
                                                         "#audit tbody td:nth-child(3)")]
        assert kinds.count("名册变动") == 3 and kinds.count("重新排班") == 1
        assert fits(browser)
        shoot(browser, "programme-audit", tmp_path)
        # a volunteer who stays marks a past visit; the coordinator sends it back
        links = {r["volunteer_id"]: r["url"] for r in api(url, "/api/programmes/minle/links")}
        stays = sorted(set(links) - set(LEAVING))[0]
        visit = next(a for a in api(url, f"{links[stays]}/activities")
                     if a["activity"] == "visit")
        mark = api(url, f"{links[stays]}/marks", {
            "date": visit["date"], "activity": "visit", "elder_id": visit["elder_id"],
            "status": "done"})
        browser.get(f"{url}/p/minle/timebank")
        browser.find_element(By.ID, "reject-reason").send_keys("那天老人住院了")
        for box in browser.find_elements(By.CSS_SELECTOR, "input[name=approve]"):
            if box.get_attribute("value") != str(mark["id"]) and box.is_selected():
                box.click()
        browser.find_element(By.ID, "reject-selected").click()
        wait.until(lambda d: d.find_elements(By.ID, "rejected"))
        browser.set_window_size(360, 800)
        browser.get(url + links[stays])
        assert "退回原因：那天老人住院了" in browser.find_element(By.ID, "sent-back") \
            .find_element(By.XPATH, "following-sibling::section").text
        assert fits(browser)
        shoot(browser, "programme-phone-sent-back", tmp_path)
    finally:
        browser.set_window_size(1280, 1000)
        server.terminate()
        server.wait(timeout=30)

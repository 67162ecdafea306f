"""A coordinator's whole tour of the console on a world where everything happens: elders left
unpaired (one far away, one who refuses everyone near), a service nobody can give, a new
compound joining, volunteers leaving and a re-plan from a later day, a week marked in the
time bank. The language test reads every page it reaches; ``python -m tests.helpers.tour
DIR`` serves it and keeps a screenshot of each page at 1400 and 800 px wide."""

from __future__ import annotations

import datetime as dt
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).parents[2]
MINLE = ROOT / "scenarios" / "minle"

#: The programme's name in the console.
PROGRAMME = "民乐社区"
#: The plan's first Monday and length, and the day the re-plan starts from.
START, WEEKS = dt.date(2026, 3, 30), 6
REPLAN_FROM = START + dt.timedelta(weeks=3)
#: Volunteers who leave before the re-plan (each looks after elders in Minle's plan).
LEAVING = ("V00000", "V00001", "V00002")
#: The coordinator's contact, printed on every rota.
CONTACT = "王芳 0359-5551234"
#: Seconds a run may take.
RUN_SECONDS = 180


def tour_files(folder: Path) -> dict[str, Path]:
    """Write the tour's volunteers, elders and relations files into ``folder``: Minle, its
    new compound of 40 elders, an elder 20 km away, an elder who needs help with bathing
    (which no volunteer gives) and an elder who refuses every volunteer within reach."""
    folder.mkdir(parents=True, exist_ok=True)
    volunteers = pd.read_csv(MINLE / "volunteers.csv", dtype=str, keep_default_na=False)
    elders = pd.concat([pd.read_csv(MINLE / name, dtype=str, keep_default_na=False)
                        for name in ("elders.csv", "new-compound-elders.csv")],
                       ignore_index=True)
    relations = pd.read_csv(MINLE / "relations.csv", dtype=str, keep_default_na=False)
    first = elders.iloc[0].to_dict()
    far = {**first, "elder_id": "E90001", "name": "远山老人", "lat": "35.780000",
           "address": "稷山县远郊村", "phone": "03590000001"}
    bathing = {**first, "elder_id": "E90002", "name": "浴助需", "needs": "bathing",
               "phone": "03590000002"}
    refusing = {**first, "elder_id": "E90003", "name": "拒绝者", "phone": "03590000003",
                "lat": "35.601000", "lon": "110.970000"}
    elders = pd.concat([elders, pd.DataFrame([far, bathing, refusing])], ignore_index=True)
    near = volunteers[(volunteers["lat"].astype(float) - 35.601).abs() * 111 +
                      (volunteers["lon"].astype(float) - 110.970).abs() * 90 < 3]
    refusals = pd.DataFrame({"volunteer_id": near["volunteer_id"], "elder_id": "E90003",
                             "relation": "refuse"})
    relations = pd.concat([relations, refusals], ignore_index=True)
    paths = {}
    for kind, table in (("volunteers", volunteers), ("elders", elders),
                        ("relations", relations)):
        paths[kind] = folder / f"{kind}.csv"
        table.to_csv(paths[kind], index=False)
    return paths


def form_token(page: str) -> str:
    """The CSRF token of the first form on a page."""
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, "no form on the page"
    return found.group(1)


def wait_for(get: Callable[[str], object], run_id: str) -> dict:
    """Wait until a run is done (or failed) and return its status."""
    end = time.monotonic() + RUN_SECONDS
    while time.monotonic() < end:
        status = get(f"/api/runs/{run_id}").json()  # type: ignore[attr-defined]
        if status["status"] in ("done", "failed"):
            return status
        time.sleep(0.2)
    raise TimeoutError(f"run {run_id} did not finish in {RUN_SECONDS} s")


def take_tour(client, files: dict[str, Path]) -> dict[str, str]:
    """Drive a console (an httpx or TestClient ``client``) through the tour; the pages to
    look at, by a short name, as paths."""
    uploads = {kind: (path.name, path.read_bytes(), "text/csv") for kind, path in files.items()}
    token = form_token(client.get("/").text)
    client.headers["X-CSRF-Token"] = token  # the API rides on the same session
    client.post("/programmes", data={"name": PROGRAMME, "csrf": token})
    saved = client.post(f"/api/programmes/{PROGRAMME}/inputs", files=uploads)
    assert saved.status_code == 200, saved.text
    started = client.post(f"/api/programmes/{PROGRAMME}/runs",
                          json={"start": START.isoformat(), "weeks": WEEKS,
                                "contact": CONTACT})
    first = started.json()["id"]
    status = wait_for(client.get, first)
    assert status["status"] == "done", status
    changes = f"/p/{PROGRAMME}/changes"
    for volunteer in LEAVING:
        token = form_token(client.get(changes).text)
        left = client.post(changes, data={"csrf": token, "action": "leave",
                                          "person": "volunteer", "id": volunteer,
                                          "date": REPLAN_FROM.isoformat(), "reason": "moved"},
                           follow_redirects=True)
        assert left.status_code == 200, left.text
    token = form_token(client.get(changes).text)
    client.post(changes, data={"csrf": token, "action": "replan",
                               "from_date": REPLAN_FROM.isoformat()})
    runs = client.get(f"/api/programmes/{PROGRAMME}/runs").json()
    second = str(max(int(r["id"]) for r in runs))
    status = wait_for(client.get, second)
    assert status["status"] == "done", status
    volunteer = pd.read_csv(ROOT / "scenarios" / "minle" / "volunteers.csv",
                            dtype=str)["volunteer_id"].iloc[10]
    week = f"/p/{PROGRAMME}/timebank"
    token = form_token(client.get(week).text)
    recorded = client.post(week, data={"csrf": token, "week": START.isoformat(),
                                       "calls_done": "on", "all_done": "confirm"},
                           follow_redirects=True)
    assert recorded.status_code == 200, recorded.text
    elders = pd.read_csv(files["elders"], dtype=str, keep_default_na=False)
    somebody = elders.iloc[5]
    return {
        "home": "/",
        "upload": f"/p/{PROGRAMME}/upload",
        "map": f"/p/{PROGRAMME}/map",
        "plan": f"/p/{PROGRAMME}/plan",
        "results": f"/runs/{first}",
        "replan-results": f"/runs/{second}",
        "changes": changes,
        "notify": f"/runs/{second}/notify",
        "audit": f"/p/{PROGRAMME}/audit",
        "timebank": week,
        "timebank-next-week": f"{week}?week={START + dt.timedelta(weeks=1)}",
        "statement": f"{week}/statement/{volunteer}",
        "why-by-name": f"/runs/{first}?elder={somebody['name']}",
        "why-by-phone": f"/runs/{first}?elder={somebody['phone'][-4:]}",
        "why-unpaired": f"/runs/{first}?elder=E90003",
        "rota": f"/runs/{second}/files/rota/{volunteer}.html",
        "coordinator": f"/runs/{second}/files/rota.html",
        "report": f"/runs/{second}/files/report.html",
        "missing": "/runs/999",
    }


def main(out: Path) -> None:  # pragma: no cover - a tool for looking at the pages
    """Serve a console on a free port, take the tour, and screenshot every page."""
    import base64
    import shutil
    import tempfile

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.print_page_options import PrintOptions

    from matching.console.launch import serve_in_background

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        served = serve_in_background(Path(tmp) / "data", cwd=tmp)
        url = served.url
        try:
            with served.client() as client:
                pages = take_tour(client, tour_files(Path(tmp) / "files"))
            options = webdriver.ChromeOptions()
            options.binary_location = shutil.which("chromium") or ""
            for flag in ("--headless=new", "--no-sandbox", "--disable-gpu"):
                options.add_argument(flag)
            driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")),
                                      options=options)
            try:
                driver.get(served.entry)
                for width in (1400, 800):
                    driver.set_window_size(width, 1000)
                    for name, path in pages.items():
                        driver.get(url + path)
                        time.sleep(0.5)
                        height = driver.execute_script(
                            "return Math.max(document.body.scrollHeight, "
                            "document.documentElement.scrollHeight)") + 40
                        driver.set_window_size(width, min(max(height, 600), 6000))
                        driver.save_screenshot(str(out / f"{name}-{width}.png"))
                        driver.set_window_size(width, 1000)
                for name in ("rota", "coordinator", "statement", "report"):
                    driver.get(url + pages[name])
                    a4 = PrintOptions()
                    a4.page_width, a4.page_height = 21.0, 29.7
                    a4.orientation = "landscape" if name == "coordinator" else "portrait"
                    pdf = base64.b64decode(driver.print_page(a4))
                    print(f"{name}: {pdf.count(b'/Type /Page') - pdf.count(b'/Type /Pages')}"
                          " printed pages")
            finally:
                driver.quit()
        finally:
            served.stop()


if __name__ == "__main__":  # pragma: no cover
    main(Path(sys.argv[1]))

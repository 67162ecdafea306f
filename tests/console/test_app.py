"""The web console through FastAPI's test client: uploads, runs, hand-outs, and safety."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from matching import checker
from matching.console import create_app, load_programme
from matching.console.accounts import Accounts
from matching.console.guard import foreign_origin, is_loopback
from matching.console.runs import progress_event

MINLE = Path(__file__).parents[2] / "scenarios" / "minle"
FAKE = Path(__file__).parents[1] / "helpers" / "fake_matching.py"
PASSWORD = "a long enough password"


#: Where the test client says it is: the console answers only the hosts it serves.
LOCAL = "http://127.0.0.1:8000"


def secret_header(app) -> dict[str, str]:
    """The header a script on this computer sends with the console's start secret."""
    return {"authorization": f"token {app.state.console.start_secret}"}


def local(app) -> TestClient:
    """A test client of a console on this computer (port 8000, its default), holding the
    console's start secret as a script would."""
    return TestClient(app, base_url=LOCAL, headers=secret_header(app))


def minle_files() -> dict[str, tuple[str, bytes, str]]:
    return {kind: (f"{kind}.csv", (MINLE / f"{kind}.csv").read_bytes(), "text/csv")
            for kind in ("volunteers", "elders", "relations")}


def wait(client: TestClient, run_id: str, seconds: float = 120) -> dict:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        status = client.get(f"/api/runs/{run_id}").json()
        if status["status"] in ("done", "failed"):
            return status
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} still {status['status']} after {seconds} s")


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """A console whose runs are the fake command, held until ``release()``."""
    gate = tmp_path / "gate"
    monkeypatch.setenv("FAKE_MATCHING_GATE", str(gate))
    monkeypatch.setenv("FAKE_MATCHING_LOG", str(tmp_path / "log"))
    app = create_app(tmp_path / "data", command=(sys.executable, str(FAKE)))
    with local(app) as client:
        client.release = lambda: gate.touch()  # type: ignore[attr-defined]
        client.log = tmp_path / "log"  # type: ignore[attr-defined]
        assert client.post("/api/programmes/minle/inputs", files=minle_files()).status_code == 200
        yield client
        gate.touch()


@pytest.mark.slow
def test_from_upload_to_hand_outs(tmp_path):
    """The whole path with the real command: upload (the elders as an Excel workbook with
    Chinese headers would be read alike; here .xlsx), plan one week, fetch every hand-out,
    and the plan passes the project's independent checker."""
    app = create_app(tmp_path / "data")
    elders_xlsx = io.BytesIO()
    pd.read_csv(MINLE / "elders.csv", dtype=str, keep_default_na=False).to_excel(
        elders_xlsx, index=False)
    files = minle_files()
    files["elders"] = ("老人名册.xlsx", elders_xlsx.getvalue(), "application/octet-stream")
    with local(app) as client:
        saved = client.post("/api/programmes/民乐/inputs", files=files)
        assert saved.status_code == 200, saved.text
        assert saved.json()["inputs"] == ["elders", "relations", "volunteers"]
        started = client.post("/api/programmes/民乐/runs",
                              json={"start": "2026-03-30", "weeks": 1, "time_limit": 20})
        assert started.status_code == 202
        run_id = started.json()["id"]
        assert run_id == "1"
        status = wait(client, run_id)
        assert status["status"] == "done", status.get("error")
        assert status["progress"] == 1.0
        # Minle's 155 elders are all paired (its summary says so): 155 rows and a header
        pairing = status["summary"]["pairing"]
        assert (pairing["assigned"], pairing["elders"], pairing["status"]) == (155, 155,
                                                                               "optimal")
        assignments = client.get(f"/api/runs/{run_id}/files/assignments.csv")
        assert assignments.status_code == 200
        assert len(assignments.text.strip().splitlines()) == 156

        out = tmp_path / "data" / "runs" / run_id / "out"
        inputs = [out / "inputs" / f"{k}.csv" for k in ("volunteers", "elders", "relations")]
        assert checker.check_pairing(*inputs, None, out).ok
        report = checker.check_schedule_files(*inputs, None, out,
                                              pd.Timestamp("2026-03-30").date(), 1)
        assert not any(report.broken.get(k) for k in ("overlap", "weekly_minutes", "refused",
                                                       "gender")), report.text()

        book = openpyxl.load_workbook(io.BytesIO(client.get(f"/api/runs/{run_id}/workbook")
                                                 .content), read_only=True)
        assert book.sheetnames == ["结对", "排班", "问候电话", "第1周（03-30起）", "未能安排",
                                   "未结对"]
        assert book["结对"].max_row == 156
        archive = zipfile.ZipFile(io.BytesIO(client.get(f"/api/runs/{run_id}/zip").content))
        names = set(archive.namelist())
        assert {"run-1/assignments.csv", "run-1/plan.xlsx", "run-1/report.html"} <= names
        volunteer = pd.read_csv(io.StringIO(assignments.text), dtype=str)["volunteer_id"][0]
        assert f"run-1/rota/{volunteer}.html" in names
        page = client.get(f"/runs/{run_id}/files/rota/{volunteer}.html")
        assert page.status_code == 200 and volunteer in page.text

        elder = pd.read_csv(io.StringIO(assignments.text), dtype=str)["elder_id"][0]
        explained = client.get(f"/api/runs/{run_id}/explain/{elder}").json()
        assert elder in explained["text"]
        results = client.get(f"/runs/{run_id}")
        assert "每位老人都有志愿者" in results.text  # nobody unassigned, in Chinese
        drawn = client.get("/api/programmes/民乐/map").json()
        assert (len(drawn["volunteers"]), len(drawn["elders"]), len(drawn["pairs"])) == (
            63, 155, 155)


def test_a_bad_file_is_shown_and_nothing_is_saved(tmp_path):
    app = create_app(tmp_path / "data")
    with local(app) as client:
        assert client.post("/api/programmes/p/inputs", files=minle_files()).status_code == 200
        saved = (tmp_path / "data" / "programmes" / "p" / "inputs" / "elders.csv").read_bytes()
        table = pd.read_csv(MINLE / "elders.csv", dtype=str, keep_default_na=False)
        table.loc[4, "age"] = "eighty"  # data row 5 is spreadsheet row 6
        bad = {"elders": ("elders.csv", table.to_csv(index=False).encode(), "text/csv")}
        refused = client.post("/api/programmes/p/inputs", files=bad)
        assert refused.status_code == 422
        problems = refused.json()["problems"]
        assert [(p["file"], p["row"], p["column"], p["value"]) for p in problems] == [
            ("elders.csv", 6, "age", "eighty")]
        after = (tmp_path / "data" / "programmes" / "p" / "inputs" / "elders.csv").read_bytes()
        assert after == saved
        # the page shows the same problem against its row and column
        token = client.get("/p/p/upload").text.split('name="csrf" value="')[1].split('"')[0]
        shown = client.post("/p/p/upload", data={"csrf": token}, files=bad)
        assert shown.status_code == 422
        # the column as the coordinator knows it: its Chinese header
        assert "<td>elders.csv</td><td>6</td><td>年龄</td><td>eighty</td>" in shown.text


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("elders.exe", b"MZ...", "is not a .csv or .xlsx file"),
    ("elders.xlsx", b"elder_id\nE1\n", "is not what its name says (xlsx)"),
    ("elders.csv", b"PK\x03\x04\x00\x00", "is not what its name says (csv)"),
    ("elders.csv", b"", "is empty"),
])
def test_uploads_are_limited_in_type(tmp_path, name, content, expected):
    with local(create_app(tmp_path / "data")) as client:
        refused = client.post("/api/programmes/p/inputs",
                              files={"elders": (name, content, "text/plain")})
        assert refused.status_code == 422
        assert [p["message"] for p in refused.json()["problems"]] == [expected]
        assert not (tmp_path / "data" / "programmes" / "p").exists()  # nothing left behind


def test_a_run_still_going_reports_its_progress(fake):
    run_id = fake.post("/api/programmes/minle/runs", json={}).json()["id"]
    end = time.monotonic() + 30
    while fake.get(f"/api/runs/{run_id}").json().get("progress") != 0.49:
        assert time.monotonic() < end
        time.sleep(0.05)
    status = fake.get(f"/api/runs/{run_id}").json()
    # the run command (which writes the report too) says it is half way (0.5); it takes
    # 0.98 of the run (the hand-outs 0.02): 0.98 * 0.5 = 0.49
    assert (status["status"], status["progress"]) == ("running", 0.49)
    assert (status["stage"], status["stage_params"]) == ("window", {"window": 3, "windows": 5})
    # the page and the bar say the stage in the reader's words, never its code
    assert status["stage_text"] == "安排第 3 段（共 5 段）"
    page = fake.get(f"/runs/{run_id}")
    assert 'aria-valuenow="49"' in page.text and "安排第 3 段（共 5 段）" in page.text
    assert "run.stage_text" in fake.get("/static/console.js").text
    fake.release()
    assert wait(fake, run_id)["status"] == "done"


def test_the_time_taken_goes_on_between_stages(fake, tmp_path):
    """A stage that reports seldom leaves the worker's figure behind (26.7 s): the console
    counts from the run's start to now (here 90 s ago)."""
    run_id = fake.post("/api/programmes/minle/runs", json={}).json()["id"]
    end = time.monotonic() + 30
    while fake.get(f"/api/runs/{run_id}").json().get("status") != "running":
        assert time.monotonic() < end
        time.sleep(0.05)
    status_file = tmp_path / "data" / "runs" / run_id / "status.json"
    status = json.loads(status_file.read_text())
    began = dt.datetime.now() - dt.timedelta(seconds=90)
    status_file.write_text(json.dumps({**status, "elapsed": 26.7,
                                       "started_at": began.isoformat(timespec="seconds")}))
    assert 90 <= fake.get(f"/api/runs/{run_id}").json()["elapsed"] < 120
    fake.release()
    assert wait(fake, run_id)["status"] == "done"


def test_a_second_run_of_the_same_programme_queues(fake):
    first = fake.post("/api/programmes/minle/runs", json={}).json()["id"]
    second = fake.post("/api/programmes/minle/runs", json={}).json()["id"]
    end = time.monotonic() + 30
    while fake.get(f"/api/runs/{first}").json()["status"] != "running":
        assert time.monotonic() < end
        time.sleep(0.05)
    assert fake.get(f"/api/runs/{second}").json()["status"] == "queued"
    fake.release()
    assert [wait(fake, r)["status"] for r in (first, second)] == ["done", "done"]
    # each run wrote its line when it finished: first, then second
    order = [line.split()[1] for line in fake.log.read_text().splitlines()]
    assert order == [first, second]


def test_a_crashed_run_keeps_the_inputs_and_the_earlier_plan(fake, monkeypatch):
    fake.release()
    done = fake.post("/api/programmes/minle/runs", json={}).json()["id"]
    assert wait(fake, done)["status"] == "done"
    monkeypatch.setenv("FAKE_MATCHING_FAIL", "1")
    failed = fake.post("/api/programmes/minle/runs", json={}).json()["id"]
    status = wait(fake, failed)
    assert status["status"] == "failed"
    assert "the solver fell over" in status["error"]
    assert fake.get(f"/api/runs/{done}/files/assignments.csv").status_code == 200
    assert fake.get("/api/programmes").json()[0]["inputs"] == ["elders", "relations",
                                                               "volunteers"]


@pytest.mark.parametrize("path", [
    "/api/runs/1/files/../../../accounts.json",
    "/api/runs/1/files/..%2F..%2Fsession.key",
    "/api/runs/1/files/%2Fetc%2Fpasswd",
    "/api/runs/1/files/inputs/..%2F..%2Fstatus.json",
    "/api/runs/..%2F1/files/assignments.csv",
    "/api/runs/1%2F..%2F..%2Fprogrammes/files/x",
    "/api/programmes/..%2Fruns/runs",
    "/p/..%2F..%2Fetc/upload",
])
def test_no_path_from_a_request_leaves_its_folder(fake, path):
    fake.release()
    assert wait(fake, fake.post("/api/programmes/minle/runs", json={}).json()["id"])[
        "status"] == "done"
    assert fake.get(path).status_code == 404


def test_a_request_from_another_site_is_told_apart():
    assert foreign_origin({"origin": "http://evil.example"}, "127.0.0.1:8000")
    assert not foreign_origin({"origin": "http://127.0.0.1:8000"}, "127.0.0.1:8000")
    assert not foreign_origin({}, "127.0.0.1:8000")


def test_run_options_are_validated(fake):
    for bad in ({"weeks": 0}, {"weeks": 54}, {"time_limit": -1}, {"lang": "fr"},
                {"start": "2026-13-01"}):
        assert fake.post("/api/programmes/minle/runs", json=bad).status_code == 422
    refused = fake.post("/api/programmes/minle/runs", json={"leaving": ["V99999"]})
    assert refused.status_code == 422
    assert "V99999" in json.dumps(refused.json())
    assert fake.post("/api/programmes/nobody/runs", json={}).status_code == 404


def test_progress_is_read_from_events_never_from_sentences():
    """A line of standard error is a progress event only if it is one as JSON; a sentence
    that happens to name a stage is not."""
    event = progress_event('{"event": "progress", "stage": "window", "fraction": 0.5}')
    assert event == {"event": "progress", "stage": "window", "fraction": 0.5}
    assert progress_event("[  1.0s] window 3 of 5: writing outputs") is None
    assert progress_event('{"event": "other"}') is None
    assert progress_event("{not json") is None


# --- safety -------------------------------------------------------------------------------


def test_loopback_addresses():
    assert [is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "127.0.0.2",
                                     "0.0.0.0", "192.168.1.5", "example.org")] == [
        True, True, True, True, False, False, False]


@pytest.mark.slow
def test_a_shared_address_needs_an_account(tmp_path):
    with pytest.raises(PermissionError, match="without an account"):
        create_app(tmp_path / "data", host="0.0.0.0")
    done = subprocess.run([sys.executable, "-m", "matching.cli", "serve", "--host", "0.0.0.0",
                           "--data", str(tmp_path / "data")], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert "refusing to serve on 0.0.0.0 without an account" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_account_add_keeps_only_a_hash(tmp_path):
    done = subprocess.run([sys.executable, "-m", "matching.cli", "account", "add", "wang",
                           "--data", str(tmp_path), "--password-stdin"], input=PASSWORD + "\n",
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    stored = json.loads((tmp_path / "accounts.json").read_text())
    assert list(stored) == ["wang"] and stored["wang"].startswith("$argon2id$")
    assert PASSWORD not in (tmp_path / "accounts.json").read_text()
    assert Accounts(tmp_path).verify("wang", PASSWORD)
    assert not Accounts(tmp_path).verify("wang", PASSWORD + "!")
    short = subprocess.run([sys.executable, "-m", "matching.cli", "account", "add", "li",
                            "--data", str(tmp_path), "--password-stdin"], input="short\n",
                           capture_output=True, text=True, timeout=60)
    assert short.returncode == 2 and "at least 10 characters" in short.stderr


def shared_console(data: Path, account: str):
    """A test client of a console on a shared address, with one account and Minle loaded."""
    Accounts(data).add(account, PASSWORD)
    load_programme(data, "minle", MINLE)
    return TestClient(create_app(data, host="0.0.0.0", allowed_hosts=("console.example",)),
                      base_url="http://console.example:8000")


@pytest.fixture
def shared(tmp_path):
    """A console on a shared address, with one account and Minle loaded."""
    with shared_console(tmp_path / "data", "wang") as client:
        yield client


def test_on_a_shared_address_nothing_is_open_without_logging_in(shared):
    for path in ("/api/programmes", "/api/runs/1", "/api/runs/1/files/assignments.csv",
                 "/openapi.json"):
        assert shared.get(path).status_code == 401, path
    assert shared.post("/api/programmes/minle/runs", json={}).status_code == 401
    page = shared.get("/", follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/login")
    assert shared.get("/p/minle/upload", follow_redirects=False).status_code == 303


@pytest.mark.slow
def test_logging_in_and_csrf(shared):
    token = shared.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
    wrong = shared.post("/login", data={"account": "wang", "password": "guess", "csrf": token})
    assert wrong.status_code == 401
    no_token = shared.post("/login", data={"account": "wang", "password": PASSWORD})
    assert no_token.status_code == 403
    ok = shared.post("/login", data={"account": "wang", "password": PASSWORD, "csrf": token},
                     follow_redirects=False)
    assert (ok.status_code, ok.headers["location"]) == (303, "/")
    assert shared.get("/api/programmes").status_code == 200
    # a new session has a new token; the old one no longer works
    fresh = shared.get("/").text.split('name="csrf" value="')[1].split('"')[0]
    assert fresh != token
    stale = shared.post("/programmes", data={"name": "x", "csrf": token})
    assert stale.status_code == 403
    made = shared.post("/programmes", data={"name": "x", "csrf": fresh}, follow_redirects=False)
    assert made.status_code == 303
    # the API riding on the session cookie must show the token in a header
    assert shared.post("/api/programmes/minle/runs", json={"schedule": False,
                                                           "time_limit": 5}).status_code == 403
    assert shared.post("/api/programmes/minle/runs", json={"schedule": False, "time_limit": 5},
                       headers={"X-CSRF-Token": fresh}).status_code == 202
    # a request from another site's page is refused, token or not
    forged = shared.post("/programmes", data={"name": "y", "csrf": fresh},
                         headers={"Origin": "http://evil.example"})
    assert forged.status_code == 403


def test_scripts_log_in_with_basic_credentials(shared):
    good = base64.b64encode(f"wang:{PASSWORD}".encode()).decode()
    bad = base64.b64encode(b"wang:guess").decode()
    assert shared.get("/api/programmes", headers={"Authorization": f"Basic {bad}"}
                      ).status_code == 401
    listed = shared.get("/api/programmes", headers={"Authorization": f"Basic {good}"})
    assert listed.status_code == 200 and listed.json()[0]["name"] == "minle"


def test_the_pages_speak_chinese_by_default_and_english_on_request(fake):
    assert "上传名册" in fake.get("/p/minle/upload").text
    fake.get("/lang/en")
    assert "Upload" in fake.get("/p/minle/upload").text


def test_load_programme_only_fills_an_empty_one(tmp_path):
    assert load_programme(tmp_path, "minle", MINLE)
    assert not load_programme(tmp_path, "minle", MINLE)
    shutil.rmtree(tmp_path / "programmes" / "minle" / "inputs")
    (tmp_path / "programmes" / "minle" / "inputs").mkdir()
    assert load_programme(tmp_path, "minle", MINLE)


def form_token(client: TestClient, path: str) -> str:
    return client.get(path).text.split('name="csrf" value="')[1].split('"')[0]


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """Minle planned for two weeks from 30 March 2026 by the real command."""
    data = tmp_path_factory.mktemp("planned")
    with local(create_app(data)) as client:
        assert client.post("/api/programmes/minle/inputs", files=minle_files()).status_code == 200
        run_id = client.post("/api/programmes/minle/runs", json={
            "start": "2026-03-30", "weeks": 2, "time_limit": 20}).json()["id"]
        assert wait(client, run_id)["status"] == "done"
        yield client, data, run_id


@pytest.mark.slow
def test_changes_re_plan_and_keep_the_published_past(planned):
    client, data, first = planned
    token = form_token(client, "/p/minle/changes")
    leaving = client.post("/p/minle/changes", data={
        "csrf": token, "action": "leave", "person": "volunteer", "id": "V00000",
        "date": "2026-04-06", "reason": "quit"})
    assert leaving.status_code == 200 and "V00000" in leaving.text
    # a new elder in the middle of Minle; an id already taken is refused, naming the id
    elder = {"csrf": token, "action": "join", "elder_id": "E00001", "name": "新老人",
             "age": "88", "gender": "F", "community": "民乐社区", "address": "民乐社区1号楼",
             "lat": "35.6005", "lon": "110.9660", "date": "2026-04-06"}
    taken = client.post("/p/minle/changes", data=elder)
    assert taken.status_code == 422 and "老人已在名册上，不能再加入" in taken.text
    joined = client.post("/p/minle/changes", data={**elder, "elder_id": "E90000"})
    assert joined.status_code == 200 and "E90000" in joined.text
    replan = client.post("/p/minle/changes", data={"csrf": token, "action": "replan",
                                                    "from_date": "2026-04-06"},
                         follow_redirects=False)
    assert replan.status_code == 303
    second = replan.headers["location"].rsplit("/", 1)[1]
    status = wait(client, second)
    assert status["status"] == "done", status.get("error")
    before = pd.read_csv(data / "runs" / first / "out" / "schedule.csv", dtype=str)
    after = pd.read_csv(data / "runs" / second / "out" / "schedule.csv", dtype=str)
    # the first week (30 March to 5 April) was published: it is kept row for row
    past = "2026-04-06"
    assert after[after["date"] < past].reset_index(drop=True).equals(
        before[before["date"] < past].reset_index(drop=True))
    later = after[after["date"] >= past]
    assert "V00000" not in set(later["volunteer_id"])
    assert "E90000" in set(later["elder_id"])
    assignments = pd.read_csv(data / "runs" / second / "out" / "assignments.csv", dtype=str)
    assert "V00000" not in set(assignments["volunteer_id"])
    assert len(assignments) == 156  # Minle's 155 and the new elder, all paired
    out = data / "runs" / second / "out"
    inputs = [out / "inputs" / f"{k}.csv" for k in ("volunteers", "elders", "relations")]
    assert checker.check_pairing(*inputs, None, out).ok
    page = client.get(f"/runs/{second}")
    assert 'id="changes"' in page.text


@pytest.mark.slow
def test_marking_a_week_in_the_time_bank(planned):
    client, data, run_id = planned
    page = client.get("/p/minle/timebank?week=2026-03-30")
    token = page.text.split('name="csrf" value="')[1].split('"')[0]
    # the week starts unmarked: no row's result is chosen for the coordinator
    assert 'value="done" selected' not in page.text
    # who stood in is typed or picked from one list of the 63 volunteers (not a list in
    # each row), the rows come 40 to a page, and the marks from phones come first
    assert page.text.count("<datalist") == 1 and page.text.count('list="helpers"') > 40
    assert 'select name="done_by' not in page.text
    assert page.text.index('id="phone-marks"') < page.text.index('id="marks"')
    assert 'id="mark-page-2"' in page.text
    schedule = pd.read_csv(data / "runs" / run_id / "out" / "schedule.csv", dtype=str)
    week = schedule[schedule["date"] < "2026-04-06"].reset_index(drop=True)
    marked = week.index[week["activity"] != "call"]
    calls = int((week["activity"] == "call").sum())
    base = {"csrf": token, "week": "2026-03-30", "calls_done": "on"}
    # three rows marked and the rest left blank: refused, in one Chinese sentence
    partly = base | {f"status:{marked[0]}": "missed", f"status:{marked[1]}": "replaced",
                     # as the list offers them: the name, the id in brackets
                     f"done_by:{marked[1]}": "任意名字 (V00062)", f"rating:{marked[2]}": "5",
                     f"status:{marked[2]}": "done"}
    refused = client.post("/p/minle/timebank", data=partly)
    assert refused.status_code == 422
    assert f"还有 {len(marked) - 3} 项活动没有选择结果" in refused.text
    # "mark all done" marks the blank ones done and keeps the first missed, the second
    # replaced: done = every other activity and every call. It asks first, saying how
    # many rows it will record (every activity and call of the week), recording nothing
    asked = client.post("/p/minle/timebank", data=partly | {"all_done": "1"},
                        follow_redirects=False)
    assert asked.status_code == 200 and 'id="confirm-all"' in asked.text
    assert f"将把 {len(marked) + calls} 项活动记入时间银行" in asked.text
    assert 'id="week-recorded"' not in asked.text
    recorded = client.post("/p/minle/timebank", data=partly | {"all_done": "confirm"},
                           follow_redirects=False)
    assert recorded.status_code == 303
    done = len(marked) - 2 + calls
    assert recorded.headers["location"].endswith(f"recorded={done}-1-1")
    shown = client.get(recorded.headers["location"])
    assert 'id="balances"' in shown.text
    # the week now says it is recorded, and has no form to record it again
    assert 'id="week-recorded"' in shown.text and 'id="record"' not in shown.text
    statement = client.get("/p/minle/timebank/statement/V00062")
    assert statement.status_code == 200 and "V00062" in statement.text
    again = client.post("/p/minle/timebank", data=partly | {"all_done": "confirm"})
    assert again.status_code == 422
    problems = again.text.split('id="problems"')[1].split("</div>")[0]
    assert problems.count("<li>") == 1
    assert "2026-03-30 起的这一周已经记入时间银行（第 1 批），不能重复记入" in problems


def test_scripts_are_served_by_the_console_never_from_a_cdn(fake):
    for page, script in (("/p/minle/map", "/leaflet/leaflet.js"),
                         ("/docs", "/swagger/swagger-ui-bundle.js")):
        html = fake.get(page).text
        assert script in html and "cdn" not in html.lower()
        served = fake.get(script)
        assert served.status_code == 200 and len(served.content) > 100_000
    assert fake.get("/openapi.json").json()["paths"].keys() >= {
        "/api/programmes/{name}/inputs", "/api/programmes/{name}/runs", "/api/runs/{run_id}",
        "/api/runs/{run_id}/files/{path}"}


def test_an_upload_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("matching.console.service.MAX_UPLOAD_BYTES", 1024 * 1024)
    with local(create_app(tmp_path / "data")) as client:
        big = b"elder_id\n" + b"E1\n" * (1024 * 1024 // 3 + 1)  # just over 1 MB
        refused = client.post("/api/programmes/p/inputs",
                              files={"elders": ("elders.csv", big, "text/csv")})
        assert refused.status_code == 422
        assert [p["message"] for p in refused.json()["problems"]] == ["is larger than 1 MB"]


@pytest.mark.slow
def test_why_this_volunteer_on_the_results_page(planned):
    client, data, run_id = planned
    assignments = pd.read_csv(data / "runs" / run_id / "out" / "assignments.csv", dtype=str)
    elder, volunteer = assignments.loc[0, ["elder_id", "volunteer_id"]]
    names = pd.read_csv(MINLE / "volunteers.csv", dtype=str).set_index("volunteer_id")["name"]
    elders = pd.read_csv(MINLE / "elders.csv", dtype=str).set_index("elder_id")
    page = client.get(f"/runs/{run_id}?elder={elder}").text
    chosen = page.split('<table id="chosen">')[1].split("</table>")[0]
    # the volunteer chosen, by name beside their id
    assert f"{names[volunteer]} ({volunteer})</td>" in chosen
    assert '<table id="alternatives">' in page
    # found alike by name and by the last four digits of the phone
    by_name = client.get(f"/runs/{run_id}?elder={elders.loc[elder, 'name']}").text
    by_phone = client.get(f"/runs/{run_id}?elder={elders.loc[elder, 'phone'][-4:]}").text
    for found in (by_name, by_phone):
        assert f"{names[volunteer]} ({volunteer})</td>" in found or \
            f'?elder={elder}#explain' in found  # one match explained, several listed
    unknown = client.get(f"/runs/{run_id}?elder=E99999").text
    assert "没有找到这位老人：E99999" in unknown and '<table id="chosen">' not in unknown


def test_the_run_form_and_the_api_share_one_options_model(fake):
    """Weeks 99 and a time limit of 0 are refused alike by the form (the page again, each
    field named, in Chinese) and the API (422), and no run is queued."""
    token = fake.get("/p/minle/plan").text.split('name="csrf" value="')[1].split('"')[0]
    shown = fake.post("/p/minle/plan", data={"csrf": token, "weeks": "99", "time_limit": "0",
                                             "start": "2026-03-30"})
    assert shown.status_code == 422
    # MAX_WEEKS is 53; a time limit must be at least MIN_TIME_LIMIT, 1 s
    assert "超出范围（应至多为 53）" in shown.text
    assert "超出范围（应至少为 1）" in shown.text
    refused = fake.post("/api/programmes/minle/runs", json={"weeks": 99})
    assert refused.status_code == 422
    assert fake.get("/api/programmes").json()[0]["runs"] == []


@pytest.mark.parametrize(("name", "taken"), [
    ("王芳", True), ("wang.fang-2", True), ("李_明", True),
    ("王 芳", False), ("ｗａｎｇ", False), ("a/b", False), ("x" * 65, False), ("", False)])
def test_an_account_name_may_be_chinese(tmp_path, name, taken):
    """Letters and digits of any script, ``.``, ``-`` and ``_``: a coordinator signs in as
    王芳; a space, a slash or a full-width form (folded, it would be another name) is
    refused."""
    accounts = Accounts(tmp_path)
    if taken:
        accounts.add(name, PASSWORD)
        assert accounts.verify(name, PASSWORD)
    else:
        with pytest.raises(ValueError, match="王芳 or wang"):
            accounts.add(name, PASSWORD)


@pytest.mark.slow
def test_a_chinese_account_signs_in_by_basic_auth(tmp_path):
    with shared_console(tmp_path / "data", "王芳") as client:
        token = base64.b64encode(f"王芳:{PASSWORD}".encode()).decode()
        answer = client.get("/api/programmes", headers={"Authorization": f"Basic {token}"})
        assert answer.status_code == 200 and [p["name"] for p in answer.json()] == ["minle"]

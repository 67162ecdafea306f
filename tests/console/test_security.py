"""The console against the attacks of issue 21: foreign hosts, missing headers, guessed
passwords, copied cookies, oversized and expanding uploads, look-alike names, and files
that other users of the computer could read."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import shutil
import threading
import tracemalloc
from pathlib import Path

import httpx
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from matching.analysis.webmap import map_script_hashes
from matching.console import create_app, load_programme, service
from matching.console.accounts import (
    FIRST_LOCK_SECONDS,
    FREE_FAILURES,
    Accounts,
    Throttle,
    password_problem,
)
from matching.console.guard import BodyLimit, served_hosts
from matching.console.sessions import Sessions
from matching.console.store import Store, programme_name_problem
from matching.outputs.printing import PRINT_SCRIPT, PRINT_SCRIPT_HASH, print_button
from tests.console.test_app import local as local_client
from tests.console.test_app import secret_header
from tests.helpers.bomb import many_rows_workbook

MINLE = Path(__file__).parents[2] / "scenarios" / "minle"
PASSWORD = "a long enough password"
LOCAL = "http://127.0.0.1:8000"

#: Every header each response must carry, and a part of its value.
HEADERS = {"content-security-policy": f"script-src 'self' {PRINT_SCRIPT_HASH} ",
           "x-content-type-options": "nosniff", "referrer-policy": "same-origin"}


def minle_files() -> dict[str, tuple[str, bytes, str]]:
    return {kind: (f"{kind}.csv", (MINLE / f"{kind}.csv").read_bytes(), "text/csv")
            for kind in ("volunteers", "elders", "relations")}


@pytest.fixture(scope="module")
def uploaded(tmp_path_factory) -> Path:
    """A console's data folder with Minle's rosters uploaded once through the API; each
    test below starts from its own copy (the upload's checks take a fifth of a second)."""
    data = tmp_path_factory.mktemp("uploaded") / "data"
    with local_client(create_app(data)) as client:
        assert client.post("/api/programmes/minle/inputs", files=minle_files()).status_code == 200
    return data


@pytest.fixture
def local(tmp_path, uploaded):
    """A console on this computer, with Minle's rosters (a copy of :func:`uploaded`)."""
    shutil.copytree(uploaded, tmp_path / "data")
    with local_client(create_app(tmp_path / "data")) as client:
        yield client


@pytest.fixture
def shared(tmp_path):
    """A console on a network address, reached as console.example, with one account."""
    Accounts(tmp_path / "data").add("wang", PASSWORD)
    load_programme(tmp_path / "data", "minle", MINLE)
    app = create_app(tmp_path / "data", host="0.0.0.0", allowed_hosts=("console.example",))
    with TestClient(app, base_url="http://console.example:8000") as client:
        yield client


def token_of(page: str) -> str:
    return page.split('name="csrf" value="')[1].split('"')[0]


def log_in(client: TestClient, password: str = PASSWORD) -> httpx.Response:
    token = token_of(client.get("/login").text)
    return client.post("/login", data={"account": "wang", "password": password,
                                       "csrf": token}, follow_redirects=False)


# --- headers and hosts ----------------------------------------------------------------------

PATHS = ("/", "/p/minle/upload", "/p/minle/map", "/p/minle/plan", "/p/minle/changes",
         "/p/minle/timebank", "/login", "/docs", "/openapi.json", "/api/programmes",
         "/api/programmes/minle/map", "/static/console.js", "/leaflet/leaflet.js",
         "/swagger/swagger-ui.css", "/no/such/page", "/api/runs/999")


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_security_headers(local, path):
    """Pages, API answers, static files and errors alike."""
    answer = local.get(path)
    for header, part in HEADERS.items():
        assert part in answer.headers.get(header, ""), (path, header)
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    scripts = answer.headers["content-security-policy"].split("script-src")[1].split(";")[0]
    # the console's own files, the hand-outs' print button and the report's map (Leaflet
    # and the script that draws the plan) by their hashes: nothing else
    assert scripts.split() == ["'self'", PRINT_SCRIPT_HASH, *map_script_hashes()]


@pytest.mark.parametrize("path", ["/", "/p/minle/upload", "/p/minle/map", "/p/minle/plan",
                                  "/p/minle/changes", "/p/minle/timebank", "/login", "/docs"])
def test_no_page_holds_inline_script(local, path):
    """Every script is a file (the policy would block an inline one anyway)."""
    page = local.get(path).text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), path
    assert not re.search(r"\son[a-z]+\s*=", page), path


def test_the_print_button_is_the_one_inline_script_and_the_policy_allows_only_it():
    """The hand-outs carry the print button's script; its hash is what the policy names,
    so a changed script (or any other) would be blocked."""
    page = print_button("zh")
    script = page.split("<script>")[1].split("</script>")[0]
    assert script == PRINT_SCRIPT
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" == PRINT_SCRIPT_HASH


def test_personal_pages_are_not_cached(local):
    assert local.get("/api/programmes/minle/map").headers["cache-control"] == "no-store"
    assert "no-store" not in local.get("/static/console.js").headers.get("cache-control", "")


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1:9999",
                                  "localhost.evil.example:8000", "", "127.0.0.1"])
def test_a_foreign_host_gets_400(local, host):
    """DNS rebinding: a page elsewhere that points its own name at 127.0.0.1 is refused."""
    answer = local.get("/api/programmes", headers={"host": host})
    assert answer.status_code == 400
    assert answer.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "[::1]:8000",
                                  "LOCALHOST:8000"])
def test_the_loopback_names_are_served(local, host):
    assert local.get("/api/programmes", headers={"host": host}).status_code == 200


def test_served_hosts():
    assert served_hosts("127.0.0.1", 8000) == {"127.0.0.1:8000", "localhost:8000",
                                               "[::1]:8000"}
    assert served_hosts("0.0.0.0", 8000, ("planning.example.org",)) == {
        "planning.example.org", "planning.example.org:8000"}
    assert served_hosts("192.168.1.20", 80) == {"192.168.1.20", "192.168.1.20:80"}
    assert served_hosts("0.0.0.0", 8000) == frozenset()


def test_a_network_console_needs_a_name_to_be_reached_by(tmp_path):
    Accounts(tmp_path / "data").add("wang", PASSWORD)
    with pytest.raises(PermissionError, match="--allowed-host"):
        create_app(tmp_path / "data", host="0.0.0.0")


# --- accounts and sessions ------------------------------------------------------------------

@pytest.mark.parametrize(("password", "why"), [
    ("aaaaaaaaaa", "Repeats like"), ("1234567890", "common password"),
    ("password123!", "similar to a commonly used password"),
    ("qwertyuiop", "top-100 common password"),
    ("wang123456", "similar to a commonly used password"),
    ("short", "at least 10 characters")])
def test_easy_passwords_are_refused(password, why):
    assert why in (password_problem(password, "wang") or "")


@pytest.mark.parametrize("password", [PASSWORD, "民乐社区互助2026春", "tiger-kettle-ninety-lamp"])
def test_good_passwords_are_taken(password):
    assert password_problem(password, "wang") is None


@pytest.mark.slow
def test_the_form_is_throttled_and_then_the_right_password_is_refused_too(shared):
    """Five wrong passwords, then the right one: 429 with Retry-After, not a login."""
    for _ in range(FREE_FAILURES):
        assert log_in(shared, "not the password at all").status_code == 401
    refused = log_in(shared)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) == FIRST_LOCK_SECONDS
    assert shared.get("/api/programmes").status_code == 401


@pytest.mark.slow
def test_basic_credentials_are_throttled_alike(shared):
    good = base64.b64encode(f"wang:{PASSWORD}".encode()).decode()
    bad = base64.b64encode(b"wang:guess guess guess").decode()
    for _ in range(FREE_FAILURES):
        assert shared.get("/api/programmes", headers={"Authorization": f"Basic {bad}"}
                          ).status_code == 401
    refused = shared.get("/api/programmes", headers={"Authorization": f"Basic {good}"})
    assert (refused.status_code, refused.headers["retry-after"]) == (429, "30")


def test_the_lock_grows_with_each_failure():
    """30 s after the fifth failure; each further failure doubles it (60, 120...)."""
    now = [0.0]
    throttle = Throttle(clock=lambda: now[0])
    keys = throttle.keys("wang", "10.0.0.7")
    for _ in range(FREE_FAILURES - 1):
        throttle.failed(keys)
    assert throttle.wait(keys) == 0  # four failures: still let through
    throttle.failed(keys)
    assert throttle.wait(keys) == 30
    now[0] = 30.0
    assert throttle.wait(keys) == 0
    throttle.failed(keys)  # the sixth failure: 60 s from now
    assert throttle.wait(keys) == 60
    now[0] = 90.0
    throttle.failed(keys)  # the seventh: 120 s
    assert throttle.wait(keys) == 120
    # the same address trying another account is held too; another address is not
    assert throttle.wait(throttle.keys("li", "10.0.0.7")) == 120
    assert throttle.wait(throttle.keys("li", "10.0.0.8")) == 0


def test_a_copied_cookie_is_refused_after_logout(shared):
    assert log_in(shared).status_code == 303
    cookie = shared.cookies.get("matching_session")
    assert shared.get("/api/programmes").status_code == 200
    token = token_of(shared.get("/").text)
    assert shared.post("/logout", data={"csrf": token}, follow_redirects=False
                       ).status_code == 303
    shared.cookies.clear()
    shared.cookies.set("matching_session", cookie)
    copied = shared.get("/api/programmes")
    assert copied.status_code == 401


@pytest.mark.slow
def test_a_password_change_ends_every_session(shared, tmp_path):
    assert log_in(shared).status_code == 303
    assert shared.get("/api/programmes").status_code == 200
    Accounts(tmp_path / "data").add("wang", PASSWORD + " changed")
    assert shared.get("/api/programmes").status_code == 401


def test_an_idle_session_ends(tmp_path):
    now = [1000.0]
    sessions = Sessions(tmp_path, idle_seconds=600, clock=lambda: now[0])
    session = sessions.create("wang")
    now[0] += 599
    assert sessions.get(session.token) == session
    now[0] += 601  # 601 s after its last use
    assert sessions.get(session.token) is None


def test_the_session_id_is_kept_only_as_a_hash(shared, tmp_path):
    assert log_in(shared).status_code == 303
    cookie = shared.cookies.get("matching_session")
    stored = (tmp_path / "data" / "sessions.sqlite").read_bytes()
    assert cookie.encode() not in stored


@pytest.mark.slow
def test_cookies_are_secure_over_https(tmp_path):
    Accounts(tmp_path / "data").add("wang", PASSWORD)
    app = create_app(tmp_path / "data", host="0.0.0.0", allowed_hosts=("console.example",))
    for scheme, secure in (("https", True), ("http", False)):
        with TestClient(app, base_url=f"{scheme}://console.example") as client:
            client.get("/login")
            answered = log_in(client)
            assert answered.status_code == 303
            cookie = answered.headers["set-cookie"]
            assert ("Secure" in cookie) is secure and "HttpOnly" in cookie
            assert "SameSite=Strict" in cookie


# --- uploads ------------------------------------------------------------------------------

def test_an_over_limit_body_is_refused_from_its_length_unread():
    """413 from Content-Length alone: the body is never asked for."""
    asked = []

    async def app(scope, receive, send):  # pragma: no cover - never reached
        raise AssertionError("the app must not see an over-limit request")

    async def receive():
        asked.append(1)
        return {"type": "http.request", "body": b"x" * 1024, "more_body": True}

    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/programmes/p/inputs",
             "headers": [(b"content-length", str(100 * 2**20).encode())]}
    asyncio.run(BodyLimit(app, 64 * 2**20)(scope, receive, send))
    assert sent[0]["status"] == 413 and asked == []


def test_a_body_without_a_length_is_cut_off_while_it_streams():
    """A chunked body is read only until it passes the limit."""
    pulled = []

    async def app(scope, receive, send):
        while (await receive()).get("more_body"):
            pass

    async def receive():
        pulled.append(1)
        return {"type": "http.request", "body": b"x" * 2**20, "more_body": len(pulled) < 100}

    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/x", "headers": []}
    asyncio.run(BodyLimit(app, 3 * 2**20)(scope, receive, send))
    assert sent[0]["status"] == 413
    assert len(pulled) == 4  # 4 MiB pulled, just past the 3 MiB limit, not 100


def test_the_console_refuses_a_100_mb_body(local):
    answer = local.post("/api/programmes/minle/inputs", content=b"x" * (100 * 2**20),
                        headers={"content-type": "multipart/form-data; boundary=b"})
    assert answer.status_code == 413


@pytest.fixture(scope="module")
def million_rows(tmp_path_factory) -> Path:
    """An elders workbook of 1,000,000 rows: 11 MB on disk, 105 MB of XML inside."""
    return many_rows_workbook(tmp_path_factory.mktemp("bomb") / "elders.xlsx", 1_000_000)


@pytest.mark.slow
def test_a_million_row_workbook_is_refused_before_it_is_parsed(local, million_rows):
    """Refused by its expanded size, with what the limit is; the peak of Python's memory
    while checking stays far below what parsing would take (1.5 GB)."""
    tracemalloc.start()
    answer = local.post("/api/programmes/minle/inputs", files={
        "elders": ("elders.xlsx", million_rows.read_bytes(), "application/octet-stream")})
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert answer.status_code == 422
    [problem] = answer.json()["problems"]
    assert problem["file"] == "elders.xlsx"
    assert problem["message"].startswith("expands to 101 MiB, more than the 64 MiB")
    assert peak < 200 * 2**20  # the upload itself is 11 MB; parsing would be 1,500 MB


@pytest.mark.slow
def test_a_workbook_that_lies_about_its_size_is_counted(local, tmp_path):
    """150,000 rows whose <dimension> says 3: counted in a stream and refused by rows."""
    lying = many_rows_workbook(tmp_path / "elders.xlsx", 150_000, dimension_rows=3)
    answer = local.post("/api/programmes/minle/inputs", files={
        "elders": ("elders.xlsx", lying.read_bytes(), "application/octet-stream")})
    assert answer.status_code == 422
    assert answer.json()["problems"][0]["message"].startswith("has more than 100,000 rows")


def test_other_pages_answer_while_an_upload_is_checked(tmp_path, monkeypatch):
    """The check runs beside the event loop: a page asked for while a check is held
    answers, and only then is the check let go."""
    held, seen = threading.Event(), threading.Event()
    real = service.check_upload

    def slow_check(*args):
        seen.set()
        assert held.wait(30), "the page never answered while the check was held"
        return real(*args)

    monkeypatch.setattr(service, "check_upload", slow_check)
    app = create_app(tmp_path / "data")

    async def scenario() -> tuple[int, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=LOCAL,
                                     headers=secret_header(app)) as client:
            upload = asyncio.create_task(client.post("/api/programmes/minle/inputs",
                                                     files=minle_files()))
            while not seen.is_set():
                await asyncio.sleep(0.01)
            page = await client.get("/api/programmes")
            held.set()
            return page.status_code, (await upload).status_code

    assert asyncio.run(scenario()) == (200, 200)


def test_the_problem_list_is_capped(local):
    """300 bad ages: the first 200 are listed, and the count says 300."""
    table = pd.read_csv(MINLE / "elders.csv", dtype=str, keep_default_na=False)
    table = pd.concat([table] * 2, ignore_index=True).head(300)
    table["elder_id"] = [f"X{i}" for i in range(300)]
    table["age"] = "eighty"
    files = minle_files()
    del files["relations"]  # a new programme with no relations: the ages are all that is wrong
    files["elders"] = ("elders.csv", table.to_csv(index=False).encode(), "text/csv")
    answer = local.post("/api/programmes/fresh/inputs", files=files)
    assert answer.status_code == 422
    body = answer.json()
    assert (len(body["problems"]), body["problem_count"]) == (200, 300)


def test_a_refused_upload_leaves_nothing_behind(tmp_path):
    with local_client(create_app(tmp_path / "data")) as client:
        bad = {"elders": ("elders.csv", b"elder_id,age\nE1,eighty\n", "text/csv")}
        assert client.post("/api/programmes/fresh/inputs", files=bad).status_code == 422
    assert list((tmp_path / "data" / "programmes").iterdir()) == []


# --- programme names --------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "why"), [
    ("nl\n", "letters, digits"), ("a/b", "letters, digits"), (".hidden", "letters, digits"),
    ("_x", "letters, digits"), ("x" * 65, "letters, digits"), ("tab\tx", "letters, digits"),
    ("Minle", "apart from case"), ("ｍｉｎｌｅ", "apart from case"),
    ("m\u0456nle", "looks like"), ("mіnlе", "looks like"), ("ⅿinle", "apart from case"),
])
def test_a_name_like_another_or_not_printable_is_refused(name, why):
    problem = programme_name_problem(name, ["minle"])
    assert problem is not None and why in problem.message


@pytest.mark.parametrize("name", ["minle", "民乐社区", "jishan-county", "county_2"])
def test_plain_names_are_taken(name):
    assert programme_name_problem(name, ["minle", "other"]) is None


def test_a_newline_in_a_name_through_the_api_makes_nothing(local, tmp_path):
    answer = local.post("/api/programmes/nl%0A/inputs", files=minle_files())
    assert answer.status_code == 422
    answer = local.post("/api/programmes/m%D1%96nle/inputs", files=minle_files())
    assert answer.status_code == 422 and "looks like" in answer.text
    assert Store(tmp_path / "data").programmes() == ["minle"]


# --- files at rest ------------------------------------------------------------------------------

@pytest.mark.slow
def test_everything_under_the_data_folder_is_its_owners_only(tmp_path):
    """After an account, an upload, a run, the hand-outs and a time-bank week: every
    folder is 0700 and every file 0600."""
    data = tmp_path / "data"
    Accounts(data).add("wang", PASSWORD)
    with local_client(create_app(data)) as client:
        assert client.post("/api/programmes/minle/inputs", files=minle_files()).status_code == 200
        run = client.post("/api/programmes/minle/runs", json={"start": "2026-03-30",
                                                              "weeks": 1, "time_limit": 20})
        run_id = run.json()["id"]
        for _ in range(1200):
            status = client.get(f"/api/runs/{run_id}").json()
            if status["status"] in ("done", "failed"):
                break
            threading.Event().wait(0.1)
        assert status["status"] == "done", status.get("error")
        assert client.get(f"/api/runs/{run_id}/workbook").status_code == 200
        page = client.get("/p/minle/timebank?week=2026-03-30").text
        assert client.post("/p/minle/timebank", data={
            "csrf": token_of(page), "week": "2026-03-30", "calls_done": "on",
            "all_done": "confirm"},
            follow_redirects=False).status_code == 303
    modes = {path: path.stat().st_mode & 0o777 for path in [data, *data.rglob("*")]}
    wrong = {str(p.relative_to(data)): oct(m) for p, m in modes.items()
             if m != (0o700 if p.is_dir() else 0o600)}
    assert wrong == {}
    assert len(modes) > 100  # the run's outputs, rota pages and calendars among them

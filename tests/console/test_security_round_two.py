"""The console against the attacks of issue 30: another account on the same computer, a
burst of guesses sent at once, forged forwarded addresses, anonymous visits that made
session rows, and accounts that could do everything everywhere."""

from __future__ import annotations

import asyncio
import base64
import sqlite3
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from matching.cli import main
from matching.cli.console import forwarding
from matching.console import create_app, load_programme
from matching.console.accounts import FREE_FAILURES, Accounts
from matching.console.context import ADMIN, permission
from matching.console.launch import serve_in_background
from matching.console.sessions import MAX_SESSIONS_PER_ACCOUNT, Sessions
from tests.console.conftest import LINK_DAYS, fortnight_copy
from tests.console.test_app import LOCAL, MINLE, local, minle_files, wait
from tests.console.test_security import PASSWORD, log_in, token_of

#: Accounts, roles and a served console: seconds a test (see make test-quick)
pytestmark = pytest.mark.slow

NETWORK = "http://console.example:8000"

#: Accounts of the roles test: the admin, and one of each role in Minle.
ROLE_OF = {"li": "coordinator", "zhao": "viewer", "qian": "auditor"}


def basic(name: str, password: str = PASSWORD) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}


# --- 1. the loopback console answers only whoever holds its start secret -------------------

@pytest.fixture
def loopback(tmp_path):
    load_programme(tmp_path / "data", "minle", MINLE)
    app = create_app(tmp_path / "data")
    with TestClient(app, base_url=LOCAL) as client:
        yield client, app.state.console.start_secret


def test_another_local_account_gets_no_data_without_the_start_secret(loopback):
    client, secret = loopback
    for path in ("/api/programmes", "/api/programmes/minle/map", "/api/programmes/minle/roster"):
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert "V000" not in answer.text and "E000" not in answer.text
    assert client.get("/p/minle/map", follow_redirects=False).headers["location"] == "/login"
    wrong = client.get("/api/programmes", headers={"Authorization": "token " + "x" * 43})
    assert wrong.status_code == 403
    # the printed address lets a browser in once, then the cookie does
    opened = client.get(f"/p/minle/map?token={secret}", follow_redirects=False)
    assert (opened.status_code, opened.headers["location"]) == (303, "/p/minle/map")
    assert "matching_session=" in opened.headers["set-cookie"]
    assert client.get("/api/programmes").json()[0]["name"] == "minle"
    # a script sends it as a header
    client.cookies.clear()
    assert client.get("/api/programmes/minle/map",
                      headers={"Authorization": f"token {secret}"}).status_code == 200


def test_a_restart_makes_a_new_secret_and_ends_the_old_ones_sessions(tmp_path):
    load_programme(tmp_path / "data", "minle", MINLE)
    first = create_app(tmp_path / "data")
    with TestClient(first, base_url=LOCAL) as client:
        client.get(f"/?token={first.state.console.start_secret}")
        cookie = client.cookies.get("matching_session")
        assert client.get("/api/programmes").status_code == 200
    second = create_app(tmp_path / "data")
    assert second.state.console.start_secret != first.state.console.start_secret
    with TestClient(second, base_url=LOCAL) as client:
        client.cookies.set("matching_session", cookie)
        assert client.get("/api/programmes").status_code == 403
        assert client.get(f"/?token={first.state.console.start_secret}").status_code == 403


def test_an_account_works_on_loopback_too(tmp_path):
    Accounts(tmp_path / "data").add("wang", PASSWORD)
    with TestClient(create_app(tmp_path / "data"), base_url=LOCAL) as client:
        assert client.get("/api/programmes", headers=basic("wang")).status_code == 200
        assert client.get("/api/programmes", headers=basic("wang", "wrong password!")
                          ).status_code == 403


def test_serve_prints_the_address_with_its_secret_and_only_that_opens_it(tmp_path):
    with serve_in_background(tmp_path / "data") as served:
        assert len(served.secret) == 43  # 32 random bytes, URL-safe
        assert httpx.get(f"{served.url}/api/programmes").status_code == 403
        with served.client() as client:
            assert client.get("/api/programmes").json() == []


# --- 3. guesses sent at once get no more checks than guesses sent in turn ------------------

@pytest.fixture
def network(tmp_path, monkeypatch):
    """A console on a network address with one account, counting password checks."""
    Accounts(tmp_path / "data").add("wang", PASSWORD)
    checks = []
    real = Accounts.verify

    def counted(self, name, password):
        checks.append(name)
        return real(self, name, password)

    monkeypatch.setattr(Accounts, "verify", counted)
    app = create_app(tmp_path / "data", host="0.0.0.0", allowed_hosts=("console.example",))
    return app, checks


async def burst(app, requests: list[dict]) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app, client=("10.0.0.9", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=NETWORK) as client:
        return await asyncio.gather(*(client.request(**r) for r in requests))


def test_a_burst_of_basic_guesses_gets_five_checks(network):
    """100 guesses at once, the right password last: 5 are checked (5 x 401), the other 95
    answer 429 before any check, the right one among them."""
    app, checks = network
    guesses = [{"method": "GET", "url": "/api/programmes",
                "headers": basic("wang", f"guess number {i}")} for i in range(99)]
    guesses.append({"method": "GET", "url": "/api/programmes", "headers": basic("wang")})
    answers = asyncio.run(burst(app, guesses))
    statuses = [a.status_code for a in answers]
    assert (statuses.count(401), statuses.count(429)) == (FREE_FAILURES, 100 - FREE_FAILURES)
    assert statuses[-1] == 429
    assert len(checks) == FREE_FAILURES


def test_a_burst_of_form_logins_gets_five_checks(network):
    app, checks = network
    with TestClient(app, base_url=NETWORK) as client:
        token = token_of(client.get("/login").text)
        cookie = client.cookies.get("matching_form")
    logins = [{"method": "POST", "url": "/login", "headers": {"cookie": f"matching_form={cookie}"},
               "data": {"account": "wang", "password": f"guess {i}", "csrf": token}}
              for i in range(40)]
    statuses = [a.status_code for a in asyncio.run(burst(app, logins))]
    assert (statuses.count(401), statuses.count(429)) == (FREE_FAILURES, 40 - FREE_FAILURES)
    assert len(checks) == FREE_FAILURES


def test_a_right_password_forgives_the_attempt_it_counted(network):
    app, _ = network
    with TestClient(app, base_url=NETWORK) as client:
        for _ in range(3 * FREE_FAILURES):  # one at a time, all right: never throttled
            assert client.get("/api/programmes", headers=basic("wang")).status_code == 200


# --- 5. forwarded addresses only from --trusted-proxy --------------------------------------

def test_forwarded_headers_are_believed_only_from_a_trusted_proxy():
    assert forwarding([]) == {"proxy_headers": False}
    assert forwarding(["10.0.0.2", "10.0.0.3"]) == {"proxy_headers": True,
                                                    "forwarded_allow_ips": "10.0.0.2,10.0.0.3"}


@pytest.mark.slow
def test_a_local_process_cannot_rotate_its_address_past_the_limits(tmp_path):
    """Each guess says it comes from another address and names another account: the
    console sees 127.0.0.1 every time, so the sixth is refused."""
    Accounts(tmp_path / "data").add("wang", PASSWORD)
    with serve_in_background(tmp_path / "data") as served:
        statuses = [httpx.get(f"{served.url}/api/programmes", headers={
            **basic(f"guess{i}", "not the password"), "X-Forwarded-For": f"203.0.113.{i}"}
        ).status_code for i in range(FREE_FAILURES + 2)]
    assert statuses == [403] * FREE_FAILURES + [429, 429]


# --- 6. no server-side session for an anonymous visitor ------------------------------------

def test_anonymous_visits_make_no_session_rows(network, tmp_path):
    app, _ = network
    with TestClient(app, base_url=NETWORK) as client:
        for _ in range(300):
            client.cookies.clear()
            assert client.get("/login").status_code == 200
        assert Sessions(tmp_path / "data").count() == 0
        # the signed cookie still protects the login form, and a login makes one row
        assert log_in(client).status_code == 303
        assert Sessions(tmp_path / "data").count() == 1


def test_a_forged_or_foreign_form_token_is_refused(network):
    app, checks = network
    with TestClient(app, base_url=NETWORK) as client:
        client.get("/login")
        answer = client.post("/login", data={"account": "wang", "password": PASSWORD,
                                             "csrf": "0" * 64}, follow_redirects=False)
        assert answer.status_code == 403 and checks == []


def test_sessions_are_bounded_per_account(tmp_path):
    sessions = Sessions(tmp_path)
    made = [sessions.create("wang") for _ in range(MAX_SESSIONS_PER_ACCOUNT + 5)]
    assert sessions.count() == MAX_SESSIONS_PER_ACCOUNT
    assert sessions.get(made[0].token) is None  # the oldest ended first
    assert sessions.get(made[-1].token) == made[-1]
    with sqlite3.connect(tmp_path / "sessions.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*) FROM sessions WHERE account = ''"
                            ).fetchone()[0] == 0


# --- 9. roles per programme ----------------------------------------------------------------

@pytest.fixture
def alliance(tmp_path):
    """Two programmes; wang (the first account) is the admin, li, zhao and qian have one
    role each in Minle and none in Xinhe."""
    data = tmp_path / "data"
    accounts = Accounts(data)
    for name in ("wang", *ROLE_OF):
        accounts.add(name, PASSWORD)
    for name, role in ROLE_OF.items():
        assert main(["account", "grant", name, "--programme", "minle", "--role", role,
                     "--data", str(data), "--json"]) == 0
    load_programme(data, "minle", MINLE)
    load_programme(data, "xinhe", MINLE)
    app = create_app(data, host="0.0.0.0", allowed_hosts=("console.example",))
    with TestClient(app, base_url=NETWORK) as client:
        yield client


def test_an_account_sees_only_the_programmes_granted_to_it(alliance):
    names = {who: [p["name"] for p in alliance.get("/api/programmes", headers=basic(who)).json()]
             for who in ("wang", *ROLE_OF)}
    assert names == {"wang": ["minle", "xinhe"], "li": ["minle"], "zhao": ["minle"],
                     "qian": ["minle"]}
    for who in ROLE_OF:  # a programme not granted is not there at all
        assert alliance.get("/api/programmes/xinhe/map", headers=basic(who)).status_code == 404
        assert alliance.get("/p/xinhe/plan", headers=basic(who)).status_code == 404


@pytest.mark.parametrize(("who", "expected"), [
    # map (read), audit log (audit), links (plan), start a run (plan)
    ("wang", (200, 200, 200, 422)),
    ("li", (200, 200, 200, 422)),
    ("zhao", (200, 403, 403, 403)),
    ("qian", (403, 200, 403, 403)),
])
def test_each_role_does_what_it_may_and_nothing_more(alliance, who, expected):
    headers = basic(who)
    got = (alliance.get("/api/programmes/minle/map", headers=headers).status_code,
           alliance.get("/api/programmes/minle/audit", headers=headers).status_code,
           alliance.get("/api/programmes/minle/links", headers=headers).status_code,
           # a start date the form refuses: 422 is past the role check, 403 is not
           alliance.post("/api/programmes/minle/runs", headers=headers,
                         json={"start": "1800-01-01"}).status_code)
    assert got == expected


def test_only_the_admin_grants_and_makes_programmes(alliance, tmp_path):
    page = alliance.get("/accounts", headers=basic("li"))
    assert page.status_code == 403
    assert alliance.post("/api/programmes/newone/inputs", headers=basic("li"),
                         files=minle_files()).status_code == 404
    assert "newone" not in [p.name for p in (tmp_path / "data" / "programmes").iterdir()]
    page = alliance.get("/accounts", headers=basic("wang"))
    assert page.status_code == 200 and "审计员" in page.text
    token = token_of(page.text)
    granted = alliance.post("/accounts", headers=basic("wang"), follow_redirects=False, data={
        "csrf": token, "account": "zhao", "programme": "xinhe", "role": "coordinator"})
    assert granted.status_code == 303
    assert Accounts(tmp_path / "data").roles("zhao") == {"minle": "viewer",
                                                          "xinhe": "coordinator"}
    audit = alliance.get("/api/programmes/xinhe/audit", headers=basic("wang")).json()
    assert (audit[-1]["action"], audit[-1]["actor"]) == ("grant", "account:wang")


def test_account_grant_revoke_and_list_from_the_command_line(tmp_path, capsys):
    data = str(tmp_path / "data")
    Accounts(data).add("wang", PASSWORD)
    Accounts(data).add("li", PASSWORD)
    assert main(["account", "grant", "li", "--programme", "minle", "--role", "auditor",
                 "--data", data]) == 0
    assert main(["account", "list", "--data", data]) == 0
    assert capsys.readouterr().out.splitlines()[-2:] == ["li: minle auditor", "wang (admin): -"]
    assert main(["account", "revoke", "li", "--programme", "minle", "--data", data]) == 0
    assert Accounts(data).roles("li") == {}
    assert main(["account", "grant", "nobody", "--programme", "minle", "--role", "viewer",
                 "--data", data]) == 2
    with pytest.raises(SystemExit) as stopped:  # argparse: not one of the three roles
        main(["account", "grant", "li", "--programme", "minle", "--role", "owner",
              "--data", data])
    assert stopped.value.code == 2


def test_accounts_made_before_roles_keep_everything(tmp_path):
    """A data folder from before roles: no grants file, and every account an admin."""
    data = tmp_path / "data"
    Accounts(data).add("wang", PASSWORD)
    Accounts(data).add("li", PASSWORD)
    (data / "grants.json").unlink()
    assert Accounts(data).is_admin("wang") and Accounts(data).is_admin("li")


def test_every_route_that_touches_a_programme_declares_what_it_needs(tmp_path):
    """A census of the app's routes: each one under /p/, /runs/, /api/ or /accounts
    (except the two that list what the visitor may see) depends on a permission."""
    app = create_app(tmp_path / "data")
    listing = {("GET", "/api/programmes")}
    missing = []
    for route in app.routes:
        path = getattr(route, "path", "")
        if not path.startswith(("/p/", "/runs/", "/api/", "/accounts", "/programmes")):
            continue
        for method in route.methods - {"HEAD"}:
            actions = [getattr(d.call, "action", None) for d in route.dependant.dependencies]
            if (method, path) not in listing and not any(actions):
                missing.append((method, path))
    assert missing == []
    assert permission(ADMIN).action == ADMIN  # type: ignore[attr-defined]


def test_the_home_page_lists_only_granted_programmes_with_the_right_first_page(alliance):
    page = alliance.get("/", headers=basic("qian")).text
    assert 'href="/p/minle/timebank"' in page and "xinhe" not in page
    assert 'action="/programmes"' not in page  # only the admin makes programmes
    page = alliance.get("/", headers=basic("zhao")).text
    assert 'href="/p/minle/plan"' in page and 'href="/p/minle/upload"' not in page


def test_serve_keeps_the_secret_out_of_other_files(tmp_path):
    """The secret is printed once, and kept nowhere on disk."""
    with serve_in_background(tmp_path / "data") as served:
        secret = served.secret.encode()
    for path in Path(tmp_path).rglob("*"):
        if path.is_file():
            assert secret not in path.read_bytes(), path


# --- 4. bodies bounded per route, parsed off the event loop, never a 500 ------------------

@pytest.fixture
def planned(tmp_path, fortnight_source):
    """Minle planned for a fortnight from 30 March 2026 on a console on this computer,
    with one volunteer's link (its links working long after)."""
    data, run_id = fortnight_copy(fortnight_source, tmp_path / "data")
    with local(create_app(data, link_days=LINK_DAYS)) as client:
        url = client.get(f"/api/runs/{run_id}/links").json()[0]["url"]
        yield client, url


@pytest.mark.slow
def test_a_mark_over_4_kb_is_refused_unread_and_a_deep_one_gives_400(planned):
    client, url = planned
    huge = b'{"a": 1' + b', "k": 1' * 7_000_000 + b"}"  # 56 MB, 7 million keys
    answer = client.post(f"{url}/marks", content=huge,
                         headers={"content-type": "application/json"})
    assert answer.status_code == 413
    assert "4 KB" in answer.json()["detail"]
    fits = b"[" * 1500 + b"]" * 1500  # 3 KB, 1,500 deep
    assert client.post(f"{url}/marks", content=fits, headers={
        "content-type": "application/json"}).status_code == 400
    # the console still answers a normal mark's refusal with the field named
    visit = next(a for a in client.get(f"{url}/activities").json() if a["activity"] == "visit")
    refused = client.post(f"{url}/marks", json={
        "date": visit["date"], "activity": "visit", "elder_id": visit["elder_id"],
        "status": "done", "rating": 9})
    assert refused.status_code == 422
    assert [p["column"] for p in refused.json()["problems"]] == ["rating"]


@pytest.mark.slow
def test_every_body_is_refused_cleanly(planned):
    client, _ = planned
    deep = "[" * 200_000 + "]" * 200_000  # 400 KB: within a call's limit, far too deep
    answers = {
        "deep": client.post("/api/programmes/minle/timebank/approve", content=deep,
                            headers={"content-type": "application/json"}),
        "nested": client.post("/api/programmes/minle/changes", json={
            "kind": "edit", "person": "elder", "id": "E00001", "date": "2026-04-06",
            "row": {"a": [[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}}),
        "runs as text": client.post("/api/programmes/minle/runs", content="{}",
                                    headers={"content-type": "text/plain"}),
        "approve as text": client.post("/api/programmes/minle/timebank/approve",
                                       content='{"ids": []}',
                                       headers={"content-type": "text/plain"}),
        "fields as text": client.post("/api/programmes/minle/inputs",
                                      data={"volunteers": "V00001,王"}),
        "year 32": client.post("/api/programmes/minle/runs", json={"start": "0032-08-29"}),
        "tiny limit": client.post("/api/programmes/minle/runs", json={"time_limit": 6.1e-05}),
        "over a call": client.post("/api/programmes/minle/timebank/approve",
                                   content=b"[" + b"1," * 300_000 + b"1]",
                                   headers={"content-type": "application/json"}),
    }
    assert {k: a.status_code for k, a in answers.items()} == {
        "deep": 422, "nested": 422, "runs as text": 415, "approve as text": 415,
        "fields as text": 422, "year 32": 422, "tiny limit": 422, "over a call": 413}


@pytest.mark.slow
def test_a_pairing_only_run_leaves_the_links_on_the_last_schedule(planned):
    """Found by the fuzzer in CI: after a run without a schedule, a volunteer's link gave
    a 500 (no schedule.csv). Links and the time bank follow the latest run that has one."""
    client, url = planned
    before = client.get(f"{url}/activities").json()
    run_id = client.post("/api/programmes/minle/runs", json={
        "schedule": False, "time_limit": 20}).json()["id"]
    assert wait(client, run_id)["status"] == "done"
    assert client.get(f"{url}/activities").json() == before
    assert client.get("/p/minle/timebank").status_code == 200
    assert [r["url"] for r in client.get("/api/programmes/minle/links").json()].count(url) == 1


@pytest.mark.parametrize(("who", "expected"), [
    # the county's balances and page: the admin and whoever may audit a programme
    ("wang", 200), ("li", 200), ("qian", 200), ("zhao", 403)])
def test_the_alliance_s_balances_are_for_those_who_may_audit(alliance, who, expected):
    headers = basic(who)
    assert alliance.get("/api/alliance/balances", headers=headers).status_code == expected
    assert alliance.get("/alliance", headers=headers).status_code == expected
    assert alliance.get("/alliance/settlement.csv", headers=headers).status_code == expected

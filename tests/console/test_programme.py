"""A programme across plans, as a coordinator lives it: three volunteers leave (re-plan), two
elders join (re-plan), one elder dies (re-plan). The roster is right at each step, the
leavers never return, each list of changes is exactly the difference between the plans, the
new elders owe nothing before they joined, a link printed before the re-plans still opens
the current plan, and every act is in the audit log, whose chain verifies."""

from __future__ import annotations

import itertools
import re
import sqlite3

import pandas as pd
import pytest

from matching import checker
from matching.cli import main
from matching.console import create_app
from matching.programme.audit import AUDIT_FILE, AuditLog
from tests.console.test_app import MINLE as MINLE_FILES
from tests.console.test_app import local, minle_files, wait

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("programme")]

START = "2026-03-30"
#: The days of the three re-plans (each a Monday of the four-week horizon).
LEAVE_DAY, JOIN_DAY, DIES_DAY = "2026-04-06", "2026-04-13", "2026-04-20"
#: Links keep working long after the horizon (the fortnight is in the past).
LONG_AFTER = 36_500
NEW_ELDERS = [{"elder_id": "E90001", "name": "新老人甲", "age": "91", "gender": "F",
               "community": "民乐社区", "phone": "13900000001", "address": "民乐社区8号楼",
               "lat": "35.6005", "lon": "110.9660"},
              {"elder_id": "E90002", "name": "新老人乙", "age": "86", "gender": "M",
               "community": "民乐社区", "phone": "13900000002", "address": "民乐社区9号楼",
               "lat": "35.6010", "lon": "110.9670"}]


def table(data, run_id: str, name: str) -> pd.DataFrame:
    return pd.read_csv(data / "runs" / run_id / "out" / name, dtype=str,
                       keep_default_na=False)


def replan(client, day: str) -> str:
    answer = client.post("/api/programmes/minle/replans", json={"from": day})
    assert answer.status_code == 202, answer.text
    run_id = answer.json()["id"]
    status = wait(client, run_id)
    assert status["status"] == "done", status.get("error")
    return run_id


def change(client, **fields) -> dict:
    answer = client.post("/api/programmes/minle/changes", json=fields)
    assert answer.status_code == 201, answer.text
    return answer.json()


@pytest.fixture(scope="module")
def lived(tmp_path_factory):
    """The whole sequence once: runs 1 (the plan) to 4 (the third re-plan), the leavers,
    the dead elder, and a volunteer's link taken before the re-plans with one mark."""
    data = tmp_path_factory.mktemp("programme")
    with local(create_app(data, link_days=LONG_AFTER,
                          phone_address="http://192.168.1.20:8000")) as client:
        assert client.post("/api/programmes/minle/inputs",
                           files=minle_files()).status_code == 200
        first = client.post("/api/programmes/minle/runs", json={
            "start": START, "weeks": 4, "time_limit": 30}).json()["id"]
        assert wait(client, first)["status"] == "done"
        assigned = table(data, first, "assignments.csv")
        leavers = sorted(assigned["volunteer_id"].value_counts().index[:3])
        links = {r["volunteer_id"]: r["url"]
                 for r in client.get("/api/programmes/minle/links").json()}
        schedule = table(data, first, "schedule.csv")
        week1 = schedule[(schedule["date"] < LEAVE_DAY) & (schedule["activity"] == "visit")
                         & ~schedule["volunteer_id"].isin(leavers)]
        marker = sorted(week1["volunteer_id"])[0]
        visit = week1[week1["volunteer_id"] == marker].iloc[0]
        before = client.post(f"{links[marker]}/marks", json={
            "date": visit["date"], "activity": "visit", "elder_id": visit["elder_id"],
            "status": "done"})
        assert before.status_code == 201
        for vid in leavers:
            change(client, kind="leave", person="volunteer", id=vid, date=LEAVE_DAY,
                   reason="quit")
        second = replan(client, LEAVE_DAY)
        for row in NEW_ELDERS:
            change(client, kind="join", person="elder", id=row["elder_id"], date=JOIN_DAY,
                   row={k: v for k, v in row.items() if k != "elder_id"})
        third = replan(client, JOIN_DAY)
        dead = sorted(set(table(data, third, "assignments.csv")["elder_id"])
                      - {r["elder_id"] for r in NEW_ELDERS})[5]
        change(client, kind="leave", person="elder", id=dead, date=DIES_DAY, reason="died")
        # one who stays is ill the last week: nobody is re-paired, the backups cover it
        ill = sorted(set(table(data, third, "assignments.csv")["volunteer_id"]) - {marker})[0]
        change(client, kind="away", person="volunteer", id=ill, date=DIES_DAY,
               until="2026-04-26", reason="ill")
        fourth = replan(client, DIES_DAY)
        yield {"client": client, "data": data, "runs": [first, second, third, fourth],
               "leavers": leavers, "dead": dead, "ill": ill, "links": links,
               "marker": marker, "visit": visit}


def test_the_roster_is_right_at_each_step(lived):
    """63 volunteers and 155 elders; 60 from the leaving day; 157 elders from the joining
    day; 156 from the day one dies."""
    client = lived["client"]

    def counts(day: str) -> tuple[int, int]:
        roster = client.get(f"/api/programmes/minle/roster?date={day}").json()
        return len(roster["volunteers"]), len(roster["elders"])
    assert counts("2026-04-05") == (63, 155)
    assert counts(LEAVE_DAY) == (60, 155)
    assert counts(JOIN_DAY) == (60, 157)
    assert counts(DIES_DAY) == (60, 156)
    roster = client.get(f"/api/programmes/minle/roster?date={DIES_DAY}").json()
    assert not set(lived["leavers"]) & set(roster["volunteers"])
    assert lived["dead"] not in roster["elders"]


def test_every_plan_of_the_sequence_passes_the_independent_checker(lived):
    """Each plan's pairing, against the inputs it was made for (the roster of its day):
    every rule of the contract holds, and no unassigned elder had a volunteer to spare."""
    for run_id in lived["runs"]:
        out = lived["data"] / "runs" / run_id / "out"
        inputs = [out / "inputs" / f"{k}.csv" for k in ("volunteers", "elders", "relations")]
        report = checker.check_pairing(*inputs, None, out)
        assert report.ok, (run_id, report)


def test_leavers_never_return(lived):
    """After every re-plan, no leaver has an elder, nor any activity from the day they
    left; the elder who died has none from the day she died."""
    data, leavers = lived["data"], set(lived["leavers"])
    for run_id in lived["runs"][1:]:
        assert not leavers & set(table(data, run_id, "assignments.csv")["volunteer_id"])
        schedule = table(data, run_id, "schedule.csv")
        later = schedule[schedule["date"] >= LEAVE_DAY]
        assert not leavers & set(later["volunteer_id"]), run_id
    last = table(data, lived["runs"][3], "schedule.csv")
    assert lived["dead"] not in set(last[last["date"] >= DIES_DAY]["elder_id"])


def primaries(data, run_id: str) -> dict[str, str]:
    a = table(data, run_id, "assignments.csv")
    return dict(zip(a["elder_id"], a["volunteer_id"], strict=True))


def roles(data, run_id: str) -> dict[tuple[str, str], str]:
    out = {(e, "primary"): v for e, v in primaries(data, run_id).items()}
    b = table(data, run_id, "backups.csv")
    out.update({(e, "backup"): v for e, v in zip(b["elder_id"], b["backup_id"], strict=True)
                if v})
    return out


def test_each_list_of_changes_is_exactly_the_difference(lived):
    """changes.csv names exactly the elders whose primary differs; the list of whom to tell
    holds exactly the (elder, role) pairs whose volunteer differs, with the elder, the old
    and the new volunteer each told, each with a phone."""
    data, client = lived["data"], lived["client"]
    runs = lived["runs"]
    for before, after in itertools.pairwise(runs):
        old, new = primaries(data, before), primaries(data, after)
        differ = {e for e in set(old) | set(new) if old.get(e) != new.get(e)}
        changes = table(data, after, "changes.csv")
        assert set(changes["elder_id"]) == differ and len(changes) == len(differ)
        was, now = roles(data, before), roles(data, after)
        moved = {k for k in set(was) | set(now) if was.get(k) != now.get(k)}
        page = client.get(f"/runs/{after}").text
        assert 'id="told"' in page or not moved
        notify = client.get(f"/runs/{after}/notify")
        assert notify.status_code == 200
        # one line per person: the elder and both volunteers of each changed role
        people = {("elder", e) for e, _ in moved}
        people |= {("volunteer", was[k]) for k in moved if was.get(k)}
        people |= {("volunteer", now[k]) for k in moved if now.get(k)}
        assert notify.text.count("<tr><td class=\"tick\">") == len(people)
        told = re.findall(r'<td class="who">[^<]*</td><td class="who">([^<]*)</td>',
                          notify.text)
        assert len(told) == len(people) and all(told), "everyone told has a phone"


def test_an_ill_volunteer_keeps_their_elders_and_the_backups_cover(lived):
    """Away the last week: still on the roster, their elders still theirs, and no visit,
    service, greeting or event of theirs that week."""
    data, ill = lived["data"], lived["ill"]
    before, after = primaries(data, lived["runs"][2]), primaries(data, lived["runs"][3])
    theirs = {e for e, v in before.items() if v == ill and e != lived["dead"]}
    assert theirs and {e for e, v in after.items() if v == ill} == theirs
    roster = lived["client"].get(f"/api/programmes/minle/roster?date={DIES_DAY}").json()
    assert ill in roster["volunteers"] and [a["id"] for a in roster["away"]] == [ill]
    last = table(data, lived["runs"][3], "schedule.csv")
    week = last[(last["date"] >= DIES_DAY) & (last["volunteer_id"] == ill)]
    assert set(week["activity"]) <= {"call"}


def test_new_elders_owe_nothing_before_they_joined(lived):
    data = lived["data"]
    new = {r["elder_id"] for r in NEW_ELDERS}
    for run_id in lived["runs"][2:]:
        assert new <= set(primaries(data, run_id))
        unmet = table(data, run_id, "unmet.csv")
        mine = unmet[unmet["elder_id"].isin(new)]
        days = [d for text in mine.astype(str).agg(" ".join, axis=1)
                for d in re.findall(r"\d{4}-\d{2}-\d{2}", text)]
        assert all(d >= JOIN_DAY for d in days), mine


def test_a_link_printed_before_two_replans_opens_the_current_plan(lived):
    """The marker's link, taken before the re-plans, still opens; it shows the last plan's
    activities; a mark made through it now lands with the one made before, each once."""
    client, data = lived["client"], lived["data"]
    url = lived["links"][lived["marker"]]
    assert client.get(url).status_code == 200
    last = lived["runs"][3]
    schedule = table(data, last, "schedule.csv")
    mine = schedule[schedule["volunteer_id"] == lived["marker"]]
    shown = client.get(f"{url}/activities").json()
    assert len(shown) == len(mine)
    later = mine[(mine["date"] >= DIES_DAY) & (mine["activity"] != "call")]
    if later.empty:
        later = mine[mine["date"] >= DIES_DAY]
    activity = later.iloc[0]
    after = client.post(f"{url}/marks", json={
        "date": activity["date"], "activity": activity["activity"],
        "elder_id": activity["elder_id"], "status": "done"})
    assert after.status_code == 201
    token = client.get("/p/minle/timebank").text.split('name="csrf-token" content="')[1]
    approved = client.post("/api/programmes/minle/timebank/approve", json={
        "ids": [m["id"] for m in client.get("/api/programmes/minle/timebank/pending").json()]},
        headers={"X-CSRF-Token": token.split('"')[0]})
    assert approved.status_code == 200, approved.text
    assert approved.json()["approved"] == 2 and approved.json()["left"] == []
    ledger = data / "programmes" / "minle" / "timebank" / "ledger.sqlite"
    conn = sqlite3.connect(ledger)
    rows = conn.execute("SELECT date, activity, elder_id FROM activities WHERE "
                        "volunteer_id = ?", (lived["marker"],)).fetchall()
    conn.close()
    visit = lived["visit"]
    assert sorted(rows) == sorted([(visit["date"], "visit", visit["elder_id"]),
                                   (activity["date"], activity["activity"],
                                    activity["elder_id"])])
    assert client.get("/api/programmes/minle/timebank/pending").json() == []


def test_every_act_is_in_the_audit_log_and_the_chain_verifies(lived, capsys):
    client, data = lived["client"], lived["data"]
    entries = client.get("/api/programmes/minle/audit").json()
    actions = [e["action"] for e in entries]
    # one upload, one plan, 3 + 2 + 1 + 1 changes, three re-plans, and the marks
    assert actions.count("upload") == 1 and actions.count("run") == 1
    assert actions.count("change") == 7 and actions.count("replan") == 3
    # one entry per mark sent from a phone, each kept by the links' store
    marks = client.app.state.console.links.marks(programme="minle")
    assert actions.count("mark") == len(marks) > 0
    assert {e["actor"] for e in entries if e["action"] == "mark"} == \
        {f"link:{lived['marker']}"}
    page = client.get("/p/minle/audit?kind=change").text
    assert page.count("名册变动") == 7 + 1  # the seven entries, and the filter's choice
    assert main(["audit", "verify", str(data)]) == 0
    assert "whole" in capsys.readouterr().out
    with AuditLog(data / AUDIT_FILE) as log:
        assert log.verify()[0] == []


def test_an_upload_shows_its_differences_before_it_is_taken(tmp_path):
    """The second upload of the volunteers, one gone (V00055), one with a new phone
    (V00004) and one new (V09999), is kept aside: the page names the three, the roster is
    still the old one; given up, nothing changes; taken, it is the roster and the old file
    is kept as a version, and both uploads are in the log."""
    data = tmp_path / "data"
    volunteers = pd.read_csv(MINLE_FILES / "volunteers.csv", dtype=str, keep_default_na=False)
    changed = volunteers[volunteers["volunteer_id"] != "V00055"].copy()
    changed.loc[changed["volunteer_id"] == "V00004", "phone"] = "13911112222"
    extra = changed.iloc[[0]].assign(volunteer_id="V09999", name="新志愿者")
    changed = pd.concat([changed, extra], ignore_index=True)
    with local(create_app(data)) as client:
        page = client.get("/")
        token = page.text.split('name="csrf" value="')[1].split('"')[0]
        client.post("/programmes", data={"name": "minle", "csrf": token})
        files = minle_files()
        first = client.post("/p/minle/upload", data={"csrf": token}, files=files)
        assert first.status_code == 200 and 'id="upload-ok"' in first.text
        again = {"volunteers": ("volunteers.csv", changed.to_csv(index=False).encode(),
                                "text/csv")}
        shown = client.post("/p/minle/upload", data={"csrf": token}, files=again)
        assert shown.status_code == 200 and 'id="differences"' in shown.text
        assert "新增 1 人" in shown.text and "V09999" in shown.text
        assert "不再出现 1 人" in shown.text and "V00055" in shown.text
        assert "1 人的资料有变化" in shown.text and "电话" in shown.text
        roster = client.get("/api/programmes/minle/roster?date=2026-04-01").json()
        assert "V00055" in roster["volunteers"] and "V09999" not in roster["volunteers"]
        staged = re.search(r'action="/p/minle/upload/([0-9a-f]{32})"', shown.text).group(1)
        dropped = client.post(f"/p/minle/upload/{staged}", data={"csrf": token,
                                                                 "action": "drop"})
        assert dropped.status_code == 200
        assert client.post(f"/p/minle/upload/{staged}", data={
            "csrf": token, "action": "take"}).status_code == 404
        shown = client.post("/p/minle/upload", data={"csrf": token}, files=again)
        staged = re.search(r'action="/p/minle/upload/([0-9a-f]{32})"', shown.text).group(1)
        taken = client.post(f"/p/minle/upload/{staged}", data={"csrf": token,
                                                               "action": "take"})
        assert taken.status_code == 200 and 'id="upload-ok"' in taken.text
        roster = client.get("/api/programmes/minle/roster?date=2026-04-01").json()
        assert "V00055" not in roster["volunteers"] and "V09999" in roster["volunteers"]
        versions = list((data / "programmes" / "minle" / "inputs" / "versions").iterdir())
        assert [p.name.split("-", 2)[-1] for p in versions] == ["volunteers.csv"]
        assert [e["action"] for e in client.get("/api/programmes/minle/audit").json()] \
            == ["upload", "upload"]

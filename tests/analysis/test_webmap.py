"""The report's interactive map: the plan's points as data, names never as markup, the
inline scripts exactly those the console's policy allows, tiles only when given."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest

import matching
from matching.analysis.webmap import interactive_map, map_data, map_script_hashes
from matching.cli import main
from matching.console.guard import content_security_policy
from tests.conftest import small_world

HOSTILE = '</script><script>window.__pwned=1</script>&<b>'


@pytest.fixture(scope="module")
def plan(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("webmap")
    vols, elds, rels = small_world(7, 6, 20)
    elds = elds.copy()
    elds.loc[elds.index[0], "name"] = HOSTILE
    elds.loc[elds.index[1], "community"] = HOSTILE
    for name, frame in (("v", vols), ("e", elds), ("r", rels)):
        frame.to_csv(folder / f"{name}.csv", index=False)
    assert main(["pair", "--volunteers", str(folder / "v.csv"), "--elders",
                 str(folder / "e.csv"), "--relations", str(folder / "r.csv"), "--out",
                 str(folder / "plan"), "--quiet"]) == 0
    return folder / "plan"


def test_the_map_data_has_every_person_and_pair(plan):
    run = matching.load_run(plan)
    data = map_data(run, "zh")
    # 6 volunteers, 20 elders; at most 6 x 3 = 18 can be paired
    assert len(data["volunteers"]) == 6 and len(data["elders"]) == 20
    assert len(data["pairs"]) == len(run.assignments) <= 18
    served = sum(e[5] for e in data["elders"])
    assert served == len(run.assignments)
    assert data["words"] == {"pairs": "结对连线", "unserved": "未结对", "volunteer": "志愿者",
                             "elder": "老人", "paired": "已结对", "elders": "老人数",
                             "community": "社区", "paired_with": "结对志愿者",
                             "distance": "距离"}
    assert data["tiles"] is None
    # each popup: the elder's volunteer by name and the distance in words, for the served
    names = dict(zip(run.world.volunteers.volunteer_id, run.world.volunteers.name,
                     strict=True))
    paired = dict(zip(run.assignments["elder_id"], run.assignments["volunteer_id"],
                      strict=True))
    by_name = {e[2]: e for e in data["elders"]}
    for row in run.world.elders.frame().itertuples():
        shown = by_name[row.name]
        if row.elder_id in paired:
            assert shown[6] == names[paired[row.elder_id]] and "公里" in shown[7]
        else:
            assert shown[5:] == [0, "", ""]
    # a volunteer's count of elders
    counts = run.assignments.groupby("volunteer_id").size()
    assert sorted(v[5] for v in data["volunteers"]) == sorted(
        int(counts.get(v, 0)) for v in run.world.volunteers.volunteer_id)
    # no townships here: the layers are the communities
    assert data["groups"] == data["places"]


def test_layers_roll_up_to_townships(tmp_path):
    from tests.analysis.test_townships import world
    w = world()
    run = matching.Run.from_results(w, matching.solve(matching.build_problem(w)))
    data = map_data(run, "zh")
    assert data["places"] == ["A", "B", "C"] and data["groups"] == ["乙镇", "甲镇"]
    assert sorted(e[4] for e in data["elders"]) == [0, 0, 0, 1]  # B, C, C in 乙镇; A in 甲镇


def test_names_never_become_markup(plan):
    fragment = interactive_map(matching.load_run(plan), "zh")
    # three script elements (the data, Leaflet, the drawing script): the name closes none
    assert fragment.count("</script>") == 3
    assert "window.__pwned" in fragment  # it is there, as escaped data
    assert "<script>window" not in fragment


@pytest.mark.slow
def test_the_inline_scripts_are_the_ones_the_console_allows(plan):
    assert main(["report", str(plan)]) == 0
    page = (plan / "report.html").read_text(encoding="utf-8")
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    assert len(scripts) == 3  # the print button's, Leaflet, the map's
    policy = content_security_policy()
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert all(h in policy for h in map_script_hashes())
    assert "http" not in json.dumps(map_data(matching.load_run(plan), "zh"))


@pytest.mark.slow
def test_tiles_only_when_given_and_only_plain_addresses(plan, capsys):
    url = "https://tiles.example.org/{z}/{x}/{y}.png"
    assert main(["report", str(plan), "--tiles", url]) == 0
    assert json.dumps(url)[1:-1] in (plan / "report.html").read_text(encoding="utf-8")
    for bad in ("javascript:alert(1)//{z}{x}{y}", "https://x.org/a.png",
                'https://x.org/{z}/{x}/{y}.png"><script>'):
        assert main(["report", str(plan), "--tiles", bad]) == 2
    assert "tile URL template" in capsys.readouterr().err

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
    served = sum(e[4] for e in data["elders"])
    assert served == len(run.assignments)
    assert data["words"] == {"pairs": "结对连线", "unserved": "未结对", "volunteer": "志愿者",
                             "elder": "老人"}
    assert data["tiles"] is None


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

"""The console takes a programme's streets: checked whole, saved beside its rosters with the
graph cached, refused with the problem when it is not an extract, and walked on by the
programme's next runs."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from matching.console import create_app
from matching.world.streets import load_streets
from matching.world.streets.network import cache_path
from tests.console.test_app import FAKE, local, minle_files

MINLE_STREETS = Path(__file__).parents[2] / "scenarios" / "minle" / "streets.osm.pbf"


def test_streets_are_uploaded_checked_and_walked_on_by_the_next_run(tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_MATCHING_LOG", str(tmp_path / "log"))
    app = create_app(tmp_path / "data", command=(sys.executable, str(FAKE)))
    expected = load_streets(MINLE_STREETS)
    with local(app) as client:
        assert client.post("/api/programmes/minle/inputs",
                           files=minle_files()).status_code == 200
        bad = client.post("/api/programmes/minle/streets",
                          files={"streets": ("streets.osm.pbf", b"no streets here", "x")})
        assert bad.status_code == 422
        assert [p["code"] for p in bad.json()["problems"]] == ["input.streets_unreadable"]
        folder = tmp_path / "data" / "programmes" / "minle" / "inputs"
        assert not (folder / "streets.osm.pbf").exists()
        assert [p.name for p in folder.iterdir() if p.name.startswith(".streets")] == []

        saved = client.post("/api/programmes/minle/streets", files={
            "streets": ("民乐街道.osm.pbf", MINLE_STREETS.read_bytes(), "x")})
        assert saved.status_code == 200, saved.text
        # the bundled Minle streets: 1,629 junctions and 3,652 stretches of street
        assert saved.json() == {"saved": "streets.osm.pbf", "nodes": expected.num_nodes,
                                "streets": expected.num_edges,
                                "bytes": MINLE_STREETS.stat().st_size}
        assert (expected.num_nodes, expected.num_edges) == (1629, 3652)
        assert (folder / "streets.osm.pbf").read_bytes() == MINLE_STREETS.read_bytes()
        assert cache_path(folder / "streets.osm.pbf").is_file()
        assert (folder / "streets.osm.pbf").stat().st_mode & 0o077 == 0  # owner-only

        run_id = client.post("/api/programmes/minle/runs", json={
            "start": "2026-03-30", "weeks": 1, "time_limit": 5}).json()["id"]
        scenario = tmp_path / "data" / "runs" / run_id / "scenario.toml"
        distance = tomllib.loads(scenario.read_text(encoding="utf-8"))["distance"]
        assert Path(distance["streets"]) == (folder / "streets.osm.pbf").resolve()

        # the page: the form in Chinese, and the saved streets said so
        page = client.get("/p/minle/upload").text
        assert "街道（步行距离）" in page and 'action="/p/minle/streets"' in page
        token = page.split('name="csrf" value="')[1].split('"')[0]
        shown = client.post("/p/minle/streets", data={"csrf": token}, files={
            "streets": ("streets.osm.pbf", MINLE_STREETS.read_bytes(), "x")})
        assert shown.status_code == 200
        assert "街道已检查并保存：1629 个路口，3652 段街道" in shown.text

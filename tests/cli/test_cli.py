"""The command line, end to end."""

from __future__ import annotations

import json

import pandas as pd

from matching.cli import main


def generate(tmp_path, preset="minle", seed=0):
    out = tmp_path / "world"
    assert main(["generate", "--preset", preset, "--seed", str(seed), "--out", str(out)]) == 0
    return out


def pair_args(world, out, *extra):
    return ["pair", "--volunteers", str(world / "volunteers.csv"), "--elders",
            str(world / "elders.csv"), "--relations", str(world / "relations.csv"),
            "--out", str(out), *extra]


def test_pair_writes_contract_outputs_and_summary(tmp_path, capsys):
    """pair writes assignments.csv, unassigned.csv and summary.json, and prints a summary."""
    world = generate(tmp_path)
    out = tmp_path / "plan"
    assert main(pair_args(world, out)) == 0
    printed = capsys.readouterr()
    assert "status" in printed.out and "optimal" in printed.out
    assert "min-cost flow" in printed.err  # progress lines
    a = pd.read_csv(out / "assignments.csv", dtype=str)
    assert list(a.columns[:5]) == ["elder_id", "volunteer_id", "distance_km", "weekly_minutes",
                                   "tie"]
    u = pd.read_csv(out / "unassigned.csv", dtype=str)
    assert list(u.columns[:2]) == ["elder_id", "reason"]
    assert len(a) + len(u) == 155
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal" and summary["assigned"] == len(a)
    assert main(["check", "--volunteers", str(world / "volunteers.csv"), "--elders",
                 str(world / "elders.csv"), "--relations", str(world / "relations.csv"),
                 "--plan", str(out)]) == 0


def test_same_inputs_same_bytes(tmp_path):
    """Two runs with the same seed write byte-identical plans."""
    world = generate(tmp_path, seed=2)
    assert main(pair_args(world, tmp_path / "a", "--quiet", "--seed", "7")) == 0
    assert main(pair_args(world, tmp_path / "b", "--quiet", "--seed", "7")) == 0
    for name in ("assignments.csv", "unassigned.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_check_reports_broken_plan(tmp_path, capsys):
    """matching check exits 1 on a broken plan."""
    world = generate(tmp_path)
    out = tmp_path / "plan"
    assert main(pair_args(world, out, "--quiet")) == 0
    a = pd.read_csv(out / "assignments.csv", dtype=str, keep_default_na=False)
    a.loc[0, "volunteer_id"] = a.loc[1, "volunteer_id"] = a.loc[2, "volunteer_id"] = \
        a.loc[3, "volunteer_id"] = a.loc[4, "volunteer_id"]
    a.to_csv(out / "assignments.csv", index=False)
    code = main(["check", "--volunteers", str(world / "volunteers.csv"), "--elders",
                 str(world / "elders.csv"), "--relations", str(world / "relations.csv"),
                 "--plan", str(out)])
    assert code == 1
    assert "BROKEN" in capsys.readouterr().out


def test_outputs_replace_old_ones_whole(tmp_path):
    """Running into an existing folder replaces the files there."""
    world = generate(tmp_path)
    out = tmp_path / "plan"
    out.mkdir()
    (out / "assignments.csv").write_text("stale")
    assert main(pair_args(world, out, "--quiet")) == 0
    assert (out / "assignments.csv").read_text().startswith("elder_id")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".plan-")]

"""The pages people read render in headless Chromium, figures visible: the report and the rota.

Chromium is Debian's ``chromium`` package; ``.ci/run`` installs it and sets
``MATCHING_REQUIRE_CHROMIUM`` so that CI never skips these. Elsewhere they are skipped when
there is no Chromium.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib import image

from matching.cli import main
from matching.outputs.printing import PRINT_SCRIPT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: Flags for a headless Chromium on a machine without a network or a screen.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]
#: The blue of the plan's bars and elders (#2980b9), as the screenshot has it.
PLAN_BLUE = np.array([41, 128, 185]) / 255

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("MATCHING_REQUIRE_CHROMIUM"),
    reason="no chromium on this machine")


def screenshot(page: Path, out: Path, profile: Path, height: int = 4000) -> np.ndarray:
    """The page as Chromium renders it, as an RGB array."""
    assert CHROMIUM is not None, "MATCHING_REQUIRE_CHROMIUM is set but chromium is missing"
    subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={out}",
                    f"--window-size=1000,{height}", page.as_uri()], check=True,
                   capture_output=True, timeout=120)
    return image.imread(out)[..., :3]


@pytest.fixture(scope="module")
def plan_folder(tmp_path_factory) -> Path:
    """A generated world of 20 volunteers and 40 elders, paired and scheduled for 13 weeks
    from 30 March 2026 (a festival, three whole months)."""
    tmp = tmp_path_factory.mktemp("pages")
    world = tmp / "world"
    assert main(["generate", "--preset", "minle", "--volunteers", "20", "--elders", "40",
                 "--seed", "8", "--out", str(world)]) == 0
    common = ["--volunteers", str(world / "volunteers.csv"), "--elders",
              str(world / "elders.csv"), "--relations", str(world / "relations.csv")]
    assert main(["pair", *common, "--out", str(tmp / "p"), "--quiet"]) == 0
    assert main(["schedule", *common, "--assignments", str(tmp / "p" / "assignments.csv"),
                 "--start", "2026-03-30", "--weeks", "13", "--out", str(tmp / "plan"),
                 "--quiet"]) == 0
    return tmp / "plan"


@needs_chromium
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.slow
def test_report_renders_with_its_figures(plan_folder, tmp_path, lang):
    """report.html is self-contained (no remote script or image) and its figures show: the
    screenshot holds thousands of pixels of the plan's blue."""
    assert main(["report", str(plan_folder), "--lang", lang]) == 0
    page = plan_folder / "report.html"
    text = page.read_text(encoding="utf-8")
    # the one script is the print button's; nothing is fetched from the network
    # the print button's script, and the interactive map's data, Leaflet and drawing script
    assert text.count("<script") == 4 and PRINT_SCRIPT in text and "src=\"http" not in text
    # the map, coverage by tier (one community: no bar of its own), 2 histograms, the
    # heatmap; the map's layer icon is inlined in its style, not a figure
    assert text.count('<img alt="" src="data:image/png;base64,') == 5
    pixels = screenshot(page, tmp_path / "report.png", tmp_path / "profile")
    blue = np.all(np.abs(pixels - PLAN_BLUE) < 0.03, axis=-1)
    assert blue.sum() > 5_000


@needs_chromium
@pytest.mark.slow
def test_rota_renders(plan_folder, tmp_path):
    """The rota's first page shows its table: dark text on white, and table borders."""
    pixels = screenshot(plan_folder / "rota.html", tmp_path / "rota.png", tmp_path / "profile",
                        height=1200)
    dark = (pixels.mean(axis=-1) < 0.35).mean()
    assert 0.01 < dark < 0.5


#: The statement table's header colour (#eef3f8).
HEADER_BLUE = np.array([238, 243, 248]) / 255


@needs_chromium
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.slow
def test_statement_renders(plan_folder, tmp_path, lang):
    """A volunteer's statement after a recorded quarter: its table's header row shows, and
    dark text fills a reasonable share of the page."""
    done, db = tmp_path / "done.csv", tmp_path / "ledger.sqlite"
    assert main(["ledger", "simulate", "--schedule", str(plan_folder / "schedule.csv"),
                 "--out", str(done), "--seed", "1"]) == 0
    assert main(["ledger", "record", "--db", str(db), "--schedule",
                 str(plan_folder / "schedule.csv"), "--done", str(done)]) == 0
    member = pd.read_csv(done, dtype=str)["volunteer_id"].iloc[0]
    page = tmp_path / "statement.html"
    assert main(["ledger", "statement", "--db", str(db), "--member", member, "--out",
                 str(page), "--lang", lang]) == 0
    pixels = screenshot(page, tmp_path / "statement.png", tmp_path / "profile", height=1400)
    header = np.all(np.abs(pixels - HEADER_BLUE) < 0.01, axis=-1)
    assert header.sum() > 10_000  # a header row ~ 660 x 30 px
    dark = (pixels.mean(axis=-1) < 0.35).mean()
    assert 0.01 < dark < 0.5


def test_a_rota_page_shows_the_calls_line_only_to_those_who_call():
    """V1 calls E1 every day and visits; V2 only gives E1 a haircut. V1's page names the
    daily calls (from 09:00, to 张老); V2's page has no calls line at all, not an empty one."""
    from matching.outputs.rota import rota_documents
    from matching.schedule.result import SCHEDULE_COLUMNS

    def row(date, start, end, activity, volunteer, service=""):
        return {"date": date, "start": start, "end": end, "activity": activity,
                "volunteer_id": volunteer, "elder_id": "E1", "community": "民乐",
                "service": service, "minutes": 10, "title": "", "elder_name": "张老",
                "volunteer_name": volunteer}

    schedule = pd.DataFrame([row("2026-03-02", "09:00", "09:10", "call", "V1"),
                             row("2026-03-03", "09:00", "09:10", "call", "V1"),
                             row("2026-03-03", "10:00", "11:00", "visit", "V1"),
                             row("2026-03-04", "14:00", "15:00", "service", "V2", "haircut")],
                            columns=SCHEDULE_COLUMNS)
    credits = pd.DataFrame({"volunteer_id": ["V1", "V2"], "hours": [1.3, 1.0]})
    _, pages = rota_documents(schedule, credits, "zh")
    assert "每日问候电话" in pages["V1"] and "张老" in pages["V1"]
    assert "每日问候电话" not in pages["V2"]
    assert "理发" in pages["V2"]

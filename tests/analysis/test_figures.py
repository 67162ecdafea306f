"""Figures always draw Chinese: with a matplotlib font cache written before the CJK font was
installed, the font is found by its file; with no CJK font at all, the figures are labelled
in English and the report says so once. No warning leaks either way."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from matplotlib import font_manager

from matching.analysis import figures
from matching.analysis.report import report_html
from matching.cli import main
from matching.outputs.folder import load_run

MINLE = Path(__file__).parents[2] / "scenarios" / "minle"
CJK = any(hint in Path(p).name.lower().replace("-", "").replace("_", "")
          for p in font_manager.findSystemFonts() for hint in figures.CJK_FILE_HINTS)


@pytest.fixture(scope="module")
def minle_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("minle") / "plan"
    assert main(["pair", "--volunteers", str(MINLE / "volunteers.csv"), "--elders",
                 str(MINLE / "elders.csv"), "--relations", str(MINLE / "relations.csv"),
                 "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture
def fresh_fonts():
    """Matplotlib's font manager as a stale cache leaves it: every font it knew, but no CJK
    one (the CJK font was installed after the cache was written). It is the one manager
    text is drawn with, so what the figures add to it is what they draw with."""
    manager = font_manager.fontManager
    kept = list(manager.ttflist)
    manager.ttflist = [f for f in kept if f.name not in figures.CJK_FONTS and not any(
        hint in Path(f.fname).name.lower().replace("-", "").replace("_", "")
        for hint in figures.CJK_FILE_HINTS)]
    manager._findfont_cached.cache_clear()
    figures.cjk_font.cache_clear()
    yield manager
    manager.ttflist = kept
    manager._findfont_cached.cache_clear()
    figures.cjk_font.cache_clear()


@pytest.mark.skipif(not CJK and not __import__("os").environ.get("MATCHING_REQUIRE_CHROMIUM"),
                    reason="no CJK font file on this machine")
def test_a_stale_font_cache_still_draws_chinese(fresh_fonts, minle_run):
    assert not any(f.name in figures.CJK_FONTS for f in fresh_fonts.ttflist)
    family = figures.cjk_font()
    assert family is not None  # found by its file, and added
    assert figures.shown_language("zh") == "zh"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure = figures.coverage_bars(load_run(minle_run), "community", lang="zh")
        figure.canvas.draw()
    assert [str(w.message) for w in caught] == []
    title = figure.axes[0].title
    assert title.get_text() == "按社区的覆盖"
    drawn = font_manager.findfont(title.get_fontproperties(), fallback_to_default=False)
    assert any(hint in Path(drawn).name.lower().replace("-", "").replace("_", "")
               for hint in figures.CJK_FILE_HINTS)


@pytest.mark.slow
def test_without_any_cjk_font_the_figures_are_in_english_and_the_report_says_so(
        fresh_fonts, minle_run, monkeypatch):
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: [])
    figures.cjk_font.cache_clear()
    assert figures.cjk_font() is None
    run = load_run(minle_run)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure = figures.coverage_bars(run, "community", lang="zh")
        figure.canvas.draw()
        page = report_html(run, "zh")
    assert [str(w.message) for w in caught] == []
    assert figure.axes[0].title.get_text() == "Coverage by community"
    # said once, in the report's own words
    assert page.count("这台电脑没有中文字体") == 1


@pytest.mark.slow
def test_report_cli_says_once_on_the_terminal(fresh_fonts, minle_run, monkeypatch, capsys):
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: [])
    figures.cjk_font.cache_clear()
    assert main(["report", str(minle_run)]) == 0
    err = capsys.readouterr().err
    assert err.count("no Chinese font") == 1


def test_a_map_too_full_for_lines_still_names_every_community(monkeypatch):
    """The density map (a county's, a city's) names each community at its elders' centre."""
    import matching
    from tests.analysis.test_townships import world
    w = world()
    run = matching.Run.from_results(w, matching.solve(matching.build_problem(w)))
    monkeypatch.setattr(figures, "PAIR_MAP_MOST_POINTS", 0)
    figure = figures.pair_map(run, lang="zh")
    names = sorted(t.get_text() for t in figure.axes[0].texts)
    assert names == ["A", "B", "C"]


def test_the_report_shows_figures_one_a_row_at_full_width(minle_run):
    page = report_html(load_run(minle_run), "zh")
    assert "grid-template-columns: 1fr;" in page
    assert 'class="wide"' not in page and "<figure><img" in page

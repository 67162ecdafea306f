"""A notebook's own plots draw Chinese: ``matching.analysis.use_chinese_font()``."""

from __future__ import annotations

import subprocess
import sys
import warnings

import matplotlib as mpl
import pandas as pd
import pytest
from matplotlib.figure import Figure

import matching.analysis
from matching.analysis import figures


def test_a_plain_pandas_plot_draws_chinese_after_use_chinese_font():
    with mpl.rc_context():  # the global settings it changes are put back after the test
        family = matching.analysis.use_chinese_font()
        # CI installs Noto Sans CJK (fonts-noto-cjk), so there is one to find
        assert family is not None and family == figures.cjk_font()
        assert mpl.rcParams["font.family"] == [family, "DejaVu Sans"]
        assert mpl.rcParams["axes.unicode_minus"] is False
        figure = Figure()
        ax = figure.subplots()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pd.Series([3, 5], index=["民乐社区", "城关社区"]).plot.bar(ax=ax, title="老人数")
            figure.canvas.draw()
        assert [str(w.message) for w in caught if "missing" in str(w.message)] == []


@pytest.mark.slow
def test_the_analysis_package_loads_matplotlib_only_when_asked():
    """``import matching.analysis`` does not need the figures extra; asking for the font
    does (a fresh process, so that nothing else has imported matplotlib before)."""
    code = ("import sys, matching.analysis as a; before = 'matplotlib' in sys.modules; "
            "a.use_chinese_font(); print(before, 'matplotlib' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["False", "True"]

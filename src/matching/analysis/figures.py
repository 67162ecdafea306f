"""Figures of a plan (matplotlib). Each takes an optional ``ax`` and returns the figure.

Labels are in English or Chinese (``lang``); Chinese needs a CJK font (Noto Sans CJK,
Source Han Sans, Microsoft YaHei or SimHei), and falls back to English without one, so that a
figure never shows empty boxes where words should be.
"""

from __future__ import annotations

import contextlib
import functools
import io
import warnings
from collections.abc import Iterator
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import font_manager, patheffects
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from matching.analysis import metrics
from matching.analysis.leave_sweep import Sweep
from matching.analysis.projection import Projection
from matching.catalogue import say
from matching.outputs.folder import Run
from matching.outputs.tables import tier_name
from matching.rules.pairing import Rules
from matching.world.columns import ELDER_ID, VOLUNTEER_ID

#: CJK font families tried, in order, for Chinese labels.
CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "SimHei",
             "WenQuanYi Zen Hei")
#: Colours of the ties between a volunteer and an elder, and of what is missing.
TIE_COLOURS = {"kin": "#c0392b", "familiar": "#e67e22", "none": "#7f8c8d"}
MISSING_COLOUR = "#8e44ad"
NEW_COLOUR = "#27ae60"
#: Colours of the priority tiers' curves, highest tier first.
TIER_COLOURS = ("#c0392b", "#e67e22", "#2980b9", "#8e44ad", "#16a085")

#: Most community names on a map (the largest first): a city's hundreds would cover it.
MAP_MOST_NAMES = 60

#: Size of a whole-world map (inches): a county's villages need the room.
MAP_FIGSIZE = (10.0, 8.0)

#: Coverage at which the projection's grid is at its reddest (below it, all the same red).
GRID_FLOOR = 0.5

#: Coverage from which the grid's cells are dark enough to be labelled in white.
GRID_WHITE_TEXT = 0.95

#: Opacity of the band from the least to the most across leaving orders.
BAND_ALPHA = 0.18
#: Size of one figure, in inches, and its resolution when a notebook shows it.
FIGSIZE = (7.5, 5.0)
NOTEBOOK_DPI = 100

#: The words of the figures, by their codes under ``figure.``.
WORDS = ("map", "density", "volunteer", "elder", "unassigned", "kin", "familiar", "none",
         "load", "volunteers", "minutes", "km", "pairs", "assigned",
         "elders", "six", "rate", "replan", "kept", "lost", "new", "left", "priority",
         "community", "age_band", "call", "visit", "service", "group", "festival",
         "birthday", "banked", "hours", "members", "sweep", "leave_share", "share_served",
         "all_elders", "recruits", "recruits_axis", "not_due", "projection", "year",
         "serving", "idle", "mean")

#: Parts of a font file's name that mark a CJK font (compared lower-case, without ``-`` and
#: ``_``): Noto and Source Han, WenQuanYi, Droid and the usual Windows and macOS ones.
CJK_FILE_HINTS = ("notosanscjk", "notoserifcjk", "sourcehansans", "sourcehanserif", "wqy",
                  "droidsansfallback", "msyh", "simhei", "simsun", "pingfang", "hiragino",
                  "arphic", "uming", "ukai")

#: More groups than this are drawn as rows, not upright bars; each row's height in inches.
BARS_MOST_UPRIGHT = 12
ROW_INCHES = 0.22

#: More people than this on one map draw it as a density, not as points and lines.
PAIR_MAP_MOST_POINTS = 800
#: Hexagons across a density map.
DENSITY_GRID = 36


class PlanFigure(Figure):
    """A figure that a notebook shows when a cell returns it (as PNG), without pyplot.

    Drawing it warns about nothing: without a CJK font, Chinese names from the data cannot
    be drawn, and that is said once (by the report and the command line), not once a glyph.
    """

    def draw(self, renderer: RendererBase) -> None:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Glyph .* missing")
            warnings.filterwarnings("ignore", message="findfont")
            super().draw(renderer)

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=NOTEBOOK_DPI)
        return buffer.getvalue()


@functools.cache
def cjk_font() -> str | None:
    """The CJK font family figures use, or ``None`` when the system has none.

    Matplotlib's font cache lists the fonts installed when it was written; a CJK font
    installed since (an ordinary sequence on a new machine) is missing from it. So the
    system's font files are looked at too, and a CJK one found there is added.
    """
    manager = font_manager.fontManager
    known = {f.name for f in manager.ttflist}
    found = next((name for name in CJK_FONTS if name in known), None)
    if found is not None:
        return found
    added = []
    for path in sorted(font_manager.findSystemFonts()):
        stem = Path(path).name.lower().replace("-", "").replace("_", "")
        if not any(hint in stem for hint in CJK_FILE_HINTS):
            continue
        try:
            manager.addfont(path)
            added.append(font_manager.FontProperties(fname=path).get_name())
        except (OSError, RuntimeError, ValueError):  # a damaged or unreadable file
            continue
    known = {f.name for f in manager.ttflist}
    return next((name for name in CJK_FONTS if name in known), added[0] if added else None)


def use_chinese_font() -> str | None:
    """Draw every matplotlib figure made from now on with a CJK font (a notebook's own
    pandas plots too, not only this module's figures), so that Chinese labels are not empty
    boxes; the family used, or ``None`` when the system has no CJK font (then install one,
    such as Noto Sans CJK: ``apt install fonts-noto-cjk``)."""
    family = cjk_font()
    if family is not None:
        mpl.rcParams["font.family"] = [family, "DejaVu Sans"]
        mpl.rcParams["axes.unicode_minus"] = False
    return family


def shown_language(lang: str) -> str:
    """The language figures are labelled in: Chinese where a CJK font can draw it, else
    English (never empty boxes)."""
    return "zh" if lang == "zh" and cjk_font() else "en"


def _words(lang: str) -> dict[str, str]:
    """The figures' words in the language they are shown in."""
    shown = shown_language(lang)
    return {key: say(f"figure.{key}", shown) for key in WORDS}


@contextlib.contextmanager
def _style() -> Iterator[None]:
    """A CJK font first where there is one; no warnings about missing glyphs."""
    # concrete family names, not "sans-serif": the texts keep them when drawn later
    fonts = [f for f in (cjk_font(),) if f] + ["DejaVu Sans"]
    with mpl.rc_context({"font.family": fonts, "axes.unicode_minus": False}), \
            warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing")
        warnings.filterwarnings("ignore", message="findfont")
        yield


def _axes(ax: Axes | None, size: tuple[float, float] = FIGSIZE) -> tuple[Figure, Axes]:
    """The given axes, or a new figure of its own (no pyplot state: safe in a report and
    shown as it is returned in a notebook)."""
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]  # never a SubFigure here
    figure = PlanFigure(figsize=size, layout="constrained")
    return figure, figure.subplots()


#: Kilometres per degree of latitude (mean Earth radius).
KM_PER_DEGREE = 111.195


def _xy(lat: np.ndarray, lon: np.ndarray, origin: tuple[float, float]
        ) -> tuple[np.ndarray, np.ndarray]:
    """Degrees to km east and north of ``origin`` (lat, lon): a plane good over a town or a
    city."""
    lat0, lon0 = origin
    return ((lon - lon0) * KM_PER_DEGREE * np.cos(np.radians(lat0)),
            (lat - lat0) * KM_PER_DEGREE)


def _origin(*frames: pd.DataFrame) -> tuple[float, float]:
    """The south-west corner of the people drawn."""
    lat = np.concatenate([f["lat"].to_numpy(float) for f in frames])
    lon = np.concatenate([f["lon"].to_numpy(float) for f in frames])
    if not np.isfinite(lat).any():
        return 0.0, 0.0
    return float(np.nanmin(lat)), float(np.nanmin(lon))


def pair_map(run: Run, ax: Axes | None = None, lang: str = "en",
             community: str | None = None) -> Figure:
    """Volunteers, elders and a line for each pair, coloured by tie (kin, familiar, other);
    unassigned elders marked; communities labelled at their elders' centre. With
    ``community``, only that community's elders and the volunteers paired with them.

    A map of more than :data:`PAIR_MAP_MOST_POINTS` people (a county, a city) would be a
    tangle of lines: it shows where the elders live as a density instead, the volunteers as
    faint points, and every unassigned elder marked on top."""
    if community is None and \
            len(run.world.volunteers) + len(run.world.elders) > PAIR_MAP_MOST_POINTS:
        return density_map(run, ax, lang)
    words = _words(lang)
    with _style():
        figure, ax = _axes(ax)
        vols, elds = run.world.volunteers.frame(), run.world.elders.frame()
        if community is not None:
            elds = elds[elds["community"] == community]
            theirs = set(run.assignments.loc[run.assignments[ELDER_ID].isin(
                set(elds[ELDER_ID])), VOLUNTEER_ID])
            vols = vols[vols[VOLUNTEER_ID].isin(theirs)]
        origin = _origin(vols, elds)
        vx, vy = _xy(vols["lat"].to_numpy(float), vols["lon"].to_numpy(float), origin)
        ex, ey = _xy(elds["lat"].to_numpy(float), elds["lon"].to_numpy(float), origin)
        vpos = dict(zip(vols[VOLUNTEER_ID], zip(vx, vy, strict=True), strict=True))
        epos = dict(zip(elds[ELDER_ID], zip(ex, ey, strict=True), strict=True))
        a = run.assignments
        for tie in ("none", "familiar", "kin"):
            rows = a[a["tie"] == tie]
            segments = [(vpos[v], epos[e]) for v, e in zip(rows[VOLUNTEER_ID],
                                                           rows[ELDER_ID], strict=True)
                        if v in vpos and e in epos]
            if segments:
                ax.add_collection(LineCollection(segments, colors=TIE_COLOURS[tie],
                                                 linewidths=1.0 if tie != "none" else 0.5,
                                                 alpha=0.75 if tie != "none" else 0.45,
                                                 label=f"{words[tie]} ({len(segments)})"))
        ax.scatter(vx, vy, s=14, marker="^", color="#2c3e50",
                   label=f"{words['volunteer']} ({len(vols)})")
        assigned = set(a[ELDER_ID])
        served = np.array([e in assigned for e in elds[ELDER_ID]], dtype=bool)
        ax.scatter(ex[served], ey[served], s=10, color="#2980b9",
                   label=f"{words['elder']} ({int(served.sum())})")
        if (~served).any():
            ax.scatter(ex[~served], ey[~served], s=40, marker="x", color=MISSING_COLOUR,
                       label=f"{words['unassigned']} ({int((~served).sum())})")
        _name_communities(ax, elds, ex, ey)
        ax.set_aspect("equal")
        ax.set_xlabel(words["km"])
        ax.set_title(f"{words['map']}: {community}" if community else words["map"])
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        ax.autoscale_view()
    return figure


def _name_communities(ax: Axes, elders: pd.DataFrame, x: np.ndarray, y: np.ndarray) -> None:
    """Each community's name at its elders' centre, on a white halo so that it reads over
    points and shading; at most :data:`MAP_MOST_NAMES`, the largest first."""
    shown = np.isfinite(x) & np.isfinite(y)
    table = pd.DataFrame({"c": elders["community"].astype(str).to_numpy()[shown],
                          "x": x[shown], "y": y[shown]})
    table = table[table["c"] != ""]
    centres = table.groupby("c").agg(x=("x", "mean"), y=("y", "mean"), n=("x", "size"))
    centres = centres.sort_values("n", ascending=False, kind="stable").head(MAP_MOST_NAMES)
    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    for name, row in centres.iterrows():
        ax.annotate(str(name), (row["x"], row["y"]), fontsize=9, ha="center", va="center",
                    color="#1b1b1b", path_effects=halo)


def density_map(run: Run, ax: Axes | None = None, lang: str = "en") -> Figure:
    """Where the elders live (hexagons shaded by how many), the volunteers as faint points,
    the unassigned elders marked and the communities named: readable at any size."""
    words = _words(lang)
    with _style():
        figure, ax = _axes(ax, MAP_FIGSIZE)
        vols, elds = run.world.volunteers.frame(), run.world.elders.frame()
        origin = _origin(vols, elds)
        vx, vy = _xy(vols["lat"].to_numpy(float), vols["lon"].to_numpy(float), origin)
        ex, ey = _xy(elds["lat"].to_numpy(float), elds["lon"].to_numpy(float), origin)
        shown = np.isfinite(ex) & np.isfinite(ey)
        cells = ax.hexbin(ex[shown], ey[shown], gridsize=DENSITY_GRID, cmap="Blues",
                          mincnt=1, linewidths=0.2)
        figure.colorbar(cells, ax=ax, label=words["elders"], shrink=0.8)
        ax.scatter(vx, vy, s=2, color="#2c3e50", alpha=0.25,
                   label=f"{words['volunteer']} ({len(vols):,})")
        assigned = set(run.assignments[ELDER_ID])
        missing = np.array([e not in assigned for e in elds[ELDER_ID]], dtype=bool) & shown
        if missing.any():
            ax.scatter(ex[missing], ey[missing], s=28, marker="x", color=MISSING_COLOUR,
                       linewidths=1.2, label=f"{words['unassigned']} ({int(missing.sum()):,})")
        _name_communities(ax, elds, ex, ey)
        ax.set_aspect("equal")
        ax.set_xlabel(words["km"])
        ax.set_title(words["density"])
        ax.legend(loc="upper left", fontsize=8, framealpha=0.85)
    return figure


def community_maps(run: Run, lang: str = "en", columns: int | None = None) -> Figure:
    """One pair map per community, side by side (two to a row, or four for a county's
    many villages)."""
    names = sorted(c for c in set(run.world.elders.community) if c)
    columns = columns or (2 if len(names) <= BARS_MOST_UPRIGHT else 4)
    rows = max(1, -(-len(names) // columns))
    scale = 0.8 if columns <= 2 else 0.5
    with _style():
        figure = PlanFigure(figsize=(FIGSIZE[0] * columns * scale,
                                     FIGSIZE[1] * rows * scale), layout="constrained")
        axes = np.atleast_1d(figure.subplots(rows, columns)).ravel()
        for ax, name in zip(axes, names, strict=False):
            pair_map(run, ax=ax, lang=lang, community=name)
            legend = ax.get_legend()
            if legend is not None:
                legend.remove()
        for ax in axes[len(names):]:
            ax.set_visible(False)
    return figure


def load_histogram(run: Run, ax: Axes | None = None, lang: str = "en") -> Figure:
    """How many of the volunteers who serve carry how many weekly minutes of pairs, the
    mean dashed (the one meaning of load, :func:`matching.analysis.metrics.load_summary`);
    those who serve nobody are counted in the legend, not drawn at 0."""
    words = _words(lang)
    with _style():
        figure, ax = _axes(ax)
        minutes = metrics.load(run)["pair_minutes"].to_numpy(float)
        summary = metrics.load_summary(minutes)
        serving = minutes[minutes > 0]
        ax.hist(serving, bins=20, color="#2980b9", edgecolor="white",
                label=f"{words['serving']} ({summary['serving']:,})")
        if len(serving):
            ax.axvline(summary["mean"], color="#c0392b", linestyle="--", linewidth=1,
                       label=f"{words['mean']} {summary['mean']:.0f}")
        ax.plot([], [], " ", label=f"{words['idle']} ({summary['idle']:,})")
        ax.legend(fontsize=8)
        ax.set_xlabel(words["minutes"])
        ax.set_ylabel(words["volunteers"])
        ax.set_title(words["load"])
    return figure


def banked_hours(balances: pd.DataFrame, ax: Axes | None = None, lang: str = "en") -> Figure:
    """How many members banked how many hours (``balances`` is
    :meth:`matching.ledger.Ledger.balances`), with the mean dashed."""
    words = _words(lang)
    with _style():
        figure, ax = _axes(ax)
        earned = balances["earned_hours"]
        ax.hist(earned, bins=20, color="#2980b9", edgecolor="white")
        if len(earned):
            ax.axvline(float(earned.mean()), color="#c0392b", linestyle="--", linewidth=1)
        ax.set_xlabel(words["hours"])
        ax.set_ylabel(words["members"])
        ax.set_title(words["banked"])
    return figure


def distance_histogram(run: Run, ax: Axes | None = None, lang: str = "en") -> Figure:
    """How far the pairs live apart."""
    words = _words(lang)
    with _style():
        figure, ax = _axes(ax)
        km = metrics.distances(run)["distance_km"].dropna()
        ax.hist(km, bins=20, color="#16a085", edgecolor="white")
        ax.set_xlabel(words["km"])
        ax.set_ylabel(words["pairs"])
        ax.set_title(metrics.distance_title(run.world, lang))
    return figure


def coverage_bars(run: Run, by: str = "priority", ax: Axes | None = None,
                  lang: str = "en") -> Figure:
    """Assigned and unassigned elders, by priority tier, community or age band."""
    words = _words(lang)
    table = metrics.coverage(run, by)
    if len(table) > BARS_MOST_UPRIGHT:
        return _coverage_rows(table, by, ax, lang)
    with _style():
        figure, ax = _axes(ax)
        labels = [tier_name(i, run.world.rules, shown_language(lang)) if by == "priority"
                  else str(i) for i in table.index]
        ax.bar(labels, table["assigned"], color="#2980b9", label=words["assigned"])
        ax.bar(labels, table["unassigned"], bottom=table["assigned"], color=MISSING_COLOUR,
               label=words["unassigned"])
        for i, share in enumerate(table["coverage"]):
            ax.annotate(f"{share:.0%}", (i, table["elders"].iat[i]), ha="center",
                        va="bottom", fontsize=8)
        ax.set_ylabel(words["elders"])
        ax.set_title(say("figure.coverage", shown_language(lang), by=f"figure.{by}"))
        ax.legend(fontsize=8)
        if len(labels) > 6 or by == "priority":
            ax.tick_params(axis="x", labelrotation=20 if by == "priority" else 45,
                           labelsize=8)
    return figure


def sweep_curves(result: Sweep, rules: Rules | None = None, lang: str = "en") -> Figure:
    """The sweep's curves against the share leaving: coverage of all elders and of each
    tier (named from ``rules``) and, when the sweep recruited, the recruits needed. With
    several leaving orders each curve is the median, shaded from the least to the most."""
    words = _words(lang)
    shown = shown_language(lang)
    points = result.points
    recruiting = "recruits" in points.columns
    with _style():
        figure = PlanFigure(figsize=(FIGSIZE[0] * (2 if recruiting else 1), FIGSIZE[1]),
                            layout="constrained")
        axes = figure.subplots(1, 2 if recruiting else 1, squeeze=False)[0]
        ax = axes[0]
        share = points["leave_share"] * 100
        banded = "coverage_min" in points.columns

        def band(column: str, colour: str) -> None:
            if banded:  # several orders: the least and the most around the median
                ax.fill_between(share, points[f"{column}_min"] * 100,
                                points[f"{column}_max"] * 100, color=colour,
                                alpha=BAND_ALPHA, linewidth=0)

        band("coverage", "black")
        ax.plot(share, points["coverage"] * 100, color="black", linewidth=2, marker="o",
                label=words["all_elders"])
        if banded:
            ax.fill_between([], [], [], color="black", alpha=BAND_ALPHA, linewidth=0,
                            label=say("figure.band", shown, n=len(result.leaving_orders)))
        tiers = sorted((c for c in points.columns if c.startswith("coverage_priority_")
                        and c.rsplit("_", 1)[1].isdigit()), reverse=True)
        for column, colour in zip(tiers, TIER_COLOURS, strict=False):
            tier = int(column.rsplit("_", 1)[1])
            name = tier_name(tier, rules or Rules(), shown)
            band(column, colour)
            ax.plot(share, points[column] * 100, color=colour, marker=".", label=name)
        ax.set_xlabel(words["leave_share"] + " (%)")
        ax.set_ylabel(words["share_served"] + " (%)")
        ax.set_ylim(0, 102)
        ax.set_title(words["sweep"])
        ax.legend(fontsize=8)
        if recruiting:
            ax = axes[1]
            steps = share.diff().dropna()
            width = float(steps.min()) * 0.6 if len(steps) else 1.0
            bars = ax.bar(share, points["recruits"], width=max(width, 0.5), color=NEW_COLOUR)
            if "recruits_min" in points.columns:
                ax.errorbar(share, points["recruits"],
                            yerr=[points["recruits"] - points["recruits_min"],
                                  points["recruits_max"] - points["recruits"]],
                            fmt="none", ecolor="black", capsize=3, linewidth=1)
            ax.bar_label(bars, fontsize=8)
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel(words["leave_share"] + " (%)")
            ax.set_ylabel(words["recruits_axis"])
            ax.set_title(words["recruits"])
    return figure


def projection_grid(projection: Projection, lang: str = "en", ax: Axes | None = None
                    ) -> Figure:
    """Coverage by community (rows, the first short at the top) and year (columns), each
    cell coloured from red (none served) to green (all) and labelled with its percentage."""
    words = _words(lang)
    table = projection.by_community
    order = projection.first_short["community"].tolist()
    grid = table.pivot_table(index="community", columns="year", values="coverage")
    grid = grid.reindex(order)
    with _style():
        size = (FIGSIZE[0], max(FIGSIZE[1], ROW_INCHES * len(grid) + 1.5))
        figure, ax = _axes(ax, size)
        ax.imshow(grid.to_numpy(dtype=float), cmap="RdYlGn", vmin=GRID_FLOOR, vmax=1.0,
                  aspect="auto")
        ax.set_xticks(range(grid.shape[1]), [str(y) for y in grid.columns])
        ax.set_yticks(range(grid.shape[0]), list(grid.index), fontsize=8)
        for (row, column), value in np.ndenumerate(grid.to_numpy(dtype=float)):
            if value == value:
                ax.text(column, row, f"{value:.0%}", ha="center", va="center", fontsize=7,
                        color="white" if value >= GRID_WHITE_TEXT else "black")
        ax.set_xlabel(words["year"])
        ax.set_title(words["projection"])
    return figure


def _coverage_rows(table: pd.DataFrame, by: str, ax: Axes | None, lang: str) -> Figure:
    """Coverage of many groups (a county's villages) as one row each, the least covered
    at the top, so that every name can be read."""
    words = _words(lang)
    table = table.sort_values(["coverage", "elders"], ascending=[False, True])
    with _style():
        size = (FIGSIZE[0], max(FIGSIZE[1], ROW_INCHES * len(table) + 1.0))
        figure, ax = _axes(ax, size)
        rows = np.arange(len(table))
        ax.barh(rows, table["assigned"], color="#2980b9", label=words["assigned"])
        ax.barh(rows, table["unassigned"], left=table["assigned"], color=MISSING_COLOUR,
                label=words["unassigned"])
        ax.set_yticks(rows, [str(i) for i in table.index], fontsize=8)
        for row, (share, elders) in enumerate(zip(table["coverage"], table["elders"],
                                                  strict=True)):
            ax.annotate(f"{share:.0%}", (elders, row), xytext=(3, 0),
                        textcoords="offset points", va="center", fontsize=7)
        ax.set_xlabel(words["elders"])
        ax.set_title(say("figure.coverage", shown_language(lang), by=f"figure.{by}"))
        ax.legend(fontsize=8, loc="lower right")
        ax.margins(x=0.08)
    return figure


def six_ones_heatmap(run: Run, ax: Axes | None = None, lang: str = "en") -> Figure:
    """The share of each of the six ones delivered, month by month."""
    words = _words(lang)
    with _style():
        rate = metrics.monthly_fulfilment(run)
        figure, ax = _axes(ax, (FIGSIZE[0], 1.2 + 0.45 * len(rate.index)))
        image = ax.imshow(rate.to_numpy(float), cmap="RdYlGn", vmin=0.0, vmax=1.0,
                          aspect="auto")
        ax.set_xticks(range(len(rate.columns)), list(rate.columns), rotation=45, fontsize=8)
        resting = rate.isna().all(axis=1)
        ax.set_yticks(range(len(rate.index)),
                      [words.get(k, k) + (f" ({words['not_due']})" if resting[k] else "")
                       for k in rate.index])
        for (i, j), value in np.ndenumerate(rate.to_numpy(float)):
            if value == value:
                ax.annotate(f"{value:.0%}", (j, i), ha="center", va="center", fontsize=7)
        figure.colorbar(image, ax=ax, label=words["rate"])
        ax.set_title(words["six"])
    return figure


def replan_comparison(run: Run, ax: Axes | None = None, lang: str = "en") -> Figure:
    """A re-plan before and after on one map: pairs kept, pairs lost to volunteers who left
    (and those volunteers), and the new pairs."""
    words = _words(lang)
    before = run.before()
    if before is None:
        raise ValueError("the run is not a re-plan (no baseline)")
    with _style():
        figure, ax = _axes(ax)
        vols, elds = before.world.volunteers.frame(), before.world.elders.frame()
        origin = _origin(vols, elds)
        vx, vy = _xy(vols["lat"].to_numpy(float), vols["lon"].to_numpy(float), origin)
        ex, ey = _xy(elds["lat"].to_numpy(float), elds["lon"].to_numpy(float), origin)
        vpos = dict(zip(vols[VOLUNTEER_ID], zip(vx, vy, strict=True), strict=True))
        epos = dict(zip(elds[ELDER_ID], zip(ex, ey, strict=True), strict=True))
        old = set(zip(before.assignments[VOLUNTEER_ID], before.assignments[ELDER_ID],
                      strict=True))
        new = set(zip(run.assignments[VOLUNTEER_ID], run.assignments[ELDER_ID],
                      strict=True))
        gone = set(run.leaving[VOLUNTEER_ID]) if run.leaving is not None else set()
        groups = {"kept": (old & new, "#bdc3c7", "-"),
                  "lost": ({p for p in old - new if p[0] in gone}, MISSING_COLOUR, "--"),
                  "new": (new - old, NEW_COLOUR, "-")}
        for key, (pairs, colour, style) in groups.items():
            segments = [(vpos[v], epos[e]) for v, e in sorted(pairs) if v in vpos and e in epos]
            if segments:
                ax.add_collection(LineCollection(segments, colors=colour, linestyles=style,
                                                 linewidths=1.4 if key != "kept" else 0.6,
                                                 label=f"{words[key]} ({len(segments)})"))
        ax.scatter(ex, ey, s=8, color="#2980b9", label=words["elder"])
        left = np.array([v in gone for v in vols[VOLUNTEER_ID]], dtype=bool)
        ax.scatter(vx[~left], vy[~left], s=12, marker="^", color="#2c3e50",
                   label=words["volunteer"])
        if left.any():
            ax.scatter(vx[left], vy[left], s=50, marker="x", color=MISSING_COLOUR,
                       label=f"{words['left']} ({int(left.sum())})")
        ax.set_aspect("equal")
        ax.set_xlabel(words["km"])
        ax.set_title(words["replan"])
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        ax.autoscale_view()
    return figure

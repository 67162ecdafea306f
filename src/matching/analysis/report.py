"""``report.html``: one self-contained page a planner can read or print without a notebook.

It is written for a leader who reads its first page and nothing else: it opens with what was
found, in sentences (coverage, who is unserved and why, which communities are short of
volunteers, the six ones, a re-plan's changes), then a table of supply and demand by
community. The figures and the detailed tables follow. The figures are embedded as PNG (no
network); the page is in Chinese by default (``lang="en"`` for English) and prints on A4.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from matching.analysis import figures, metrics
from matching.analysis.webmap import interactive_map
from matching.analysis.why import blocking_pairs
from matching.catalogue import LIST_SEPARATOR, known, say
from matching.outputs.folder import Run
from matching.outputs.printing import PRINT_STYLE, print_button
from matching.outputs.tables import Names, for_people, tier_name
from matching.rules.schedule import SIX_ONES
from matching.world.columns import ELDER_ID, VOLUNTEER_ID

#: Rows of a long table shown before "and N more".
MAX_ROWS = 200
#: Rows of the stability audit shown (the pairs that would gain most come first).
STABILITY_ROWS = 50
#: Rows of each missed-activity table: those who missed most, the rest counted.
MISSED_ROWS = 15
#: Resolution of the embedded figures (dots per inch): sharp on paper, small in the file.
FIGURE_DPI = 110
#: Causes named in the findings, and communities named as short of volunteers.
MAIN_CAUSES = 3
SHORT_COMMUNITIES = 5

#: Decimals by kind of figure: one for kilometres and hours, whole minutes, two for an
#: index (Gini, Jain), a percentage with one.
DIGITS = {"km": 1, "minutes": 0, "index": 2, "count": 0}

#: What each figure column of the report is (its kind of number).
KINDS = {"mean_km": "km", "median_km": "km", "p90_km": "km", "max_km": "km",
         "within_1km": "share", "coverage": "share", "rate": "share", "missed_share": "share",
         "gini": "index", "jain": "index"}

_STYLE = """
@page { size: A4; margin: 14mm; }
body { font-family: 'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', sans-serif;
       font-size: 11pt; color: #1b1b1b; margin: 2em auto; max-width: 190mm; }
h1 { font-size: 20pt; margin-bottom: 0.2em; }
h2 { font-size: 14pt; border-bottom: 2px solid #2980b9; padding-bottom: 2px;
     margin-top: 1.4em; break-after: avoid; }
h3 { font-size: 11.5pt; margin: 1em 0 .2em; }
ul.findings { font-size: 12pt; line-height: 1.6; padding-left: 1.2em; }
ul.findings li { margin: .2em 0; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 9.5pt; }
th, td { border: 1px solid #bbb; padding: 3px 7px; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; }
th { background: #eef3f8; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.figures { display: grid; grid-template-columns: 1fr; gap: 6mm; }
figure { margin: 0; break-inside: avoid; }
figure img { width: 100%; }
.facts td { border: none; padding: 1px 12px 1px 0; }
.note { color: #555; font-size: 9.5pt; }
@media print { body { margin: 0; } h2 { break-after: avoid; } table { break-inside: auto; } }
.plan-map{height:520px;max-width:100%;margin:.5em 0 1em;border:1px solid #ccd}
""" + PRINT_STYLE


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=FIGURE_DPI)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _number(value: Any, kind: str) -> str:
    """A figure as the report shows it (see :data:`DIGITS`)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if number != number:
        return ""
    if kind == "share":
        return f"{number:.1%}"
    digits = DIGITS.get(kind, 1)
    if kind == "count" and not number.is_integer():  # a mean of counts: 3.0 elders each
        digits = 1
    return f"{number:,.{digits}f}"


def _word(key: str, lang: str) -> str:
    """A row's or column's name in the report: its own word, a column's, or the key."""
    for code in (f"report.col_{key}", f"column.{key}", f"activity.{key}"):
        if known(code):
            return say(code, lang)
    return key


def _figures_table(frame: pd.DataFrame, lang: str, index: str | None = None,
                   index_names: dict[str, str] | None = None,
                   kinds: dict[str, str] | None = None) -> str:
    """A table of figures: named rows and columns, numbers right-aligned and rounded alike."""
    if frame is None or frame.empty:
        return ""
    kinds = {**KINDS, **(kinds or {})}
    esc = html.escape
    head = ([f"<th>{esc(_word(index, lang))}</th>"] if index else []) + \
        [f"<th>{esc(_word(str(c), lang))}</th>" for c in frame.columns]
    rows = []
    for label, row in frame.iterrows():
        cells = []
        if index:
            shown = (index_names or {}).get(str(label)) or _word(str(label), lang)
            cells.append(f"<td>{esc(shown)}</td>")
        for column, value in zip(frame.columns, row, strict=True):
            numeric = isinstance(value, int | float | np.number) and not isinstance(value, bool)
            kind = kinds.get(str(column), "minutes" if str(column) in ("mean", "max") and
                             str(label) == "minutes" else "count")
            cells.append(f'<td class="n">{_number(value, kind)}</td>' if numeric
                         else f"<td>{esc(str(value))}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><tr>{''.join(head)}</tr>{''.join(rows)}</table>"


def _people_table(frame: pd.DataFrame | None, lang: str, names: Names,
                  columns: Iterable[str] | None = None, limit: int = MAX_ROWS) -> str:
    """A table about people: names beside ids, reasons in ``lang``, Chinese headers."""
    if frame is None or frame.empty:
        return f"<p>{html.escape(say('report.none', lang))}</p>"
    shown = for_people(frame.head(limit), lang, names, columns)
    esc = html.escape
    head = "".join(f"<th>{esc(str(c))}</th>" for c in shown.columns)
    body = "".join("<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in row) + "</tr>"
                   for row in shown.to_numpy().tolist())
    more = (f'<p class="note">{esc(say("report.more", lang, n=len(frame) - limit))}</p>'
            if len(frame) > limit else "")
    return f"<table><tr>{head}</tr>{body}</table>{more}"


def supply_and_demand(run: Run) -> pd.DataFrame:
    """By community: volunteers, elders, elders paired and not, and the places volunteers
    could still take (their most elders less those they have)."""
    volunteers = run.world.volunteers.frame()
    load = run.assignments[VOLUNTEER_ID].astype(str).value_counts()
    most = pd.to_numeric(volunteers.get("max_elders"), errors="coerce").fillna(0)
    spare = (most - volunteers[VOLUNTEER_ID].astype(str).map(load).fillna(0)).clip(lower=0)
    table = metrics.coverage(run, "community")[["elders", "assigned", "unassigned"]]
    table.insert(0, "volunteers", volunteers.groupby("community").size())
    table["spare"] = spare.groupby(volunteers["community"]).sum()
    table = table.fillna(0).astype(int)
    return table.sort_values(["unassigned", "elders"], ascending=False, kind="stable")


def findings(run: Run, lang: str = "zh") -> list[str]:
    """What a leader should know, in sentences: coverage, the highest tier, who is unserved
    and the main reasons, the communities short of volunteers, the six ones and a
    re-plan's changes."""
    out = []
    coverage = metrics.coverage(run, "priority")
    elders, assigned = int(coverage["elders"].sum()), int(coverage["assigned"].sum())
    out.append(say("report.finding_coverage", lang, elders=elders, assigned=assigned,
                   share=f"{assigned / max(1, elders):.1%}"))
    if len(coverage):
        top = coverage.index.max()
        row = coverage.loc[top]
        tier = tier_name(top, run.world.rules, lang)
        out.append(say("report.finding_top_all" if row["unassigned"] == 0 else
                       "report.finding_top_missing", lang, tier=tier, n=int(row["elders"]),
                       missing=int(row["unassigned"])))
    unassigned = run.unassigned
    if len(unassigned):
        # counted by what a leader reads: codes worded alike (one full volunteer, or all of
        # them) are one cause, never two lines saying the same
        causes = unassigned["reason_code"].astype(str).map(
            lambda c: say(f"report.cause.{c}" if known(f"report.cause.{c}")
                          else "report.cause.other", lang)).value_counts(sort=False)
        causes = causes.sort_values(ascending=False, kind="stable")
        parts = [say("report.cause_count", lang, n=int(n), cause=cause)
                 for cause, n in causes.head(MAIN_CAUSES).items()]
        out.append(say("report.finding_unserved", lang, n=len(unassigned),
                       causes=LIST_SEPARATOR[lang].join(parts)))
    short = supply_and_demand(run)
    short = short[short["unassigned"] > 0].head(SHORT_COMMUNITIES)
    if len(short):
        named = [say("report.short_community", lang, community=str(c),
                     unassigned=int(r["unassigned"]), spare=int(r["spare"]))
                 for c, r in short.iterrows()]
        out.append(say("report.finding_short", lang, communities=LIST_SEPARATOR[lang].join(named)))
    else:
        out.append(say("report.finding_enough", lang))
    if run.schedule is not None and run.start is not None:
        six = metrics.six_ones(run)
        # the one unmet count: the rows of unmet.csv, as the schedule counted them
        unmet = int(run.summary.get("schedule", {}).get(
            "unmet", len(run.unmet) if run.unmet is not None else 0))
        bound = int(six["bound"].fillna(0).sum())
        planned = int((run.schedule["activity"] != "call").sum())
        out.append(say("report.finding_six" if unmet else "report.finding_six_all", lang,
                       planned=planned, unmet=unmet, bound=bound))
        swaps = int(run.summary.get("schedule", {}).get("rotation_swaps", 0))
        if swaps:
            out.append(say("report.finding_swaps", lang, n=swaps))
        resting = [say("report.not_due_kind", lang, activity=say(f"activity.{kind}", lang),
                       reason=say(row["reason_code"], lang, **row["reason_params"]))
                   for kind, row in six.iterrows() if not row["required"]]
        if resting:
            out.append(say("report.finding_not_due", lang,
                           kinds=LIST_SEPARATOR[lang].join(resting)))
    replan = run.summary.get("replan")
    if replan:
        out.append(say("report.finding_replan", lang, left=int(replan.get("volunteers_left", 0)),
                       kept=int(replan.get("kept", 0)), moved=int(replan.get("moved", 0)),
                       lost=int(replan.get("lost", 0))))
    return out


def six_ones_table(run: Run, lang: str) -> pd.DataFrame:
    """Each of the six ones as a coordinator reads it: due, planned, unmet and the fewest
    that must go unmet, and a note (every one planned, how many are not, or why none is due
    in this horizon); the figures are :func:`matching.analysis.metrics.six_ones`."""
    six = metrics.six_ones(run)
    dash = "—"
    rows = []
    for kind, row in six.iterrows():
        if not row["required"]:
            note = say(row["reason_code"], lang, **row["reason_params"])
            rows.append({"activity": kind, "required": 0, "planned": int(row["planned"]),
                         "count": dash, "bound": dash,
                         "note": say("report.not_due", lang, reason=note)})
            continue
        bound = dash if pd.isna(row["bound"]) else int(row["bound"])
        note = say("report.all_planned" if not row["count"] else "report.some_unmet", lang,
                   n=int(row["count"]))
        rows.append({"activity": kind, "required": int(row["required"]),
                     "planned": int(row["planned"]), "count": int(row["count"]),
                     "bound": bound, "note": note})
    return pd.DataFrame(rows).set_index("activity")


def missed_by(long: pd.DataFrame, key: str) -> pd.DataFrame:
    """One row per elder or volunteer (``key``) with a time bank's missed activities: the
    count missed of each activity, in all, and the share of what was recorded; those who
    missed visits first, then most missed. ``long`` is :meth:`matching.ledger.Ledger.missed`.
    """
    if long.empty:
        return pd.DataFrame(columns=[key, "missed", "recorded", "missed_share"])
    wide = long.pivot_table(index=key, columns="activity", values="missed", aggfunc="sum",
                            fill_value=0)
    wide.columns.name = None
    wide = wide[sorted(wide.columns, key=lambda c: (SIX_ONES.index(c) if c in SIX_ONES
                                                    else len(SIX_ONES), c))]
    counts = long.groupby(key)[["done", "replaced", "missed"]].sum()
    wide["missed"] = counts["missed"]
    wide["recorded"] = counts.sum(axis=1)
    wide["missed_share"] = (wide["missed"] / wide["recorded"]).round(4)
    first = [c for c in ("visit", "service", "birthday") if c in wide.columns]
    wide = wide[wide["missed"] > 0].sort_values([*first, "missed"], ascending=False,
                                                kind="stable")
    return wide.reset_index()


def report_html(run: Run, lang: str = "zh",
                missed: pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame] | None = None,
                *, tiles: str | None = None, attribution: str = "") -> str:
    """The report page of a run, as one string of HTML.

    ``missed`` (from a time bank's ledger: :meth:`matching.ledger.Ledger.missed` by elder, or
    by elder and by volunteer) adds what was recorded as missed. ``tiles`` (a URL template
    such as ``https://tile.example.org/{z}/{x}/{y}.png``) draws a basemap under the
    interactive map, fetched by the reader's browser; without it the map has none and the
    page needs no network.
    """
    def t(key: str, **params: object) -> str:
        return say(f"report.{key}", lang, **params)

    esc = html.escape
    names = Names.of_run(run)
    facts = []
    title = run.info.get("scenario") or (run.folder.name if run.folder is not None else "")
    if title:
        facts.append((t("folder"), str(title)))
    if run.start is not None:
        facts.append((t("horizon"), t("horizon_value", start=str(run.start), weeks=run.weeks)))
    status = (run.summary.get("pairing") or run.summary.get("replan") or run.summary).get(
        "status") or run.info.get("status")
    if status and known(f"status.{status}"):
        facts.append((t("status"), say(f"status.{status}", lang)))
    parts = [print_button(lang), f"<h1>{esc(t('title'))}</h1><table class=\"facts\">" +
             "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in facts) +
             "</table>"]
    if lang == "zh" and figures.cjk_font() is None:
        parts.append(f'<p class="note">{esc(t("no_cjk_font"))}</p>')

    parts.append(f"<h2>{esc(t('findings'))}</h2><ul class=\"findings\">" +
                 "".join(f"<li>{esc(s)}</li>" for s in findings(run, lang)) + "</ul>")
    parts.append(f"<h2>{esc(t('supply'))}</h2>" +
                 _figures_table(supply_and_demand(run), lang, index="community") +
                 f'<p class="note">{esc(t("supply_note"))}</p>')

    parts.append(f"<h2>{esc(t('coverage'))}</h2>")
    tiers = {str(p): tier_name(p, run.world.rules, lang)
             for p in metrics.coverage(run, "priority").index}
    parts.append(f"<h3>{esc(t('by_priority'))}</h3>" +
                 _figures_table(metrics.coverage(run, "priority").sort_index(ascending=False),
                                lang, index="priority", index_names=tiers))
    parts.append(f"<h3>{esc(t('by_age'))}</h3>" +
                 _figures_table(metrics.coverage(run, "age_band"), lang, index="age_band"))

    parts.append(f'<h2 class="noprint">{esc(t("map_title"))}</h2>'
                 f'<p class="note noprint">{esc(t("map_note"))}</p>'
                 + interactive_map(run, lang, tiles, attribution))

    # one a row, at the page's full width: a county's 35 villages must be readable
    images = [figures.pair_map(run, lang=lang),
              figures.coverage_bars(run, "priority", lang=lang)]
    if len(set(run.world.elders.community)) > 1:  # one community's bar says nothing
        images.append(figures.coverage_bars(run, "community", lang=lang))
    images += [figures.distance_histogram(run, lang=lang), figures.load_histogram(run, lang=lang)]
    if run.schedule is not None and run.start is not None:
        images.append(figures.six_ones_heatmap(run, lang=lang))
    if run.baseline is not None:
        images.append(figures.replan_comparison(run, lang=lang))
    parts.append(f"<h2>{esc(t('figures'))}</h2><div class=\"figures\">" + "".join(
        f'<figure><img alt="" src="data:image/png;base64,{_png(f)}"></figure>'
        for f in images) + "</div>")

    parts.append(f"<h2>{esc(metrics.distance_title(run.world, lang))}</h2>" +
                 _figures_table(metrics.distance_summary(run).to_frame("").T, lang,
                                kinds={"pairs": "count"}))
    detour = metrics.detour(run)
    if detour is not None:
        note = t("distance_note", straight=detour[0], ratio=detour[1])
        parts.append(f'<p class="note">{esc(note)}</p>')
    fairness = metrics.fairness(run)
    parts.append(f"<h2>{esc(t('fairness'))}</h2>" +
                 _figures_table(fairness, lang, index="measure",
                                kinds={"serving": "count", "idle": "count"}))

    if run.schedule is not None and run.start is not None:
        activities = {k: say(f"activity.{k}", lang) for k in SIX_ONES}
        parts.append(f"<h2>{esc(t('six'))}</h2>" +
                     _figures_table(six_ones_table(run, lang), lang, index="activity",
                                    index_names=activities))
        parts.append(f"<h2>{esc(t('unmet'))}</h2>" +
                     _people_table(run.unmet, lang, names,
                                   (ELDER_ID, "when", "activity", "reason")))

    if missed is not None:
        parts.append(f"<h2>{esc(t('missed'))}</h2>")
        frames = missed if isinstance(missed, tuple) else (missed,)
        for frame, key in zip(frames, (ELDER_ID, VOLUNTEER_ID), strict=False):
            table = missed_by(frame, key)
            title = t("missed_elders") if key == ELDER_ID else t("missed_volunteers")
            parts.append(f"<h3>{esc(title)}</h3>" +
                         _people_table(table, lang, names, limit=MISSED_ROWS))
    parts.append(f"<h2>{esc(t('why_unassigned'))}</h2>" +
                 _people_table(run.unassigned, lang, names, (ELDER_ID, "priority",
                                                             "reason")))
    blocking = blocking_pairs(run)
    parts.append(f"<h2>{esc(t('stability'))} ({len(blocking)})</h2>"
                 f"<p class=\"note\">{esc(t('stability_note'))}</p>" +
                 _people_table(blocking, lang, names, limit=STABILITY_ROWS))
    return (f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
            f'<meta charset="utf-8"><title>{esc(t("title"))}</title><style>{_STYLE}</style>'
            f"</head><body>{''.join(parts)}</body></html>\n")

"""``report.html``: one self-contained page a planner can read or print without a notebook.

The figures are embedded as PNG (no network, no scripts); the page is in Chinese by default
(``lang="en"`` for English) and prints on A4.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from matching.analysis import figures, metrics
from matching.analysis.why import blocking_pairs
from matching.outputs.folder import Run
from matching.rules.schedule import SIX_ONES

#: Rows of a long table shown before "and N more".
MAX_ROWS = 200
#: Rows of each missed-activity table: those who missed most, the rest counted.
MISSED_ROWS = 15
#: Resolution of the embedded figures (dots per inch): sharp on paper, small in the file.
FIGURE_DPI = 110

_TEXT = {
    "zh": {"title": "结对与服务报告", "summary": "概览", "elders": "老人", "assigned": "已结对",
           "unassigned": "未结对", "volunteers": "志愿者", "horizon": "排班周期",
           "weeks": "周", "status": "求解状态", "coverage": "覆盖情况",
           "by_priority": "按优先级", "by_community": "按社区", "by_age": "按年龄段",
           "figures": "图表", "distance": "步行距离", "fairness": "志愿者负担与公平",
           "six": "“六个一”完成情况", "unmet": "未完成的服务",
           "why_unassigned": "未结对的老人及原因",
           "stability": "双方都更愿意在一起却未结对的组合", "none": "无",
           "missed": "时间银行记录的缺席", "missed_elders": "按老人",
           "missed_volunteers": "按计划的志愿者",
           "more": "另有 {n} 行未列出", "made": "生成于", "folder": "方案目录",
           "group": "分组", "share": "覆盖率", "required": "应完成", "delivered": "已完成",
           "rate": "完成率", "unmet_kind": "项目", "count": "未完成", "bound": "至少未完成",
           "minutes": "每周分钟", "elders_n": "老人数", "mean": "平均", "max": "最多",
           "gini": "基尼系数", "jain": "Jain 指数", "replan": "重新结对前后",
           "stability_note": "最优方案着眼全局，可能保留这样的组合；"
                             "原因列出把他们结对会让谁受影响。"},
    "en": {"title": "Pairing and service report", "summary": "Summary", "elders": "Elders",
           "assigned": "Assigned", "unassigned": "Unassigned", "volunteers": "Volunteers",
           "horizon": "Schedule", "weeks": "weeks", "status": "Solver status",
           "coverage": "Coverage", "by_priority": "By priority tier",
           "by_community": "By community", "by_age": "By age band", "figures": "Figures",
           "distance": "Walking distance", "fairness": "Volunteer load and fairness",
           "six": "The six ones delivered", "unmet": "Unmet obligations",
           "why_unassigned": "Elders without a volunteer, and why",
           "stability": "Pairs who would both rather be together",
           "missed": "Missed, as the time bank recorded it",
           "missed_elders": "By elder", "missed_volunteers": "By the volunteer planned",
           "none": "none", "more": "{n} more rows not shown", "made": "Made",
           "folder": "Plan folder", "group": "group", "share": "coverage",
           "required": "required", "delivered": "delivered", "rate": "rate",
           "unmet_kind": "kind", "count": "unmet", "bound": "at least unmet",
           "minutes": "weekly minutes", "elders_n": "elders", "mean": "mean", "max": "max",
           "gini": "Gini", "jain": "Jain's index", "replan": "Before and after the re-plan",
           "stability_note": "An optimal plan optimises the whole and may keep them apart; "
                             "the reason says who pairing them would affect."},
}

#: Column and row names in the reader's language (English ones are the names themselves).
_NAMES = {"zh": {
    "priority": "优先级", "community": "社区", "age_band": "年龄段", "elders": "老人数",
    "assigned": "已结对", "unassigned": "未结对", "coverage": "覆盖率", "pairs": "结对数",
    "mean_km": "平均（公里）", "median_km": "中位数（公里）", "p90_km": "90%分位（公里）",
    "max_km": "最远（公里）", "within_1km": "1公里内", "volunteers": "志愿者数",
    "call": "问候电话", "visit": "上门探访", "service": "专业服务", "group": "集体活动",
    "festival": "节日活动", "birthday": "生日问候", "elder_id": "老人", "when": "时间",
    "activity": "项目", "reason": "原因", "volunteer_id": "志愿者",
    "elder_now": "现在的志愿者", "elder_gain_km": "老人可省（公里）",
    "volunteer_gives_up": "志愿者需放下", "volunteer_gain_km": "志愿者可省（公里）",
    "activity_kind": "项目", "done": "完成", "replaced": "他人代替", "missed": "缺席",
    "missed_share": "缺席比例", "recorded": "已记录"},
    "en": {}}

_STYLE = """
@page { size: A4; margin: 14mm; }
body { font-family: 'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', sans-serif;
       font-size: 11pt; color: #1b1b1b; margin: 2em auto; max-width: 190mm; }
h1 { font-size: 20pt; margin-bottom: 0.2em; }
h2 { font-size: 14pt; border-bottom: 2px solid #2980b9; padding-bottom: 2px;
     margin-top: 1.4em; break-after: avoid; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 9.5pt; }
th, td { border: 1px solid #bbb; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #eef3f8; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.figures { display: grid; grid-template-columns: 1fr 1fr; gap: 6mm; }
figure { margin: 0; break-inside: avoid; }
figure img { width: 100%; }
.wide { grid-column: 1 / span 2; }
figure.wide img { width: 80%; margin: 0 10%; }
.facts td { border: none; padding: 1px 12px 1px 0; }
.note { color: #555; font-size: 9.5pt; }
@media print { body { margin: 0; } h2 { break-after: avoid; } table { break-inside: auto; } }
"""


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=FIGURE_DPI)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


#: Columns shown as percentages.
_SHARES = ("coverage", "rate", "within_1km", "share", "missed_share")


def _cell(value: object, column: str) -> tuple[str, bool]:
    """A cell's text, and whether it is a number (right-aligned)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        return str(value), False
    number = float(value)  # type: ignore[arg-type]
    if number != number:
        return "", True
    if any(column.startswith(s) for s in _SHARES):
        return f"{number:.1%}", True
    if number.is_integer():
        return f"{int(number):,}", True
    return f"{number:,.3f}".rstrip("0").rstrip("."), True


def _table(frame: pd.DataFrame, index: bool = False, more: str = "",
           names: dict[str, str] | None = None, limit: int = MAX_ROWS) -> str:
    """A table of at most ``limit`` rows of a frame; ``names`` gives the reader's words for
    columns and index."""
    if frame is None or frame.empty:
        return ""
    names = names or {}
    shown = frame.head(limit)
    columns = list(shown.columns)
    head = "".join(f"<th>{html.escape(names.get(str(c), str(c)))}</th>" for c in
                   ([shown.index.name or ""] if index else []) + columns)
    rows = []
    for label, row in shown.iterrows():
        cells = [f"<td>{html.escape(names.get(str(label), str(label)))}</td>"] if index else []
        for column, value in zip(columns, row, strict=True):
            text, numeric = _cell(value, str(column))
            cells.append(f'<td class="n">{text}</td>' if numeric
                         else f"<td>{html.escape(text)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    extra = (f'<p class="note">{html.escape(more.format(n=len(frame) - limit))}</p>'
             if len(frame) > limit else "")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>{extra}"


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
                missed: pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame] | None = None) -> str:
    """The report page of a run, as one string of HTML.

    ``missed`` (from a time bank's ledger: :meth:`matching.ledger.Ledger.missed` by elder, or
    by elder and by volunteer) adds what was recorded as missed.
    """
    t = _TEXT[lang]
    esc = html.escape
    elders = metrics.elders_table(run)
    assigned = int((elders["volunteer_id"] != "").sum())
    facts = [(t["elders"], f"{len(elders):,}"),
             (t["assigned"], f"{assigned:,} ({assigned / max(1, len(elders)):.1%})"),
             (t["unassigned"], f"{len(elders) - assigned:,}"),
             (t["volunteers"], f"{len(run.world.volunteers):,}")]
    if run.start is not None:
        facts.append((t["horizon"], f"{run.start} + {run.weeks} {t['weeks']}"))
    status = run.info.get("status") or run.summary.get("status")
    if status:
        facts.append((t["status"], str(status)))
    if run.folder is not None:
        facts.append((t["folder"], run.folder.name))
    facts.append((t["made"], dt.date.today().isoformat()))
    parts = [f"<h1>{esc(t['title'])}</h1><table class=\"facts\">" +
             "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in facts) +
             "</table>"]

    parts.append(f"<h2>{esc(t['coverage'])}</h2>")
    names = _NAMES[lang]
    for key, by in (("by_priority", "priority"), ("by_community", "community"),
                    ("by_age", "age_band")):
        parts.append(f"<h3>{esc(t[key])}</h3>" +
                     _table(metrics.coverage(run, by), index=True, names=names))

    images = [("wide", figures.pair_map(run, lang=lang)),
              ("", figures.coverage_bars(run, "priority", lang=lang)),
              ("", figures.coverage_bars(run, "community", lang=lang)),
              ("", figures.distance_histogram(run, lang=lang)),
              ("", figures.load_histogram(run, lang=lang))]
    if run.schedule is not None and run.start is not None:
        images.append(("wide", figures.six_ones_heatmap(run, lang=lang)))
    if run.baseline is not None:
        images.append(("wide", figures.replan_comparison(run, lang=lang)))
    parts.append(f"<h2>{esc(t['figures'])}</h2><div class=\"figures\">" + "".join(
        f'<figure class="{cls}"><img alt="" src="data:image/png;base64,{_png(f)}"></figure>'
        for cls, f in images) + "</div>")

    parts.append(f"<h2>{esc(t['distance'])}</h2>" +
                 _table(metrics.distance_summary(run).to_frame("").T, names=names))
    words = {**names, "minutes": t["minutes"], "elders": t["elders_n"], "mean": t["mean"],
             "max": t["max"], "gini": t["gini"], "jain": t["jain"], "required": t["required"],
             "delivered": t["delivered"], "rate": t["rate"]}
    parts.append(f"<h2>{esc(t['fairness'])}</h2>" +
                 _table(metrics.fairness(run), index=True, names=words))

    if run.schedule is not None and run.start is not None:
        parts.append(f"<h2>{esc(t['six'])}</h2>" +
                     _table(metrics.fulfilment_summary(run), index=True, names=words))
        by_kind = run.summary.get("schedule", {}).get("unmet_by_kind", {})
        if by_kind:
            bounds = pd.DataFrame([{t["unmet_kind"]: names.get(k, k), t["count"]: v["unmet"],
                                    t["bound"]: v["lower_bound"]} for k, v in by_kind.items()])
            parts.append(_table(bounds))
        unmet = run.unmet if run.unmet is not None else pd.DataFrame()
        parts.append(f"<h2>{esc(t['unmet'])}</h2>" +
                     (_table(unmet, more=t["more"], names=names) or
                      f"<p>{esc(t['none'])}</p>"))

    if missed is not None:
        parts.append(f"<h2>{esc(t['missed'])}</h2>")
        frames = missed if isinstance(missed, tuple) else (missed,)
        for frame, key in zip(frames, ("elder_id", "volunteer_id"), strict=False):
            table = missed_by(frame, key)
            title = t["missed_elders"] if key == "elder_id" else t["missed_volunteers"]
            parts.append(f"<h3>{esc(title)}</h3>" +
                         (_table(table, more=t["more"], names=names, limit=MISSED_ROWS) or
                          f"<p>{esc(t['none'])}</p>"))
    parts.append(f"<h2>{esc(t['why_unassigned'])}</h2>" +
                 (_table(run.unassigned, more=t["more"], names=names) or
                  f"<p>{esc(t['none'])}</p>"))
    blocking = blocking_pairs(run)
    parts.append(f"<h2>{esc(t['stability'])} ({len(blocking)})</h2>"
                 f"<p class=\"note\">{esc(t['stability_note'])}</p>" +
                 (_table(blocking, more=t["more"], names=names) or
                  f"<p>{esc(t['none'])}</p>"))
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>{esc(t['title'])}</title><style>{_STYLE}</style></head><body>"
            f"{''.join(parts)}</body></html>\n")

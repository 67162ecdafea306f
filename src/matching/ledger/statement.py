"""A member's printable statement: every deposit and debit with its running balance."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping

import numpy as np
import pandas as pd

from matching.catalogue import say, word
from matching.ledger.book import Ledger, hours
from matching.outputs.printing import PRINT_STYLE, print_button
from matching.outputs.rota import service_name
from matching.world.columns import ELDER_ID

_STYLE = ("@page{size:A4;margin:15mm}body{font-family:'Noto Sans CJK SC','Source Han Sans SC',"
          "'Microsoft YaHei',sans-serif;font-size:12pt;color:#111;max-width:180mm;margin:2em auto}"
          "h1{font-size:20pt;margin:0}p.motto{color:#555;margin:.2em 0 1em}"
          "table{border-collapse:collapse;width:100%;margin:.6em 0}"
          "td,th{border:1px solid #999;padding:4px 8px;text-align:left}th{background:#eef3f8}"
          "td.n{text-align:right;font-variant-numeric:tabular-nums}"
          ".facts td{border:none;padding:2px 14px 2px 0}.big{font-size:16pt;font-weight:bold}"
          "@media print{body{margin:0}}" + PRINT_STYLE)

#: The words of a statement, by their codes under ``statement.``.
WORDS = ("title", "member", "as_of", "balance", "earned", "spent", "transferred", "donated",
         "expired", "hours", "date", "kind", "what", "rating", "change", "after", "service",
         "redeem", "transfer", "donation", "expiry", "none", "to", "from", "motto",
         "reversal")


def _calls_by_month(history: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The daily calls of each month, given or received, as one line each (dated on the
    month's last call, marked ``grouped``), the other entries as they are; the running
    balance recomputed in that order."""
    if history.empty:
        return history.assign(grouped=False)
    is_call = history["kind"].isin(("service", "redeem")) & (history["activity"] == "call") \
        & history["reverses"].isna()
    calls = history[is_call]
    label = say("activity.call", lang)
    summary = calls.groupby([calls["date"].dt.strftime("%Y-%m"), "kind"]).agg(
        date=("date", "max"), minutes=("minutes", "sum"), n=("date", "size")).reset_index(
        level="kind").reset_index(drop=True)
    summary["memo"] = [f"{label} × {n}" for n in summary["n"]]
    summary["tx_id"] = np.inf  # after the other entries of its day
    summary["grouped"] = True
    table = pd.concat([history[~is_call].assign(grouped=False), summary.drop(columns="n")],
                      ignore_index=True)
    table = table.sort_values(["date", "tx_id"], kind="stable").reset_index(drop=True)
    table["hours"] = table["minutes"].map(hours)
    table["balance_hours"] = table["minutes"].cumsum().map(hours)
    return table


def statement_html(ledger: Ledger, member: str, lang: str = "zh",
                   name: str = "", as_of: dt.date | None = None,
                   names: Mapping[str, str] | None = None) -> str:
    """The statement of one member, as a page of HTML, as of ``as_of`` (default: the last
    day in the ledger, so that the same ledger gives the same page). ``names`` gives the
    people it mentions (elders served, who stood in, relatives) by id: shown as
    ``name (id)``."""
    t = {key: say(f"statement.{key}", lang) for key in WORDS}
    esc = html.escape
    names = names or {}

    def who(key: object) -> str:
        key = "" if key is None or key != key else str(key)
        return f"{names[key]} ({key})" if names.get(key) else key
    history = ledger.history(member)
    totals = ledger.balances().set_index("member_id")
    row = totals.loc[member] if member in totals.index else None
    facts = [(t["member"], f"{name} ({member})" if name else member),
             (t["as_of"], as_of.isoformat() if as_of else ledger.last_date())]
    figures = []
    for key in ("earned", "spent", "transferred", "donated", "expired"):
        value = float(row[f"{key}_hours"]) if row is not None else 0.0
        if key in ("earned", "spent") or value:
            figures.append((t[key], f"{value:g} {t['hours']}"))
    balance = float(row["balance_hours"]) if row is not None else 0.0
    lines = []
    for r in _calls_by_month(history, lang).to_dict("records"):
        activity = word(f"activity.{r['activity']}", lang) \
            if isinstance(r["activity"], str) else ""
        if r["grouped"]:
            what = r["memo"]
        elif r["kind"] == "service":
            what = f"{activity} {who(r[ELDER_ID])}"
        elif r["kind"] == "redeem" and activity:  # care received, as the rota recorded it
            what = say("statement.given_by", lang, what=activity, who=who(r["done_by"]))
        elif r["kind"] == "transfer":
            what = f"{t['to'] if r['minutes'] < 0 else t['from']} {who(r['other'])}"
        elif r["kind"] == "redeem" and r["memo"]:
            what = service_name(r["memo"], lang) if " " not in r["memo"] else r["memo"]
        else:
            what = r["memo"] or ""
        rating = "★" * int(r["rating"]) if r["rating"] == r["rating"] and r["rating"] else ""
        kind = t.get(r["kind"], r["kind"])
        if r.get("reverses") == r.get("reverses") and r.get("reverses") is not None:
            kind = f"{t['reversal']}（{kind}）" if lang == "zh" else f"{t['reversal']} ({kind})"
        lines.append(f"<tr><td>{r['date']:%Y-%m-%d}</td><td>{esc(kind)}</td>"
                     f"<td>{esc(what.strip())}</td><td>{rating}</td>"
                     f"<td class=\"n\">{r['hours']:+g}</td>"
                     f"<td class=\"n\">{r['balance_hours']:g}</td></tr>")
    table = (f"<table><tr><th>{t['date']}</th><th>{t['kind']}</th><th>{t['what']}</th>"
             f"<th>{t['rating']}</th><th>{t['change']}</th><th>{t['after']}</th></tr>"
             f"{''.join(lines)}</table>" if lines else f"<p>{esc(t['none'])}</p>")
    return (f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
            f'<meta charset="utf-8">'
            f"<title>{esc(t['title'])}</title><style>{_STYLE}</style></head><body>"
            f"{print_button(lang)}<h1>{esc(t['title'])}</h1>"
            f"<p class=\"motto\">{esc(t['motto'])}</p>"
            f"<table class=\"facts\">" +
            "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in facts) +
            f"<tr><td>{esc(t['balance'])}</td><td class=\"big\">{balance:g} "
            f"{esc(t['hours'])}</td></tr>" +
            "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in figures) +
            f"</table>{table}</body></html>\n")

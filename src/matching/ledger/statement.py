"""A member's printable statement: every deposit and debit with its running balance."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from matching.catalogue import say, word
from matching.ledger.book import Ledger, hours
from matching.outputs.printing import PRINT_STYLE, print_button
from matching.outputs.rota import service_name
from matching.rules.exchange import SERVICES, service_words
from matching.world.columns import ELDER_ID

_STYLE = ("@page{size:A4;margin:15mm}body{font-family:'Noto Sans CJK SC','Source Han Sans SC',"
          "'Microsoft YaHei',sans-serif;font-size:12pt;color:#111;max-width:180mm;margin:2em auto}"
          "h1{font-size:20pt;margin:0}p.motto{color:#555;margin:.2em 0 1em}"
          "table{border-collapse:collapse;width:100%;margin:.6em 0}"
          "td,th{border:1px solid #999;padding:4px 8px;text-align:left}th{background:#eef3f8}"
          "td.n{text-align:right;font-variant-numeric:tabular-nums}"
          ".facts td{border:none;padding:2px 14px 2px 0}.big{font-size:16pt;font-weight:bold}"
          "@media print{body{margin:0}}" + PRINT_STYLE)

#: How a requested service's transactions name their request (``request/12``).
REQUEST_SOURCE = "request/"

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


@dataclass(frozen=True)
class Line:
    """One line of a statement or passbook."""

    date: str
    kind: str
    what: str
    rating: str
    hours: float
    balance: float


def statement_lines(ledger: Ledger, member: str, lang: str = "zh",
                    names: Mapping[str, str] | None = None) -> list[Line]:
    """A member's entries as a statement or passbook shows them, oldest first: ``date``
    (ISO), ``kind`` (in words), ``what``, ``rating`` (stars), ``hours`` (in or out) and
    ``balance`` after; a month's daily calls are one line. ``names`` gives the people it
    mentions by id (shown as ``name (id)``)."""
    t = {key: say(f"statement.{key}", lang) for key in WORDS}
    names = names or {}

    def who(key: object) -> str:
        key = "" if key is None or key != key else str(key)
        return f"{names[key]} ({key})" if names.get(key) else key
    lines: list[Line] = []
    for r in _calls_by_month(ledger.history(member), lang).to_dict("records"):
        activity = word(f"activity.{r['activity']}", lang) \
            if isinstance(r["activity"], str) else ""
        source = r["source"] if isinstance(r.get("source"), str) else ""
        if r["grouped"]:
            what = r["memo"]
        elif source.startswith(REQUEST_SOURCE) and " " in r["memo"]:
            asked, elder = r["memo"].split(" ", 1)
            what = f"{say(service_words(asked), lang) if asked in SERVICES else asked} " \
                   f"{who(elder)}"
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
        if r["kind"] == "service" and r["minutes"] < 0:  # a requested service paid for
            kind = t["redeem"]
        if r.get("reverses") == r.get("reverses") and r.get("reverses") is not None:
            kind = f"{t['reversal']}（{kind}）" if lang == "zh" else f"{t['reversal']} ({kind})"
        lines.append(Line(f"{r['date']:%Y-%m-%d}", kind, what.strip(), rating,
                          float(r["hours"]), float(r["balance_hours"])))
    return lines


def statement_html(ledger: Ledger, member: str, lang: str = "zh",
                   name: str = "", as_of: dt.date | None = None,
                   names: Mapping[str, str] | None = None) -> str:
    """The statement of one member, as a page of HTML, as of ``as_of`` (default: the last
    day in the ledger, so that the same ledger gives the same page). ``names`` gives the
    people it mentions (elders served, who stood in, relatives) by id: shown as
    ``name (id)``."""
    t = {key: say(f"statement.{key}", lang) for key in WORDS}
    esc = html.escape
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
    lines = [f"<tr><td>{r.date}</td><td>{esc(r.kind)}</td><td>{esc(r.what)}</td>"
             f"<td>{r.rating}</td><td class=\"n\">{r.hours:+g}</td>"
             f"<td class=\"n\">{r.balance:g}</td></tr>"
             for r in statement_lines(ledger, member, lang, names)]
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


#: Lines on one printed passbook page (a paper passbook's page holds about this many).
PASSBOOK_LINES_PER_PAGE = 20

_PASSBOOK_STYLE = (
    "@page{size:A5 landscape;margin:10mm}body{font-family:'Noto Sans CJK SC',"
    "'Source Han Sans SC','Microsoft YaHei',sans-serif;font-size:11pt;color:#111;margin:0}"
    ".page{break-after:page;padding:4mm 2mm}.page:last-child{break-after:auto}"
    "h1{font-size:15pt;margin:0 0 1mm}.head{display:flex;justify-content:space-between;"
    "font-size:10pt;color:#333;margin-bottom:2mm}"
    "table{border-collapse:collapse;width:100%}td,th{border:1px solid #777;padding:2px 6px;"
    "height:6.2mm}th{background:#f3efe3}td.n{text-align:right;"
    "font-variant-numeric:tabular-nums}" + PRINT_STYLE)


def passbook_html(ledger: Ledger, member: str, lang: str = "zh", name: str = "",
                  names: Mapping[str, str] | None = None) -> str:
    """A member's passbook (存折) as pages to print for those without a smartphone:
    :data:`PASSBOOK_LINES_PER_PAGE` ruled lines a page, each a deposit or a withdrawal
    with the running balance, each page opening with the balance brought forward."""
    esc = html.escape
    t = {key: say(f"passbook.{key}", lang) for key in PASSBOOK_WORDS}
    lines = statement_lines(ledger, member, lang, names)
    pages = [lines[k:k + PASSBOOK_LINES_PER_PAGE]
             for k in range(0, len(lines), PASSBOOK_LINES_PER_PAGE)] or [[]]
    who = f"{name}（{member}）" if name and lang == "zh" else \
        f"{name} ({member})" if name else member
    out = []
    carried = 0.0
    for number, page in enumerate(pages, 1):
        rows = [f"<tr><td></td><td>{esc(t['brought_forward'])}</td><td></td><td></td>"
                f"<td class=\"n\">{carried:g}</td></tr>"] if number > 1 else []
        for r in page:
            hours_in = f"{r.hours:g}" if r.hours > 0 else ""
            hours_out = f"{-r.hours:g}" if r.hours < 0 else ""
            rows.append(f"<tr><td>{r.date}</td><td>{esc(r.kind)} {esc(r.what)}</td>"
                        f"<td class=\"n\">{hours_in}</td><td class=\"n\">{hours_out}</td>"
                        f"<td class=\"n\">{r.balance:g}</td></tr>")
            carried = r.balance
        rows += ["<tr><td></td><td></td><td></td><td></td><td></td></tr>"] * (
            PASSBOOK_LINES_PER_PAGE - len(page))
        out.append(f'<section class="page"><h1>{esc(t["title"])}</h1>'
                   f'<div class="head"><span>{esc(t["member"])}：{esc(who)}</span>'
                   f'<span>{esc(say("passbook.page", lang, n=number, of=len(pages)))}</span></div>'
                   f"<table><tr><th>{esc(t['date'])}</th><th>{esc(t['what'])}</th>"
                   f"<th>{esc(t['in'])}</th><th>{esc(t['out'])}</th>"
                   f"<th>{esc(t['balance'])}</th></tr>{''.join(rows)}</table></section>")
    return (f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
            f'<meta charset="utf-8"><title>{esc(t["title"])}</title>'
            f"<style>{_PASSBOOK_STYLE}</style></head><body>{print_button(lang)}"
            f"{''.join(out)}</body></html>\n")


#: The words of a passbook, by their codes under ``passbook.``.
PASSBOOK_WORDS = ("title", "member", "date", "what", "in", "out", "balance",
                  "brought_forward")

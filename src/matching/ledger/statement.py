"""A member's printable statement: every deposit and debit with its running balance."""

from __future__ import annotations

import datetime as dt
import html

import numpy as np
import pandas as pd

from matching.ledger.book import Ledger, hours
from matching.outputs.rota import LABELS, service_name

_TEXT = {
    "zh": {"title": "时间银行账户对账单", "member": "会员", "as_of": "截至", "balance": "当前余额",
           "earned": "累计存入", "spent": "兑换服务", "transferred": "转赠（净）",
           "donated": "捐赠", "expired": "过期", "hours": "小时", "date": "日期", "kind": "类型",
           "what": "内容", "rating": "评价", "change": "时长变动", "after": "余额",
           "service": "服务存入", "redeem": "兑换服务", "transfer": "转赠", "donation": "捐赠",
           "expiry": "过期", "none": "暂无记录", "to": "给", "from": "来自",
           "motto": "今天我服务，明天我被服务", "given_by": "{what}（{who} 服务）"},
    "en": {"title": "Time bank statement", "member": "Member", "as_of": "As of",
           "balance": "Balance", "earned": "Earned", "spent": "Spent on care",
           "transferred": "Transferred (net)", "donated": "Donated", "expired": "Expired",
           "hours": "h", "date": "Date", "kind": "Kind", "what": "What", "rating": "Rating",
           "change": "Hours", "after": "Balance", "service": "Service given",
           "redeem": "Care received", "transfer": "Transfer", "donation": "Donation",
           "expiry": "Expired", "none": "No entries yet", "to": "to", "from": "from",
           "motto": "Today I serve, tomorrow I am served", "given_by": "{what} by {who}"},
}

_STYLE = ("@page{size:A4;margin:15mm}body{font-family:'Noto Sans CJK SC','Source Han Sans SC',"
          "'Microsoft YaHei',sans-serif;font-size:12pt;color:#111;max-width:180mm;margin:2em auto}"
          "h1{font-size:20pt;margin:0}p.motto{color:#555;margin:.2em 0 1em}"
          "table{border-collapse:collapse;width:100%;margin:.6em 0}"
          "td,th{border:1px solid #999;padding:4px 8px;text-align:left}th{background:#eef3f8}"
          "td.n{text-align:right;font-variant-numeric:tabular-nums}"
          ".facts td{border:none;padding:2px 14px 2px 0}.big{font-size:16pt;font-weight:bold}"
          "@media print{body{margin:0}}")


def _calls_by_month(history: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The daily calls of each month, given or received, as one line each (dated on the
    month's last call, marked ``grouped``), the other entries as they are; the running
    balance recomputed in that order."""
    if history.empty:
        return history.assign(grouped=False)
    is_call = history["kind"].isin(("service", "redeem")) & (history["activity"] == "call")
    calls = history[is_call]
    label = LABELS[lang]["call"]
    summary = calls.groupby([calls["date"].str[:7], "kind"]).agg(
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
                   name: str = "", as_of: dt.date | None = None) -> str:
    """The statement of one member, as a page of HTML, as of ``as_of`` (default: the last
    day in the ledger, so that the same ledger gives the same page)."""
    t = _TEXT[lang]
    esc = html.escape
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
        activity = LABELS[lang].get(r["activity"], r["activity"]) \
            if isinstance(r["activity"], str) else ""
        if r["grouped"]:
            what = r["memo"]
        elif r["kind"] == "service":
            what = f"{activity} {r['elder_id'] or ''}"
        elif r["kind"] == "redeem" and activity:  # care received, as the rota recorded it
            what = t["given_by"].format(what=activity, who=r["done_by"])
        elif r["kind"] == "transfer":
            what = f"{t['to'] if r['minutes'] < 0 else t['from']} {r['other'] or ''}"
        elif r["kind"] == "redeem" and r["memo"]:
            what = service_name(r["memo"], lang) if " " not in r["memo"] else r["memo"]
        else:
            what = r["memo"] or ""
        rating = "★" * int(r["rating"]) if r["rating"] == r["rating"] and r["rating"] else ""
        kind = t.get(r["kind"], r["kind"])
        lines.append(f"<tr><td>{esc(r['date'])}</td><td>{esc(kind)}</td>"
                     f"<td>{esc(what.strip())}</td><td>{rating}</td>"
                     f"<td class=\"n\">{r['hours']:+g}</td>"
                     f"<td class=\"n\">{r['balance_hours']:g}</td></tr>")
    table = (f"<table><tr><th>{t['date']}</th><th>{t['kind']}</th><th>{t['what']}</th>"
             f"<th>{t['rating']}</th><th>{t['change']}</th><th>{t['after']}</th></tr>"
             f"{''.join(lines)}</table>" if lines else f"<p>{esc(t['none'])}</p>")
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>{esc(t['title'])}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{esc(t['title'])}</h1><p class=\"motto\">{esc(t['motto'])}</p>"
            f"<table class=\"facts\">" +
            "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in facts) +
            f"<tr><td>{esc(t['balance'])}</td><td class=\"big\">{balance:g} "
            f"{esc(t['hours'])}</td></tr>" +
            "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in figures) +
            f"</table>{table}</body></html>\n")

"""One ledger for an alliance of programmes (通存通兑): where hours were earned and spent,
the flows between communities month by month, and the monthly settlement.

Each transaction says the programme it happened in, and each member's account the programme
it belongs to (where it was first credited). Hours a member of one programme spends on a
service given in another flow from the first to the second; the settlement nets them.
"""

from __future__ import annotations

import pandas as pd

from matching.ledger.book import POOL, Ledger, hours

#: The settlement's columns, in order.
SETTLEMENT_COLUMNS = ("month", "programme", "earned_hours", "spent_hours",
                      "spent_here_by_others_hours", "spent_elsewhere_by_members_hours",
                      "net_hours")


def homes(ledger: Ledger) -> dict[str, str]:
    """Each member's home programme (``""`` when the ledger never said)."""
    return {str(a): str(p) for a, p in ledger.conn.execute(
        "SELECT account_id, programme FROM accounts WHERE kind = 'member'")}


def movements(ledger: Ledger) -> pd.DataFrame:
    """Every member's credit or spend: ``month, programme`` (where it happened), ``home``
    (the member's programme), ``member_id, kind`` (``earned`` or ``spent``), ``minutes``."""
    rows = ledger.conn.execute(
        "SELECT substr(t.date, 1, 7), t.programme, a.programme, e.account_id, t.kind, "
        "e.minutes FROM entries e JOIN transactions t USING (tx_id) JOIN accounts a "
        "USING (account_id) WHERE e.account_id != ? AND t.kind IN ('service', 'redeem')",
        (POOL,)).fetchall()
    table = pd.DataFrame(rows, columns=["month", "programme", "home", "member_id", "tx_kind",
                                        "minutes"])
    # a service credits whoever served it; a redemption, or a requested service's debit
    # of its payer, is spent
    table["kind"] = ["earned" if kind == "service" and minutes > 0 else "spent"
                     for kind, minutes in zip(table["tx_kind"], table["minutes"], strict=True)]
    table.loc[table["kind"] == "spent", "minutes"] *= -1
    return table.drop(columns="tx_kind")


def flows(ledger: Ledger) -> pd.DataFrame:
    """Hours spent month by month, by where the spender belongs (``from``) and where the
    service was given (``to``): ``month, from, to, hours``."""
    table = movements(ledger)
    spent = table[table["kind"] == "spent"]
    if spent.empty:
        return pd.DataFrame(columns=["month", "from", "to", "hours"])
    out = (spent.groupby(["month", "home", "programme"], as_index=False)["minutes"].sum()
           .rename(columns={"home": "from", "programme": "to"}))
    out["hours"] = out["minutes"].map(hours)
    return out[["month", "from", "to", "hours"]].sort_values(["month", "from", "to"],
                                                            ignore_index=True)


def settlement(ledger: Ledger, month: str | None = None) -> pd.DataFrame:
    """Each programme's month: hours earned there, spent there, spent there by other
    programmes' members, spent elsewhere by its own members, and the net (what its members
    spent elsewhere less what others spent there: above zero, it owes the alliance)."""
    table = movements(ledger)
    if month is not None:
        table = table[table["month"] == month]
    rows = []
    for (mon, programme) in sorted({*zip(table["month"], table["programme"], strict=True),
                                    *zip(table["month"], table["home"], strict=True)}):
        here = table[(table["month"] == mon) & (table["programme"] == programme)]
        mine = table[(table["month"] == mon) & (table["home"] == programme)]
        earned = int(here.loc[here["kind"] == "earned", "minutes"].sum())
        spent = int(here.loc[here["kind"] == "spent", "minutes"].sum())
        by_others = int(here.loc[(here["kind"] == "spent") & (here["home"] != programme),
                                 "minutes"].sum())
        elsewhere = int(mine.loc[(mine["kind"] == "spent") & (mine["programme"] != programme),
                                 "minutes"].sum())
        rows.append((mon, programme, hours(earned), hours(spent), hours(by_others),
                     hours(elsewhere), hours(elsewhere - by_others)))
    return pd.DataFrame(rows, columns=list(SETTLEMENT_COLUMNS))

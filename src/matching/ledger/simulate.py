"""A seeded marked rota: what a quarter's ``DONE.csv`` might look like, for trying the time
bank and for tests. Most activities are done; a few are missed or done by someone else; most
visits and services are rated, mostly well."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from matching.rules.timebank import TimebankRules
from matching.world.columns import ELDER_ID, VOLUNTEER_ID

#: Activities that are rated (calls and events are not).
RATED = ("visit", "service", "birthday")
_LOW_COMMENTS = ("迟到了", "时间太短", "没有按约定来", "态度不耐烦")
_GOOD_COMMENTS = ("", "", "", "很用心", "聊得很开心", "准时", "帮了大忙")


@dataclass(frozen=True)
class Marking:
    """How often things go which way."""

    missed: float = 0.03
    replaced: float = 0.03
    other_length: float = 0.10
    rated: float = 0.7
    low: float = 0.05


def simulate_done(schedule: pd.DataFrame, seed: int = 0,
                  marking: Marking | None = None,
                  rules: TimebankRules | None = None) -> pd.DataFrame:
    """Mark every row of a schedule (text cells) as a coordinator would after the fact,
    each length within what ``rules`` allow."""
    m = marking or Marking()
    rules = rules or TimebankRules()
    rng = np.random.default_rng(seed)
    s = schedule.reset_index(drop=True)
    n = len(s)
    draw = rng.random(n)
    status = np.where(draw < m.missed, "missed",
                      np.where(draw < m.missed + m.replaced, "replaced", "done"))
    visitors = s[s["activity"] == "visit"].groupby(ELDER_ID)[VOLUNTEER_ID].agg(
        lambda v: sorted(set(v)))
    everyone = sorted(set(s[VOLUNTEER_ID]))
    done_by = [""] * n
    for i in np.flatnonzero(status == "replaced"):
        planned = s.at[i, VOLUNTEER_ID]
        others = [v for v in visitors.get(s.at[i, ELDER_ID], []) if v != planned] or \
            [v for v in everyone if v != planned]
        if not others:
            status[i] = "done"
            continue
        done_by[i] = others[int(rng.integers(len(others)))]
    planned_minutes = pd.to_numeric(s["minutes"]).to_numpy(float)
    other = rng.random(n) < m.other_length
    change = rng.integers(-15, 16, n)
    least, share = rules.least_minutes, rules.most_minutes_share
    lengths = np.clip(planned_minutes + change, least, np.maximum(least, share * planned_minutes))
    minutes = np.where(other & (status != "missed"), np.round(lengths), np.nan)
    rated = (rng.random(n) < m.rated) & s["activity"].isin(RATED).to_numpy() & \
        (status != "missed")
    low = rng.random(n) < m.low
    rating = np.where(rated, np.where(low, rng.integers(1, 3, n), rng.integers(4, 6, n)), 0)
    comments = [(_LOW_COMMENTS if lo else _GOOD_COMMENTS)[int(rng.integers(
        len(_LOW_COMMENTS if lo else _GOOD_COMMENTS)))] if r else ""
        for r, lo in zip(rating, low, strict=True)]
    return pd.DataFrame({
        "date": s["date"], "activity": s["activity"], VOLUNTEER_ID: s[VOLUNTEER_ID],
        ELDER_ID: s[ELDER_ID], "status": status, "done_by": done_by,
        "minutes": [f"{x:g}" if x == x else "" for x in minutes],
        "rating": [str(r) if r else "" for r in rating], "comment": comments})

"""Feasible plans from relaxed ones: the week that fits, repair and fill.

A relaxation (a flow without the weekly minutes, a priced flow) may overfill a volunteer's
week. These turn its plan into one that keeps every rule, for the upper bounds and for a
search the time limit stopped.
"""

from __future__ import annotations

import numpy as np

from matching.pairing.arcmodel import ArcModel
from matching.pairing.arrays import grouped_order


def count_fitting_week(arc_v: np.ndarray, arc_load: np.ndarray, cap_count: np.ndarray,
                        cap_load: np.ndarray) -> np.ndarray:
    """Per volunteer, ``min(max_elders, most elders whose smallest loads fit the week)``."""
    order = grouped_order(arc_v, arc_load)
    v, load = arc_v[order], arc_load[order]
    if not len(v):
        return np.zeros(len(cap_count), dtype=np.int64)
    cum = np.cumsum(load)
    starts = np.flatnonzero(np.r_[True, v[1:] != v[:-1]])
    base = np.repeat(cum[starts] - load[starts], np.diff(np.r_[starts, len(v)]))
    fits = (cum - base) <= cap_load[v]
    fitting = np.bincount(v[fits], minlength=len(cap_count))
    return np.minimum(cap_count, fitting).astype(np.int64)


def repair(a: ArcModel, used: np.ndarray) -> np.ndarray:
    """Make a relaxed plan feasible: overfull volunteers drop their least valuable elders
    (lowest priority, then largest load) until their week fits; then :func:`fill`."""
    used = used.copy()
    load = a.loads(used)
    count = a.counts(used)
    over = (load > a.cap_load) | (count > a.cap_count)
    # every overfull volunteer's pairs at once (a scan per volunteer is quadratic when a
    # priced flow overloads thousands), each volunteer's least valuable first
    mine = np.flatnonzero(used & over[a.arc_v])
    order = np.lexsort((-a.arc_load[mine], a.priority[a.arc_e[mine]], a.arc_v[mine]))
    for k in mine[order].tolist():
        v = a.arc_v[k]
        if load[v] <= a.cap_load[v] and count[v] <= a.cap_count[v]:
            continue
        used[k] = False
        load[v] -= a.arc_load[k]
        count[v] -= 1
    return fill(a, used)


def fill(a: ArcModel, used: np.ndarray) -> np.ndarray:
    """Give every uncovered elder (highest priority first) the cheapest eligible volunteer
    who still has room, if there is one. Arcs must be sorted by elder."""
    used = used.copy()
    count = a.counts(used)
    load = a.loads(used)
    if not len(a.arc_e):
        return used
    covered = np.zeros(int(a.arc_e.max()) + 1, dtype=bool)
    covered[a.arc_e[used]] = True
    starts = np.flatnonzero(np.r_[True, a.arc_e[1:] != a.arc_e[:-1]])
    ends = np.r_[starts[1:], len(a.arc_e)]
    elders = a.arc_e[starts]
    open_ = np.flatnonzero(~covered[elders])
    for i in open_[np.argsort(-a.priority[elders[open_]], kind="stable")].tolist():
        lo, hi = starts[i], ends[i]
        v = a.arc_v[lo:hi]
        ok = (count[v] < a.cap_count[v]) & (load[v] + a.arc_load[lo:hi] <= a.cap_load[v])
        if ok.any():
            pick = lo + np.flatnonzero(ok)[np.argmin(a.arc_cost[lo:hi][ok])]
            used[pick] = True
            count[a.arc_v[pick]] += 1
            load[a.arc_v[pick]] += a.arc_load[pick]
    return used

"""Prices for weekly minutes from an LP relaxation strengthened by knapsack cover cuts.

When a few volunteers' weeks overflow in the min-cost flow, the flow is still optimal for
everyone else, and the true optimum differs from it only around those volunteers. Their
weekly-minute rows, added to the flow's LP, close part of the gap; the rest is the
knapsack's integrality (a volunteer cannot keep a fraction of an elder), which *extended
cover inequalities* close (Balas 1975; Wolsey, *Integer Programming*, ch. 9): for arcs ``C``
of one volunteer whose loads together overflow the week,

    sum of x over C and over the volunteer's arcs at least as heavy as C's heaviest <= |C| - 1.

The LP is solved by HiGHS over a few columns per elder (column generation: every other pair
is priced with the duals and joins if its reduced cost is negative); minute rows join when
the LP overflows a week, cover cuts when they cut off its solution. This is relax-and-cut:
the rows' duals are Lagrangian prices, which :mod:`matching.pairing.solver` puts on the flow's arcs
to get an exact, integer lower bound and reduced costs for pruning. HiGHS's tolerances
therefore never decide a proof; they only make the prices better or worse.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import highspy
import numpy as np
from scipy.sparse import coo_matrix

from matching.pairing.highs import silent_highs

#: Columns of negative reduced cost each elder may gain in one pricing round.
ENTERING_PER_ELDER = 5

#: Rounds of solve, price, separate; each adds columns, rows or cuts, and the loop ends
#: when a round adds nothing.
MAX_ROUNDS = 200

#: An LP value this close to 0 or 1 counts as integral; a reduced cost below minus this
#: enters; a cut must be violated by more than this to be added.
TOLERANCE = 1e-6


@dataclass
class Prices:
    """What the relaxation leaves for the flow.

    Attributes
    ----------
    arc_price
        Per arc, the (non-negative) cost its minutes and cover cuts add under the duals.
    constant
        What the priced rows give back: ``sum(minute price * week) + sum(cut price * rhs)``;
        a flow over ``cost + arc_price`` minus this bounds the optimum from below.
    plan
        The LP's solution when it is integral (a plan that keeps every rule), else ``None``.
    stats
        Rounds, columns, minute rows and cuts.
    """

    arc_price: np.ndarray
    constant: float
    plan: np.ndarray | None
    stats: dict[str, int] = field(default_factory=dict)


def cover_cut_prices(arc_v: np.ndarray, arc_e: np.ndarray, arc_cost: np.ndarray,
                     arc_load: np.ndarray, cap_count: np.ndarray, cap_load: np.ndarray,
                     priority: np.ndarray, first: np.ndarray, served: int,
                     shortfall_cost: float, deadline: float) -> Prices | None:
    """Solve the LP relaxation with minute rows and cover cuts; return its prices.

    Parameters
    ----------
    arc_v, arc_e, arc_cost, arc_load
        The pairs: volunteer, elder, cost and weekly load.
    cap_count, cap_load
        Each volunteer's elder limit and weekly load limit.
    priority
        Each elder's priority.
    first
        Columns to start from (for example each elder's cheapest pairs and a plan's pairs).
    served
        The plan must serve at least this total priority (the flow's: a bound the plans
        are meant to reach).
    shortfall_cost
        Cost of each unit of priority the LP does not serve: more than any saving in cost
        (the flow's lexicographic weight), so the LP's objective is the plan's, priority
        first, and a restricted LP whose columns cannot serve ``served`` stays feasible.
    deadline
        ``time.perf_counter()`` value at which the loop stops with the prices it has.

    Returns
    -------
    Prices or None
        ``None`` when HiGHS solved no LP in the time.
    """
    lp = _CutLp(arc_v, arc_e, arc_cost, arc_load, cap_count, cap_load, priority, served,
                shortfall_cost)
    lp.add_columns(np.flatnonzero(first))
    rounds = 0
    while rounds < MAX_ROUNDS and time.perf_counter() < deadline:
        rounds += 1
        lp.highs.setOptionValue("time_limit", max(0.01, deadline - time.perf_counter()))
        lp.highs.run()
        status = lp.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            break
        lp.read_solution()
        added = lp.add_entering_columns() + lp.add_overflowing_weeks() + lp.add_covers()
        if not added:
            break
    if lp.x is None:
        return None
    return lp.prices(rounds)


class _CutLp:
    """The restricted LP: rows for elders, elder limits, the priority served, weekly
    minutes (lazily) and cover cuts; columns for some pairs."""

    def __init__(self, arc_v: np.ndarray, arc_e: np.ndarray, arc_cost: np.ndarray,
                 arc_load: np.ndarray, cap_count: np.ndarray, cap_load: np.ndarray,
                 priority: np.ndarray, served: int, shortfall_cost: float) -> None:
        self.v, self.e, self.cost, self.load = arc_v, arc_e, arc_cost, arc_load
        self.cap_load, self.priority = cap_load, priority
        self.nv, self.ne = len(cap_count), len(priority)
        self.highs = silent_highs()
        # serial simplex; the thread count is left alone: HiGHS's scheduler is one per
        # process, and once another solve (the neighbourhood search's MIP) has started it
        # with more threads, asking for 1 here fails the run, and the cuts were lost
        self.highs.setOptionValue("parallel", "off")
        inf = highspy.kHighsInf
        # rows: elders 0..ne-1, elder limits ne..ne+nv-1, then the priority served
        self.priority_row = self.ne + self.nv
        lower = np.r_[np.full(self.ne + self.nv, -inf), float(served)]
        upper = np.r_[np.ones(self.ne), cap_count.astype(float), inf]
        self.highs.addRows(len(lower), lower, upper, 0, np.zeros(0, np.int32),
                           np.zeros(0, np.int32), np.zeros(0))
        # column 0: the priority not served yet; then one column per pair that joined
        self.highs.addCols(1, np.array([shortfall_cost]), np.zeros(1),
                           np.full(1, highspy.kHighsInf), 1, np.zeros(1, np.int32),
                           np.array([self.priority_row], np.int32), np.ones(1))
        self.shortfall = 0.0
        self.columns = np.zeros(0, dtype=np.int64)
        self.column_of = np.full(len(arc_v), -1, dtype=np.int64)
        self.minute_row = np.full(self.nv, -1, dtype=np.int64)
        self.cuts: list[tuple[np.ndarray, int, int]] = []  # (member arcs, row, right side)
        self.cut_keys: set[tuple[int, ...]] = set()
        self.x: np.ndarray | None = None
        self._by_volunteer: tuple[np.ndarray, np.ndarray] | None = None
        self.x_arcs = np.zeros(0, dtype=np.int64)
        self.row_dual = np.zeros(0)

    # ---- columns -------------------------------------------------------------------
    def add_columns(self, arcs: np.ndarray) -> None:
        arcs = arcs[self.column_of[arcs] < 0]
        if not len(arcs):
            return
        n = len(arcs)
        local = np.arange(n)
        v, e = self.v[arcs], self.e[arcs]
        rows = [e, self.ne + v, np.full(n, self.priority_row)]
        cols = [local, local, local]
        vals = [np.ones(n), np.ones(n), self.priority[e].astype(float)]
        row_of_week = self.minute_row[v]
        has_week = row_of_week >= 0
        rows.append(row_of_week[has_week])
        cols.append(local[has_week])
        vals.append(self.load[arcs][has_week].astype(float))
        position = np.full(len(self.v), -1, dtype=np.int64)
        position[arcs] = local
        for members, row, _ in self.cuts:
            inside = position[members]
            inside = inside[inside >= 0]
            rows.append(np.full(len(inside), row))
            cols.append(inside)
            vals.append(np.ones(len(inside)))
        matrix = coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                            shape=(self.highs.getNumRow(), n)).tocsc()
        self.highs.addCols(n, self.cost[arcs].astype(float), np.zeros(n),
                           np.full(n, highspy.kHighsInf), matrix.nnz,
                           matrix.indptr.astype(np.int32), matrix.indices.astype(np.int32),
                           matrix.data)
        self.column_of[arcs] = 1 + len(self.columns) + local
        self.columns = np.r_[self.columns, arcs]

    def _add_row(self, arcs: np.ndarray, coefficients: np.ndarray, upper: float) -> int:
        """A row ``sum(coefficients * x[arcs]) <= upper`` over the arcs that are columns."""
        col = self.column_of[arcs]
        present = col >= 0
        row = self.highs.getNumRow()
        self.highs.addRow(-highspy.kHighsInf, upper, int(present.sum()),
                          col[present].astype(np.int32), coefficients[present].astype(float))
        return row

    # ---- solve, price, separate -------------------------------------------------------
    def read_solution(self) -> None:
        solution = self.highs.getSolution()
        values = np.asarray(solution.col_value)
        self.shortfall, self.x = float(values[0]), values[1:]
        self.x_arcs = self.columns.copy()  # the columns x is over (more may join later)
        self.row_dual = np.asarray(solution.row_dual)

    def reduced_costs(self) -> np.ndarray:
        """Reduced cost of every arc under the current duals (HiGHS: ``c - A'y``)."""
        y = self.row_dual
        week = np.zeros(self.nv)
        has = self.minute_row >= 0
        week[has] = y[self.minute_row[has]]
        rc = (self.cost - y[self.e] - y[self.ne + self.v] - week[self.v] * self.load
              - y[self.priority_row] * self.priority[self.e])
        for members, row, _ in self.cuts:
            rc[members] -= y[row]
        return rc

    def add_entering_columns(self) -> int:
        rc = self.reduced_costs()
        entering = np.flatnonzero((self.column_of < 0) & (rc < -TOLERANCE))
        if not len(entering):
            return 0
        # each elder's most negative few
        order = entering[np.lexsort((rc[entering], self.e[entering]))]
        e = self.e[order]
        starts = np.flatnonzero(np.r_[True, e[1:] != e[:-1]])
        rank = np.arange(len(e)) - np.repeat(starts, np.diff(np.r_[starts, len(e)]))
        chosen = np.sort(order[rank < ENTERING_PER_ELDER])
        self.add_columns(chosen)
        return len(chosen)

    def _weekly_loads(self) -> np.ndarray:
        return np.bincount(self.v[self.x_arcs], weights=self.x * self.load[self.x_arcs],
                           minlength=self.nv)

    def add_overflowing_weeks(self) -> int:
        over = np.flatnonzero((self._weekly_loads() > self.cap_load + TOLERANCE)
                              & (self.minute_row < 0))
        for volunteer in over.tolist():
            arcs = self._arcs_of(volunteer)
            self.minute_row[volunteer] = self._add_row(arcs, self.load[arcs],
                                                       float(self.cap_load[volunteer]))
        return len(over)

    def solution(self) -> np.ndarray:
        """The last LP solution's values on :attr:`x_arcs` (after a solve)."""
        if self.x is None:
            raise RuntimeError("the LP has not been solved yet")
        return self.x

    def _arcs_of(self, volunteer: int) -> np.ndarray:
        if self._by_volunteer is None:  # once, when a first week or cut needs it
            order = np.argsort(self.v, kind="stable")
            starts = np.searchsorted(self.v[order], np.arange(self.nv + 1))
            self._by_volunteer = (order, starts)
        order, starts = self._by_volunteer
        return order[starts[volunteer]:starts[volunteer + 1]]

    def add_covers(self) -> int:
        """Extended covers violated by the LP solution, one per volunteer at most."""
        x = self.solution()
        fractional = (x > TOLERANCE) & (x < 1 - TOLERANCE)
        added = 0
        for volunteer in np.unique(self.v[self.x_arcs[fractional]]).tolist():
            cover = self._cover(volunteer)
            if cover is None:
                continue
            arcs = self._arcs_of(volunteer)
            heaviest = self.load[cover].max()
            members = arcs[np.isin(arcs, cover) | (self.load[arcs] >= heaviest)]
            key = (volunteer, *members.tolist())
            if key in self.cut_keys:
                continue
            self.cut_keys.add(key)
            row = self._add_row(members, np.ones(len(members)), float(len(cover) - 1))
            self.cuts.append((members, row, len(cover) - 1))
            added += 1
        return added

    def _cover(self, volunteer: int) -> np.ndarray | None:
        """A minimal cover of ``volunteer``'s week that the LP solution violates, found
        greedily: the arcs it uses most fully, per minute, until the week overflows."""
        mine = np.flatnonzero(self.v[self.x_arcs] == volunteer)
        solution = self.solution()
        mine = mine[solution[mine] > TOLERANCE]
        arcs, x = self.x_arcs[mine], solution[mine]
        load = self.load[arcs].astype(float)
        order = np.lexsort((arcs, (1 - x) / load))
        cumulative = np.cumsum(load[order])
        enough = np.flatnonzero(cumulative > self.cap_load[volunteer])
        if not len(enough):
            return None
        chosen = order[:enough[0] + 1]
        # minimal: drop the lightest while what is left still overflows
        chosen = chosen[np.argsort(load[chosen], kind="stable")]
        total = load[chosen].sum()
        while len(chosen) > 1 and total - load[chosen[0]] > self.cap_load[volunteer]:
            total -= load[chosen[0]]
            chosen = chosen[1:]
        if x[chosen].sum() - (len(chosen) - 1) <= TOLERANCE:
            return None
        return arcs[chosen]

    def prices(self, rounds: int) -> Prices:
        # rows added after the last solve have no dual yet: price 0, which is still valid
        y = np.r_[self.row_dual, np.zeros(self.highs.getNumRow() - len(self.row_dual))]
        arc_price = np.zeros(len(self.v))
        constant = 0.0
        for volunteer in np.flatnonzero(self.minute_row >= 0).tolist():
            price = max(0.0, -y[self.minute_row[volunteer]])
            if price > 0:
                arcs = self._arcs_of(volunteer)
                arc_price[arcs] += price * self.load[arcs]
                constant += price * float(self.cap_load[volunteer])
        for members, row, right_side in self.cuts:
            price = max(0.0, -y[row])
            arc_price[members] += price
            constant += price * right_side
        x = self.solution()
        integral = bool(np.all((x < TOLERANCE) | (x > 1 - TOLERANCE)))
        plan = None
        if integral:
            plan = np.zeros(len(self.v), dtype=bool)
            plan[self.x_arcs[x > 0.5]] = True
        return Prices(arc_price=arc_price, constant=constant, plan=plan,
                      stats={"lp_rounds": rounds, "lp_columns": len(self.columns),
                             "lp_week_rows": int((self.minute_row >= 0).sum()),
                             "cover_cuts": len(self.cuts)})

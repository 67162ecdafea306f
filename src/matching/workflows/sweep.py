"""A scenario's sweep: its world paired again as a growing share of its volunteers leaves,
written as one folder (``matching sweep``)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from matching.analysis.figures import sweep_curves
from matching.analysis.leave_sweep import Sweep, sweep
from matching.outputs.write import versions, write_outputs
from matching.runtime.cluster import Cluster, open_cluster
from matching.workflows.plan import Context
from matching.workflows.scenario import Scenario
from matching.workflows.whatif import scenario_world
from matching.world.columns import VOLUNTEER_ID

#: Resolution of the sweep's figure.
FIGURE_DPI = 120


def sweep_scenario(sc: Scenario, leave: Sequence[float], out: str | Path,
                   context: Context, *, recruit_at: str | None = None, among: str = "all",
                   orders: int = 1, kind: str = "random", find: bool = False,
                   time_limit: float | None = None, lang: str = "zh") -> Sweep:
    """Sweep the scenario's world over the shares ``leave`` and write ``out``:
    ``sweep.csv`` (one row per share), ``sweep_communities.csv``, ``leaving_order.csv``,
    ``recruits.csv`` (with ``recruit_at``), ``thresholds.csv`` (with ``find``),
    ``sweep_orders.csv`` and ``leaving_orders.csv`` (with several ``orders``), ``sweep.png``
    and ``run.json``.

    ``time_limit`` is each point's (default: the scenario's ``[solver] time_limit``); the
    scenario's cluster, or the context's, solves the points.
    """
    context.progress("reading", "reading inputs")
    world = scenario_world(sc)
    per_point = sc.time_limit if time_limit is None else time_limit
    shares = list(leave)

    def done(k: int, n: int) -> None:
        context.progress("sweep", f"point {k} of {n} solved", done=k / n, point=k, points=n)

    def swept(cluster: Cluster | None, progress: Callable[[int, int], None] | None) -> Sweep:
        return sweep(world, shares, seed=sc.seed, time_limit=per_point, workers=sc.workers,
                     recruit_at=recruit_at, among=among, orders=orders, kind=kind, find=find,
                     cluster=cluster, progress=progress)

    if context.cluster is None and sc.cluster is not None:
        with open_cluster(sc.cluster) as cluster:
            result = swept(cluster, None)
    else:
        result = swept(context.cluster, done)
    figure = sweep_curves(result, world.rules, lang)
    png = io.BytesIO()
    figure.savefig(png, format="png", dpi=FIGURE_DPI, metadata={"Software": None})
    tables = {"sweep.csv": result.points, "sweep_communities.csv": result.communities,
              "leaving_order.csv": pd.DataFrame({"order": range(1, len(result.leaving_order)
                                                                + 1),
                                                 VOLUNTEER_ID: result.leaving_order})}
    if result.recruits is not None:
        tables["recruits.csv"] = result.recruits
    if result.townships is not None:
        tables["sweep_townships.csv"] = result.townships
    if result.thresholds is not None:
        tables["thresholds.csv"] = (result.thresholds.drop(columns="order") if orders == 1
                                    else result.thresholds)
    if result.by_order is not None:
        tables["sweep_orders.csv"] = result.by_order
        tables["leaving_orders.csv"] = pd.DataFrame(
            [{"order": k + 1, "position": i + 1, VOLUNTEER_ID: v}
             for k, order in enumerate(result.leaving_orders) for i, v in enumerate(order)])
    record = {"command": "sweep", "scenario": sc.name, "scenario_file": sc.path.name,
              "leave": result.points["leave_share"].tolist(), "recruit": recruit_at, "among": among,
              "orders": orders, "order_kind": kind, "find": find,
              "seed": sc.seed, "time_limit_per_point": per_point, "versions": versions()}
    context.progress("writing", "writing outputs", done=1.0)
    write_outputs(out, tables,
                  {"sweep.png": png.getvalue(),
                   "run.json": json.dumps(record, indent=2, ensure_ascii=False) + "\n"})
    return result

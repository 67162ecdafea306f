"""Baseline: a bare min-cost-flow process on the same input, for the county target.

Reads volunteers and elders with pandas, finds pairs within 2 km with a k-d tree, and solves
one OR-Tools min-cost flow (priority first, then distance). No validation, no relations, no
weekly minutes, no output: the least a pairing program must do. Run as its own process:

    python benchmarks/bare_flow.py WORLD_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from ortools.graph.python import min_cost_flow
from scipy.spatial import cKDTree


def main(folder: Path) -> None:
    """Solve the bare flow for ``folder/volunteers.csv`` and ``folder/elders.csv``."""
    v = pd.read_csv(folder / "volunteers.csv", dtype={"volunteer_id": str})
    e = pd.read_csv(folder / "elders.csv", dtype={"elder_id": str})

    def xyz(frame: pd.DataFrame) -> np.ndarray:
        la, lo = np.radians(frame["lat"].to_numpy()), np.radians(frame["lon"].to_numpy())
        return np.column_stack((np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)))

    r = 6371.0088
    pairs = cKDTree(xyz(v)).sparse_distance_matrix(cKDTree(xyz(e)), 2 * np.sin(1 / r),
                                                   output_type="ndarray")
    km = 2 * r * np.arcsin(pairs["v"] / 2)
    nv, ne = len(v), len(e)
    prio = np.where(e["age"].to_numpy() >= 90, 3, 2)
    big = int(1e5 * 2 * ne) + 1
    tails = np.concatenate([np.zeros(nv), 1 + pairs["i"], 1 + nv + np.arange(ne), [0]])
    heads = np.concatenate([1 + np.arange(nv), 1 + nv + pairs["j"], np.full(ne, nv + ne + 1),
                            [nv + ne + 1]])
    caps = np.concatenate([v["max_elders"].to_numpy(), np.ones(len(km)), np.ones(ne), [ne]])
    costs = np.concatenate([np.zeros(nv), np.rint(km * 1e5), -big * prio, [0]])
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails.astype(np.int64), heads.astype(np.int64),
                                              caps.astype(np.int64), costs.astype(np.int64))
    supply = np.zeros(nv + ne + 2, dtype=np.int64)
    supply[0], supply[-1] = ne, -ne
    flow.set_nodes_supplies(np.arange(nv + ne + 2), supply)
    assert flow.solve() == flow.OPTIMAL
    print(f"bare flow: {len(km):,} pairs, cost {flow.optimal_cost()}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))

"""The orders in which volunteers leave, for sweeps and thresholds.

An order is a list of every volunteer's id (or of those a plan pairs); the first ``k`` of it
leave when ``k`` leave, so the sets leaving are nested. Departures are not random in life,
so an order has a kind:

* ``random``: a seeded shuffle;
* ``oldest``: the oldest first (unknown ages last), a seeded shuffle among those of an age;
* ``community``: one community at a time, the communities in a seeded order, its volunteers
  shuffled within (a village losing many at once).

Several orders of one kind (:func:`leaving_orders`) use the seeds ``seed, seed + 1, ...``,
and give a band on every curve.
"""

from __future__ import annotations

import numpy as np

from matching.pairing.result import PairingResult
from matching.world.columns import VOLUNTEER_ID
from matching.world.model import World

#: Kinds of leaving order.
ORDER_KINDS = ("random", "oldest", "community")

#: Who may leave: every volunteer, or those the full plan pairs.
AMONG = ("all", "paired")

#: Most orders one sweep may draw (each multiplies the pairings).
MOST_ORDERS = 100


def leaving_order(world: World, plan: PairingResult, seed: int, among: str = "all",
                  kind: str = "random") -> list[str]:
    """One order in which volunteers leave (see the module): all of them, or those
    ``plan`` pairs, of the ``kind`` asked, drawn with ``seed``."""
    if among not in AMONG:
        raise ValueError(f"among must be one of {AMONG}, not {among!r}")
    if kind not in ORDER_KINDS:
        raise ValueError(f"kind must be one of {ORDER_KINDS}, not {kind!r}")
    pool = set(map(str, plan.assignments[VOLUNTEER_ID])) if among == "paired" else None
    volunteers = world.volunteers
    rows = [i for i, v in enumerate(volunteers.volunteer_id) if pool is None or str(v) in pool]
    rows.sort(key=lambda i: str(volunteers.volunteer_id[i]))  # file order must not matter
    rng = np.random.default_rng(seed)
    shuffled = [rows[i] for i in rng.permutation(len(rows))]
    if kind == "oldest":
        age = np.nan_to_num(volunteers.age.astype(float), nan=-np.inf)
        # a stable sort keeps the shuffle among equal ages
        shuffled.sort(key=lambda i: -age[i])
    elif kind == "community":
        communities = sorted({str(volunteers.community[i]) for i in shuffled})
        rank = {c: r for r, c in enumerate(communities[j]
                                           for j in rng.permutation(len(communities)))}
        shuffled.sort(key=lambda i: rank[str(volunteers.community[i])])
    return [str(volunteers.volunteer_id[i]) for i in shuffled]


def leaving_orders(world: World, plan: PairingResult, seed: int, count: int = 1,
                   among: str = "all", kind: str = "random") -> list[list[str]]:
    """``count`` orders of one ``kind``, drawn with the seeds ``seed, seed + 1, ...``."""
    if not 1 <= count <= MOST_ORDERS:
        raise ValueError(f"the number of orders lies between 1 and {MOST_ORDERS}")
    return [leaving_order(world, plan, seed + k, among, kind) for k in range(count)]

"""How hard a solve searches, as one value passed down every level: the time limit (or the
deterministic time instead of the clock), the seed, the CP-SAT workers and which solve
strategies may run (see :data:`matching.pairing.solver.STRATEGIES`).

A solve that splits its problem (into independent parts, or into regions) gives each piece
its share of the budget by :meth:`SolveOptions.shares`: the one rule of the split.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

#: CP-SAT workers by default: the full portfolio proves optima far faster than 2 workers,
#: even on 2 cores.
DEFAULT_WORKERS = 8

#: Least budget a piece gets, whatever its share (small pieces finish far sooner).
MIN_PIECE_SECONDS = 1.0

#: The solve strategies, by name (what each does: :data:`matching.pairing.solver.STRATEGIES`).
ALL_STRATEGIES = frozenset({"cuts", "branch-and-bound", "lagrangian", "cp-sat"})


@dataclass(frozen=True)
class SolveOptions:
    """How hard to search.

    Attributes
    ----------
    time_limit
        Seconds for the whole solve; the best plan found by then is returned with its status.
    seed
        Seed of CP-SAT's search (the flow is deterministic).
    workers
        CP-SAT search workers (``None``: :data:`DEFAULT_WORKERS`).
    deterministic_time
        Instead of ``time_limit``: CP-SAT's deterministic time for the whole solve. Every
        stage then runs to its own counted end (rounds, nodes, deterministic time), never
        to the clock, so the same inputs and seed give the same plan on any machine and
        with any ``workers``.
    strategies
        Which of :data:`ALL_STRATEGIES` may run (the min-cost flow always does). Leaving
        one out forces the next route: without ``cuts`` the bounds come from
        branch-and-bound or Lagrangian prices; without ``cp-sat`` nothing is proven beyond
        what the bounds prove.
    """

    time_limit: float = 60.0
    seed: int = 0
    workers: int | None = None
    deterministic_time: float | None = None
    strategies: frozenset[str] = ALL_STRATEGIES

    def __post_init__(self) -> None:
        unknown = set(self.strategies) - ALL_STRATEGIES
        if unknown:
            raise ValueError(f"unknown solve strategies {sorted(unknown)}; the strategies "
                             f"are {sorted(ALL_STRATEGIES)}")

    @property
    def timed(self) -> bool:
        """Whether the clock bounds the search (no ``deterministic_time``)."""
        return self.deterministic_time is None

    @property
    def search_workers(self) -> int:
        """The CP-SAT workers to use."""
        return self.workers or DEFAULT_WORKERS

    def uses(self, strategy: str) -> bool:
        """Whether ``strategy`` may run."""
        return strategy in self.strategies

    def with_time(self, seconds: float) -> SolveOptions:
        """The same options with ``seconds`` on the clock (the deterministic time, if any,
        is kept: it is shared out by :meth:`shares`, never by the clock)."""
        return dataclasses.replace(self, time_limit=max(0.0, seconds))

    def shares(self, sizes: Sequence[int]) -> list[SolveOptions]:
        """Each piece's options when the solve is split into pieces of ``sizes`` (pairs, or
        elders): its share of the time limit (at least :data:`MIN_PIECE_SECONDS`, never
        more than the whole) and of the deterministic time. A piece gets the same budget
        wherever it runs, so the plan is the same, byte for byte."""
        total = sum(sizes) or 1
        least = min(self.time_limit, MIN_PIECE_SECONDS)
        return [dataclasses.replace(
            self, time_limit=max(least, self.time_limit * size / total),
            deterministic_time=None if self.deterministic_time is None
            else self.deterministic_time * size / total) for size in sizes]

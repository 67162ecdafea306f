"""One clock for a whole command, and the way to stop it: both passed down as values.

:class:`Budget` says what is left of ``--time-limit``, counted from the moment the process
started (:func:`matching.runtime.clock.process_started`: the user's wait begins there, not
after the imports), less a share kept back for writing the outputs. Every stage (reading,
finding candidate pairs, flows, bounds, CP-SAT, each window of a schedule) is given what is
left when it starts. A stage that cannot be cut short (reading the files, finding the
candidate pairs, one min-cost flow) is what the fastest plan costs; when that alone uses
the whole budget there is no plan to give, and :func:`too_short` says how long it took.

:class:`Stop` is a request to end every search at once (the command line's first Ctrl-C or
SIGTERM), as if the budget had run out. It is handed to whatever searches: each checks it
between its own steps, and each solver running when it comes is told to stop
(:meth:`Stop.stopping`); the plan found so far is then written, marked ``interrupted``.
Nothing polls a process-wide flag.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from matching.catalogue import Reason
from matching.rules.errors import InputError

#: Share of the limit kept back for writing the outputs (a county's pairing writes in well
#: under a second; a city's schedule in a few).
WRITE_RESERVE_SHARE = 0.05


class Stop:
    """A request to end every search now, shared by whatever searches for one command."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._stoppers: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def request(self) -> None:
        """End every search now: each solver running is told to stop, and every later
        stage finds its time spent. (Safe to call from a signal handler.)"""
        self._event.set()
        with self._lock:
            stoppers = list(self._stoppers)
        for stop in stoppers:
            stop()

    @property
    def requested(self) -> bool:
        """Whether a stop was requested."""
        return self._event.is_set()

    def out_of_time(self, deadline: float) -> bool:
        """Whether a search must end: ``deadline`` (``time.perf_counter()``) is past, or a
        stop was requested."""
        return self._event.is_set() or time.perf_counter() >= deadline

    @contextmanager
    def stopping(self, stop: Callable[[], None]) -> Iterator[None]:
        """Within the block, a stop request calls ``stop`` (a solver's own way to end its
        search, such as CP-SAT's ``stop_search``); at once if one came before."""
        with self._lock:
            self._stoppers.append(stop)
        try:
            if self._event.is_set():
                stop()
            yield
        finally:
            with self._lock:
                self._stoppers.remove(stop)


#: A stop that is never requested: what a search gets when nobody can stop it (a Dask
#: worker's part, a test, a notebook).
NEVER = Stop()


@dataclass
class Budget:
    """What is left of a command's time limit.

    Parameters
    ----------
    limit
        Seconds for the whole command (``--time-limit``); ``None`` for no limit.
    started
        When the command started (``time.perf_counter()``; by default now). The command
        line passes the process's start (:func:`matching.runtime.clock.process_started`).
    stop
        The command's stop request.
    """

    limit: float | None
    started: float = field(default_factory=time.perf_counter)
    stop: Stop = field(default_factory=Stop)

    def elapsed(self) -> float:
        """Seconds since the command started."""
        return time.perf_counter() - self.started

    def even_shares(self, steps: int) -> Iterator[float]:
        """Seconds for each of ``steps`` solving steps in turn: an equal share of what is
        left when the step starts, so that a step that ends early leaves its time to the
        next (the last step has all that is left)."""
        for remaining in range(steps, 0, -1):
            yield self.left() / remaining

    def left(self) -> float:
        """Seconds left for solving: the limit, less what is spent and the writing reserve
        (never negative; none once a stop is requested; unbounded without a limit)."""
        if self.stop.requested:
            return 0.0
        if self.limit is None:
            return float("inf")
        return max(0.0, self.limit * (1 - WRITE_RESERVE_SHARE) - self.elapsed())

    def spent(self) -> bool:
        """Whether nothing is left, and not because of a stop (a stop is not a limit too
        short: it writes the plan it has)."""
        return self.limit is not None and self.left() <= 0 and not self.stop.requested


class TooShort(Exception):
    """No plan fits the time limit: the stages that cannot be cut short use it all.

    Attributes
    ----------
    what
        Those stages, as a code of the catalogue (``work.candidates``: "finding the
        candidate pairs").
    needs
        Seconds they would take at least, when estimated before running them (else
        ``None``: they ran, and used the budget up).
    unfinished
        They were still running when the budget ran out.
    """

    def __init__(self, what: str, needs: float | None = None, unfinished: bool = False
                 ) -> None:
        super().__init__(f"the time limit is too short for any plan: {what}")
        self.what, self.needs, self.unfinished = what, needs, unfinished


def too_short(limit: float, spent: float, exc: TooShort) -> InputError:
    """The command line's error for a limit that no plan fits, ``spent`` seconds in."""
    figures = {"what": exc.what, "spent": round(spent, 1)}
    if exc.unfinished:
        took = Reason("took.unfinished" if exc.needs is None else "took.unfinished_sampled",
                      {**figures, "needs": exc.needs or 0.0})
        total = max(spent, exc.needs or 0.0) * 2
    elif exc.needs is None:
        took, total = Reason("took.alone", figures), spent
    else:
        took = Reason("took.would", {"what": exc.what, "needs": exc.needs})
        total = spent + exc.needs
    return InputError.one("--time-limit", "input.too_short", limit=limit, took=took.part(),
                          suggest=max(2, int(total * 2) + 1))

"""One clock for a whole command: ``--time-limit`` bounds everything from the command's
start to its written outputs.

Every stage (reading, finding candidate pairs, flows, bounds, CP-SAT, each window of a
schedule) is given what is left of the same budget when it starts, less a share kept back
for writing the outputs. A stage that cannot be cut short (reading the files, finding the
candidate pairs, one min-cost flow) is what the fastest plan costs; when that alone uses the
whole budget there is no plan to give, and :func:`too_short` says how long it took.

A stop (the command line's first Ctrl-C or SIGTERM, :func:`request_stop`) ends every search
at once, as if the budget had run out: each solver running then is told to stop
(:func:`stopping`), and the plan found so far is written, marked ``interrupted``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from matching.rules.errors import InputError

#: Share of the limit kept back for writing the outputs (a county's pairing writes in well
#: under a second; a city's schedule in a few).
WRITE_RESERVE_SHARE = 0.05


@dataclass
class Budget:
    """What is left of a command's time limit.

    Parameters
    ----------
    limit
        Seconds for the whole command (``--time-limit``).
    started
        When the command started (``time.perf_counter()``).
    """

    limit: float
    started: float = field(default_factory=time.perf_counter)

    def elapsed(self) -> float:
        """Seconds since the command started."""
        return time.perf_counter() - self.started

    def left(self) -> float:
        """Seconds left for solving: the limit, less what is spent and the writing reserve
        (never negative; none once a stop is requested)."""
        if stop_requested():
            return 0.0
        return max(0.0, self.limit * (1 - WRITE_RESERVE_SHARE) - self.elapsed())


_stop = threading.Event()
_stoppers: list[Callable[[], None]] = []
_stoppers_lock = threading.Lock()


def request_stop() -> None:
    """End every search now: each solver running is told to stop, and every later stage
    finds its time spent. (Safe to call from a signal handler.)"""
    _stop.set()
    with _stoppers_lock:
        stoppers = list(_stoppers)
    for stop in stoppers:
        stop()


def stop_requested() -> bool:
    """Whether :func:`request_stop` was called (since :func:`clear_stop`)."""
    return _stop.is_set()


def clear_stop() -> None:
    """Forget a stop (a new command in the same process)."""
    _stop.clear()


def out_of_time(deadline: float) -> bool:
    """Whether a search must end: ``deadline`` (``time.perf_counter()``) is past, or a stop
    was requested."""
    return _stop.is_set() or time.perf_counter() >= deadline


@contextmanager
def stopping(stop: Callable[[], None]) -> Iterator[None]:
    """Within the block, a stop request calls ``stop`` (a solver's own way to end its
    search, such as CP-SAT's ``stop_search``); at once if one came before."""
    with _stoppers_lock:
        _stoppers.append(stop)
    try:
        if _stop.is_set():
            stop()
        yield
    finally:
        with _stoppers_lock:
            _stoppers.remove(stop)


class TooShort(Exception):
    """No plan fits the time limit: the stages that cannot be cut short use it all.

    Attributes
    ----------
    what
        Those stages, in words ("reading the files and finding the candidate pairs").
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
    if exc.unfinished:
        took = f"{exc.what} had not finished after {spent:.1f} s"
        if exc.needs is not None:
            took += f" (a sample says it takes at least {exc.needs:.0f} s here)"
        total = max(spent, exc.needs or 0.0) * 2
    elif exc.needs is None:
        took, total = f"{exc.what} alone took {spent:.1f} s", spent
    else:
        took = f"{exc.what} would take at least {exc.needs:.0f} s here"
        total = spent + exc.needs
    return InputError.one(
        "--time-limit", f"{limit:g} s is too short for any plan at this size: {took}, and the "
        f"fastest plan needs that and a min-cost flow; give --time-limit "
        f"{max(2, int(total * 2) + 1)} or more")



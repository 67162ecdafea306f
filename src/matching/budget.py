"""One clock for a whole command: ``--time-limit`` bounds everything from the command's
start to its written outputs.

Every stage (reading, finding candidate pairs, flows, bounds, CP-SAT, each window of a
schedule) is given what is left of the same budget when it starts, less a share kept back
for writing the outputs. A stage that cannot be cut short (reading the files, finding the
candidate pairs, one min-cost flow) is what the fastest plan costs; when that alone uses the
whole budget there is no plan to give, and :func:`too_short` says how long it took.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from matching.errors import InputError

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
        (never negative)."""
        return max(0.0, self.limit * (1 - WRITE_RESERVE_SHARE) - self.elapsed())


class TooShort(Exception):
    """No plan fits the time limit: the stages that cannot be cut short used it all.

    Attributes
    ----------
    what
        Those stages, in words ("reading the files and finding the candidate pairs").
    """

    def __init__(self, what: str) -> None:
        super().__init__(f"the time limit is too short for any plan: {what} used it all")
        self.what = what


def too_short(limit: float, spent: float, what: str) -> InputError:
    """The command line's error for a limit that no plan fits: ``what`` took ``spent``
    seconds of the ``limit``."""
    return InputError.one(
        "--time-limit", f"{limit:g} s is too short for any plan at this size: {what} alone "
        f"took {spent:.1f} s, and the fastest plan needs that and a min-cost flow; give "
        f"--time-limit {max(2, int(spent * 2) + 1)} or more")

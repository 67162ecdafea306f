"""When the process started, on the clock the budget reads (``time.perf_counter``).

A user's wait for ``matching pair --time-limit 10`` begins when they press Enter: the
interpreter's start and the imports (pandas, OR-Tools) count. On Linux the kernel says when
the process started (``/proc/self/stat``, in clock ticks since boot, against
``/proc/uptime``); elsewhere the first import of this module stands in for it.
"""

from __future__ import annotations

import os
import time

_IMPORTED = time.perf_counter()


def _seconds_since_start() -> float | None:
    """Seconds since this process started, by the kernel's account (Linux only)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            stat = f.read()
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        # the command name (field 2) may hold spaces and brackets: count after its ")"
        fields = stat[stat.rindex(")") + 2:].split()
        started_ticks = int(fields[19])  # field 22 of the whole line: starttime
        return max(0.0, uptime - started_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return None


def process_started() -> float:
    """``time.perf_counter()`` at the moment this process started (or, where the system
    cannot say, when this module was first imported)."""
    since = _seconds_since_start()
    if since is None:
        return _IMPORTED
    return min(_IMPORTED, time.perf_counter() - since)

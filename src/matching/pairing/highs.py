"""HiGHS (through highspy), quiet: the one place a HiGHS instance is made."""

from __future__ import annotations

import os
import sys

import highspy

#: The process's standard output, as a file descriptor.
STDOUT_FD = 1


def silent_highs() -> highspy.Highs:
    """A HiGHS instance that writes nothing.

    highspy's constructor logs a banner on the process's standard output before any option
    can be set, so that descriptor points at the null device while it runs (library code
    never prints).
    """
    sys.stdout.flush()
    saved = os.dup(STDOUT_FD)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), STDOUT_FD)
            highs = highspy.Highs()
            highs.setOptionValue("output_flag", False)
    finally:
        os.dup2(saved, STDOUT_FD)
        os.close(saved)
    return highs

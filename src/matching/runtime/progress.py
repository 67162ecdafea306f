"""What a command is doing, on standard error: its stages, and on a terminal a bar of the
time spent against ``--time-limit``, with the time left (``rich``). In logs and CI, where
standard error is not a terminal, plain lines; with ``--quiet``, nothing.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from rich.console import Console, RenderableType
from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, Task, TextColumn
from rich.progress_bar import ProgressBar
from rich.table import Column
from rich.text import Text

#: Width of the time bar, in characters.
BAR_WIDTH = 30

_open: set[Stages] = set()


class Stages:
    """A command's stages as they start, each with the seconds since the command began.

    Parameters
    ----------
    quiet
        Print nothing.
    limit
        The command's ``--time-limit`` (the bar's length), if it has one.
    stream
        Where to print (standard error).
    """

    def __init__(self, quiet: bool, limit: float | None = None,
                 stream: TextIO | None = None) -> None:
        self.start = time.perf_counter()
        self.quiet, self.limit = quiet, limit
        self.stream = stream or sys.stderr
        self._progress: Progress | None = None
        if not quiet and self.stream.isatty():
            # the time first: a long stage is cut short, never the figures
            stage = TextColumn("{task.description}",
                               table_column=Column(no_wrap=True, overflow="ellipsis"))
            self._progress = Progress(SpinnerColumn(), _TimeBar(self), _TimeLeft(self), stage,
                                      console=Console(file=self.stream), transient=True)
            self._task = self._progress.add_task("starting", total=None)
            self._progress.start()
            _open.add(self)

    def elapsed(self) -> float:
        """Seconds since the command began."""
        return time.perf_counter() - self.start

    def __call__(self, message: str) -> None:
        """A stage starts: say so."""
        if self.quiet:
            return
        line = f"[{self.elapsed():6.1f}s] {message}"
        if self._progress is None:
            print(line, file=self.stream, flush=True)
            return
        self._progress.console.print(line, highlight=False, markup=False)
        self._progress.update(self._task, description=message)

    def close(self) -> None:
        """Take the bar away (the stages printed stay)."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            _open.discard(self)


def close_all() -> None:
    """Take away every bar still shown (a command ended, however it ended)."""
    for stages in list(_open):
        stages.close()


class _TimeBar(ProgressColumn):
    """The time spent against the limit, as a bar (a pulse without a limit)."""

    def __init__(self, stages: Stages) -> None:
        super().__init__()
        self.stages = stages

    def render(self, task: Task) -> RenderableType:
        limit = self.stages.limit
        if not limit:
            return BarColumn(bar_width=BAR_WIDTH).render(task)
        return ProgressBar(total=limit, completed=min(self.stages.elapsed(), limit),
                           width=BAR_WIDTH)


class _TimeLeft(ProgressColumn):
    """``12 s of 60 s, 48 s left`` (or the seconds spent, without a limit)."""

    def __init__(self, stages: Stages) -> None:
        super().__init__()
        self.stages = stages

    def render(self, task: Task) -> RenderableType:
        spent, limit = self.stages.elapsed(), self.stages.limit
        if not limit:
            return Text(f"{spent:.1f} s")
        return Text(f"{spent:.1f} s of {limit:g} s, {max(0.0, limit - spent):.1f} s left")

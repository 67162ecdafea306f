"""What a command is doing, as events: each a stage (a code), a message for the log, the
share of the whole command done when known, and the figures the message was made of.

The engine reports to a :class:`Progress`; what happens to the events is the caller's
choice. The command line prints them on standard error (:class:`Stages`: on a terminal a
bar of the time spent against ``--time-limit``, with the time left; in logs plain lines;
with ``--progress json`` one JSON object a line, which is how the web console follows a
run it started). Nobody parses the messages: a page shows the stage's own words (from the
catalogue) and the fraction.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TextIO

from rich.console import Console, RenderableType
from rich.progress import BarColumn, ProgressColumn, SpinnerColumn, Task, TextColumn
from rich.progress import Progress as RichProgress
from rich.progress_bar import ProgressBar
from rich.table import Column
from rich.text import Text

#: Width of the time bar, in characters.
BAR_WIDTH = 30


@dataclass(frozen=True)
class ProgressEvent:
    """One step of a command.

    Attributes
    ----------
    stage
        What is being done, as a code (``reading``, ``candidates``, ``flow``, ``window``,
        ``writing``...): the catalogue words it for people.
    message
        The step in a short English sentence, for the log.
    fraction
        The share of the whole command done when this step starts (0 to 1), if known.
    params
        The figures the message was made of (``{"window": 3, "windows": 5}``).
    """

    stage: str
    message: str
    fraction: float | None = None
    params: Mapping[str, object] = field(default_factory=dict)


Sink = Callable[[ProgressEvent], None]


class Progress:
    """Where the engine reports, for a span of the whole command.

    Parameters
    ----------
    sink
        Receives each event (``None``: nobody listens).
    start, end
        The share of the whole command this reporter covers: a step ``done`` of the way
        through it is at ``start + done * (end - start)`` of the whole.
    """

    def __init__(self, sink: Sink | None = None, start: float = 0.0, end: float = 1.0) -> None:
        self.sink, self.start, self.end = sink, start, end

    def __call__(self, stage: str, message: str, done: float | None = None,
                 **params: object) -> None:
        """Report a step of ``stage``, ``done`` of the way through this span."""
        if self.sink is None:
            return
        fraction = self.start if done is None else \
            self.start + max(0.0, min(1.0, done)) * (self.end - self.start)
        self.sink(ProgressEvent(stage, message, round(fraction, 4), dict(params)))

    def span(self, start: float, end: float) -> Progress:
        """A reporter for the part of this span from ``start`` to ``end`` (shares of it)."""
        width = self.end - self.start
        return Progress(self.sink, self.start + start * width, self.start + end * width)


#: A reporter nobody listens to.
SILENT = Progress()


def json_lines(stream: TextIO | None = None) -> Sink:
    """A sink writing each event as one line of JSON (``--progress json``)."""
    out = stream or sys.stderr

    def write(event: ProgressEvent) -> None:
        print(json.dumps({"event": "progress", **asdict(event)}, ensure_ascii=False,
                         default=str), file=out, flush=True)

    return write


_open: set[Stages] = set()


class Stages:
    """A sink that shows a command's steps on standard error as they start, each with the
    seconds since the command began.

    Parameters
    ----------
    quiet
        Print nothing.
    limit
        The command's ``--time-limit`` (the bar's length), if it has one.
    started
        When the command began (``time.perf_counter()``).
    stream
        Where to print (standard error).
    """

    def __init__(self, quiet: bool, limit: float | None = None,
                 started: float | None = None, stream: TextIO | None = None) -> None:
        self.start = time.perf_counter() if started is None else started
        self.quiet, self.limit = quiet, limit
        self.stream = stream or sys.stderr
        self._bar: RichProgress | None = None
        if not quiet and self.stream.isatty():
            # the time first: a long stage is cut short, never the figures
            stage = TextColumn("{task.description}",
                               table_column=Column(no_wrap=True, overflow="ellipsis"))
            self._bar = RichProgress(SpinnerColumn(), _TimeBar(self), _TimeLeft(self), stage,
                                     console=Console(file=self.stream), transient=True)
            self._task = self._bar.add_task("starting", total=None)
            self._bar.start()
            _open.add(self)

    def elapsed(self) -> float:
        """Seconds since the command began."""
        return time.perf_counter() - self.start

    def __call__(self, event: ProgressEvent) -> None:
        """A step starts: say so."""
        if self.quiet:
            return
        line = f"[{self.elapsed():6.1f}s] {event.message}"
        if self._bar is None:
            print(line, file=self.stream, flush=True)
            return
        self._bar.console.print(line, highlight=False, markup=False)
        self._bar.update(self._task, description=event.message)

    def close(self) -> None:
        """Take the bar away (the steps printed stay)."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
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

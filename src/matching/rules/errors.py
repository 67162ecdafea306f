"""Input problems, phrased for the planner who has to fix the file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: How many problems an error message lists before it summarises the rest.
MAX_LISTED = 50


@dataclass(frozen=True)
class InputIssue:
    """One thing wrong with one cell (or one file).

    ``row`` counts as a spreadsheet does: the header is row 1, the first data row is row 2.
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        head = ", ".join(where)
        if self.value is not None:
            return f'{head}: "{self.value}" {self.message}'
        return f"{head}: {self.message}"


class InputError(ValueError):
    """Bad input: one or more :class:`InputIssue`, all reported at once.

    The command line prints the message and exits with status 2.
    """

    def __init__(self, problems: Iterable[InputIssue]) -> None:
        self.problems = list(problems)
        lines = [str(p) for p in self.problems[:MAX_LISTED]]
        if len(self.problems) > MAX_LISTED:
            lines.append(f"... and {len(self.problems) - MAX_LISTED} more problems")
        super().__init__("\n".join(lines))

    @classmethod
    def one(cls, file: str, message: str, **where: object) -> InputError:
        """An error with a single problem."""
        return cls([InputIssue(file, message, **where)])  # type: ignore[arg-type]


class RuleError(ValueError):
    """A rule or setting with a value it cannot take.

    ``field`` names the setting (``max_km``, ``rota_block_weeks``...) so that a scenario file
    can point at its key and line; the message is one plain sentence. When two settings
    contradict each other, ``others`` names the rest, and the message says what cannot
    happen and how to mend it, in the planner's terms.
    """

    def __init__(self, field: str, message: str, others: tuple[str, ...] = ()) -> None:
        self.field = field
        self.message = message
        #: The other settings this one contradicts (a scenario names each with its line).
        self.others = others
        super().__init__(f"rule {field} {message}")

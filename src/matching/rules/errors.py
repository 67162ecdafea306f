"""Input problems, phrased for the planner who has to fix the file: each a code of the
catalogue (:mod:`matching.catalogue`) with its figures, worded in Chinese or English."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from typing import Any

from matching.catalogue import say

#: How many problems an error message lists before it summarises the rest.
MAX_LISTED = 50


class InputIssue:
    """One thing wrong with one cell (or one file, or one setting).

    Parameters
    ----------
    file
        The file (or option, or setting) it is in.
    code
        What is wrong, as a code of the catalogue (``input.not_a_number``).
    row, column, value
        Where, and what the cell holds. ``row`` counts as a spreadsheet does: the header is
        row 1, the first data row is row 2.
    params
        The figures the words need (never named ``row``, ``column`` or ``value``, which say
        where the problem is).
    """

    __slots__ = ("code", "column", "file", "params", "row", "value")

    def __init__(self, file: str, code: str, row: int | None = None,
                 column: str | None = None, value: str | None = None,
                 **params: Any) -> None:
        self.file, self.code, self.row, self.column, self.value = file, code, row, column, value
        self.params = params

    def words(self, lang: str = "en") -> str:
        """What is wrong, in ``lang`` (without where)."""
        return say(self.code, lang, **self.params)

    @property
    def message(self) -> str:
        """What is wrong, in English."""
        return self.words("en")

    def text(self, lang: str = "en") -> str:
        """Where and what: ``elders.csv, row 14, column lat: "35,61" is not a number``."""
        if lang == "zh":
            head = self.file + "".join([f"，第 {self.row} 行" if self.row is not None else "",
                                        f"，{self.column} 列" if self.column is not None
                                        else ""])
            value = f"“{self.value}”" if self.value is not None else ""
            return f"{head}：{value}{self.words('zh')}"
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        head = ", ".join(where)
        if self.value is not None:
            return f'{head}: "{self.value}" {self.words("en")}'
        return f"{head}: {self.words('en')}"

    def as_json(self) -> dict[str, Any]:
        """Where and what, for programs: the place, the code and its figures, and the
        words in English (``message``: what; ``text``: where and what)."""
        return {"file": self.file, "row": self.row, "column": self.column, "value": self.value,
                "code": self.code,
                # figures as JSON has them (a date as its ISO text)
                "params": json.loads(json.dumps(self.params, ensure_ascii=False, default=str)),
                "message": self.message,
                "text": self.text("en")}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InputIssue:
        """A problem read back from :meth:`as_json`."""
        return cls(str(data.get("file", "")), str(data["code"]), data.get("row"),
                   data.get("column"), data.get("value"), **(data.get("params") or {}))

    def __str__(self) -> str:
        return self.text("en")

    def _key(self) -> tuple[object, ...]:
        return (self.file, self.code, self.row, self.column, self.value,
                tuple(sorted((k, repr(v)) for k, v in self.params.items())))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, InputIssue) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"InputIssue({self.text('en')!r}, code={self.code!r})"


class InputError(ValueError):
    """Bad input: one or more :class:`InputIssue`, all reported at once.

    The command line prints the message and exits with status 2.
    """

    def __init__(self, problems: Iterable[InputIssue]) -> None:
        self.problems = list(problems)
        super().__init__(self.text("en"))

    def text(self, lang: str = "en") -> str:
        """Every problem (the first :data:`MAX_LISTED`), one a line, in ``lang``."""
        lines = [p.text(lang) for p in self.problems[:MAX_LISTED]]
        if len(self.problems) > MAX_LISTED:
            lines.append(say("input.more_problems", lang,
                             n=len(self.problems) - MAX_LISTED))
        return "\n".join(lines)

    @classmethod
    def one(cls, file: str, code: str, /, *, row: int | None = None,
            column: str | None = None, value: str | None = None,
            **params: Any) -> InputError:
        """An error with a single problem."""
        return cls([InputIssue(file, code, row, column, value, **params)])


class CellError(ValueError):
    """A cell that cannot be read (raised by the parsers of :mod:`matching.world.parse`):
    what is wrong as a code of the catalogue, and its figures."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code, self.params = code, params
        super().__init__(say(code, "en", **params))


class RuleError(ValueError):
    """A rule or setting with a value it cannot take.

    ``field`` names the setting (``max_km``, ``rota_block_weeks``...) so that a scenario file
    can point at its key and line; ``code`` and ``params`` word what is wrong (one plain
    sentence). When two settings contradict each other, ``others`` names the rest, and the
    words say what cannot happen and how to mend it, in the planner's terms.
    """

    def __init__(self, field: str, code: str, others: tuple[str, ...] = (),
                 **params: Any) -> None:
        self.field, self.code, self.params = field, code, params
        #: The other settings this one contradicts (a scenario names each with its line).
        self.others = others
        super().__init__(f"rule {field} {self.message}")

    def words(self, lang: str = "en") -> str:
        """What is wrong, in ``lang``."""
        return say(self.code, lang, **self.params)

    @property
    def message(self) -> str:
        """What is wrong, in English."""
        return self.words("en")

    def part(self) -> dict[str, Any]:
        """What is wrong as a part of another message (worded by ``{x!p}``)."""
        return {"code": self.code, "params": dict(self.params)}


def check_numbers_at_least_zero(rules: Any) -> None:
    """Every field of a data class of rules a number at least 0 (not a truth value, not
    NaN), or :class:`RuleError` naming the first that is not."""
    for field in dataclasses.fields(rules):
        value = getattr(rules, field.name)
        if not isinstance(value, int | float) or isinstance(value, bool) or not value >= 0:
            raise RuleError(field.name, "rule.number_at_least_zero", value=value)

"""The world's tables as typed, immutable columns.

A table is a frozen data class whose fields are equal-length, read-only NumPy arrays: one
per column the engine reads, named as the contract names the column, with its type. A
file's other columns ride along as text in :attr:`Table.other`, in the file's order, so that
nothing a planner wrote is lost. DataFrames are made only at the edges: :meth:`Table.of`
reads one in, :meth:`Table.frame` hands one out to analysis and writing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Self

import numpy as np
import numpy.typing as npt
import pandas as pd

#: A column of text (ids, names, codes).
Text = npt.NDArray[np.object_]
#: A column of real numbers (NaN where unknown).
Reals = npt.NDArray[np.float64]
#: A column of whole numbers.
Counts = npt.NDArray[np.int64]
#: A column of yes/no.
Flags = npt.NDArray[np.bool_]
#: A column of tuples (tags, periods, times of day).
Tuples = npt.NDArray[np.object_]

_DTYPES: dict[str, Any] = {"Text": object, "Reals": np.float64, "Counts": np.int64,
                           "Flags": np.bool_, "Tuples": object}


def _frozen(values: Any, dtype: Any) -> np.ndarray:
    """A read-only array copy of ``values`` (tuples stay whole in object columns)."""
    if dtype is object:
        array = np.empty(len(values), dtype=object)
        for i, value in enumerate(values):  # one by one: a tuple is one cell, not a row
            array[i] = value
    else:
        array = np.array(values, dtype=dtype)
    array.flags.writeable = False
    return array


#: Each table class's declared columns and their dtypes, read once per class (``len()`` and
#: every column lookup ask).
_DECLARED: dict[type, dict[str, Any]] = {}


def _declared(table: type) -> dict[str, Any]:
    if table not in _DECLARED:
        _DECLARED[table] = {f.name: _DTYPES[str(f.type)] for f in dataclasses.fields(table)
                            if f.name not in ("other", "order")}
    return _DECLARED[table]


@dataclass(frozen=True, eq=False)
class Table:
    """Typed, immutable columns of equal length; subclasses declare the columns.

    Attributes
    ----------
    other
        The file's other columns, as text, keyed by header.
    order
        Every column's header in the file's order (the typed ones the file lacked last).
    """

    other: Mapping[str, Text] = field(default_factory=dict, kw_only=True)
    order: tuple[str, ...] = field(default=(), kw_only=True)

    def __post_init__(self) -> None:
        lengths = set()
        for name, dtype in self._typed().items():
            array = _frozen(getattr(self, name), dtype)
            object.__setattr__(self, name, array)
            lengths.add(len(array))
        other = {k: _frozen(v, object) for k, v in self.other.items()}
        object.__setattr__(self, "other", other)
        lengths.update(len(v) for v in other.values())
        if len(lengths) > 1:
            raise ValueError(f"{type(self).__name__}: columns of unequal length {lengths}")
        typed = tuple(self._typed())
        order = tuple(c for c in self.order if c in typed or c in other)
        order += tuple(c for c in (*typed, *other) if c not in order)
        object.__setattr__(self, "order", order)

    @classmethod
    def _typed(cls) -> dict[str, Any]:
        """The declared columns and their dtypes, in declaration order."""
        return _declared(cls)

    @classmethod
    def of(cls, frame: pd.DataFrame) -> Self:
        """The table of a DataFrame that has every declared column (the reading edge)."""
        typed = cls._typed()
        missing = [c for c in typed if c not in frame.columns]
        if missing:
            raise ValueError(f"{cls.__name__}: no column {', '.join(missing)}")
        columns = {c: frame[c].to_numpy() for c in typed}
        other = {str(c): frame[c].to_numpy() for c in frame.columns if c not in typed}
        return cls(**columns, other=other, order=tuple(str(c) for c in frame.columns))

    @classmethod
    def empty(cls) -> Self:
        """A table with no rows."""
        columns: dict[str, Any] = {c: [] for c in cls._typed()}
        return cls(**columns)

    def __len__(self) -> int:
        first = next(iter(self._typed()))
        return len(getattr(self, first))

    def __iter__(self) -> Iterator[str]:
        """The column headers, in order (as a DataFrame iterates)."""
        return iter(self.order)

    def has(self, column: str) -> bool:
        """Whether the table has ``column`` (declared, or among the file's others)."""
        return column in self.order

    def column(self, column: str) -> np.ndarray:
        """One column by header, typed or other.

        Raises
        ------
        KeyError
            If the table has no such column.
        """
        if column in self._typed():
            array: np.ndarray = getattr(self, column)
            return array
        return self.other[column]

    def frame(self) -> pd.DataFrame:
        """The table as a new DataFrame, columns in the file's order (the writing and
        analysis edge)."""
        return pd.DataFrame({c: self.column(c) for c in self.order}, columns=list(self.order))

    def take(self, rows: npt.ArrayLike) -> Self:
        """The table of the given rows (positions or a boolean mask), in that order."""
        index = np.asarray(rows)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        picked = {c: getattr(self, c)[index] for c in self._typed()}
        other = {c: v[index] for c, v in self.other.items()}
        return type(self)(**picked, other=other, order=self.order)

    def with_columns(self, **columns: npt.ArrayLike) -> Self:
        """The table with some typed columns replaced."""
        return dataclasses.replace(self, **columns)  # type: ignore[arg-type]  # checked names

    def concat(self, more: Self) -> Self:
        """This table's rows followed by ``more``'s (other columns kept where both have
        them)."""
        joined = {c: np.concatenate([getattr(self, c), getattr(more, c)])
                  for c in self._typed()}
        other = {c: np.concatenate([v, more.other[c]]) for c, v in self.other.items()
                 if c in more.other}
        return type(self)(**joined, other=other, order=self.order)


@dataclass(frozen=True, eq=False)
class People(Table):
    """What volunteers and elders share."""

    @property
    def ids(self) -> Text:
        """The row's id (``volunteer_id`` or ``elder_id``)."""
        raise NotImplementedError

    @cached_property
    def _index(self) -> pd.Index:
        return pd.Index(self.ids.astype(str))

    def rows(self, ids: npt.ArrayLike) -> Counts:
        """The row of each id, -1 where nobody has it."""
        found: Counts = self._index.get_indexer(np.asarray(ids, dtype=object).astype(str))
        return found.astype(np.int64)

    @cached_property
    def row_of(self) -> dict[str, int]:
        """Each id's row."""
        return {str(v): i for i, v in enumerate(self.ids)}


@dataclass(frozen=True, eq=False)
class Volunteers(People):
    """One row per volunteer, in file order, with the contract's defaults filled in."""

    volunteer_id: Text
    name: Text
    gender: Text
    community: Text
    phone: Text
    lat: Reals
    lon: Reals
    age: Reals
    max_elders: Counts
    weekly_minutes: Reals
    day_mask: Counts
    skills: Tuples
    away: Tuples
    preferred_times: Tuples

    @property
    def ids(self) -> Text:
        """Each volunteer's id."""
        return self.volunteer_id


@dataclass(frozen=True, eq=False)
class Elders(People):
    """One row per elder, in file order, with the contract's defaults filled in."""

    elder_id: Text
    name: Text
    gender: Text
    community: Text
    phone: Text
    address: Text
    lat: Reals
    lon: Reals
    age: Reals
    lives_alone: Flags
    low_income: Flags
    priority: Counts
    visit_minutes: Reals
    needs: Tuples
    day_mask: Counts
    gender_preference: Text
    birthday: Text
    away: Tuples
    preferred_times: Tuples

    @property
    def ids(self) -> Text:
        """Each elder's id."""
        return self.elder_id


@dataclass(frozen=True, eq=False)
class Relations(Table):
    """Known relations, ``kin``, ``familiar`` or ``refuses``, without repeats."""

    volunteer_id: Text
    elder_id: Text
    relation: Text

    def triples(self) -> Iterator[tuple[str, str, str]]:
        """Each relation as ``(volunteer_id, elder_id, relation)``."""
        return zip(self.volunteer_id, self.elder_id, self.relation, strict=True)

    def plus(self, volunteer_id: npt.ArrayLike, elder_id: npt.ArrayLike,
             relation: npt.ArrayLike) -> Relations:
        """These relations and some more, each triple once (the first kept)."""
        more = Relations(volunteer_id=np.asarray(volunteer_id, dtype=object),
                         elder_id=np.asarray(elder_id, dtype=object),
                         relation=np.broadcast_to(np.asarray(relation, dtype=object),
                                                  np.shape(volunteer_id)),
                         other={c: np.full(np.shape(volunteer_id), "", dtype=object)
                                for c in self.other})
        joined = self.concat(more)
        seen: set[tuple[str, str, str]] = set()
        keep = np.zeros(len(joined), dtype=bool)
        for row, triple in enumerate(joined.triples()):
            keep[row] = triple not in seen
            seen.add(triple)
        return joined.take(keep)


@dataclass(frozen=True, eq=False)
class Pairs(Table):
    """Measured pairs: distance and weekly minutes (NaN where the file left them blank)."""

    volunteer_id: Text
    elder_id: Text
    distance_km: Reals
    weekly_minutes: Reals

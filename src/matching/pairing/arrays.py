"""Linear-time stand-ins for the NumPy sorts the pair arrays need at city size.

``np.unique(..., return_inverse=True)`` and ``np.lexsort`` sort millions of pairs from
scratch; the pair arrays come sorted by elder and carry small integer ids, so both jobs can
be done in one pass or one nearly-sorted stable sort.
"""

from __future__ import annotations

import numpy as np

#: Largest integer key :func:`grouped_order` builds; beyond it, it falls back to lexsort.
_KEY_LIMIT = 2**62


def renumber(ids: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``ids`` (sorted) and each one's position among them.

    The same as ``np.unique(ids, return_inverse=True)`` for ids in ``[0, size)``, in linear
    time.
    """
    present = np.zeros(size, dtype=bool)
    present[ids] = True
    distinct = np.flatnonzero(present)
    position = np.cumsum(present, dtype=np.int64) - 1
    return distinct, position[ids]


def grouped_order(group: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Indices that sort by ``group``, then ``value``, then position.

    The same as ``np.lexsort((value, group))`` for integer arrays, by one stable sort of a
    combined key (fast when the arrays are already sorted by group).
    """
    if not len(group):
        return np.empty(0, dtype=np.int64)
    low, high = int(value.min()), int(value.max())
    span = high - low + 1
    if (int(group.max()) + 1) * span >= _KEY_LIMIT or int(group.min()) < 0:
        return np.lexsort((value, group))
    key = group.astype(np.int64) * span + (value.astype(np.int64) - low)
    return np.argsort(key, kind="stable")

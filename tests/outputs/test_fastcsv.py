"""Large tables are written without a Python step per cell, byte for byte as pandas writes
them: checked over random tables of every kind the writer takes, and the kinds it declines."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.outputs.fastcsv import csv_rows
from matching.outputs.write import FAST_CSV_ROWS, csv_bytes

TEXTS = st.text(alphabet=st.sampled_from(list('ab,"\n =-+@长者 0.5')), max_size=6)
FLOATS = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: round(x, 6)),
    st.sampled_from([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-05, 1.2e-05, 0.1234567, 2.0,
                     1e15, 123456789.123456]))


def pandas_rows(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8").split(b"\n", 1)[1]


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(TEXTS, TEXTS, FLOATS, FLOATS, st.integers(-10**12, 10**12)),
                     min_size=1, max_size=40))
def test_the_rows_are_pandas_own_bytes(rows):
    text, category, real, rounded, whole = zip(*rows, strict=True)
    frame = pd.DataFrame({"text": pd.Series(text, dtype=object),
                          "category": pd.Categorical(category),
                          "real": np.array(real, dtype=float),
                          "rounded": np.round(np.array(rounded, dtype=float), 3),
                          "whole": np.array(whole, dtype=np.int64)})
    written = csv_rows(frame)
    if written is not None:  # declined only when the floats are too odd to be sure
        assert written == pandas_rows(frame)


def test_a_city_sized_table_is_written_fast_and_the_same():
    rng = np.random.default_rng(0)
    n = FAST_CSV_ROWS + 17
    frame = pd.DataFrame({
        "volunteer_id": pd.Categorical.from_codes(rng.integers(0, 50, n),
                                                  [f"V{i:03d}" for i in range(50)]),
        "elder_id": rng.choice(["E1", "=E2", "E,3"], n).astype(object),
        "distance_km": np.round(rng.random(n) * 4, 6),
        "weekly_minutes": np.round(60 + rng.random(n) * 120, 4)})
    frame.loc[::101, "distance_km"] = np.inf
    assert csv_rows(frame) == pandas_rows(frame)
    # csv_bytes takes the fast path at this size and still guards formulas ('=E2)
    written = csv_bytes(frame)
    assert written.startswith(b"volunteer_id,elder_id,distance_km,weekly_minutes\n")
    assert b",'=E2," in written and b",=E2," not in written


def test_columns_it_does_not_render_are_declined():
    assert csv_rows(pd.DataFrame({"day": pd.to_datetime(["2026-03-30"])})) is None
    assert csv_rows(pd.DataFrame({"flag": [True]})) is None
    assert csv_rows(pd.DataFrame({"mixed": pd.Series(["a", 1], dtype=object)})) is None

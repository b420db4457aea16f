"""The score median selected in passes of counts, against numpy's median of the same values.

Above ``DIRECT_MEDIAN_ROWS`` rows, ``sample_median`` no longer asks the backend for a median
(which holds the whole column) but selects the two middle order statistics by counting values
in bins; here both thresholds are lowered so that small frames take that path, on polars,
DuckDB and pandas, with ties, negative and integer scores, odd and even counts.
"""

from __future__ import annotations

from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd
import polars as pl
import pytest

from equityaudit.stats import counts
from equityaudit.stats.counts import sample_median


def frames(values: np.ndarray[Any, Any]) -> dict[str, nw.LazyFrame[Any]]:
    import duckdb

    native = pd.DataFrame({"score": values})
    return {
        "polars": nw.from_native(pl.LazyFrame({"score": values})),
        "pandas": nw.from_native(native).lazy(),
        "duckdb": nw.from_native(duckdb.from_df(native)),
    }


CASES = {
    "normal-odd": np.random.default_rng(1).normal(50, 20, size=20_001),
    "normal-even": np.random.default_rng(2).normal(0, 1, size=20_000),
    "integer-ties": np.random.default_rng(3).integers(0, 101, size=30_000),
    "heavy-tie-at-median": np.concatenate([np.zeros(5_000), np.full(12_000, 7.0), np.arange(9_000.0) + 8]),
    "skewed": np.random.default_rng(4).lognormal(0, 3, size=25_001),
    "negative": -np.random.default_rng(5).exponential(10, size=10_000),
    # the two middle values in different bins (the middle ranks part at the first level)
    "two-blocks": np.concatenate([np.zeros(6_000), np.ones(6_000)]),
    "two-spread-blocks": np.concatenate(
        [np.random.default_rng(6).normal(0, 1, 6_000), 1e6 + np.arange(6_000.0)]
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_selected_median_equals_numpys(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(counts, "DIRECT_MEDIAN_ROWS", 1_000)
    monkeypatch.setattr(counts, "_MEDIAN_HELD", 300)  # several levels of bins before values are read
    values = CASES[case]
    expected = float(np.median(values))
    for backend, frame in frames(values).items():
        assert sample_median(frame, "score", origin="test") == pytest.approx(expected, rel=1e-15, abs=0), (
            backend
        )


def test_a_score_with_nan_keeps_the_backends_own_median(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(counts, "DIRECT_MEDIAN_ROWS", 10)
    values = np.array([1.0, 2.0, float("nan"), 4.0] * 10)
    frame = nw.from_native(pl.LazyFrame({"score": values}))
    direct = pl.Series(values).median()
    assert sample_median(frame, "score", origin="test") == direct

"""The data backends the suite audits on: one table, chosen from the command line.

``pytest --backends pandas,duckdb`` runs every backend-parametrized test on those two only
(default: all). A test takes the ``constructor`` fixture, a function from a pandas frame to the
same data in one backend (narwhals' ``constructor`` pattern), and is run once per backend.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa

Constructor = Callable[[pd.DataFrame], Any]

CONSTRUCTORS: dict[str, Constructor] = {
    "pandas": lambda df: df,
    "polars": pl.from_pandas,
    "polars-lazy": lambda df: pl.from_pandas(df).lazy(),
    "pyarrow": lambda df: pa.Table.from_pandas(df, preserve_index=False),
    "duckdb": duckdb.from_df,
}
"""Backend name → how a pandas frame becomes that backend's frame."""


def selected(option: str | None) -> list[str]:
    """The backends ``--backends`` names (all when it is not given), checked against the table."""
    if not option:
        return list(CONSTRUCTORS)
    names = [name.strip() for name in option.split(",") if name.strip()]
    unknown = [name for name in names if name not in CONSTRUCTORS]
    if unknown:
        raise ValueError(f"--backends: unknown backend(s) {unknown}; choose from {list(CONSTRUCTORS)}")
    return names

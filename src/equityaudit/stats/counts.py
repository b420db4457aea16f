"""Grouped sufficient statistics: per-group counts made in one aggregation on the backend.

Every rate, interval and test equityaudit reports is derived from these counts, and they are
what a result stores and a registry pools. The aggregation groups by the raw values of the
sensitive, decision, outcome and stage columns at once (one scan of the data, whatever the
backend); the few distinct value combinations that come back are then normalised in Python —
``yes``/``1``/``True`` to 1, ``""``/``unknown`` to ``Unknown`` — and summed into groups.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import narwhals as nw
import numpy as np

from equityaudit.errors import DataError, counted
from equityaudit.frames import collect_or_data_error
from equityaudit.spec import LabelledColumn
from equityaudit.values import UNKNOWN, binary_mapping, null_as_none, sensitive_label

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["GroupCounts", "grouped_counts", "sample_median"]


@dataclass(frozen=True)
class GroupCounts:
    """Counts per group: one row per combination of the ``by`` attributes.

    ``table`` holds the ``by`` columns (strings) and integer count columns: always ``n``;
    ``selected`` with a decision (or a score); ``positives`` and ``tp`` with an outcome;
    ``above`` with a score (rows strictly above the threshold); ``reached_<stage>`` with stages.
    """

    by: tuple[str, ...]
    table: pd.DataFrame

    @property
    def count_columns(self) -> list[str]:
        """The count columns, in table order."""
        return [c for c in self.table.columns if c not in self.by]

    @property
    def total(self) -> int:
        """Number of rows counted."""
        return int(self.table["n"].sum())

    def marginal(self, by: Sequence[str]) -> GroupCounts:
        """Counts by a subset of the attributes, summed over the others (exact, no rescan).

        Examples
        --------
        >>> import pandas as pd
        >>> table = pd.DataFrame({"sex": ["F", "F", "M"], "race": ["A", "B", "A"],
        ...                       "n": [2, 3, 4], "selected": [1, 1, 2]})
        >>> GroupCounts(("sex", "race"), table).marginal(["sex"]).table.to_dict("list")
        {'sex': ['F', 'M'], 'n': [5, 4], 'selected': [2, 2]}
        """
        by = tuple(by)
        unknown = [b for b in by if b not in self.by]
        if unknown:
            raise KeyError(f"cannot marginalise to {unknown}: counts are by {list(self.by)}")
        summed = _sum_by(self.table, by, self.count_columns)
        if summed is None:  # keys other than text, or counts other than int64: let pandas do it
            grouped = self.table.groupby(list(by), sort=True, observed=True)[self.count_columns].sum()
            summed = grouped.reset_index()
        return GroupCounts(by, summed)

    def to_records(self) -> list[dict[str, Any]]:
        """One ``{group: {attr: value}, n: …, <counts>}`` record per group."""
        records = []
        for values in self.table.to_dict("records"):
            record: dict[str, Any] = {"group": {b: str(values[b]) for b in self.by}}
            record.update({c: int(values[c]) for c in self.count_columns})
            records.append(record)
        return records


def _sum_by(table: pd.DataFrame, by: Sequence[str], count_columns: Sequence[str]) -> pd.DataFrame | None:
    """``table.groupby(by, sort=True)[count_columns].sum().reset_index()``, for a table of a few dozen groups.

    The same frame as pandas' (groups sorted, key columns of the same dtype, int64 counts), made
    with a dictionary: pandas' groupby costs about a millisecond a call whatever the size, and an
    audit marginalises its counts to every grouping. ``None`` (use pandas) unless every key is a
    string and every count column int64.
    """
    import pandas as pd  # pandas takes a third of a second to import: only where it is used

    if table.empty or not all(table[c].dtype == np.int64 for c in count_columns):
        return None
    keys = [table[b].tolist() for b in by]
    if not all(isinstance(v, str) for column in keys for v in column):
        return None
    groups = list(zip(*keys, strict=True))
    rows: dict[tuple[str, ...], int] = {}
    for group in groups:
        rows.setdefault(group, len(rows))
    index = np.array([rows[group] for group in groups], dtype=np.intp)
    ranked = sorted(rows)  # the groups in pandas' order (sort=True)
    position = np.array([rows[group] for group in ranked], dtype=np.intp)
    data: dict[str, Any] = {}
    for k, b in enumerate(by):  # a text dtype is kept; object keys are inferred again, as pandas does
        dtype = table[b].dtype if isinstance(table[b].dtype, pd.StringDtype) else None
        data[b] = pd.Series([group[k] for group in ranked], dtype=dtype)
    for column in count_columns:
        sums = np.zeros(len(rows), dtype=np.int64)
        np.add.at(sums, index, table[column].to_numpy())
        data[column] = sums[position]
    return pd.DataFrame(data)


def sample_median(frame: nw.LazyFrame[Any], score: str, *, origin: str) -> float:
    """Median of a numeric score over the whole sample, on the backend.

    Up to :data:`DIRECT_MEDIAN_ROWS` rows it is the backend's own median (one pass, which holds
    the column); above, it is selected exactly by :func:`_selected_median` in a few passes that
    hold only counts and the values of one narrow range, so memory does not grow with the rows.
    """
    dtype = frame.collect_schema()[score]
    if not dtype.is_numeric():
        offending = (
            frame.select(nw.col(score))
            .filter(~nw.col(score).cast(nw.String).str.contains(r"^\s*-?[0-9.eE+-]+\s*$"))
            .head(5)
        )
        bad = collect_or_data_error(offending, origin)[score].to_list()
        raise DataError(
            f"{origin}: column {score!r} (columns.score) should be numeric, but has type {dtype}"
            f"{' with values such as ' + ', '.join(map(repr, bad)) if bad else ''}. "
            "Remove the non-numeric values or name a numeric column."
        )
    value = nw.col(score)
    floating = dtype == nw.Float64 or dtype == nw.Float32
    summary = [
        nw.len().alias("rows"),
        value.null_count().alias("missing"),
        (value.is_nan().cast(nw.Int64).sum() if floating else nw.lit(0)).alias("nan"),
        value.min().alias("low"),
        value.max().alias("high"),
    ]
    stats = collect_or_data_error(frame.select(summary), origin).row(0)
    rows, missing, nan, low, high = (stats[0], stats[1], stats[2] or 0, stats[3], stats[4])
    if missing:
        raise DataError(
            f"{origin}: column {score!r} (columns.score) has {missing} missing value(s); every row "
            "needs a score. Fill them in or drop those rows before the audit."
        )
    if not rows or low is None:
        raise DataError(f"{origin}: column {score!r} (columns.score) has no values.")
    if rows > DIRECT_MEDIAN_ROWS and not nan:
        return _selected_median(frame, value, rows=int(rows), low=low, high=high, origin=origin)
    median = collect_or_data_error(frame.select(value.median().alias("median")), origin)["median"][0]
    return float(median)


DIRECT_MEDIAN_ROWS = 2_000_000
"""Above this many rows a score's median is selected in passes of counts (:func:`_selected_median`)."""

_MEDIAN_BINS = 4_096
_MEDIAN_HELD = 200_000
"""At most this many values of the range holding the median are read at once."""


def _selected_median(
    frame: nw.LazyFrame[Any], value: nw.Expr, *, rows: int, low: Any, high: Any, origin: str
) -> float:
    """The exact median of a column without holding it: its middle order statistics, selected.

    The range known to hold the ``k``-th smallest value is cut into :data:`_MEDIAN_BINS` bins of
    equal width and the values in each are counted (one grouped count); the bin holding the
    ``k``-th is kept, by the same bin expression, so a value on an edge is never counted twice;
    until the range holds at most :data:`_MEDIAN_HELD` values (then they are read and sorted) or one
    value. Each level narrows the range about 4,000-fold: 100 million values take two or three.
    The median is the mean of the ``(n-1)//2``-th and ``n//2``-th values, as the backends take it.

    Examples
    --------
    >>> import polars as pl
    >>> import numpy as np
    >>> x = np.random.default_rng(1).normal(size=10_001)
    >>> frame = nw.from_native(pl.LazyFrame({"s": x}))
    >>> import equityaudit.stats.counts as counts
    >>> held, counts._MEDIAN_HELD = counts._MEDIAN_HELD, 50  # force the binned passes
    >>> picked = _selected_median(frame, nw.col("s"), rows=10_001, low=x.min(), high=x.max(), origin="x")
    >>> counts._MEDIAN_HELD = held
    >>> picked == float(np.median(x))
    True
    """
    lower, upper = _order_statistics(
        frame, value, sorted({(rows - 1) // 2, rows // 2}), low=low, high=high, origin=origin
    )
    return float(lower) if lower == upper else (float(lower) + float(upper)) / 2.0


def _order_statistics(
    frame: nw.LazyFrame[Any],
    value: nw.Expr,
    ks: list[int],
    *,
    low: Any,
    high: Any,
    origin: str,
    inside: nw.Expr | None = None,
    below: int = 0,
) -> tuple[Any, Any]:
    """The ``ks[0]``-th and ``ks[-1]``-th smallest values (0-based; ``ks`` one or two consecutive
    ranks) of the rows ``inside`` selects, whose values lie in ``[low, high]`` and above ``below``
    smaller ones. The two ranks are narrowed together while one bin holds both; where they part,
    each is followed into its own bin."""
    while True:
        selected = frame.filter(inside) if inside is not None else frame
        count = None
        if inside is not None:
            stats = collect_or_data_error(
                selected.select(nw.len().alias("n"), value.min().alias("lo"), value.max().alias("hi")), origin
            ).row(0)
            count, low, high = int(stats[0]), stats[1], stats[2]
        if low == high:
            return low, low
        if count is not None and count <= _MEDIAN_HELD:
            held = sorted(collect_or_data_error(selected.select(value.alias("v")), origin)["v"].to_list())
            return held[ks[0] - below], held[ks[-1] - below]
        width = (float(high) - float(low)) / _MEDIAN_BINS
        position = ((value - low) / width).floor().clip(0, _MEDIAN_BINS - 1).cast(nw.Int64)
        binned = selected.with_columns(position.alias("__bin")).group_by("__bin").agg(nw.len().alias("n"))
        counted = collect_or_data_error(binned.sort("__bin"), origin)
        found: list[tuple[int, int]] = []  # for each rank: its bin, and the rows below that bin
        before = below
        for bin_index, n in zip(counted["__bin"].to_list(), counted["n"].to_list(), strict=True):
            found += [(bin_index, before) for k in ks[len(found) :] if k < before + n]
            if len(found) == len(ks):
                break
            before += n
        else:  # pragma: no cover - the counts add up to the rows
            raise RuntimeError(f"order statistics {ks} are beyond the {before} counted values")
        if found[0][0] != found[-1][0]:  # the two ranks lie in different bins: follow each
            lower, upper = (
                _order_statistics(
                    frame,
                    value,
                    [k],
                    low=low,
                    high=high,
                    origin=origin,
                    inside=_both(inside, position == bin_index),
                    below=rows_below,
                )[0]
                for k, (bin_index, rows_below) in zip(ks, found, strict=True)
            )
            return lower, upper
        inside, below = _both(inside, position == found[0][0]), found[0][1]


def _both(inside: nw.Expr | None, where: nw.Expr) -> nw.Expr:
    return where if inside is None else inside & where


@dataclass(frozen=True)
class Tally:
    """Rows per combination of some columns' values, already counted on the data's backend.

    The quality gate counts the combinations of the columns whose values its checks read (the
    sensitive columns, the decision, the outcome, a stage) in one grouped pass
    (:class:`equityaudit.quality.facts.EngineFacts`); :func:`grouped_counts` re-groups that small
    table instead of scanning the data a second time when it covers the columns it counts by.
    """

    table: Any
    """A pyarrow table: the columns, and the rows holding each combination in ``rows``."""
    rows: str
    """The name of the column of rows."""

    @property
    def columns(self) -> list[str]:
        """The columns whose combinations are counted."""
        return [str(c) for c in self.table.column_names if c != self.rows]

    def regrouped(self, keys: Sequence[str], *, name: str) -> nw.DataFrame[Any]:
        """Rows per combination of ``keys`` (a subset of :attr:`columns`), in a column ``name``.

        Examples
        --------
        >>> import pyarrow as pa
        >>> tally = Tally(pa.table({"sex": ["F", "F", "M"], "hired": [1, 0, 1], "n": [3, 2, 4]}), rows="n")
        >>> sorted(tally.regrouped(["sex"], name="__n").rows())
        [('F', 5), ('M', 4)]
        """
        summed = self.table.group_by(list(keys), use_threads=False).aggregate([(self.rows, "sum")])
        regrouped: nw.DataFrame[Any] = nw.from_native(summed.rename_columns([*keys, name]))
        return regrouped


def grouped_counts(
    frame: nw.LazyFrame[Any],
    *,
    sensitive: Sequence[str],
    decision: str | LabelledColumn | None = None,
    outcome: str | LabelledColumn | None = None,
    score: str | None = None,
    score_threshold: float | None = None,
    stage: str | None = None,
    stages: Sequence[str] = (),
    unknown_values: Iterable[str] = (),
    origin: str = "<data>",
    tally: Tally | None = None,
) -> GroupCounts:
    """Count rows per combination of the sensitive attributes in one grouped aggregation.

    Parameters
    ----------
    frame
        The data.
    sensitive
        Sensitive attribute columns; missing or unknown values count under ``Unknown``.
    decision, outcome
        Binary columns (plain names, or labelled columns); give ``selected`` and
        ``positives``/``tp`` counts.
    score, score_threshold
        A numeric score and a cut: ``above`` counts rows scoring strictly above it; without a
        decision, ``selected`` is ``above`` (the LL144 scoring rate).
    stage, stages
        A column holding the furthest stage each row reached, and the stages in order; gives
        ``reached_<stage>`` counts (rows that reached that stage or a later one).
    unknown_values
        Extra sensitive values that mean unknown.
    origin
        The data source, for messages.
    tally
        The same rows already counted by combination (the quality gate's pass over the same
        frame): used instead of a second pass when it covers the columns counted by and no score
        is cut.

    Examples
    --------
    >>> import pandas as pd
    >>> import narwhals as nw
    >>> df = pd.DataFrame({"sex": ["F", "F", "M", None], "hired": ["yes", "no", "yes", "no"]})
    >>> counts = grouped_counts(nw.from_native(df).lazy(), sensitive=["sex"], decision="hired")
    >>> counts.table.to_dict("list")
    {'sex': ['F', 'M', 'Unknown'], 'n': [2, 1, 1], 'selected': [1, 1, 0]}
    """
    import pandas as pd

    decision_column = decision.column if isinstance(decision, LabelledColumn) else decision
    outcome_column = outcome.column if isinstance(outcome, LabelledColumn) else outcome
    keys = list(dict.fromkeys([*sensitive, *(c for c in (decision_column, outcome_column, stage) if c)]))
    aggregations = [nw.len().alias("__n")]
    if score is not None:
        if score_threshold is None:
            raise ValueError("score_threshold is required with a score")
        # elementary aggregations only, so every backend (pandas, pyarrow) runs them natively
        frame = frame.with_columns((nw.col(score) > score_threshold).cast(nw.Int64).alias("__above"))
        aggregations.append(nw.col("__above").sum())
    if score is None and tally is not None and set(keys) <= set(tally.columns):
        aggregated = tally.regrouped(keys, name="__n")
    else:
        aggregated = collect_or_data_error(  # a malformed file is parsed only now
            frame.group_by(keys, drop_null_keys=False).agg(*aggregations), origin
        )
    names = aggregated.columns
    rows = aggregated.rows()
    if not rows:
        raise DataError(f"{origin}: the data has no rows; expected at least one row to audit.")

    def value_counts(column: str) -> dict[Any, int]:
        position = names.index(column)
        tally: Counter[Any] = Counter()
        for row in rows:
            tally[null_as_none(row[position])] += int(row[names.index("__n")])
        return dict(tally)

    decision_map = (
        binary_mapping(value_counts(decision_column), decision, key="columns.decision", origin=origin)
        if decision is not None and decision_column is not None
        else None
    )
    outcome_map = (
        binary_mapping(value_counts(outcome_column), outcome, key="columns.outcome", origin=origin)
        if outcome is not None and outcome_column is not None
        else None
    )
    stage_rank = _stage_ranks(value_counts(stage), stages, column=stage, origin=origin) if stage else None

    unknown = list(unknown_values)
    labels: dict[tuple[Any, ...], tuple[str, ...]] = {}
    totals: dict[tuple[str, ...], Counter[str]] = {}
    for row in rows:
        record = dict(zip(names, row, strict=True))
        raw_group = tuple(null_as_none(record[c]) for c in sensitive)
        if raw_group not in labels:
            labels[raw_group] = tuple(sensitive_label(v, unknown=unknown) for v in raw_group)
        cell = totals.setdefault(labels[raw_group], Counter())
        n = int(record["__n"])
        cell["n"] += n
        above = int(record.get("__above", 0) or 0)
        if decision_map is not None and decision_column is not None:
            selected = n * decision_map[null_as_none(record[decision_column])]
        else:
            selected = above  # the scoring rate: rows strictly above the threshold
        if decision is not None or score is not None:
            cell["selected"] += selected
        if outcome_map is not None and outcome_column is not None:
            truth = outcome_map[null_as_none(record[outcome_column])]
            cell["positives"] += n * truth
            cell["tp"] += selected * truth
        if score is not None:
            cell["above"] += above
        if stage_rank is not None and stage is not None:
            rank = stage_rank[null_as_none(record[stage])]
            for position, name in enumerate(stages):
                cell[f"reached_{name}"] += n * (rank >= position)

    for position, column in enumerate(sensitive):
        if all(group[position] == UNKNOWN for group in totals):
            raise DataError(
                f"{origin}: column {column!r} (columns.sensitive) has no known values: all "
                f"{sum(cell['n'] for cell in totals.values())} rows are missing or unknown. Fill in the "
                "column, or remove it from columns.sensitive."
            )
    columns = ["n"]
    if decision is not None or score is not None:
        columns.append("selected")
    if outcome is not None:
        columns += ["positives", "tp"]
    if score is not None:
        columns.append("above")
    if stage is not None:
        columns += [f"reached_{name}" for name in stages]
    ordered = sorted(totals.items())
    table_columns = [*sensitive, *columns]
    if len(set(table_columns)) == len(
        table_columns
    ):  # column by column: one frame, no conversions afterwards
        data: dict[str, Any] = {s: [group[k] for group, _ in ordered] for k, s in enumerate(sensitive)}
        data.update({c: np.array([cell[c] for _, cell in ordered], dtype=np.int64) for c in columns})
        return GroupCounts(tuple(sensitive), pd.DataFrame(data))
    table = pd.DataFrame(
        [(*group, *(cell[c] for c in columns)) for group, cell in ordered], columns=table_columns
    )
    for column in columns:
        table[column] = table[column].astype("int64")
    return GroupCounts(tuple(sensitive), table)


def _stage_ranks(
    counts: Mapping[Any, int], stages: Sequence[str], *, column: str, origin: str
) -> dict[Any, int]:
    if not stages:
        raise DataError(
            f"{origin}: columns.stage is {column!r} but the spec does not give the stages' order; "
            "add options.stages, e.g. stages: [applied, interview, offer]."
        )
    order = {name.strip().lower(): position for position, name in enumerate(stages)}
    ranks: dict[Any, int] = {}
    offending: dict[Any, int] = {}
    for value, count in counts.items():
        position = None if value is None else order.get(str(value).strip().lower())
        if position is None:
            offending[value] = count
        else:
            ranks[value] = position
    if offending:
        shown = ", ".join(
            f"{v!r} ({counted(n, 'row')})" for v, n in sorted(offending.items(), key=lambda kv: -kv[1])
        )
        raise DataError(
            f"{origin}: column {column!r} (columns.stage) holds value(s) that are not among "
            f"options.stages {list(stages)}: {shown}. Add them to options.stages in funnel order, "
            "or fix the data."
        )
    return ranks

"""Named groups: a sensitive column's raw values labelled and merged, or its numbers banded.

One implementation serves a spec's ``columns.groups`` and a standard's taxonomy (a standard
hands its category map to the engine as groups, see :mod:`equityaudit.standards.apply`).
:func:`apply_groups` rewrites each grouped column on the data's own backend, before the quality
gate and the counts, and returns what it did as :class:`~equityaudit.results.NamedGroups`
records for the result.

A raw value that a label map does not cover is, under ``other: error``, left as it is: the
quality gate's set check on the column then names it with its count and blocks the audit
(:func:`coverage_expectation`). Missing values and values that mean unknown stay unknown.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import narwhals as nw

from equityaudit.errors import ColumnNotFoundError, DataError
from equityaudit.frames import Source, collect_or_data_error
from equityaudit.results import NamedGroups
from equityaudit.spec import AuditSpec, GroupBands, GroupLabels
from equityaudit.values import UNKNOWN, sensitive_label

__all__ = ["apply_groups", "band_names", "covered_labels", "in_group_order", "normalise_label"]

_COVERED_EXAMPLES = 8


def normalise_label(value: Any) -> str:
    """The form raw values are matched in: trimmed, lower-case, ``1.0`` read as ``1``.

    Examples
    --------
    >>> normalise_label(" Female "), normalise_label(2.0), normalise_label("2.0")
    ('female', '2', '2')
    """
    text = str(value).strip().lower()
    if re.fullmatch(r"-?\d+\.0+", text):
        text = text.split(".")[0]
    return text


def covered_labels(grouping: GroupLabels) -> list[str]:
    """The values a label-mapped column may hold afterwards: its labels, and ``Unknown``."""
    named = {label for label in grouping.labels.values() if label is not None}
    return sorted(named | {UNKNOWN})


def band_names(cuts: list[float], *, closed: str, whole: bool) -> list[str]:
    """Plain names of the bands that ``cuts`` make, lowest first.

    Examples
    --------
    >>> band_names([25, 40, 65], closed="left", whole=True)
    ['under 25', '25–39', '40–64', '65 and over']
    >>> band_names([25, 40], closed="right", whole=True)
    ['25 and under', '26–40', 'over 40']
    >>> band_names([2.5], closed="left", whole=False)
    ['under 2.5', '2.5 and over']
    >>> band_names([1.5, 4], closed="right", whole=False)
    ['1.5 and under', 'over 1.5 to 4', 'over 4']
    """
    shown = [f"{c:g}" for c in cuts]
    if closed == "left":
        names = [f"under {shown[0]}"]
        for low, high, low_text, high_text in zip(cuts, cuts[1:], shown, shown[1:], strict=False):
            names.append(
                f"{low_text}–{high - 1:g}"
                if whole and high - 1 > low
                else (low_text if whole else f"{low_text} to under {high_text}")
            )
        return [*names, f"{shown[-1]} and over"]
    names = [f"{shown[0]} and under"]
    for low, high, low_text, high_text in zip(cuts, cuts[1:], shown, shown[1:], strict=False):
        names.append(
            f"{low + 1:g}–{high_text}"
            if whole and high > low + 1
            else (high_text if whole else f"over {low_text} to {high_text}")
        )
    return [*names, f"over {shown[-1]}"]


def apply_groups(source: Source, spec: AuditSpec, *, origin: str) -> tuple[Source, list[NamedGroups]]:
    """Rewrite each grouped sensitive column into its named groups, on the data's backend.

    Parameters
    ----------
    source
        The loaded data.
    spec
        The spec, whose ``columns.groups`` says how (a standard's taxonomy is already there).
    origin
        The spec file, for messages.

    Raises
    ------
    ColumnNotFoundError
        A grouped column is not in the data.
    DataError
        A banded column holds text, or has too few distinct numbers for its quantiles.

    Examples
    --------
    >>> import pandas as pd
    >>> from equityaudit.frames import read_source
    >>> from equityaudit.spec_loading import spec_from_mapping
    >>> spec = spec_from_mapping({"equityaudit": 1, "name": "x", "auditor": "decisions",
    ...     "data": {"path": "d.csv"}, "columns": {"sensitive": ["status", "age"], "decision": "y",
    ...     "groups": {"status": {"A91": "male", "A93": "male", "A92": "female"},
    ...                "age": {"bins": [25, 40]}}}})
    >>> df = pd.DataFrame({"status": ["A91", "A92", "A93", None], "age": [19, 25, 40, None],
    ...     "y": [1, 0, 1, 0]})
    >>> grouped, records = apply_groups(read_source(df), spec, origin="spec.yaml")
    >>> grouped.frame.collect().to_pandas()[["status", "age"]].head(3).values.tolist()
    [['male', 'under 25'], ['female', '25–39'], ['male', '40 and over']]
    >>> [r.description for r in records]  # doctest: +NORMALIZE_WHITESPACE
    ['status: A91 → male, A92 → female, A93 → male; a value not listed blocks the audit.',
     'age: bands under 25, 25–39, 40 and over (cut at 25, 40; a cut point starts the band above it).']
    """
    groups = spec.columns.groups
    if not groups:
        return source, []
    frame = source.frame
    schema = frame.collect_schema()
    records: list[NamedGroups] = []
    expressions = []
    for column, grouping in groups.items():
        if column not in schema:
            raise ColumnNotFoundError(
                f"{source.name}: column {column!r} (columns.groups in {origin}) is not in the data; "
                f"columns in the data: {', '.join(schema.names())}."
            )
        where = _where(spec, column)
        if isinstance(grouping, GroupLabels):
            expression, record = _labelled(frame, column, grouping, spec, where)
        else:
            expression, record = _banded(frame, column, grouping, schema[column], source.name, where)
        expressions.append(expression.alias(column))
        records.append(record)
    return replace(source, frame=frame.with_columns(*expressions)), records


def _where(spec: AuditSpec, column: str) -> str:
    """Where a column's grouping comes from, as the result records it."""
    if spec.standard is not None:
        return f"standard {spec.standard} (its taxonomy of {column})"
    return f"columns.groups.{column}"


def _labelled(
    frame: nw.LazyFrame[Any], column: str, grouping: GroupLabels, spec: AuditSpec, where: str
) -> tuple[nw.Expr, NamedGroups]:
    wanted = {normalise_label(raw): label for raw, label in grouping.labels.items()}
    distinct = collect_or_data_error(frame.select(nw.col(column).cast(nw.String)).unique(), "<data>")[
        column
    ].to_list()
    raws: list[str] = []
    mapped: list[str] = []
    seen: dict[str, str] = {}
    for raw in distinct:
        if raw is None or isinstance(raw, float):  # a missing value (None, or NaN from pandas) stays missing
            continue
        key = normalise_label(raw)
        if key in wanted:
            group = wanted[key] or UNKNOWN
            group = UNKNOWN if normalise_label(group) == "unknown" else group
        elif (
            sensitive_label(raw, unknown=spec.columns.unknown_values) == UNKNOWN
            or grouping.other == "unknown"
        ):
            group = UNKNOWN
        else:  # keep: its own group; error: kept as it is for the gate's set check to name and count
            group = raw
        raws.append(raw)
        mapped.append(group)
        seen[raw] = group
    expression = (
        nw.col(column)
        .cast(nw.String)
        .replace_strict(raws, mapped, default=nw.lit(None, nw.String), return_dtype=nw.String)
        if raws
        else nw.col(column).cast(nw.String)
    )
    listed = {raw: group for raw, group in seen.items() if normalise_label(raw) in wanted}
    shown = ", ".join(f"{raw} → {group}" for raw, group in sorted(listed.items())[:_COVERED_EXAMPLES])
    more = len(listed) - _COVERED_EXAMPLES
    other = {
        "error": "a value not listed blocks the audit",
        "keep": "a value not listed is its own group",
        "unknown": "a value not listed counts as unknown",
    }[grouping.other]
    record = NamedGroups(
        column=column,
        source=where,
        kind="labels",
        labels=dict(sorted(seen.items())),
        other=grouping.other,
        order=list(dict.fromkeys(label for label in grouping.labels.values() if label is not None)),
        description=f"{column}: {shown}{f' and {more} more' if more > 0 else ''}; {other}.",
    )
    return expression, record


def _banded(
    frame: nw.LazyFrame[Any], column: str, grouping: GroupBands, dtype: Any, name: str, where: str
) -> tuple[nw.Expr, NamedGroups]:
    if not dtype.is_numeric():
        distinct = frame.select(nw.col(column).cast(nw.String)).unique().head(200)
        values = collect_or_data_error(distinct, "<data>")[column].to_list()
        text = [v for v in values if v is not None and not _is_number(v)][:5]
        raise DataError(
            f"{name}: column {column!r} ({where}: bands) holds text, not numbers"
            + (f" (values such as {', '.join(map(repr, text))})" if text else f" (read as {dtype})")
            + "; bands need a numeric column. Correct those values (leave unknown ones empty), or name "
            "the column's groups with labels instead of bins."
        )
    whole = dtype.is_integer() or _whole_numbers(frame, column)
    if grouping.bins == "quantiles":
        assert grouping.n is not None  # the spec model requires n with quantiles
        cuts = _quantile_cuts(frame, column, grouping.n, whole=whole, closed=grouping.closed)
        if not cuts:
            raise DataError(
                f"{name}: column {column!r} ({where}: bins: quantiles, n: {grouping.n}) has too few distinct "
                "numbers to cut into bands; give cut points (bins: [...]) instead."
            )
    else:
        cuts = list(grouping.bins)
    names = grouping.labels if grouping.labels is not None and len(grouping.labels) == len(cuts) + 1 else None
    if grouping.labels is not None and names is None:  # quantiles that merged: ties left fewer cuts
        raise DataError(
            f"{name}: column {column!r} ({where}) gave {len(cuts) + 1} bands after ties merged "
            f"quantiles, but labels names {len(grouping.labels)}; drop labels or give cut points."
        )
    whole_cuts = whole and all(float(c).is_integer() for c in cuts)
    bands = names or band_names(cuts, closed=grouping.closed, whole=whole_cuts)
    value = nw.col(column)
    missing = value.is_null() | (value.is_nan() if dtype.is_float() else nw.lit(False))
    chain: Any = nw.when(missing).then(nw.lit(None, nw.String))
    for cut, band in zip(cuts, bands, strict=False):
        below = value < cut if grouping.closed == "left" else value <= cut
        chain = chain.when(below).then(nw.lit(band))
    expression = chain.otherwise(nw.lit(bands[-1]))
    rule = (
        "a cut point starts the band above it"
        if grouping.closed == "left"
        else "a cut point ends the band below it"
    )
    quantiles = f"the data's {grouping.n}-quantiles, " if grouping.bins == "quantiles" else ""
    record = NamedGroups(
        column=column,
        source=where,
        kind="bands",
        cuts=[float(c) for c in cuts],
        bands=list(bands),
        closed=grouping.closed,
        quantiles=grouping.n if grouping.bins == "quantiles" else None,
        order=list(bands),
        description=f"{column}: bands {', '.join(bands)} (cut at {quantiles}{', '.join(f'{c:g}' for c in cuts)}; {rule}).",
    )
    return expression, record


def _quantile_cuts(frame: nw.LazyFrame[Any], column: str, n: int, *, whole: bool, closed: str) -> list[float]:
    """The data's inner ``n``-quantiles, distinct; whole numbers for an integer column.

    A cut between two whole numbers moves to the next whole number on the side its band is
    closed, which puts every value in the same band as the fractional cut would.
    """
    shares = [i / n for i in range(1, n)]
    value = nw.col(column)
    selected = frame.select(  # one pass: the quantiles and the range they must fall inside
        *(value.quantile(share, interpolation="linear").alias(f"q{i}") for i, share in enumerate(shares)),
        value.min().alias("lo"),
        value.max().alias("hi"),
    )
    row = collect_or_data_error(selected, "<data>")
    cuts: list[float] = []
    for quantile in (row[f"q{i}"][0] for i in range(len(shares))):
        if quantile is None or (isinstance(quantile, float) and math.isnan(quantile)):
            continue
        cut = float(quantile)
        if whole:
            cut = float(math.ceil(cut) if closed == "left" else math.floor(cut))
        if not cuts or cut > cuts[-1]:
            cuts.append(cut)
    minimum, maximum = row["lo"][0], row["hi"][0]
    inside = [c for c in cuts if minimum is not None and (minimum < c if closed == "left" else minimum <= c)]
    return [c for c in inside if maximum is not None and (c <= maximum if closed == "left" else c < maximum)]


def _whole_numbers(frame: nw.LazyFrame[Any], column: str) -> bool:
    """Whether a float column holds only whole numbers (an integer column read with missing values)."""
    value = nw.col(column)
    # a count of booleans summed as integers: Spark's sum takes no booleans
    fractional = (~value.is_null() & ~value.is_nan() & (value != value.round(0))).cast(nw.Int64).sum()
    count = collect_or_data_error(frame.select(fractional.alias("fractional")), "<data>")["fractional"][0]
    return not count


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def in_group_order(rows: list[dict[str, Any]], orders: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
    """``rows`` (each with a ``group`` mapping) with named groups in their own order (``orders``:
    column → its groups, e.g. bands lowest first); a group not listed, such as ``Unknown``, comes
    after them, and rows that tie keep their order.

    Examples
    --------
    >>> rows = [{"group": {"age": "40 and over"}}, {"group": {"age": "Unknown"}}, {"group": {"age": "under 40"}}]
    >>> [r["group"]["age"] for r in in_group_order(rows, {"age": ["under 40", "40 and over"]})]
    ['under 40', '40 and over', 'Unknown']
    """
    ranks = {column: {name: rank for rank, name in enumerate(order)} for column, order in orders.items()}
    if not ranks or not rows:
        return rows

    def key(row: dict[str, Any]) -> tuple[int, ...]:
        group = row.get("group") or {}
        return tuple(
            ranks[column].get(str(value), len(ranks[column]))
            for column, value in group.items()
            if column in ranks
        )

    return sorted(rows, key=key)

"""Preparing a customer table for the marketing auditor: one read, named checks, normalised flags.

:func:`prepare` checks that every column the options name is in the data, selects the columns the
audit needs and collects them **once** (a CSV or Parquet scan is read a single time; everything
after works on that in-memory frame, whatever its backend), turns each targeting flag into 0/1
with the same rules as a decision column, checks the offer is numeric and the estimated
probabilities are valid, and returns an :class:`Outcome` for every segment value and campaign.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import narwhals as nw

from equityaudit.auditors.columns import numeric_sensitive_notes
from equityaudit.auditors.marketing.options import Direction, MarketingOptions
from equityaudit.errors import ColumnNotFoundError, DataError, did_you_mean
from equityaudit.spec import AuditSpec
from equityaudit.values import binary_mapping, null_as_none, sensitive_label

__all__ = ["NO_SEGMENT", "Labeller", "Outcome", "Prepared", "prepare"]

NO_SEGMENT = "(no segment)"
"""Label of customers whose segment is missing: counted in the base, in no segment."""


@dataclass(frozen=True)
class Outcome:
    """Something a customer is in or not: a segment value or a campaign's targeting flag."""

    kind: Literal["segment", "campaign"]
    name: str
    """The segment value, or the campaign's flag column."""
    direction: Direction | None
    """Declared direction; ``None`` for a segment the spec does not declare (described, not judged)."""

    @property
    def key(self) -> str:
        """Name of its count column: ``segment=premium``, ``campaign=email_promo``."""
        return f"{self.kind}={self.name}"

    @property
    def label(self) -> str:
        """``segment premium``, ``campaign email_promo``: for table names and messages."""
        return f"{self.kind} {self.name}"


@dataclass
class Labeller:
    """Reported category of raw sensitive values (missing and unknown-like become ``Unknown``), cached."""

    unknown: Sequence[str] = ()
    _cache: dict[Any, str] = field(default_factory=dict)

    def __call__(self, value: Any) -> str:
        key = null_as_none(value)
        if key not in self._cache:
            self._cache[key] = sensitive_label(key, unknown=self.unknown)
        return self._cache[key]


@dataclass(frozen=True)
class Prepared:
    """The collected columns and what the auditor learned about them."""

    data: nw.DataFrame[Any]
    """The needed columns, flags as ``__flag_<i>`` 0/1 integer columns, collected once."""
    outcomes: list[Outcome]
    flags: dict[str, str]
    """Campaign flag column → its 0/1 column in ``data``."""
    segment_sizes: dict[str, int]
    """Customers per segment label (missing: :data:`NO_SEGMENT`)."""
    numeric_features: list[str]
    categorical_features: list[str]
    labeller: Labeller
    notes: list[str] = field(default_factory=list)


def segment_label(value: Any) -> str:
    """How a raw segment value is reported: trimmed text; missing is :data:`NO_SEGMENT`.

    Examples
    --------
    >>> segment_label(" premium "), segment_label(3.0), segment_label(None)
    ('premium', '3', '(no segment)')
    """
    value = null_as_none(value)
    if value is None:
        return NO_SEGMENT
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or NO_SEGMENT


def prepare(frame: nw.LazyFrame[Any], spec: AuditSpec, options: MarketingOptions, *, origin: str) -> Prepared:
    """Check, select and collect the columns the audit needs; normalise flags; validate probabilities."""
    schema = frame.collect_schema()
    present = schema.names()
    for key, column in options.columns().items():
        if column not in present:
            raise ColumnNotFoundError(
                f"{origin}: column {column!r} ({key} in the spec) is not in the data. "
                f"{did_you_mean(column, present, label='Columns in the data')}"
            )
    sensitive = spec.columns.sensitive
    needed = list(dict.fromkeys([*sensitive, *options.columns().values()]))
    data = frame.select(needed).collect()
    if len(data) == 0:
        raise DataError(f"{origin}: the data has no rows; expected at least one customer to audit.")
    notes = numeric_sensitive_notes(data, sensitive)  # an age in years would be dozens of groups

    flags: dict[str, str] = {}
    flag_columns = []
    for i, column in enumerate(options.campaigns):
        counts = _value_counts(data, column)
        mapping = binary_mapping(counts, column, key=f"options.campaigns.{column}", origin=origin)
        positive = [value for value, flag in mapping.items() if flag == 1]
        name = f"__flag_{i}"
        flags[column] = name
        expression = nw.col(column).is_in(positive) if positive else nw.lit(False)
        flag_columns.append(expression.cast(nw.Int64).alias(name))
    if flag_columns:
        data = data.with_columns(*flag_columns)

    if options.offer is not None:
        dtype = data.schema[options.offer]
        if not dtype.is_numeric():
            bad = [v for v in data[options.offer].unique().to_list() if not _is_number(v)][:5]
            raise DataError(
                f"{origin}: column {options.offer!r} (options.offer) should be numeric, but has type {dtype}"
                f"{' with values such as ' + ', '.join(map(repr, bad)) if bad else ''}. Correct the values, "
                "or name the column holding the offer's amount."
            )

    for attribute, columns in options.estimated.items():
        _check_probabilities(data, attribute, columns, tolerance=options.probability_tolerance, origin=origin)

    segment_sizes: dict[str, int] = {}
    outcomes: list[Outcome] = []
    if options.segment is not None:
        for value, n in _value_counts(data, options.segment).items():
            label = segment_label(value)
            segment_sizes[label] = segment_sizes.get(label, 0) + n
        present_segments = sorted(s for s in segment_sizes if s != NO_SEGMENT)
        for declared in options.segments:
            if declared not in segment_sizes:
                raise DataError(
                    f"{origin}: options.segments declares {declared!r}, but no customer of column "
                    f"{options.segment!r} is in it. {did_you_mean(declared, present_segments, label='Segments in the data')}"
                )
        for label in present_segments:
            outcomes.append(Outcome("segment", label, options.segments.get(label)))
        undeclared = [s for s in present_segments if s not in options.segments]
        if undeclared:
            notes.append(
                f"segments {undeclared} of column {options.segment!r} are not declared in options.segments: "
                "their composition is reported, but their targeting is not judged. Declare each as favourable "
                "or unfavourable to judge it."
            )
        if NO_SEGMENT in segment_sizes:
            notes.append(
                f"{segment_sizes[NO_SEGMENT]} customer(s) have no value in {options.segment!r}: counted in the "
                "customer base, in no segment."
            )
    for column, direction in options.campaigns.items():
        outcomes.append(Outcome("campaign", column, direction))

    numeric, categorical = [], []
    for feature in options.features:
        if feature not in options.categorical and data.schema[feature].is_numeric():
            numeric.append(feature)
        else:
            categorical.append(feature)
    return Prepared(
        data=data,
        outcomes=outcomes,
        flags=flags,
        segment_sizes=segment_sizes,
        numeric_features=numeric,
        categorical_features=categorical,
        labeller=Labeller(tuple(spec.columns.unknown_values)),
        notes=notes,
    )


def _value_counts(data: nw.DataFrame[Any], column: str) -> dict[Any, int]:
    """Each distinct value of a column (nulls together) and how many rows hold it."""
    counted = data.group_by([column], drop_null_keys=False).agg(nw.len().alias("__n"))
    tally: dict[Any, int] = {}
    for value, n in counted.rows():
        key = null_as_none(value)
        tally[key] = tally.get(key, 0) + int(n)
    return tally


def _is_number(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _check_probabilities(
    data: nw.DataFrame[Any], attribute: str, columns: Mapping[str, str], *, tolerance: float, origin: str
) -> None:
    """Every probability column numeric, in [0, 1]; each row all given (summing to 1) or all missing."""
    names = list(columns.values())
    for category, column in columns.items():
        if not data.schema[column].is_numeric():
            raise DataError(
                f"{origin}: column {column!r} (options.estimated.{attribute}.{category}) should hold "
                f"probabilities (numbers from 0 to 1), but has type {data.schema[column]}."
            )
    missing = nw.sum_horizontal(*(nw.col(c).is_null().cast(nw.Int64) for c in names))
    total = nw.sum_horizontal(*(nw.col(c).fill_null(0.0) for c in names))
    outside = nw.any_horizontal(*((nw.col(c) < 0) | (nw.col(c) > 1) for c in names), ignore_nulls=True)
    summary = (
        data.with_columns(missing.alias("__missing"), total.alias("__total"), outside.alias("__outside"))
        .select(
            ((nw.col("__missing") > 0) & (nw.col("__missing") < len(names)))
            .cast(nw.Int64)
            .sum()
            .alias("partial"),
            ((nw.col("__missing") == 0) & ((nw.col("__total") - 1.0).abs() > tolerance))
            .cast(nw.Int64)
            .sum()
            .alias("off"),
            nw.col("__outside").fill_null(False).cast(nw.Int64).sum().alias("outside"),
            (nw.col("__missing") == len(names)).cast(nw.Int64).sum().alias("absent"),
        )
        .rows(named=True)[0]
    )
    listed = ", ".join(names)
    where = f"{origin}: options.estimated.{attribute} ({listed})"
    if summary["outside"]:
        raise DataError(
            f"{where}: {summary['outside']} row(s) hold a probability below 0 or above 1. Probabilities "
            "must lie between 0 and 1; check that the columns hold shares, not percentages."
        )
    if summary["partial"]:
        raise DataError(
            f"{where}: {summary['partial']} row(s) have some of these probabilities missing but not all. "
            "Give every probability of a row, or leave all of them empty for a customer whose membership "
            "was not estimated."
        )
    if summary["off"]:
        raise DataError(
            f"{where}: {summary['off']} row(s) have probabilities that do not sum to 1 (within "
            f"{tolerance:g}, options.probability_tolerance). Each row must give the whole distribution over "
            "the categories: add the missing categories' columns, or renormalise the rows."
        )

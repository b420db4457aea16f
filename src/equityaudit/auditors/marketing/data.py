"""Preparing a customer table for the marketing auditor: named checks, normalised flags, the rows it reads.

:func:`prepare` checks that every column the options name is in the data, selects the columns the
audit needs, turns each targeting flag into 0/1 with the same rules as a decision column, checks
the offer is numeric and the estimated probabilities are valid, and returns an :class:`Outcome`
for every segment value and campaign.

Every count — the flags' values, the segments' sizes, the probability checks, and later the
counts behind every targeting and representation table — is a grouped aggregation over **every
row** (:attr:`Prepared.frame`), and so are the proxies' association measures and the offers'
means. Only two analyses need rows in memory: the proxy classifiers (cross-validated AUCs) and
the offers' medians and bootstrap intervals. They read :attr:`Prepared.data`: every row when the data has at most
``options.sample_rows`` rows (the default, 200,000), else a seeded sample of that many rows
stratified by the sensitive columns (:func:`equityaudit.sampling.stratified_sample`), which the
result states in ``data.sample`` and a note.
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
from equityaudit.frames import collect_or_data_error
from equityaudit.results import SampleInfo
from equityaudit.sampling import stratified_sample
from equityaudit.spec import AuditSpec
from equityaudit.values import binary_mapping, null_as_none, sensitive_label

__all__ = ["NO_SEGMENT", "Labeller", "Outcome", "Prepared", "collected", "prepare", "sample_note"]

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
    """The needed columns, the rows the analyses that need rows read, and what the auditor learned."""

    frame: nw.LazyFrame[Any] | nw.DataFrame[Any]
    """Every row of the needed columns, flags as ``__flag_<i>`` 0/1 integer columns: what the counts
    aggregate (lazy when the data was sampled; the collected rows otherwise)."""
    data: nw.DataFrame[Any]
    """The rows the proxy and offer analyses read, collected once: every row, or the sample."""
    outcomes: list[Outcome]
    flags: dict[str, str]
    """Campaign flag column → its 0/1 column in ``data``."""
    segment_sizes: dict[str, int]
    """Customers per segment label (missing: :data:`NO_SEGMENT`)."""
    numeric_features: list[str]
    categorical_features: list[str]
    labeller: Labeller
    notes: list[str] = field(default_factory=list)
    sample: SampleInfo | None = None
    """How :attr:`data` was sampled; ``None`` when it holds every row."""


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
    lazy = frame.select(needed)

    flags: dict[str, str] = {}
    flag_columns = []
    for i, column in enumerate(options.campaigns):
        counts = _value_counts(lazy, column, origin=origin)
        mapping = binary_mapping(counts, column, key=f"options.campaigns.{column}", origin=origin)
        positive = [value for value, flag in mapping.items() if flag == 1]
        name = f"__flag_{i}"
        flags[column] = name
        expression = nw.col(column).is_in(positive) if positive else nw.lit(False)
        flag_columns.append(expression.cast(nw.Int64).alias(name))
    if flag_columns:
        lazy = lazy.with_columns(*flag_columns)

    users = [
        *(["the proxy classifiers (and a numeric feature's decile bins)"] if options.features else []),
        *(["the offers' medians and bootstrap intervals"] if options.offer is not None else []),
    ]
    if users:
        drawn = stratified_sample(
            lazy,
            lazy.collect_schema().names(),
            strata=sensitive,
            cap=options.sample_rows,
            seed=spec.thresholds.seed,
            used_by=users,
            origin=origin,
        )
        data, sample = drawn.rows, drawn.info
        every_row = sample is None
    else:  # nothing needs rows: above the cap, none are read (under it, every row, as always)
        every_row = int(collected(lazy.select(nw.len().alias("n")), origin)["n"][0]) <= options.sample_rows
        data, sample = collect_or_data_error(lazy if every_row else lazy.head(0), origin), None
    if every_row and len(data) == 0:
        raise DataError(f"{origin}: the data has no rows; expected at least one customer to audit.")
    whole: nw.LazyFrame[Any] | nw.DataFrame[Any] = data if every_row else lazy
    notes = numeric_sensitive_notes(whole, sensitive)  # an age in years would be dozens of groups
    if sample is not None:
        notes.append(sample_note(sample))

    if options.offer is not None:
        dtype = data.schema[options.offer]
        if not dtype.is_numeric():
            bad = [v for v in data[options.offer].unique().to_list() if not _is_number(v)][:5]  # examples
            raise DataError(
                f"{origin}: column {options.offer!r} (options.offer) should be numeric, but has type {dtype}"
                f"{' with values such as ' + ', '.join(map(repr, bad)) if bad else ''}. Correct the values, "
                "or name the column holding the offer's amount."
            )

    for attribute, columns in options.estimated.items():
        _check_probabilities(
            whole, attribute, columns, tolerance=options.probability_tolerance, origin=origin
        )

    segment_sizes: dict[str, int] = {}
    outcomes: list[Outcome] = []
    if options.segment is not None:
        for value, n in _value_counts(whole, options.segment, origin=origin).items():
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
        frame=whole,
        data=data,
        outcomes=outcomes,
        flags=flags,
        segment_sizes=segment_sizes,
        numeric_features=numeric,
        categorical_features=categorical,
        labeller=Labeller(tuple(spec.columns.unknown_values)),
        notes=notes,
        sample=sample,
    )


def sample_note(info: SampleInfo) -> str:
    """The note saying which analyses read a sample, of how many rows, and how it was drawn."""
    strata = ", ".join(info.strata) or "nothing (one stratum)"
    return (
        f"{' and '.join(info.used_by) or 'nothing'} read a seeded sample of {info.rows:,} of the "
        f"{info.population:,} rows (options.sample_rows: {info.cap:,}; seed {info.seed}), stratified by "
        f"{strata} with proportional allocation over {len(info.allocation)} strata (data.sample in the result "
        "gives each stratum's size); every count, rate and test of the targeting and representation tables "
        "is over every row."
    )


def collected(frame: nw.LazyFrame[Any] | nw.DataFrame[Any], origin: str) -> nw.DataFrame[Any]:
    """An aggregation's few rows: collected when lazy, as they are otherwise."""
    return collect_or_data_error(frame, origin) if isinstance(frame, nw.LazyFrame) else frame


def _value_counts(data: nw.LazyFrame[Any] | nw.DataFrame[Any], column: str, *, origin: str) -> dict[Any, int]:
    """Each distinct value of a column (nulls together) and how many rows hold it."""
    counted = collected(data.group_by([column], drop_null_keys=False).agg(nw.len().alias("__n")), origin)
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
    data: nw.LazyFrame[Any] | nw.DataFrame[Any],
    attribute: str,
    columns: Mapping[str, str],
    *,
    tolerance: float,
    origin: str,
) -> None:
    """Every probability column numeric, in [0, 1]; each row all given (summing to 1) or all missing."""
    names = list(columns.values())
    schema = data.collect_schema()
    for category, column in columns.items():
        if not schema[column].is_numeric():
            raise DataError(
                f"{origin}: column {column!r} (options.estimated.{attribute}.{category}) should hold "
                f"probabilities (numbers from 0 to 1), but has type {schema[column]}."
            )
    missing = nw.sum_horizontal(*(nw.col(c).is_null().cast(nw.Int64) for c in names))
    total = nw.sum_horizontal(*(nw.col(c).fill_null(0.0) for c in names))
    outside = nw.any_horizontal(*((nw.col(c) < 0) | (nw.col(c) > 1) for c in names), ignore_nulls=True)
    summary = collected(
        data.with_columns(
            missing.alias("__missing"), total.alias("__total"), outside.alias("__outside")
        ).select(
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
        ),
        origin,
    ).rows(named=True)[0]
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

"""The audit spec (format version 1): its pydantic models and their JSON Schema.

A spec names the data, the auditor, the column roles, the thresholds and the quality rules of
one audit. It is usually a YAML file under ``audits/``, which :mod:`equityaudit.spec_loading`
reads and validates into an :class:`AuditSpec`; the models here say what is valid, and their
validators' messages say what was expected and what was found.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from equityaudit.errors import did_you_mean, short_repr

__all__ = [
    "SPEC_VERSION",
    "AuditSpec",
    "Columns",
    "DataPeriod",
    "DataSource",
    "GroupBands",
    "GroupLabels",
    "LabelledColumn",
    "ModelSpec",
    "Quality",
    "Shortlist",
    "Thresholds",
    "spec_json_schema",
]

SPEC_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LabelledColumn(_Strict):
    """A binary column whose favourable value is declared, e.g. ``{column: status, positive: Selected}``.

    Values listed in ``positive`` count as 1. When ``negative`` is given, only those values count
    as 0 and any other value fails the quality gate. Without ``negative`` the column may hold one
    other value, which counts as 0; a second other value, or no value matching ``positive``, is an
    error that lists the values found.
    """

    column: str = Field(min_length=1, description="Name of the column in the data.")
    positive: list[str | int | bool] = Field(
        min_length=1, description="Value(s) that mean selected / favourable / positive."
    )
    negative: list[str | int | bool] | None = Field(
        default=None,
        description="Value(s) that mean not selected; default: the one other value the column holds "
        "(two or more other values need this key).",
    )
    favourable: bool = Field(
        default=True,
        description="columns.decision only: false when receiving the decision is bad for the person "
        "(a denial, a risk flag such as score_text: High). The audit then compares the rate of not "
        "receiving it (favourable_rate), and the reference is the group that receives it least.",
    )

    @field_validator("positive", "negative", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if value is None or isinstance(value, list):
            return value
        return [value]


class GroupLabels(_Strict):
    """Names for a column's raw values, merging several into one group when they share a label.

    ``{labels: {A91: "male: divorced/separated", A93: "male: single"}, other: error}``; the short
    form ``{A91: "male: divorced/separated", ...}`` means the same with ``other: error``. Raw
    values match trimmed and case-insensitively (``1.0`` as ``1``); a label ``null`` (or
    ``Unknown``) counts those rows as unknown.
    """

    labels: dict[str, str | None] = Field(
        min_length=1, description="Raw value → group label; several raw values may share a label."
    )
    other: Literal["error", "keep", "unknown"] = Field(
        default="error",
        description="A value no label lists: error (the quality gate blocks and counts it), keep (it is "
        "its own group, under its raw value), or unknown (counted as unknown).",
    )

    @field_validator("labels", mode="before")
    @classmethod
    def _text_keys(cls, value: Any) -> Any:
        # YAML reads `1: male` with an integer key; raw values are matched as text
        if isinstance(value, dict):
            return {str(k): v for k, v in value.items()}
        return value

    @field_validator("labels")
    @classmethod
    def _labels_named(cls, value: dict[str, str | None]) -> dict[str, str | None]:
        empty = [raw for raw, label in value.items() if label is not None and not label.strip()]
        if empty:
            raise ValueError(
                f"the label of {empty} is empty; name the group, or write null to count it unknown"
            )
        return value


class GroupBands(_Strict):
    """Bands of a numeric column, cut at ``bins`` (or at quantiles of the data).

    ``{bins: [25, 40, 65]}`` cuts at 25, 40 and 65 into four bands: under 25, 25 to under 40,
    40 to under 65, 65 and over (``closed: left``, the default: a cut point opens the band above
    it). ``{bins: quantiles, n: 4}`` cuts at the data's quartiles. Every number falls in a band;
    missing values are unknown.
    """

    bins: list[float] | Literal["quantiles"] = Field(
        description="Cut points in increasing order, or 'quantiles' (with n) to cut at the data's quantiles."
    )
    n: int | None = Field(default=None, ge=2, le=10, description="With bins: quantiles, the number of bands.")
    labels: list[str] | None = Field(
        default=None,
        description="One name per band (one more than the cut points); default: 'under 25', '25–39', ... "
        "for whole numbers, 'under 25', '25 to under 40', ... otherwise.",
    )
    closed: Literal["left", "right"] = Field(
        default="left",
        description="left: a cut point belongs to the band above it (25 is in '25–39'); right: to the band below.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> GroupBands:
        if self.bins == "quantiles":
            if self.n is None:
                raise ValueError("bins: quantiles needs n, the number of bands (e.g. n: 4 for quartiles)")
            if self.labels is not None and len(self.labels) != self.n:
                raise ValueError(f"labels has {len(self.labels)} names for n: {self.n} bands; give {self.n}")
            return self
        if self.n is not None:
            raise ValueError(
                "n goes with bins: quantiles only; with cut points, the bands are one more than them"
            )
        if not self.bins:
            raise ValueError("bins is empty; give at least one cut point, e.g. [40]")
        if any(later <= earlier for earlier, later in zip(self.bins, self.bins[1:], strict=False)):
            raise ValueError(
                f"bins {self.bins} are not in increasing order; list each cut point once, smallest first"
            )
        if self.labels is not None and len(self.labels) != len(self.bins) + 1:
            raise ValueError(
                f"labels has {len(self.labels)} names for {len(self.bins)} cut point(s), which make "
                f"{len(self.bins) + 1} bands; give {len(self.bins) + 1}"
            )
        if self.labels is not None and len(set(self.labels)) != len(self.labels):
            raise ValueError(f"labels {self.labels} repeat a name; each band needs its own")
        return self


def _grouping(column: str, value: Any) -> Any:
    """The short form of labels (``{A91: male, ...}``) as the long one (``{labels: {...}}``)."""
    if isinstance(value, dict) and not ({"labels", "bins"} & set(map(str, value))):
        if str(value.get("other")) in ("error", "keep", "unknown"):
            raise ValueError(
                f"{column}: 'other: {value['other']}' sits among the raw values, where it would name a value 'other'; to "
                "set what happens to unlisted values, write the long form {labels: {A91: ..., A92: ...}, "
                f"other: {value['other']}}}"
            )
        return {"labels": value}
    return value


def _grouping_kind(value: Any) -> str:
    keys = value if isinstance(value, dict) else vars(value) if isinstance(value, BaseModel) else {}
    return "GroupBands" if "bins" in keys else "GroupLabels"


Grouping = Annotated[
    Annotated[GroupLabels, Tag("GroupLabels")] | Annotated[GroupBands, Tag("GroupBands")],
    Discriminator(_grouping_kind),
]
"""A named grouping of one sensitive column: value labels or numeric bands."""


class Columns(_Strict):
    """The roles the data's columns play in the audit."""

    sensitive: list[str] = Field(
        default_factory=list,
        description="Demographic attributes to audit by, e.g. [sex, race_ethnicity] (the auditor says "
        "whether it needs them).",
    )
    intersectional: bool = Field(default=True, description="Also audit the cross of all sensitive columns.")
    decision: str | LabelledColumn | None = Field(
        default=None,
        description="Binary decision of the tool (selected / advanced / targeted): a column whose "
        "values are 1/0, true/false, yes/no or Y/N, or {column, positive} for a labelled column.",
    )
    score: str | None = Field(default=None, description="Optional continuous score column.")
    outcome: str | LabelledColumn | None = Field(
        default=None, description="Optional ground-truth column; enables error-rate metrics."
    )
    stage: str | None = Field(
        default=None,
        description="Optional column holding the furthest stage each person reached in a "
        "multi-stage funnel (the stages' order goes in options.stages).",
    )
    id: str | None = Field(default=None, description="Optional unique row id column.")
    unknown_values: list[str] = Field(
        default_factory=list,
        description="Extra sensitive-attribute values that mean 'unknown' (added to the built-in "
        "list: empty, 'unknown', 'n/a', 'prefer not to say', 'decline to self-identify', ...).",
    )
    groups: dict[str, Grouping] = Field(
        default_factory=dict,
        description="Named groups of a sensitive column: {A91: 'male: divorced/separated', ...} names and "
        "merges raw values; {bins: [25, 40, 65]} or {bins: quantiles, n: 4} bands a number. Applied "
        "before counting and recorded in the result (docs/spec.md#named-groups).",
    )

    @field_validator("groups", mode="before")
    @classmethod
    def _group_forms(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        wrong = {k: v for k, v in value.items() if not isinstance(v, dict | BaseModel)}
        if wrong:
            raise ValueError(
                f"groups of {sorted(map(str, wrong))} are not mappings (found {short_repr(next(iter(wrong.values())))}); "
                "expected raw values and labels ({A91: 'male: divorced/separated', A92: ...}) or bands "
                "({bins: [25, 40, 65]} or {bins: quantiles, n: 4})"
            )
        return {k: _grouping(str(k), v) for k, v in value.items()}

    @field_validator("sensitive", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _distinct(self) -> Columns:
        if len(set(self.sensitive)) != len(self.sensitive):
            raise ValueError(f"sensitive columns are listed twice: {self.sensitive}")
        stray = [column for column in self.groups if column not in self.sensitive]
        if stray:
            raise ValueError(
                f"groups names {stray}, which columns.sensitive {self.sensitive} does not list; groups name "
                "the values of sensitive columns: add the column to sensitive, or remove its groups"
            )
        roles: dict[str, list[str]] = {}
        for role, column in self.named().items():
            roles.setdefault(column, []).append(role)
        if isinstance(self.outcome, LabelledColumn) and not self.outcome.favourable:
            raise ValueError(
                "columns.outcome.favourable is false, but favourable applies to columns.decision only (an "
                "outcome is ground truth: name the label that means a positive outcome in outcome.positive)"
            )
        for column, named in roles.items():
            if len(named) > 1:
                raise ValueError(
                    f"column {column!r} is named for {' and '.join(named)}; expected each role to have a "
                    "column of its own (a decision audited by itself, or scored against itself, says "
                    "nothing). Name the right column for each role."
                )
        return self

    @property
    def decision_favourable(self) -> bool:
        """Whether receiving the decision is good for the person (``columns.decision.favourable``)."""
        return not isinstance(self.decision, LabelledColumn) or self.decision.favourable

    @property
    def decision_column(self) -> str | None:
        """Name of the decision column, whichever form it was given in."""
        return _column_name(self.decision)

    @property
    def outcome_column(self) -> str | None:
        """Name of the outcome column, whichever form it was given in."""
        return _column_name(self.outcome)

    def named(self) -> dict[str, str]:
        """Every role that names a column, as ``{role: column}`` (sensitive as sensitive[i])."""
        roles = {f"sensitive[{i}]": c for i, c in enumerate(self.sensitive)}
        for role in ("decision_column", "outcome_column"):
            column = getattr(self, role)
            if column is not None:
                roles[role.removesuffix("_column")] = column
        for role in ("score", "stage", "id"):
            column = getattr(self, role)
            if column is not None:
                roles[role] = column
        return roles


def _column_name(role: str | LabelledColumn | None) -> str | None:
    if isinstance(role, LabelledColumn):
        return role.column
    return role


class DataPeriod(_Strict):
    """The period the data covers."""

    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> DataPeriod:
        if self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")
        return self


_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
"""A location with a scheme (``s3://``, ``hdfs://``, ``file://``): read by Spark, never resolved as a path."""


class DataSource(_Strict):
    """Where the data is and what it is."""

    path: Path | Annotated[str, Field(pattern=_URI.pattern, title="URI")] | None = Field(
        default=None,
        description="Data file (CSV, Parquet or JSONL), relative to the spec file; with engine: spark "
        "also a folder of such files or a URI (s3://bucket/data.parquet). A spec file names one of "
        "path, query (with database) or table; omitted when a frame is passed to equityaudit.audit().",
    )
    format: Literal["csv", "parquet", "jsonl"] | None = Field(
        default=None, description="File format; default: from the file's extension."
    )
    separator: str = Field(default=",", min_length=1, max_length=1, description="CSV separator.")
    engine: Literal["polars", "duckdb", "spark"] = Field(
        default="polars",
        description="What reads and counts the data: polars (lazy scan of path), duckdb (path "
        "read in place by DuckDB, or query run on database) or spark (path or table read by the "
        "SparkSession the environment names: SPARK_REMOTE, else SPARK_MASTER, default local[2]). "
        "Default: polars for path, duckdb for query.",
    )
    table: str | None = Field(
        default=None,
        min_length=1,
        description="A table of the Spark session's catalog (database.table) whose rows are the data; "
        "needs engine: spark and the 'spark' extra.",
    )
    query: str | None = Field(
        default=None,
        min_length=1,
        description="One read-only SQL statement (SELECT or WITH ... SELECT) run on database; its "
        "rows are the data. Needs the 'duckdb' extra.",
    )
    database: Path | None = Field(
        default=None,
        description="DuckDB database file the query runs on, opened read-only; relative to the spec file.",
    )
    kind: Literal["historical", "test"] = Field(
        default="historical",
        description="historical (real decisions on real applicants) or test data; NYC LL144 "
        "allows test data only when historical data is insufficient, with the reason stated.",
    )
    test_data_reason: str | None = Field(
        default=None, description="Why test data is used instead of historical data."
    )
    description: str | None = Field(
        default=None, description="Where the data comes from, in words a reader of the report understands."
    )
    period: DataPeriod | None = Field(default=None, description="Period the data covers.")

    @model_validator(mode="before")
    @classmethod
    def _query_engine(cls, data: Any) -> Any:
        """A query runs on DuckDB: an unset engine becomes duckdb (polars cannot run SQL on a database)."""
        if isinstance(data, dict) and data.get("query") is not None and "engine" not in data:
            return {**data, "engine": "duckdb"}
        return data

    @field_validator("path", mode="before")
    @classmethod
    def _uri_or_path(cls, value: Any) -> Any:
        """A URI stays text (a path would fold its ``//``); anything else is a path."""
        if isinstance(value, str) and not _URI.match(value):
            return Path(value)
        return value

    @model_validator(mode="after")
    def _one_source(self) -> DataSource:
        if self.table is not None:
            others = [key for key in ("path", "query", "database") if getattr(self, key) is not None]
            if others:
                raise ValueError(
                    f"both table and {' and '.join(others)} are set; name one source: table (a Spark "
                    "table) or path (a data file)"
                )
            if self.engine != "spark":
                raise ValueError(
                    f"table is read from the Spark catalog, but engine is {self.engine!r}; set engine: "
                    "spark (or name a data file with path)"
                )
        if isinstance(self.path, str) and self.engine != "spark":
            raise ValueError(
                f"path is the URI {self.path!r}, which only Spark reads, but engine is {self.engine!r}; "
                "set engine: spark, or give the path of a local file"
            )
        if self.query is not None:
            if self.path is not None:
                raise ValueError(
                    "both path and query are set; name one source: path (a data file) or query (with "
                    "database)"
                )
            if self.database is None:
                raise ValueError(
                    "query is set but database is missing; name the DuckDB file the query runs on"
                )
            if self.engine != "duckdb":
                raise ValueError(
                    f"query runs on DuckDB, but engine is {self.engine!r}; set engine: duckdb or leave it out"
                )
        elif self.database is not None:
            raise ValueError("database is set but query is missing; write the SELECT statement to run on it")
        return self

    @model_validator(mode="after")
    def _test_reason(self) -> DataSource:
        if self.kind == "test" and not (self.test_data_reason or "").strip():
            raise ValueError(
                "kind is 'test' but test_data_reason is missing: NYC LL144 §5-301 requires "
                "explaining why historical data was not used; add data.test_data_reason"
            )
        return self


class Thresholds(_Strict):
    """Decision thresholds; a standard, when named, fixes them."""

    impact_ratio: float = Field(
        default=0.8, gt=0, le=1, description="A group whose rate ratio to the reference is below this fails."
    )
    difference: float = Field(
        default=0.1,
        gt=0,
        le=1,
        description="Largest acceptable gap in error rates (equalized odds, equal opportunity).",
    )
    alpha: float = Field(default=0.05, gt=0, lt=1, description="Significance level.")
    min_group_size: int = Field(
        default=30, ge=1, description="Groups smaller than this are reported as insufficient_data."
    )
    require_significance: bool = Field(
        default=True,
        description="A ratio below the threshold fails only when it is also statistically "
        "significant after correction; otherwise it warns.",
    )
    correction: Literal["holm", "bh", "none"] = Field(
        default="holm",
        description="Multiple-comparison correction across all of an audit's tests, weighted by family "
        "(holm: family-wise error; bh: false discovery rate; none).",
    )
    bootstrap: int = Field(
        default=0,
        ge=0,
        le=100_000,
        description="Bootstrap replicates for ratio intervals (0: analytic Katz intervals only). A "
        "comparison with fewer than 10 selected or 10 not selected in either group gets the MOVER-R "
        "interval instead, which covers where a percentile bootstrap does not.",
    )
    seed: int = Field(default=0, description="Seed of the bootstrap.")
    counterfactual: float = Field(
        default=0.05,
        gt=0,
        lt=1,
        description="Largest acceptable share of a group's model decisions that change when a sensitive "
        "column (or a declared proxy) the model reads is flipped to another value (model: audits).",
    )

    @field_validator(
        "impact_ratio",
        "difference",
        "alpha",
        "min_group_size",
        "bootstrap",
        "seed",
        "counterfactual",
        mode="before",
    )
    @classmethod
    def _a_number_not_a_boolean(cls, value: Any) -> Any:
        if isinstance(value, bool):  # pydantic would read true as 1
            raise ValueError(f"expected a number, found {str(value).lower()}")
        return value


_EXPECTATION_KEYS = ("type", "kwargs", "meta", "notes", "severity")


class Quality(_Strict):
    """Extra quality-gate rules, on top of what the auditor demands (see docs/quality.md)."""

    max_missing: dict[str, float] = Field(
        default_factory=dict,
        description="Largest share (0-1) of missing values per column; sensitive columns default to 0.2.",
    )
    allowed: dict[str, list[bool | int | float | str]] = Field(
        default_factory=dict, description="The only values a column may hold, compared exactly."
    )
    ranges: dict[str, tuple[float | None, float | None]] = Field(
        default_factory=dict, description="[min, max] of a numeric column, inclusive; null for an open end."
    )
    unique: list[str] = Field(default_factory=list, description="Columns whose values must be unique.")
    min_rows: int | None = Field(default=None, ge=1, description="Fewest rows the data may have.")
    expectations: list[dict[str, Any]] = Field(
        default_factory=list,
        description="great-expectations expectations in GX's JSON form: "
        "{type: expect_..., kwargs: {...}, meta: {...}, severity: critical|warning|info}.",
    )
    suite: Path | None = Field(
        default=None,
        description="A great-expectations suite JSON file whose expectations the gate adds "
        "(relative to the spec file).",
    )

    @field_validator("max_missing")
    @classmethod
    def _shares(cls, value: dict[str, float]) -> dict[str, float]:
        for column, share in value.items():
            if not 0 <= share <= 1:
                raise ValueError(
                    f"column {column!r}: {share} is not a share between 0 and 1 (0.05 means 5 %)"
                )
        return value

    @field_validator("ranges")
    @classmethod
    def _bounds(
        cls, value: dict[str, tuple[float | None, float | None]]
    ) -> dict[str, tuple[float | None, float | None]]:
        for column, (low, high) in value.items():
            if low is None and high is None:
                raise ValueError(f"column {column!r}: [null, null]; give a minimum, a maximum or both")
            if low is not None and high is not None and low > high:
                raise ValueError(f"column {column!r}: [{low}, {high}]: the minimum exceeds the maximum")
        return value

    @field_validator("expectations")
    @classmethod
    def _gx_form(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for i, item in enumerate(value):
            where = f"expectations[{i}]"
            kind = item.get("type")
            if not isinstance(kind, str) or not kind:
                raise ValueError(
                    f"{where} has no 'type'; write a great-expectations expectation as "
                    "{type: expect_column_values_to_be_between, kwargs: {column: score, min_value: 0}}"
                )
            for key in item:
                if key not in _EXPECTATION_KEYS:
                    raise ValueError(
                        f"{where} ({kind}): unknown key {key!r}. {did_you_mean(str(key), _EXPECTATION_KEYS)}"
                    )
            if not isinstance(item.get("kwargs", {}), dict):
                raise ValueError(f"{where} ({kind}): 'kwargs' should be a mapping of arguments")
            if item.get("severity", "critical") not in ("critical", "warning", "info"):
                raise ValueError(
                    f"{where} ({kind}): severity is {item['severity']!r}; expected critical, warning or info"
                )
        return value


class Shortlist(_Strict):
    """A shortlist instead of a fixed threshold: the ``top_k`` rows, or the ``top_share`` of rows, with the highest output.

    ``{top_k: 50}`` selects the 50 rows with the highest scores; ``{top_share: 0.1}`` the highest
    ⌈0.1 × rows⌉. Every row tied with the last row taken (the k-th highest score) is selected too,
    so a shortlist may hold more than k rows; the audit's notes say how many more.
    """

    top_k: int | None = Field(default=None, description="Select the k rows with the highest output (k ≥ 1).")
    top_share: float | None = Field(
        default=None,
        description="Select this share of the rows (0 < share ≤ 1) with the highest output: the top "
        "⌈share × rows⌉ rows.",
    )

    @model_validator(mode="after")
    def _one_of_two(self) -> Shortlist:
        if self.top_k is not None and self.top_share is not None:
            raise ValueError(
                f"both top_k ({self.top_k}) and top_share ({self.top_share:g}) are given; a shortlist is "
                "either a number of rows (top_k) or a share of them (top_share): keep one"
            )
        if self.top_k is None and self.top_share is None:
            raise ValueError("expected top_k (a number of rows) or top_share (a share of rows, 0 to 1)")
        return self

    def size(self, rows: int) -> int:
        """How many rows the shortlist takes out of ``rows``, before ties: k, or ⌈share × rows⌉ (at least 1).

        Examples
        --------
        >>> Shortlist(top_share=0.1).size(45), Shortlist(top_share=0.1).size(50), Shortlist(top_k=7).size(50)
        (5, 5, 7)
        """
        if self.top_k is not None:
            return self.top_k
        assert self.top_share is not None
        # rounded to 9 places first, so that 0.1 × 50 = 5.000000000000001 is 5, not 6
        return max(1, math.ceil(round(self.top_share * rows, 9)))

    @property
    def text(self) -> str:
        """The shortlist in words: ``top 50`` or ``top 10%``.

        Examples
        --------
        >>> Shortlist(top_k=50).text, Shortlist(top_share=0.125).text
        ('top 50', 'top 12.5%')
        """
        if self.top_k is not None:
            return f"top {self.top_k}"
        assert self.top_share is not None
        return f"top {100 * self.top_share:g}%"


def _shortlist(value: dict[Any, Any]) -> Shortlist:
    """``model.threshold`` given as a mapping: checked key by key, so each message names one problem."""
    unknown = [str(k) for k in value if k not in ("top_k", "top_share")]
    if unknown:
        raise ValueError(
            f"unknown key {unknown[0]!r} in a shortlist; expected {{top_k: 50}} or {{top_share: 0.1}}. "
            + did_you_mean(unknown[0], ["top_k", "top_share"])
        )
    k, share = value.get("top_k"), value.get("top_share")
    if k is not None and share is not None:
        raise ValueError(
            f"both top_k ({short_repr(k)}) and top_share ({short_repr(share)}) are given; a shortlist is "
            "either a number of rows (top_k) or a share of them (top_share): keep one"
        )
    if k is None and share is None:
        raise ValueError(
            "a shortlist needs top_k (a number of rows, {top_k: 50}) or top_share (a share of rows, {top_share: 0.1})"
        )
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k <= 0):
        raise ValueError(
            f"top_k is {short_repr(k)}; expected a whole number of rows, at least 1 (top_k: 50 selects the "
            "50 rows with the highest output)"
        )
    if share is not None and (
        isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1
    ):
        raise ValueError(
            f"top_share is {short_repr(share)}; expected a share of the rows above 0 and at most 1 "
            "(top_share: 0.1 selects the highest 10%)"
        )
    return Shortlist(top_k=k, top_share=None if share is None else float(share))


class ModelSpec(_Strict):
    """A fitted model to score the held-out rows with: its output becomes the decision (and score).

    ``{path: model.skops, features: [age, hours], threshold: 0.5}``: a scikit-learn model or
    pipeline saved with skops (loaded with only trusted types, never unpickled) or an ONNX file
    (run with onnxruntime, the ``onnx`` extra). See docs/spec.md#models.
    """

    path: Path = Field(
        description="The model file, relative to the spec file: .skops (scikit-learn via skops) or .onnx."
    )
    features: list[str] | None = Field(
        default=None,
        min_length=1,
        description="The columns the model reads, in its order; default: every column of the data "
        "that plays no role in the audit.",
    )
    output: Literal["probability", "label", "score"] = Field(
        default="probability",
        description="What the model gives: probability (of the favourable class, predict_proba), label "
        "(a 1/0 decision, predict) or score (any number, decision_function).",
    )
    threshold: float | Shortlist | None = Field(
        default=None,
        description="A row is selected when the model's output is at least this; default 0.5 for "
        "probabilities, required for scores, not used for labels. Or a shortlist: {top_k: 50} selects "
        "the 50 rows with the highest output, {top_share: 0.1} the highest 10% (rows tied with the "
        "last one taken are selected too).",
    )
    trusted: list[str] = Field(
        default_factory=list,
        description="Types in a skops file you trust beyond skops' defaults (the error for an "
        "untrusted file lists them).",
    )
    outcome: str | LabelledColumn | None = Field(
        default=None,
        description="The held-out rows' true label (the outcome the model predicts), for the "
        "model's own analyses (AUC, calibration, accuracy in the threshold sweep, less "
        "discriminatory alternatives) when the auditor takes no columns.outcome (hiring); with "
        "columns.outcome set, that column is the label and this key must be left out.",
    )

    proxies: list[str] = Field(
        default_factory=list,
        description="Feature columns that stand in for a sensitive attribute (a postcode, a first "
        "name's frequency); each is flipped to its other values, as the sensitive columns the model "
        "reads are, and the share of decisions that change is judged against "
        "thresholds.counterfactual. Each must be one of the model's features.",
    )

    @field_validator("threshold", mode="before")
    @classmethod
    def _a_number_not_a_boolean(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError(f"expected a number, found {str(value).lower()}")
        if isinstance(value, dict):
            return _shortlist(value)
        return value

    @model_validator(mode="after")
    def _threshold_fits_output(self) -> ModelSpec:
        if self.output == "label" and self.threshold is not None:
            given = self.threshold.text if isinstance(self.threshold, Shortlist) else f"{self.threshold:g}"
            raise ValueError(
                f"threshold {given} is given but output is 'label': a label is already a "
                "decision (a shortlist needs a probability or score to rank by); remove threshold, or use "
                "output: probability or score"
            )
        if self.output == "score" and self.threshold is None:
            raise ValueError(
                "output is 'score' but threshold is missing: a score has no natural cut-off; add "
                "threshold, the lowest score that selects"
            )
        if (
            self.output == "probability"
            and isinstance(self.threshold, float | int)
            and not 0 <= self.threshold <= 1
        ):
            raise ValueError(
                f"threshold {self.threshold:g} is not a probability between 0 and 1; for a model "
                "that outputs other numbers, use output: score"
            )
        if self.features is not None and len(set(self.features)) != len(self.features):
            raise ValueError(f"features lists a column twice: {self.features}")
        if len(set(self.proxies)) != len(self.proxies):
            raise ValueError(f"proxies lists a column twice: {self.proxies}")
        label = _column_name(self.outcome)
        if self.features is not None and label in self.features:
            raise ValueError(
                f"outcome {label!r} is also listed under features; the true label is what the model "
                "predicts, not something it reads: remove it from features"
            )
        return self

    @property
    def cut_off(self) -> float | None:
        """The fixed threshold in force: the one given, 0.5 for probabilities, none for labels and shortlists."""
        if isinstance(self.threshold, Shortlist):
            return None  # the cut-off of a shortlist is the k-th highest output, known once scored
        if self.threshold is not None:
            return self.threshold
        return 0.5 if self.output == "probability" else None

    @property
    def shortlist(self) -> Shortlist | None:
        """The shortlist (``threshold: {top_k: ...}`` or ``{top_share: ...}``), if the threshold is one."""
        return self.threshold if isinstance(self.threshold, Shortlist) else None


Reference = Literal["max_rate", "largest"] | dict[str, str]


class AuditSpec(_Strict):
    """An audit spec, format version 1 (see ``equityaudit schema spec``)."""

    equityaudit: Literal[1] = Field(description="Spec format version; must be 1.")
    name: str = Field(
        min_length=1,
        max_length=120,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="Name of the audit, used for report file names: letters, digits, '.', '_' and '-', "
        "starting with a letter or digit.",
    )
    auditor: str = Field(min_length=1, description="A registered auditor (equityaudit auditors).")
    standard: str | None = Field(default=None, description="Standard the audit conforms to.")
    data: DataSource
    columns: Columns = Field(default_factory=Columns, description="The roles of the data's columns.")
    reference: Reference = Field(
        default="max_rate",
        description="Reference group: max_rate (highest rate), largest, or {attribute: value}.",
    )
    thresholds: Thresholds = Field(default_factory=Thresholds)
    quality: Quality = Field(default_factory=Quality)
    options: dict[str, Any] = Field(default_factory=dict, description="Auditor-specific options.")
    model: ModelSpec | None = Field(
        default=None,
        description="A model file scored on the data (held-out rows, data.kind: test); its output "
        "becomes the decision and score roles (docs/spec.md#models).",
    )

    source_path: Path | None = Field(default=None, exclude=True, description="internal")
    source_sha256: str | None = Field(default=None, exclude=True, description="internal")

    @property
    def origin(self) -> str:
        """Where the spec came from, as messages name it: its file, or ``<spec>`` for one built in memory.

        A spec read by :func:`~equityaudit.spec_loading.load_spec` knows its file; one built by
        :func:`~equityaudit.spec_loading.spec_from_mapping` (as :func:`equityaudit.audit` does) has
        none, and every message says ``<spec>`` for it.

        Examples
        --------
        >>> from equityaudit.spec_loading import load_spec, spec_from_mapping
        >>> spec = spec_from_mapping({"equityaudit": 1, "name": "demo", "auditor": "decisions",
        ...     "data": {"path": "data.csv"}, "columns": {"sensitive": "sex", "decision": "selected"}})
        >>> spec.origin, load_spec("audits/hiring.yaml").origin
        ('<spec>', 'audits/hiring.yaml')
        """
        return str(self.source_path) if self.source_path else "<spec>"

    @model_validator(mode="after")
    def _model_on_held_out_rows(self) -> AuditSpec:
        if self.model is None:
            return self
        if self.data.kind != "test":
            raise ValueError(
                f"model: a model is audited on held-out rows, but data.kind is {self.data.kind!r}; set "
                "data.kind: test and say in data.test_data_reason how the rows were held out of training"
            )
        if self.model.outcome is not None and self.columns.outcome is not None:
            raise ValueError(
                f"model.outcome ({_column_name(self.model.outcome)!r}) and columns.outcome "
                f"({self.columns.outcome_column!r}) are both given; the model's analyses take "
                "columns.outcome as the true label when the auditor uses it: remove model.outcome (or "
                "columns.outcome, for an auditor that takes none)"
            )
        taken = [role for role in ("decision", "score") if getattr(self.columns, role) is not None]
        if taken:
            named = " and ".join(f"columns.{role}" for role in taken)
            raise ValueError(
                f"model: the model's output is the decision and score, but the spec also names {named}; "
                f"remove {named} to audit the model, or remove model to audit the column(s)"
            )
        return self

    @property
    def model_label(self) -> tuple[str, str | LabelledColumn] | None:
        """The true label of a model's own analyses and the key that names it, if any.

        ``columns.outcome`` when the spec gives it (the auditor uses it), else ``model.outcome``.

        Examples
        --------
        >>> from equityaudit.spec_loading import spec_from_mapping
        >>> spec = spec_from_mapping({"equityaudit": 1, "name": "m", "auditor": "hiring",
        ...     "data": {"path": "d.csv", "kind": "test", "test_data_reason": "held out"},
        ...     "columns": {"sensitive": "sex"}, "model": {"path": "m.skops", "outcome": "hired"}})
        >>> spec.model_label
        ('model.outcome', 'hired')
        """
        if self.columns.outcome is not None:
            return "columns.outcome", self.columns.outcome
        if self.model is not None and self.model.outcome is not None:
            return "model.outcome", self.model.outcome
        return None

    @field_validator("reference", mode="before")
    @classmethod
    def _reference_form(cls, value: Any) -> Any:
        if isinstance(value, dict) or value in ("max_rate", "largest"):
            return value
        raise ValueError(
            f"expected 'max_rate', 'largest' or a mapping {{attribute: value}}, found {value!r}. "
            + (did_you_mean(value, ["max_rate", "largest"]) if isinstance(value, str) else "")
        )

    @field_validator("reference")
    @classmethod
    def _reference_attributes(cls, value: Reference, info: ValidationInfo) -> Reference:
        """A reference mapping names sensitive columns only (reported under the key ``reference``)."""
        columns = info.data.get("columns")
        if isinstance(value, dict) and isinstance(columns, Columns):
            sensitive = columns.sensitive
            for attribute in value:
                if attribute not in sensitive:
                    listed = ", ".join(repr(c) for c in sensitive) or "none"
                    raise ValueError(
                        f"names {attribute!r}, which is not a sensitive column (columns.sensitive: "
                        f"{listed}). {did_you_mean(attribute, sensitive)}"
                    )
        return value


def spec_json_schema() -> dict[str, Any]:
    """The JSON Schema of the spec format.

    Examples
    --------
    >>> schema = spec_json_schema()
    >>> schema["title"], sorted(schema["required"])
    ('AuditSpec', ['auditor', 'data', 'equityaudit', 'name'])
    """
    schema = AuditSpec.model_json_schema(mode="validation")
    for internal in ("source_path", "source_sha256"):
        schema["properties"].pop(internal, None)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://equityaudit.dev/schema/spec-1.json"
    return schema

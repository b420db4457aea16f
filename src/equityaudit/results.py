"""The audit result (schema ``equityaudit.result/2``): models, canonical JSON and hashing.

One :class:`AuditResult` is the single source for every renderer, for ``compare`` and for the
registry: reports are rendered from it and never recompute a number. Its canonical JSON (sorted
keys, no NaN or Infinity, RFC 8785 number formatting) gives it a stable SHA-256.

It stays one module of some 600 lines: the result schema is one contract, and its models,
canonical JSON and reading must change together (a field added here is a field the JSON Schema,
the reader and the registry's validation all see).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import rfc8785
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from equityaudit.errors import ResultError, counted

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "READABLE_SCHEMAS",
    "RESULT_SCHEMA",
    "STATUSES",
    "STATUS_ORDER",
    "AuditInfo",
    "AuditResult",
    "Check",
    "CountsTable",
    "DataInfo",
    "Finding",
    "Gate",
    "MetricWords",
    "ModelInfo",
    "NamedGroups",
    "SampleInfo",
    "ShortlistInfo",
    "StandardRef",
    "Status",
    "StratumSize",
    "Table",
    "Verdict",
    "Vocabulary",
    "canonical_json",
    "read_result",
    "result_json_schema",
    "self_contradiction",
    "verdict_contradiction",
    "verdict_of",
]

RESULT_SCHEMA = "equityaudit.result/2"
READABLE_SCHEMAS = ("equityaudit.result/1", RESULT_SCHEMA)
"""Schemas :func:`read_result` reads. Version 2 added the status ``inconclusive`` (an interval that
straddles the threshold with a difference that is not significant), which version 1 wrote as
``insufficient_data``, and ``data.groups`` (named groups); a version-1 result reads unchanged, its words as written."""

Status = Literal["fail", "warn", "inconclusive", "insufficient_data", "pass"]
Verdict = Literal["pass", "warn", "fail", "blocked"]

STATUSES: tuple[Status, ...] = ("fail", "warn", "inconclusive", "insufficient_data", "pass")
"""Finding statuses, worst first: the order findings are listed in (see ``equityaudit.judging``)."""

STATUS_ORDER: dict[Status, int] = {"pass": 0, "insufficient_data": 1, "inconclusive": 2, "warn": 3, "fail": 4}
"""Severity of finding statuses (higher is worse). ``inconclusive`` and ``insufficient_data`` are
never a silent pass: they make the verdict ``warn``."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Tool(_Model):
    """The program that produced the result."""

    name: str = "equityaudit"
    version: str


class StandardRef(_Model):
    """The standard an audit conforms to."""

    id: str
    version: str
    sha256: str


class AuditInfo(_Model):
    """What was audited, by which auditor, under which spec."""

    name: str
    auditor: str
    spec_sha256: str | None = Field(description="SHA-256 of the spec file; null for API calls.")
    standard: StandardRef | None = None
    date: dt.date = Field(description="Date of the audit.")
    thresholds: dict[str, Any] | None = Field(
        default=None,
        description="The thresholds the findings were judged by (impact ratio, alpha, minimum group "
        "size, correction, ...), as the spec or standard set them.",
    )


class NamedGroups(_Model):
    """How one sensitive column's raw values became the groups the audit counted (``columns.groups``)."""

    column: str
    source: str = Field(
        description="Where the grouping comes from: columns.groups.COLUMN, or a standard's taxonomy."
    )
    kind: Literal["labels", "bands"]
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="labels: each raw value the data held → the group it was counted in.",
    )
    other: Literal["error", "keep", "unknown"] | None = Field(
        default=None, description="labels: what happened to a value no label lists."
    )
    cuts: list[float] = Field(default_factory=list, description="bands: the cut points, smallest first.")
    bands: list[str] = Field(default_factory=list, description="bands: the bands' names, lowest first.")
    closed: Literal["left", "right"] | None = Field(
        default=None,
        description="bands: left, a cut point belongs to the band above it; right, to the one below.",
    )
    quantiles: int | None = Field(
        default=None, description="bands: cut at the data's quantiles into this many bands."
    )
    order: list[str] = Field(
        default_factory=list, description="The groups in the order tables list them (bands lowest first)."
    )
    description: str = Field(description="The grouping in one plain sentence, as reports print it.")


class ShortlistInfo(_Model):
    """A model's shortlist (``model.threshold: {top_k: …}`` or ``{top_share: …}``) as it fell on the data."""

    rule: str = Field(description="The shortlist in words: 'top 50' or 'top 10%'.")
    top_k: int | None = Field(default=None, description="model.threshold.top_k, when given.")
    top_share: float | None = Field(default=None, description="model.threshold.top_share, when given.")
    k: int = Field(description="Rows taken before ties: top_k, or ⌈top_share × rows⌉.")
    selected: int = Field(description="Rows selected: k, and every row tied with the k-th highest output.")
    tied_extra: int = Field(
        description="Rows selected beyond k because they tie with the k-th highest output."
    )
    cut_off: float = Field(
        description="The k-th highest output; a row is selected when its output is at least this."
    )

    @property
    def sentence(self) -> str:
        """How the shortlist fell: its cut-off and the rows tied at it.

        Examples
        --------
        >>> ShortlistInfo(rule="top 2", k=2, selected=3, tied_extra=1, cut_off=0.7).sentence
        'at least 0.7 (the 2nd highest); 1 more row tied at that output is selected too, 3 in all'
        """
        where = f"at least {self.cut_off:g} (the {_ordinal(self.k)} highest)"
        if not self.tied_extra:
            return f"{where}; no other row ties with it, {self.selected} selected"
        rows = "row" if self.tied_extra == 1 else "rows"
        return f"{where}; {self.tied_extra} more {rows} tied at that output {'is' if self.tied_extra == 1 else 'are'} selected too, {self.selected} in all"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class ModelInfo(_Model):
    """The model whose decisions were audited (a spec's ``model:``), scored on the held-out rows."""

    path: str
    sha256: str = Field(description="SHA-256 of the model file.")
    format: Literal["skops", "onnx"]
    type: str = Field(description="The model's class (skops), or the ONNX graph's producer and name.")
    features: list[str] = Field(description="The columns the model read, in its order.")
    output: Literal["probability", "label", "score"]
    threshold: float | None = Field(description="Selected when the output is at least this; null for labels.")
    columns: dict[str, str] = Field(
        description="The roles the model's output filled and the columns it was written to ({decision: ..., score: ...})."
    )
    trusted: list[str] = Field(
        default_factory=list, description="skops: the non-default types the file needed."
    )
    description: str = Field(description="The model in one plain sentence, as reports print it.")
    shortlist: ShortlistInfo | None = Field(
        default=None,
        description="With a shortlist threshold (top_k, top_share): how many rows it took and its cut-off "
        "(then also in threshold).",
    )


class StratumSize(_Model):
    """One stratum of a :class:`SampleInfo`: its values, its rows, and the rows sampled from it."""

    stratum: dict[str, str | None] = Field(
        description="The stratum's value of each strata column (null: missing), as text."
    )
    population: int = Field(description="Rows of the data in the stratum.")
    sample: int = Field(description="Rows of the stratum in the sample (its allocation).")


class SampleInfo(_Model):
    """A seeded, stratified sample some analyses of an audit read instead of every row."""

    rows: int = Field(description="Rows in the sample.")
    population: int = Field(description="Rows of the data it was drawn from (the audited rows).")
    cap: int = Field(description="The most rows the sample may hold (the auditor's sample_rows option).")
    seed: int = Field(
        description="Seed of the row keys (thresholds.seed): the same seed gives the same sample."
    )
    strata: list[str] = Field(description="The columns whose combinations of values are the strata.")
    allocation: list[StratumSize] = Field(description="Per stratum: its rows and its sampled rows.")
    used_by: list[str] = Field(
        description="The analyses that read the sample; everything else read every row."
    )
    method: str = Field(description="How the sample was drawn, in one sentence.")

    def sentence(self) -> str:
        """The sample in one sentence, as reports print it.

        Examples
        --------
        >>> SampleInfo(rows=10, population=100, cap=10, seed=1, strata=["sex"], used_by=["the proxy analysis"],
        ...            allocation=[StratumSize(stratum={"sex": "F"}, population=100, sample=10)], method="").sentence()
        '10 of 100 rows (a seeded sample, seed 1, stratified by sex over 1 strata), read by the proxy analysis; everything else read every row'
        """
        strata = ", ".join(self.strata) or "nothing"
        users = " and ".join(self.used_by) or "no analysis"
        return (
            f"{self.rows:,} of {self.population:,} rows (a seeded sample, seed {self.seed}, stratified by {strata} "
            f"over {len(self.allocation)} strata), read by {users}; everything else read every row"
        )


class DataInfo(_Model):
    """The data the audit ran on."""

    source: str = Field(
        description="The data file, the database file of a query, or the kind of in-memory frame."
    )
    sha256: str | None = Field(
        description="SHA-256 of the data file (of the database file for a query); null for in-memory frames."
    )
    engine: str | None = Field(
        default=None,
        description="The backend that read the data and computed the counts: polars, duckdb, pandas, ...",
    )
    query: str | None = Field(
        default=None, description="The read-only SQL query whose rows were audited (data.query)."
    )
    rows: int
    kind: Literal["historical", "test"]
    test_data_reason: str | None = None
    description: str | None = None
    period: dict[str, dt.date] | None = None
    groups: list[NamedGroups] = Field(
        default_factory=list, description="Named groups applied to sensitive columns before counting."
    )
    model: ModelInfo | None = Field(
        default=None, description="The model scored on the data to make the audited decisions (spec model:)."
    )
    sample: SampleInfo | None = Field(
        default=None,
        exclude_if=lambda value: value is None,  # a result without a sample reads as before
        description="The seeded, stratified sample of rows that analyses needing rows read, when the data "
        "had more rows than the auditor's sample_rows; absent when every row was read.",
    )


class Check(_Model):
    """One check of the quality gate."""

    name: str
    column: str | None = None
    passed: bool
    observed: Any = None
    expected: Any = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    unexpected_values: list[Any] = Field(default_factory=list)
    message: str


class Gate(_Model):
    """The outcome of the quality gate."""

    passed: bool
    mode: Literal["enforce", "warn"] = "enforce"
    checks: list[Check] = Field(default_factory=list)


def _non_finite(value: Any, where: str) -> str | None:
    """Where a NaN or infinity hides in a JSON-like value, or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return where
    if isinstance(value, dict):
        for key, item in value.items():
            found = _non_finite(item, f"{where}.{key}")
            if found:
                return found
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _non_finite(item, f"{where}[{index}]")
            if found:
                return found
    return None


def _require_finite(value: Any, where: str) -> None:
    found = _non_finite(value, where)
    if found:
        raise ValueError(
            f"{found} is NaN or infinite; an undefined value must be null with a note (finite_or_none)"
        )


def _rows_name_their_groups(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every row of a table is one group's: its ``group`` maps each attribute to the group's name.

    Every renderer reads a row's group to name it, so a row without one (a result edited or
    damaged) is refused where the result is read, not met as a crash in one report format.
    """
    for index, row in enumerate(rows):
        group = row.get("group")
        if not isinstance(group, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in group.items()
        ):
            found = (
                "no group"
                if group is None
                else "a name or value that is not text"
                if isinstance(group, dict)
                else type(group).__name__
            )
            raise ValueError(
                f"row {index}: expected 'group', an object of attribute → group name (text), found {found}"
            )
    return rows


class Table(_Model):
    """Per-group statistics by one attribute or an intersection of attributes."""

    name: str
    by: list[str]
    metric: str = Field(description="The table's primary rate, e.g. selection_rate.")
    numerator: str = Field(description="Count column the rate's numerator is (e.g. selected).")
    denominator: str = Field(description="Count column the rate's denominator is (e.g. n).")
    reference: dict[str, str] | None = Field(description="The reference group of ratios.")
    methods: dict[str, str] = Field(
        default_factory=dict, description="Interval and test methods used, by column family."
    )
    rows: Annotated[list[dict[str, Any]], AfterValidator(_rows_name_their_groups)]
    tests: dict[str, Any] = Field(default_factory=dict, description="Table-wide tests.")
    notes: list[str] = Field(default_factory=list)
    subject: str | None = Field(
        default=None,
        description="What the rate is of, when not of everyone audited: a segment or campaign "
        "('segment premium').",
    )
    stage: str | None = Field(
        default=None, description="A hiring funnel's table: the stage its rate is of reaching ('interview')."
    )
    cumulative: bool = Field(
        default=False,
        description="With stage: the share of everyone audited who reached it (false: of those who "
        "reached the stage before).",
    )
    estimated: bool = Field(
        default=False,
        description="Group membership is estimated from probabilities (e.g. BISG), not observed.",
    )
    favourable: bool = Field(
        default=True,
        description="Whether being counted in the rate is good for the person; false: each ratio is the "
        "least-included group's rate over the group's, so that below the threshold still means disadvantaged.",
    )

    @model_validator(mode="after")
    def _finite(self) -> Table:
        _require_finite(self.rows, f"table {self.name!r} rows")
        _require_finite(self.tests, f"table {self.name!r} tests")
        return self


class Finding(_Model):
    """One judged comparison: a ratio, a difference, a rate or a test, with its status."""

    id: str
    metric: str
    kind: Literal["ratio", "difference", "rate", "test"]
    table: str
    group: dict[str, str]
    reference: dict[str, str] | None = None
    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    threshold: float | None = None
    status: Status
    message: str
    details: dict[str, Any] = Field(default_factory=dict)
    stage: str | None = Field(
        default=None,
        description="A hiring funnel's finding: the stage its rate is of reaching (its table's stage).",
    )
    adverse: Literal["below", "above"] | None = Field(
        default=None,
        description="Which side of the threshold is adverse: below for a ratio, above for a gap (as judged).",
    )

    @model_validator(mode="after")
    def _finite(self) -> Finding:
        for name in ("value", "ci_low", "ci_high", "p_value", "p_adjusted", "threshold", "details"):
            _require_finite(getattr(self, name), f"finding {self.id!r} {name}")
        return self


class CountsTable(_Model):
    """Sufficient statistics: per-group counts from which every metric can be recomputed."""

    name: str
    by: list[str]
    rows: Annotated[list[dict[str, Any]], AfterValidator(_rows_name_their_groups)]


class MetricWords(_Model):
    """How reports speak of one metric: an auditor's words for it (``AuditResult.vocabulary``)."""

    label: str = Field(description="Plain-language name (headings, captions, tables).")
    short_label: str | None = Field(default=None, description="A few words, for table cells.")
    summary_label: str | None = Field(default=None, description="Its name in the owner's summary.")
    rate_phrase: str | None = Field(
        default=None,
        description="What a group's members did at a rate, ending a sentence: '{rate}' is replaced "
        "(e.g. 'were approved at a rate of {rate}').",
    )
    shortfall_phrase: str | None = Field(
        default=None,
        description="How many more of a group would reach the target, with '{count}', '{who}' and "
        "'{target}' replaced (e.g. '{count} more {who} would need to have been approved to reach {target}').",
    )
    shortfall_unit: str | None = Field(default=None, description="What a shortfall counts ('approval(s)').")
    next_steps: dict[Status, str] = Field(
        default_factory=dict, description="What to do next about a finding of this metric, by status."
    )

    @model_validator(mode="after")
    def _placeholders(self) -> MetricWords:
        for name, allowed in (("rate_phrase", {"rate"}), ("shortfall_phrase", {"count", "who", "target"})):
            text = getattr(self, name)
            used = set(re.findall(r"{(\w*)}", text or ""))
            if used - allowed:
                raise ValueError(f"{name} uses {sorted(used - allowed)}; it may use only {sorted(allowed)}")
        return self


class Vocabulary(_Model):
    """An auditor's words for its metrics and its groups' members, carried in the result so that
    every report speaks them, wherever and whenever the result is rendered."""

    members: str | None = Field(default=None, description="Who a group's members are ('borrowers').")
    metrics: dict[str, MetricWords] = Field(default_factory=dict)


class AuditResult(_Model):
    """The result of one audit (schema ``equityaudit.result/2``).

    Examples
    --------
    >>> import equityaudit as ea
    >>> import pandas as pd
    >>> df = pd.DataFrame({"sex": ["F"] * 50 + ["M"] * 50,
    ...                    "hired": [1] * 20 + [0] * 30 + [1] * 30 + [0] * 20})
    >>> result = ea.audit(df, auditor="decisions", sensitive=["sex"], decision="hired")
    >>> result.verdict
    'fail'
    >>> result.table("sex")[["sex", "n", "selected", "selection_rate", "selection_rate_ratio"]]
      sex   n  selected  selection_rate  selection_rate_ratio
    0   F  50        20             0.4              0.666667
    1   M  50        30             0.6              1.000000
    """

    schema_: Literal["equityaudit.result/1", "equityaudit.result/2"] = Field(
        default="equityaudit.result/2", alias="schema"
    )
    tool: Tool
    audit: AuditInfo
    data: DataInfo
    started_at: dt.datetime
    finished_at: dt.datetime
    gate: Gate
    tables: list[Table] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    counts: list[CountsTable] = Field(default_factory=list)
    context: dict[str, Any] = Field(
        default_factory=dict, description="Auditor-specific facts (e.g. the LL144 disclosures)."
    )
    notes: list[str] = Field(default_factory=list)
    vocabulary: Vocabulary | None = Field(
        default=None, description="The auditor's own words for its metrics, when it gives them."
    )
    verdict: Verdict

    @model_validator(mode="after")
    def _groups_in_table_order(self) -> AuditResult:
        """Groups read back from sorted JSON list their attributes in the table's ``by`` order again."""
        orders = {table.name: table.by for table in self.tables}
        for table in self.tables:
            if table.reference:
                table.reference = _ordered(table.reference, table.by)
            for row in table.rows:
                if isinstance(row.get("group"), dict):
                    row["group"] = _ordered(row["group"], table.by)
        for counts in self.counts:
            for row in counts.rows:
                if isinstance(row.get("group"), dict):
                    row["group"] = _ordered(row["group"], counts.by)
        for finding in self.findings:
            if finding.table in orders:
                finding.group = _ordered(finding.group, orders[finding.table])
                if finding.reference is not None:
                    finding.reference = _ordered(finding.reference, orders[finding.table])
        return self

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON-compatible Python objects."""
        return self.model_dump(mode="json", by_alias=True)

    def to_json(self, *, indent: int | None = None) -> str:
        """Canonical JSON (RFC 8785) when ``indent`` is None; sorted, indented JSON otherwise."""
        if indent is None:
            return canonical_json(self.to_dict()).decode()
        return json.dumps(self.to_dict(), sort_keys=True, indent=indent, ensure_ascii=False, allow_nan=False)

    @property
    def sha256(self) -> str:
        """SHA-256 of the canonical JSON: equal results have equal hashes."""
        return hashlib.sha256(canonical_json(self.to_dict())).hexdigest()

    def table(self, name: str) -> pd.DataFrame:
        """One table as a pandas DataFrame, its group attributes spread into columns."""
        import pandas as pd

        for table in self.tables:
            if table.name == name:
                records = [
                    {**row["group"], **{k: v for k, v in row.items() if k != "group"}} for row in table.rows
                ]
                return pd.DataFrame.from_records(records)
        names = ", ".join(repr(t.name) for t in self.tables)
        raise KeyError(f"no table {name!r} in this result; its tables are {names}")

    def write(self, path: str | Path) -> Path:
        """Write the result as sorted, indented JSON (its hash is that of the canonical form)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json(indent=2) + "\n", encoding="utf-8")
        return path


def _ordered(group: dict[str, Any], by: Sequence[str]) -> dict[str, Any]:
    return {**{key: group[key] for key in by if key in group}, **group}


def verdict_of(statuses: Sequence[Status], *, gate_passed: bool = True) -> Verdict:
    """The worst status wins; ``inconclusive`` and ``insufficient_data`` count as ``warn``; a
    failed gate blocks.

    Examples
    --------
    >>> verdict_of(["pass", "insufficient_data"]), verdict_of(["warn", "fail"]), verdict_of([])
    ('warn', 'fail', 'pass')
    >>> verdict_of(["pass", "inconclusive"])
    'warn'
    """
    if not gate_passed:
        return "blocked"
    worst = max((STATUS_ORDER[s] for s in statuses), default=0)
    return "fail" if worst == STATUS_ORDER["fail"] else "warn" if worst >= 1 else "pass"


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical JSON; NaN or Infinity anywhere is a bug and raises ``ValueError``."""
    try:
        return rfc8785.dumps(value)
    except (rfc8785.FloatDomainError, rfc8785.IntegerDomainError) as exc:
        raise ValueError(f"value cannot be written as canonical JSON: {exc}") from None


def finite_or_none(value: Any) -> float | None:
    """A float, or None for NaN, infinities and None (an undefined metric is null, never 0)."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def result_json_schema() -> dict[str, Any]:
    """The JSON Schema of ``equityaudit.result/2`` (which also validates version-1 results)."""
    schema = AuditResult.model_json_schema(by_alias=True, mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://equityaudit.dev/schema/result-2.json"
    schema["title"] = "equityaudit.result/2"
    return schema


_STAGE_TABLE = re.compile(r"^stage:(?P<stage>.+?)(?P<cumulative>_cumulative)?_rate:.+$")


def _structured(payload: dict[str, Any]) -> dict[str, Any]:
    """A result written before tables and findings carried their structure in fields (``stage``,
    ``cumulative``, ``subject``, ``estimated``, ``favourable``), with those fields read from the
    names it encoded them in; a result that has the fields is returned as it is."""
    tables = payload.get("tables")
    if not isinstance(tables, list) or any(isinstance(t, dict) and "favourable" in t for t in tables):
        return payload
    upgraded = []
    stages: dict[str, str] = {}
    for table in tables:
        if not isinstance(table, dict):
            upgraded.append(table)
            continue
        name = str(table.get("name", ""))
        fields: dict[str, Any] = {}
        staged = _STAGE_TABLE.match(name)
        if staged:
            fields.update(stage=staged["stage"], cumulative=bool(staged["cumulative"]))
            stages[name] = staged["stage"]
        fields["estimated"] = name.endswith("(estimated)")
        fields["favourable"] = not str((table.get("methods") or {}).get("ratio", "")).startswith(
            "unfavourable"
        )
        if name.startswith("representation:") and name.count(":") >= 2:
            fields["subject"] = name.split(":")[1]
        elif table.get("metric") == "inclusion_rate" and " by " in name:
            fields["subject"] = name.rsplit(" by ", 1)[0]
        upgraded.append({**table, **fields})
    findings = [
        {**f, "stage": stages[f["table"]]} if isinstance(f, dict) and f.get("table") in stages else f
        for f in payload.get("findings") or []
    ]
    return {**payload, "tables": upgraded, "findings": findings}


def read_result(path: str | Path) -> AuditResult:
    """Read a result JSON file, refusing garbled files and unknown schema versions.

    Garbled includes a result without its ``findings`` key, and one whose ``verdict`` is not the
    one its findings and quality gate imply (:func:`verdict_of`, failed gate checks as warnings).
    """
    path = Path(path)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultError(f"{path}: result file not found.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultError(f"{path}: not a JSON result file ({exc}).") from None
    except (
        RecursionError,
        ValueError,
    ) as exc:  # arrays nested thousands deep; a number of thousands of digits
        reason = "values nested too deep" if isinstance(exc, RecursionError) else str(exc)
        raise ResultError(
            f"{path}: not a JSON result file ({reason}); expected a result written by 'equityaudit run'. "
            "Re-run the audit to get a readable result."
        ) from None
    schema = payload.get("schema") if isinstance(payload, dict) else None
    if schema not in READABLE_SCHEMAS:
        if isinstance(schema, str) and schema.startswith("equityaudit.result/"):
            raise ResultError(
                f"{path}: result schema {schema!r} is not supported by this version of equityaudit, "
                f"which reads {RESULT_SCHEMA!r}. {_schema_advice(schema)}"
            )
        raise ResultError(
            f"{path}: not an equityaudit result: expected key 'schema' = {RESULT_SCHEMA!r}, found {schema!r}."
        )
    if "findings" not in payload:
        raise ResultError(
            f"{path}: garbled result: key 'findings' is missing; expected a list of findings (empty only "
            "when no comparison was made), found no such key. Re-run the audit to write a complete result."
        )
    try:
        result = AuditResult.model_validate(_structured(payload))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ResultError(
            f"{path}: garbled result: {where}: {first['msg']} ({counted(exc.error_count(), 'problem')})."
        ) from None
    try:
        result.to_json()
    except ValueError as exc:  # an integer past 2**53, which canonical JSON (and so the sha256) cannot hold
        raise ResultError(
            f"{path}: garbled result: {exc}; expected counts and numbers a result can hold exactly (at most "
            "2**53). The file was edited or damaged; re-run the audit."
        ) from None
    mismatch = _finding_table_mismatch(result)
    if mismatch:
        raise ResultError(
            f"{path}: garbled result: {mismatch}. The file was edited or damaged; re-run the audit (and "
            "sign results that leave your hands: equityaudit sign)."
        )
    contradiction = verdict_contradiction(result)
    if contradiction:
        raise ResultError(
            f"{path}: garbled result: {contradiction}. The file was edited or damaged; re-run the audit."
        )
    return result


def self_contradiction(result: AuditResult) -> str | None:
    """What makes a result contradict itself, the checks :func:`read_result` (and so ``equityaudit
    sign``) refuses a file by: a ratio finding whose value differs from its table's row, or a verdict
    its findings and gate do not give. None when it agrees with itself.

    The registry applies the same checks to a submitted result before recomputing it from its counts
    (:mod:`equityaudit.registry.semantics`).
    """
    return _finding_table_mismatch(result) or verdict_contradiction(result)


def verdict_contradiction(result: AuditResult) -> str | None:
    """Why a result's ``verdict`` is not the one its findings and quality gate give, or None."""
    expected = _verdict_of_contents(result)
    if result.verdict == expected:
        return None
    tally = ", ".join(
        f"{n} {status}" for status, n in sorted(Counter(f.status for f in result.findings).items())
    )
    failed = sum(not check.passed for check in result.gate.checks)
    return (
        f"key 'verdict' is {result.verdict!r}, but its findings "
        f"({tally or 'none'}) and quality gate (passed: {str(result.gate.passed).lower()}, mode "
        f"{result.gate.mode}, {failed} failed check(s), each a warning when the audit ran) make it "
        f"{expected!r}"
    )


def _schema_advice(schema: str) -> str:
    """What to do with a result of another schema version: upgrade for a newer one, re-run for an older one.

    Examples
    --------
    >>> _schema_advice("equityaudit.result/2")
    'It was written by a newer equityaudit: upgrade equityaudit to read it.'
    >>> _schema_advice("equityaudit.result/0")
    'It was written by an older equityaudit: re-run the audit with this version to get a result it reads.'
    """
    ours = int(RESULT_SCHEMA.rsplit("/", 1)[1])
    version = schema.rsplit("/", 1)[1]
    if version.isdigit() and int(version) < ours:
        return "It was written by an older equityaudit: re-run the audit with this version to get a result it reads."
    if version.isdigit():
        return "It was written by a newer equityaudit: upgrade equityaudit to read it."
    return "Re-run the audit with this version of equityaudit to get a result it reads."


def _finding_table_mismatch(result: AuditResult) -> str | None:
    """Where a ratio finding's value disagrees with its own table row, say which; else None.

    Every ratio finding is read off a row of its table (``<metric>_ratio``), so the two agree in
    any result equityaudit wrote; an edited finding (a value changed to pass) does not.
    """
    tables = {table.name: table for table in result.tables}
    for finding in result.findings:
        table = tables.get(finding.table or "")
        column = f"{finding.metric}_ratio"
        if finding.kind != "ratio" or table is None:
            continue
        row = next((r for r in table.rows if r.get("group") == finding.group), None)
        if row is None or column not in row:
            continue
        stored = row[column]
        if (stored is None) != (finding.value is None) or (
            stored is not None
            and finding.value is not None
            and not math.isclose(stored, finding.value, rel_tol=1e-12)
        ):
            return (
                f"finding {finding.id!r} has value {finding.value!r}, but its table {table.name!r} says "
                f"{column} = {stored!r} for that group"
            )
    return None


def _verdict_of_contents(result: AuditResult) -> Verdict:
    """The verdict a result's gate and findings imply, computed as the engine computes it."""
    return audit_verdict(result.gate, [finding.status for finding in result.findings])


def audit_verdict(gate: Gate, statuses: Sequence[Status]) -> Verdict:
    """An audit's verdict from its quality gate and its findings' statuses.

    A gate that failed in ``enforce`` mode blocked the audit; otherwise the worst finding status
    wins, each failed gate check counting as a warning (``--gate warn``, or checks that only warn).
    The engine and :func:`read_result` both use it, so a stored verdict is checked by the very rule
    that made it.
    """
    if not gate.passed and gate.mode == "enforce":
        return "blocked"
    gate_warnings: list[Status] = ["warn"] * sum(not check.passed for check in gate.checks)
    return verdict_of([*statuses, *gate_warnings])

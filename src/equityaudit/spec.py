"""The audit spec (format version 1): its pydantic model, YAML loading and JSON Schema export.

A spec names the data, the auditor, the column roles, the thresholds and the quality rules of
one audit. It is usually a YAML file under ``audits/``; :func:`load_spec` reads one and resolves
its paths relative to the file. Every error names the file and the key, says what was expected
and what was found, and suggests the nearest valid key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from equityaudit.errors import SpecError, counted, did_you_mean

__all__ = [
    "SPEC_VERSION",
    "AuditSpec",
    "Columns",
    "DataPeriod",
    "DataSource",
    "GroupBands",
    "GroupLabels",
    "LabelledColumn",
    "Quality",
    "Thresholds",
    "load_spec",
    "spec_from_mapping",
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
                f"groups of {sorted(map(str, wrong))} are not mappings (found {_short(next(iter(wrong.values())))}); "
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


class DataSource(_Strict):
    """Where the data is and what it is."""

    path: Path | None = Field(
        default=None,
        description="Data file (CSV, Parquet or JSONL), relative to the spec file; required in a "
        "spec file, omitted when a frame is passed to equityaudit.audit().",
    )
    format: Literal["csv", "parquet", "jsonl"] | None = Field(
        default=None, description="File format; default: from the file's extension."
    )
    separator: str = Field(default=",", min_length=1, max_length=1, description="CSV separator.")
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

    @field_validator(
        "impact_ratio", "difference", "alpha", "min_group_size", "bootstrap", "seed", mode="before"
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

    source_path: Path | None = Field(default=None, exclude=True, description="internal")
    source_sha256: str | None = Field(default=None, exclude=True, description="internal")

    @property
    def origin(self) -> str:
        """Where the spec came from, as messages name it: its file, or ``<spec>`` for one built in memory.

        A spec read by :func:`load_spec` knows its file; one built by :func:`spec_from_mapping`
        (as :func:`equityaudit.audit` does) has none, and every message says ``<spec>`` for it.

        Examples
        --------
        >>> spec = spec_from_mapping({"equityaudit": 1, "name": "demo", "auditor": "decisions",
        ...     "data": {"path": "data.csv"}, "columns": {"sensitive": "sex", "decision": "selected"}})
        >>> spec.origin, load_spec("audits/hiring.yaml").origin
        ('<spec>', 'audits/hiring.yaml')
        """
        return str(self.source_path) if self.source_path else "<spec>"

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


class SpecLoader(yaml.SafeLoader):
    """PyYAML's safe loader with the scalars of YAML 1.2 and no silent key repeats.

    * Only ``true`` and ``false`` are booleans: ``positive: Yes`` or ``allowed: {flag: [Yes, No]}``
      keep the labels the data holds (YAML 1.1 would read ``True`` and ``False``, which no
      data value matches); a boolean key such as ``intersectional: yes`` is still read as one by
      the spec's models.
    * Dates stay text for the models to parse, so an impossible date (``2026-02-30``) is a spec
      error naming its key, not a crash.
    * A key written twice in one mapping is an error naming both lines, never "the last wins".
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, list | dict):
                continue  # unhashable: SafeConstructor reports it
            if key in seen:
                first = seen[key].start_mark.line + 1
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} appears twice in one mapping (first on line {first}); keep one",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


SpecLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regex)
        for tag, regex in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SpecLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml(text: bytes | str, *, origin: str) -> Any:
    """Parse a spec's or a standard's YAML with :class:`SpecLoader`; a SpecError names the file.

    Examples
    --------
    >>> load_yaml("positive: Yes\\nflag: true\\nday: 2026-02-30\\n", origin="x.yaml")
    {'positive': 'Yes', 'flag': True, 'day': '2026-02-30'}
    """
    try:
        loader = SpecLoader(text)
    except UnicodeDecodeError as exc:
        raise SpecError(f"{origin}: not valid YAML: {exc}") from None
    loader.name = origin  # error marks name the file, not "<byte string>"
    try:
        return loader.get_single_data()
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SpecError(f"{origin}: not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def load_spec(path: str | Path) -> AuditSpec:
    """Read an audit spec from a YAML file; relative paths in it resolve against its folder.

    Raises
    ------
    SpecError
        The file is missing, is not YAML, or does not describe a valid spec; the message names
        the file, the key, what was expected and what was found.
    """
    path = Path(path)
    if not path.is_file():
        hint = ""
        if path.parent.is_dir():
            siblings = [p.name for p in path.parent.glob("*.y*ml")]
            if siblings:
                hint = " " + did_you_mean(path.name, siblings)
        raise SpecError(f"{path}: spec file not found.{hint}")
    raw = path.read_bytes()
    mapping = load_yaml(raw, origin=str(path))
    spec = spec_from_mapping(mapping, origin=str(path))
    if spec.data.path is None:
        raise SpecError(f"{path}: data.path: required key is missing; name the data file to audit.")
    return spec.model_copy(
        update={
            "data": _resolve_paths(spec.data, path.parent),
            "quality": _resolve_suite(spec.quality, path.parent),
            "source_path": path,
            "source_sha256": hashlib.sha256(raw).hexdigest(),
        }
    )


def _resolve_paths(data: DataSource, base: Path) -> DataSource:
    if data.path is None or data.path.is_absolute():
        return data
    return data.model_copy(update={"path": (base / data.path).resolve()})


def _resolve_suite(quality: Quality, base: Path) -> Quality:
    if quality.suite is None or quality.suite.is_absolute():
        return quality
    return quality.model_copy(update={"suite": (base / quality.suite).resolve()})


def spec_from_mapping(mapping: Any, *, origin: str = "<spec>") -> AuditSpec:
    """Validate a spec given as a mapping (parsed YAML or keyword arguments).

    Examples
    --------
    >>> spec = spec_from_mapping({"equityaudit": 1, "name": "demo", "auditor": "decisions",
    ...     "data": {"path": "data.csv"},
    ...     "columns": {"sensitive": "sex", "decision": "selected"}})
    >>> spec.columns.sensitive, spec.thresholds.impact_ratio
    (['sex'], 0.8)
    """
    if not isinstance(mapping, dict):
        found = "an empty file" if mapping is None else f"a {type(mapping).__name__}"
        raise SpecError(
            f"{origin}: expected a mapping of keys (equityaudit, name, auditor, data, columns, ...),"
            f" found {found}."
        )
    version = mapping.get("equityaudit")
    if version != SPEC_VERSION:
        found = "no 'equityaudit' key" if "equityaudit" not in mapping else repr(version)
        raise SpecError(
            f"{origin}: key 'equityaudit': expected spec format version {SPEC_VERSION}, found "
            f"{found}. Start the spec with 'equityaudit: {SPEC_VERSION}'"
            + (" (this version of equityaudit reads only format 1)." if version else ".")
        )
    try:
        return AuditSpec.model_validate(mapping)
    except ValidationError as exc:
        raise SpecError(_describe(exc, origin)) from None


def _describe(exc: ValidationError, origin: str) -> str:
    errors = [(_key(error["loc"]), error) for error in exc.errors()]
    # A union (e.g. a column name or a {column, positive} mapping) reports one error per
    # alternative; keep only those of the alternative the user evidently meant.
    specific = {key for key, error in errors if error["type"] not in _TYPE_MISMATCH}
    errors = [
        (key, error)
        for key, error in errors
        if error["type"] not in _TYPE_MISMATCH or not any(other.startswith(key) for other in specific)
    ]
    lines = [f"{origin}: invalid spec ({counted(len(errors), 'problem')}):"]
    for key, error in errors:
        location = key.split(".")
        kind = error["type"]
        found = error.get("input")
        if kind == "extra_forbidden":
            grouping = next((_GROUPINGS[p] for p in error["loc"] if p in _GROUPINGS), None)
            parent_fields = list(grouping.model_fields) if grouping else _fields_at(location[:-1])
            message = f"unknown key {location[-1]!r}. {did_you_mean(location[-1], parent_fields)}"
        elif kind == "missing":
            message = "required key is missing."
        elif kind == "literal_error":
            message = f"expected {error['ctx'].get('expected')}, found {found!r}."
        elif kind == "string_pattern_mismatch" and key == "name":
            message = (
                f"expected letters, digits, '.', '_' and '-', starting with a letter or digit (it names the "
                f"report files), found {found!r}."
            )
        elif kind == "value_error":
            message = str(error["ctx"].get("error", error["msg"]))
            message += "" if message.endswith((".", "?")) else "."
        else:
            message = f"{error['msg']}; found {_short(found)}."
        lines.append(f"  - {key or '(top level)'}: {message}")
    return "\n".join(_dedupe(lines))


_TYPE_MISMATCH = frozenset(
    {"string_type", "dict_type", "int_type", "bool_type", "list_type", "model_type", "literal_error"}
)


def _key(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc if not _is_union_tag(part))


def _is_union_tag(part: object) -> bool:
    return isinstance(part, str) and (
        part
        in {"str", "int", "bool", "LabelledColumn", "function-after[_one_or_many(), list[str]]", *_GROUPINGS}
        or part.startswith(("literal[", "dict[", "list[", "function-"))
    )


_GROUPINGS: dict[str, type[BaseModel]] = {"GroupLabels": GroupLabels, "GroupBands": GroupBands}


def _dedupe(lines: list[str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for line in lines:
        if line not in seen:
            seen.add(line)
            kept.append(line)
    return kept


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _fields_at(location: list[str]) -> list[str]:
    model: type[BaseModel] = AuditSpec
    for part in location:
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        candidates = [a for a in getattr(annotation, "__args__", (annotation,)) if a is not None]
        nested = [a for a in candidates if isinstance(a, type) and issubclass(a, BaseModel)]
        if not nested:
            return []
        model = nested[0]
    return [name for name, f in model.model_fields.items() if f.description != "internal"]

"""Assembling the quality gate's suite from the auditor's roles, its declarations and the spec.

The suite is built in this order, and a later rule identical to an earlier one is dropped:

1. **What the auditor needs**, derived from the column roles it uses (so a third-party auditor
   gets these for free): every named column present; sensitive columns at most
   :data:`DEFAULT_MAX_MISSING` missing or unknown (the two together) and at least two groups of
   ``min_group_size`` rows;
   decision and outcome never missing and binary; a score never missing and numeric; a stage
   never missing; an id never missing and unique; a sensitive column's named groups cover every
   value (``columns.groups`` with ``other: error``, and a standard's taxonomy); a model's true
   label (``model.outcome``) checked as an outcome is. Then whatever ``auditor.expectations(spec)``
   declares (the hiring auditor: stage values among ``options.stages``).
2. **The spec's quality rules**: ``max_missing``, ``allowed``, ``ranges``, ``unique``, ``min_rows``.
3. **Raw great-expectations expectations** written in the spec (``quality.expectations``).
4. **An imported suite** (``quality.suite``): a great-expectations suite JSON file.

Everything here is plain Python: great-expectations itself is imported only when the suite runs
(:mod:`equityaudit.quality.gx_runner`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import narwhals as nw

from equityaudit.errors import PluginError, SpecError
from equityaudit.groups import covered_labels
from equityaudit.spec import AuditSpec, GroupLabels, LabelledColumn
from equityaudit.values import FALSE_TOKENS, TRUE_TOKENS, UNKNOWN_TOKENS, labels_fix, value_token

if TYPE_CHECKING:
    from equityaudit.auditors.base import Auditor

__all__ = [
    "BINARY_TOKENS",
    "DEFAULT_MAX_MISSING",
    "NUMERIC_TYPES",
    "Expectation",
    "GroupSizeRule",
    "QualitySuite",
    "Rule",
    "Severity",
    "build_suite",
    "read_suite_file",
    "token_regex",
]

Severity = Literal["critical", "warning", "info"]
"""great-expectations' severity of an expectation: only a failed ``critical`` one blocks an audit."""

DEFAULT_MAX_MISSING = 0.2
"""Largest share of missing or unknown values (the two together) a sensitive column may have unless
``quality.max_missing`` says otherwise: beyond a fifth, the known groups may no longer stand for
the people audited."""

BINARY_TOKENS = tuple(sorted(TRUE_TOKENS | FALSE_TOKENS))
"""Values a plain (unlabelled) binary column may hold, compared trimmed and case-insensitively;
the same tokens :func:`equityaudit.values.binary_mapping` accepts."""

NUMERIC_TYPES = (
    *(f"int{bits}" for bits in (8, 16, 32, 64)),
    *(f"uint{bits}" for bits in (8, 16, 32, 64)),
    *(f"float{bits}" for bits in (16, 32, 64)),
    *(f"Int{bits}Dtype" for bits in (8, 16, 32, 64)),
    *(f"UInt{bits}Dtype" for bits in (8, 16, 32, 64)),
    "Float32Dtype",
    "Float64Dtype",
    "int",
    "float",
)
"""The pandas dtypes (and, for object columns, Python types) a numeric column may have."""

_WHITESPACE = r"[ \t\n\r\f\v]*"
_TABLE_WIDE = ("expect_table_column", "expect_table_columns")
_COLUMN_KWARGS = ("column", "column_A", "column_B")


@dataclass(frozen=True)
class Expectation:
    """One great-expectations expectation of the gate, where it came from, and how to fix a failure."""

    type: str
    """The expectation's GX name, e.g. ``expect_column_values_to_be_in_set``."""
    kwargs: Mapping[str, Any]
    """Its arguments, as in GX's JSON form."""
    source: str
    """What asked for it: a spec key (``columns.decision``, ``quality.allowed.sex``,
    ``quality.expectations[0]``), ``auditor hiring``, or an imported suite file."""
    origin: Literal["roles", "auditor", "quality", "spec", "suite"]
    """Which of the four sources it belongs to (a malformed auditor expectation is a plugin bug,
    a malformed spec expectation a spec error)."""
    rule: str = "gx"
    """Which kind of equityaudit rule it implements (``missing``, ``binary``, ``allowed`` ...), or
    ``gx`` for an expectation written in GX's own terms; chooses the wording of messages."""
    fix: str = ""
    """What to do when it fails."""
    severity: Severity = "critical"
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        """The columns the expectation reads (empty for table-level expectations)."""
        named = [str(self.kwargs[key]) for key in _COLUMN_KWARGS if self.kwargs.get(key) is not None]
        listed = self.kwargs.get("column_list")
        if isinstance(listed, list):
            named += [str(c) for c in listed]
        return named

    @property
    def column(self) -> str | None:
        """The column a single-column expectation reads, else ``None``."""
        return str(self.kwargs["column"]) if self.kwargs.get("column") is not None else None

    @property
    def reads_every_column(self) -> bool:
        """Whether the expectation needs the whole table (its column set, or a row condition)."""
        return (
            self.type.startswith(_TABLE_WIDE)
            or "column_index" in self.kwargs
            or bool(self.kwargs.get("row_condition"))
        )

    def to_gx_json(self) -> dict[str, Any]:
        """The expectation in GX's JSON form, its provenance under ``meta.equityaudit``."""
        meta = {**self.meta, "equityaudit": {"source": self.source, "fix": self.fix}}
        return {"type": self.type, "kwargs": dict(self.kwargs), "meta": meta, "severity": self.severity}


@dataclass(frozen=True)
class GroupSizeRule:
    """At least ``min_groups`` known groups of a sensitive column have ``min_group_size`` rows each.

    great-expectations has no expectation on the sizes of a column's groups, so equityaudit
    checks this one itself (an exported suite lists it under ``meta.equityaudit``). Groups
    smaller than ``min_group_size`` do not block: the auditor reports them as
    ``insufficient_data``; only an attribute with fewer than two large-enough groups, where no
    comparison at all is possible, does; unless the spec names a standard: then the rule's
    ``severity`` is ``warning``, and a member too small to compare groups is still audited (its
    comparisons ``insufficient_data``) so that its counts can be pooled in a registry.
    """

    column: str
    min_group_size: int
    source: str
    min_groups: int = 2
    unknown_values: tuple[str, ...] = ()
    severity: Severity = "critical"
    standard: str | None = None
    """The standard the spec names, which makes the rule a warning."""

    def to_json(self) -> dict[str, Any]:
        """The rule as JSON, for the ``meta`` of an exported suite."""
        return {
            "check": "equityaudit_group_sizes",
            "column": self.column,
            "min_group_size": self.min_group_size,
            "min_groups": self.min_groups,
            "source": self.source,
            "severity": self.severity,
        }


Rule = Expectation | GroupSizeRule


@dataclass(frozen=True)
class QualitySuite:
    """The rules of one audit's gate, in the order they run and are reported."""

    name: str
    rules: tuple[Rule, ...]

    @property
    def expectations(self) -> list[Expectation]:
        """The rules great-expectations runs."""
        return [rule for rule in self.rules if isinstance(rule, Expectation)]

    @property
    def group_rules(self) -> list[GroupSizeRule]:
        """The rules equityaudit checks itself."""
        return [rule for rule in self.rules if isinstance(rule, GroupSizeRule)]

    def columns(self, present: Sequence[str]) -> list[str]:
        """The columns of ``present`` the suite reads, in data order (all of them if a rule needs the table)."""
        if any(e.reads_every_column for e in self.expectations):
            return list(present)
        wanted = {c for e in self.expectations for c in e.columns}
        wanted |= {rule.column for rule in self.group_rules}
        return [c for c in present if c in wanted]


def build_suite(
    spec: AuditSpec, auditor: Auditor, *, schema: Mapping[str, Any] | None = None
) -> QualitySuite:
    """The gate's suite for one audit: the auditor's needs, then the spec's rules (module docstring).

    Parameters
    ----------
    spec
        The audit spec.
    auditor
        The auditor that will run: its ``roles`` say which column roles it uses, its
        ``expectations(spec)`` what else it needs.
    schema
        ``{column: narwhals dtype}`` of the data: a binary column is checked against 0/1 when it
        is numeric and against yes/no-like words when it holds text. Without it, text is assumed.

    Raises
    ------
    SpecError
        An expectation in the spec, or the imported suite file, is not in GX's JSON form.
    PluginError
        The auditor declared an expectation that is not in GX's JSON form.

    Examples
    --------
    >>> from equityaudit.plugins import get_auditor
    >>> from equityaudit.spec_loading import spec_from_mapping
    >>> spec = spec_from_mapping({"equityaudit": 1, "name": "demo", "auditor": "decisions",
    ...     "data": {"path": "d.csv"}, "columns": {"sensitive": "sex", "decision": "hired"},
    ...     "quality": {"allowed": {"sex": ["F", "M"]}}})
    >>> suite = build_suite(spec, get_auditor("decisions"))
    >>> [getattr(rule, "type", "equityaudit_group_sizes") for rule in suite.rules]  # doctest: +NORMALIZE_WHITESPACE
    ['expect_column_to_exist', 'expect_column_values_to_not_match_regex', 'equityaudit_group_sizes',
     'expect_column_to_exist', 'expect_column_values_to_not_be_null',
     'expect_column_values_to_match_regex', 'expect_column_values_to_be_in_set']
    """
    origin = spec.origin
    rules: list[Rule] = [
        *_role_rules(spec, auditor, schema or {}),
        *_auditor_rules(spec, auditor),
        *_quality_rules(spec),
        *(
            _raw(item, source=f"quality.expectations[{i}]", origin="spec", where=origin)
            for i, item in enumerate(spec.quality.expectations)
        ),
    ]
    if spec.quality.suite is not None:
        rules += read_suite_file(spec.quality.suite, origin=origin)
    return QualitySuite(name=f"equityaudit.{spec.name}", rules=tuple(_unique(rules)))


def _role_rules(spec: AuditSpec, auditor: Auditor, schema: Mapping[str, Any]) -> Iterator[Rule]:
    columns = spec.columns
    used = {role for role, need in auditor.roles.items() if need != "unused"}
    named = columns.named()
    for role, column in named.items():
        if role.split("[")[0] not in used:
            continue  # the engine refuses a spec naming a role its auditor does not use
        yield Expectation(
            "expect_column_to_exist",
            {"column": column},
            source=f"columns.{role}",
            origin="roles",
            rule="exists",
            fix=f"correct columns.{role} in the spec, or add the column to the data",
        )
        yield from _rules_for(role, column, spec, schema)
    label = spec.model.outcome if spec.model is not None else None
    if label is not None:  # a model's true label: checked as columns.outcome would be
        column = label.column if isinstance(label, LabelledColumn) else label
        yield Expectation(
            "expect_column_to_exist",
            {"column": column},
            source="model.outcome",
            origin="roles",
            rule="exists",
            fix="correct model.outcome in the spec, or add the column to the data",
        )
        yield from _rules_for("outcome", column, spec, schema, source="model.outcome", labelled=label)


def _rules_for(
    role: str,
    column: str,
    spec: AuditSpec,
    schema: Mapping[str, Any],
    *,
    source: str | None = None,
    labelled: str | LabelledColumn | None = None,
) -> Iterator[Rule]:
    """The rules of one role's column; ``source`` and ``labelled`` name a key other than ``columns.<role>``."""
    columns = spec.columns
    source = source or f"columns.{role}"
    kind = role.split("[")[0]
    if kind == "sensitive":
        share = spec.quality.max_missing.get(column, DEFAULT_MAX_MISSING)
        key = f"quality.max_missing.{column}"
        # a value that says "unknown" in words (n/a, prefer not to say, ...) is as missing to the
        # audit as a null: one check counts both against the same share. GX leaves nulls out of
        # this expectation; equityaudit counts them (checks.py), and the regular expression
        # matches an empty value, so GX counts them too when empty cells are read as "".
        unknown = sorted(
            {t for t in UNKNOWN_TOKENS if t} | {u.strip().lower() for u in columns.unknown_values} - {""}
        )
        shown = list(dict.fromkeys(["unknown", "n/a", "prefer not to say", *columns.unknown_values]))
        yield Expectation(
            "expect_column_values_to_not_match_regex",
            {"column": column, "regex": token_regex(["", *unknown]), "mostly": _mostly(share)},
            source=key if column in spec.quality.max_missing else source,
            origin="roles",
            rule="missing_or_unknown",
            fix=f"fill in the missing values; values that mean unknown ({', '.join(shown)}, ...) are left "
            f"out of the audit like missing ones. Record the attribute where you can, or set {key} (now "
            f"{share:g}) if that many missing or unknown values are expected and the audit should still run",
            meta={
                "note": "missing values (nulls) count as unexpected too: equityaudit counts them; in plain "
                "GX read empty cells as empty strings (pandas.read_csv(..., keep_default_na=False)), "
                "which the regular expression matches"
            },
        )
        grouping = columns.groups.get(column)
        if isinstance(grouping, GroupLabels) and grouping.other == "error":
            yield _groups_rule(column, grouping, spec.standard)
        yield GroupSizeRule(
            column,
            spec.thresholds.min_group_size,
            source=f"{source} with thresholds.min_group_size",
            unknown_values=tuple(columns.unknown_values),
            # docs/standards.md: under a standard, too few large groups warn instead of blocking
            severity="warning" if spec.standard is not None else "critical",
            standard=spec.standard,
        )
        return
    yield Expectation(
        "expect_column_values_to_not_be_null",
        {"column": column},
        source=source,
        origin="roles",
        rule="missing",
        fix="fill in the missing values, or drop those rows before the audit",
    )
    if kind in ("decision", "outcome"):
        if labelled is None:
            labelled = columns.decision if kind == "decision" else columns.outcome
        binary = _binary_rule(column, labelled, source=source, dtype=schema.get(column))
        if binary is not None:
            yield binary
    elif kind == "score":
        yield Expectation(
            "expect_column_values_to_be_in_type_list",
            {"column": column, "type_list": list(NUMERIC_TYPES)},
            source=source,
            origin="roles",
            rule="numeric",
            fix="correct the values that are not numbers (the whole column is then read as text)",
        )
    elif kind == "id":
        yield Expectation(
            "expect_column_values_to_be_unique",
            {"column": column},
            source=source,
            origin="roles",
            rule="unique",
            fix="remove duplicated rows, or give every row its own id",
        )


def _groups_rule(column: str, grouping: GroupLabels, standard: str | None) -> Expectation:
    """Every value of a sensitive column has a named group: named groups leave a value they do not
    list as it is, and this check names and counts it."""
    if standard is not None:
        by_group: dict[str, list[str]] = {}
        for raw, label in grouping.labels.items():
            by_group.setdefault(str(label), []).append(raw)
        maps = "; ".join(f"{label} <- {', '.join(raws)}" for label, raws in by_group.items())
        source = f"standard {standard}'s taxonomy of {column}"
        fix = (
            f"recode those values in the data to labels {standard} maps ({maps}; case and surrounding spaces "
            "are ignored) or to an unknown value, or ask for a new version of the standard that maps them"
        )
    else:
        source = f"columns.groups.{column}"
        fix = (
            f"give each value a label in columns.groups.{column} (null counts it unknown), or set "
            f"columns.groups.{column}.other to keep (each its own group) or unknown"
        )
    return Expectation(
        "expect_column_values_to_be_in_set",
        {"column": column, "value_set": covered_labels(grouping)},
        source=source,
        origin="roles",
        rule="groups",
        fix=fix,
    )


def _binary_rule(
    column: str, role: str | LabelledColumn | None, *, source: str, dtype: Any
) -> Expectation | None:
    """The values a binary column may hold, in the form that suits its type."""
    if isinstance(role, LabelledColumn):
        if role.negative is None:
            return None  # every value other than the positive labels means 0
        tokens = sorted({value_token(v) for v in [*role.positive, *role.negative]})
        expected = f"the labels {role.positive} (positive) and {role.negative} (negative)"
        fix = f"correct them, or add them to {source}.positive or {source}.negative"
    else:
        tokens = list(BINARY_TOKENS)
        expected = "1/0, true/false, yes/no or Y/N (any case)"
        fix = labels_fix(source, column)
        fix = fix if fix.startswith("correct") else f"correct them; {fix}"
    meta = {"expected": expected}
    if dtype is not None and dtype == nw.Boolean:
        values: list[Any] = [v for v in (True, False) if value_token(v) in tokens]
        if len(values) == 2:
            return None  # a boolean column holds nothing else
        return Expectation(
            "expect_column_values_to_be_in_set",
            {"column": column, "value_set": values},
            source=source,
            origin="roles",
            rule="binary",
            fix=fix,
            meta=meta,
        )
    if dtype is not None and dtype.is_numeric():
        numbers = sorted({n for t in tokens if (n := _number(t)) is not None})
        return Expectation(
            "expect_column_values_to_be_in_set",
            {"column": column, "value_set": numbers},
            source=source,
            origin="roles",
            rule="binary",
            fix=fix,
            meta=meta,
        )
    return Expectation(
        "expect_column_values_to_match_regex",
        {"column": column, "regex": token_regex(tokens)},
        source=source,
        origin="roles",
        rule="binary",
        fix=fix,
        meta=meta,
    )


def token_regex(tokens: Iterable[str]) -> str:
    r"""A regular expression matching any of ``tokens``, trimmed and in any case.

    It avoids ``\s`` and look-arounds so that pandas runs it with pyarrow's RE2 engine.

    Examples
    --------
    >>> pattern = token_regex(["yes", "no"])
    >>> pattern
    '(?i)^[ \\t\\n\\r\\f\\v]*(?:no|yes)[ \\t\\n\\r\\f\\v]*$'
    >>> import re
    >>> [bool(re.search(pattern, v)) for v in ["Yes", " no ", "maybe", "yes!"]]
    [True, True, False, False]
    """
    alternatives = "|".join(re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", t) for t in sorted(set(tokens)))
    return f"(?i)^{_WHITESPACE}(?:{alternatives}){_WHITESPACE}$"


def _number(token: str) -> int | float | None:
    try:
        number = float(token)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    return int(number) if number.is_integer() else number


def _mostly(share: float) -> float:
    """GX's ``mostly`` (smallest share of non-missing values) for a largest missing share."""
    return round(1.0 - share, 12)


def _auditor_rules(spec: AuditSpec, auditor: Auditor) -> Iterator[Rule]:
    declared = auditor.expectations(spec)
    if not isinstance(declared, list):
        raise PluginError(
            f"auditor {auditor.name!r}: expectations(spec) returned a {type(declared).__name__}; "
            "expected a list of great-expectations expectations ({type, kwargs})."
        )
    for i, item in enumerate(declared):
        yield _raw(
            item,
            source=f"auditor {auditor.name}",
            origin="auditor",
            where=f"auditor {auditor.name!r}: expectations(spec)[{i}]",
        )


def _quality_rules(spec: AuditSpec) -> Iterator[Rule]:
    quality = spec.quality
    sensitive = set(spec.columns.sensitive)
    for column, share in quality.max_missing.items():
        if column in sensitive:
            continue  # already the sensitive column's own missing-value rule
        key = f"quality.max_missing.{column}"
        yield Expectation(
            "expect_column_values_to_not_be_null",
            {"column": column, "mostly": _mostly(share)},
            source=key,
            origin="quality",
            rule="missing",
            fix=f"fill in the missing values, or raise {key} (now {share:g})",
        )
    for column, values in quality.allowed.items():
        key = f"quality.allowed.{column}"
        yield Expectation(
            "expect_column_values_to_be_in_set",
            {"column": column, "value_set": list(values)},
            source=key,
            origin="quality",
            rule="allowed",
            fix=f"correct those values (or drop those rows), or add them to {key} if they are valid",
        )
    for column, (low, high) in quality.ranges.items():
        key = f"quality.ranges.{column}"
        yield Expectation(
            "expect_column_values_to_be_between",
            {"column": column, "min_value": low, "max_value": high},
            source=key,
            origin="quality",
            rule="range",
            fix=f"correct the values outside the range, or widen {key}",
        )
    for column in quality.unique:
        yield Expectation(
            "expect_column_values_to_be_unique",
            {"column": column},
            source="quality.unique",
            origin="quality",
            rule="unique",
            fix="remove duplicated rows, or correct the repeated values",
        )
    if quality.min_rows is not None:
        yield Expectation(
            "expect_table_row_count_to_be_between",
            {"min_value": quality.min_rows},
            source="quality.min_rows",
            origin="quality",
            rule="rows",
            fix=f"audit more data, or lower quality.min_rows (now {quality.min_rows})",
        )


def _raw(item: Any, *, source: str, origin: Literal["auditor", "spec", "suite"], where: str) -> Expectation:
    """An expectation written in GX's JSON form (``type`` or GX 0.x's ``expectation_type``)."""
    error = PluginError if origin == "auditor" else SpecError
    if not isinstance(item, Mapping):
        raise error(f"{where}: expected a mapping {{type: expect_..., kwargs: {{...}}}}, found {item!r}.")
    kind = item.get("type", item.get("expectation_type"))
    if not isinstance(kind, str) or not kind:
        raise error(f"{where}: the expectation has no 'type' (its GX name, e.g. expect_column_to_exist).")
    kwargs = item.get("kwargs") or {}
    if not isinstance(kwargs, Mapping):
        raise error(f"{where} ({kind}): 'kwargs' should be a mapping of arguments, found {kwargs!r}.")
    meta = item.get("meta") or {}
    if not isinstance(meta, Mapping):
        raise error(f"{where} ({kind}): 'meta' should be a mapping, found {meta!r}.")
    given = item.get("severity") or "critical"
    severities: dict[str, Severity] = {"critical": "critical", "warning": "warning", "info": "info"}
    if given not in severities:
        raise error(f"{where} ({kind}): severity is {given!r}; expected critical, warning or info.")
    severity = severities[given]
    found = meta.get("equityaudit")
    ours: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    return Expectation(
        kind,
        {k: v for k, v in kwargs.items() if k != "batch_id"},
        source=source,
        origin=origin,
        fix=str(ours.get("fix") or "correct the data, or the expectation"),
        severity=severity,
        meta={k: v for k, v in meta.items() if k != "equityaudit"},
    )


def read_suite_file(path: Path, *, origin: str = "<spec>") -> list[Expectation]:
    """The expectations of a great-expectations suite JSON file (GX 1.x, or 0.x's ``expectation_type``).

    Raises
    ------
    SpecError
        The file is missing, is not JSON, or is not a suite; the message names the file.
    """
    where = f"{origin}: quality.suite: {path}"
    if not path.is_file():
        raise SpecError(f"{where}: suite file not found. Check quality.suite (relative to the spec file).")
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SpecError(f"{where}: not a JSON file ({exc}); expected a great-expectations suite.") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("expectations"), list):
        raise SpecError(
            f"{where}: not a great-expectations suite: expected a JSON object with a list of "
            "'expectations' (write one from GX with suite.to_json_dict(), or with "
            "'equityaudit check SPEC --export-suite suite.json')."
        )
    return [
        _raw(
            item, source=f"{path.name} expectations[{i}]", origin="suite", where=f"{where}: expectations[{i}]"
        )
        for i, item in enumerate(payload["expectations"])
    ]


def _unique(rules: Iterable[Rule]) -> Iterator[Rule]:
    """Drop a rule identical to an earlier one (same expectation and arguments)."""
    seen: set[str] = set()
    for rule in rules:
        if isinstance(rule, Expectation):
            key = json.dumps([rule.type, rule.kwargs], sort_keys=True, default=str)
        else:
            key = json.dumps(rule.to_json() | {"source": ""}, sort_keys=True)
        if key not in seen:
            seen.add(key)
            yield rule

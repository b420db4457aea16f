"""Runs one audit: spec → load → quality gate → auditor → :class:`~equityaudit.results.AuditResult`.

:func:`run` takes a spec file, :func:`audit` a frame or file and keyword arguments with the same
meaning as the spec; both go through :func:`run_spec`, which is what the CLI calls.
:func:`check_spec` stops after the quality gate (``equityaudit check``).
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from equityaudit.auditors.base import AuditContext, Auditor
from equityaudit.column_checks import check_columns
from equityaudit.errors import DataError, PluginError, SpecError, did_you_mean
from equityaudit.frames import (
    Source,
    check_repeated_columns,
    no_rows_error,
    read_query,
    read_source,
    read_table,
)
from equityaudit.groups import apply_groups, in_group_order
from equityaudit.judging import judge, order_findings
from equityaudit.plugins import get_auditor
from equityaudit.quality import GateEngine, GateOutcome, run_gate
from equityaudit.quality.gate import check_gate_engine
from equityaudit.results import (
    AuditInfo,
    AuditResult,
    DataInfo,
    Finding,
    ModelInfo,
    NamedGroups,
    StandardRef,
    Table,
    Tool,
    audit_verdict,
)
from equityaudit.spec import AuditSpec
from equityaudit.spec_loading import load_spec, spec_from_mapping

if typing.TYPE_CHECKING:
    from equityaudit.counterfactual import Counterfactual, FlipPlan
    from equityaudit.sweep import Sweep
from equityaudit.version import __version__

__all__ = ["audit", "check_spec", "run", "run_spec"]

GateMode = Literal["enforce", "warn"]


def run(
    spec: str | Path,
    *,
    gate: GateMode = "enforce",
    redact: bool = False,
    gate_engine: GateEngine = "compiled",
) -> AuditResult:
    """Run the audit a spec file describes (``gate_engine``: see :func:`run_spec`).

    Examples
    --------
    >>> result = run("audits/hiring.yaml")
    >>> result.audit.auditor, result.data.rows
    ('hiring', 5000)
    """
    return run_spec(load_spec(spec), gate=gate, redact=redact, gate_engine=gate_engine)


def audit(
    data: Any,
    *,
    auditor: str,
    sensitive: str | Sequence[str] = (),
    decision: str | Mapping[str, Any] | None = None,
    score: str | None = None,
    outcome: str | Mapping[str, Any] | None = None,
    stage: str | None = None,
    groups: Mapping[str, Any] | None = None,
    model: str | Path | Mapping[str, Any] | None = None,
    intersectional: bool | None = None,
    reference: str | Mapping[str, str] | None = None,
    thresholds: Mapping[str, Any] | None = None,
    quality: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
    name: str = "audit",
    kind: Literal["historical", "test"] = "historical",
    test_data_reason: str | None = None,
    gate: GateMode = "enforce",
    standard: str | None = None,
    redact: bool = False,
    gate_engine: GateEngine = "compiled",
) -> AuditResult:
    """Audit a frame (pandas, polars, pyarrow, duckdb, Spark) or a data file; arguments mean what the spec's keys mean.

    ``gate="warn"`` runs the audit even when the quality gate fails (each failed check becomes a
    warning); ``standard`` names a standard the audit must conform to (``"nyc-ll144@2023"``);
    ``redact`` makes auditors that quote the data cite row ids instead; ``groups`` names or bands
    a sensitive column's values as ``columns.groups`` does (``{"age": {"bins": [25, 40, 65]}}``);
    ``model`` scores the rows with a model file as the spec's ``model:`` does (a path, or
    ``{"path": ..., "features": [...], "threshold": 0.5}``; with ``kind="test"``), its output
    taking the place of ``decision`` and ``score``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"sex": ["F"] * 4000 + ["M"] * 4000,
    ...                    "hired": ["yes"] * 1400 + ["no"] * 2600 + ["yes"] * 1600 + ["no"] * 2400})
    >>> result = audit(df, auditor="decisions", sensitive="sex", decision="hired")
    >>> result.verdict, [round(f.value, 4) for f in result.findings]
    ('pass', [0.875])
    """
    # only what the caller gave goes into the spec, so defaults never contradict a standard
    columns = {
        "sensitive": [sensitive] if isinstance(sensitive, str) else list(sensitive),
        "intersectional": intersectional,
        "decision": dict(decision) if isinstance(decision, Mapping) else decision,
        "score": score,
        "outcome": dict(outcome) if isinstance(outcome, Mapping) else outcome,
        "stage": stage,
        "groups": dict(groups) if groups is not None else None,
    }
    given = {
        "standard": standard,
        "reference": dict(reference) if isinstance(reference, Mapping) else reference,
        "thresholds": dict(thresholds) if thresholds is not None else None,
        "quality": dict(quality) if quality is not None else None,
        "options": dict(options) if options is not None else None,
        "model": dict(model)
        if isinstance(model, Mapping)
        else {"path": model}
        if model is not None
        else None,
    }
    mapping: dict[str, Any] = {
        "equityaudit": 1,
        "name": name,
        "auditor": auditor,
        "data": {"kind": kind, "test_data_reason": test_data_reason},
        "columns": {key: value for key, value in columns.items() if value is not None},
        **{key: value for key, value in given.items() if value is not None},
    }
    spec = spec_from_mapping(mapping, origin="equityaudit.audit()")
    if isinstance(data, str | Path):
        spec = spec.model_copy(update={"data": spec.data.model_copy(update={"path": Path(data)})})
        return run_spec(spec, gate=gate, redact=redact, gate_engine=gate_engine)
    return run_spec(spec, frame=data, gate=gate, redact=redact, gate_engine=gate_engine)


def run_spec(
    spec: AuditSpec,
    *,
    frame: Any = None,
    gate: GateMode = "enforce",
    redact: bool = False,
    on_phase: Callable[[str], None] | None = None,
    gate_engine: GateEngine = "compiled",
) -> AuditResult:
    """Run a validated spec on its data file, or on ``frame`` when one is given.

    With ``redact``, auditors that quote the data (the chatbot auditor's example utterances)
    cite row ids instead. ``on_phase`` is called with the name of each phase as it starts
    (``loading``, ``quality gate``, ``auditing``), for progress displays. ``gate_engine``
    ``compiled`` (the default) runs the gate's built-in checks as aggregations on the data's
    backend; ``gx`` has great-expectations validate every check on the rows in pandas
    (:func:`equityaudit.quality.gate.run_gate`).
    """
    if gate not in ("enforce", "warn"):
        raise SpecError(
            f"gate: expected 'enforce' or 'warn', found {gate!r}. {did_you_mean(str(gate), ['enforce', 'warn'])}"
        )
    check_gate_engine(gate_engine)  # before the data is read
    phase = on_phase or (lambda name: None)
    started = dt.datetime.now(dt.UTC)
    phase("loading")
    prepared = prepare(spec, frame=frame)
    spec, auditor, options, source = prepared.spec, prepared.auditor, prepared.options, prepared.source
    phase("quality gate")
    gate_result = _gate(prepared, mode=gate, engine=gate_engine)
    rows = gate_result.rows
    if audit_verdict(gate_result.gate, []) == "blocked":
        blocked = _result(spec, source, rows, started, gate_result.gate, verdict="blocked", prepared=prepared)
        return blocked.model_copy(update={"notes": [*prepared.notes, *gate_result.notes]})
    phase("auditing")
    counterfactual = _counterfactual(prepared, source.frame)
    context = AuditContext(
        source=source.name,
        options=options,
        redact=redact,
        model_evidence=tuple(counterfactual.evidence),
        tally=gate_result.tally,
    )
    output = auditor.run(source.frame, spec, context)
    sweep = _model_analyses(prepared, source.frame)
    findings, judged_apart = _with_model_findings(output.findings, counterfactual, spec)
    verdict = audit_verdict(gate_result.gate, [finding.status for finding in findings])
    result = _result(spec, source, rows, started, gate_result.gate, verdict=verdict, prepared=prepared)
    return result.model_copy(
        update={
            "data": result.data.model_copy(update={"sample": output.sample}),
            "tables": [  # named groups in their own order (bands lowest first), whatever the auditor's
                table.model_copy(
                    update={"rows": in_group_order(table.rows, {g.column: g.order for g in prepared.groups})}
                )
                for table in [*output.tables, *sweep.tables, *counterfactual.tables]
            ],
            # worst first, whoever judged them; a finding carries its table's funnel stage
            "findings": order_findings(_staged(findings, output.tables)),
            "counts": output.counts,
            "context": output.context,
            "notes": [
                *prepared.notes,
                *gate_result.notes,
                *output.notes,
                *sweep.notes,
                *counterfactual.notes,
                *judged_apart,
            ],
            "vocabulary": output.vocabulary,
            "finished_at": dt.datetime.now(dt.UTC),
        }
    )


def check_spec(spec: AuditSpec, *, frame: Any = None, gate_engine: GateEngine = "compiled") -> GateOutcome:
    """Run only the quality gate of a spec, validating the spec exactly as an audit would.

    Parameters
    ----------
    spec
        A validated spec (see :func:`equityaudit.spec_loading.load_spec`).
    frame
        Data to check instead of the spec's ``data.path`` (any frame equityaudit reads).

    Raises
    ------
    SpecError, DataError, PluginError
        Whatever ``equityaudit run`` would refuse before the gate: an unknown auditor, bad
        options, a role the auditor does not use, a missing data file or column, no rows.

    Examples
    --------
    >>> outcome = check_spec(load_spec("audits/hiring.yaml"))
    >>> outcome.gate.passed, outcome.rows
    (True, 5000)
    """
    check_gate_engine(gate_engine)  # before the data is read
    prepared = prepare(spec, frame=frame)
    outcome = _gate(prepared, mode="enforce", engine=gate_engine)
    return replace(outcome, notes=[*prepared.notes, *outcome.notes])


def _gate(prepared: PreparedAudit, *, mode: GateMode, engine: GateEngine) -> GateOutcome:
    """The quality gate on the prepared data; data with a header but no rows is an error, in any mode."""
    source = prepared.source
    outcome = run_gate(
        source.frame, prepared.spec, prepared.auditor, mode=mode, origin=source.name, engine=engine
    )
    if outcome.rows == 0:
        raise no_rows_error(source.name, query=source.query)
    return outcome


def _staged(findings: list[Finding], tables: list[Table]) -> list[Finding]:
    """The findings, each with its table's funnel stage (``Table.stage``) when it has one."""
    stages = {table.name: table.stage for table in tables if table.stage is not None}
    return [f.model_copy(update={"stage": stages[f.table]}) if f.table in stages else f for f in findings]


@dataclass(frozen=True)
class PreparedAudit:
    """A spec checked against its standard and auditor, with its data loaded and columns found."""

    spec: AuditSpec
    auditor: Auditor
    options: Any
    source: Source
    standard: StandardRef | None
    notes: list[str]
    """Notes for the report found while preparing (repeated columns the audit does not use)."""
    groups: list[NamedGroups] = field(default_factory=list)
    """How named groups (``columns.groups``, a standard's taxonomy) rewrote sensitive columns."""
    model: ModelInfo | None = None
    """The model scored on the data to make its decisions (``model:``)."""
    flips: FlipPlan | None = None
    """The sensitive columns and proxies the model's decisions were made again with flipped."""


def prepare(spec: AuditSpec, *, frame: Any = None) -> PreparedAudit:
    """Everything an audit checks before the quality gate, in order, shared by ``run`` and ``check``.

    Conform the spec to its standard; resolve the auditor; validate its options, the column roles
    and the auditor's own ``check_spec``; load the data (mapping labels through the standard's
    taxonomy); check that every column the spec names, in ``columns`` or (through the auditor's
    optional ``option_columns(spec, options)``) in ``options``, is in the data; name the groups of
    sensitive columns (``columns.groups``, a standard's taxonomy) on the data's backend.
    """
    origin = spec.origin
    application = None
    if spec.standard is not None:  # the standard fixes thresholds and maps labels (docs/standards.md)
        from equityaudit.standards import conform_spec, resolve_standard

        standard = resolve_standard(spec)
        assert standard is not None
        spec, application = conform_spec(spec, standard)
    try:
        auditor = get_auditor(spec.auditor)
    except PluginError as exc:
        raise PluginError(f"{origin}: key 'auditor': {exc}") from None
    if spec.model is not None:  # the model's output fills the decision (and score) roles
        spec = _model_roles(spec, auditor)
    options = _options(auditor, spec, origin)
    _check_roles(auditor, spec, origin)
    auditor_check = getattr(auditor, "check_spec", None)  # optional part of the Auditor contract
    if auditor_check is not None:
        auditor_check(spec, options)
    source = _source(spec, frame, origin)
    if application is not None:
        from equityaudit.standards import conform_source

        source = conform_source(source, application)
    option_columns = getattr(auditor, "option_columns", None)  # optional part of the Auditor contract
    extra = dict(option_columns(spec, options)) if option_columns is not None else {}
    if spec.model is not None and spec.model.outcome is not None:  # the true label, never a feature
        outcome = spec.model.outcome
        extra["model.outcome"] = outcome if isinstance(outcome, str) else outcome.column
    model = flips = None
    if spec.model is not None:
        from equityaudit.counterfactual import flip_decisions
        from equityaudit.models import score_model

        roles = [*spec.columns.named().values(), *extra.values(), *_quality_columns(spec).values()]
        source, model, scorer = score_model(source, spec.model, exclude=roles, origin=origin)
        # on the model's raw inputs, before named groups rewrite a sensitive column the model reads
        source, flips = flip_decisions(
            source,
            scorer,
            sensitive=spec.columns.sensitive,
            proxies=spec.model.proxies,
            unknown=spec.columns.unknown_values,
            origin=origin,
        )
    check_columns(source.frame, spec.columns, origin=source.name, extra=extra)
    used = {
        **{f"columns.{role}": column for role, column in spec.columns.named().items()},
        **extra,
        **_quality_columns(spec),
    }
    notes = [*source.notes, *check_repeated_columns(source, used, origin=origin)]
    source, groups = apply_groups(source, spec, origin=origin)
    return PreparedAudit(
        spec=spec,
        auditor=auditor,
        options=options,
        source=source,
        standard=application.standard.reference() if application else None,
        notes=notes,
        groups=groups,
        model=model,
        flips=flips,
    )


def _model_analyses(prepared: PreparedAudit, frame: Any) -> Sweep:
    """A model audit's descriptive analyses beyond the auditor's (not judged): the threshold sweep,
    the shortlist grid, and per-group model quality and calibration (:mod:`equityaudit.model_quality`).

    Done here, once, rather than in each auditor that takes decisions: the sweep needs only the
    score column, the sensitive columns, the outcome and the thresholds, which every such auditor
    shares, and a model's output is the engine's doing (``prepare``), not the auditor's.
    """
    from equityaudit.auditors.grouping import groupings
    from equityaudit.models import SCORE_COLUMN
    from equityaudit.sweep import Sweep, threshold_sweep

    spec, model = prepared.spec, prepared.model
    if model is None or spec.model is None or spec.model.output == "label":
        return Sweep()
    columns = spec.columns
    by = groupings(list(columns.sensitive), intersectional=columns.intersectional)
    sweep = threshold_sweep(
        frame, spec, score=SCORE_COLUMN, groupings=by, threshold=model.threshold, origin=prepared.source.name
    )
    from equityaudit.model_quality import model_quality

    quality = model_quality(frame, spec, score=SCORE_COLUMN, groupings=by, origin=prepared.source.name)
    return Sweep(tables=[*sweep.tables, *quality.tables], notes=[*sweep.notes, *quality.notes])


def _counterfactual(prepared: PreparedAudit, frame: Any) -> Counterfactual:
    """A model audit's counterfactual sensitivity: tables, and evidence for the auditor to judge.

    Counted here, before the auditor runs, so that the auditor judges the evidence with its own
    (``AuditContext.model_evidence``): one family-wise-controlled family per audit.
    """
    from equityaudit.counterfactual import Counterfactual, counterfactual_analysis

    if prepared.flips is None:
        return Counterfactual()
    return counterfactual_analysis(frame, prepared.flips, prepared.spec, origin=prepared.source.name)


def _with_model_findings(
    findings: list[Finding], counterfactual: Counterfactual, spec: AuditSpec
) -> tuple[list[Finding], list[str]]:
    """The auditor's findings, with the model evidence it did not judge judged apart (and a note)."""
    ids = {finding.id for finding in findings}
    missing = [item for item in counterfactual.evidence if item.id not in ids]
    if not missing:
        return findings, []
    note = (
        f"The {spec.auditor} auditor did not judge the model's counterfactual sensitivity with its own "
        f"findings, so its {len(missing)} finding(s) were judged apart, as a family-wise-controlled family "
        "of their own: the audit as a whole then tests at more than thresholds.alpha."
    )
    return [*findings, *judge(missing, spec.thresholds)], [note]


def _model_roles(spec: AuditSpec, auditor: Auditor) -> AuditSpec:
    """The spec with the model's output columns as its decision role, and score where the auditor uses one."""
    from equityaudit.models import DECISION_COLUMN, SCORE_COLUMN

    assert spec.model is not None
    roles: dict[str, str] = {"decision": DECISION_COLUMN}
    if spec.model.output != "label" and auditor.roles.get("score", "unused") != "unused":
        roles["score"] = SCORE_COLUMN
    return spec.model_copy(update={"columns": spec.columns.model_copy(update=roles)})


def _quality_columns(spec: AuditSpec) -> dict[str, str]:
    """Each column the spec's quality rules name, by the key that names it."""
    quality = spec.quality
    named: dict[str, str] = {}
    for rule in ("max_missing", "allowed", "ranges"):
        for column in getattr(quality, rule):
            named[f"quality.{rule}.{column}"] = column
    for i, column in enumerate(quality.unique):
        named[f"quality.unique[{i}]"] = column
    for i, expectation in enumerate(quality.expectations):
        kwargs = expectation.get("kwargs", {})
        for argument in ("column", "column_A", "column_B"):
            if isinstance(kwargs.get(argument), str):
                named[f"quality.expectations[{i}].kwargs.{argument}"] = kwargs[argument]
        for column in kwargs.get("column_list", None) or []:
            if isinstance(column, str):
                named[f"quality.expectations[{i}].kwargs.column_list"] = column
    return named


def _result(
    spec: AuditSpec,
    source: Source,
    rows: int,
    started: dt.datetime,
    gate: Any,
    *,
    verdict: Any,
    prepared: PreparedAudit,
) -> AuditResult:
    period = spec.data.period
    return AuditResult(
        tool=Tool(version=__version__),
        audit=AuditInfo(
            name=spec.name,
            auditor=spec.auditor,
            spec_sha256=spec.source_sha256,
            standard=prepared.standard,
            date=started.date(),
            thresholds=spec.thresholds.model_dump(mode="json"),
        ),
        data=DataInfo(
            source=source.name,
            sha256=source.sha256,
            engine=source.engine,
            query=source.query,
            rows=rows,
            kind=spec.data.kind,
            test_data_reason=spec.data.test_data_reason,
            description=spec.data.description,
            period={"start": period.start, "end": period.end} if period else None,
            groups=prepared.groups,
            model=prepared.model,
        ),
        started_at=started,
        finished_at=dt.datetime.now(dt.UTC),
        gate=gate,
        verdict=verdict,
    )


def _source(spec: AuditSpec, frame: Any, origin: str) -> Source:
    if frame is not None:
        return read_source(frame)
    data = spec.data
    if data.query is not None and data.database is not None:
        return read_query(data.database, data.query, origin=origin)
    if data.table is not None:
        return read_table(data.table, origin=origin)
    if data.path is None:
        raise SpecError(f"{origin}: data.path is missing and no frame was given; name the data to audit.")
    try:
        return read_source(data.path, file_format=data.format, separator=data.separator, engine=data.engine)
    except DataError as exc:
        raise DataError(f"{origin}: data.path: {exc}") from None


def _options(auditor: Auditor, spec: AuditSpec, origin: str) -> Any:
    try:
        return auditor.options_model.model_validate(spec.options)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(str(p) for p in error["loc"])
            if error["type"] == "extra_forbidden":
                parent = ".".join(str(p) for p in error["loc"][:-1])
                valid = _option_keys(auditor.options_model, error["loc"][:-1])
                where = f"in options.{parent}" if parent else f"for the {auditor.name} auditor"
                problems.append(
                    f"  - options.{key}: unknown option {where}. "
                    f"{did_you_mean(str(error['loc'][-1]), valid) if valid else 'It takes no options.'}"
                )
            else:
                problems.append(f"  - options.{key}: {error['msg']}; found {error.get('input')!r}.")
        raise SpecError(f"{origin}: invalid options:\n" + "\n".join(problems)) from None


def _option_keys(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The keys valid at ``loc`` inside an options model: its own fields, or a nested model's."""
    for part in loc:
        field = model.model_fields.get(str(part))
        nested = field.annotation if field is not None else None
        candidates = [nested, *typing.get_args(nested)]  # a model, or Optional[model]
        models = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not models:
            return []
        model = models[0]
    return list(model.model_fields)


def _check_roles(auditor: Auditor, spec: AuditSpec, origin: str) -> None:
    columns = spec.columns
    given = {
        "sensitive": bool(columns.sensitive),
        "decision": columns.decision is not None,
        "score": columns.score is not None,
        "outcome": columns.outcome is not None,
        "stage": columns.stage is not None,
        "id": columns.id is not None,
    }
    for role, need in auditor.roles.items():
        if need == "required" and not given.get(role, False):
            raise SpecError(
                f"{origin}: columns.{role} is required by the {auditor.name} auditor; "
                f"name the column that holds it."
            )
        if need == "unused" and given.get(role, False):
            raise SpecError(
                f"{origin}: columns.{role} is not used by the {auditor.name} auditor; remove it "
                "(or choose an auditor that uses it: see 'equityaudit auditors')."
            )

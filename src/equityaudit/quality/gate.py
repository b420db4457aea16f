"""Running the quality gate over a frame: the suite, great-expectations, and the gate's verdict.

:func:`run_gate` is what the engine calls right after loading the data (and all that
:func:`equityaudit.engine.check_spec`, ``equityaudit check``, runs after it). A gate passes when every check of severity
``critical`` (the default) passed; a failed ``warning`` or ``info`` expectation is reported and
counts as a warning, but does not block.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import narwhals as nw
from narwhals.dependencies import is_pandas_dataframe

from equityaudit.errors import DataError, SpecError, did_you_mean
from equityaudit.frames import collect_or_data_error, rows_for_python
from equityaudit.judging import MAX_GROUPS, too_many_groups
from equityaudit.quality.checks import (
    expectation_check,
    group_size_check,
    missing_column_check,
    python_scalar,
    row_count_check,
)
from equityaudit.quality.compiled import covers, evaluate, reads_values
from equityaudit.quality.facts import EngineFacts, Facts, PandasFacts
from equityaudit.quality.suite import Expectation, GroupSizeRule, QualitySuite, build_suite
from equityaudit.results import Check, Gate
from equityaudit.spec import LabelledColumn
from equityaudit.stats.counts import Tally
from equityaudit.values import UNKNOWN, check_labels, null_as_none, sensitive_label

if TYPE_CHECKING:
    import pandas as pd

    from equityaudit.auditors.base import Auditor
    from equityaudit.spec import AuditSpec

__all__ = ["GATE_ENGINES", "GateEngine", "GateOutcome", "check_gate_engine", "run_gate"]

GateEngine = Literal["compiled", "gx"]
GATE_ENGINES: tuple[GateEngine, ...] = ("compiled", "gx")
"""What evaluates the gate's checks: aggregations on the data's backend, or great-expectations."""


@dataclass(frozen=True)
class GateOutcome:
    """The gate section of a result, the number of rows seen, notes for the report, and the suite."""

    gate: Gate
    rows: int
    notes: list[str] = field(default_factory=list)
    source: str = ""
    """The data source the gate checked (a file path, or the kind of in-memory frame)."""
    rules: QualitySuite | None = None
    """The suite the gate built from the spec and the auditor."""
    origin: str = "<spec>"
    """The spec the suite came from, for messages."""
    tally: Tally | None = None
    """The rows per combination of the columns the checks read, counted in the gate's one pass;
    the auditor's counts re-group it instead of reading the data again (:class:`~equityaudit.stats.counts.Tally`)."""

    @property
    def suite(self) -> dict[str, Any]:
        """The suite, as great-expectations JSON (``equityaudit check --export-suite``); empty when
        the data has no rows, since then no suite runs. Imports great-expectations."""
        if self.rules is None or self.rows == 0:
            return {}
        from equityaudit.quality.gx_runner import runner

        gx_runner = runner()
        with gx_runner.active():
            return gx_runner.suite_json(
                self.rules, gx_runner.compile(self.rules.expectations, origin=self.origin)
            )


def run_gate(
    frame: Any,
    spec: AuditSpec,
    auditor: Auditor | str,
    *,
    mode: Literal["enforce", "warn"] = "enforce",
    origin: str = "<data>",
    engine: GateEngine = "compiled",
) -> GateOutcome:
    """Check the data before the audit; a failed gate blocks it unless ``mode`` is ``warn``.

    Parameters
    ----------
    frame
        The data: a narwhals frame as the engine loads it, or a pandas, polars, pyarrow or duckdb
        frame.
    spec
        The audit spec: its column roles, thresholds and ``quality`` rules.
    auditor
        The auditor that will run (or its name): its roles and ``expectations(spec)`` shape the suite.
    mode
        ``enforce`` (a failed check blocks) or ``warn`` (the audit runs, each failed check a warning).
    origin
        The data source, for messages.
    engine
        ``compiled`` (the default): the built-in checks run as aggregations on the frame's own
        backend (:mod:`equityaudit.quality.compiled`), and great-expectations, imported only then,
        validates the rows of just the columns the other expectations read. ``gx``: the rows of
        every checked column are read into pandas and great-expectations validates every
        expectation. Both give the same checks (tests/quality/test_gate_compiled.py).

    Raises
    ------
    SpecError
        An expectation in the spec (or its imported suite) is malformed: unknown name or wrong
        arguments; the message names it and lists the close valid names.

    Examples
    --------
    >>> import pandas as pd
    >>> from equityaudit.frames import read_source
    >>> from equityaudit.plugins import get_auditor
    >>> from equityaudit.spec_loading import spec_from_mapping
    >>> df = pd.DataFrame({"sex": ["F", "M"] * 40, "hired": ["yes", "no", "no", "maybe"] * 20})
    >>> spec = spec_from_mapping({"equityaudit": 1, "name": "demo", "auditor": "decisions",
    ...     "data": {"path": "d.csv"}, "columns": {"sensitive": "sex", "decision": "hired"}})
    >>> outcome = run_gate(read_source(df).frame, spec, get_auditor("decisions"))
    >>> outcome.gate.passed, [c.name for c in outcome.gate.checks if not c.passed]
    (False, ['expect_column_values_to_match_regex'])
    >>> run_gate(df, spec, "decisions").gate.passed  # a native frame and an auditor's name do too
    False
    >>> failed = outcome.gate.checks[-1]
    >>> failed.unexpected_count, failed.unexpected_values
    (20, ['maybe'])
    """
    check_gate_engine(engine)
    if isinstance(auditor, str):
        from equityaudit.plugins import get_auditor

        auditor = get_auditor(auditor)
    if not isinstance(frame, nw.LazyFrame):
        from equityaudit.frames import read_source

        frame = read_source(frame).frame

    schema = dict(frame.collect_schema())
    present = list(schema)
    suite = build_suite(spec, auditor, schema=schema)
    # the data is read, counted and its labels checked before great-expectations is imported (it
    # takes seconds, and most gates never need it), so a malformed file, a file without rows or a
    # label the data lacks fails at once
    if len(collect_or_data_error(frame.head(1), origin)) == 0:  # no rows: known without pandas
        check = row_count_check(0, 1)
        gate = Gate(passed=False, mode=mode, checks=[check])
        return GateOutcome(gate=gate, rows=0, source=origin, rules=suite, origin=spec.origin)
    read = suite.columns(present)
    native = nw.to_native(frame)
    facts: Facts
    if engine == "gx":
        why = "the quality gate (--gate-engine gx: great-expectations validates pandas frames)"
        facts = PandasFacts(rows_for_python(frame, read, why=why, origin=origin))
    elif is_pandas_dataframe(native):  # already in memory: read as it is
        facts = PandasFacts(native[read])
    else:
        facts = EngineFacts(frame, read, origin=origin, tallied=_tallied(suite, spec))
    rows = facts.rows
    # an id or free text named as a sensitive column is refused before its values are read
    for grouped in suite.group_rules:
        many = facts.distinct_beyond(grouped.column, MAX_DISTINCT) if grouped.column in schema else None
        if many is not None:
            examples = facts.first_values(grouped.column, 3)
            raise too_many_groups(many, origin=origin, column=grouped.column, examples=examples)
    _check_labels(facts, spec, auditor, origin=origin)
    for rule in suite.rules:
        if isinstance(rule, GroupSizeRule) and rule.column in schema:
            _check_group_values(rule.column, facts.tally(rule.column), rule.unknown_values, origin=origin)
    # equityaudit counts a missing_or_unknown check itself (checks.py): it is not evaluated here
    runnable = [
        e
        for e in suite.expectations
        if e.type == "expect_column_to_exist"
        or (all(col in schema for col in e.columns) and e.rule != "missing_or_unknown")
    ]
    by_expectation: dict[int, dict[str, Any] | None] = {id(e): None for e in suite.expectations}
    to_gx = []
    for expectation in runnable:
        if engine == "compiled" and covers(expectation, facts):
            by_expectation[id(expectation)] = evaluate(expectation, facts)
        else:
            to_gx.append(expectation)
    if to_gx:
        by_expectation.update(
            _validate_with_gx(to_gx, frame, facts, spec=spec, origin=origin, present=present)
        )
    checks: list[Check] = []
    blocking: list[bool] = []
    notes: list[str] = []
    # a column the suite expects to exist and that is absent fails that one check; the other
    # checks on it are not run (they would only repeat it)
    reported = {
        e.column for e in suite.expectations if e.type == "expect_column_to_exist" and e.column not in schema
    }
    for rule in suite.rules:
        if isinstance(rule, Expectation):
            outcome = by_expectation[id(rule)]
            if outcome is None and rule.rule == "missing_or_unknown" and rule.column in schema:
                outcome = {}  # not run by GX: counted by expectation_check
            if outcome is not None:
                checks.append(expectation_check(rule, outcome, facts))
            else:
                missing = [c for c in rule.columns if c not in schema]
                if set(missing) <= reported:
                    continue
                checks.append(missing_column_check(rule, missing, present))
            blocking.append(rule.severity == "critical")
        elif rule.column in schema:
            check, small = group_size_check(rule, facts)
            checks.append(check)
            blocking.append(rule.severity == "critical")
            notes += small
    passed = all(check.passed for check, blocks in zip(checks, blocking, strict=True) if blocks)
    failed = [check for check in checks if not check.passed]
    lenient = [
        c
        for c, blocks in zip(checks, blocking, strict=True)
        if not c.passed and not blocks and c.name != "equityaudit_group_sizes"  # noted by its own check
    ]
    if lenient:
        notes.append(
            f"the quality gate found {len(lenient)} problem(s) in expectations of severity warning or "
            "info; they do not block the audit and count as warnings: "
            + "; ".join(f"{c.name} ({c.column or 'table'})" for c in lenient)
        )
    if mode == "warn" and not passed:
        notes.append(
            f"the quality gate failed {len(failed)} of {len(checks)} checks and the audit ran anyway "
            "(--gate warn): each failed check counts as a warning, and the numbers may be wrong where "
            "the checks failed."
        )
    gate = Gate(passed=passed, mode=mode, checks=checks)
    return GateOutcome(
        gate=gate, rows=rows, notes=notes, source=origin, rules=suite, origin=spec.origin, tally=facts.joint
    )


def check_gate_engine(engine: str) -> None:
    """Refuse a gate engine other than :data:`GATE_ENGINES` (a spec error naming them)."""
    if engine not in GATE_ENGINES:
        raise SpecError(
            f"gate_engine: expected one of {', '.join(map(repr, GATE_ENGINES))}, found {engine!r}. "
            f"{did_you_mean(str(engine), list(GATE_ENGINES))}"
        )


def _tallied(suite: QualitySuite, spec: AuditSpec) -> list[str]:
    """The columns whose distinct values the checks read: sensitive columns, labelled decisions
    and outcomes, and the columns of value-set and regular-expression checks."""
    columns = [rule.column for rule in suite.group_rules]
    columns += [
        c.column for c in (spec.columns.decision, spec.columns.outcome) if isinstance(c, LabelledColumn)
    ]
    columns += [e.column for e in suite.expectations if e.column and reads_values(e)]
    return list(dict.fromkeys(columns))


def _validate_with_gx(
    expectations: list[Expectation],
    frame: nw.LazyFrame[Any],
    facts: Facts,
    *,
    spec: AuditSpec,
    origin: str,
    present: list[str],
) -> dict[int, dict[str, Any]]:
    """great-expectations' results for the expectations the compiled checks do not cover.

    Only the columns those expectations read leave the backend (every column if one reads the
    whole table); under ``--gate-engine gx`` the rows are already in pandas.
    """
    from equityaudit.quality.gx_runner import runner

    wanted = {c for e in expectations for c in e.columns}
    every = any(e.reads_every_column for e in expectations)
    read = present if every else [c for c in present if c in wanted]
    if isinstance(facts, PandasFacts) and set(read) <= set(facts.columns):
        data = facts.frame  # already in pandas: a user's frame, or the rows of --gate-engine gx
    else:
        why = f"great-expectations ({', '.join(sorted({e.type for e in expectations}))})"
        data = rows_for_python(frame, read, why=why, origin=origin)
    gx_runner = runner()
    with gx_runner.active():
        compiled = gx_runner.compile(expectations, origin=spec.origin)
        results = gx_runner.validate(data, compiled)
    return {id(c.expectation): result for c, result in zip(compiled, results, strict=True)}


MAX_DISTINCT = 100_000
"""Most distinct values a sensitive column may hold before its values are read: far beyond
:data:`~equityaudit.judging.MAX_GROUPS`, which the labels are held to once read."""

MAX_LABEL_CHARS = 1000
"""The longest value a sensitive column may hold: a group's label is repeated in every table,
finding and report that names the group, so a 5 MB value would make a 45 MB result."""


def _check_group_values(
    column: str, tally: pd.Series[Any], unknown_values: tuple[str, ...], *, origin: str
) -> None:
    """A sensitive column has at most :data:`~equityaudit.judging.MAX_GROUPS` known groups, each
    label at most :data:`MAX_LABEL_CHARS` characters long.

    Checked before any group is counted or compared: a column with an id or free text in it
    (100,000 distinct values) would otherwise cost billions of pairwise tests. A
    :class:`~equityaudit.errors.DataError` (exit 2) in any gate mode: ``--gate warn`` cannot
    make such an audit finish.
    """
    longest = max((str(value) for value in tally.index), key=len, default="")
    if len(longest) > MAX_LABEL_CHARS:
        raise DataError(
            f"{origin}: column {column!r} (columns.sensitive) holds a value of {len(longest):,} characters "
            f"(it starts {longest[:40]!r}); expected a group label of at most {MAX_LABEL_CHARS:,} characters. "
            "A label is written into every table, finding and report that names its group. To fix: check "
            "that columns.sensitive names the right column, and shorten or correct the value in the data."
        )
    if len(tally) <= MAX_GROUPS:  # distinct raw values bound the known groups: nothing to count
        return
    labels = {sensitive_label(value, unknown=unknown_values) for value in tally.index}
    labels.discard(UNKNOWN)
    if len(labels) > MAX_GROUPS:
        examples = [str(value) for value in tally.index[:3]]
        raise too_many_groups(len(labels), origin=origin, column=column, examples=examples)


def _check_labels(facts: Facts, spec: AuditSpec, auditor: Auditor, *, origin: str) -> None:
    """A labelled decision or outcome holds its positive label, and one other value unless ``negative`` is declared.

    These are spec-against-data errors (exit 2), raised before any check runs, exactly as the
    auditor would raise them (:func:`equityaudit.values.check_labels`); stray values beside
    declared ``negative`` labels are the binary check's failures.
    """
    used = {role for role, need in auditor.roles.items() if need != "unused"}
    for role, labelled in (("decision", spec.columns.decision), ("outcome", spec.columns.outcome)):
        if (
            not isinstance(labelled, LabelledColumn)
            or role not in used
            or labelled.column not in facts.columns
        ):
            continue
        counts = facts.tally(labelled.column)
        found = {
            python_scalar(value): int(n)
            for value, n in counts.items()
            if int(n) > 0 and null_as_none(value) is not None
        }
        check_labels(found, labelled, key=f"columns.{role}", origin=origin)

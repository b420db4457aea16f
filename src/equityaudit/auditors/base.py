"""The Auditor contract: what a built-in or third-party auditor declares and returns.

An auditor is any object with the attributes and methods of :class:`Auditor`; plugins return
instances from the ``equityaudit_auditors`` hook. The engine validates the spec's options with
``options_model``, runs the quality gate (including ``expectations(spec)``), then calls
``run(frame, spec, context)`` and assembles the :class:`~equityaudit.results.AuditResult`.

An auditor may also define either or both of the optional methods :class:`AuditorExtras`
declares, which the engine looks up by name (``getattr``) before it reads any data:
``check_spec(spec, options)`` refuses a spec the auditor cannot audit with a ``SpecError``, and
``option_columns(spec, options)`` names the data columns its options refer to, so that a missing
one is reported, with a suggestion, before the quality gate runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import narwhals as nw
from pydantic import BaseModel

from equityaudit.judging import Evidence
from equityaudit.results import CountsTable, Finding, SampleInfo, Table, Vocabulary
from equityaudit.spec import AuditSpec
from equityaudit.stats.counts import Tally

__all__ = ["AuditContext", "Auditor", "AuditorExtras", "AuditorOutput", "Role"]

Role = Literal["required", "optional", "unused"]
"""Whether an auditor needs a column role (sensitive, decision, score, outcome, stage, id)."""


@dataclass(frozen=True)
class AuditContext:
    """What the engine hands an auditor besides the frame and the spec."""

    source: str
    """Where the data came from (file path or frame kind), for messages."""
    options: BaseModel
    """The spec's ``options``, validated by the auditor's ``options_model``."""
    redact: bool = False
    """Whether the result may quote the data (False) or only cite row ids (``run --redact``)."""
    model_evidence: Sequence[Evidence] = ()
    """Evidence the engine found about the model behind a ``model:`` audit (counterfactual
    sensitivity), to be judged in the same :func:`~equityaudit.judging.judge` call as the
    auditor's own, so that the audit stays one family-wise-controlled family. An auditor that
    leaves it out of its findings has it judged separately by the engine, with a note saying so."""
    tally: Tally | None = None
    """The rows per combination of the sensitive columns, decision, outcome and stage, counted by
    the quality gate in its pass over the same frame: ``grouped_counts(..., tally=context.tally)``
    re-groups it instead of reading the data again (None when the gate could not count them so)."""


@dataclass
class AuditorOutput:
    """What an auditor returns: tables, findings, the counts behind them, and context facts."""

    tables: list[Table] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    counts: list[CountsTable] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    vocabulary: Vocabulary | None = None
    """The auditor's words for its metrics and its groups' members, which every report then speaks
    (built-in metrics have words of their own; a metric without any is named after itself)."""
    sample: SampleInfo | None = None
    """The seeded, stratified sample that analyses needing rows read (:mod:`equityaudit.sampling`),
    when the data had more rows than the auditor reads; the result's ``data.sample``."""


@runtime_checkable
class Auditor(Protocol):
    """The contract every auditor plugin satisfies: these members are required.

    The optional ones, ``check_spec`` and ``option_columns``, are declared on :class:`AuditorExtras`.
    """

    name: str
    """Unique name used in specs (``auditor: hiring``)."""
    summary: str
    """One line for ``equityaudit auditors``."""
    roles: Mapping[str, Role]
    """Column roles the auditor needs: ``{"sensitive": "required", "decision": "optional", …}``."""
    options_model: type[BaseModel]
    """Pydantic model of the auditor's ``options`` (extra keys forbidden)."""

    def expectations(self, spec: AuditSpec) -> list[dict[str, Any]]:
        """Quality-gate expectations (great-expectations JSON form) this auditor needs."""

    def run(self, frame: nw.LazyFrame[Any], spec: AuditSpec, context: AuditContext) -> AuditorOutput:
        """Audit the frame as the spec says and return tables and findings."""


class AuditorExtras(Protocol):
    """The optional members of the Auditor contract: define either, both or neither.

    The engine looks each one up on the auditor by name (``getattr(auditor, "check_spec", None)``),
    after validating the spec's options and column roles and before reading any data, so both run
    for ``equityaudit run``, ``equityaudit check`` and :func:`equityaudit.audit` alike. They are a
    separate protocol because a type checker has no optional protocol members: annotate an
    auditor as ``AuditorExtras`` (``extras: AuditorExtras = MyAuditor()``) to have its versions
    checked against these signatures.
    """

    def check_spec(self, spec: AuditSpec, options: BaseModel) -> None:
        """Check that this auditor can audit the spec as written; raise ``SpecError`` if not.

        Not the quality gate: it looks at the spec and the validated options only, never at the
        data, and returns nothing. It checks the rules the roles and the options model cannot
        express on their own: combinations of keys ("a decision or a score"; a stage column needs
        ``options.stages``), values of spec keys the auditor restricts (``reference``,
        ``columns.intersectional``), and options that refer to each other or to files. Its
        ``SpecError`` names the spec file, the key and the value, and says how to fix it; the
        engine lets it propagate (exit code 2). ``options`` is the instance of ``options_model``
        the engine validated from the spec's ``options``.
        """

    def option_columns(self, spec: AuditSpec, options: BaseModel) -> Mapping[str, str]:
        """The data columns the options name, as ``{spec key: column}`` (``{"options.text": "utterance"}``).

        The engine checks each column is in the data, as it does for the ``columns`` roles, and
        reports a missing one under its spec key with the nearest column names; the columns also
        count as used when the data repeats a column name. Options that name no column are left out.
        """

"""The Auditor contract: what a built-in or third-party auditor declares and returns.

An auditor is any object with the attributes and methods of :class:`Auditor`; plugins return
instances from the ``equityaudit_auditors`` hook. The engine validates the spec's options with
``options_model``, runs the quality gate (including ``expectations(spec)``), then calls
``run(frame, spec, context)`` and assembles the :class:`~equityaudit.results.AuditResult`.

An auditor may also define ``check_spec(spec, options)``, called before any data is read, to
refuse a spec its roles cannot express (e.g. "a decision or a score") with a ``SpecError``.
It may define ``option_columns(spec, options) -> {spec key: column}`` for the columns its options
name (``options.text``), which the engine checks are in the data, with a suggestion, before the
quality gate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import narwhals as nw
from pydantic import BaseModel

from equityaudit.results import CountsTable, Finding, Table
from equityaudit.spec import AuditSpec

__all__ = ["AuditContext", "Auditor", "AuditorOutput", "Role"]

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


@dataclass
class AuditorOutput:
    """What an auditor returns: tables, findings, the counts behind them, and context facts."""

    tables: list[Table] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    counts: list[CountsTable] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@runtime_checkable
class Auditor(Protocol):
    """The contract every auditor plugin satisfies."""

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

"""The quality gate: a great-expectations suite every input passes before any auditor sees it.

:func:`build_suite` assembles the suite (the auditor's needs, the spec's ``quality`` rules, raw
GX expectations, an imported GX suite); :func:`run_gate` runs it on a frame
(:func:`equityaudit.check_spec` runs only the gate of a spec). The built-in checks run as
aggregations on the data's own backend (:mod:`equityaudit.quality.compiled`); great-expectations
itself is imported only for the expectations they do not cover, or for every check under
``--gate-engine gx``.
See docs/quality.md.
"""

from __future__ import annotations

from equityaudit.quality.gate import GATE_ENGINES, GateEngine, GateOutcome, run_gate
from equityaudit.quality.suite import (
    DEFAULT_MAX_MISSING,
    Expectation,
    GroupSizeRule,
    QualitySuite,
    build_suite,
)

__all__ = [
    "DEFAULT_MAX_MISSING",
    "GATE_ENGINES",
    "Expectation",
    "GateEngine",
    "GateOutcome",
    "GroupSizeRule",
    "QualitySuite",
    "build_suite",
    "run_gate",
]

"""Standards: versioned, content-hashed documents that make members' audits comparable.

Bundled: ``nyc-ll144@2023``, ``eeoc-four-fifths@1978`` and an example consortium standard,
``retail-screening@2026.1``. A spec names one with ``standard: id@version``; the engine then
checks the spec against it, fixes its thresholds, maps labels through its taxonomy, and embeds
its id, version and sha256 in the result. See docs/standards.md.
"""

from __future__ import annotations

from equityaudit.standards.apply import StandardApplication, conform_source, conform_spec, resolve_standard
from equityaudit.standards.catalog import (
    STANDARDS_PATH_ENV,
    bundled_standards,
    find_standard,
    list_standards,
    load_standard_file,
)
from equityaudit.standards.model import (
    Attribute,
    DecisionRule,
    Standard,
    Taxonomy,
    parse_standard,
    standard_sha256,
)

__all__ = [
    "STANDARDS_PATH_ENV",
    "Attribute",
    "DecisionRule",
    "Standard",
    "StandardApplication",
    "Taxonomy",
    "bundled_standards",
    "conform_source",
    "conform_spec",
    "find_standard",
    "list_standards",
    "load_standard_file",
    "parse_standard",
    "resolve_standard",
    "standard_sha256",
]

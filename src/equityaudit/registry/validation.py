"""What the registry accepts: a valid result of a published standard that holds aggregates only.

The **aggregate-only rule** (docs/consortium.md) refuses a payload that could carry row-level
data. A result is accepted only when:

1. it validates as ``equityaudit.result/1`` and its ``audit.standard`` names a standard published
   on this registry, with the same sha256, and its auditor is the standard's;
2. its ``counts`` is exactly one table, by exactly the standard's attributes (in the standard's
   order); every group value is one of the standard's categories or ``Unknown``; no group appears
   twice; every count column is a known one (``n``, ``selected``, ``positives``, ``tp``,
   ``above``, ``reached_<stage>``) holding a whole number from 0 to ``n``; and the ``n`` add up
   to ``data.rows``;
3. every table and finding is by a subset of those attributes, with group values among the
   categories, and no table has more rows than the taxonomy has cells;
4. the quality gate's checks carry no example values copied from rows (``unexpected_values``);
5. nowhere else (context, notes, details, tests, metadata) is there a list of more than
   :data:`MAX_FREE_LIST` items or a string longer than :data:`MAX_STRING` characters — the
   shapes row-level records would take.

A group value that is not a category is the tell-tale of row data (an e-mail address, an id, a
date of birth as a "group"), and so is a long list in a free-form field.
"""

from __future__ import annotations

import math
import re
from typing import Any

from pydantic import ValidationError

from equityaudit.frames import UNKNOWN
from equityaudit.results import AuditResult
from equityaudit.standards import Standard

__all__ = [
    "MAX_FREE_LIST",
    "MAX_STRING",
    "RejectedPayloadError",
    "check_aggregate_only",
    "check_free_form",
    "validate_result",
]

MAX_FREE_LIST = 100
"""Longest list allowed outside tables, findings, counts and gate checks."""

MAX_STRING = 4000
"""Longest string allowed anywhere in a submitted result."""

_COUNT_COLUMN = re.compile(r"^(n|selected|positives|tp|above|reached_[A-Za-z0-9_ -]{1,60})$")


class RejectedPayloadError(ValueError):
    """A submitted result breaks a registry rule; the message says which (HTTP 422)."""


def validate_result(payload: Any) -> AuditResult:
    """Validate the result schema; raise :class:`RejectedPayloadError` naming the first problem."""
    if not isinstance(payload, dict) or payload.get("schema") != "equityaudit.result/1":
        raise RejectedPayloadError("the signed result is not an equityaudit.result/1 document")
    try:
        return AuditResult.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise RejectedPayloadError(
            f"the signed result does not match the result schema: {where}: {first['msg']} "
            f"({exc.error_count()} problem(s))"
        ) from None


def check_aggregate_only(result: dict[str, Any], standard: Standard) -> None:
    """Apply the aggregate-only rule of the module docstring; raise :class:`RejectedPayloadError`."""
    attributes = list(standard.taxonomy.attributes)
    allowed = {a: {*standard.taxonomy.attributes[a].categories, UNKNOWN} for a in attributes}
    cells = math.prod(len(v) for v in allowed.values())

    def check_group(group: Any, where: str) -> None:
        if not isinstance(group, dict):
            raise RejectedPayloadError(f"{where}: a group must be a mapping of attribute to category")
        for attribute, value in group.items():
            if attribute not in allowed:
                raise RejectedPayloadError(
                    f"{where}: attribute {attribute!r} is not one of {standard.ref}'s attributes {attributes}"
                )
            if value not in allowed[attribute]:
                raise RejectedPayloadError(
                    f"{where}: {attribute} value {str(value)[:40]!r} is not a category of {standard.ref}; "
                    "group values that are not categories look like row-level data"
                )

    counts = result.get("counts") or []
    if len(counts) != 1:
        raise RejectedPayloadError(f"counts: expected one counts table by {attributes}, found {len(counts)}")
    table = counts[0]
    if table.get("by") != attributes:
        raise RejectedPayloadError(f"counts: by {table.get('by')} but {standard.ref} audits by {attributes}")
    rows = table.get("rows") or []
    if len(rows) > cells:
        raise RejectedPayloadError(f"counts: {len(rows)} rows, more than the {cells} cells of the taxonomy")
    seen: set[tuple[str, ...]] = set()
    total = 0
    for i, row in enumerate(rows):
        where = f"counts.rows[{i}]"
        group = row.get("group") if isinstance(row, dict) else None
        check_group(group, where)
        assert isinstance(group, dict)
        if set(group) != set(attributes):
            raise RejectedPayloadError(f"{where}: group keys {list(group)} differ from {attributes}")
        cell = tuple(str(group[a]) for a in attributes)
        if cell in seen:
            raise RejectedPayloadError(f"{where}: group {group} appears twice")
        seen.add(cell)
        n = row.get("n")
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise RejectedPayloadError(f"{where}: n must be a whole number of at least 0")
        for column, value in row.items():
            if column == "group":
                continue
            if not _COUNT_COLUMN.match(column):
                raise RejectedPayloadError(f"{where}: {column!r} is not a count column")
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= n:
                raise RejectedPayloadError(f"{where}: {column} must be a whole number from 0 to n ({n})")
        total += n
    rows_declared = result.get("data", {}).get("rows")
    if total != rows_declared:
        raise RejectedPayloadError(
            f"counts: the groups' n add up to {total}, but data.rows is {rows_declared}"
        )
    for t, result_table in enumerate(result.get("tables") or []):
        by = result_table.get("by") or []
        if not set(by) <= set(attributes):
            raise RejectedPayloadError(f"tables[{t}]: by {by}, not a subset of {attributes}")
        table_rows = result_table.get("rows") or []
        if len(table_rows) > cells:
            raise RejectedPayloadError(
                f"tables[{t}]: {len(table_rows)} rows, more than the {cells} cells of the taxonomy"
            )
        for r, row in enumerate(table_rows):
            check_group(row.get("group") if isinstance(row, dict) else None, f"tables[{t}].rows[{r}]")
            check_free_form(row, f"tables[{t}].rows[{r}]")
        for key in ("tests", "notes", "methods", "reference"):
            check_free_form(result_table.get(key), f"tables[{t}].{key}")
    for f, finding in enumerate(result.get("findings") or []):
        check_group(finding.get("group"), f"findings[{f}].group")
        if finding.get("reference") is not None:
            check_group(finding.get("reference"), f"findings[{f}].reference")
        check_free_form(finding.get("details"), f"findings[{f}].details")
        check_free_form(finding.get("message"), f"findings[{f}].message")
    for c, check in enumerate(result.get("gate", {}).get("checks") or []):
        if check.get("unexpected_values"):
            raise RejectedPayloadError(
                f"gate.checks[{c}].unexpected_values holds values copied from data rows; sign with "
                "'equityaudit sign', which drops them"
            )
        check_free_form({k: v for k, v in check.items() if k != "unexpected_values"}, f"gate.checks[{c}]")
    for key in ("context", "notes", "audit", "data", "tool"):
        check_free_form(result.get(key), key)


def check_free_form(value: Any, where: str) -> None:
    """No long lists or long strings in free-form parts (the shapes of row-level records)."""
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise RejectedPayloadError(f"{where}: a string of {len(value)} characters (at most {MAX_STRING})")
    elif isinstance(value, list):
        if len(value) > MAX_FREE_LIST:
            raise RejectedPayloadError(
                f"{where}: a list of {len(value)} items (at most {MAX_FREE_LIST}); lists that long look like "
                "row-level records"
            )
        for i, item in enumerate(value):
            check_free_form(item, f"{where}[{i}]")
    elif isinstance(value, dict):
        if len(value) > MAX_FREE_LIST:
            raise RejectedPayloadError(f"{where}: a mapping of {len(value)} keys (at most {MAX_FREE_LIST})")
        for key, item in value.items():
            check_free_form(item, f"{where}.{key}")

"""What the registry accepts: a valid result of a published standard that holds aggregates only.

The **aggregate-only rule** (docs/consortium.md) refuses a payload that could carry row-level
data. A result is accepted only when:

1. it validates as an ``equityaudit.result`` document (version 1 or 2) and its ``audit.standard`` names a standard published
   on this registry, with the same sha256, and its auditor is the standard's;
2. its ``counts`` is exactly one table, by exactly the standard's attributes (in the standard's
   order); every group value is one of the standard's categories or ``Unknown``; no group appears
   twice; every count column is a known one (``n``, ``selected``, ``positives``, ``tp``,
   ``above``, ``reached_<stage>``) holding a whole number from 0 to ``n``; and the ``n`` add up
   to ``data.rows``;
3. every table and finding is by a subset of those attributes, with group values among the
   categories, and no table has more rows than the taxonomy has cells;
4. the quality gate's checks carry no example values copied from rows (``unexpected_values``);
5. the free-form parts (context, notes, details, messages, tests, methods, gate checks, audit,
   data, tool, metadata) hold no row-level shapes:

   * no field named like an example or a quote (``examples``, ``quotes``, ``samples``,
     ``excerpts``, ``snippets``, ``transcripts``, ``records``, great-expectations'
     ``partial_unexpected_list`` …): such fields carry text copied from rows;
   * no field named like a person's attribute (``email``, ``phone``, ``date_of_birth``,
     ``first_name``, ``applicant_id`` …);
   * no string holding an e-mail address, and none longer than :data:`MAX_STRING` characters;
   * no string holding personal data in the shapes :mod:`equityaudit.registry.personal_data`
     finds: obfuscated e-mail addresses (``jane.doe(at)example(dot)com``), phone numbers, dates of
     birth, dates next to names, delimited records (``A000123, Jane Doe, 1979-04-02, …``);
   * no list of more than :data:`MAX_FREE_LIST` items, no mapping of more than
     :data:`MAX_KEYS` keys;
   * no list of mappings unless each mapping describes one group of the standard (a ``group`` of
     its categories, no group twice in a table) — anything else is a list of records;
6. a table's rows hold only named numbers, flags and short notes besides their group.

A group value that is not a category is the tell-tale of row data (an e-mail address, an id, a
date of birth as a "group"), and so are the shapes above in a free-form field. Every refusal
names the JSON path, what was found there and why it is refused.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from equityaudit.errors import counted
from equityaudit.registry.personal_data import find_personal_data
from equityaudit.results import READABLE_SCHEMAS, AuditResult
from equityaudit.standards import Standard
from equityaudit.values import UNKNOWN

__all__ = [
    "MAX_FREE_LIST",
    "MAX_KEYS",
    "MAX_ROW_KEYS",
    "MAX_STRING",
    "RejectedPayloadError",
    "check_aggregate_only",
    "check_free_form",
    "validate_result",
]

MAX_FREE_LIST = 50
"""Longest list allowed in a free-form part (the auditors' longest real one has 23 items)."""

MAX_KEYS = 50
"""Most keys a mapping in a free-form part may have (table rows, checked on their own, excepted)."""

MAX_STRING = 2000
"""Longest string allowed in a free-form part (the auditors' longest real note has about 1,400)."""

MAX_ROW_KEYS = 200
"""Most columns a table row may have (a decisions table with every error rate has about 110)."""

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_EXAMPLE_KEY = re.compile(
    r"^(examples?|quotes?|samples?|excerpts?|snippets?|verbatims?|transcripts?|records|raw_?rows?|"
    r"(partial_)?unexpected_(values|list|index_list|rows))$",
    re.IGNORECASE,
)
_NUMBERED = re.compile(r"[_-]?\d+$")
"""A column name ending in a number (``applicant_0``, ``row17``): one of a series, not a metric."""

_ROW_TEXT = frozenset({"note", "excluded_reason"})
"""The only columns of a table row that may hold text."""

_PERSONAL_KEY = re.compile(
    r"^(e-?mails?(_address)?|phones?(_number)?|(home_|street_)?address|ssn|social_security(_number)?|"
    r"dob|date_of_birth|birth_?date|first_?name|last_?name|full_?name|surname|"
    r"(applicant|candidate|employee|person|customer|user|patient)_?(id|name))$",
    re.IGNORECASE,
)
_ROW_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,80}$")

_COUNT_COLUMN = re.compile(r"^(n|selected|positives|tp|above|reached_[A-Za-z0-9_ -]{1,60})$")


class RejectedPayloadError(ValueError):
    """A submitted result breaks a registry rule; the message says which (HTTP 422)."""


def validate_result(payload: Any) -> AuditResult:
    """Validate the result schema; raise :class:`RejectedPayloadError` naming the first problem."""
    if not isinstance(payload, dict) or payload.get("schema") not in READABLE_SCHEMAS:
        raise RejectedPayloadError(
            f"the signed result is not an equityaudit result document (schema {', '.join(READABLE_SCHEMAS)})"
        )
    try:
        return AuditResult.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise RejectedPayloadError(
            f"the signed result does not match the result schema: {where}: {first['msg']} "
            f"({counted(exc.error_count(), 'problem')})"
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
            _check_row(row, f"tables[{t}].rows[{r}]")
        for key in ("tests", "notes", "methods", "reference"):
            check_free_form(result_table.get(key), f"tables[{t}].{key}", group=check_group)
    for f, finding in enumerate(result.get("findings") or []):
        check_group(finding.get("group"), f"findings[{f}].group")
        if finding.get("reference") is not None:
            check_group(finding.get("reference"), f"findings[{f}].reference")
        check_free_form(finding.get("details"), f"findings[{f}].details", group=check_group)
        check_free_form(finding.get("message"), f"findings[{f}].message")
    for c, check in enumerate(result.get("gate", {}).get("checks") or []):
        if check.get("unexpected_values"):
            raise RejectedPayloadError(
                f"gate.checks[{c}].unexpected_values holds values copied from data rows; sign with "
                "'equityaudit sign', which drops them"
            )
        check_free_form({k: v for k, v in check.items() if k != "unexpected_values"}, f"gate.checks[{c}]")
    for key in ("context", "notes", "audit", "tool"):
        check_free_form(result.get(key), key, group=check_group)
    data = dict(result.get("data") or {})
    for g, named in enumerate(data.pop("groups", None) or []):
        if not isinstance(named, dict):
            raise RejectedPayloadError(f"data.groups[{g}]: a named grouping must be a mapping")
        if named.get("labels"):
            raise RejectedPayloadError(
                f"data.groups[{g}].labels holds the raw labels of the member's data; sign with "
                "'equityaudit sign', which drops them"
            )
        check_free_form(named, f"data.groups[{g}]")
    check_free_form(data, "data", group=check_group)


def _check_row(row: Any, where: str) -> None:
    """A table row: its group, then named numbers, flags and short notes (``note``, ``excluded_reason``)."""
    if not isinstance(row, dict):
        raise RejectedPayloadError(f"{where}: a table row must be a mapping")
    if len(row) > MAX_ROW_KEYS:
        raise RejectedPayloadError(
            f"{where}: a row of {len(row)} columns (at most {MAX_ROW_KEYS}); rows that wide are not a rate table's"
        )
    for key, value in row.items():
        if key == "group":
            continue
        if not _ROW_KEY.match(str(key)):
            raise RejectedPayloadError(
                f"{where}: a column named {str(key)[:40]!r}; a table's columns are metric and count names "
                "(letters, digits and '_')"
            )
        name = str(key)
        if _PERSONAL_KEY.match(name) or _EXAMPLE_KEY.match(name):
            raise RejectedPayloadError(
                f"{where}.{name}: a column named {name!r}, a person's attribute or copied text; a table's "
                "columns are metric and count names"
            )
        if _NUMBERED.search(name):
            raise RejectedPayloadError(
                f"{where}.{name}: a column named {name!r}, numbered like one of a series of records; a "
                "table's columns are metric and count names"
            )
        if isinstance(value, (dict, list)):
            raise RejectedPayloadError(
                f"{where}.{key}: a {type(value).__name__} inside a table row; a row holds numbers, flags "
                "and short notes, never nested records"
            )
        if isinstance(value, str) and name not in _ROW_TEXT:
            raise RejectedPayloadError(
                f"{where}.{name}: text in a column named {name!r}; a row holds numbers and flags, with text "
                f"only in {', '.join(sorted(_ROW_TEXT))}"
            )
        check_free_form(value, f"{where}.{key}")


def _masked(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}…@{domain}"


def check_free_form(value: Any, where: str, *, group: Callable[[Any, str], None] | None = None) -> None:
    """Refuse the shapes of row-level records in a free-form part (rule 5 of the module docstring).

    ``group`` checks a mapping's ``group`` against the standard's categories: a list of mappings
    is accepted only when each is about one group (without it, no list of mappings is).
    """
    if isinstance(value, str):
        found = _EMAIL.search(value)
        if found:
            raise RejectedPayloadError(
                f"{where}: a string holding an e-mail address ({_masked(found.group())}); e-mail addresses "
                "are personal data copied from rows, and results carry aggregates only: remove it"
            )
        if len(value) > MAX_STRING:
            raise RejectedPayloadError(
                f"{where}: a string of {len(value):,} characters (at most {MAX_STRING:,}); free text that "
                "long can carry row-level data: shorten it"
            )
        personal = find_personal_data(value)
        if personal:
            raise RejectedPayloadError(
                f"{where}: a string holding {personal}; personal data is copied from rows, and results carry "
                "aggregates only: remove it"
            )
    elif isinstance(value, list):
        if len(value) > MAX_FREE_LIST:
            raise RejectedPayloadError(
                f"{where}: a list of {len(value)} items (at most {MAX_FREE_LIST}); lists that long look like "
                "row-level records"
            )
        if any(isinstance(item, dict) for item in value):
            _check_group_list(value, where, group)
        for i, item in enumerate(value):
            check_free_form(item, f"{where}[{i}]", group=group)
    elif isinstance(value, dict):
        if len(value) > MAX_KEYS:
            raise RejectedPayloadError(
                f"{where}: a mapping of {len(value)} keys (at most {MAX_KEYS}); mappings that large look like "
                "row-level records"
            )
        for key, item in value.items():
            name = str(key)
            if _EXAMPLE_KEY.match(name):
                shape = f"a list of {len(item)} items" if isinstance(item, list) else type(item).__name__
                raise RejectedPayloadError(
                    f"{where}.{name}: a field named {name!r} ({shape}); example and quote fields carry text "
                    "copied from rows, which never leaves a member: drop it before signing"
                )
            if _PERSONAL_KEY.match(name):
                raise RejectedPayloadError(
                    f"{where}.{name}: a field named {name!r}, a person's attribute; results carry aggregates "
                    "only, never a person's data"
                )
            check_free_form(name, f"{where} (a key)")
            check_free_form(item, f"{where}.{name}", group=group)


def _check_group_list(items: list[Any], where: str, group: Callable[[Any, str], None] | None) -> None:
    """A list of mappings must be one entry per group of the standard; anything else is records."""
    why = (
        "a list of mappings is accepted only as one entry per group of the standard (each with a "
        "'group' of its categories); other lists of mappings look like row-level records"
    )
    seen: set[str] = set()
    for i, item in enumerate(items):
        if group is None or not isinstance(item, dict) or not isinstance(item.get("group"), dict):
            found = "a mapping without a 'group'" if isinstance(item, dict) else f"a {type(item).__name__}"
            raise RejectedPayloadError(f"{where}[{i}]: {found}, in a list of {len(items)} items; {why}")
        group(item["group"], f"{where}[{i}].group")
        key = json.dumps(
            [item.get("table"), item.get("metric"), item.get("stage"), item["group"]], sort_keys=True
        )
        if key in seen:
            raise RejectedPayloadError(
                f"{where}[{i}]: group {item['group']} appears twice in one table; {why}"
            )
        seen.add(key)

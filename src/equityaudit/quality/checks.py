"""Turning what the gate found into :class:`~equityaudit.results.Check` records a reader can act on.

Each check carries GX's own numbers (``unexpected_count``, and ``unexpected_percent``: of the
non-missing values, except for missing-value checks where it is of all rows) and, when it
failed, the most frequent offending values with their counts and a sentence saying what is
wrong and how to fix it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from equityaudit.errors import did_you_mean
from equityaudit.quality.compiled import unexpected_values
from equityaudit.quality.facts import EXAMPLES, Facts
from equityaudit.quality.suite import Expectation, GroupSizeRule
from equityaudit.results import Check
from equityaudit.values import UNKNOWN, sensitive_label

__all__ = [
    "expectation_check",
    "group_size_check",
    "missing_column_check",
    "python_scalar",
    "row_count_check",
]


def expectation_check(expectation: Expectation, outcome: Mapping[str, Any], facts: Facts) -> Check:
    """The check of one expectation from its result (GX's JSON form, from GX or :mod:`~equityaudit.quality.compiled`).

    The offending values a failed check lists come from ``facts``, wherever the result came from.
    A ``missing_or_unknown`` expectation is counted by equityaudit itself (its ``outcome`` is
    not read, and the gate does not ask GX for it): see :func:`_missing_or_unknown_check`.
    """
    if expectation.rule == "missing_or_unknown" and expectation.column in facts.columns:
        return _missing_or_unknown_check(expectation, facts)
    result: dict[str, Any] = dict(outcome.get("result") or {})
    passed = bool(outcome.get("success"))
    failure = _exception(outcome.get("exception_info"))
    column = expectation.column
    count = _int(result.get("unexpected_count"))
    percent = _float(result.get("unexpected_percent"))
    examples = None if passed or failure else _offending(expectation, facts)
    if failure is not None and expectation.type == "expect_column_values_to_be_between" and column:
        # GX cannot compare text with numbers: say which values are not numbers
        not_numbers = _not_numbers(facts, column)
        if not_numbers is not None and not_numbers.counts:
            count = sum(n for _, n in not_numbers.counts)
            percent = _share(count, facts.rows - facts.missing(column))
            shown = ", ".join(f"{_show(v)} ({n})" for v, n in not_numbers.counts[:EXAMPLES])
            return Check(
                name=expectation.type,
                column=column,
                passed=False,
                observed={_key(v): n for v, n in not_numbers.counts[:EXAMPLES]},
                expected=_json_safe(dict(expectation.kwargs)),
                unexpected_count=count,
                unexpected_percent=percent,
                unexpected_values=_json_safe([v for v, _ in not_numbers.counts[:EXAMPLES]]),
                message=f"column {column!r} is not numeric: {count} value(s) are not numbers: {shown}; "
                f"a range needs numbers. ({expectation.source}) To fix: correct the values that are not "
                "numbers (one such value makes the whole column text).",
            )
    if examples is not None and count is None and expectation.rule == "numeric":
        # GX judges a non-object column by its dtype alone; count the values that are not numbers
        count = sum(n for _, n in examples.counts)
        checked = facts.rows - facts.missing(expectation.column) if expectation.column else 0
        percent = 100.0 * count / checked if checked else None
        examples = examples.first(EXAMPLES)
    elif examples is not None:
        examples = examples.first(EXAMPLES)
    if expectation.kwargs.get("row_condition") and count is not None:
        # GX counts only the rows its row_condition selects (often just the bad ones): of all rows
        percent = _share(count, facts.rows)
    if "observed_value" in result:
        observed: Any = _json_safe(result["observed_value"])
    elif expectation.rule == "missing" and count is not None and result.get("element_count"):
        observed = count / int(result["element_count"])
    elif examples is not None:
        observed = {_key(value): n for value, n in examples.counts}
    else:
        observed = None
    if examples is not None:
        values = [value for value, _ in examples.counts]
    else:
        values = _distinct(result.get("partial_unexpected_list") or [])[:EXAMPLES]
    if expectation.rule == "missing":
        values = []  # the offending value is always "missing"
    return Check(
        name=expectation.type,
        column=column,
        passed=passed,
        observed=observed,
        expected=_json_safe(dict(expectation.kwargs)),
        unexpected_count=count,
        unexpected_percent=percent,
        unexpected_values=_json_safe(values),
        message=_message(expectation, passed, result, count, examples, failure, rows=facts.rows),
    )


def _missing_or_unknown_check(expectation: Expectation, facts: Facts) -> Check:
    """Missing values and values saying unknown, counted together against one share of all rows.

    GX leaves nulls out of a regular-expression expectation (its ``mostly`` is a share of the
    non-null values), so equityaudit counts this check itself: the nulls, plus the non-null values
    the expectation's regular expression matches (as GX matches them: as text), over every row.
    The regular expression is matched against the column's distinct values (a few, shared with the
    group-size check), each weighted by its rows.
    """
    column = str(expectation.column)
    total = facts.rows
    regex = str(expectation.kwargs["regex"])
    values = facts.values(column)
    missing = facts.missing(column)
    present = values.present()
    said = present.where(present.values.astype(str).str.contains(regex, regex=True).to_numpy(dtype=bool))
    counts = [(_plain(value), n) for value, n in said.counts()]
    count = missing + sum(n for _, n in counts)
    mostly = float(expectation.kwargs.get("mostly", 1.0))
    passed = total == 0 or (total - count) / total >= mostly
    share = 1.0 - mostly
    allowed = "none allowed" if share <= 0 else f"at most {_percent(100 * share)} allowed"
    parts = ([f"missing ({missing})"] if missing else []) + [f"{_show(v)} ({n})" for v, n in counts]
    shown = ", ".join(parts[: EXAMPLES + 1])
    if count:
        text = (
            f"{count} of {total} rows ({_percent(_share(count, total))}) of {column!r} are missing or "
            f"say unknown: {shown}; {allowed}."
        )
    else:
        text = f"no value of {column!r} is missing or says unknown ({total} rows)."
    if not passed:
        text += f" ({expectation.source}) To fix: {expectation.fix}."
    return Check(
        name=expectation.type,
        column=column,
        passed=passed,
        observed=count / total if total else None,
        expected=_json_safe(dict(expectation.kwargs)),
        unexpected_count=count,
        unexpected_percent=_share(count, total),
        unexpected_values=_json_safe(([None] if missing else []) + [v for v, _ in counts][:EXAMPLES]),
        message=text,
    )


def missing_column_check(expectation: Expectation, missing: Sequence[str], present: Sequence[str]) -> Check:
    """A failed check: the expectation reads a column the data does not have."""
    names = ", ".join(repr(c) for c in missing)
    hint = did_you_mean(missing[0], present, label="Columns in the data")
    return Check(
        name=expectation.type,
        column=expectation.column,
        passed=False,
        observed=None,
        expected=_json_safe(dict(expectation.kwargs)),
        message=f"column {names} ({expectation.source}) is not in the data. {hint} To fix: correct "
        f"{expectation.source} in the spec, or add the column to the data.",
    )


def row_count_check(rows: int, minimum: int) -> Check:
    """The check that the data has rows at all (an empty frame is never validated)."""
    return Check(
        name="expect_table_row_count_to_be_between",
        passed=rows >= minimum,
        observed=rows,
        expected={"min_value": minimum},
        message=f"the data has {rows} rows; at least {minimum} needed.",
    )


def group_size_check(rule: GroupSizeRule, facts: Facts) -> tuple[Check, list[str]]:
    """Whether enough groups of a sensitive column are large enough; notes on the small ones.

    Missing and unknown values (see :func:`equityaudit.values.sensitive_label`) form no group.
    """
    groups: dict[str, int] = {}
    tally = facts.tally(rule.column)
    for value, n in tally.items():
        label = sensitive_label(value, unknown=rule.unknown_values)
        if label != UNKNOWN and int(n) > 0:
            groups[label] = groups.get(label, 0) + int(n)
    ordered = dict(sorted(groups.items(), key=lambda kv: (-kv[1], kv[0])))
    large = [g for g, n in ordered.items() if n >= rule.min_group_size]
    small = {g: n for g, n in ordered.items() if n < rule.min_group_size}
    passed = len(large) >= rule.min_groups
    listed = ", ".join(f"{g!r} ({n})" for g, n in small.items())
    if passed:
        message = f"{len(large)} groups of {rule.column!r} have at least {rule.min_group_size} rows"
        message += (
            f"; smaller groups are audited as insufficient_data, not blocked: {listed}." if small else "."
        )
    elif rule.severity != "critical":
        found = ", ".join(f"{g!r} ({n})" for g, n in ordered.items()) or "none"
        message = (
            f"only {len(large)} group(s) of {rule.column!r} have at least {rule.min_group_size} rows "
            f"(min_group_size), so no two groups can be compared; groups found: {found}. A warning, not "
            f"a block: under the standard {rule.standard} the audit runs, reports these comparisons as "
            "insufficient_data, and keeps its counts, which a registry can pool with other members'."
        )
    else:
        found = ", ".join(f"{g!r} ({n})" for g, n in ordered.items()) or "none"
        message = (
            f"only {len(large)} group(s) of {rule.column!r} have at least {rule.min_group_size} rows "
            f"(min_group_size), so no two groups can be compared; groups found: {found}. To fix: audit "
            "more data, merge categories too small to compare, or lower thresholds.min_group_size "
            f"(now {rule.min_group_size}) if smaller groups are acceptable."
        )
    notes = []
    if not passed and rule.severity != "critical":
        notes.append(
            f"{rule.column}: fewer than two groups have {rule.min_group_size} rows (thresholds.min_group_size "
            f"of the standard {rule.standard}); the quality gate warns instead of blocking, and the "
            "comparisons are reported as insufficient_data."
        )
    if small and passed:
        notes.append(
            f"{rule.column}: {listed} have fewer than {rule.min_group_size} rows (thresholds.min_group_size); "
            "their comparisons are reported as insufficient_data."
        )
    check = Check(
        name="equityaudit_group_sizes",
        column=rule.column,
        passed=passed,
        observed=ordered,
        expected={"min_group_size": rule.min_group_size, "min_groups": rule.min_groups},
        unexpected_values=list(small),
        message=message,
    )
    return check, notes


class _Offending:
    """The distinct offending values of a failed check, most frequent first, with their counts."""

    def __init__(self, counts: list[tuple[Any, int]]) -> None:
        self.counts = counts

    def first(self, n: int) -> _Offending:
        return _Offending(self.counts[:n])


def _offending(expectation: Expectation, facts: Facts) -> _Offending | None:
    """Count the offending values of the rules whose semantics are plain (None for others).

    GX's SUMMARY result lists only the first unexpected values it meets; counting the distinct
    ones (only when a check failed) shows a reader every kind of problem, most frequent first.
    """
    import pandas as pd

    column = expectation.column
    kwargs = expectation.kwargs
    if column is None or column not in facts.columns or kwargs.get("row_condition"):
        return None
    if expectation.rule == "numeric":
        return _not_numbers(facts, column)
    if expectation.type == "expect_column_values_to_be_between":
        dtype = facts.dtype(column)
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            present = facts.values(column).present()
            numbers = pd.to_numeric(present.values, errors="coerce")
            low, high = kwargs.get("min_value"), kwargs.get("max_value")
            outside = numbers.isna()
            if low is not None:
                outside |= (numbers <= low) if kwargs.get("strict_min") else (numbers < low)
            if high is not None:
                outside |= (numbers >= high) if kwargs.get("strict_max") else (numbers > high)
            return _Offending(_plain_counts(present.where(outside.to_numpy(dtype=bool)).counts()))
    found = unexpected_values(expectation, facts)
    return None if found is None else _Offending(_plain_counts(found))


def _plain_counts(pairs: list[tuple[Any, int]]) -> list[tuple[Any, int]]:
    return [(_plain(value), int(n)) for value, n in pairs if int(n) > 0]


def _not_numbers(facts: Facts, column: str) -> _Offending | None:
    """The values of a column that are not numbers, most frequent first."""
    import pandas as pd

    if column not in facts.columns:
        return None
    present = facts.values(column).present()
    bad = pd.to_numeric(present.values, errors="coerce").isna().to_numpy(dtype=bool)
    return _Offending(_plain_counts(present.where(bad).counts()))


def _message(
    expectation: Expectation,
    passed: bool,
    result: Mapping[str, Any],
    count: int | None,
    examples: _Offending | None,
    failure: str | None,
    *,
    rows: int,
) -> str:
    column = expectation.column
    kwargs = expectation.kwargs
    total = _int(result.get("element_count"))
    missing = _int(result.get("missing_count")) or 0
    checked = None if total is None else total - missing
    if kwargs.get("row_condition"):
        checked = rows  # GX's counts are of the rows the condition selects; report them of all rows
    shown = ", ".join(f"{_show(value)} ({n})" for value, n in examples.counts) if examples else ""
    listed = ", ".join(_show(v) for v in _distinct(result.get("partial_unexpected_list") or [])[:EXAMPLES])
    rule = expectation.rule
    if failure is not None:
        text = f"{expectation.type} could not be evaluated on {column or 'the table'}: {failure}"
    elif rule == "exists":
        text = f"column {column!r} is present." if passed else f"column {column!r} is not in the data."
    elif rule == "missing":
        share = 1.0 - float(kwargs.get("mostly", 1.0))
        allowed = "none allowed" if share <= 0 else f"at most {_percent(100 * share)} allowed"
        counted = f"{count} of {total} rows ({_percent(_share(count, total))})"
        text = f"{counted} have no value in {column!r}; {allowed}."
        if passed and not count:
            text = f"no value is missing in {column!r} ({total} rows)."
    elif rule == "binary":
        expected = expectation.meta.get("expected", "binary values")
        text = (
            f"every value of {column!r} is binary ({expected})."
            if passed
            else f"{count} of {checked} values of {column!r} are not binary: {shown or listed}; expected {expected}."
        )
    elif rule == "numeric":
        observed = result.get("observed_value")
        if passed:
            text = f"column {column!r} is numeric."
        elif count:
            text = (
                f"column {column!r} is not numeric (type {observed or 'object'}): {count} value(s) are "
                f"not numbers: {shown or listed}."
            )
        else:
            text = (
                f"column {column!r} has type {observed}, not a number type, though its values look "
                "numeric: convert the column to numbers before the audit."
            )
    elif rule == "allowed":
        text = (
            f"every value of {column!r} is allowed."
            if passed
            else f"{count} of {checked} values of {column!r} ({_percent(_share(count, checked))}) are not "
            f"among the allowed values: {shown or listed}."
        )
    elif rule == "groups":
        text = (
            f"every value of {column!r} has a named group."
            if passed
            else f"{count} of {checked} values of {column!r} ({_percent(_share(count, checked))}) have no named "
            f"group: {shown or listed}."
        )
    elif rule == "range":
        bounds = f"[{_bound(kwargs.get('min_value'))}, {_bound(kwargs.get('max_value'))}]"
        text = (
            f"every value of {column!r} lies within {bounds}."
            if passed
            else f"{count} of {checked} values of {column!r} lie outside {bounds}: {shown or listed}."
        )
    elif rule == "unique":
        text = (
            f"every value of {column!r} is unique."
            if passed
            else f"{count} rows share their {column!r} with another row: {shown or listed}."
        )
    elif rule == "rows":
        text = f"the data has {result.get('observed_value')} rows; at least {kwargs.get('min_value')} needed."
    else:
        text = _generic(expectation, passed, result, count, checked, shown or listed)
    if not passed:
        text += f" ({expectation.source})"
        if expectation.fix:
            text += f" To fix: {expectation.fix}."
    return text


def _generic(
    expectation: Expectation,
    passed: bool,
    result: Mapping[str, Any],
    count: int | None,
    checked: int | None,
    shown: str,
) -> str:
    listed = expectation.kwargs.get("column_list")
    where = (
        f" on {expectation.column!r}"
        if expectation.column
        else f" on {', '.join(repr(str(c)) for c in listed)}"
        if isinstance(listed, list) and listed
        else ""
    )
    text = f"{expectation.type}{where} {'passed' if passed else 'failed'}"
    details = []
    condition = expectation.kwargs.get("row_condition")
    if count is not None and (count or not passed) and condition:
        selected = _int(result.get("element_count"))
        details.append(
            f"{count} of {checked} rows unexpected ({_percent(_share(count, checked))}; GX checked only the "
            f"{selected if selected is not None else ''} rows its row_condition {condition!r} selects)"
        )
    elif count is not None and (count or not passed):
        details.append(f"{count} of {checked} values unexpected ({_percent(_share(count, checked))})")
    if shown and not passed:
        details.append(f"e.g. {shown}")
    if "observed_value" in result:
        details.append(f"observed {_json_safe(result['observed_value'])!r}")
    return text + (": " + "; ".join(details) if details else "") + "."


def _exception(info: Any) -> str | None:
    """GX's exception message, if the expectation raised (GX nests it under a metric id)."""
    if not isinstance(info, Mapping):
        return None
    if info.get("raised_exception"):
        return _last_line(info.get("exception_message"))
    for value in info.values():
        if isinstance(value, Mapping) and (value.get("raised_exception") or value.get("exception_message")):
            return _last_line(value.get("exception_message"))
    return None


def _last_line(message: Any) -> str:
    lines = [line.strip() for line in str(message or "an error").strip().splitlines() if line.strip()]
    return lines[-1] if lines else "an error"


def _percent(value: float | None) -> str:
    if value is None:
        return "—"
    if 0 < value < 0.1:
        return f"{value:.2g}%"
    return f"{value:.1f}%"


def _share(count: int | None, total: int | None) -> float | None:
    if count is None or not total:
        return None
    return 100.0 * count / total


def _bound(value: Any) -> str:
    return "-inf" if value is None else f"{value:g}" if isinstance(value, int | float) else str(value)


def _show(value: Any) -> str:
    return "missing" if value is None else repr(value)


def _key(value: Any) -> str:
    return "null" if value is None else str(value)


def _distinct(values: Sequence[Any]) -> list[Any]:
    seen: list[Any] = []
    for value in values:
        plain = _plain(value)
        if plain not in seen:
            seen.append(plain)
    return seen


def python_scalar(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (labels compare as Python values do); others as they are.

    Examples
    --------
    >>> import numpy as np
    >>> type(python_scalar(np.int64(3))), python_scalar("a")
    (<class 'int'>, 'a')
    """
    item = getattr(value, "item", None)
    return item() if callable(item) and not isinstance(value, str | bytes) else value


def _plain(value: Any) -> Any:
    """A JSON-friendly Python scalar (numpy scalars unwrapped, NaN as None)."""
    try:
        value = python_scalar(value)
    except (TypeError, ValueError):
        value = str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is not None and not isinstance(value, str | int | float | bool):
        return str(value)
    return value


def _json_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_safe(v) for v in value]
    return _plain(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _float(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None

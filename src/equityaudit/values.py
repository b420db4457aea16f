"""Reading raw values: a decision as 1 or 0 (yes/no, declared labels), a sensitive value or Unknown.

Values are normalised on the *distinct* values a grouped aggregation returns, never row by row: a
decision column may hold 1/0, true/false, yes/no, Y/N or a declared label, and a sensitive value
that is missing or says "unknown" becomes the category ``Unknown``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from equityaudit.errors import DataError, counted, did_you_mean
from equityaudit.spec import LabelledColumn

__all__ = [
    "FALSE_TOKENS",
    "TRUE_TOKENS",
    "UNKNOWN",
    "UNKNOWN_TOKENS",
    "binary_mapping",
    "check_labels",
    "labels_fix",
    "null_as_none",
    "sensitive_label",
    "value_token",
]

UNKNOWN = "Unknown"
"""The category that missing or unknown sensitive values are reported under."""

UNKNOWN_TOKENS = frozenset(
    {
        "",
        "?",
        "-",
        "#n/a",
        "unknown",
        "na",
        "n/a",
        "nan",
        "none",
        "null",
        "not reported",
        "not specified",
        "prefer not to say",
        "prefer not to answer",
        "decline to self-identify",
        "declined to self-identify",
        "declined to state",
    }
)
"""Sensitive values (compared case-insensitively, trimmed) that mean the attribute is unknown."""

TRUE_TOKENS = frozenset({"1", "1.0", "true", "t", "yes", "y"})
FALSE_TOKENS = frozenset({"0", "0.0", "false", "f", "no", "n"})


def null_as_none(value: Any) -> Any:
    """The value, with the nulls of every backend (None, NaN, pd.NA, NaT) as None, so they compare equal.

    Examples
    --------
    >>> null_as_none(float("nan")), null_as_none("a")
    (None, 'a')
    """
    if value is None:
        return None
    try:
        if value != value:  # NaN
            return None
    except TypeError:  # pd.NA refuses to be compared
        return None
    return value


def _is_missing(value: Any) -> bool:
    """Whether a distinct value a grouped aggregation returned is a null: None or a float NaN."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def sensitive_label(value: Any, *, unknown: Iterable[str] = ()) -> str:
    """The category a raw sensitive value is reported under.

    Examples
    --------
    >>> sensitive_label(" Female "), sensitive_label(None), sensitive_label("Prefer not to say")
    ('Female', 'Unknown', 'Unknown')
    >>> sensitive_label(1.0), sensitive_label(float("nan"))
    ('1', 'Unknown')
    """
    if _is_missing(value):
        return UNKNOWN
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    lowered = text.lower()
    if lowered in UNKNOWN_TOKENS or lowered in {u.strip().lower() for u in unknown}:
        return UNKNOWN
    return text


def binary_mapping(
    counts: Mapping[Any, int],
    role: str | LabelledColumn,
    *,
    key: str,
    origin: str,
) -> dict[Any, int]:
    """Map each distinct raw value of a binary column to 1 or 0, or explain what is wrong.

    Parameters
    ----------
    counts
        Each distinct raw value of the column and how many rows hold it.
    role
        The column's spec entry: a plain column name (values 1/0, true/false, yes/no, Y/N) or a
        :class:`~equityaudit.spec.LabelledColumn` declaring its positive labels.
    key
        The spec key (``columns.decision``), for messages.
    origin
        The data source, for messages.

    Examples
    --------
    >>> binary_mapping({"Yes": 10, "no": 5}, "hired", key="columns.decision", origin="a.csv")
    {'Yes': 1, 'no': 0}
    >>> binary_mapping({"Selected": 3, "Rejected": 4},
    ...     LabelledColumn(column="status", positive="Selected"), key="columns.decision", origin="a.csv")
    {'Selected': 1, 'Rejected': 0}

    A labelled column must hold its positive label, and (without ``negative``) one other value
    at most: see :func:`check_labels`.
    """
    column = role.column if isinstance(role, LabelledColumn) else role
    mapping: dict[Any, int] = {}
    offending: dict[Any, int] = {}
    missing = 0
    for value, count in counts.items():
        if _is_missing(value):
            missing += count
    if missing:
        raise DataError(
            f"{origin}: column {column!r} ({key}) has {missing} missing value(s); every row needs a "
            "value. Fill them in, or drop those rows before the audit."
        )
    if isinstance(role, LabelledColumn):
        check_labels(counts, role, key=key, origin=origin)
    for value, count in counts.items():
        flag = _binary_value(value, role)
        if flag is None:
            offending[value] = offending.get(value, 0) + count
        else:
            mapping[value] = flag
    if offending:
        shown = ", ".join(
            f"{v!r} ({counted(n, 'row')})" for v, n in sorted(offending.items(), key=lambda kv: -kv[1])[:10]
        )
        if isinstance(role, LabelledColumn):
            expected = f"the declared labels {_labels(role)}"
            fix = f"add them to {key}.positive or {key}.negative"
        else:
            expected = "1/0, true/false, yes/no or Y/N"
            fix = labels_fix(key, column)
        raise DataError(
            f"{origin}: column {column!r} ({key}) should be binary ({expected}), but holds "
            f"{len(offending)} other value(s): {shown}. To fix: {fix}."
        )
    return mapping


def labels_fix(key: str, column: str) -> str:
    """How to fix a binary column holding other values: declare the labels where the spec can
    (``columns.decision``, ``columns.outcome``), else recode the column.

    Examples
    --------
    >>> labels_fix("columns.decision", "status")
    'if the column holds labels, declare the favourable one: decision: {column: status, positive: <label>}'
    >>> labels_fix("options.campaigns.email_promo", "email_promo")
    "correct them, or recode 'email_promo' to 1/0 (or yes/no) before the audit"
    """
    if key.startswith("columns."):
        return (
            f"if the column holds labels, declare the favourable one: "
            f"{key.split('.')[-1]}: {{column: {column}, positive: <label>}}"
        )
    return f"correct them, or recode {column!r} to 1/0 (or yes/no) before the audit"


def check_labels(counts: Mapping[Any, int], role: LabelledColumn, *, key: str, origin: str) -> None:
    """Check that a labelled binary column holds its declared labels, or explain what is wrong.

    Missing values are left to the caller. Labels are compared as :func:`value_token` compares
    them (trimmed, any case). Two things make the column's numbers wrong, and are errors:

    - no value matches ``positive`` (a misspelt label would count every row as not selected);
    - ``negative`` is not declared and the column holds more than one value besides the positive
      label(s): which of them mean "not selected" is then a guess. With one other value, that
      value is the negative.

    With ``negative`` declared, values outside both lists are the binary check's business (a
    failed quality-gate check; :func:`binary_mapping` refuses them too).

    Parameters
    ----------
    counts
        Each distinct raw value of the column and how many rows hold it.
    role
        The column's spec entry.
    key
        The spec key (``columns.decision``), for messages.
    origin
        The data source, for messages.

    Raises
    ------
    DataError
        Naming the file, the column, the declared labels, the values found with their counts,
        and the fix.

    Examples
    --------
    >>> role = LabelledColumn(column="status", positive="Selectd")
    >>> try:
    ...     check_labels({"Selected": 60, "Rejected": 140}, role, key="columns.decision", origin="a.csv")
    ... except DataError as exc:
    ...     print(exc)  # doctest: +NORMALIZE_WHITESPACE
    a.csv: column 'status' (columns.decision) holds no value matching its positive label 'Selectd';
    values found: 'Rejected' (140 rows), 'Selected' (60 rows). Did you mean 'Selected'? To fix: set
    columns.decision.positive to the value that means selected.
    """
    found = {value: count for value, count in counts.items() if count and not _is_missing(value)}
    if not found:
        return
    column = role.column
    field = key.split(".")[-1]
    positives = [value for value in found if _matches(value, role.positive)]
    if not positives:
        declared = ", ".join(repr(label) for label in role.positive)
        label = "its positive label" if len(role.positive) == 1 else "any of its positive labels"
        hint = did_you_mean(str(role.positive[0]), [str(v) for v in found], label="Values in the column", n=1)
        raise DataError(
            f"{origin}: column {column!r} ({key}) holds no value matching {label} {declared}; values "
            f"found: {_counted(found)}. {hint} To fix: set {key}.positive to the value that means "
            f"{'selected' if field == 'decision' else 'positive'}."
        )
    if role.negative is not None:
        return
    others: dict[str, dict[Any, int]] = {}
    for value, count in found.items():
        if value not in positives:
            others.setdefault(value_token(value), {})[value] = count
    if len(others) > 1:
        rest = {value: count for group in others.values() for value, count in group.items()}
        meaning = "selected" if field == "decision" else "positive"
        declared = ", ".join(repr(p) for p in role.positive)
        positive = role.positive[0] if len(role.positive) == 1 else list(role.positive)
        raise DataError(
            f"{origin}: column {column!r} ({key}) declares the positive label {declared} and no "
            f"negative, so besides it the column may hold one value (which then means not {meaning}); "
            f"it holds {len(others)}: {_counted(rest)}. To fix: declare which of them mean not "
            f"{meaning}, e.g. {field}: {{column: {column}, positive: {positive}, negative: [<label>]}} "
            "(every other value then fails the quality gate), or correct the data."
        )


def _counted(counts: Mapping[Any, int], limit: int = 10) -> str:
    """``'a' (3 rows), 'b' (1 row)``: the most frequent first."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    shown = ", ".join(f"{value!r} ({counted(count, 'row')})" for value, count in ordered[:limit])
    more = f" and {len(ordered) - limit} more" if len(ordered) > limit else ""
    return shown + more


def _labels(role: LabelledColumn) -> str:
    labels = [f"positive {role.positive}"]
    if role.negative is not None:
        labels.append(f"negative {role.negative}")
    return " and ".join(labels)


def _binary_value(value: Any, role: str | LabelledColumn) -> int | None:
    if isinstance(role, LabelledColumn):
        if _matches(value, role.positive):
            return 1
        if role.negative is None or _matches(value, role.negative):
            return 0
        return None
    text = value_token(value)
    if text in TRUE_TOKENS:
        return 1
    if text in FALSE_TOKENS:
        return 0
    return None


def _matches(value: Any, labels: Sequence[str | int | bool]) -> bool:
    token = value_token(value)
    return any(token == value_token(label) for label in labels)


def value_token(value: Any) -> str:
    """How binary values and labels are compared: trimmed, lower case, 1.0 as 1, True as "true".

    Examples
    --------
    >>> value_token(" Yes "), value_token(1.0), value_token(True)
    ('yes', '1', 'true')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().lower()

"""Exceptions and warnings raised by equityaudit, and the CLI's exit codes.

Every error a user can cause derives from :class:`EquityAuditError` and also from the
built-in exception it stands for, so ``except ValueError`` keeps working::

    EquityAuditError
     ├── SpecError(ValueError)              a spec file or spec argument is invalid
     ├── DataError(ValueError)              the data cannot be audited as described
     │    └── ColumnNotFoundError(KeyError) a named column is not in the data
     ├── PluginError(LookupError)           an auditor is unknown or misbehaves
     ├── MissingExtraError(ImportError)     an optional dependency (an extra) is not installed
     ├── OutputError(OSError)               a report or result cannot be written where asked
     └── ResultError(ValueError)            a stored result cannot be read

    UndefinedMetricWarning(UserWarning)     a metric has no value for a group (e.g. 0/0)

Messages say what was expected, what was found and how to fix it, and name the file,
the key or column, and the value.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "ColumnNotFoundError",
    "DataError",
    "EquityAuditError",
    "ExitCode",
    "MissingExtraError",
    "OutputError",
    "PluginError",
    "ResultError",
    "SpecError",
    "UndefinedMetricWarning",
    "counted",
    "did_you_mean",
    "listed",
    "short_repr",
]


class ExitCode(enum.IntEnum):
    """Exit codes of ``equityaudit run``, ``check`` and ``compare`` (a stable contract)."""

    OK = 0
    """Every audit passed (warnings allowed unless ``--strict``)."""
    FAILED = 1
    """At least one audit failed its thresholds (or ``compare`` found a regression)."""
    USAGE_ERROR = 2
    """A usage, spec or data error: the message names what is wrong and how to fix it."""
    BLOCKED = 3
    """The quality gate blocked an audit."""
    INTERNAL_ERROR = 4
    """A bug in equityaudit."""


class EquityAuditError(Exception):
    """Root of every error equityaudit raises on purpose."""

    exit_code: ExitCode = ExitCode.USAGE_ERROR


class SpecError(EquityAuditError, ValueError):
    """An audit spec (a YAML file or the arguments of :func:`equityaudit.audit`) is invalid."""


class DataError(EquityAuditError, ValueError):
    """The data cannot be audited as the spec describes it."""


class ColumnNotFoundError(DataError, KeyError):
    """A column the spec names is not in the data."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class PluginError(EquityAuditError, LookupError):
    """An auditor plugin is unknown, or broke its contract."""


class MissingExtraError(EquityAuditError, ImportError):
    """An optional dependency of equityaudit (an extra, e.g. ``equityaudit[bisg]``) is not installed."""


class OutputError(EquityAuditError, OSError):
    """A result or report cannot be written (a read-only folder, a file where a folder should be)."""


class ResultError(EquityAuditError, ValueError):
    """A stored audit result is garbled or of an unsupported schema."""


class UndefinedMetricWarning(UserWarning):
    """A metric is undefined for a group (its denominator is zero); it is reported as null."""


def counted(n: int, noun: str) -> str:
    """A count and its noun, singular or plural, for messages: ``1 row``, ``3 rows``, ``1 problem``.

    Examples
    --------
    >>> counted(1, "row"), counted(140, "row"), counted(0, "problem")
    ('1 row', '140 rows', '0 problems')
    """
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def listed(items: Sequence[str]) -> str:
    """Items as a phrase, for messages and sentences: ``a``, ``a and b``, ``a, b and c``.

    Examples
    --------
    >>> listed(["0.1"]), listed(["0.1", "0.4"]), listed(["0.1 to 0.2", "0.4", "0.6"])
    ('0.1', '0.1 and 0.4', '0.1 to 0.2, 0.4 and 0.6')
    """
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def did_you_mean(value: str, choices: Iterable[str], *, label: str = "Valid choices", n: int = 3) -> str:
    """Return a hint naming the (at most ``n``) valid choices closest to ``value``, or all of them.

    Examples
    --------
    >>> did_you_mean("sexx", ["sex", "race", "age"])
    "Did you mean 'sex'?"
    >>> did_you_mean("zzz", ["a", "b"])
    "Valid choices: 'a', 'b'."

    A unique choice that starts with ``value``, or holds it as a whole ``_``-separated word
    (compared case-insensitively), is suggested too:

    >>> did_you_mean("race", ["sex", "race_ethnicity", "age"])
    "Did you mean 'race_ethnicity'?"
    >>> did_you_mean("ethnicity", ["sex", "Race_Ethnicity"])
    "Did you mean 'Race_Ethnicity'?"
    """
    options = sorted(set(choices))
    close = difflib.get_close_matches(value, options, n=n, cutoff=0.6)
    if not close:
        lowered = {o.lower(): o for o in options}
        if value.lower() in lowered:
            close = [lowered[value.lower()]]
    if not close:
        close = _containing(value, options)
    if close:
        return "Did you mean " + " or ".join(repr(c) for c in close) + "?"
    shown = ", ".join(repr(o) for o in options[:20])
    more = f" (and {len(options) - 20} more)" if len(options) > 20 else ""
    return f"{label}: {shown}{more}."


def short_repr(value: Any) -> str:
    """A value as a message quotes it: its ``repr``, cut to 80 characters.

    Examples
    --------
    >>> print(short_repr("sex"))
    'sex'
    >>> print(short_repr(list(range(40))))
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21...
    """
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _containing(value: str, options: list[str]) -> list[str]:
    """The one option that starts with ``value`` or holds it as a ``_``-separated word, if unique."""
    needle = value.strip().lower()
    if not needle:
        return []
    found = [
        option
        for option in options
        if option.lower().startswith(needle) or needle in option.lower().replace("-", "_").split("_")
    ]
    return found if len(found) == 1 else []

"""What reports format: numbers, a gate check's example values, findings counted by status.

Every renderer (terminal, Markdown, HTML, LL144 summary) formats through this module, so a figure
reads the same wherever it appears. The number formats live in :mod:`equityaudit.numbers`, where
auditors' messages get them too; they are re-exported here so that a renderer imports one module.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from equityaudit.numbers import (
    fmt_amount,
    fmt_amount_range,
    fmt_count,
    fmt_p,
    fmt_pct,
    fmt_pct_range,
    fmt_points,
    fmt_points_range,
    fmt_ratio,
    fmt_ratio_range,
    number_or_none,
)
from equityaudit.results import STATUSES

__all__ = [
    "fmt_amount",
    "fmt_amount_range",
    "fmt_count",
    "fmt_examples",
    "fmt_p",
    "fmt_pct",
    "fmt_pct_range",
    "fmt_plain",
    "fmt_points",
    "fmt_points_range",
    "fmt_ratio",
    "fmt_ratio_range",
    "fmt_status_counts",
    "number_or_none",
]


def fmt_plain(value: Any) -> str:
    """Any JSON value as short text: null → ``—``, lists joined, mappings as ``key: value``."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {fmt_plain(value[k])}" for k in sorted(value, key=str)) or "—"
    if isinstance(value, list | tuple):
        return ", ".join(fmt_plain(v) for v in value) or "—"
    return str(value)


def fmt_examples(values: Sequence[Any], *, limit: int = 5) -> str:
    """A gate check's example values: quoted as found, a missing value as ``(missing)``.

    Examples
    --------
    >>> fmt_examples([None, "Unknown", 3]), fmt_examples([])
    ("(missing), 'Unknown', 3", '—')
    """
    shown = ["(missing)" if value is None else repr(value) for value in list(values)[:limit]]
    return ", ".join(shown) or "—"


def fmt_status_counts(statuses: Iterable[str]) -> str:
    """Findings counted by status, worst first (the judging rule's order).

    Examples
    --------
    >>> fmt_status_counts(["pass", "fail", "inconclusive", "fail", "insufficient_data"])
    '2 fail, 1 inconclusive, 1 insufficient data, 1 pass'
    """
    tally = Counter(statuses)
    return ", ".join(f"{tally[s]} {s.replace('_', ' ')}" for s in STATUSES if tally[s])

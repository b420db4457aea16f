"""How equityaudit writes a number for people: percentages, ratios, intervals, p-values, counts.

An undefined number (null, NaN, text) reads "—". Auditors' messages and every renderer (terminal,
Markdown, HTML, LL144 summary) format through these, so a figure reads the same wherever it
appears: a p-value too small for a double reads ``< 1e-300`` in a finding's message and in its
report alike.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "fmt_amount",
    "fmt_amount_range",
    "fmt_count",
    "fmt_p",
    "fmt_pct",
    "fmt_pct_range",
    "fmt_points",
    "fmt_points_range",
    "fmt_ratio",
    "fmt_ratio_range",
    "number_or_none",
]


def number_or_none(value: Any) -> float | None:
    """The value as a finite float, or None (null, NaN, text, booleans: shown as —)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def fmt_pct(value: Any, digits: int = 1) -> str:
    """A proportion as a percentage: ``0.304`` → ``30.4%``; undefined → ``—``.

    Examples
    --------
    >>> fmt_pct(0.30434782608695654), fmt_pct(None), fmt_pct(float("nan"))
    ('30.4%', '—', '—')
    """
    number = number_or_none(value)
    return "—" if number is None else f"{100 * number:.{digits}f}%"


def fmt_pct_range(low: Any, high: Any) -> str:
    """An interval of proportions: ``28.6–32.3%``; ``—`` when either end is undefined."""
    lo, hi = number_or_none(low), number_or_none(high)
    return "—" if lo is None or hi is None else f"{100 * lo:.1f}–{100 * hi:.1f}%"


def fmt_ratio(value: Any) -> str:
    """A ratio with three decimals, as the findings' messages print it: ``0.795``."""
    number = number_or_none(value)
    return "—" if number is None else f"{number:.3f}"


def fmt_ratio_range(low: Any, high: Any) -> str:
    """An interval of a ratio with two decimals: ``0.74–0.86``."""
    lo, hi = number_or_none(low), number_or_none(high)
    return "—" if lo is None or hi is None else f"{lo:.2f}–{hi:.2f}"


def fmt_points(value: Any) -> str:
    """A difference of proportions in percentage points: ``-0.078`` → ``−7.8 pts``."""
    number = number_or_none(value)
    return "—" if number is None else f"{100 * number:+.1f} pts".replace("-", "−")


def fmt_points_range(low: Any, high: Any) -> str:
    """An interval of a difference in percentage points: ``−10.5 to −5.2 pts``."""
    lo, hi = number_or_none(low), number_or_none(high)
    if lo is None or hi is None:
        return "—"
    return f"{100 * lo:.1f} to {100 * hi:.1f} pts".replace("-", "−")


def fmt_p(value: Any, digits: int = 3) -> str:
    """A p-value with three significant digits, as the messages print it: ``4.24e-07``.

    A p-value too small for a double is stored as 0; it reads ``< 1e-300``, never ``0``.

    Examples
    --------
    >>> fmt_p(4.2418e-07), fmt_p(0.0), fmt_p(0.0213, digits=2), fmt_p(None)
    ('4.24e-07', '< 1e-300', '0.021', '—')
    """
    number = number_or_none(value)
    if number is None:
        return "—"
    return "< 1e-300" if number == 0 else f"{number:.{digits}g}"


def fmt_amount(value: Any) -> str:
    """An amount (an offer, a price) with four significant digits, as the offer findings print it.

    Examples
    --------
    >>> fmt_amount(8.914847161572052), fmt_amount(10.0), fmt_amount(2431.6449999), fmt_amount(None)
    ('8.915', '10', '2432', '—')
    """
    number = number_or_none(value)
    return "—" if number is None else f"{number:.4g}"


def fmt_amount_range(low: Any, high: Any) -> str:
    """An interval of amounts: ``8.397–9.395``; ``—`` when either end is undefined."""
    lo, hi = number_or_none(low), number_or_none(high)
    return "—" if lo is None or hi is None else f"{lo:.4g}–{hi:.4g}"


def fmt_count(value: Any) -> str:
    """A count with thousands separators: ``2323`` → ``2,323``; ``5.0`` → ``5``."""
    number = number_or_none(value)
    if number is None:
        return "—"
    return f"{number:,.0f}" if number == int(number) else f"{number:,}"

"""How the chatbot's findings word their numbers and their status, shared by every analysis.

Percentages and ratio intervals are written by :mod:`equityaudit.numbers`, as the
reports write them; what differs here differs on purpose and says why.
"""

from __future__ import annotations

import math

from equityaudit.judging import Judgement, settle_text
from equityaudit.numbers import fmt_pct, fmt_ratio_range

__all__ = ["capital", "num", "one_rule_text", "pct", "ratio_interval"]


def pct(value: float | None) -> str:
    """A share as a percentage (:func:`~equityaudit.numbers.fmt_pct`), in a sentence.

    A table cell shows an undefined value as ``—``; a finding's sentence says ``undefined``.

    Examples
    --------
    >>> pct(0.30434782608695654), pct(None)
    ('30.4%', 'undefined')
    """
    return "undefined" if value is None else fmt_pct(value)


def num(value: float | None) -> str:
    """A mean or a difference of means with two decimals (sentiment scores, words), in a sentence.

    Kept here: equityaudit.numbers has no two-decimal number (``fmt_ratio`` prints three decimals,
    ``fmt_amount`` four significant digits), and the messages' figures must stay as they are.

    Examples
    --------
    >>> num(-0.08123), num(float("nan")), num(None)
    ('-0.08', 'undefined', 'undefined')
    """
    return "undefined" if value is None or not math.isfinite(value) else f"{value:.2f}"


def ratio_interval(low: float | None, high: float | None) -> str:
    """`` (95% CI 0.74–0.86)`` after a ratio (:func:`~equityaudit.numbers.fmt_ratio_range`),
    or nothing when either end is undefined (a sentence leaves it out rather than print ``—``).

    Examples
    --------
    >>> ratio_interval(0.7412, 0.8571), ratio_interval(None, 0.9)
    (' (95% CI 0.74–0.86)', '')
    """
    if low is None or high is None:
        return ""
    return f" (95% CI {fmt_ratio_range(low, high)})"


def capital(text: str) -> str:
    """``text`` with its first letter capitalised and the rest as it is ("LGBTQ" stays)."""
    return text[:1].upper() + text[1:]


def one_rule_text(
    judgement: Judgement,
    measured: str,
    *,
    right_side: bool,
    within: str,
    beyond: str,
    edge: str,
    advice: str,
    p_text: str,
) -> str:
    """The message of a one-sided finding under the one judging rule, by status.

    ``within``/``beyond`` say where the value is ("at or above the 0.8 threshold" / "below the 0.8
    threshold"), ``edge`` where the interval reaches ("below the 0.8 threshold").
    """
    status = judgement.status
    if status == "insufficient_data":
        return f"{measured}: too few to judge."
    if status == "pass":
        return f"{measured}: {within}, and the interval is clear of it."
    if status == "inconclusive":
        return (
            f"{measured}: {within}, but the interval reaches {edge} and the difference is not statistically "
            f"significant ({p_text}): inconclusive. " + settle_text(judgement.rows_to_settle, "utterances")
        )
    if right_side:  # warn: significant, the interval reaching past the threshold
        return (
            f"{measured}: {within}, but the difference is statistically significant ({p_text}) and the "
            f"interval reaches {edge}. Review it."
        )
    if status == "fail":
        if judgement.significant:
            return f"{measured}: {beyond}, and statistically significant ({p_text}). {advice}"
        return (
            f"{measured}: {beyond}, not statistically significant ({p_text}) but failed because "
            f"thresholds.require_significance is false. {advice}"
        )
    return f"{measured}: {beyond}, but not statistically significant ({p_text}); it may be chance."

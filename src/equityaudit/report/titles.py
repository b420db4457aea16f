"""How the HTML report names groups, groupings and tables: labels, headings and what a rate is of."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from equityaudit.report.vocabulary import metric_label, subject_words
from equityaudit.results import Table

__all__ = [
    "by_text",
    "capitalised",
    "group_label",
    "is_estimated",
    "is_unfavourable",
    "table_label",
    "table_subject",
    "table_title",
]


def group_label(group: Any, by: Sequence[str] = ()) -> str:
    """A group's values joined, in the order of ``by`` (the table's attributes) when given.

    Examples
    --------
    >>> group_label({"race": "Asian", "sex": "Female"}, ["sex", "race"]), group_label(None)
    ('Female, Asian', '—')
    """
    if not isinstance(group, Mapping) or not group:
        return "—"
    keys = [k for k in by if k in group] + [k for k in group if k not in by]
    return ", ".join(str(group[k]) for k in keys)


def by_text(by: Sequence[str]) -> str:
    """A grouping's attributes joined: ``sex × race``."""
    return " × ".join(by)


def capitalised(text: str) -> str:
    """The text with its first letter upper-case (the rest untouched, unlike ``str.capitalize``)."""
    return text[:1].upper() + text[1:]


def is_estimated(table: Table) -> bool:
    """Whether a table's group membership is estimated (probabilities, e.g. BISG), not observed."""
    return table.estimated or any(row.get("estimated") is True for row in table.rows)


def is_unfavourable(table: Table) -> bool:
    """Whether a table's outcome is unfavourable (being included is bad, ``Table.favourable``).

    The auditor then divides the reference group's rate (the least included) by each group's, so
    that a ratio below the threshold still means the group is disadvantaged.
    """
    return not table.favourable


def table_subject(table: Table) -> str | None:
    """What a table's rate is of (``Table.subject``: ``segment premium``), for a metric with words for one."""
    return table.subject if subject_words(table.metric) is not None else None


def table_label(table: Table) -> str:
    """The table's metric in words, naming what it is of when the table's name says so."""
    subject = table_subject(table)
    words = subject_words(table.metric)
    if subject is None or words is None:
        return metric_label(table.metric)
    return f"{words[0]} {subject}"


def _estimated_suffix(table: Table, text: str) -> str:
    return " (estimated)" if is_estimated(table) and "(estimated)" not in text else ""


def table_title(table: Table, *, ratio: bool = False) -> str:
    """A table's heading (or its ratio chart's, with ``ratio``): what is measured, of what, by what.

    Examples
    --------
    >>> from equityaudit.results import Table
    >>> def t(name, by, metric, **fields):
    ...     return Table(name=name, by=by, metric=metric, numerator="x", denominator="n", reference=None,
    ...                  rows=[], **fields)
    >>> table_title(t("sex*race", ["sex", "race"], "selection_rate"))
    'Selection rate by sex × race'
    >>> table_title(t("segment premium by race_bisg (estimated)", ["race_bisg"], "inclusion_rate",
    ...     subject="segment premium", estimated=True))
    'Rate of inclusion in segment premium by race_bisg (estimated)'
    >>> table_title(t("campaign promo by sex", ["sex"], "inclusion_rate", subject="campaign promo"), ratio=True)
    'Impact ratio of inclusion in campaign promo by sex'
    """
    subject = table_subject(table)
    words = subject_words(table.metric)
    by = by_text(table.by)
    if subject is not None and words is not None:
        title = f"{words[1 if ratio else 0]} {subject} by {by}"
    elif table.name == "*".join(table.by):
        title = f"{'impact ratio' if ratio else metric_label(table.metric)} by {by}"
    else:
        title = f"{'impact ratio' if ratio else metric_label(table.metric)}: {table.name}"
    return capitalised(title) + _estimated_suffix(table, title)

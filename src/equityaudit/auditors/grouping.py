"""The groupings an audit compares, and the names of their tables: shared by every auditor.

An audit compares groups by each sensitive attribute alone and, when asked, by all of them
crossed (:func:`groupings`); each grouping's table is named after its attributes
(:func:`table_name`), and the finest counts, from which every table's counts are sums, are stored
in the result under the same name (:func:`counts_record`). The registry pools members' counts by
the same rules.
"""

from __future__ import annotations

from collections.abc import Sequence

from equityaudit.results import CountsTable
from equityaudit.stats.counts import GroupCounts

__all__ = ["counts_record", "groupings", "table_name"]


def groupings(sensitive: list[str], *, intersectional: bool) -> list[tuple[str, ...]]:
    """Each attribute alone, then (when asked and there are several) all of them crossed.

    Examples
    --------
    >>> groupings(["sex", "race"], intersectional=True)
    [('sex',), ('race',), ('sex', 'race')]
    >>> groupings(["sex"], intersectional=True)
    [('sex',)]
    """
    groups: list[tuple[str, ...]] = [(column,) for column in sensitive]
    if intersectional and len(sensitive) > 1:
        groups.append(tuple(sensitive))
    return groups


def table_name(by: Sequence[str]) -> str:
    """Name of the table by these attributes: ``sex``, or ``sex*race`` for an intersection.

    Examples
    --------
    >>> table_name(["sex"]), table_name(("sex", "race"))
    ('sex', 'sex*race')
    """
    return "*".join(by)


def counts_record(counts: GroupCounts) -> CountsTable:
    """The finest counts as stored in a result (every table's counts are sums of these).

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"sex": ["F", "M"], "race": ["A", "B"], "n": [40, 60], "selected": [10, 30]})
    >>> record = counts_record(GroupCounts(("sex", "race"), table))
    >>> record.name, record.by, record.rows[0]
    ('sex*race', ['sex', 'race'], {'group': {'sex': 'F', 'race': 'A'}, 'n': 40, 'selected': 10})
    """
    return CountsTable(name=table_name(counts.by), by=list(counts.by), rows=counts.to_records())

"""Notes on the columns an auditor is given, before any group is compared."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals as nw

from equityaudit.frames import collect_or_data_error
from equityaudit.spec import Columns, LabelledColumn
from equityaudit.stats.counts import GroupCounts

__all__ = ["NUMERIC_GROUPS_LIMIT", "adverse_decision_note", "label_variant_notes", "numeric_sensitive_notes"]


NUMERIC_GROUPS_LIMIT = 12
"""More distinct values than this in a numeric sensitive column suggest a measurement to band."""


def numeric_sensitive_notes(
    frame: nw.DataFrame[Any] | nw.LazyFrame[Any], sensitive: Sequence[str]
) -> list[str]:
    """A note for each numeric sensitive column with more than :data:`NUMERIC_GROUPS_LIMIT` values.

    Each distinct value of a sensitive column is a group, so an age in years becomes dozens of
    groups, most too small to judge; the note says so and suggests banding the column (the same
    limit ``equityaudit init`` uses to leave such columns out of the spec it proposes).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = nw.from_native(pd.DataFrame({"age": range(20, 40), "sex": ["F", "M"] * 10}))
    >>> numeric_sensitive_notes(frame, ["age", "sex"])[0][:55]
    "column 'age' (columns.sensitive) is numeric with 20 dis"
    """
    schema = frame.collect_schema()
    numeric = [c for c in sensitive if c in schema and schema[c].is_numeric()]
    if not numeric:
        return []
    counted = frame.select(  # n_unique counts a missing value as one: take it off
        *((nw.col(c).n_unique() - (nw.col(c).null_count() > 0).cast(nw.Int64)).alias(c) for c in numeric)
    )
    distinct = (
        collect_or_data_error(counted, "<data>") if isinstance(counted, nw.LazyFrame) else counted
    ).row(0)
    return [
        f"column {column!r} (columns.sensitive) is numeric with {k} distinct values, so each value is "
        f"a group of its own ({k} groups, most of them too small to judge). Band it into a few ranges "
        "(for an age, say 18-29, 30-39, ...) in a new column and list that column in columns.sensitive "
        "instead."
        for column, k in zip(numeric, distinct, strict=True)
        if k > NUMERIC_GROUPS_LIMIT
    ]


def label_variant_notes(counts: GroupCounts) -> list[str]:
    """A note for each sensitive column whose labels differ only in case or spacing.

    ``Male``, ``male`` and ``MALE `` are three groups to the audit, each judged on its own and the
    smaller ones probably too small; the note names them and says to normalise the labels. Read
    from the grouped counts, so it costs no pass over the data.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"sex": ["Male", "male", "Female"], "n": [90, 5, 80], "selected": [9, 1, 8]})
    >>> label_variant_notes(GroupCounts(("sex",), table))[0][:70]
    "column 'sex' (columns.sensitive) holds labels that differ only in case"
    """
    notes = []
    for column in counts.by:
        labels = [str(v) for v in counts.marginal([column]).table[column].tolist()]
        variants: dict[str, list[str]] = {}
        for label in labels:
            variants.setdefault(" ".join(label.split()).casefold(), []).append(label)
        alike = [sorted(group) for group in variants.values() if len(group) > 1]
        if alike:
            listed = "; ".join(", ".join(repr(label) for label in group) for group in alike)
            notes.append(
                f"column {column!r} (columns.sensitive) holds labels that differ only in case or spacing "
                f"({listed}): each is audited as a group of its own. Write each category one way in the "
                "data and audit again."
            )
    return notes


def adverse_decision_note(columns: Columns) -> str:
    """The note every report carries when receiving the decision is unfavourable.

    Examples
    --------
    >>> columns = Columns(sensitive=["sex"], decision={"column": "flagged", "positive": "yes", "favourable": False})
    >>> adverse_decision_note(columns)[:76]
    'columns.decision.favourable is false: receiving the decision (flagged = yes)'
    """
    labelled = columns.decision
    labels = ", ".join(map(str, labelled.positive)) if isinstance(labelled, LabelledColumn) else "1"
    return (
        f"columns.decision.favourable is false: receiving the decision ({columns.decision_column} = {labels}) "
        "is unfavourable, so every ratio compares the rate of NOT receiving it (favourable_rate) with the "
        "group that receives it least; selection_rate is the rate of receiving it, for reference."
    )

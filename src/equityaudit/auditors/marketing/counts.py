"""The marketing auditor's sufficient statistics, each from one grouped aggregation on the backend.

**Observed attributes**: one aggregation grouped by the sensitive columns and the segment column,
with one sum per targeting flag and the count and sum of the offer. The few rows it returns are
normalised (``Unknown`` for missing or unknown-like values) and pivoted into one row per group
with a count column per segment value and per campaign (``segment=premium``,
``campaign=email_promo``): :class:`~equityaudit.stats.counts.GroupCounts` whose marginals give
every table.

**Estimated attributes**: one aggregation per attribute grouped by the segment column, summing
each category's probability (its weighted count), the squared probability, the probability and
the squared probability times each flag, and the probability times the offer
(:class:`WeightedCounts`). The squared sums give the linearised variance of each weighted rate
(:mod:`equityaudit.stats.weighted`); for a segment they are the squared sums of its segment group.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import narwhals as nw

from equityaudit.auditors.marketing.data import Prepared, collected, segment_label
from equityaudit.auditors.marketing.options import MarketingOptions
from equityaudit.errors import DataError
from equityaudit.stats.counts import GroupCounts
from equityaudit.values import UNKNOWN

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["WeightedCounts", "count_records", "observed_counts", "square_key", "weighted_counts"]


def observed_counts(
    prepared: Prepared, sensitive: Sequence[str], options: MarketingOptions, *, origin: str
) -> GroupCounts:
    """Counts by the observed sensitive attributes: ``n``, one column per outcome, ``offer_n``, ``offer_sum``.

    Examples
    --------
    >>> import pandas as pd
    >>> from equityaudit.auditors.marketing.data import prepare
    >>> from equityaudit.auditors.marketing.options import MarketingOptions
    >>> from equityaudit.frames import read_source
    >>> from equityaudit.spec_loading import spec_from_mapping
    >>> df = pd.DataFrame({"sex": ["F", "F", "M", None], "segment": ["gold", "basic", "gold", "gold"],
    ...                    "promo": ["yes", "no", "no", "yes"]})
    >>> spec = spec_from_mapping({"equityaudit": 1, "name": "m", "auditor": "marketing",
    ...     "data": {"path": "d.csv"}, "columns": {"sensitive": ["sex"]}})
    >>> options = MarketingOptions(segment="segment", campaigns={"promo": "favourable"})
    >>> prepared = prepare(read_source(df).frame, spec, options, origin="<df>")
    >>> observed_counts(prepared, ["sex"], options, origin="<df>").table.to_dict("list")
    ... # doctest: +NORMALIZE_WHITESPACE
    {'sex': ['F', 'M', 'Unknown'], 'n': [2, 1, 1], 'segment=basic': [1, 0, 0],
     'segment=gold': [1, 1, 1], 'campaign=promo': [1, 0, 1]}
    """
    data = prepared.frame  # every row, even when the proxy and offer analyses read a sample
    keys = [*sensitive, *([options.segment] if options.segment else [])]
    aggregations = [nw.len().alias("__n")]
    aggregations += [nw.col(flag).sum().alias(flag) for flag in prepared.flags.values()]
    if options.offer is not None:
        aggregations += [
            nw.col(options.offer).count().alias("__offer_n"),
            nw.col(options.offer).sum().alias("__offer_sum"),
        ]
    if keys:
        aggregated = collected(data.group_by(keys, drop_null_keys=False).agg(*aggregations), origin)
    else:
        aggregated = collected(data.select(*aggregations), origin)
    names = aggregated.columns
    segments = [o for o in prepared.outcomes if o.kind == "segment"]
    campaigns = [o for o in prepared.outcomes if o.kind == "campaign"]
    columns = ["n", *(o.key for o in segments), *(o.key for o in campaigns)]
    if options.offer is not None:
        columns += ["offer_n", "offer_sum"]
    cells: dict[tuple[str, ...], Counter[str]] = {}
    sums: dict[tuple[str, ...], float] = {}
    for row in aggregated.rows():
        record = dict(zip(names, row, strict=True))
        group = tuple(prepared.labeller(record[c]) for c in sensitive)
        cell = cells.setdefault(group, Counter())
        n = int(record["__n"])
        cell["n"] += n
        if options.segment is not None:
            label = segment_label(record[options.segment])
            if label in prepared.segment_sizes and f"segment={label}" in columns:
                cell[f"segment={label}"] += n
        for outcome in campaigns:
            cell[outcome.key] += int(record[prepared.flags[outcome.name]] or 0)
        if options.offer is not None:
            cell["offer_n"] += int(record["__offer_n"] or 0)
            sums[group] = sums.get(group, 0.0) + float(record["__offer_sum"] or 0.0)
    for position, column in enumerate(sensitive):
        if all(group[position] == UNKNOWN for group in cells):
            raise DataError(
                f"{origin}: column {column!r} (columns.sensitive) has no known values: all "
                f"{sum(c['n'] for c in cells.values())} rows are missing or unknown. Fill in the column, "
                "or remove it from columns.sensitive."
            )
    records = []
    for group, cell in sorted(cells.items()):
        values: list[Any] = [*group, *(int(cell[c]) for c in columns if c != "offer_sum")]
        if options.offer is not None:
            values.append(sums.get(group, 0.0))
        records.append(values)
    ordered = [c for c in columns if c != "offer_sum"] + (["offer_sum"] if options.offer is not None else [])
    import pandas as pd  # only where it is used: it takes a third of a second to import

    table = pd.DataFrame(records, columns=[*sensitive, *ordered])
    for column in ordered:
        if column != "offer_sum":
            table[column] = table[column].astype("int64")
    return GroupCounts(tuple(sensitive), table[[*sensitive, *columns]])


@dataclass(frozen=True)
class WeightedCounts:
    """Weighted counts of one estimated attribute: one row per category.

    ``table`` has the attribute's column (the category) and ``n`` (sum of probabilities),
    ``n_sq`` (sum of squared probabilities), one weighted count per outcome (``segment=gold``:
    :math:`\\sum p\\,y`) and its sum of squared probabilities (:func:`square_key`,
    ``sq:segment=gold``: :math:`\\sum p^2 y`), and with an offer ``offer_n`` (weight of customers
    with an offer) and ``offer_sum`` (probability-weighted sum).
    """

    attribute: str
    table: pd.DataFrame
    unknown: int
    """Customers without probabilities (membership not estimated): counted, left out."""
    rows: int


def square_key(key: str) -> str:
    """The :class:`WeightedCounts` column of an outcome's sum of squared probabilities.

    Outcome keys start with ``segment=`` or ``campaign=``, so the prefix cannot collide with one.

    Examples
    --------
    >>> square_key("campaign=email_promo")
    'sq:campaign=email_promo'
    """
    return f"sq:{key}"


def weighted_counts(
    prepared: Prepared, attribute: str, columns: dict[str, str], options: MarketingOptions
) -> WeightedCounts:
    """Weighted (probability-summed) counts of one estimated attribute, from one aggregation."""
    data = prepared.frame  # every row, even when the proxy and offer analyses read a sample
    categories = list(columns)
    products = []
    for i, column in enumerate(columns.values()):
        p = nw.col(column)
        products += [
            (p * nw.col(flag)).alias(f"__f{i}_{j}") for j, flag in enumerate(prepared.flags.values())
        ]
        products += [
            (p * p * nw.col(flag)).alias(f"__g{i}_{j}") for j, flag in enumerate(prepared.flags.values())
        ]
        products.append((p * p).alias(f"__q{i}"))
        if options.offer is not None:
            offer = nw.col(options.offer)
            products += [
                nw.when(offer.is_null()).then(0.0).otherwise(p).alias(f"__on{i}"),
                nw.when(offer.is_null()).then(0.0).otherwise(p * offer).alias(f"__os{i}"),
            ]
    first = next(iter(columns.values()))
    products.append(nw.col(first).is_null().cast(nw.Int64).alias("__absent"))
    aggregations = [nw.len().alias("__n"), nw.col("__absent").sum()]
    for i, column in enumerate(columns.values()):
        aggregations += [nw.col(column).sum().alias(f"__w{i}"), nw.col(f"__q{i}").sum()]
        aggregations += [nw.col(f"__f{i}_{j}").sum() for j in range(len(prepared.flags))]
        aggregations += [nw.col(f"__g{i}_{j}").sum() for j in range(len(prepared.flags))]
        if options.offer is not None:
            aggregations += [nw.col(f"__on{i}").sum(), nw.col(f"__os{i}").sum()]
    extended = data.with_columns(*products)
    if options.segment is not None:
        aggregated = collected(
            extended.group_by([options.segment], drop_null_keys=False).agg(*aggregations), "<data>"
        )
    else:
        aggregated = collected(extended.select(*aggregations), "<data>")
    names = aggregated.columns
    totals: list[dict[str, float]] = [defaultdict(float) for _ in categories]
    unknown = rows = 0
    campaigns = [o for o in prepared.outcomes if o.kind == "campaign"]
    for row in aggregated.rows():
        record = dict(zip(names, row, strict=True))
        rows += int(record["__n"])
        unknown += int(record["__absent"] or 0)
        label = segment_label(record[options.segment]) if options.segment is not None else None
        for i in range(len(categories)):
            weight = float(record[f"__w{i}"] or 0.0)
            squares = float(record[f"__q{i}"] or 0.0)
            cell = totals[i]
            cell["n"] += weight
            cell["n_sq"] += squares
            if label is not None and label in prepared.segment_sizes:
                cell[f"segment={label}"] += weight
                cell[square_key(f"segment={label}")] += squares
            for j, outcome in enumerate(campaigns):
                cell[outcome.key] += float(record[f"__f{i}_{j}"] or 0.0)
                cell[square_key(outcome.key)] += float(record[f"__g{i}_{j}"] or 0.0)
            if options.offer is not None:
                cell["offer_n"] += float(record[f"__on{i}"] or 0.0)
                cell["offer_sum"] += float(record[f"__os{i}"] or 0.0)
    keys = ["n", "n_sq", *(o.key for o in prepared.outcomes), *(square_key(o.key) for o in prepared.outcomes)]
    if options.offer is not None:
        keys += ["offer_n", "offer_sum"]
    import pandas as pd  # only where it is used: it takes a third of a second to import

    table = pd.DataFrame(
        [[category, *(float(totals[i][k]) for k in keys)] for i, category in enumerate(categories)],
        columns=[attribute, *keys],
    )
    return WeightedCounts(attribute=attribute, table=table, unknown=unknown, rows=rows)


def count_records(counts: GroupCounts) -> list[dict[str, Any]]:
    """One ``{group: {attr: value}, n: …, <counts>}`` record per group; ``offer_sum`` stays a float."""
    records = []
    for values in counts.table.to_dict("records"):
        record: dict[str, Any] = {"group": {b: str(values[b]) for b in counts.by}}
        for column in counts.count_columns:
            value = values[column]
            record[column] = float(value) if column == "offer_sum" else int(value)
        records.append(record)
    return records

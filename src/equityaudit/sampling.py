"""A seeded, stratified sample of rows, drawn on the backend, for the analyses that need rows.

Counts never need rows: every auditor counts with grouped aggregations on the backend, over
every row. A few analyses do need rows in memory — the marketing auditor's proxy classifiers
and its offers' medians and bootstrap, the chatbot auditor's text matching and classifiers — and
on a file of a hundred million rows they read a sample instead. :func:`stratified_sample` draws
it so that it is

**stratified**: the strata are the combinations of values of the given columns (missing is a
value of its own), counted in one grouped aggregation; the sample is allocated to them in
proportion to their rows (Hamilton's largest-remainder rounding, so the allocations sum to the
cap exactly), and every stratum keeps at least one row (taken from the largest allocations);

**seeded and portable**: every row gets a pseudo-random key from its position in the data and
the seed (two rounds of modular squaring modulo the prime :math:`2^{31}-1`: whole-number
arithmetic every backend computes alike), and each stratum contributes the rows with its
smallest keys. The same data in the same order with the same seed gives the same sample on
polars, pandas, pyarrow and DuckDB;

**bounded**: only rows whose key falls under their stratum's threshold (its allocation over its
rows, with a margin of five standard deviations) leave the backend, and only the columns asked
for; a stratum short of its allocation (a rare event) is read again with a wider margin.

When the data has no more rows than the cap nothing is sampled: every row of the columns is
collected, exactly as without this module, and :attr:`StratifiedSample.info` is ``None``.

Examples
--------
>>> import polars as pl
>>> frame = nw.from_native(pl.DataFrame({"sex": ["F"] * 30 + ["M"] * 60 + [None] * 10,
...                                      "x": range(100)})).lazy()
>>> drawn = stratified_sample(frame, ["x"], strata=["sex"], cap=20, seed=7, used_by=["a test"])
>>> drawn.info.rows, [(s.stratum["sex"], s.population, s.sample) for s in drawn.info.allocation]
(20, [('F', 30, 6), ('M', 60, 12), (None, 10, 2)])
>>> len(drawn.rows), drawn.rows.columns
(20, ['x'])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import narwhals as nw
import numpy as np

from equityaudit.errors import DataError
from equityaudit.frames import collect_or_data_error
from equityaudit.results import SampleInfo, StratumSize
from equityaudit.values import null_as_none

__all__ = ["DEFAULT_SAMPLE_ROWS", "StratifiedSample", "allocate", "row_keys", "stratified_sample"]

DEFAULT_SAMPLE_ROWS = 200_000
"""Default cap of a sample (the auditors' ``sample_rows`` option)."""

_PRIME = 2_147_483_647  # 2**31 - 1: every product below stays under 2**62, inside a signed 64-bit integer
_MIX = (48_271, 69_621)  # the multipliers of the two MINSTD generators, full-period modulo the prime
_ROW = "__sample_row"
_KEY = "__sample_key"
_STRATUM = "__sample_stratum"
_LIMIT = "__sample_limit"

METHOD = (
    "stratified by {strata}: proportional allocation (largest remainder, at least one row per stratum); "
    "within each stratum the rows with the smallest seeded keys of their position (modular squaring "
    "modulo 2^31-1, seed {seed}), drawn on the backend"
)


@dataclass(frozen=True)
class StratifiedSample:
    """The rows read (sampled, or every row) and how they were drawn."""

    rows: nw.DataFrame[Any]
    """The columns asked for, collected, in the data's order."""
    info: SampleInfo | None
    """How the sample was drawn; ``None`` when the data had no more rows than the cap (every row)."""


def row_keys(position: nw.Expr, seed: int) -> nw.Expr:
    """A pseudo-random key in ``[0, 2^31 - 1)`` of each row's position, from ``seed``.

    Whole-number arithmetic only (``*``, ``+``, ``%`` on 64-bit integers), so every backend
    computes the same keys.

    Examples
    --------
    >>> import polars as pl
    >>> frame = nw.from_native(pl.DataFrame({"i": [0, 1, 2]}))
    >>> keys = frame.select(row_keys(nw.col("i"), 7).alias("key"))["key"].to_list()
    >>> def by_hand(i, seed, p=2**31 - 1):  # the same steps on Python's integers
    ...     x = (i * 48271 + seed + 12345) % p
    ...     x = x * x % p
    ...     x = (x * 69621 + i) % p
    ...     return x * x % p
    >>> keys == [by_hand(i, 7) for i in range(3)]
    True
    """
    index = position.cast(nw.Int64)
    x = (index * _MIX[0] + (seed % _PRIME) + 12_345) % _PRIME
    x = (x * x) % _PRIME
    x = (x * _MIX[1] + index) % _PRIME
    return (x * x) % _PRIME


def allocate(sizes: Sequence[int], cap: int) -> list[int]:
    """Proportional allocation of ``cap`` rows to strata of ``sizes`` rows, every stratum kept.

    Each stratum gets :math:`\\lfloor cap \\cdot n_h / N \\rfloor` rows, the rows left over go to
    the largest remainders (ties to the earlier stratum), and a stratum left with none gets one,
    taken from the largest allocation. With ``cap`` at least the total, every row.

    Examples
    --------
    >>> allocate([30, 60, 10], 20)
    [6, 12, 2]
    >>> allocate([700, 290, 10], 10)    # 7, 2.9, 0.1: the remainder goes to 2.9, then one for the last
    [6, 3, 1]
    """
    total = sum(sizes)
    if cap >= total:
        return list(sizes)
    if cap < len(sizes):
        raise ValueError(f"cannot keep all {len(sizes)} strata in a sample of {cap} rows")
    shares = [cap * n // total for n in sizes]  # whole numbers: equal remainders are exactly equal
    remainders = [cap * n % total for n in sizes]
    order = sorted(range(len(sizes)), key=lambda i: (-remainders[i], i))
    for i in order[: cap - sum(shares)]:
        shares[i] += 1
    for i, n in enumerate(sizes):
        if shares[i] == 0 and n > 0:
            largest = max(range(len(shares)), key=lambda j: (shares[j], -j))
            shares[largest] -= 1
            shares[i] = 1
    return shares


def stratified_sample(
    frame: nw.LazyFrame[Any],
    columns: Sequence[str],
    *,
    strata: Sequence[str],
    cap: int,
    seed: int,
    used_by: Sequence[str],
    origin: str = "<data>",
) -> StratifiedSample:
    """At most ``cap`` rows of ``columns``: every row when there are no more, else a stratified sample.

    Parameters
    ----------
    frame
        The audited data, lazy, on any backend narwhals reads.
    columns
        The columns the analyses read.
    strata
        Columns whose combinations of values are the strata (none: one stratum, a simple sample).
    cap
        The most rows to read (the auditor's ``sample_rows`` option).
    seed
        Seed of the row keys (``thresholds.seed``).
    used_by
        The analyses that read the rows, as the result states them.
    origin
        The data source, for messages.
    """
    counted = (
        frame.group_by(list(strata), drop_null_keys=False).agg(nw.len().alias("__n"))
        if strata
        else frame.select(nw.len().alias("__n"))
    )
    cells = [  # a missing key comes back as None, NaN or NA depending on the backend: None for all
        {k: (v if k == "__n" else null_as_none(v)) for k, v in r.items()}
        for r in collect_or_data_error(counted, origin).rows(named=True)
    ]
    cells = sorted(cells, key=lambda r: tuple((r[c] is None, str(r[c])) for c in strata))
    sizes = [int(r["__n"]) for r in cells]
    population = sum(sizes)
    if population <= cap:
        return StratifiedSample(collect_or_data_error(frame.select(list(columns)), origin), None)
    if len(cells) > cap:
        raise DataError(
            f"{origin}: {len(cells):,} strata (combinations of {', '.join(strata)}) cannot each keep a row in a "
            f"sample of {cap:,} rows; expected at most as many strata as rows. Raise the auditor's sample_rows "
            "option, or group the values into fewer categories."
        )
    allocation = allocate(sizes, cap)
    space = _PRIME
    margin = 5.0
    while True:
        limits = [
            space if n == 0 else min(space, math.ceil(space * (a + margin * math.sqrt(a) + 10) / n))
            for a, n in zip(allocation, sizes, strict=True)
        ]
        drawn = _draw(frame, columns, strata, cells, limits, seed, origin)
        ids = drawn[_STRATUM].to_numpy()
        found = np.bincount(ids, minlength=len(cells))
        if all(f >= a for f, a in zip(found.tolist(), allocation, strict=True)):
            break
        if all(limit == space for limit in limits):  # every row was read: the strata were miscounted
            raise RuntimeError(f"{origin}: the sample's strata do not match their counts ({found.tolist()})")
        margin *= (
            4  # a short stratum: read again with a wider margin (the keys, and so the sample, do not change)
        )
    # each stratum's rows with the smallest keys (ties: the earlier row), then back in the data's order
    drawn = drawn.sort([_STRATUM, _KEY, _ROW])
    ids = drawn[_STRATUM].to_numpy()
    starts = np.searchsorted(ids, np.arange(len(cells)))
    rank = np.arange(len(ids)) - starts[ids]
    keep = np.flatnonzero(rank < np.asarray(allocation)[ids])
    rows = drawn[keep.tolist()].sort(_ROW).select(list(columns))
    info = SampleInfo(
        rows=len(rows),
        population=population,
        cap=cap,
        seed=seed,
        strata=list(strata),
        allocation=[
            StratumSize(
                stratum={c: None if r[c] is None else str(r[c]) for c in strata}, population=n, sample=a
            )
            for r, n, a in zip(cells, sizes, allocation, strict=True)
        ],
        used_by=list(used_by),
        method=METHOD.format(strata=", ".join(strata) or "nothing (one stratum)", seed=seed),
    )
    return StratifiedSample(rows, info)


def _draw(
    frame: nw.LazyFrame[Any],
    columns: Sequence[str],
    strata: Sequence[str],
    cells: list[dict[str, Any]],
    limits: list[int],
    seed: int,
    origin: str,
) -> nw.DataFrame[Any]:
    """The rows whose key is under their stratum's limit, with their stratum, key and position."""
    stratum: Any = nw.lit(0)
    limit: Any = nw.lit(limits[0])
    for i in range(len(cells) - 1, 0, -1):  # a nested when per stratum: backends without joins on nulls agree
        condition = nw.lit(True)
        for column in strata:
            value = cells[i][column]
            condition = condition & (nw.col(column).is_null() if value is None else nw.col(column) == value)
        stratum = nw.when(condition).then(nw.lit(i)).otherwise(stratum)
        limit = nw.when(condition).then(nw.lit(limits[i])).otherwise(limit)
    keyed = _keyed(frame, seed)
    keyed = (
        keyed.with_columns(stratum.cast(nw.Int64).alias(_STRATUM), limit.cast(nw.Int64).alias(_LIMIT))
        .filter(nw.col(_KEY) < nw.col(_LIMIT))
        .select(*columns, nw.col(_ROW).cast(nw.Int64).alias(_ROW), _KEY, _STRATUM)
    )
    return collect_or_data_error(keyed, origin)


def _keyed(frame: nw.LazyFrame[Any], seed: int) -> nw.LazyFrame[Any]:
    """The frame with each row's position in the data (``_ROW``) and its seeded key (``_KEY``).

    Each backend numbers its rows natively where it can, without sorting: polars with
    ``with_row_index`` (a scan streams), DuckDB with ``row_number() OVER ()`` (a streaming window,
    in the scan's order while ``preserve_insertion_order`` is on, DuckDB's default); pandas and
    pyarrow, whose rows are in memory in their order, through narwhals' stable sort of a constant.
    So a file gives the same positions, keys and sample on every engine but Spark, which has no
    row order: there a row's position is its ``monotonically_increasing_id`` (its partition and
    its place in it), the same for the same files read with the same partitioning, and the sample
    is as random but not the rows polars would draw.
    """
    implementation = frame.implementation
    numbered: nw.LazyFrame[Any]
    if implementation.is_duckdb():
        relation = frame.to_native().project(f"*, row_number() OVER () - 1 AS {_ROW}")
        numbered = nw.from_native(relation)
    elif implementation.is_polars():
        numbered = nw.from_native(frame.to_native().with_row_index(_ROW)).lazy()
    elif implementation.is_spark_like():
        from pyspark.sql import functions

        numbered = nw.from_native(frame.to_native().withColumn(_ROW, functions.monotonically_increasing_id()))
    else:
        numbered = frame.with_columns(nw.lit(1).alias(_ROW)).with_row_index(_ROW + "_", order_by=_ROW)
        numbered = numbered.drop(_ROW).rename({_ROW + "_": _ROW})
    return numbered.with_columns(row_keys(nw.col(_ROW), seed).alias(_KEY))

"""Counterfactual sensitivity of a model: how many of a group's decisions change when an attribute is flipped.

A model audited through ``model:`` may read a sensitive column itself, or a feature that stands in
for one (``model.proxies``: a postcode, a first name's frequency). For each such column — every
sensitive column among the model's features, and every declared proxy — each row is decided again
with the column set to each *other* value it could take, everything else unchanged, by the model
that made the decisions (:class:`~equityaudit.models.ModelScorer`, with the cut-off in force).

What "each other value" is:

- a column of text, booleans or at most :data:`MAX_VALUES` distinct numbers (``sex``, a 0/1
  code): each value observed in the data; a column of more distinct values of text is flipped to
  its :data:`MAX_VALUES` most frequent values only, and a note says so (rows holding a rarer value
  are flipped to each of them);
- a column of more than :data:`MAX_VALUES` distinct numbers (an income, a distance): the rows are
  cut into :data:`NUMERIC_BINS` quantile bins and a flip sets the value to the median of another
  bin (the observed value at the bin's median, so an integer column stays integer).

A row's decision **changes** under a column when at least one flip gives a different decision
from the original. Per group of each sensitive column (groups as the audit names them), the table
``counterfactual:<column>:<sensitive column>`` gives ``n``, the rows whose decision changes under
at least one flip and their share (``decision_change_rate``, Wilson interval at the audit's
alpha), and the same per target value (of the rows not already holding it).

Each group's share is judged by the one judging rule (:mod:`equityaudit.judging`) against
``thresholds.counterfactual`` (default 0.05; adverse above): its p-value is the exact one-sided
binomial test of H0: share ≤ threshold (``scipy.stats.binomtest(..., alternative="greater")``);
a group below ``min_group_size`` is ``insufficient_data``. The evidence of one flipped column is
one family, judged in the same :func:`~equityaudit.judging.judge` call as the auditor's findings.

The re-scoring runs in chunks of :data:`CHUNK_ROWS` rows, so memory grows with the chunk, not with
the number of flips. :func:`flip_decisions` (at scoring time, on the model's raw inputs) writes two
integer columns per flipped column — a bit mask of the target values whose flip changes the row's
decision, and the index of the target the row already holds — and :func:`counterfactual_analysis`
counts them by group in one grouped aggregation on the data's backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import narwhals as nw
import numpy as np
from numpy.typing import NDArray

from equityaudit.errors import DataError, SpecError
from equityaudit.frames import Source, collect_or_data_error, rows_for_python
from equityaudit.judging import CORRECTION_NAMES, Evidence, Judgement, meets
from equityaudit.numbers import fmt_p, fmt_pct
from equityaudit.results import Table, finite_or_none
from equityaudit.spec import AuditSpec
from equityaudit.stats.inference import wilson_interval
from equityaudit.values import UNKNOWN, sensitive_label

if TYPE_CHECKING:
    from equityaudit.models import ModelScorer

__all__ = [
    "CHUNK_ROWS",
    "MAX_VALUES",
    "METRIC",
    "NUMERIC_BINS",
    "Counterfactual",
    "FlipPlan",
    "FlippedColumn",
    "binomial_p",
    "counterfactual_analysis",
    "flip_decisions",
]

MAX_VALUES = 10
"""Most values a column is flipped to: a column of more distinct values of text is flipped to its
10 most frequent; a numeric column of more distinct values is flipped between quantile bins."""
NUMERIC_BINS = 5
"""Quantile bins of a numeric column of many values (quintiles); a flip sets another bin's median."""
CHUNK_ROWS = 50_000
"""Rows decided again at a time: bounds the memory of the flipped copies."""
METRIC = "decision_change_rate"
"""The metric name of the share of a group's decisions that a flip changes."""
ANY_VALUE = "any other value"
"""The ``flip_to`` of a table's judged row: the decision changes under at least one flip."""
_PREFIX = "model_flip"
_Kind = Literal["values", "quantile_bins"]
_N = "__n"


@dataclass(frozen=True)
class FlippedColumn:
    """One column flipped: what it was flipped to, and the two columns :func:`flip_decisions` wrote."""

    column: str
    role: Literal["sensitive", "proxy"]
    kind: _Kind
    targets: tuple[str, ...]
    """The values flipped to, as the table shows them."""
    changed_column: str
    """Bit ``j`` set: flipping to target ``j`` changes the row's decision."""
    own_column: str
    """The index of the target the row already holds (-1: none)."""


@dataclass(frozen=True)
class FlipPlan:
    """What :func:`flip_decisions` flipped, and the notes it has for the report."""

    columns: tuple[FlippedColumn, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass
class Counterfactual:
    """The counterfactual tables (one per flipped and sensitive column), their evidence and notes."""

    tables: list[Table] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def flip_decisions(
    source: Source,
    scorer: ModelScorer,
    *,
    sensitive: Sequence[str],
    proxies: Sequence[str],
    unknown: Sequence[str] = (),
    origin: str,
) -> tuple[Source, FlipPlan]:
    """Decide every row again with each flipped column set to each other value; record what changes.

    Parameters
    ----------
    source
        The scored rows, before named groups rewrite any sensitive column (the model reads raw values).
    scorer
        The loaded model (from :func:`~equityaudit.models.score_model`).
    sensitive
        The audit's sensitive columns: those among the model's features are flipped.
    proxies
        ``model.proxies``: features declared to stand in for a sensitive attribute.
    unknown
        ``columns.unknown_values``: a sensitive column is never flipped to a value that means unknown.
    origin
        The spec file, for messages.

    Returns
    -------
    tuple of Source and FlipPlan
        The rows with two integer columns per flipped column (see :class:`FlippedColumn`), and
        what was flipped how.

    Raises
    ------
    SpecError
        A proxy is not one of the model's features.
    DataError
        The model fails on the flipped rows, or the data already has a column where the flips go.

    Examples
    --------
    >>> import pandas as pd, skops.io as sio, tempfile
    >>> from pathlib import Path
    >>> from sklearn.linear_model import LogisticRegression
    >>> from equityaudit.frames import read_source
    >>> from equityaudit.models import score_model
    >>> from equityaudit.spec import ModelSpec
    >>> df = pd.DataFrame({"sex": [0, 1] * 50, "x": [0.0] * 50 + [1.0] * 50})
    >>> path = Path(tempfile.mkdtemp()) / "m.skops"
    >>> sio.dump(LogisticRegression().fit(df[["sex", "x"]], (df["sex"] == 1) & (df["x"] == 1)), path)
    >>> scored, info, scorer = score_model(read_source(df), ModelSpec(path=path), exclude=[], origin="<spec>")
    >>> flipped, plan = flip_decisions(scored, scorer, sensitive=["sex"], proxies=[], origin="<spec>")
    >>> plan.columns[0].targets
    ('0', '1')
    >>> changed = flipped.frame.collect().to_pandas()["model_flip_0"]
    >>> int((changed != 0).sum())  # the rows with x = 1 change when sex is flipped
    50
    """
    features = list(scorer.features)
    where = f"{origin}: model.proxies"
    for proxy in proxies:
        if proxy not in features:
            listed = ", ".join(repr(c) for c in features)
            raise SpecError(
                f"{where}: {proxy!r} is not one of the model's features ({listed}); a proxy is flipped "
                "in the rows the model reads, so it must be a feature. Remove it from model.proxies, or "
                "list it under model.features if the model reads it."
            )
    chosen: list[tuple[str, Literal["sensitive", "proxy"]]] = [
        (c, "sensitive") for c in sensitive if c in features
    ]
    chosen += [(c, "proxy") for c in proxies if c not in {name for name, _ in chosen}]
    if not chosen:
        named = ", ".join(sensitive) or "none"
        return source, FlipPlan(
            notes=(
                f"Counterfactual sensitivity: not tested. The model reads none of the sensitive columns "
                f"({named}) and model.proxies declares no proxy, so there is nothing to flip; list the "
                "features that stand in for a sensitive attribute under model.proxies to test them.",
            )
        )
    frame = collect_or_data_error(source.frame, source.name)
    rows = rows_for_python(
        frame, features, why="deciding again with a sensitive column flipped", origin=source.name
    )
    baseline = _decide(scorer, rows, source.name)
    flipped: list[FlippedColumn] = []
    notes: list[str] = []
    added: list[tuple[str, NDArray[np.int64]]] = []
    for column, role in chosen:
        targets, labels, own, note, kind = _targets(rows[column], column, role, unknown)
        if note:
            notes.append(note)
        if len(targets) < 2:
            continue
        changed = _changes(scorer, rows, column, targets, own, baseline, source.name)
        index = len(flipped)
        names = (f"{_PREFIX}_{index}", f"{_PREFIX}_{index}_own")
        taken = [n for n in names if n in frame.columns]
        if taken:
            raise DataError(
                f"{source.name}: the data already has column(s) {taken}, where the counterfactual flips "
                f"go (model: in {origin}); rename them."
            )
        flipped.append(FlippedColumn(column, role, kind, tuple(labels), *names))
        added += [(names[0], changed), (names[1], own)]
    if not added:
        return source, FlipPlan(notes=tuple(notes))
    native = nw.get_native_namespace(frame)
    frame = frame.with_columns(*[nw.new_series(n, v, nw.Int64(), backend=native) for n, v in added])
    return replace(source, frame=frame.lazy()), FlipPlan(tuple(flipped), tuple(notes))


def _targets(
    series: Any, column: str, role: str, unknown: Sequence[str]
) -> tuple[list[Any], list[str], NDArray[np.int64], str | None, _Kind]:
    """The values ``column`` is flipped to, their labels, each row's own target index, a note, and
    whether the targets are values or quantile bins' medians."""
    import pandas as pd

    key = "model.proxies" if role == "proxy" else "columns.sensitive"
    present = series.dropna()
    if role == "sensitive":  # never flip a person to "unknown": only to a group
        known = {v: sensitive_label(v, unknown=unknown) != UNKNOWN for v in present.unique()}
        present = present[present.map(known).astype(bool)]
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    counts = present.value_counts()
    if len(counts) < 2:
        return (
            [],
            [],
            np.full(len(series), -1, dtype=np.int64),
            f"Counterfactual sensitivity: {column} ({key}) holds {len(counts)} distinct value(s) in the "
            "data, so there is nothing to flip it to; not tested.",
            "values",
        )
    if numeric and len(counts) > MAX_VALUES:
        values = present.to_numpy(dtype=np.float64)
        edges = np.unique(np.quantile(values, [k / NUMERIC_BINS for k in range(1, NUMERIC_BINS)]))
        raw = np.searchsorted(edges, values, side="right")
        used = np.unique(raw)  # a bin can be empty when many rows tie at a cut point
        bins = np.searchsorted(used, raw)
        observed = present.to_numpy()
        # the observed value at each bin's median (the lower middle value): an integer column stays integer
        medians = [np.sort(observed[bins == b])[(int((bins == b).sum()) - 1) // 2] for b in range(len(used))]
        own = np.full(len(series), -1, dtype=np.int64)
        own[series.notna().to_numpy()] = bins
        labels = [f"{_plain(m)} (median of bin {b + 1} of {len(medians)})" for b, m in enumerate(medians)]
        binned = (
            f"Counterfactual sensitivity: {column} ({key}) holds {len(counts)} distinct numbers, so it is "
            f"cut into {len(medians)} quantile bins and a flip sets it to the median of another bin "
            f"({', '.join(_plain(m) for m in medians)})."
        )
        return [m.item() if hasattr(m, "item") else m for m in medians], labels, own, binned, "quantile_bins"
    ordered = sorted(counts.items(), key=lambda item: (-int(item[1]), str(item[0])))
    note: str | None = None
    if len(ordered) > MAX_VALUES:
        shown = ", ".join(sensitive_label(v) for v, _ in ordered[:MAX_VALUES])
        note = (
            f"Counterfactual sensitivity: {column} ({key}) holds {len(ordered)} distinct values; it is "
            f"flipped to its {MAX_VALUES} most frequent only ({shown}), and rows holding another value "
            "to each of them."
        )
        ordered = ordered[:MAX_VALUES]
    values = [v for v, _ in ordered]
    position = {v: i for i, v in enumerate(values)}
    # each row's own target; -1 for a missing, rarer or unknown value
    own = series.astype(object).map(position).fillna(-1).to_numpy(dtype=np.int64)
    return values, [sensitive_label(v) for v in values], own, note, "values"


def _plain(value: Any) -> str:
    return f"{float(value):g}"


def _decide(scorer: ModelScorer, rows: Any, name: str) -> NDArray[np.int64]:
    """The model's decisions on ``rows``, in chunks of :data:`CHUNK_ROWS`."""
    parts = []
    for start in range(0, len(rows), CHUNK_ROWS):
        chunk = rows.iloc[start : start + CHUNK_ROWS]
        try:
            parts.append(scorer.decisions(chunk))
        except (SpecError, DataError):
            raise
        except Exception as exc:  # a model raises whatever its library raises on rows it cannot take
            text = str(exc).strip().splitlines()
            raise DataError(
                f"{name}: the model failed on rows with a sensitive column or proxy flipped "
                f"({type(exc).__name__}: {text[0] if text else ''}); the model must accept every value "
                "the column holds in the data (a pipeline's encoder with handle_unknown='ignore', say)."
            ) from None
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _changes(
    scorer: ModelScorer,
    rows: Any,
    column: str,
    targets: Sequence[Any],
    own: NDArray[np.int64],
    baseline: NDArray[np.int64],
    name: str,
) -> NDArray[np.int64]:
    """Per row, the bit mask of targets whose flip changes the decision (a row's own target: never)."""
    mask = np.zeros(len(rows), dtype=np.int64)
    for start in range(0, len(rows), CHUNK_ROWS):
        chunk = rows.iloc[start : start + CHUNK_ROWS].copy()
        stop = start + len(chunk)
        for j, value in enumerate(targets):
            chunk[column] = value
            decided = _decide(scorer, chunk, name)
            changed = (decided != baseline[start:stop]) & (own[start:stop] != j)
            mask[start:stop] |= changed.astype(np.int64) << j
    return mask


def counterfactual_analysis(
    frame: nw.LazyFrame[Any], plan: FlipPlan, spec: AuditSpec, *, origin: str = "<data>"
) -> Counterfactual:
    """Count, per flipped column and group of each sensitive column, the decisions a flip changes.

    Parameters
    ----------
    frame
        The rows with :func:`flip_decisions`' columns (groups already named).
    plan
        What was flipped.
    spec
        The audit's spec: its sensitive columns, unknown values and thresholds.
    origin
        The data source, for messages.

    Returns
    -------
    Counterfactual
        One table per flipped column and sensitive column, one piece of evidence per (flipped
        column, known group), and the plan's notes.

    Examples
    --------
    >>> import pandas as pd
    >>> from equityaudit.spec_loading import spec_from_mapping
    >>> spec = spec_from_mapping({"equityaudit": 1, "name": "t", "auditor": "decisions",
    ...     "data": {"path": "x.csv"}, "columns": {"sensitive": ["sex"], "decision": "d"}})
    >>> df = pd.DataFrame({"sex": ["F"] * 100 + ["M"] * 100, "model_flip_0": [0] * 190 + [1] * 10,
    ...                    "model_flip_0_own": [0] * 100 + [1] * 100})
    >>> plan = FlipPlan((FlippedColumn("sex", "sensitive", "values", ("F", "M"), "model_flip_0",
    ...                                "model_flip_0_own"),))
    >>> result = counterfactual_analysis(nw.from_native(df).lazy(), plan, spec)
    >>> [(r["group"]["sex"], r["flip_to"], r["n"], r["changed"]) for r in result.tables[0].rows]
    [('F', 'any other value', 100, 0), ('F', 'M', 100, 0), ('M', 'any other value', 100, 10), ('M', 'F', 100, 10)]
    >>> result.evidence[1].value, result.evidence[1].p_value == binomial_p(10, 100, 0.05)
    (0.1, True)
    """
    columns = spec.columns
    sensitive = list(columns.sensitive)
    unknown = list(columns.unknown_values)
    thresholds = spec.thresholds
    result = Counterfactual(notes=list(plan.notes))
    for flipped in plan.columns:
        keys = [*sensitive, flipped.changed_column, flipped.own_column]
        counted = collect_or_data_error(
            frame.group_by(keys, drop_null_keys=False).agg(nw.len().alias(_N)), origin
        )
        names = counted.columns
        records = [dict(zip(names, row, strict=True)) for row in counted.rows()]
        for by in sensitive:
            cells: dict[str, list[tuple[int, int, int]]] = {}
            for record in records:
                group = sensitive_label(record[by], unknown=unknown)
                cells.setdefault(group, []).append(
                    (int(record[flipped.changed_column]), int(record[flipped.own_column]), int(record[_N]))
                )
            table = _table(flipped, by, cells, spec)
            result.tables.append(table)
            result.evidence += [
                _evidence(flipped, table, row, spec)
                for row in table.rows
                if row["flip_to"] == ANY_VALUE and not row["excluded"]
            ]
    if result.evidence:
        result.notes.append(
            f"Counterfactual sensitivity: {len(result.evidence)} group share(s) of changed decisions judged "
            f"against thresholds.counterfactual = {thresholds.counterfactual:g}."
        )
    return result


def _table(
    flipped: FlippedColumn, by: str, cells: dict[str, list[tuple[int, int, int]]], spec: AuditSpec
) -> Table:
    alpha = spec.thresholds.alpha
    rows: list[dict[str, Any]] = []
    order = sorted(cells, key=lambda g: (g == UNKNOWN, g))
    for group in order:
        cell = cells[group]
        unknown = group == UNKNOWN
        counts = [(ANY_VALUE, sum(n for _, _, n in cell), sum(n for mask, _, n in cell if mask))]
        counts += [
            (
                label,
                sum(n for _, own, n in cell if own != j),
                sum(n for mask, _, n in cell if mask >> j & 1),
            )
            for j, label in enumerate(flipped.targets)
        ]
        for label, n, changed in counts:
            if n == 0 and label != ANY_VALUE:
                continue  # every row of the group already holds this value: nothing flipped to it
            low, high = wilson_interval(changed, n, alpha=alpha)
            rows.append(
                {
                    "group": {by: group},
                    "flip_to": label,
                    "n": n,
                    "changed": changed,
                    METRIC: finite_or_none(changed / n) if n else None,
                    f"{METRIC}_ci_low": finite_or_none(float(low)),
                    f"{METRIC}_ci_high": finite_or_none(float(high)),
                    "excluded": unknown,
                    "note": "sensitive value unknown: reported, not judged" if unknown else None,
                }
            )
    role = "proxy" if flipped.role == "proxy" else "sensitive column"
    return Table(
        name=f"counterfactual:{flipped.column}:{by}",
        by=[by],
        metric=METRIC,
        numerator="changed",
        denominator="n",
        reference=None,
        subject=f"decisions that change when the model's {role} {flipped.column} is flipped",
        methods={
            "counterfactual": f"Each row decided again by the same model with {flipped.column} set to "
            + (
                f"the median of each other of {len(flipped.targets)} quantile bins"
                if flipped.kind == "quantile_bins"
                else "each other value"
            )
            + "; changed: the decision differs under at least one flip (per flip_to: under that flip, of "
            "the rows not already holding the value)",
            "rate_ci": f"Wilson score interval ({1 - alpha:.0%})",
            "p_value": "exact one-sided binomial test of H0: share ≤ thresholds.counterfactual",
        },
        rows=rows,
    )


def binomial_p(changed: int, n: int, threshold: float) -> float | None:
    """The exact one-sided binomial p-value of H0: the true share of changed decisions ≤ ``threshold``.

    Examples
    --------
    10 changes in 100 against 5%: P(X ≥ 10) for X ~ Binomial(100, 0.05):

    >>> round(binomial_p(10, 100, 0.05), 5)
    0.02819
    >>> binomial_p(0, 0, 0.05) is None
    True
    """
    from scipy import stats

    if n <= 0:
        return None
    return finite_or_none(float(stats.binomtest(changed, n, threshold, alternative="greater").pvalue))


def _evidence(flipped: FlippedColumn, table: Table, row: dict[str, Any], spec: AuditSpec) -> Evidence:
    thresholds = spec.thresholds
    limit = thresholds.counterfactual
    minimum = thresholds.min_group_size
    n, changed, rate = row["n"], row["changed"], row[METRIC]
    group = row["group"]
    label = ", ".join(group.values())
    by = table.by[0]
    too_small = f"{n} rows, fewer than min_group_size {minimum}" if n < minimum or rate is None else None
    what = "proxy" if flipped.role == "proxy" else "sensitive column"
    advice = (
        f"The model's decisions depend on {flipped.column}, declared a stand-in for a sensitive attribute: "
        "remove it from the model's inputs, or justify its use as job-related and necessary."
        if flipped.role == "proxy"
        else f"The model's decisions depend on {flipped.column} itself: remove it from the model's inputs "
        "(and check what else stands in for it), or justify its use."
    )

    def describe(judgement: Judgement) -> str:
        level = f"{100 * limit:g}%"
        head = (
            f"Flipping the model's {what} {flipped.column} changes {fmt_pct(rate) if rate is not None else 'an undefined share'} "
            f"of the decisions for {label} ({by}; {changed:,} of {n:,}"
            + (
                f"; {1 - thresholds.alpha:.0%} CI {fmt_pct(row[f'{METRIC}_ci_low'])}–{fmt_pct(row[f'{METRIC}_ci_high'])})"
                if row[f"{METRIC}_ci_low"] is not None
                else ")"
            )
        )
        p_text = _p_text(judgement)
        status = judgement.status
        if status == "insufficient_data":
            return f"{head}: {too_small}, too few to judge. Score more held-out rows of this group."
        if status == "pass":
            return f"{head}: at or below the {level} limit, and the interval is clear of it."
        if status == "inconclusive":
            return (
                f"{head}: at or below the {level} limit, but the interval reaches above it and the share is not "
                f"significantly above the limit ({p_text}): inconclusive. More held-out rows would settle it."
            )
        if status == "fail":
            if judgement.significant:
                return f"{head}: above the {level} limit, and significantly so ({p_text}). {advice}"
            return (
                f"{head}: above the {level} limit, not significantly so ({p_text}) but failed because "
                "thresholds.require_significance is false."
            )
        if rate is not None and meets(rate, limit, "above"):  # warn on the right side
            return (
                f"{head}: at or below the {level} limit, but significantly above it ({p_text}) while the "
                "interval reaches above it. Review it."
            )
        return f"{head}: above the {level} limit, but not significantly so ({p_text}); it may be chance."

    return Evidence(
        id=f"{table.name}/{label}",
        metric=METRIC,
        kind="rate",
        table=table.name,
        group=dict(group),
        reference=None,
        value=rate,
        ci_low=row[f"{METRIC}_ci_low"],
        ci_high=row[f"{METRIC}_ci_high"],
        p_value=binomial_p(changed, n, limit),
        threshold=limit,
        adverse="above",
        family=f"counterfactual:{flipped.column}",
        too_small=too_small,
        describe=describe,
        details={"flipped": flipped.column, "role": flipped.role, "n": n, "changed": changed},
    )


def _p_text(judgement: Judgement) -> str:
    if judgement.p_adjusted is None:
        return "p not available"
    name = judgement.correction
    label = "p" if name == CORRECTION_NAMES["none"] else f"{name}-adjusted p"
    shown = fmt_p(judgement.p_adjusted)
    return f"{label} {shown}" if shown.startswith("<") else f"{label} = {shown}"

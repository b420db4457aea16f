"""The threshold sweep of a model audit: selection rates and impact ratios at every cut-off on a grid.

A model that gives a probability or a score is audited at one threshold (``model.threshold``);
:func:`threshold_sweep` shows what every other single cut-off would do. For each cut-off ``c`` on
a grid — 0.05, 0.10, …, 0.95 for probabilities, the score's deciles for scores, and the model's
own threshold — a row is selected when its score is at least ``c`` (the rule the model's
decision uses), and each group's selection rate, its impact ratio to the group with the highest
rate at that cut-off and, with a true label (``columns.outcome``, else ``model.outcome``), its accuracy are reported. The cut-offs at
which every compared group (``n >= thresholds.min_group_size``) has an impact ratio of at least
``thresholds.impact_ratio`` (exactly at it meets it, as in :func:`equityaudit.judging.meets`) are stated as a sentence and recorded in the table's ``tests``.

The data is counted once on its own backend: each row is given the number of grid cut-offs its
score reaches (a binned score), and one grouped aggregation counts rows per group, bin and
outcome; the counts selected at each cut-off are then cumulative sums over the bins, from the
top. Nothing is re-audited per cut-off. The sweep is descriptive: it is not judged and adds no
finding, so it leaves the audit's verdict and the judging family of its findings unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import narwhals as nw

from equityaudit.errors import listed
from equityaudit.frames import collect_or_data_error
from equityaudit.judging import meets
from equityaudit.results import Table
from equityaudit.spec import AuditSpec, LabelledColumn
from equityaudit.values import binary_mapping, null_as_none, sensitive_label

__all__ = ["Sweep", "probability_grid", "sweep_range_sentence", "threshold_sweep"]

_BIN = "__cuts_reached"
_N = "__n"


def probability_grid() -> list[float]:
    """The default cut-offs for probabilities: 0.05 to 0.95 in steps of 0.05.

    Examples
    --------
    >>> grid = probability_grid()
    >>> len(grid), grid[0], grid[9], grid[-1]
    (19, 0.05, 0.5, 0.95)
    """
    return [round(0.05 * i, 2) for i in range(1, 20)]


@dataclass
class Sweep:
    """A sweep's tables (one per grouping, named ``sweep:<by>``) and its notes."""

    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def threshold_sweep(
    frame: nw.LazyFrame[Any],
    spec: AuditSpec,
    *,
    score: str,
    groupings: Sequence[tuple[str, ...]],
    threshold: float | None = None,
    grid: Sequence[float] | None = None,
    origin: str = "<data>",
) -> Sweep:
    """Selection rate, impact ratio and accuracy by group at each cut-off of ``score``.

    Parameters
    ----------
    frame
        The scored rows (groups already named).
    spec
        The audit's spec: its sensitive columns, outcome, unknown values and thresholds.
    score
        The column of the model's probability or score.
    groupings
        The groupings to sweep (each sensitive column, and their cross).
    threshold
        The model's own threshold, added to the grid.
    grid
        The cut-offs; default :func:`probability_grid` when ``spec.model.output`` is
        ``probability``, else the score's deciles.
    origin
        The data source, for messages.

    Returns
    -------
    Sweep
        One table per grouping (rows: ``group``, ``cut_off``, ``n``, ``selected``,
        ``selection_rate``, ``impact_ratio``, ``compared``, and ``correct``/``accuracy`` with an
        outcome) and one note per grouping stating the range of cut-offs that meet the threshold.

    Examples
    --------
    >>> import pandas as pd
    >>> from equityaudit.spec_loading import spec_from_mapping
    >>> df = pd.DataFrame({"sex": ["F"] * 4 + ["M"] * 4, "s": [0.1, 0.3, 0.6, 0.8, 0.2, 0.6, 0.8, 0.9]})
    >>> spec = spec_from_mapping({"equityaudit": 1, "name": "t", "auditor": "decisions", "data": {"path": "x.csv"},
    ...     "columns": {"sensitive": ["sex"], "decision": "d"}, "thresholds": {"min_group_size": 1}})
    >>> sweep = threshold_sweep(nw.from_native(df).lazy(), spec, score="s", groupings=[("sex",)],
    ...                         grid=[0.25, 0.5, 0.75])
    >>> [(r["group"]["sex"], r["cut_off"], r["selection_rate"], round(r["impact_ratio"], 3))
    ...  for r in sweep.tables[0].rows]
    [('F', 0.25, 0.75, 1.0), ('F', 0.5, 0.5, 0.667), ('F', 0.75, 0.25, 0.5), ('M', 0.25, 0.75, 1.0), ('M', 0.5, 0.75, 1.0), ('M', 0.75, 0.5, 1.0)]
    >>> sweep.notes[0]
    'Threshold sweep by sex: every compared group has an impact ratio of at least 0.8 at the cut-offs 0.25 (1 of the 3 cut-offs swept).'
    """
    columns = spec.columns
    sensitive = list(columns.sensitive)
    output = spec.model.output if spec.model is not None else "probability"
    if grid is None:
        grid = probability_grid() if output == "probability" else _deciles(frame, score, origin)
    cuts = sorted({round(float(c), 10) for c in [*grid, *([threshold] if threshold is not None else [])]})
    label = spec.model_label  # columns.outcome, else model.outcome
    label_key, outcome = label if label is not None else ("columns.outcome", None)
    outcome_column = outcome.column if isinstance(outcome, LabelledColumn) else outcome
    keys = list(dict.fromkeys([*sensitive, *([outcome_column] if outcome_column else [])]))
    # the binned score: how many cut-offs each row's score reaches (selected at cut j ⇔ bin ≥ j + 1)
    reached = nw.sum_horizontal(*[(nw.col(score) >= cut).cast(nw.Int64) for cut in cuts]).alias(_BIN)
    counted = collect_or_data_error(
        frame.with_columns(reached).group_by([*keys, _BIN], drop_null_keys=False).agg(nw.len().alias(_N)),
        origin,
    )
    names = counted.columns
    records = [dict(zip(names, row, strict=True)) for row in counted.rows()]
    truth_of: dict[Any, int] | None = None
    if outcome is not None and outcome_column is not None:
        tally: dict[Any, int] = {}
        for record in records:
            value = null_as_none(record[outcome_column])
            tally[value] = tally.get(value, 0) + int(record[_N])
        truth_of = binary_mapping(tally, outcome, key=label_key, origin=origin)
    unknown = list(columns.unknown_values)
    sweep = Sweep()
    for by in groupings:
        # per group: rows by bin, and (with an outcome) positives by bin
        cells: dict[tuple[str, ...], dict[str, list[int]]] = {}
        for record in records:
            group = tuple(sensitive_label(record[c], unknown=unknown) for c in by)
            cell = cells.setdefault(group, {"n": [0] * (len(cuts) + 1), "pos": [0] * (len(cuts) + 1)})
            n = int(record[_N])
            position = int(record[_BIN] or 0)
            cell["n"][position] += n
            if truth_of is not None and outcome_column is not None:
                cell["pos"][position] += n * truth_of[null_as_none(record[outcome_column])]
        table = _table(
            by, cuts, cells, with_outcome=truth_of is not None, spec=spec, score=score, threshold=threshold
        )
        sweep.tables.append(table)
        sweep.notes.append(sweep_range_sentence(table))
    return sweep


def _deciles(frame: nw.LazyFrame[Any], score: str, origin: str) -> list[float]:
    """The score's nine deciles (10 %, …, 90 %), computed on the data's backend."""
    quantiles = [nw.col(score).quantile(q / 10, interpolation="linear").alias(f"q{q}") for q in range(1, 10)]
    (row,) = collect_or_data_error(frame.select(*quantiles), origin).rows()
    return [float(v) for v in row if null_as_none(v) is not None]


def _table(
    by: tuple[str, ...],
    cuts: list[float],
    cells: dict[tuple[str, ...], dict[str, list[int]]],
    *,
    with_outcome: bool,
    spec: AuditSpec,
    score: str,
    threshold: float | None,
) -> Table:
    minimum = spec.thresholds.min_group_size
    # cumulative from the top bin down: selected at cut j = rows whose score reaches at least j + 1 cuts
    per_group: dict[tuple[str, ...], dict[str, Any]] = {}
    for group, cell in sorted(cells.items()):
        n, positives = sum(cell["n"]), sum(cell["pos"])
        selected, true_positives = [], []
        running_n = running_pos = 0
        for position in range(len(cuts), 0, -1):
            running_n += cell["n"][position]
            running_pos += cell["pos"][position]
            selected.append(running_n)
            true_positives.append(running_pos)
        per_group[group] = {
            "n": n,
            "positives": positives,
            "selected": selected[::-1],
            "tp": true_positives[::-1],
            "compared": group != ("Unknown",) * len(by) and "Unknown" not in group and n >= minimum,
        }
    rows: list[dict[str, Any]] = []
    for group, counts in per_group.items():
        for j, cut in enumerate(cuts):
            highest = max(
                (c["selected"][j] / c["n"] for c in per_group.values() if c["compared"] and c["n"]),
                default=0.0,
            )
            rate = counts["selected"][j] / counts["n"] if counts["n"] else None
            row: dict[str, Any] = {
                "group": dict(zip(by, group, strict=True)),
                "cut_off": cut,
                "n": counts["n"],
                "selected": counts["selected"][j],
                "selection_rate": rate,
                "impact_ratio": rate / highest if rate is not None and highest > 0 else None,
                "compared": counts["compared"],
            }
            if with_outcome:
                # correct: selected and positive, or not selected and negative
                negatives_rejected = (counts["n"] - counts["positives"]) - (
                    counts["selected"][j] - counts["tp"][j]
                )
                row["correct"] = counts["tp"][j] + negatives_rejected
                row["accuracy"] = row["correct"] / counts["n"] if counts["n"] else None
            rows.append(row)
    meeting = [
        cut
        for j, cut in enumerate(cuts)
        if any(r["compared"] for r in rows if r["cut_off"] == cut)
        and all(
            r["impact_ratio"] is not None and meets(r["impact_ratio"], spec.thresholds.impact_ratio)
            for r in rows
            if r["cut_off"] == cut and r["compared"]
        )
    ]
    return Table(
        name=f"sweep:{'*'.join(by)}",
        by=list(by),
        metric="selection_rate",
        numerator="selected",
        denominator="n",
        reference=None,
        subject=f"threshold sweep of {score}: selected when the score is at least cut_off",
        methods={
            "sweep": "selected: rows whose score is at least cut_off; counted once per group and binned "
            "score on the data's backend, cumulated over the bins",
            "impact_ratio": "the group's selection rate over the highest rate among the compared groups "
            f"(n ≥ {minimum}, not Unknown) at the same cut-off; null when no compared group is selected",
            **(
                {"accuracy": "share of the group's rows where the decision at cut_off equals the outcome"}
                if with_outcome
                else {}
            ),
            "judging": "descriptive: not judged, no finding",
        },
        rows=rows,
        tests={
            "meets_impact_ratio": {
                "threshold": spec.thresholds.impact_ratio,
                "cut_offs": meeting,
                "ranges": [list(r) for r in _runs(cuts, meeting)],
                "swept": len(cuts),
                "model_threshold": threshold,
            }
        },
    )


def _runs(cuts: Sequence[float], meeting: Sequence[float]) -> list[tuple[float, float]]:
    """The meeting cut-offs as runs of consecutive grid cut-offs: [(low, high), …]."""
    chosen = set(meeting)
    runs: list[tuple[float, float]] = []
    start: float | None = None
    previous: float | None = None
    for cut in cuts:
        if cut in chosen:
            start = cut if start is None else start
            previous = cut
        elif start is not None and previous is not None:
            runs.append((start, previous))
            start = None
    if start is not None and previous is not None:
        runs.append((start, previous))
    return runs


def sweep_range_sentence(table: Table) -> str:
    """The sentence stating at which single cut-offs every compared group meets the impact-ratio threshold.

    Examples
    --------
    >>> table = Table(name="sweep:sex", by=["sex"], metric="selection_rate", numerator="selected",
    ...     denominator="n", reference=None, rows=[], tests={"meets_impact_ratio": {"threshold": 0.8,
    ...     "cut_offs": [0.1, 0.2, 0.4], "ranges": [[0.1, 0.2], [0.4, 0.4]], "swept": 5, "model_threshold": 0.5}})
    >>> sweep_range_sentence(table)
    'Threshold sweep by sex: every compared group has an impact ratio of at least 0.8 at the cut-offs 0.1 to 0.2 and 0.4 (3 of the 5 cut-offs swept); the model threshold 0.5 is not among them.'
    """
    meets = table.tests["meets_impact_ratio"]
    by = " × ".join(table.by)
    limit = f"{meets['threshold']:g}"
    runs = [f"{lo:g}" if lo == hi else f"{lo:g} to {hi:g}" for lo, hi in meets["ranges"]]
    if not runs:
        sentence = (
            f"Threshold sweep by {by}: at none of the {meets['swept']} cut-offs swept does every compared "
            f"group have an impact ratio of at least {limit}."
        )
    else:
        sentence = (
            f"Threshold sweep by {by}: every compared group has an impact ratio of at least {limit} at the "
            f"cut-offs {listed(runs)} ({len(meets['cut_offs'])} of the {meets['swept']} cut-offs swept)."
        )
    model = meets.get("model_threshold")
    if model is not None and runs:
        inside = model in meets["cut_offs"]
        sentence = sentence[:-1] + (
            f"; the model threshold {model:g} is {'among them' if inside else 'not among them'}."
        )
    return sentence

"""Search for a less discriminatory alternative (LDA) to a spec's model: refit candidates, keep the Pareto front.

US disparate-impact law asks whether an employer could have used an alternative practice that
serves its purpose about as well and is less discriminatory (UGESP 29 CFR 1607.3(B)).
:func:`lda_search` answers that question for a spec's ``model:`` (a scikit-learn model or pipeline
from a skops file): it refits candidate models on the user's training rows, decides the spec's
held-out rows with each, and reports each candidate's accuracy and worst impact ratio there.

The candidates (:data:`GRIDS` fixes how many of each):

- ``current``: the model file itself, scored as ``equityaudit run`` scores it;
- ``refit``: the same estimator (:func:`sklearn.base.clone`) refitted as it is, the baseline that
  separates what the training rows give from what the search changes;
- ``drop:<feature>``: refitted without each feature in turn (and without each declared proxy, when
  ``model.proxies`` exists and names several);
- ``regularised:<param>=<value>``: the final estimator's ``C`` divided, or ``alpha`` multiplied, by
  each factor of the grid (stronger regularisation);
- ``eg:<constraint>``: fairlearn's ``ExponentiatedGradient`` with ``DemographicParity``,
  ``EqualizedOdds`` or ``TruePositiveRateParity`` on the training rows' sensitive column. Its
  randomised mixture is made deterministic: a row is selected when the predictors that select it
  carry more than half of the mixture's weight (a weighted hard vote; fairlearn's ``_pmf_predict``
  gives that weight), which is a scikit-learn ``VotingClassifier`` that can be saved;
- ``grid:<constraint>:<k>``: each classifier of fairlearn's ``GridSearch`` grid over the Lagrange
  multipliers of the same constraints (fairlearn's own pick is marked).

The reductions need the sensitive attribute only while fitting; their classifiers decide by their
labels (``predict``), the rule the constraint was enforced on. The refits decide as the model
does: ``predict_proba`` (or ``decision_function``) at the model's threshold.

Each candidate is evaluated on the held-out rows: accuracy against the true label (``columns.outcome``,
else ``model.outcome``), the selection rate of every group of every grouping the spec audits (each
sensitive column and, with ``columns.intersectional``, their cross), and for each grouping the
impact ratio ``min rate / max rate`` over the compared groups (at least
``thresholds.min_group_size`` rows, not Unknown). The worst impact ratio is the lowest over the
groupings. A candidate is on the **Pareto front** when no other candidate is at least as accurate
and at least as fair with one of the two strictly better, and is a **less discriminatory
alternative** when its accuracy is at least the current model's minus ``tolerance`` and its worst
impact ratio is strictly higher.

Group-specific thresholds (fairlearn's ``ThresholdOptimizer``) are evaluated as a *what-if* only:
a different cut-off per group is not lawful for US employment decisions (Civil Rights Act of 1991
§106, 42 U.S.C. 2000e-2(l)), so it is never on the front and never an LDA.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from equityaudit.errors import DataError, SpecError, counted, did_you_mean
from equityaudit.frames import Source, collect_or_data_error, read_source, rows_for_python
from equityaudit.spec import AuditSpec, LabelledColumn, ModelSpec
from equityaudit.values import UNKNOWN, binary_mapping, null_as_none, sensitive_label
from equityaudit.version import __version__

__all__ = [
    "CAVEAT",
    "GRIDS",
    "SCHEMA",
    "Candidate",
    "Evaluation",
    "GroupRate",
    "LdaSearch",
    "evaluate_decisions",
    "lda_search",
    "less_discriminatory",
    "pareto_front",
]

SCHEMA = "equityaudit.lda/1"
"""The ``schema`` of an LDA search's JSON."""

CAVEAT = (
    "What-if only: group-specific cut-offs are not lawful for US employment decisions (Civil Rights "
    "Act of 1991 §106, 42 U.S.C. 2000e-2(l) forbids using different cut-off scores on the basis of "
    "race, color, religion, sex or national origin); never on the front, never an LDA."
)
"""The caveat every what-if row (group-specific thresholds) carries."""

Grid = Literal["full", "quick"]

GRIDS: dict[str, dict[str, Any]] = {
    "full": {
        "C_divisors": [3, 10, 30, 100, 300, 1000],
        "alpha_factors": [3, 10, 30, 100, 300, 1000],
        "constraints": ["DemographicParity", "EqualizedOdds", "TruePositiveRateParity"],
        "eg_max_iter": 50,
        "grid_size": 16,
    },
    "quick": {
        "C_divisors": [10, 100],
        "alpha_factors": [10, 100],
        "constraints": ["DemographicParity"],
        "eg_max_iter": 5,
        "grid_size": 4,
    },
}
"""The candidate grids: ``full`` (the default) and ``quick`` (for a first look, and the tests)."""

_CONSTRAINT_IDS = {
    "DemographicParity": "demographic-parity",
    "EqualizedOdds": "equalized-odds",
    "TruePositiveRateParity": "tpr-parity",
}
_EPS = 1e-12


@dataclass(frozen=True)
class GroupRate:
    """One group's selection on the held-out rows."""

    group: str
    n: int
    selected: int
    selection_rate: float | None
    compared: bool
    """At least ``thresholds.min_group_size`` rows and not Unknown: counts in the impact ratio."""


@dataclass(frozen=True)
class Evaluation:
    """A candidate's decisions on the held-out rows, measured."""

    rows: int
    accuracy: float
    selection_rate: float
    impact_ratios: dict[str, float | None]
    """Per grouping (``sex``, ``sex*race_ethnicity``): lowest / highest rate of its compared groups;
    ``None`` with fewer than two compared groups or no compared group selected."""
    worst_impact_ratio: float | None
    worst_grouping: str | None
    groups: dict[str, list[GroupRate]]


@dataclass
class Candidate:
    """One candidate model, how it was made and how it did on the held-out rows."""

    id: str
    name: str
    kind: str
    description: str
    evaluation: Evaluation
    estimator: Any = field(default=None, repr=False)
    """What decides the rows (a fitted scikit-learn object), saved by ``--save``; ``None`` for the current model."""
    output: str = "probability"
    """How ``estimator`` decides, as ``model.output`` says it: probability, score or label."""
    features: list[str] = field(default_factory=list)
    """The columns the candidate reads, in its order (``model.features`` for a saved one)."""
    on_front: bool = False
    lda: bool = False
    what_if: bool = False
    caveat: str | None = None
    saved: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The candidate as its JSON holds it."""
        e = self.evaluation
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "decides_by": self.output,
            "features": self.features,
            "accuracy": e.accuracy,
            "selection_rate": e.selection_rate,
            "worst_impact_ratio": e.worst_impact_ratio,
            "worst_grouping": e.worst_grouping,
            "impact_ratios": e.impact_ratios,
            "groups": {
                by: [
                    {
                        "group": g.group,
                        "n": g.n,
                        "selected": g.selected,
                        "selection_rate": g.selection_rate,
                        "compared": g.compared,
                    }
                    for g in rates
                ]
                for by, rates in e.groups.items()
            },
            "on_front": self.on_front,
            "lda": self.lda,
            "what_if": self.what_if,
            "caveat": self.caveat,
            "saved": self.saved,
        }


@dataclass
class LdaSearch:
    """An LDA search: every candidate evaluated, the front and the LDAs marked (see the module docstring)."""

    name: str
    spec: str
    model: dict[str, Any]
    train: dict[str, Any]
    held_out: dict[str, Any]
    label: str
    sensitive: str
    groupings: list[str]
    thresholds: dict[str, float]
    tolerance: float
    grid: str
    seed: int
    candidates: list[Candidate]
    what_if: list[Candidate]
    skipped: list[dict[str, str]]
    seconds: float

    @property
    def current(self) -> Candidate:
        """The model file's own row."""
        return next(c for c in self.candidates if c.kind == "current")

    @property
    def ldas(self) -> list[Candidate]:
        """The less discriminatory alternatives, most accurate first."""
        return [c for c in self.ordered() if c.lda]

    def ordered(self) -> list[Candidate]:
        """The candidates as reports list them: the current model, then the front, then the rest,
        each by accuracy (highest first), then by worst impact ratio."""

        def key(c: Candidate) -> tuple[int, float, float, str]:
            rank = 0 if c.kind == "current" else 1 if c.on_front else 2
            ratio = c.evaluation.worst_impact_ratio
            return (rank, -c.evaluation.accuracy, -(ratio if ratio is not None else -1.0), c.id)

        return sorted(self.candidates, key=key)

    def summary(self) -> str:
        """One paragraph: how many candidates, whether an LDA was found and the best one."""
        current = self.current.evaluation
        front = sum(c.on_front for c in self.candidates)
        head = (
            f"{len(self.candidates)} candidates evaluated on {current.rows:,} held-out rows "
            f"({front} on the accuracy / impact-ratio Pareto front). The current model: accuracy "
            f"{current.accuracy:.4f}, worst impact ratio {_ratio(current.worst_impact_ratio)}"
            + (f" ({current.worst_grouping})" if current.worst_grouping else "")
            + ". "
        )
        ldas = self.ldas
        if not ldas:
            return head + (
                f"No less discriminatory alternative found: no candidate within {self.tolerance:g} of the "
                "current model's accuracy has a higher worst impact ratio."
            )
        best = max(ldas, key=lambda c: (c.evaluation.worst_impact_ratio or 0.0, c.evaluation.accuracy))
        b = best.evaluation
        return head + (
            f"{counted(len(ldas), 'less discriminatory alternative')} found (accuracy within "
            f"{self.tolerance:g} of the current model's, higher worst impact ratio); the least disparate is "
            f"{best.name}: accuracy {b.accuracy:.4f}, worst impact ratio {_ratio(b.worst_impact_ratio)}."
        )

    def to_dict(self) -> dict[str, Any]:
        """The search as its JSON (schema ``equityaudit.lda/1``) holds it."""
        return {
            "schema": SCHEMA,
            "tool": {"name": "equityaudit", "version": __version__},
            "name": self.name,
            "spec": self.spec,
            "model": self.model,
            "train": self.train,
            "held_out": self.held_out,
            "label": self.label,
            "sensitive": self.sensitive,
            "groupings": self.groupings,
            "thresholds": self.thresholds,
            "tolerance": self.tolerance,
            "grid": {"name": self.grid, **GRIDS[self.grid]},
            "seed": self.seed,
            "current": self.current.id,
            "lda_found": bool(self.ldas),
            "ldas": [c.id for c in self.ldas],
            "front": [c.id for c in self.ordered() if c.on_front],
            "summary": self.summary(),
            "candidates": [c.to_dict() for c in self.ordered()],
            "what_if": [c.to_dict() for c in self.what_if],
            "skipped": self.skipped,
            "seconds": round(self.seconds, 3),
            "methods": {
                "accuracy": "share of the held-out rows whose decision equals the true label",
                "impact_ratio": "per grouping: the lowest over the highest selection rate among its compared "
                f"groups (n ≥ {self.thresholds['min_group_size']:g}, not Unknown); worst: the lowest over "
                "the groupings",
                "front": "no other candidate has accuracy and worst impact ratio both at least as high, one "
                "strictly; a candidate without a worst impact ratio is not on the front",
                "lda": f"accuracy ≥ the current model's − {self.tolerance:g} and worst impact ratio strictly "
                "higher than the current model's",
                "reductions": "fairlearn reductions fitted with the training rows' sensitive column; they "
                "decide by their classifiers' labels (ExponentiatedGradient: selected when the selecting "
                "predictors carry more than half the mixture's weight)",
                "what_if": CAVEAT,
            },
        }


def _ratio(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.3f}"


# --- evaluation ------------------------------------------------------------------------------


def evaluate_decisions(
    decisions: NDArray[Any],
    label: NDArray[Any],
    groupings: dict[str, NDArray[Any]],
    *,
    min_group_size: int,
) -> Evaluation:
    """Accuracy, selection rate per group and impact ratios of one set of decisions.

    Parameters
    ----------
    decisions
        1 (selected) or 0 per held-out row.
    label
        The true label, 1 or 0 per row.
    groupings
        Per grouping name, each row's group label (``Unknown`` for an unknown value; a cross is
        ``"Female, Asian"``; a group containing Unknown is not compared).
    min_group_size
        Groups with fewer rows are listed but not compared.

    Examples
    --------
    >>> d = np.array([1, 1, 0, 0, 1, 0, 0, 0]); y = np.array([1, 0, 0, 0, 1, 0, 0, 1])
    >>> sex = np.array(["F", "F", "F", "F", "M", "M", "M", "M"])
    >>> e = evaluate_decisions(d, y, {"sex": sex}, min_group_size=1)
    >>> e.accuracy, e.impact_ratios, [(g.group, g.selection_rate) for g in e.groups["sex"]]
    (0.75, {'sex': 0.5}, [('F', 0.5), ('M', 0.25)])
    """
    decisions = np.asarray(decisions).astype(np.int64)
    label = np.asarray(label).astype(np.int64)
    rows = len(decisions)
    ratios: dict[str, float | None] = {}
    tables: dict[str, list[GroupRate]] = {}
    for by, values in groupings.items():
        keys, inverse = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)
        n = np.bincount(inverse, minlength=len(keys))
        selected = np.bincount(inverse, weights=decisions, minlength=len(keys)).astype(np.int64)
        rates = []
        for key, count, chosen in zip(keys, n, selected, strict=True):
            group = str(key)
            known = UNKNOWN not in group.split(", ")
            rates.append(
                GroupRate(
                    group=group,
                    n=int(count),
                    selected=int(chosen),
                    selection_rate=float(chosen / count) if count else None,
                    compared=known and int(count) >= min_group_size,
                )
            )
        tables[by] = rates
        compared = [r.selection_rate for r in rates if r.compared and r.selection_rate is not None]
        highest = max(compared, default=0.0)
        ratios[by] = min(compared) / highest if len(compared) >= 2 and highest > 0 else None
    defined = {by: r for by, r in ratios.items() if r is not None}
    worst_by = min(defined, key=lambda by: defined[by]) if defined else None
    return Evaluation(
        rows=rows,
        accuracy=float(np.mean(decisions == label)) if rows else 0.0,
        selection_rate=float(np.mean(decisions)) if rows else 0.0,
        impact_ratios=ratios,
        worst_impact_ratio=defined[worst_by] if worst_by is not None else None,
        worst_grouping=worst_by,
        groups=tables,
    )


def pareto_front(points: Sequence[tuple[float, float | None]]) -> list[bool]:
    """Which (accuracy, worst impact ratio) points no other point dominates (both maximised).

    A point is dominated when another is at least as high in both and strictly higher in one;
    equal points are both on the front; a point without a ratio (``None``) is never on it.

    Examples
    --------
    >>> pareto_front([(0.9, 0.7), (0.88, 0.9), (0.87, 0.8), (0.9, 0.7), (0.95, None)])
    [True, True, False, True, False]
    """
    front = []
    for accuracy, ratio in points:
        if ratio is None:
            front.append(False)
            continue
        dominated = any(
            r is not None and a >= accuracy and r >= ratio and (a > accuracy or r > ratio) for a, r in points
        )
        front.append(not dominated)
    return front


def less_discriminatory(
    current: tuple[float, float | None], candidate: tuple[float, float | None], *, tolerance: float
) -> bool:
    """Whether ``candidate`` (accuracy, worst impact ratio) is a less discriminatory alternative to ``current``.

    Its accuracy is at least the current model's minus ``tolerance``, and its worst impact ratio is
    strictly higher (any defined ratio is higher than an undefined one).

    Examples
    --------
    >>> less_discriminatory((0.90, 0.70), (0.895, 0.75), tolerance=0.01)
    True
    >>> less_discriminatory((0.90, 0.70), (0.885, 0.95), tolerance=0.01)
    False
    """
    accuracy, ratio = candidate
    if ratio is None or accuracy < current[0] - tolerance - _EPS:
        return False
    return current[1] is None or ratio > current[1] + _EPS


# --- the search ------------------------------------------------------------------------------


@dataclass
class _Rows:
    frame: Any
    """Every column the search reads, as a pandas frame."""
    features: Any
    """The model's feature columns (a pandas frame; a model fitted without names gets its numbers)."""
    label: NDArray[np.int64]
    sensitive: NDArray[Any]
    """The constraint column's group labels."""


@dataclass(frozen=True)
class _Plan:
    id: str
    name: str
    kind: str
    description: str
    make: Callable[[], Iterator[Candidate]]


def lda_search(
    spec: AuditSpec | str | Path,
    train: Any,
    *,
    sensitive: str | None = None,
    tolerance: float = 0.01,
    grid: Grid = "full",
    seed: int = 0,
    on_progress: Callable[[str], None] | None = None,
) -> LdaSearch:
    """Refit candidates of the spec's model on ``train`` and evaluate them on the spec's held-out rows.

    Parameters
    ----------
    spec
        A spec (or its file) with a ``model:`` naming a skops file, and a true label
        (``columns.outcome`` or ``model.outcome``) in its held-out data.
    train
        The training rows (a file or any frame equityaudit reads): the model's features, the
        sensitive column and the label column, named as in the held-out data.
    sensitive
        The sensitive column the fairlearn reductions constrain; default the spec's first.
    tolerance
        How much less accurate than the current model an LDA may be (0.01: one percentage point).
    grid
        ``full`` or ``quick`` (:data:`GRIDS`).
    seed
        The random state of the what-if's ``ThresholdOptimizer`` predictions (the only randomness).
    on_progress
        Called with a line after each candidate is done.

    Raises
    ------
    SpecError
        No ``model:``, an ONNX model, no true label, an unknown ``sensitive`` column, a bad ``tolerance``.
    DataError
        The training rows lack a feature, the sensitive or the label column, or the model cannot
        be refitted on them.

    Examples
    --------
    >>> search = lda_search("audits/model-screening.yaml", "audits/model-screening-train.csv", grid="quick")
    >>> search.current.name, len(search.candidates) >= 8, search.what_if[0].caveat == CAVEAT
    ('current model', True, True)
    """
    from equityaudit.engine import prepare
    from equityaudit.models import DECISION_COLUMN
    from equityaudit.spec_loading import load_spec

    started = time.perf_counter()
    loaded_spec = spec if isinstance(spec, AuditSpec) else load_spec(spec)
    origin = loaded_spec.origin
    model_spec, role, label_key, constrained = _checked_request(loaded_spec, sensitive, tolerance, grid)
    label_column = role.column if isinstance(role, LabelledColumn) else role
    columns = loaded_spec.columns

    prepared = prepare(loaded_spec)
    assert prepared.model is not None
    features = list(prepared.model.features)
    fitted = _load_estimator(model_spec.path, list(model_spec.trusted), f"{origin}: model.path")
    named = getattr(fitted, "feature_names_in_", None) is not None
    held_source = prepared.source
    unknown = list(columns.unknown_values)
    groupings = [[c] for c in columns.sensitive]
    if columns.intersectional and len(columns.sensitive) > 1:
        groupings.append(list(columns.sensitive))
    held = _rows(
        held_source,
        features,
        role,
        label_key,
        label_column,
        constrained,
        unknown,
        extra=[DECISION_COLUMN, *columns.sensitive],
    )
    held_frame = held.frame
    held_groups = {
        "*".join(by): _group_labels([held_frame[c].to_numpy() for c in by], unknown) for by in groupings
    }
    current_decisions = held_frame[DECISION_COLUMN].to_numpy().astype(np.int64)

    train_source = _train_source(train)
    from equityaudit.groups import apply_groups

    train_source, _ = apply_groups(train_source, loaded_spec, origin=origin)
    _check_train_columns(
        train_source, [*features, constrained, label_column], features, constrained, label_column
    )
    training = _rows(train_source, features, role, label_key, label_column, constrained, unknown, extra=[])

    minimum = loaded_spec.thresholds.min_group_size
    output = model_spec.output
    cut_off = model_spec.cut_off

    def measure(decisions: NDArray[Any]) -> Evaluation:
        return evaluate_decisions(decisions, held.label, held_groups, min_group_size=minimum)

    candidates: list[Candidate] = [
        Candidate(
            id="current",
            name="current model",
            kind="current",
            description=f"{model_spec.path.name} as saved, decided as equityaudit run decides it",
            evaluation=measure(current_decisions),
            output=output,
            features=features,
        )
    ]
    context = _Context(
        fitted, named, output, cut_off, training, held, measure, GRIDS[grid], seed, train_source.name
    )
    plans = _plans(context, features, getattr(model_spec, "proxies", None))
    skipped: list[dict[str, str]] = []
    what_if: list[Candidate] = []
    report = on_progress or (lambda line: None)
    total = len(plans)
    for position, plan in enumerate(plans, start=1):
        began = time.perf_counter()
        try:
            made = list(plan.make())
        except _SkipError as exc:
            skipped.append({"id": plan.id, "reason": str(exc)})
            report(f"[{position}/{total}] {plan.name}: skipped ({exc})")
            continue
        for candidate in made:
            (what_if if candidate.what_if else candidates).append(candidate)
        elapsed = time.perf_counter() - began
        report(f"[{position}/{total}] {plan.name}: {counted(len(made), 'candidate')}, {elapsed:.1f} s")

    points = [(c.evaluation.accuracy, c.evaluation.worst_impact_ratio) for c in candidates]
    current_point = points[0]
    for candidate, on_front in zip(candidates, pareto_front(points), strict=True):
        candidate.on_front = on_front
        candidate.lda = candidate.kind != "current" and less_discriminatory(
            current_point,
            (candidate.evaluation.accuracy, candidate.evaluation.worst_impact_ratio),
            tolerance=tolerance,
        )
    path = model_spec.path
    return LdaSearch(
        name=loaded_spec.name,
        spec=origin,
        model={
            "path": _display(path),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "type": prepared.model.type,
            "features": features,
            "output": output,
            "threshold": cut_off,
        },
        train={"source": train_source.name, "sha256": train_source.sha256, "rows": len(training.label)},
        held_out={"source": held_source.name, "sha256": held_source.sha256, "rows": len(held.label)},
        label=f"{label_key}: {label_column}",
        sensitive=constrained,
        groupings=list(held_groups),
        thresholds={"impact_ratio": loaded_spec.thresholds.impact_ratio, "min_group_size": minimum},
        tolerance=float(tolerance),
        grid=grid,
        seed=seed,
        candidates=candidates,
        what_if=what_if,
        skipped=skipped,
        seconds=time.perf_counter() - started,
    )


def _checked_request(
    spec: AuditSpec, sensitive: str | None, tolerance: float, grid: str
) -> tuple[ModelSpec, str | LabelledColumn, str, str]:
    """What an LDA search of ``spec`` needs, checked before any data is read: the model block,
    the true label and its key, and the sensitive column the reductions constrain."""
    origin = spec.origin
    if grid not in GRIDS:
        raise SpecError(f"grid: expected one of {', '.join(GRIDS)}, found {grid!r}.")
    if not (isinstance(tolerance, int | float) and 0 <= tolerance < 1):
        raise SpecError(
            f"tolerance: expected a share of accuracy from 0 to below 1 (0.01 is one percentage point), "
            f"found {tolerance!r}."
        )
    model_spec = spec.model
    if model_spec is None:
        raise SpecError(
            f"{origin}: the LDA search refits the spec's model, but the spec has no model: block; add "
            "model: {path: MODEL.skops, ...} (docs/spec.md#models)."
        )
    if model_spec.path.suffix.lower() == ".onnx":
        raise SpecError(
            f"{origin}: model.path: {model_spec.path.name} is an ONNX model, which cannot be refitted; the LDA "
            "search needs a scikit-learn model or pipeline saved with skops (.skops), whose estimator it "
            "clones and refits."
        )
    role = spec.columns.outcome or model_spec.outcome
    if role is None:
        raise SpecError(
            f"{origin}: the LDA search measures accuracy, which needs the held-out rows' true label; add "
            'model.outcome: {column: COLUMN, positive: ["VALUE"]} (or columns.outcome, for an auditor that '
            "takes one) naming it."
        )
    label_key = "columns.outcome" if spec.columns.outcome is not None else "model.outcome"
    listed = spec.columns.sensitive
    if not listed:
        raise SpecError(f"{origin}: columns.sensitive is empty; the LDA search compares groups.")
    constrained = sensitive if sensitive is not None else listed[0]
    if constrained not in listed:
        raise SpecError(
            f"--sensitive {constrained!r} is not one of the spec's sensitive columns "
            f"({', '.join(repr(c) for c in listed)}). "
            f"{did_you_mean(constrained, listed, label='Sensitive columns')}"
        )
    return model_spec, role, label_key, constrained


class _SkipError(Exception):
    """A candidate that cannot be made from this estimator (said in the output, not an error)."""


@dataclass
class _Context:
    fitted: Any
    named: bool
    output: str
    cut_off: float | None
    train: _Rows
    held: _Rows
    measure: Callable[[NDArray[Any]], Evaluation]
    grid: dict[str, Any]
    seed: int
    train_name: str


def _plans(ctx: _Context, features: list[str], proxies: Any) -> list[_Plan]:
    plans = [
        _Plan(
            "refit",
            "refit as is",
            "refit",
            "the same estimator refitted on the training rows",
            lambda: _refit(
                ctx, "refit", "refit as is", "refit", "the same estimator refitted on the training rows"
            ),
        )
    ]
    if len(features) > 1:
        for feature in features:
            plans.append(_drop_plan(ctx, [feature], f"drop:{feature}", f"without {feature}"))
    if isinstance(proxies, list | tuple) and len(proxies) > 1:  # model.proxies, where another change adds it
        kept = [p for p in proxies if p in features]
        if kept and len(kept) < len(features):
            plans.append(
                _drop_plan(ctx, kept, "drop:proxies", f"without the declared proxies {', '.join(kept)}")
            )
    plans.extend(_regularisation_plans(ctx))
    for constraint in ctx.grid["constraints"]:
        plans.append(
            _Plan(
                f"eg:{_CONSTRAINT_IDS[constraint]}",
                f"ExponentiatedGradient {constraint}",
                "exponentiated_gradient",
                "",
                partial(_exponentiated_gradient, ctx, constraint),
            )
        )
    for constraint in ctx.grid["constraints"]:
        plans.append(
            _Plan(
                f"grid:{_CONSTRAINT_IDS[constraint]}",
                f"GridSearch {constraint}",
                "grid_search",
                "",
                partial(_grid_search, ctx, constraint),
            )
        )
    plans.append(
        _Plan(
            "what-if:threshold-optimizer",
            "ThresholdOptimizer (what-if)",
            "what_if",
            "",
            lambda: _what_if(ctx),
        )
    )
    return plans


def _drop_plan(ctx: _Context, dropped: list[str], id_: str, name: str) -> _Plan:
    description = f"the same estimator refitted without {', '.join(dropped)}"
    return _Plan(
        id_, name, "drop", description, lambda: _refit(ctx, id_, name, "drop", description, drop=dropped)
    )


def _regularisation_plans(ctx: _Context) -> list[_Plan]:
    final, prefix = _final_step(ctx.fitted)
    params = final.get_params(deep=False)
    plans = []
    for parameter, factors in (("C", ctx.grid["C_divisors"]), ("alpha", ctx.grid["alpha_factors"])):
        value = params.get(parameter)
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            continue
        for factor in factors:
            new = float(value) / factor if parameter == "C" else float(value) * factor
            id_ = f"regularised:{parameter}={new:.4g}"
            how = "÷" if parameter == "C" else "×"
            name = f"{parameter} {how} {factor} ({new:.4g})"
            description = (
                f"the same estimator refitted with {parameter} = {new:.4g} ({value:g} {how} {factor})"
            )
            plans.append(
                _Plan(
                    id_,
                    name,
                    "regularised",
                    description,
                    partial(
                        _refit,
                        ctx,
                        id_,
                        name,
                        "regularised",
                        description,
                        params={f"{prefix}{parameter}": new},
                    ),
                )
            )
    return plans


def _final_step(estimator: Any) -> tuple[Any, str]:
    """The estimator that decides (a pipeline's last step) and the prefix of its parameters."""
    steps = getattr(estimator, "steps", None)
    if isinstance(steps, list) and steps:
        name, final = steps[-1]
        return final, f"{name}__"
    return estimator, ""


def _matrix(ctx: _Context, rows: _Rows, drop: Sequence[str] = ()) -> Any:
    frame = rows.features.drop(columns=list(drop)) if drop else rows.features
    return frame if ctx.named else frame.to_numpy()


def _decide(estimator: Any, matrix: Any, output: str, cut_off: float | None) -> NDArray[np.int64]:
    """The model's decision rule (``model.output`` and its threshold) applied to a refitted estimator."""
    if output == "label":
        labels = np.asarray(estimator.predict(matrix))
        classes = list(getattr(estimator, "classes_", [0, 1]))
        return np.asarray(labels == classes[-1], dtype=np.int64)
    raw = np.asarray(
        estimator.predict_proba(matrix) if output == "probability" else estimator.decision_function(matrix)
    )
    values = raw[:, -1] if raw.ndim == 2 else raw
    assert cut_off is not None
    return np.asarray(values >= cut_off, dtype=np.int64)


def _refit(
    ctx: _Context,
    id_: str,
    name: str,
    kind: str,
    description: str,
    *,
    drop: Sequence[str] = (),
    params: dict[str, Any] | None = None,
) -> Iterator[Candidate]:
    from sklearn.base import clone

    estimator = clone(ctx.fitted)
    if params:
        estimator.set_params(**params)
    try:
        estimator.fit(_matrix(ctx, ctx.train, drop), ctx.train.label)
        decisions = _decide(estimator, _matrix(ctx, ctx.held, drop), ctx.output, ctx.cut_off)
    except Exception as exc:  # an estimator raises whatever its library raises
        if kind == "refit":
            raise DataError(
                f"{ctx.train_name}: the model's estimator cannot be refitted on these training rows "
                f"({type(exc).__name__}: {_first_line(exc)}); the training file must hold the model's "
                "features as the held-out rows do (numbers, or what the saved pipeline encodes)."
            ) from None
        raise _SkipError(f"{type(exc).__name__}: {_first_line(exc)}") from None
    kept = [c for c in ctx.train.features.columns if c not in set(drop)]
    yield Candidate(
        id_,
        name,
        kind,
        description,
        ctx.measure(decisions),
        estimator=estimator,
        output=ctx.output,
        features=kept,
    )


@contextlib.contextmanager
def _quiet_fairlearn() -> Iterator[None]:
    """Silence the deprecation warnings fairlearn's own pandas code raises (fairlearn 0.13 grows
    Series with ``.at`` and sets values of another dtype, which pandas 3 deprecates): noise about
    fairlearn's internals that a user of equityaudit can do nothing about."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"fairlearn(\.|$)")
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"fairlearn(\.|$)")
        yield


def _constraint(name: str) -> Any:
    from fairlearn import reductions

    return getattr(reductions, name)()


def _weight_name(ctx: _Context) -> str:
    from sklearn.utils.validation import has_fit_parameter

    final, prefix = _final_step(ctx.fitted)
    if not has_fit_parameter(final, "sample_weight"):
        raise _SkipError(
            f"the fairlearn reductions reweight the training rows, and {type(final).__name__}.fit takes no "
            "sample_weight"
        )
    return f"{prefix}sample_weight"


def _exponentiated_gradient(ctx: _Context, constraint: str) -> Iterator[Candidate]:
    from fairlearn.reductions import ExponentiatedGradient
    from sklearn.base import clone

    weight_name = _weight_name(ctx)
    mitigator = ExponentiatedGradient(
        clone(ctx.fitted),
        constraints=_constraint(constraint),
        max_iter=ctx.grid["eg_max_iter"],
        sample_weight_name=weight_name,
    )
    try:
        with _quiet_fairlearn():
            mitigator.fit(_matrix(ctx, ctx.train), ctx.train.label, sensitive_features=ctx.train.sensitive)
    except Exception as exc:  # fairlearn and the estimator raise their own types
        raise _SkipError(f"{type(exc).__name__}: {_first_line(exc)}") from None
    vote = _weighted_vote(mitigator)
    decisions = np.asarray(vote.predict(_matrix(ctx, ctx.held)), dtype=np.int64)
    kept = len(vote.estimators_)
    yield Candidate(
        f"eg:{_CONSTRAINT_IDS[constraint]}",
        f"ExponentiatedGradient {constraint}",
        "exponentiated_gradient",
        f"fairlearn ExponentiatedGradient, {constraint} on the training rows' sensitive column "
        f"(max_iter {ctx.grid['eg_max_iter']}); deterministic: selected when its {counted(kept, 'predictor')} "
        "that select carry more than half of the mixture's weight",
        ctx.measure(decisions),
        estimator=vote,
        output="label",
        features=list(ctx.train.features.columns),
    )


def _weighted_vote(mitigator: Any) -> Any:
    """The mixture of an ExponentiatedGradient as a fitted hard-voting ``VotingClassifier``.

    fairlearn's ``_pmf_predict`` gives each row the weight of the predictors that select it; the
    vote selects when that weight is more than half (a tie goes to the lower class, 0, as
    ``VotingClassifier``'s argmax breaks ties), so it is deterministic and a plain scikit-learn object.
    """
    from sklearn.ensemble import VotingClassifier
    from sklearn.preprocessing import LabelEncoder

    weights = mitigator.weights_
    kept = [(int(i), float(w)) for i, w in weights.items() if w > 0]
    estimators = [(f"predictor_{i}", mitigator.predictors_[i]) for i, _ in kept]
    vote = VotingClassifier(estimators, voting="hard", weights=[w for _, w in kept])
    vote.estimators_ = [e for _, e in estimators]
    vote.le_ = LabelEncoder().fit(np.array([0, 1]))
    vote.classes_ = vote.le_.classes_
    return vote


def _grid_search(ctx: _Context, constraint: str) -> Iterator[Candidate]:
    from fairlearn.reductions import GridSearch
    from sklearn.base import clone

    weight_name = _weight_name(ctx)
    size = ctx.grid["grid_size"]
    mitigator = GridSearch(
        clone(ctx.fitted), constraints=_constraint(constraint), grid_size=size, sample_weight_name=weight_name
    )
    try:
        with _quiet_fairlearn():
            mitigator.fit(_matrix(ctx, ctx.train), ctx.train.label, sensitive_features=ctx.train.sensitive)
    except Exception as exc:  # fairlearn and the estimator raise their own types
        raise _SkipError(f"{type(exc).__name__}: {_first_line(exc)}") from None
    held = _matrix(ctx, ctx.held)
    for k, predictor in enumerate(mitigator.predictors_):
        chosen = k == mitigator.best_idx_
        decisions = np.asarray(predictor.predict(held) == predictor.classes_[-1], dtype=np.int64)
        yield Candidate(
            f"grid:{_CONSTRAINT_IDS[constraint]}:{k}",
            f"GridSearch {constraint} #{k}" + (" (fairlearn's pick)" if chosen else ""),
            "grid_search",
            f"fairlearn GridSearch, {constraint} on the training rows' sensitive column: classifier {k} of "
            f"its {size}-point grid of Lagrange multipliers"
            + (", the one fairlearn picks" if chosen else ""),
            ctx.measure(decisions),
            estimator=predictor,
            output="label",
            features=list(ctx.train.features.columns),
        )


def _what_if(ctx: _Context) -> Iterator[Candidate]:
    from fairlearn.postprocessing import ThresholdOptimizer
    from sklearn.base import clone

    base = clone(ctx.fitted).fit(_matrix(ctx, ctx.train), ctx.train.label)
    method = {"probability": "predict_proba", "score": "decision_function", "label": "predict"}[ctx.output]
    optimizer = ThresholdOptimizer(
        estimator=base,
        constraints="demographic_parity",
        objective="accuracy_score",
        predict_method=method,
        prefit=True,
    )
    try:
        with _quiet_fairlearn():
            optimizer.fit(_matrix(ctx, ctx.train), ctx.train.label, sensitive_features=ctx.train.sensitive)
            decisions = optimizer.predict(
                _matrix(ctx, ctx.held), sensitive_features=ctx.held.sensitive, random_state=ctx.seed
            )
    except Exception as exc:  # fairlearn raises its own types (a held-out group unseen in training)
        raise _SkipError(f"{type(exc).__name__}: {_first_line(exc)}") from None
    yield Candidate(
        "what-if:threshold-optimizer",
        "group-specific thresholds (what-if)",
        "what_if",
        "fairlearn ThresholdOptimizer (demographic parity, accuracy) on the refitted model: a cut-off per "
        f"group of the sensitive column, which it must see at prediction time; randomised between two "
        f"cut-offs for some rows, with random_state {ctx.seed}",
        ctx.measure(np.asarray(decisions, dtype=np.int64)),
        what_if=True,
        caveat=CAVEAT,
        output="label",
        features=list(ctx.train.features.columns),
    )


# --- rows ------------------------------------------------------------------------------------


def _load_estimator(path: Path, trusted: list[str], where: str) -> Any:
    import skops.io as sio

    # score_model (run by prepare) has already checked the file and its trusted types
    untrusted = sio.get_untrusted_types(file=path)
    missing = [t for t in untrusted if t not in set(trusted)]
    if missing:  # pragma: no cover - prepare refuses such a file first
        raise SpecError(f"{where}: {path} holds untrusted types {missing}; list them under model.trusted.")
    return sio.load(path, trusted=list(untrusted))


def _train_source(train: Any) -> Source:
    if isinstance(train, str | Path):
        path = Path(train)
        if not path.is_file():
            raise DataError(
                f"--train {path}: no such file; give the CSV, Parquet or JSONL file of the training rows."
            )
    try:
        return read_source(train)
    except DataError as exc:
        raise DataError(f"--train: {exc}") from None


def _check_train_columns(
    source: Source, needed: list[str], features: list[str], sensitive: str, label: str
) -> None:
    present = collect_or_data_error(source.frame.head(0), source.name).columns
    missing = [c for c in dict.fromkeys(needed) if c not in present]
    if missing:
        roles = {
            **{f: "a feature of the model" for f in features},
            sensitive: "the sensitive column the reductions constrain",
            label: "the true label",
        }
        listed = "; ".join(f"{c!r} ({roles[c]})" for c in missing)
        raise DataError(
            f"{source.name}: the training rows lack {listed}. Columns in the file: "
            f"{', '.join(repr(c) for c in present)}. The training file needs the model's features, the "
            "sensitive column and the label column, named as in the held-out data."
        )


def _rows(
    source: Source,
    features: list[str],
    role: str | LabelledColumn,
    label_key: str,
    label_column: str,
    sensitive: str,
    unknown: list[str],
    *,
    extra: list[str],
) -> _Rows:
    wanted = list(dict.fromkeys([*features, label_column, sensitive, *extra]))
    frame = rows_for_python(source.frame, wanted, why="the LDA search", origin=source.name)
    raw = frame[label_column]
    counts = {null_as_none(v): int(n) for v, n in raw.value_counts(dropna=False).items()}
    mapping = binary_mapping(counts, role, key=label_key, origin=source.name)
    label = raw.map(lambda v: mapping[null_as_none(v)]).to_numpy(dtype=np.int64)
    frame = frame.reset_index(drop=True)
    return _Rows(
        frame=frame,
        features=frame[features],
        label=label,
        sensitive=_group_labels([frame[sensitive].to_numpy()], unknown),
    )


def _group_labels(columns: list[NDArray[Any]], unknown: list[str]) -> NDArray[Any]:
    """Each row's group label (``"Female, Asian"`` for a cross), as the audit's tables name groups.

    Each distinct value is labelled once (:func:`~equityaudit.values.sensitive_label`), not each row.
    """
    import pandas as pd

    labelled = []
    for values in columns:
        codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
        names = np.array([sensitive_label(u, unknown=unknown) for u in uniques], dtype=object)
        labelled.append(names[codes])
    if len(labelled) == 1:
        return labelled[0]
    return np.array([", ".join(parts) for parts in zip(*labelled, strict=True)], dtype=object)


def _display(path: Path) -> str:
    """A path as messages show it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

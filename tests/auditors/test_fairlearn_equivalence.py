"""equityaudit's per-group rates and disparities equal fairlearn's on the same data (DESIGN §5).

The reference implementation is ``fairlearn.metrics.MetricFrame`` (fairlearn's
``selection_rate``, ``true_positive_rate``, ``false_positive_rate``, ``false_negative_rate``,
``true_negative_rate``; scikit-learn's ``precision_score`` and ``accuracy_score``) and fairlearn's
``demographic_parity_*``, ``equal_opportunity_difference`` and ``equalized_odds_difference``.
Every value is compared to 1e-9 absolute.

How our columns map onto fairlearn's aggregates:

- ``MetricFrame.by_group`` is our per-group column (``selection_rate``, ``tpr``, …).
- ``MetricFrame.difference()`` (``between_groups``) is max − min over the groups; for the selection
  rate with ``reference="max_rate"`` it is also ``-min(selection_rate_difference)`` because our
  reference is the highest-rate group and the difference is ``rate − reference rate``.
- ``MetricFrame.ratio()`` is min / max; for the selection rate it is ``min(selection_rate_ratio)``
  when every group is eligible to be the reference (all groups known and at least
  ``min_group_size`` rows, or ``min_group_size`` set so that the size rule does not apply).

Data: a seeded random sample (run on pandas, polars and duckdb, whose results must be
identical) and ProPublica's COMPAS data as prepared by aequitas
(``../shared/fairness-reference-data/compas_for_aequitas.csv``: ``score`` is the decision,
``label_value`` the outcome).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equalized_odds_difference,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)
from sklearn.metrics import accuracy_score, precision_score

import equityaudit as ea
from backends import CONSTRUCTORS, Constructor
from equityaudit.results import AuditResult
from evidence import unavailable
from paths import REFERENCE_DATA

TOL = 1e-9

COMPAS = REFERENCE_DATA / "compas_for_aequitas.csv"


# Our column name -> the reference metric function of the same rate.
FAIRLEARN_METRICS: dict[str, Callable[..., float]] = {
    "selection_rate": selection_rate,
    "tpr": true_positive_rate,
    "fpr": false_positive_rate,
    "fnr": false_negative_rate,
    "tnr": true_negative_rate,
    # scikit-learn's precision is the PPV; nan (not 0) when a group has no selections
    "ppv": functools.partial(precision_score, zero_division=np.nan),
    "accuracy": accuracy_score,
}

GROUPINGS = [("sex",), ("race",), ("sex", "race")]

# COMPAS has groups of under 30 rows (2, 4, 14, 18); with a minimum group size of 1 every group may be the
# reference (the max-rate rule otherwise prefers groups of at least min_group_size rows), as
# every group counts for fairlearn's between-groups ratio.
EVERY_GROUP = {"min_group_size": 1}


def close(value: float | None, expected: float) -> bool:
    """Equal to 1e-9 absolute; an undefined (nan) reference value must be None on our side."""
    if np.isnan(expected):
        return value is None
    return value is not None and abs(value - expected) <= TOL


@pytest.fixture(scope="module")
def random_data() -> pd.DataFrame:
    """20,000 seeded rows: sex (2 values) × race (4 values), different base and decision rates."""
    rng = np.random.default_rng(20260214)
    size = 20_000
    sex = rng.choice(["Female", "Male"], size=size, p=[0.46, 0.54])
    race = rng.choice(["Asian", "Black", "Hispanic", "White"], size=size, p=[0.1, 0.2, 0.25, 0.45])
    base = pd.Series({"Asian": 0.55, "Black": 0.35, "Hispanic": 0.4, "White": 0.5})
    outcome = rng.random(size) < base[race].to_numpy()
    race_shift = pd.Series({"Asian": 0.05, "Black": -0.12, "Hispanic": -0.06, "White": 0.0})
    p_decision = 0.2 + 0.4 * outcome + race_shift[race].to_numpy() - 0.07 * (sex == "Female")
    decision = rng.random(size) < p_decision
    return pd.DataFrame(
        {
            "sex": sex,
            "race": race,
            "decision": decision.astype(np.int64),
            "outcome": outcome.astype(np.int64),
        }
    )


@pytest.fixture(scope="module")
def compas() -> pd.DataFrame:
    if not COMPAS.is_file():
        unavailable(f"COMPAS reference data not found at {COMPAS} (shared/ beside the checkout)")
    return pd.read_csv(COMPAS)


def rows_by_group(result: AuditResult, by: tuple[str, ...]) -> dict[tuple[str, ...], dict[str, Any]]:
    """Our table by these attributes, keyed like fairlearn's ``by_group`` index."""
    (table,) = [t for t in result.tables if t.name == "*".join(by)]
    assert tuple(table.by) == by
    return {tuple(row["group"][a] for a in by): row for row in table.rows}


def metric_frame(
    data: pd.DataFrame, by: tuple[str, ...], metrics: list[str], *, decision: str, outcome: str
) -> MetricFrame:
    features = data[list(by)] if len(by) > 1 else data[by[0]]
    return MetricFrame(
        metrics={m: FAIRLEARN_METRICS[m] for m in metrics},
        y_true=data[outcome],
        y_pred=data[decision],
        sensitive_features=features,
    )


def key_of(index_value: Any) -> tuple[str, ...]:
    return tuple(map(str, index_value)) if isinstance(index_value, tuple) else (str(index_value),)


def assert_matches_fairlearn(
    result: AuditResult,
    data: pd.DataFrame,
    by: tuple[str, ...],
    metrics: list[str],
    *,
    decision: str = "decision",
    outcome: str = "outcome",
) -> None:
    """By-group values, group sizes, difference() and ratio() of every metric equal fairlearn's,
    and so does every metric's ratio and difference to the table's reference group."""
    ours = rows_by_group(result, by)
    frame = metric_frame(data, by, metrics, decision=decision, outcome=outcome)
    by_group = frame.by_group
    assert set(ours) == {key_of(k) for k in by_group.index}
    sizes = data.groupby(list(by)).size()
    for index_value, expected in by_group.iterrows():
        row = ours[key_of(index_value)]
        assert row["n"] == sizes[index_value]
        assert row["excluded"] is False
        for metric in metrics:
            assert close(row[metric], expected[metric]), (by, index_value, metric, row[metric])
    differences = frame.difference()
    ratios = frame.ratio()
    for metric in metrics:
        values = [r[metric] for r in ours.values() if r[metric] is not None]
        assert close(max(values) - min(values), differences[metric]), (by, metric)
        assert close(min(values) / max(values), ratios[metric]), (by, metric)
    # Every metric's ratio and difference to the table's reference group, from fairlearn's
    # by-group values: by_group[g] / by_group[ref] and by_group[g] - by_group[ref].
    (table,) = [t for t in result.tables if t.name == "*".join(by)]
    reference_key = tuple(str(table.reference[a]) for a in by)
    reference_index = reference_key if len(by) > 1 else reference_key[0]
    for metric in metrics:
        reference_value = by_group.loc[reference_index, metric]
        for index_value, expected in by_group.iterrows():
            row = ours[key_of(index_value)]
            assert close(row[f"{metric}_difference"], expected[metric] - reference_value), (
                by,
                index_value,
                metric,
            )
            expected_ratio = expected[metric] / reference_value if reference_value != 0 else np.nan
            assert close(row[f"{metric}_ratio"], expected_ratio), (
                by,
                index_value,
                metric,
                row[f"{metric}_ratio"],
            )
    if "selection_rate" in metrics:
        # Our reference is the max-rate group, so the smallest ratio and difference to it are
        # fairlearn's between-groups ratio and (negated) difference.
        reference = max(ours.values(), key=lambda r: r["selection_rate"])
        assert reference["reference"] is True
        assert close(min(r["selection_rate_ratio"] for r in ours.values()), ratios["selection_rate"])
        assert close(
            -min(r["selection_rate_difference"] for r in ours.values()), differences["selection_rate"]
        )


# --- seeded random data, every backend ---------------------------------------------------


def test_random_data_has_no_small_or_missing_groups(random_data: pd.DataFrame) -> None:
    # The comparisons below rely on every group being eligible as the reference.
    assert random_data.groupby(["sex", "race"]).size().min() >= 30
    assert not random_data.isna().any().any()


def test_selection_rate_matches_fairlearn(
    constructor: Callable[[pd.DataFrame], Any], random_data: pd.DataFrame
) -> None:
    result = ea.audit(
        constructor(random_data), auditor="decisions", sensitive=["sex", "race"], decision="decision"
    )
    assert [t.name for t in result.tables] == ["sex", "race", "sex*race"]
    for by in GROUPINGS:
        assert_matches_fairlearn(result, random_data, by, ["selection_rate"])


def test_error_rates_match_fairlearn(
    constructor: Callable[[pd.DataFrame], Any], random_data: pd.DataFrame
) -> None:
    result = ea.audit(
        constructor(random_data),
        auditor="decisions",
        sensitive=["sex", "race"],
        decision="decision",
        outcome="outcome",
    )
    for by in GROUPINGS:
        assert_matches_fairlearn(result, random_data, by, list(FAIRLEARN_METRICS))


def test_backends_give_identical_results(random_data: pd.DataFrame, constructor: Constructor) -> None:
    def run(make: Constructor, **kwargs: Any) -> tuple[list[Any], list[Any], list[Any]]:
        result = ea.audit(
            make(random_data),
            auditor="decisions",
            sensitive=["sex", "race"],
            decision="decision",
            **kwargs,
        )
        return (
            [t.model_dump() for t in result.tables],
            [f.model_dump() for f in result.findings],
            [c.model_dump() for c in result.counts],
        )

    for kwargs in ({}, {"outcome": "outcome"}):
        pandas_result = run(CONSTRUCTORS["pandas"], **kwargs)
        assert pandas_result[0], "no tables"
        assert run(constructor, **kwargs) == pandas_result


def test_demographic_parity_matches_fairlearn(random_data: pd.DataFrame) -> None:
    result = ea.audit(random_data, auditor="decisions", sensitive=["sex", "race"], decision="decision")
    y_true, y_pred = random_data["outcome"], random_data["decision"]
    for by in GROUPINGS:
        rows = list(rows_by_group(result, by).values())
        features = random_data[list(by)] if len(by) > 1 else random_data[by[0]]
        dp_difference = demographic_parity_difference(y_true, y_pred, sensitive_features=features)
        dp_ratio = demographic_parity_ratio(y_true, y_pred, sensitive_features=features)
        rates = [r["selection_rate"] for r in rows]
        assert close(max(rates) - min(rates), dp_difference)
        assert close(-min(r["selection_rate_difference"] for r in rows), dp_difference)
        assert close(min(r["selection_rate_ratio"] for r in rows), dp_ratio)
        # The lowest ratio is the one a finding judges: the findings' values are our ratios.
        findings = [f for f in result.findings if f.table == "*".join(by) and f.kind == "ratio"]
        assert len(findings) == len(rows) - 1
        assert close(min(f.value for f in findings if f.value is not None), dp_ratio)


def test_unknown_rows_are_left_out_like_fairlearn_on_known_rows(random_data: pd.DataFrame) -> None:
    # Blank out sex in a seeded 3 % of rows: our known groups must equal fairlearn on the rows
    # with known sex; the Unknown row is reported but excluded from the comparisons.
    rng = np.random.default_rng(7)
    data = random_data.copy()
    data["sex"] = data["sex"].astype(object)
    data.loc[rng.random(len(data)) < 0.03, "sex"] = None
    known = data.dropna(subset=["sex"])
    result = ea.audit(data, auditor="decisions", sensitive=["sex"], decision="decision")
    rows = rows_by_group(result, ("sex",))
    unknown = rows.pop(("Unknown",))
    assert unknown["n"] == data["sex"].isna().sum()
    assert unknown["excluded"] is True
    assert unknown["selection_rate_ratio"] is None
    frame = metric_frame(known, ("sex",), ["selection_rate"], decision="decision", outcome="outcome")
    for sex, expected in frame.by_group["selection_rate"].items():
        assert close(rows[(sex,)]["selection_rate"], expected)
    assert close(min(r["selection_rate_ratio"] for r in rows.values()), frame.ratio()["selection_rate"])


# --- COMPAS (aequitas' preparation) --------------------------------------------------------


def audit_compas(data: pd.DataFrame, thresholds: dict[str, Any]) -> AuditResult:
    # Asian women (2 rows) have no one scored Medium/High: PPV and FDR are undefined there.
    with pytest.warns(ea.UndefinedMetricWarning, match=r"race\*sex: fdr, .*ppv undefined"):
        return ea.audit(
            data,
            auditor="decisions",
            sensitive=["race", "sex"],
            decision="score",
            outcome="label_value",
            thresholds=thresholds,
        )


@pytest.mark.parametrize("by", [("race",), ("sex",), ("race", "sex")])
def test_compas_matches_fairlearn(compas: pd.DataFrame, by: tuple[str, ...]) -> None:
    result = audit_compas(compas, EVERY_GROUP)
    assert_matches_fairlearn(
        result, compas, by, list(FAIRLEARN_METRICS), decision="score", outcome="label_value"
    )


def test_compas_undefined_ppv_is_none_as_fairlearn_is_nan(compas: pd.DataFrame) -> None:
    result = audit_compas(compas, EVERY_GROUP)
    row = rows_by_group(result, ("race", "sex"))[("Asian", "Female")]
    # 2 rows, both scored Low: no selections, so PPV = tp / selected = 0 / 0.
    assert (row["n"], row["selected"]) == (2, 0)
    assert row["ppv"] is None
    assert row["fdr"] is None
    assert "ppv undefined" in row["note"]


def test_compas_demographic_parity_matches_fairlearn(compas: pd.DataFrame) -> None:
    # Every group may be the reference: for race*sex it is Native American women (3 of 4).
    result = audit_compas(compas, EVERY_GROUP)
    y_true, y_pred = compas["label_value"], compas["score"]
    for by in [("race",), ("sex",), ("race", "sex")]:
        rows = list(rows_by_group(result, by).values())
        features = compas[list(by)] if len(by) > 1 else compas[by[0]]
        dp_difference = demographic_parity_difference(y_true, y_pred, sensitive_features=features)
        dp_ratio = demographic_parity_ratio(y_true, y_pred, sensitive_features=features)
        assert close(-min(r["selection_rate_difference"] for r in rows), dp_difference)
        assert close(min(r["selection_rate_ratio"] for r in rows), dp_ratio)


# --- equalized odds / equal opportunity findings -------------------------------------------


def gap_findings(result: AuditResult, table: str) -> dict[str, float | None]:
    return {f.metric: f.value for f in result.findings if f.table == table and f.kind == "difference"}


@pytest.mark.parametrize("dataset", ["random", "compas"])
def test_equalized_odds_findings_match_fairlearn(
    dataset: str, random_data: pd.DataFrame, request: pytest.FixtureRequest
) -> None:
    # error-rate gaps only consider groups of at least min_group_size rows; 1 makes every
    # group count, as in fairlearn's between-groups difference.
    if dataset == "random":
        data, decision, outcome = random_data, "decision", "outcome"
        sensitive = ["sex", "race"]
        result = ea.audit(
            data,
            auditor="decisions",
            sensitive=sensitive,
            decision=decision,
            outcome=outcome,
            thresholds={"min_group_size": 1},
        )
    else:
        data, decision, outcome = request.getfixturevalue("compas"), "score", "label_value"
        sensitive = ["race", "sex"]
        result = audit_compas(data, EVERY_GROUP)
    y_true, y_pred = data[outcome], data[decision]
    for by in [(sensitive[0],), (sensitive[1],), tuple(sensitive)]:
        features = data[list(by)] if len(by) > 1 else data[by[0]]
        found = gap_findings(result, "*".join(by))
        expected_eo = equal_opportunity_difference(y_true, y_pred, sensitive_features=features)
        expected_odds = equalized_odds_difference(y_true, y_pred, sensitive_features=features)
        assert close(found["equal_opportunity_difference"], expected_eo), by
        assert close(found["equalized_odds_difference"], expected_odds), by


def test_compas_gaps_leave_out_groups_under_min_group_size(compas: pd.DataFrame) -> None:
    # With the default minimum of 30, each gap is fairlearn's over the groups with at least 30 in
    # that rate's denominator: the TPR over groups with 30 positives (label 1), the FPR over groups
    # with 30 negatives; equalized odds is the larger of the two (fairlearn's definition). By
    # race*sex, Asian males have 30 rows but only 8 positives: in the FPR gap, not the TPR gap.
    result = audit_compas(compas, {})
    y_true, y_pred = compas["label_value"], compas["score"]
    for by in [("race",), ("race", "sex")]:
        keys = compas[list(by)].astype(str).agg("/".join, axis=1)
        positives = compas.groupby(keys)["label_value"].transform("sum")
        negatives = compas.groupby(keys)["label_value"].transform(lambda s: (s == 0).sum())
        tpr_rows, fpr_rows = compas[positives >= 30], compas[negatives >= 30]
        assert len(tpr_rows) < len(compas)
        tpr_gap = equal_opportunity_difference(
            tpr_rows["label_value"], tpr_rows["score"], sensitive_features=keys[positives >= 30]
        )
        fpr_gap = MetricFrame(
            metrics=false_positive_rate,
            y_true=fpr_rows["label_value"],
            y_pred=fpr_rows["score"],
            sensitive_features=keys[negatives >= 30],
        ).difference()
        found = gap_findings(result, "*".join(by))
        assert close(found["equal_opportunity_difference"], tpr_gap), by
        expected = max(tpr_gap, fpr_gap)
        assert close(found["equalized_odds_difference"], expected), by
        everyone = equalized_odds_difference(
            y_true, y_pred, sensitive_features=compas[list(by)] if len(by) > 1 else compas[by[0]]
        )
        assert not close(found["equalized_odds_difference"], everyone), by

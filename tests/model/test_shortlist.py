"""Shortlists (``model.threshold: {top_k: …}`` / ``{top_share: …}``): the rows selected and the tie rule,
worked out by hand, and the shortlist grid recomputed with numpy and pandas on every backend."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

import equityaudit as ea
from equityaudit.models import shortlist_decision
from equityaudit.shortlist import SHARES
from equityaudit.spec import Shortlist

REASON = "rows held out of the model's training"


def test_ties_at_the_kth_score_are_all_selected() -> None:
    # sorted: 0.9, 0.8, 0.8, 0.8, 0.5, 0.1. The 2nd highest is 0.8, held by three rows: top 2 selects
    # 0.9 and all three 0.8s — 4 rows, 2 more than k.
    scores = np.array([0.8, 0.1, 0.9, 0.8, 0.5, 0.8])
    decision, info = shortlist_decision(scores, Shortlist(top_k=2), name="d", where="model.threshold")
    assert decision.tolist() == [1, 0, 1, 1, 0, 1]
    assert (info.k, info.selected, info.tied_extra, info.cut_off) == (2, 4, 2, 0.8)
    assert (
        info.sentence
        == "at least 0.8 (the 2nd highest); 2 more rows tied at that output are selected too, 4 in all"
    )
    # top 50% of 6 rows: k = 3, the 3rd highest is 0.8 too: still 4 rows, 1 extra
    _, half = shortlist_decision(scores, Shortlist(top_share=0.5), name="d", where="model.threshold")
    assert (half.k, half.selected, half.tied_extra) == (3, 4, 1)
    # top 1 (no tie): only 0.9
    one, first = shortlist_decision(scores, Shortlist(top_k=1), name="d", where="model.threshold")
    assert one.tolist() == [0, 0, 1, 0, 0, 0] and first.tied_extra == 0


@pytest.mark.parametrize(
    ("share", "rows", "k"),
    [(0.1, 50, 5), (0.1, 45, 5), (0.1, 41, 5), (0.1, 40, 4), (0.3, 10, 3), (0.001, 10, 1), (1.0, 7, 7)],
)
def test_a_share_takes_the_ceiling_of_share_times_rows(share: float, rows: int, k: int) -> None:
    # ⌈0.1 × 41⌉ = ⌈4.1⌉ = 5; 0.1 × 50 is 5.000000000000001 in floating point, still 5; 0.3 × 10 = 3.0000000000000004 → 3
    assert Shortlist(top_share=share).size(rows) == k


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    rng = np.random.default_rng(5)
    n = 1500
    sex = rng.choice(["Female", "Male"], size=n)
    # whole-number features: the model's probabilities tie, so the tie rule is exercised
    x = np.round(rng.normal(size=n) * 2 + np.where(sex == "Male", 0.6, 0.0))
    y = (x + rng.normal(size=n) * 2 > 0.5).astype(int)
    data = pd.DataFrame({"sex": sex, "x": x, "y": y})
    train, test = data.iloc[:700], data.iloc[700:].reset_index(drop=True)
    model = LogisticRegression().fit(train[["x"]], train["y"])
    path = tmp_path_factory.mktemp("shortlist-model") / "model.skops"
    sio.dump(model, path)
    return {"path": path, "test": test, "proba": model.predict_proba(test[["x"]])[:, 1]}


def test_a_top_k_model_is_audited_on_its_shortlist(scored: dict[str, Any], constructor: Any) -> None:
    test, proba = scored["test"], scored["proba"]
    result = ea.audit(
        constructor(test),
        auditor="decisions",
        sensitive="sex",
        outcome="y",
        model={"path": scored["path"], "features": ["x"], "threshold": {"top_k": 100}},
        kind="test",
        test_data_reason=REASON,
    )
    cut = np.sort(proba)[::-1][99]  # the 100th highest
    chosen = proba >= cut
    info = result.data.model.shortlist
    assert info is not None and info.cut_off == pytest.approx(cut, abs=1e-15)
    assert info.selected == chosen.sum() and info.tied_extra == chosen.sum() - 100 and info.tied_extra > 0
    assert result.data.model.threshold == pytest.approx(cut, abs=1e-15)
    assert (
        f"{info.tied_extra} more rows tied at that output are selected too" in result.data.model.description
    )
    # the auditor audits the shortlist unchanged: its selected counts are the shortlist's
    own = {r["group"]["sex"]: r["selected"] for r in next(t for t in result.tables if t.name == "sex").rows}
    assert own == {sex: int(chosen[(test["sex"] == sex).to_numpy()].sum()) for sex in ("Female", "Male")}


def test_the_shortlist_grid_matches_pandas(scored: dict[str, Any], constructor: Any) -> None:
    test, proba = scored["test"], scored["proba"]
    result = ea.audit(
        constructor(test),
        auditor="decisions",
        sensitive="sex",
        outcome="y",
        model={"path": scored["path"], "features": ["x"], "threshold": {"top_share": 0.12}},
        kind="test",
        test_data_reason=REASON,
        thresholds={"impact_ratio": 0.8},
    )
    table = next(t for t in result.tables if t.name == "shortlist:sex")
    rows = len(test)
    descending = np.sort(proba)[::-1]
    expected_sizes = sorted({math.ceil(round(s * rows, 9)) for s in [*SHARES, 0.12]})
    got = {(r["group"]["sex"], r["k"]): r for r in table.rows}
    assert sorted({k for _, k in got}) == expected_sizes
    meeting = []
    for k in expected_sizes:
        chosen = pd.Series(proba >= descending[k - 1])
        rates = chosen.groupby(test["sex"]).mean()
        for sex in ("Female", "Male"):
            row = got[(sex, k)]
            assert row["cut_off"] == descending[k - 1]
            assert row["selected"] == int(chosen[test["sex"] == sex].sum())
            assert row["selection_rate"] == pytest.approx(rates[sex], abs=1e-12)
            assert row["impact_ratio"] == pytest.approx(rates[sex] / rates.max(), abs=1e-12)
        if (rates / rates.max()).min() >= 0.8:
            meeting.append(k)
    tests = table.tests["meets_impact_ratio"]
    labels = {r["k"]: r["shortlist"] for r in table.rows}
    assert tests["shortlists"] == [labels[k] for k in meeting]
    assert labels[math.ceil(0.12 * rows)] == "top 12%" and tests["model_shortlist"] == "top 12%"
    assert [r["k"] for r in table.rows if r.get("model")] == [math.ceil(0.12 * rows)] * 2
    # descriptive: no finding
    assert not [f for f in result.findings if f.table.startswith("shortlist:")]

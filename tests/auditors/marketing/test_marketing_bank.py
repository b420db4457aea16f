"""The marketing auditor on real data: UCI Bank Marketing (10 % sample, Moro et al. 2014).

``y`` (the client subscribed after the phone campaign) is treated as the targeting flag of a
favourable campaign; ``marital`` and an age band are the attributes. The age band is derived in
the test: 18–29, 30–39, 40–49, 50–59, and 60+ (the 110 clients over 59 pooled, as decades above
60 would hold a few dozen each). ``marital`` = ``unknown`` (11 clients) is reported as Unknown.
The prepared copy is written to ``tmp_path`` as a CSV and audited through a spec file, so the
rates come from the polars scan the CLI uses. Every rate, ratio and share the auditor reports is
checked against a direct pandas computation on the same rows.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

import equityaudit as ea
from equityaudit.results import AuditResult

AGE_BANDS = [0, 29, 39, 49, 59, 200]
AGE_LABELS = ["18-29", "30-39", "40-49", "50-59", "60+"]


@pytest.fixture
def bank(reference_data: Path, tmp_path: Path) -> tuple[pd.DataFrame, AuditResult]:
    frame = pd.read_csv(reference_data / "bank-additional.csv", sep=";")
    frame["age_band"] = pd.cut(frame["age"], AGE_BANDS, labels=AGE_LABELS).astype(str)
    prepared = frame[["marital", "age_band", "y", "job", "education", "housing", "loan", "contact"]]
    tmp = tmp_path
    prepared.to_csv(tmp / "bank.csv", index=False)
    spec = {
        "equityaudit": 1,
        "name": "bank-campaign",
        "auditor": "marketing",
        "data": {"path": "bank.csv"},
        "columns": {"sensitive": ["marital", "age_band"], "intersectional": False},
        "options": {
            "campaigns": {"y": "favourable"},
            "features": ["job", "education", "housing", "loan", "contact"],
        },
    }
    (tmp / "bank.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    return prepared, ea.run(tmp / "bank.yaml")


@pytest.mark.parametrize("attribute", ["marital", "age_band"])
def test_inclusion_rates_equal_pandas(bank: tuple[pd.DataFrame, AuditResult], attribute: str) -> None:
    frame, result = bank
    subscribed = frame["y"].eq("yes")
    expected = subscribed.groupby(frame[attribute]).agg(["size", "sum", "mean"])
    expected.index = expected.index.map(lambda v: "Unknown" if v == "unknown" else v)
    table = result.table(f"campaign y by {attribute}").set_index(attribute)
    assert sorted(table.index) == sorted(expected.index)
    for group, row in expected.iterrows():
        assert table.loc[group, "n"] == row["size"]
        assert table.loc[group, "included"] == row["sum"]
        assert table.loc[group, "inclusion_rate"] == pytest.approx(row["mean"], abs=1e-12)
    known = expected.drop(index="Unknown", errors="ignore")
    top = known["mean"].max()  # every known group has at least 30 clients: the reference is the highest rate
    compared = table.drop(index="Unknown", errors="ignore")
    for group, row in known.iterrows():
        assert compared.loc[group, "inclusion_rate_ratio"] == pytest.approx(row["mean"] / top, abs=1e-12)


@pytest.mark.parametrize("attribute", ["marital", "age_band"])
def test_subscriber_composition_equals_pandas(bank: tuple[pd.DataFrame, AuditResult], attribute: str) -> None:
    frame, result = bank
    known = frame[frame[attribute] != "unknown"]
    base = known[attribute].value_counts(normalize=True)
    segment = known.loc[known["y"].eq("yes"), attribute].value_counts(normalize=True)
    table = result.table(f"representation:campaign y:{attribute}").set_index(attribute)
    for group in base.index:
        assert table.loc[group, "base_share"] == pytest.approx(base[group], abs=1e-12)
        assert table.loc[group, "segment_share"] == pytest.approx(segment[group], abs=1e-12)
        assert table.loc[group, "representation_ratio"] == pytest.approx(
            segment[group] / base[group], abs=1e-12
        )
    (tvd,) = [f for f in result.findings if f.table == f"representation:campaign y:{attribute}"]
    assert tvd.value == pytest.approx((segment - base).abs().sum() / 2, abs=1e-12)


def test_bank_findings_and_proxies(bank: tuple[pd.DataFrame, AuditResult]) -> None:
    _, result = bank
    # 60+ clients subscribed at 0.373 against 0.079 to 0.122 for the other bands: every other band
    # is far below four-fifths of 60+'s rate, and the campaign's outcome follows age.
    age = {f.group["age_band"]: f for f in result.findings if f.table == "campaign y by age_band"}
    assert all(f.reference == {"age_band": "60+"} for f in age.values())
    assert all(f.status == "fail" for f in age.values())
    # job predicts the age band (students and retirees), so it is the top-ranked proxy for it
    ranking = result.context["marketing"]["proxies"]["age_band"]["ranking"]
    assert ranking[0]["feature"] == "job"
    assert ranking[0]["auc"] > 0.6

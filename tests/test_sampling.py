"""The seeded, stratified sample of rows (equityaudit.sampling) and the marketing audit that reads one.

Allocations are computed by hand in each test (proportional shares, largest remainders, at least
one row per stratum). That the sample is drawn on the backend is checked by drawing it from the
same rows on every backend and getting the same rows; that counts are over every row by auditing
the same data with and without a sample and comparing the counts tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd
import pytest

import equityaudit as ea
from backends import Constructor
from equityaudit.frames import read_source
from equityaudit.report.html import render_html
from equityaudit.report.markdown import render_markdown
from equityaudit.results import AuditResult
from equityaudit.sampling import allocate, stratified_sample
from equityaudit.synthetic.marketing import make_marketing


def people(rows: int = 10_000) -> pd.DataFrame:
    """Strata F 3,000, M 6,000, missing 995, X 5 (sex), in a shuffled order; ``i`` numbers the rows."""
    sex = np.array(["F"] * 3000 + ["M"] * 6000 + [None] * 995 + ["X"] * 5, dtype=object)
    np.random.default_rng(3).shuffle(sex)
    return pd.DataFrame({"sex": sex[:rows], "i": np.arange(rows)})


def draw(native: Any, *, cap: int = 1000, seed: int = 11) -> Any:
    return stratified_sample(
        read_source(native).frame, ["sex", "i"], strata=["sex"], cap=cap, seed=seed, used_by=["a test"]
    )


def test_allocation_is_proportional_with_every_stratum_kept() -> None:
    # 1000 x (3000, 6000, 995, 5) / 10000 = 300, 600, 99.5, 0.5: floors 300, 600, 99, 0 leave one row,
    # which goes to the larger remainder (0.5 of the missing stratum, before X's 0.5 by order);
    # X then gets one row, taken from the largest allocation (M): 300, 599, 100, 1.
    assert allocate([3000, 6000, 995, 5], 1000) == [300, 599, 100, 1]
    assert allocate([3000, 6000], 20_000) == [3000, 6000]  # a cap above the rows: every row
    with pytest.raises(ValueError, match="cannot keep all 3 strata"):
        allocate([5, 5, 5], 2)


def test_sample_sizes_per_stratum_match_the_allocation(constructor: Constructor) -> None:
    df = people()
    drawn = draw(constructor(df))
    info = drawn.info
    assert info is not None
    # strata in sorted order, missing last: F, M, X, missing. 1000 x (3000, 6000, 5, 995) / 10000 =
    # 300, 600, 0.5, 99.5: the one row left goes to the first of the equal remainders, X's
    assert [(s.stratum["sex"], s.population, s.sample) for s in info.allocation] == [
        ("F", 3000, 300),
        ("M", 6000, 600),
        ("X", 5, 1),
        (None, 995, 99),
    ]
    rows = drawn.rows.to_pandas()
    assert info.rows == len(rows) == 1000 and info.population == 10_000
    assert rows["sex"].fillna("missing").value_counts().to_dict() == {
        "M": 600,
        "F": 300,
        "missing": 99,
        "X": 1,
    }
    # the rows are rows of the data (sex matches the row's own), each once, in the data's order
    assert (df.loc[rows["i"], "sex"].fillna("?").to_numpy() == rows["sex"].fillna("?").to_numpy()).all()
    assert rows["i"].is_monotonic_increasing and rows["i"].is_unique
    assert info.seed == 11 and info.strata == ["sex"] and info.cap == 1000 and info.used_by == ["a test"]


def test_same_seed_gives_the_same_sample_on_every_backend(constructor: Constructor) -> None:
    df = people()
    expected = draw(df).rows.to_pandas()["i"].tolist()  # pandas
    assert draw(constructor(df)).rows.to_pandas()["i"].tolist() == expected
    # another seed draws other rows (of the same sizes)
    other = draw(constructor(df), seed=12).rows.to_pandas()
    assert other["i"].tolist() != expected and len(other) == len(expected)


def test_data_under_the_cap_is_read_whole_and_unsampled() -> None:
    df = people()
    drawn = draw(df, cap=10_000)
    assert drawn.info is None
    assert drawn.rows.to_pandas()["i"].tolist() == list(range(10_000))


def test_a_sample_without_strata_is_a_simple_sample_of_the_cap() -> None:
    frame = nw.from_native(people()).lazy()
    drawn = stratified_sample(frame, ["i"], strata=[], cap=250, seed=1, used_by=[])
    assert drawn.info is not None and drawn.info.rows == 250 and len(drawn.rows) == 250
    assert [(s.stratum, s.population, s.sample) for s in drawn.info.allocation] == [({}, 10_000, 250)]


# --- the marketing auditor ------------------------------------------------------------------

OPTIONS: dict[str, Any] = {
    "segment": "segment",
    "segments": {"premium": "favourable"},
    "campaigns": {"email_promo": "favourable"},
    "offer": "discount_pct",
    "features": ["postcode", "age"],
}


def marketing(df: pd.DataFrame, **options: Any) -> AuditResult:
    return ea.audit(
        df,
        auditor="marketing",
        sensitive=["sex", "race_ethnicity"],
        options={**OPTIONS, **options},
        gate="warn",
    )


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    return make_marketing(6000, seed=5)


def without_times(result: AuditResult) -> dict[str, Any]:
    data = result.to_dict()
    for key in ("started_at", "finished_at"):
        data.pop(key)
    data["context"]["marketing"].get("proxies", {}).pop("seconds", None)
    return data


def test_a_marketing_audit_under_the_cap_is_unchanged(customers: pd.DataFrame) -> None:
    default = marketing(customers)  # 6,000 rows, under the default cap of 200,000
    at_the_rows = marketing(customers, sample_rows=6000)  # a cap equal to the rows samples nothing either
    assert default.data.sample is None and "sample" not in default.to_dict()["data"]
    assert without_times(default) == without_times(at_the_rows)


def test_a_sampled_marketing_audit_counts_every_row_and_states_the_sample(customers: pd.DataFrame) -> None:
    whole = marketing(customers)
    sampled = marketing(customers, sample_rows=1500)
    info = sampled.data.sample
    assert info is not None and info.rows == 1500 and info.population == 6000
    assert info.strata == ["sex", "race_ethnicity"] and info.seed == whole.audit.thresholds["seed"]
    assert sum(s.sample for s in info.allocation) == 1500
    assert sum(s.population for s in info.allocation) == 6000
    # the counts, and so every targeting and representation table, are over every row
    assert [c.model_dump() for c in sampled.counts] == [c.model_dump() for c in whole.counts]
    for table in whole.tables:
        if not table.name.startswith("offer"):
            assert sampled.tables[[t.name for t in sampled.tables].index(table.name)] == table
    # offers: n and mean over every row; medians and intervals from the sample
    offers = sampled.context["marketing"]["offer"]
    assert "sample" in offers
    for name, table in whole.context["marketing"]["offer"]["tables"].items():
        for full, part in zip(table["rows"], offers["tables"][name]["rows"], strict=True):
            assert (part["n"], part["group"]) == (full["n"], full["group"])
            assert part["mean"] == pytest.approx(full["mean"], rel=1e-9)
    # the proxy classifiers read the sample; the association measures are over every row: a
    # categorical feature's table is the whole data's, a numeric feature's correlation ratio too
    # (its NMI bins at the sample's deciles, so it may differ)
    proxies, every_row = sampled.context["marketing"]["proxies"], whole.context["marketing"]["proxies"]
    assert proxies["sample_rows"] <= 1500 < every_row["sample_rows"]
    for attribute in ("sex", "race_ethnicity"):
        measured = {r["feature"]: r for r in proxies[attribute]["ranking"]}
        for reference in every_row[attribute]["ranking"]:
            mine = measured[reference["feature"]]
            if reference["kind"] == "categorical":
                assert (mine["cramers_v"], mine["nmi"]) == pytest.approx(
                    (reference["cramers_v"], reference["nmi"]), rel=1e-12
                )
            else:
                assert mine["correlation_ratio"] == pytest.approx(reference["correlation_ratio"], rel=1e-9)
    assert info.used_by == [
        "the proxy classifiers (and a numeric feature's decile bins)",
        "the offers' medians and bootstrap intervals",
    ]
    # the result and the reports say so
    note = next(n for n in sampled.notes if "seeded sample of 1,500 of the 6,000 rows" in n)
    assert "stratified by sex, race_ethnicity" in note
    markdown = render_markdown(sampled)
    assert "**Sample:** 1,500 of 6,000 rows (a seeded sample, seed" in markdown
    assert note.split(" (")[0] in markdown
    html = render_html(sampled)
    assert "<dt>Sample</dt><dd>1,500 of 6,000 rows (a seeded sample, seed" in html
    assert "Sample</dt>" not in render_html(whole)
    roundtrip = AuditResult.model_validate_json(sampled.to_json())
    assert roundtrip.data.sample == info


def test_the_sample_is_the_same_from_pandas_and_polars(customers: pd.DataFrame) -> None:
    import polars as pl

    first = marketing(customers, sample_rows=1500)
    second = marketing(pl.from_pandas(customers), sample_rows=1500)  # type: ignore[arg-type]
    assert first.data.sample == second.data.sample
    # the classifiers read the same rows: the same AUCs; the association measures are sums on two
    # engines, equal to the last bits they add in a different order
    first_proxies, second_proxies = (r.context["marketing"]["proxies"] for r in (first, second))
    for attribute in ("sex", "race_ethnicity"):
        for mine, theirs in zip(
            first_proxies[attribute]["ranking"], second_proxies[attribute]["ranking"], strict=True
        ):
            assert mine["auc"] == theirs["auc"] and mine["fold_aucs"] == theirs["fold_aucs"]
            for measure in ("cramers_v", "correlation_ratio", "nmi"):
                if measure in theirs:
                    assert mine[measure] == pytest.approx(theirs[measure], rel=1e-12)


# --- the chatbot auditor --------------------------------------------------------------------


def test_a_sampled_chatbot_audit_is_stratified_by_intent_and_says_so() -> None:
    from equityaudit.synthetic.chatbot import make_chatbot

    data = make_chatbot(3000, seed=4)
    options = {"text": "text", "intent": "intent", "response": "response", "sample_rows": 1000}
    result = ea.audit(data, auditor="chatbot", options=options, kind="test", test_data_reason="synthetic")
    info = result.data.sample
    assert info is not None and info.strata == ["intent"] and (info.rows, info.population) == (1000, 3000)
    sizes = data["intent"].value_counts().sort_index()
    # 1000 x n / 3000 = n / 3: floors 122, 76, 160, 76, 220, 121, 80, 141 (996 rows); the four rows left go to
    # the remainders of 2/3 (230, 230, 662, 242 and 425 rows), the first four in the intents' order
    expected = dict(zip(sizes.index, [122, 77, 160, 77, 221, 121, 81, 141], strict=True))
    assert {s.stratum["intent"]: s.sample for s in info.allocation} == expected
    assert {s.stratum["intent"]: s.population for s in info.allocation} == sizes.to_dict()
    assert result.context["chatbot"]["utterances"] == 1000
    assert any("seeded sample of 1,000 of the 3,000 utterances" in note for note in result.notes)
    assert "**Sample:** 1,000 of 3,000 rows" in render_markdown(result)


def test_a_parquet_file_gives_the_same_sample_on_polars_and_duckdb(tmp_path: Path) -> None:
    import duckdb
    import polars as pl

    df = people()
    path = tmp_path / "people.parquet"
    df.to_parquet(path, row_group_size=2_500)  # several row groups, as a large file has
    expected = draw(df).rows.to_pandas()["i"].tolist()
    assert draw(pl.scan_parquet(path)).rows.to_pandas()["i"].tolist() == expected
    for _ in range(2):  # DuckDB numbers a scan's rows in the file's order, every time
        assert draw(duckdb.read_parquet(str(path))).rows.to_pandas()["i"].tolist() == expected


def test_a_marketing_audit_that_needs_no_rows_samples_none(customers: pd.DataFrame) -> None:
    # no features and no offer: nothing reads rows, so above the cap nothing is sampled or read,
    # and every count is the same as with every row in memory
    options = {"features": [], "offer": None}
    whole = marketing(customers, **options)
    counted = marketing(customers, sample_rows=1000, **options)
    assert counted.data.sample is None and not any("seeded sample" in note for note in counted.notes)
    assert [c.model_dump() for c in counted.counts] == [c.model_dump() for c in whole.counts]
    assert counted.tables == whole.tables

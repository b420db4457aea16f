"""Counterfactual sensitivity of a model audit: flip shares, their intervals and tests, their judging.

Every share is checked against a direct computation in this file: the fitted model's own
``predict_proba`` on a copy of the rows with the flipped column replaced, decisions compared row
by row. Intervals are checked against statsmodels' Wilson interval, p-values against
``scipy.stats.binomtest``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
import yaml
from click.testing import CliRunner
from scipy import stats
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from statsmodels.stats.proportion import proportion_confint

import equityaudit as ea
from equityaudit.cli import main

REASON = "rows held out of the model's training"
THRESHOLD = 0.5
ROWS = 1200


def _data(seed: int = 0, rows: int = ROWS) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "sex": rng.choice(["F", "M"], rows),
            "race": rng.choice(["A", "B", "C"], rows, p=[0.5, 0.3, 0.2]),
            "x": rng.normal(size=rows),
            "income": rng.integers(10, 90, rows),  # 80 distinct numbers: flipped between quantile bins
        }
    )


def _pipeline(data: pd.DataFrame, *, weight: float, read_sex: bool = True) -> Any:
    """A logistic pipeline on sex (one-hot), race, x and income; ``weight`` is sex's effect on the label."""
    rng = np.random.default_rng(1)
    label = (
        data["x"] + 0.02 * data["income"] + weight * (data["sex"] == "M") + rng.normal(size=len(data)) > 1.0
    )
    encoder = make_column_transformer(
        (OneHotEncoder(), ["sex", "race"] if read_sex else ["race"]),
        *([] if read_sex else [("drop", ["sex"])]),
        remainder=StandardScaler(),
    )
    return make_pipeline(encoder, LogisticRegression()).fit(data[["sex", "race", "x", "income"]], label)


def _save(pipeline: Any, path: Path) -> dict[str, Any]:
    sio.dump(pipeline, path)
    return {"path": path, "trusted": sio.get_untrusted_types(file=path)}


def _audit(data: pd.DataFrame, model: dict[str, Any], **extra: Any) -> ea.AuditResult:
    return ea.audit(
        data,
        auditor=extra.pop("auditor", "decisions"),
        sensitive=extra.pop("sensitive", ["sex", "race"]),
        model={"features": ["sex", "race", "x", "income"], **model},
        kind="test",
        test_data_reason=REASON,
        **extra,
    )


def _direct_changes(
    pipeline: Any, data: pd.DataFrame, column: str, targets: list[Any], own: np.ndarray
) -> tuple[np.ndarray, dict[Any, np.ndarray]]:
    """Rows whose decision changes under at least one flip, and under each flip, by predicting on copies."""
    features = data[["sex", "race", "x", "income"]]
    base = pipeline.predict_proba(features)[:, 1] >= THRESHOLD
    per_target = {}
    for j, value in enumerate(targets):
        flipped = features.copy()
        flipped[column] = value
        per_target[value] = ((pipeline.predict_proba(flipped)[:, 1] >= THRESHOLD) != base) & (own != j)
    return np.logical_or.reduce(list(per_target.values())), per_target


def _rows(result: ea.AuditResult, name: str) -> dict[tuple[str, str], dict[str, Any]]:
    table = next(t for t in result.tables if t.name == name)
    return {(next(iter(r["group"].values())), r["flip_to"]): r for r in table.rows}


@pytest.fixture(scope="module")
def driven(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A model that reads sex with a large coefficient, audited with income declared a proxy."""
    data = _data()
    pipeline = _pipeline(data, weight=1.5)
    model = _save(pipeline, tmp_path_factory.mktemp("driven") / "m.skops")
    result = _audit(data, {**model, "proxies": ["income"]})
    return {"data": data, "pipeline": pipeline, "result": result, "model": model}


def test_sex_flip_shares_equal_predicting_on_copies(driven: dict[str, Any]) -> None:
    data, pipeline, result = driven["data"], driven["pipeline"], driven["result"]
    targets = ["F", "M"]  # each value observed, most frequent first (ties by name)
    counts = data["sex"].value_counts()
    targets = sorted(targets, key=lambda v: (-counts[v], v))
    own = data["sex"].map({v: j for j, v in enumerate(targets)}).to_numpy()
    changed, per_target = _direct_changes(pipeline, data, "sex", targets, own)
    for by in ("sex", "race"):
        rows = _rows(result, f"counterfactual:sex:{by}")
        for group, members in data.groupby(by).groups.items():
            mask = data.index.isin(members)
            row = rows[(group, "any other value")]
            assert (row["n"], row["changed"]) == (int(mask.sum()), int(changed[mask].sum()))
            assert row["decision_change_rate"] == pytest.approx(changed[mask].mean(), abs=1e-15)
            for j, value in enumerate(targets):
                flipped = mask & (own != j)
                if flipped.sum() == 0:
                    assert (group, value) not in rows  # every row already holds it: nothing flipped
                    continue
                cell = rows[(group, value)]
                assert (cell["n"], cell["changed"]) == (
                    int(flipped.sum()),
                    int(per_target[value][mask].sum()),
                )
    assert changed.mean() > 0.2  # a large coefficient: the flip matters


def test_numeric_proxy_is_flipped_to_quantile_bin_medians(driven: dict[str, Any]) -> None:
    """income has 80 distinct numbers: cut at its quintiles, each row flipped to the (lower) median
    value of every other bin, as the methodology defines; computed here with numpy."""
    data, pipeline, result = driven["data"], driven["pipeline"], driven["result"]
    income = data["income"].to_numpy()
    edges = np.unique(np.quantile(income.astype(float), [0.2, 0.4, 0.6, 0.8]))
    bins = np.searchsorted(edges, income, side="right")
    medians = [
        int(np.sort(income[bins == b])[(int((bins == b).sum()) - 1) // 2]) for b in range(len(edges) + 1)
    ]
    changed, per_target = _direct_changes(pipeline, data, "income", medians, bins)
    rows = _rows(result, "counterfactual:income:sex")
    for sex in ("F", "M"):
        mask = (data["sex"] == sex).to_numpy()
        assert rows[(sex, "any other value")]["changed"] == int(changed[mask].sum())
        for b, value in enumerate(medians):
            label = f"{value:g} (median of bin {b + 1} of {len(medians)})"
            assert rows[(sex, label)]["changed"] == int(per_target[value][mask].sum())
    assert any("income (model.proxies) holds 80 distinct numbers" in note for note in result.notes)


def test_intervals_are_wilson_and_p_values_exact_binomial(driven: dict[str, Any]) -> None:
    result = driven["result"]
    findings = [f for f in result.findings if f.metric == "decision_change_rate"]
    # race is a sensitive column the model reads too: (sex, race, income) × (F, M, A, B, C)
    assert len(findings) == 3 * (2 + 3)
    for finding in findings:
        n, changed = finding.details["n"], finding.details["changed"]
        low, high = proportion_confint(changed, n, alpha=0.05, method="wilson")
        assert (finding.ci_low, finding.ci_high) == (
            pytest.approx(low, abs=1e-12),
            pytest.approx(high, abs=1e-12),
        )
        expected = stats.binomtest(changed, n, 0.05, alternative="greater").pvalue
        assert finding.p_value == pytest.approx(expected, rel=1e-12)
        assert finding.threshold == 0.05
        assert finding.kind == "rate"


def test_a_model_driven_by_sex_fails_and_its_findings_share_the_audits_family(driven: dict[str, Any]) -> None:
    result = driven["result"]
    sex = [f for f in result.findings if f.table.startswith("counterfactual:sex:")]
    assert {f.status for f in sex} == {"fail"}
    assert result.verdict == "fail"
    assert "Flipping the model's sensitive column sex changes" in sex[0].message
    assert "above the 5% limit, and significantly so (Holm-adjusted p" in sex[0].message
    # judged in one call with the selection-rate findings: the counterfactual families and the
    # rate tables' families are one Holm family
    families = {f.details["family"] for f in result.findings}
    assert {"counterfactual:sex", "counterfactual:income"} <= families
    assert any(not f.details["family"].startswith("counterfactual") for f in result.findings)


def test_a_model_that_ignores_sex_changes_nothing_and_passes(tmp_path: Path) -> None:
    """The pipeline drops sex (it is in the model's features but not used): flipping it changes no
    decision, 0 of n, and a group of n > z²(1 − t)/t ≈ 73 rows has a Wilson upper bound below 5%."""
    data = _data()
    model = _save(_pipeline(data, weight=1.5, read_sex=False), tmp_path / "m.skops")
    result = _audit(data, model, sensitive="sex")
    findings = [f for f in result.findings if f.metric == "decision_change_rate"]
    assert [f.value for f in findings] == [0.0, 0.0]
    assert {f.status for f in findings} == {"pass"}
    n = findings[0].details["n"]
    assert findings[0].ci_high == pytest.approx(proportion_confint(0, n, alpha=0.05, method="wilson")[1])


def test_nothing_to_flip_is_a_note_without_table_or_finding(tmp_path: Path) -> None:
    data = _data()
    pipeline = make_pipeline(StandardScaler(), LogisticRegression()).fit(data[["x"]], data["x"] > 0)
    model = _save(pipeline, tmp_path / "m.skops")
    result = _audit(data, {**model, "features": ["x"]}, sensitive="sex")
    assert not [t for t in result.tables if t.name.startswith("counterfactual:")]
    assert not [f for f in result.findings if f.metric == "decision_change_rate"]
    assert (
        "Counterfactual sensitivity: not tested. The model reads none of the sensitive columns (sex) and "
        "model.proxies declares no proxy, so there is nothing to flip" in " ".join(result.notes)
    )


def test_a_text_column_of_many_values_is_capped_with_a_note(tmp_path: Path) -> None:
    data = _data()
    rng = np.random.default_rng(5)
    data["town"] = rng.choice([f"t{i:02d}" for i in range(14)], len(data))
    features = ["sex", "town", "x"]
    encoder = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["sex", "town"]), remainder="passthrough"
    )
    pipeline = make_pipeline(encoder, LogisticRegression()).fit(data[features], data["x"] > 0)
    model = _save(pipeline, tmp_path / "m.skops")
    result = _audit(data, {**model, "features": features, "proxies": ["town"]}, sensitive="sex")
    rows = _rows(result, "counterfactual:town:sex")
    assert len({flip for _, flip in rows}) == 1 + 10  # any other value, and the 10 most frequent towns
    top = data["town"].value_counts()
    top = sorted(top.index, key=lambda v: (-top[v], v))[:10]
    assert {flip for _, flip in rows} == {"any other value", *top}
    assert any(
        "town (model.proxies) holds 14 distinct values; it is flipped to its 10 most frequent" in n
        for n in result.notes
    )


def test_the_hiring_auditor_judges_the_flips_too(driven: dict[str, Any]) -> None:
    result = _audit(driven["data"], {**driven["model"]}, auditor="hiring", sensitive=["sex", "race"])
    statuses = {f.id: f.status for f in result.findings if f.table.startswith("counterfactual:sex:")}
    assert len(statuses) == 5 and set(statuses.values()) == {"fail"}
    assert not any("judged apart" in note for note in result.notes)


def test_onnx_and_skops_give_the_same_flip_counts(tmp_path: Path) -> None:
    """A model of numbers only (sex coded 0/1), saved with skops and exported with skl2onnx."""
    from skl2onnx import to_onnx

    data = _data()
    data["male"] = (data["sex"] == "M").astype(float)
    data["income"] = data["income"].astype(float)
    features = ["male", "x", "income"]
    label = data["x"] + 1.5 * data["male"] + np.random.default_rng(2).normal(size=len(data)) > 0.8
    pipeline = make_pipeline(StandardScaler(), LogisticRegression()).fit(data[features], label)
    sio.dump(pipeline, tmp_path / "m.skops")
    onnx = to_onnx(pipeline, data[features].to_numpy(dtype=np.float32)[:1], options={"zipmap": False})
    (tmp_path / "m.onnx").write_bytes(onnx.SerializeToString())
    counts = {}
    for name in ("m.skops", "m.onnx"):
        result = ea.audit(
            data,
            auditor="decisions",
            sensitive="sex",
            model={"path": tmp_path / name, "features": features, "proxies": ["male"]},
            kind="test",
            test_data_reason=REASON,
        )
        counts[name] = {k: r["changed"] for k, r in _rows(result, "counterfactual:male:sex").items()}
    base = pipeline.predict_proba(data[features])[:, 1] >= THRESHOLD
    flipped = data[features].assign(male=1 - data["male"])
    changed = (pipeline.predict_proba(flipped)[:, 1] >= THRESHOLD) != base
    for sex in ("F", "M"):
        expected = int(changed[(data["sex"] == sex).to_numpy()].sum())
        assert counts["m.skops"][(sex, "any other value")] == expected
        # ONNX computes in float32: a probability within 1e-6 of the cut-off may fall the other way
        assert abs(counts["m.onnx"][(sex, "any other value")] - expected) <= 2


# -- errors: exit code 2 through the CLI ---------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    data = _data(rows=200)
    data.to_csv(tmp_path / "held_out.csv", index=False)
    sio.dump(_pipeline(data, weight=1.0), tmp_path / "m.skops")
    return tmp_path


def _run(folder: Path, model: dict[str, Any], **extra: Any) -> Any:
    spec = {
        "equityaudit": 1,
        "name": "model",
        "auditor": "decisions",
        "data": {"path": "held_out.csv", "kind": "test", "test_data_reason": REASON},
        "columns": {"sensitive": ["sex"]},
        "model": {
            "path": "m.skops",
            "features": ["sex", "race", "x", "income"],
            "trusted": sio.get_untrusted_types(file=folder / "m.skops"),
            **model,
        },
        **extra,
    }
    (folder / "spec.yaml").write_text(yaml.safe_dump(spec))
    result = CliRunner().invoke(main, ["run", str(folder / "spec.yaml"), "--out", str(folder / "out")])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def test_a_proxy_that_is_not_a_feature_exits_2_naming_the_features(folder: Path) -> None:
    result = _run(folder, {"proxies": ["postcode"]})
    assert result.exit_code == 2
    assert (
        "model.proxies: 'postcode' is not one of the model's features ('sex', 'race', 'x', 'income'); a proxy "
        "is flipped in the rows the model reads, so it must be a feature." in result.output
    )


def test_a_counterfactual_threshold_outside_0_1_exits_2(folder: Path) -> None:
    result = _run(folder, {}, thresholds={"counterfactual": 1.5})
    assert result.exit_code == 2
    assert "thresholds.counterfactual" in result.output


def test_a_proxy_listed_twice_exits_2(folder: Path) -> None:
    result = _run(folder, {"proxies": ["income", "income"]})
    assert result.exit_code == 2
    assert "proxies lists a column twice: ['income', 'income']" in result.output


# -- an auditor that does not judge the model's evidence ------------------------------------------

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"


@pytest.fixture
def with_example_plugin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from equityaudit.plugins import plugin_manager

    monkeypatch.syspath_prepend(str(PLUGINS))
    monkeypatch.delenv("EQUITYAUDIT_NO_ENTRYPOINTS")
    plugin_manager.cache_clear()
    yield
    plugin_manager.cache_clear()


@pytest.mark.usefixtures("with_example_plugin")
def test_a_third_party_auditor_gets_the_flips_judged_apart_with_a_note(driven: dict[str, Any]) -> None:
    result = _audit(driven["data"], driven["model"], auditor="example", sensitive="sex")
    flips = [f for f in result.findings if f.metric == "decision_change_rate"]
    assert {f.status for f in flips} == {"fail"}
    assert result.verdict == "fail"
    assert any(
        "The example auditor did not judge the model's counterfactual sensitivity with its own findings"
        in note
        for note in result.notes
    )


# -- reports ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> ea.AuditResult:
    """Sex labelled with markup and a pipe: every report must show it as text."""
    data = _data()
    data["sex"] = data["sex"].map({"F": "<b>F</b>", "M": "M|[bold]x[/]"})
    model = _save(_pipeline(data, weight=1.5), tmp_path_factory.mktemp("hostile") / "m.skops")
    return _audit(data, model, sensitive="sex")


def test_markdown_shows_each_group_and_value_flipped_to_with_the_judged_status(
    driven: dict[str, Any],
) -> None:
    from equityaudit.report.markdown import render_markdown

    result = driven["result"]
    text = render_markdown(result)
    rows = _rows(result, "counterfactual:sex:sex")
    f_any = rows[("F", "any other value")]
    assert "### counterfactual:sex:sex: counterfactual sensitivity" in text
    assert (
        f"| F | any other value | {f_any['n']} | {f_any['changed']} | {100 * f_any['decision_change_rate']:.1f}% "
        in text
    )
    assert "| fail |" in text and "| not judged |" in text


def test_reports_escape_labels_in_counterfactual_tables(hostile: ea.AuditResult) -> None:
    from io import StringIO

    from rich.console import Console

    from equityaudit.cli.summary import print_summary
    from equityaudit.report.html import render_html
    from equityaudit.report.markdown import render_markdown

    assert any(t.name == "counterfactual:sex:sex" for t in hostile.tables)
    html = render_html(hostile)
    assert "<b>F</b>" not in html and "&lt;b&gt;F&lt;/b&gt;" in html
    markdown = render_markdown(hostile)
    assert "| &lt;b&gt;F&lt;/b&gt; | any other value |" in markdown
    assert "| M\\|[bold]x[/] | any other value |" in markdown  # the pipe escaped: one cell
    out = StringIO()
    print_summary(hostile, [], console=Console(file=out, width=200, highlight=False))
    terminal = out.getvalue()
    assert "counterfactual:sex:sex" in terminal
    assert "M|[bold]x[/]" in terminal  # shown as written, not read as console markup


def test_a_sensitive_column_is_never_flipped_to_a_value_that_means_unknown(tmp_path: Path) -> None:
    """Rows saying "Prefer not to say" are flipped to F and M (own value: none of them) and are
    reported as Unknown, not judged; nobody is flipped to "Prefer not to say"."""
    data = _data()
    data.loc[data.index[:60], "sex"] = "Prefer not to say"
    pipeline = _pipeline(data, weight=1.5)
    model = _save(pipeline, tmp_path / "m.skops")
    result = _audit(data, model, sensitive="sex")
    rows = _rows(result, "counterfactual:sex:sex")
    assert {flip for _, flip in rows} == {"any other value", "F", "M"}
    unknown = rows[("Unknown", "any other value")]
    assert unknown["n"] == 60 and unknown["excluded"]
    features = data[["sex", "race", "x", "income"]]
    base = pipeline.predict_proba(features)[:, 1] >= THRESHOLD
    head = data.index[:60]
    changed = np.zeros(60, dtype=bool)
    for value in ("F", "M"):
        flipped = features.loc[head].assign(sex=value)
        changed |= (pipeline.predict_proba(flipped)[:, 1] >= THRESHOLD) != base[:60]
    assert unknown["changed"] == int(changed.sum())
    assert not [f for f in result.findings if f.group == {"sex": "Unknown"}]


def test_every_backend_gives_the_flip_counts_of_predicting_on_copies(
    driven: dict[str, Any], constructor: Any
) -> None:
    """The same rows as a pandas, polars (eager and lazy), pyarrow or duckdb frame. Sex has two
    values, so a row changes under some flip exactly when it changes with its sex swapped."""
    data, pipeline = driven["data"], driven["pipeline"]
    result = _audit(constructor(data), driven["model"], sensitive="sex")
    features = data[["sex", "race", "x", "income"]]
    swapped = features.assign(sex=features["sex"].map({"F": "M", "M": "F"}))
    changed = (pipeline.predict_proba(swapped)[:, 1] >= THRESHOLD) != (
        pipeline.predict_proba(features)[:, 1] >= THRESHOLD
    )
    rows = _rows(result, "counterfactual:sex:sex")
    for sex in ("F", "M"):
        mask = (data["sex"] == sex).to_numpy()
        assert rows[(sex, "any other value")]["changed"] == int(changed[mask].sum())

"""The model's descriptive tables and the sweep chart in the Markdown and HTML reports, with group
labels that try to break out of a table cell or inject markup (they must come out inert)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

import equityaudit as ea
from equityaudit.report.html import render_html
from equityaudit.report.markdown import render_markdown

REASON = "rows held out of the model's training"
FEMALE, MALE = "<script>alert(1)</script>", "a | pipe and a `tick"


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ea.AuditResult:
    rng = np.random.default_rng(2)
    n = 1600
    sex = rng.choice([FEMALE, MALE], size=n)
    x = rng.normal(size=n) + np.where(sex == MALE, 0.5, 0.0)
    y = (x + rng.normal(size=n) > 0.3).astype(int)
    data = pd.DataFrame({"sex": sex, "x": x, "y": y})
    model = LogisticRegression().fit(data[["x"]][:800], data["y"][:800])
    path = tmp_path_factory.mktemp("report-model") / "m.skops"
    sio.dump(model, path)
    audited = ea.audit(
        data[800:].reset_index(drop=True),
        auditor="decisions",
        sensitive="sex",
        outcome="y",
        model={"path": path, "features": ["x"], "threshold": {"top_share": 0.2}},
        kind="test",
        test_data_reason=REASON,
    )
    # as every report is rendered: from the result as its JSON stores it
    return ea.AuditResult.model_validate_json(audited.to_json())


def _row(result: ea.AuditResult, table: str, label: str) -> dict[str, Any]:
    return next(
        r for r in next(t for t in result.tables if t.name == table).rows if r["group"]["sex"] == label
    )


def test_markdown_shows_each_model_table_and_keeps_its_columns(result: ea.AuditResult) -> None:
    text = render_markdown(result)
    for heading in ("shortlist:sex: shortlists", "model:sex: model quality", "calibration:sex: calibration"):
        assert f"### {heading}" in text
    assert "| group | n | positives | AUC | AUC CI |" in text
    auc = _row(result, "model:sex", FEMALE)["auc"]
    assert f"&lt;script&gt;alert(1)&lt;/script&gt; | {_row(result, 'model:sex', FEMALE)['n']:,} |" in text
    assert f"| {auc:.3f} |" in text
    assert "<script" not in text
    widths: list[int] = []  # a label's pipe never splits a cell: every row as wide as its header
    for line in text.splitlines():
        if not line.startswith("|"):
            widths = []
            continue
        widths.append(len(re.findall(r"(?<!\\)\|", line)))
        assert widths[-1] == widths[0], line


def test_html_draws_the_sweep_and_lists_the_tables(result: ea.AuditResult) -> None:
    page = render_html(result)
    assert page.count("<script") == 1  # the print script only
    assert 'id="chart-sweep-0"' in page and 'class="chart sweep"' in page
    # the model's cut-off (the shortlist's) is marked, and the threshold 0.8
    cut = result.data.model.threshold
    assert f"model threshold {cut:.3g}" in page
    assert '<g class="rule threshold">' in page
    # a line per compared group in the legend, its label escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;</li>" in page
    for name in ("shortlist-sex", "model-sex", "calibration-sex"):
        assert f'id="table-{name}"' in page
    assert "model quality by sex (2 rows; not judged)" in page
    assert ">AUC CI</th>" in page and ">calibration-in-the-large</th>" in page


def test_a_damaged_sweep_row_is_drawn_without_it(result: ea.AuditResult) -> None:
    sweep = next(t for t in result.tables if t.name == "sweep:sex")
    rows = [dict(r) for r in sweep.rows]
    rows[0]["impact_ratio"] = "not a number"
    rows[1]["cut_off"] = None
    damaged = result.model_copy(
        update={"tables": [t.model_copy(update={"rows": rows}) if t is sweep else t for t in result.tables]}
    )
    page = render_html(damaged)
    assert 'id="chart-sweep-0"' in page

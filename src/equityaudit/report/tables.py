"""The HTML report's full data tables: which columns a table's rows have, in what order, each cell's format."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from equityaudit.report.formatting import (
    fmt_count,
    fmt_p,
    fmt_pct,
    fmt_pct_range,
    fmt_points,
    fmt_points_range,
    fmt_ratio,
    fmt_ratio_range,
    number_or_none,
)
from equityaudit.report.vocabulary import metric_rank
from equityaudit.results import Table

__all__ = [
    "ANY_FLIP",
    "COUNTERFACTUAL_METRIC",
    "ColumnSpec",
    "TableLayout",
    "cell",
    "count_rank",
    "is_counterfactual",
    "table_layout",
]


@dataclass
class ColumnSpec:
    """A column of a full data table: header, key and how to format it."""

    header: str
    key: str
    kind: (
        str  # count | pct | pct_range | ratio | ratio_range | points | points_range | p | text | number | bin
    )
    key2: str = ""


@dataclass
class TableLayout:
    """How a table of the result is shown in full: counts, rates and tests, each a narrow table."""

    columns: list[ColumnSpec]
    metrics: list[str]
    tests: list[ColumnSpec]
    title: str = ""
    """A model's descriptive table (shortlists, quality, calibration): what it shows, in a few words."""


_MODEL_TABLES: dict[str, tuple[str, list[ColumnSpec]]] = {
    "shortlist:": (
        "shortlists",
        [
            ColumnSpec("shortlist", "shortlist", "text"),
            ColumnSpec("k", "k", "count"),
            ColumnSpec("cut-off", "cut_off", "number"),
            ColumnSpec("n", "n", "count"),
            ColumnSpec("selected", "selected", "count"),
            ColumnSpec("selection rate", "selection_rate", "pct"),
            ColumnSpec("impact ratio", "impact_ratio", "ratio"),
            ColumnSpec("compared", "compared", "text"),
            ColumnSpec("model's", "model", "text"),
        ],
    ),
    "model:": (
        "model quality",
        [
            ColumnSpec("n", "n", "count"),
            ColumnSpec("positives", "positives", "count"),
            ColumnSpec("AUC", "auc", "ratio"),
            ColumnSpec("AUC CI", "auc_ci_low", "ratio_range", "auc_ci_high"),
            ColumnSpec("mean score", "mean_score", "number"),
            ColumnSpec("observed rate", "observed_rate", "pct"),
            ColumnSpec("calibration-in-the-large", "calibration_in_the_large", "points"),
            ColumnSpec(
                "CI",
                "calibration_in_the_large_ci_low",
                "points_range",
                "calibration_in_the_large_ci_high",
            ),
            ColumnSpec("SMD", "smd", "number"),
            ColumnSpec("KS", "ks_statistic", "number"),
            ColumnSpec("KS p", "ks_p_value", "p"),
        ],
    ),
    "calibration:": (
        "calibration",
        [
            ColumnSpec("bin", "bin_low", "bin", "bin_high"),
            ColumnSpec("n", "n", "count"),
            ColumnSpec("positives", "positives", "count"),
            ColumnSpec("mean predicted", "mean_predicted", "pct"),
            ColumnSpec("observed rate", "observed_rate", "pct"),
            ColumnSpec("CI", "observed_rate_ci_low", "pct_range", "observed_rate_ci_high"),
        ],
    ),
}
"""A model's descriptive tables, by name prefix: their title and columns (those a row has)."""


def table_layout(table: Table) -> TableLayout:
    """Every column of a table's rows: the counts, the metrics (each shown with its interval,
    ratio and difference, one line per group and metric) and the tests against the reference."""
    if table.name.startswith("sweep:"):  # a model's threshold sweep: one row per group and cut-off
        present = {k for row in table.rows for k in row}
        sweep = [
            ColumnSpec("cut-off", "cut_off", "plain"),
            ColumnSpec("n", "n", "count"),
            ColumnSpec("selected", "selected", "count"),
            ColumnSpec("selection rate", "selection_rate", "pct"),
            ColumnSpec("impact ratio", "impact_ratio", "ratio"),
            ColumnSpec("accuracy", "accuracy", "pct"),
            ColumnSpec("compared", "compared", "text"),
        ]
        return TableLayout(columns=[c for c in sweep if c.key in present], metrics=[], tests=[])
    if table.name.startswith("stratified:"):  # a pooled audit's comparisons with members as strata
        stratified = [
            ColumnSpec("members", "members", "count"),
            ColumnSpec("summed ratio", "summed_ratio", "ratio"),
            ColumnSpec("stratified ratio", "stratified_ratio", "ratio"),
            ColumnSpec("95% CI", "stratified_ratio_ci_low", "ratio_range", "stratified_ratio_ci_high"),
            ColumnSpec("p (CMH)", "cmh_p_value", "p"),
            ColumnSpec("p (homogeneity)", "homogeneity_p_value", "p"),
            ColumnSpec("conclusions differ", "conclusions_differ", "text"),
        ]
        present = {k for row in table.rows for k in row}  # scoring rates have no summed ratio
        return TableLayout(columns=[c for c in stratified if c.key in present], metrics=[], tests=[])
    if is_counterfactual(table):  # a model's flips: one row per group and value flipped to
        present = {k for row in table.rows for k in row}
        flips = [
            ColumnSpec("flipped to", "flip_to", "text"),
            ColumnSpec("n", "n", "count"),
            ColumnSpec("changed", "changed", "count"),
            ColumnSpec("share changed", COUNTERFACTUAL_METRIC, "pct"),
            ColumnSpec(
                "95% CI", f"{COUNTERFACTUAL_METRIC}_ci_low", "pct_range", f"{COUNTERFACTUAL_METRIC}_ci_high"
            ),
        ]
        return TableLayout(columns=[c for c in flips if c.key in present], metrics=[], tests=[])
    for prefix, (title, specs) in _MODEL_TABLES.items():
        if table.name.startswith(prefix):  # a model's descriptive table: fixed columns, not judged
            present = {k for row in table.rows for k in row}
            shown = [c for c in specs if c.key in present]
            return TableLayout(columns=shown, metrics=[], tests=[], title=title)
    # Key order differs between a result made in memory and one read back from (sorted) JSON;
    # the page must not, so columns follow a fixed order: n, the table's counts, then by name.
    keys = sorted({k for row in table.rows for k in row}, key=lambda k: (count_rank(k, table), k))
    metrics = [k for k in keys if f"{k}_ci_low" in keys and not k.endswith(("_ratio", "_difference"))]
    metrics.sort(key=lambda m: (m != table.metric, metric_rank(m), m))
    derived = {f"{m}{suffix}" for m in metrics for suffix in _METRIC_SUFFIXES}
    tests = ["z", "p_value_z", "p_value_fisher", "p_value", "shortfall"]
    skip = {
        "group",
        "note",
        "reference",
        "excluded",
        "excluded_reason",
        "impact_ratio",
        *metrics,
        *derived,
        *tests,
    }
    columns = [ColumnSpec(h, k, "count") for h, k in [("n", "n")] if k in keys]
    columns += [ColumnSpec(k.replace("_", " "), k, "count") for k in keys if k not in skip and k != "n"]
    test_columns = [
        ColumnSpec(header, key, kind)
        for header, key, kind in [
            ("z", "z", "plain"),
            ("p (z)", "p_value_z", "p"),
            ("p (Fisher)", "p_value_fisher", "p"),
            ("p (mid-p)", "p_value", "p"),
            ("shortfall", "shortfall", "count"),
        ]
        if key in keys
    ]
    return TableLayout(columns=columns, metrics=metrics, tests=test_columns)


COUNTERFACTUAL_METRIC = "decision_change_rate"
"""The metric of a model's counterfactual tables (``counterfactual:<flipped>:<by>``): the share of a
group's decisions that change when a sensitive column or proxy is flipped."""
ANY_FLIP = "any other value"
"""The ``flip_to`` of a counterfactual table's judged row (the decision changes under some flip)."""


def is_counterfactual(table: Table) -> bool:
    """Whether ``table`` is a model's counterfactual table (one row per group and value flipped to)."""
    return table.metric == COUNTERFACTUAL_METRIC and table.name.startswith("counterfactual:")


def count_rank(key: str, table: Table | None = None) -> int:
    """Sort rank of a count column: n first, then the table's numerator and denominator."""
    if key == "n":
        return 0
    if table is not None and key in (table.numerator, table.denominator):
        return 1
    return 2


_METRIC_SUFFIXES = (
    "_ci_low",
    "_ci_high",
    "_ratio",
    "_ratio_ci_low",
    "_ratio_ci_high",
    "_difference",
    "_difference_ci_low",
    "_difference_ci_high",
)


def cell(row: Mapping[str, Any], column: ColumnSpec) -> str:
    """One formatted cell of a full data table."""
    value = row.get(column.key)
    if column.kind == "count":
        return fmt_count(value)
    if column.kind == "pct":
        return fmt_pct(value)
    if column.kind == "pct_range":
        return fmt_pct_range(value, row.get(column.key2))
    if column.kind == "ratio":
        return fmt_ratio(value)
    if column.kind == "ratio_range":
        return fmt_ratio_range(value, row.get(column.key2))
    if column.kind == "points":
        return fmt_points(value)
    if column.kind == "points_range":
        return fmt_points_range(value, row.get(column.key2))
    if column.kind == "p":
        return fmt_p(value)
    if column.kind == "text":
        return {True: "yes", False: "no", None: "—"}.get(value, str(value))
    if column.kind == "bin":  # a reliability bin: (low, high], the first closed on both sides
        low, high = number_or_none(value), number_or_none(row.get(column.key2))
        if low is None or high is None:
            return "—"
        return f"{'[' if low == 0 else '('}{low:g}, {high:g}]"
    if column.kind == "number":
        number = number_or_none(value)
        return "—" if number is None else f"{number:.3g}"
    number = number_or_none(value)
    return "—" if number is None else f"{number:.2f}"

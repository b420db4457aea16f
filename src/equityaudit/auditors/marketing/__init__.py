"""The ``marketing`` auditor: customer segments, campaigns and offers, by group, and the proxies behind them.

Retail tools segment customers — who gets the premium offer, the discount, the credit line, the
higher price — and segmentation quietly reproduces demographic lines through proxies such as the
postcode. For a customer table with sensitive attributes (observed columns, or per-category
probabilities such as BISG's), a segment column and/or targeting flags, an optional offer value
and the features the segmentation used, the auditor reports:

1. **Targeting** — per declared segment or campaign, each group's inclusion rate with its
   interval, the ratio to the most-included group (favourable) or the least-included group
   (unfavourable) with intervals and tests.
2. **Representation** — each segment's composition against the whole customer base: per-group
   representation ratios with intervals, and the total variation distance.
3. **Offer value parity** — mean and median offer by group with bootstrap intervals and ratios.
4. **Proxies** — for every segmentation feature and attribute, Cramér's V or the correlation
   ratio, normalised mutual information, and a cross-validated classifier's AUC, ranked.

Targeting, representation and offer findings are judged together, once per audit, by the one
rule of :mod:`equityaudit.judging`: each analysis turns counts into
:class:`~equityaudit.judging.Evidence`, and every p-value of the audit is adjusted in one
weighted Holm (or BH) step-down, one family per targeting table, representation table and offer
table (:data:`FAMILIES`). Proxies are judged by their AUC against fixed thresholds (no test) and
join the findings after.

Every table and finding built on estimated membership says so (``estimated`` in its name, rows
and details). The methods are in docs/marketing.md.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

import narwhals as nw
from pydantic import BaseModel

from equityaudit.auditors.base import AuditContext, AuditorOutput, Role
from equityaudit.auditors.comparison import Comparison, comparison_evidence
from equityaudit.auditors.grouping import groupings
from equityaudit.auditors.marketing.counts import count_records, observed_counts, square_key, weighted_counts
from equityaudit.auditors.marketing.data import prepare
from equityaudit.auditors.marketing.offer import offer_parity
from equityaudit.auditors.marketing.options import MarketingOptions, check_marketing_spec
from equityaudit.auditors.marketing.proxies import proxy_analysis
from equityaudit.auditors.marketing.representation import (
    Representation,
    representation_evidence,
    representation_table,
)
from equityaudit.auditors.marketing.targeting import ESTIMATED_NOTE, targeting_table, weighted_rate_table
from equityaudit.hookspecs import hookimpl
from equityaudit.judging import CORRECTION_NAMES, Evidence, Judgement, judge
from equityaudit.results import CountsTable
from equityaudit.spec import AuditSpec

__all__ = ["FAMILIES", "MarketingAuditor", "MarketingOptions", "equityaudit_auditors"]

FAMILIES = {
    "targeting": "one family per targeting table (a segment or campaign by one grouping): with a "
    "reference chosen by the data (max_rate: the most- or least-included group) every pair of its "
    "judgeable groups (Fisher mid-p; z on effective counts for estimated membership), otherwise its "
    "comparisons with the reference",
    "representation": "one family per representation table: its chi-square test",
    "offer": "one family per offer table: every pair of its judgeable groups (Welch's t test), the "
    "reference being the group with the extreme mean",
    "proxies": "not tested: each AUC is judged against proxy_auc_warn and proxy_auc_fail",
}
"""The families of hypotheses of a marketing audit, as ``context.marketing.families`` states them."""


class MarketingAuditor:
    """Audit customer segments, campaigns and offers for demographic bias (see the module docstring)."""

    name = "marketing"
    summary = (
        "Customer segments, campaigns and offers by group: targeting, representation, offer parity, proxies."
    )
    roles: ClassVar[dict[str, Role]] = {
        "sensitive": "optional",
        "decision": "unused",
        "score": "unused",
        "outcome": "unused",
        "stage": "unused",
        "id": "optional",
    }
    options_model = MarketingOptions

    def expectations(self, spec: AuditSpec) -> list[dict[str, Any]]:
        """What the gate checks for this auditor, in great-expectations JSON form.

        Every column the options name exists; campaign flags are never missing; the offer is
        numeric; each probability column lies in [0, 1] and each row's probabilities sum to 1.
        great-expectations compares that sum *exactly* (``sum(axis=1) == sum_total``), which
        correctly rounded floating-point probabilities often miss by 1e-16, so the expectation
        carries a ``row_condition`` that selects only the rows further from 1 than
        ``options.probability_tolerance``: every selected row is a real failure.
        """
        try:
            options = MarketingOptions.model_validate(spec.options)
        except ValueError:
            return []  # the engine reports invalid options, naming the key
        from equityaudit.quality.suite import NUMERIC_TYPES

        def meta(fix: str) -> dict[str, Any]:
            return {"equityaudit": {"fix": fix}}

        declared: list[dict[str, Any]] = []
        for key, column in options.columns().items():
            declared.append(
                {
                    "type": "expect_column_to_exist",
                    "kwargs": {"column": column},
                    "meta": meta(f"correct {key} in the spec, or add the column to the data"),
                }
            )
        for column in options.campaigns:
            declared.append(
                {
                    "type": "expect_column_values_to_not_be_null",
                    "kwargs": {"column": column},
                    "meta": meta("fill in the missing flags (1/0, yes/no), or drop those rows"),
                }
            )
        if options.offer is not None:
            declared.append(
                {
                    "type": "expect_column_values_to_be_in_type_list",
                    "kwargs": {"column": options.offer, "type_list": list(NUMERIC_TYPES)},
                    "meta": meta("correct the offer values that are not numbers"),
                }
            )
        for attribute, columns in options.estimated.items():
            names = list(columns.values())
            for column in names:
                declared.append(
                    {
                        "type": "expect_column_values_to_be_between",
                        "kwargs": {"column": column, "min_value": 0, "max_value": 1},
                        "meta": meta(f"probabilities of options.estimated.{attribute} lie between 0 and 1"),
                    }
                )
            total = " + ".join(f"`{c}`" for c in names)
            declared.append(
                {
                    "type": "expect_multicolumn_sum_to_equal",
                    "kwargs": {
                        "column_list": names,
                        "sum_total": 1,
                        "row_condition": f"abs({total} - 1) > {options.probability_tolerance!r}",
                        "condition_parser": "pandas",
                    },
                    "meta": {
                        **meta(
                            f"each row of options.estimated.{attribute} must give the whole distribution: add "
                            "missing categories' columns or renormalise the rows"
                        ),
                        "note": "only rows further than options.probability_tolerance from 1 are checked",
                    },
                }
            )
        return declared

    def check_spec(self, spec: AuditSpec, options: BaseModel) -> None:
        """Spec rules beyond the roles, checked before any data is read."""
        assert isinstance(options, MarketingOptions)
        check_marketing_spec(spec, options)

    def option_columns(self, spec: AuditSpec, options: BaseModel) -> dict[str, str]:
        """The columns the options name, ``{spec key: column}``: the engine checks them before the gate."""
        assert isinstance(options, MarketingOptions)
        return options.columns()

    def run(self, frame: nw.LazyFrame[Any], spec: AuditSpec, context: AuditContext) -> AuditorOutput:
        """Read the needed columns once, count, and build every table and finding."""
        options = context.options
        assert isinstance(options, MarketingOptions)
        origin = context.source
        sensitive = list(spec.columns.sensitive)
        prepared = prepare(frame, spec, options, origin=origin)
        output = AuditorOutput(notes=list(prepared.notes), sample=prepared.sample)
        declared = [o for o in prepared.outcomes if o.direction is not None]
        comparisons: list[Comparison] = []
        representations: list[Representation] = []
        estimated_tables: set[str] = set()
        by_sets = groupings(sensitive, intersectional=spec.columns.intersectional) if sensitive else []

        if sensitive:
            counts = observed_counts(prepared, sensitive, options, origin=origin)
            output.counts.append(CountsTable(name="marketing", by=sensitive, rows=count_records(counts)))
            marginals = {by: counts.marginal(by) for by in by_sets}
            for outcome in declared:
                for by in by_sets:
                    table, found = targeting_table(marginals[by], outcome, spec, origin=origin)
                    output.tables.append(table)
                    comparisons += found
            for outcome in prepared.outcomes:
                for by in by_sets:
                    marginal = marginals[by].table
                    groups = [tuple(str(v) for v in g) for g in marginal[list(by)].itertuples(index=False)]
                    representations.append(
                        representation_table(
                            outcome,
                            by,
                            groups,
                            marginal["n"].to_numpy(dtype="float64"),
                            marginal[outcome.key].to_numpy(dtype="float64"),
                            alpha=spec.thresholds.alpha,
                        )
                    )

        estimated_context: dict[str, Any] = {}
        for attribute, columns in options.estimated.items():
            weighted = weighted_counts(prepared, attribute, columns, options)
            output.counts.append(
                CountsTable(
                    name=f"estimated:{attribute}",
                    by=[attribute],
                    rows=[
                        {
                            "group": {attribute: str(r[attribute])},
                            **{str(k): float(v) for k, v in r.items() if k != attribute},
                        }
                        for r in weighted.table.to_dict("records")
                    ],
                )
            )
            for outcome in declared:
                table, found = weighted_rate_table(weighted, outcome, spec)
                output.tables.append(table)
                estimated_tables.add(table.name)
                comparisons += found
            frame_w = weighted.table
            groups = [(str(c),) for c in frame_w[attribute]]
            for outcome in prepared.outcomes:
                representations.append(
                    representation_table(
                        outcome,
                        (attribute,),
                        groups,
                        frame_w["n"].to_numpy(dtype="float64"),
                        frame_w[outcome.key].to_numpy(dtype="float64"),
                        alpha=spec.thresholds.alpha,
                        squares=frame_w["n_sq"].to_numpy(dtype="float64"),
                        included_squares=frame_w[square_key(outcome.key)].to_numpy(dtype="float64"),
                        name_suffix=" (estimated)",
                    )
                )
            estimated_context[attribute] = {
                "columns": dict(columns),
                "customers": weighted.rows,
                "without_probabilities": weighted.unknown,
                "weighted_counts": {str(r[attribute]): float(r["n"]) for r in frame_w.to_dict("records")},
            }
            if options.offer is not None:
                estimated_context[attribute]["offer_mean"] = {
                    str(r[attribute]): (
                        float(r["offer_sum"]) / float(r["offer_n"]) if r["offer_n"] > 0 else None
                    )
                    for r in frame_w.to_dict("records")
                }
            if weighted.unknown:
                output.notes.append(
                    f"{weighted.unknown} customer(s) have no probabilities for the estimated attribute "
                    f"{attribute!r}: counted in the data, left out of its tables"
                )
            output.notes.append(f"{attribute} (estimated): {ESTIMATED_NOTE}")

        evidence = [comparison_evidence(c, spec.thresholds) for c in comparisons]
        evidence = [_label_estimated(e) if e.table in estimated_tables else e for e in evidence]
        output.tables += [r.table for r in representations]
        evidence += representation_evidence(
            representations, spec.thresholds, tvd_threshold=options.tvd_threshold
        )

        marketing: dict[str, Any] = {
            "segment_column": options.segment,
            "segments": {
                label: {
                    "customers": size,
                    "direction": options.segments.get(label),
                }
                for label, size in sorted(prepared.segment_sizes.items())
            },
            "campaigns": dict(options.campaigns),
            "thresholds": {
                "impact_ratio": spec.thresholds.impact_ratio,
                "tvd": options.tvd_threshold,
                "offer_ratio": options.offer_ratio,
                "proxy_auc_warn": options.proxy_auc_warn,
                "proxy_auc_fail": options.proxy_auc_fail,
            },
            "families": {
                "correction": f"{CORRECTION_NAMES[spec.thresholds.correction]}, weighted, over every family "
                "of the audit together: alpha shared equally between the families, and within a family "
                "between its hypotheses (equityaudit.judging)",
                **FAMILIES,
            },
        }
        if estimated_context:
            marketing["estimated"] = estimated_context
        if options.offer is not None and by_sets:
            offer_context, offer_evidence = offer_parity(
                prepared,
                by_sets,
                column=options.offer,
                favourable=options.offer_favourable,
                thresholds=spec.thresholds,
                ratio_threshold=options.offer_ratio,
                replicates=options.offer_replicates,
                max_rows=options.offer_bootstrap_rows,
            )
            marketing["offer"] = offer_context
            evidence += offer_evidence
        findings = judge(evidence, spec.thresholds)  # one judgement per audit
        if options.features:
            proxies, proxy_findings, proxy_notes = proxy_analysis(prepared, spec, options)
            marketing["proxies"] = proxies
            findings += proxy_findings
            output.notes += proxy_notes
        output.findings = findings  # the engine lists them worst first
        output.context["marketing"] = marketing
        return output


def _label_estimated(evidence: Evidence) -> Evidence:
    """Evidence on estimated membership, worded and marked so (``details.estimated``)."""
    describe = evidence.describe

    def labelled(judgement: Judgement) -> str:
        return f"Estimated membership: {describe(judgement)}"

    return replace(evidence, describe=labelled, details={**evidence.details, "estimated": True})


@hookimpl
def equityaudit_auditors() -> list[MarketingAuditor]:
    """The built-in ``marketing`` auditor."""
    return [MarketingAuditor()]

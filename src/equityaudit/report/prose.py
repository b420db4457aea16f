"""The HTML report's explanations: how each kind of finding is judged, its thresholds, the methods used."""

from __future__ import annotations

from collections.abc import Sequence

from equityaudit.report.formatting import fmt_pct, fmt_points, number_or_none
from equityaudit.report.titles import capitalised
from equityaudit.report.vocabulary import metric_label
from equityaudit.results import Finding, Table

__all__ = ["findings_intro", "method_lines", "threshold_lines"]

_METHOD_LABEL = {
    "rate_ci": "Interval of each rate",
    "ratio_ci": "Interval of each ratio to the reference group",
    "difference_ci": "Interval of each difference to the reference group",
    "p_value": "p-value used to judge a ratio",
    "p_value_fisher": "Also reported: Fisher's exact p",
    "p_value_z": "Also reported: z-test p",
    "chi_square": "Test across all groups of a table",
}
"""What each family of methods a table records is for, in the order the Methodology lists them."""


def method_lines(tables: Sequence[Table]) -> list[tuple[str, list[str]]]:
    """Each method family with the distinct descriptions the tables record, in first-seen order."""
    families: dict[str, list[str]] = {}
    for table in tables:
        for key, text in table.methods.items():
            seen = families.setdefault(key, [])
            if text not in seen:
                seen.append(text)
    order = list(_METHOD_LABEL)
    keys = sorted(families, key=lambda k: (order.index(k) if k in order else len(order), k))
    return [(_METHOD_LABEL.get(key, key.replace("_", " ")), families[key]) for key in keys]


_RATE_RATIO_INTRO = (
    " when the group's ratio is below the threshold and the gap is statistically significant "
    "after correcting for the number of comparisons; it is a warning when the ratio is below the "
    "threshold but the gap may be chance, or when the ratio meets the threshold but its interval "
    "reaches below it and the gap is significant; it passes only when its interval is clear of the "
    "threshold too; it is inconclusive when the interval reaches below the threshold without a "
    "significant gap, so the data fit adverse impact and none at all (the finding says how many rows "
    "would settle it); and it is insufficient data when the group or the reference group is too "
    "small to judge. The significance level is shared by every test of the audit, so an audit of "
    "truly equal groups fails at most 5% of the time."
)


_FLIP_METRIC = "decision_change_rate"
"""A model's counterfactual sensitivity: the share of a group's decisions a flip changes."""


def _is_error_gap(finding: Finding) -> bool:
    return finding.kind == "difference" and finding.metric != "total_variation_distance"


def findings_intro(findings: Sequence[Finding]) -> list[tuple[str, str, str]]:
    """How each kind of finding present is judged, as (before, emphasised, after) sentences."""
    metrics = {f.metric for f in findings}
    rate_ratios = any(f.kind == "ratio" and f.metric != "offer_mean" for f in findings)
    sentences = []
    if rate_ratios:
        sentences.append(
            (
                "Each rate finding compares one group's rate with the reference group's. It ",
                "fails",
                _RATE_RATIO_INTRO,
            )
        )
    if "offer_mean" in metrics:
        sentences.append(
            (
                "An offer finding compares a group's mean offer with the reference group's: it ",
                "fails",
                " when the ratio of means is below its threshold and Welch's test is significant after "
                "correction, and is a warning when the gap may be chance.",
            )
        )
    if "total_variation_distance" in metrics:
        sentences.append(
            (
                "A representation finding measures how far a segment's or campaign's make-up is from the "
                "customer base's (total variation distance): above its limit it is a ",
                "warning",
                " (or inconclusive when the difference may be chance), never a failure, because the "
                "make-up alone does not say that a group is disadvantaged.",
            )
        )
    if "proxy_auc" in metrics:
        sentences.append(
            (
                "A proxy finding says how well a feature predicts a group's membership (a cross-validated "
                "AUC, 0.5 being chance): it ",
                "fails",
                " at or above its threshold and is a warning at or above its warning level; it has no "
                "reference group and no p-value.",
            )
        )
    if any(_is_error_gap(f) for f in findings):
        sentences.append(
            (
                "A gap in error rates between groups ",
                "fails",
                " when it is above its limit and its interval excludes zero, and is a warning when the "
                "interval includes zero.",
            )
        )
    if _FLIP_METRIC in metrics:
        sentences.append(
            (
                "A counterfactual finding is the share of a group's decisions that change when the model's "
                "sensitive column or a declared proxy is flipped to another value, everything else unchanged: "
                "it ",
                "fails",
                " when the share is above its limit and the exact one-sided binomial test, adjusted with the "
                "audit's other tests, is significant; it is a warning when the share is above the limit but "
                "may be chance, and inconclusive when it is within the limit but its interval reaches above it.",
            )
        )
    others = {
        f.metric
        for f in findings
        if f.kind in ("rate", "test") and f.metric not in ("proxy_auc", _FLIP_METRIC)
    }
    if others:
        sentences.append(
            (
                "Each other finding (" + ", ".join(metric_label(m) for m in sorted(others)) + ") judges one "
                "value against its threshold, as its message says; ",
                "insufficient data",
                " means there was too little to judge, and inconclusive that the data fit either side "
                "of the threshold.",
            )
        )
    return sentences


def threshold_lines(findings: Sequence[Finding]) -> list[tuple[str, str, str]]:
    """Each threshold the findings use, in words that fit what it is a threshold of."""
    lines: list[tuple[str, str, str]] = []
    seen: set[tuple[str, float]] = set()
    special = ("offer_mean", "total_variation_distance", "proxy_auc")

    def rank(f: Finding) -> int:
        if f.metric in special:
            return 1 + special.index(f.metric)
        return {"ratio": 0, "difference": 4}.get(f.kind, 5)

    for f in sorted(findings, key=lambda f: (rank(f), f.metric, f.threshold or 0.0)):
        threshold = number_or_none(f.threshold)
        if threshold is None:
            continue
        family = f.metric if f.metric in special else f.kind
        if family == "difference" or family in ("rate", "test"):
            family = f"{f.kind}:{f.metric}" if not _is_error_gap(f) else "difference"
        if (family, threshold) in seen:
            continue
        seen.add((family, threshold))
        if family == "ratio":
            four_fifths = " (the EEOC four-fifths rule)" if threshold == 0.8 else ""
            lines.append(
                (
                    "A ratio below ",
                    f"{threshold:g}",
                    f" is flagged{four_fifths}; it fails only when the adjusted p-value is also below the "
                    "significance level.",
                )
            )
        elif family == "offer_mean":
            lines.append(
                (
                    "A group's mean offer below ",
                    f"{threshold:g} × the reference group's",
                    " is flagged; it fails only when Welch's test, adjusted for multiple comparisons, is "
                    "also significant.",
                )
            )
        elif family == "total_variation_distance":
            lines.append(
                (
                    "A segment or campaign whose make-up is further than a total variation distance of ",
                    f"{threshold:g}",
                    " from the customer base's is a warning when the chi-square test is significant after "
                    "adjustment, and inconclusive when it is not. It never fails: whether a group is "
                    "disadvantaged is the targeting findings' call.",
                )
            )
        elif family == "proxy_auc":
            warn = number_or_none(f.details.get("warn_threshold"))
            lines.append(
                (
                    "A feature, or all features together, predicting a group with a cross-validated AUC of "
                    "at least ",
                    f"{threshold:g}",
                    " fails"
                    + (f"; at least {warn:g} is a warning" if warn is not None else "")
                    + ". An AUC of 0.5 is chance; there is no p-value or correction.",
                )
            )
        elif family == f"rate:{_FLIP_METRIC}":
            lines.append(
                (
                    "A group whose decisions change, when a sensitive column or proxy the model reads is "
                    "flipped, more often than ",
                    fmt_pct(threshold),
                    " (thresholds.counterfactual) is flagged; it fails only when the adjusted p-value of the "
                    "binomial test is also below the significance level.",
                )
            )
        elif family == "difference":
            lines.append(
                (
                    "A gap in error rates above ",
                    fmt_points(threshold).replace("+", ""),
                    " is flagged; it fails when its interval excludes zero.",
                )
            )
        else:
            lines.append((f"{capitalised(metric_label(f.metric))}: judged against ", f"{threshold:g}", "."))
    return lines

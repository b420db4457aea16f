"""The proxy findings' sentences: one feature is "it ... predicts", several are "they ... predict"."""

from __future__ import annotations

import pytest

from equityaudit.auditors.marketing.options import MarketingOptions
from equityaudit.auditors.marketing.proxies import _finding
from equityaudit.stats.association import ProxyAUC

OPTIONS = MarketingOptions()  # warn at 0.6, fail at 0.7, 5 folds
HOW = "cross-validated over 5 folds of 1,200 customers"


def _auc(value: float) -> ProxyAUC:
    return ProxyAUC(auc=value, fold_aucs=(value,), per_class={}, rows=1200, model="logistic")


@pytest.mark.parametrize(
    ("status", "value", "tail"),
    [
        (
            "fail",
            0.74,
            ": segmenting on them reproduces marital lines. Check whether the segments that use them need "
            "them, and see the targeting findings.",
        ),
        (
            "warn",
            0.62,
            ": they carry some information about marital (AUC at or above 0.6); a segment built on them may "
            "partly follow marital lines.",
        ),
        ("pass", 0.55, ": below the 0.6 warning level; they carry little information about marital."),
    ],
)
def test_several_features_together_read_as_plural(status: str, value: float, tail: str) -> None:
    finding = _finding(
        "marital", None, _auc(value), {}, status, OPTIONS, 1200, names=["job", "balance", "housing"]
    )
    assert finding.message == (
        f"The segmentation features together (job, balance, housing) predict marital with AUC {value:.2f} "
        f"({HOW}){tail}"
    )


@pytest.mark.parametrize(
    ("status", "value", "tail"),
    [
        (
            "fail",
            0.74,
            ": segmenting on it reproduces marital lines. Check whether the segments that use it need it, "
            "and see the targeting findings.",
        ),
        (
            "warn",
            0.62,
            ": it carries some information about marital (AUC at or above 0.6); a segment built on it may "
            "partly follow marital lines.",
        ),
        ("pass", 0.55, ": below the 0.6 warning level; it carries little information about marital."),
    ],
)
def test_one_feature_reads_as_singular(status: str, value: float, tail: str) -> None:
    measures = {"cramers_v": 0.213, "nmi": 0.048}
    finding = _finding("marital", "job", _auc(value), measures, status, OPTIONS, 1200)
    assert finding.message == (
        f"job predicts marital with AUC {value:.2f} ({HOW}; Cramér's V 0.21, normalised mutual information "
        f"0.05){tail}"
    )


def test_a_lone_feature_passed_as_all_features_is_singular() -> None:
    finding = _finding("marital", None, _auc(0.62), {}, "warn", OPTIONS, 1200, names=["job"])
    assert finding.message.startswith(
        f"The segmentation feature (job) predicts marital with AUC 0.62 ({HOW}): it carries"
    )


def test_no_measures_leave_no_dangling_separator() -> None:
    finding = _finding("marital", "job", _auc(0.55), {}, "pass", OPTIONS, 1200)
    assert finding.message.startswith(f"job predicts marital with AUC 0.55 ({HOW}): below")

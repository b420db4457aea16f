"""The metric vocabulary: each kind of word has one lookup, and a metric it does not know gets generic words."""

from __future__ import annotations

from equityaudit.report import vocabulary as v

UNKNOWN = "mean_wait_days"  # a third-party auditor's metric, no built-in knows it


def test_an_unknown_metric_gets_generic_words_from_every_lookup() -> None:
    assert v.metric_label(UNKNOWN) == "mean wait days"
    assert v.short_metric_label(UNKNOWN) == "mean wait days"
    assert v.summary_label(UNKNOWN) == "mean wait days"
    assert v.shortfall_unit(UNKNOWN) == "selection(s)"
    assert v.subject_words(UNKNOWN) is None
    assert v.rate_phrase(UNKNOWN, rate="3.0%") == "had a mean wait days of 3.0%"
    assert (
        v.shortfall_phrase(UNKNOWN, count="2", who="Asian applicants", target="four-fifths")
        == "2 more would need to count towards the rate to reach four-fifths"
    )
    assert v.next_step(UNKNOWN, "fail", kind="ratio") == v.next_step("selection_rate", "fail", kind="ratio")
    assert v.next_step(UNKNOWN, "pass", kind="difference") == (
        "No action needed now; keep monitoring error rates by group."
    )
    assert v.member_noun("example") == ""
    assert v.metric_rank(UNKNOWN) > v.metric_rank("accuracy")


def test_a_metric_with_next_steps_of_its_own_falls_back_for_a_status_it_lacks() -> None:
    # the representation distance never fails, so it has no "fail" step of its own
    assert v.next_step("total_variation_distance", "fail", kind="difference") == v.next_step(
        UNKNOWN, "fail", kind="difference"
    )
    assert v.next_step("total_variation_distance", "warn", kind="difference").startswith(
        "Check which features define this segment"
    )


def test_stage_rates_are_named_by_their_stage() -> None:
    assert v.metric_label("interview_cumulative_rate") == "share of all applicants reaching interview"
    assert v.short_metric_label("interview_cumulative_rate") == "reaching interview (of all)"
    assert v.shortfall_unit("interview_rate") == "applicant(s) reaching interview"
    assert (
        v.rate_phrase("interview_rate", rate="9.1%", stage="interview")
        == "reached interview at a rate of 9.1%"
    )

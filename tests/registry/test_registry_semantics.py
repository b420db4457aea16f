"""Semantic validation: a result whose findings or verdict its own numbers contradict is refused
(HTTP 422, naming the finding), and free text carrying personal data is refused; ``report`` and
``compare`` warn about an edited stored result. On SQLite and PostgreSQL where a registry is used.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from registry_kit import BIG, RETAIL, Setup, audit, member_frame

from equityaudit.cli import main
from equityaudit.registry.personal_data import find_personal_data
from equityaudit.registry.semantics import recheck
from equityaudit.results import AuditResult, audit_verdict
from equityaudit.signing import sign_result
from equityaudit.standards import find_standard

SKEWED = {
    ("F", "<40"): (100, 32),
    ("F", "40+"): (100, 32),
    ("M", "<40"): (100, 46),
    ("M", "40+"): (100, 46),
}
"""Women selected at 64/200 = 0.32, men at 92/200 = 0.46: the impact ratio of women by sex is
0.32 / 0.46 = 16/23 = 0.69565…, below the four-fifths threshold of 0.8, so under the EEOC rule
(29 CFR 1607.4(D)) it is adverse (``fail`` when significant, else ``warn``), never ``pass``."""

FEMALE = "sex/selection_rate/Female"
RATIO = 16 / 23  # 0.32 / 0.46, by hand


def _skewed() -> dict[str, Any]:
    return json.loads(audit(member_frame(SKEWED)).to_json())


def _all_pass(result: dict[str, Any]) -> dict[str, Any]:
    """The attack of issue 18: every finding edited to pass, and the verdict with them."""
    for finding in result["findings"]:
        finding["status"] = "pass"
    result["verdict"] = "pass"
    return result


def _submit(setup: Setup, result: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    setup.publish()
    alice = setup.add_member("alice")
    answer = alice.submit(sign_result(result, alice.key, data_digest="sha256:" + "0" * 64))
    listed = setup.http.get("/v1/submissions", headers=alice.headers()).json()["submissions"]
    return answer.status_code, {**answer.json(), "stored": len(listed)}


def test_the_skewed_audit_is_accepted_unedited(setup: Setup) -> None:
    result = _skewed()
    female = next(f for f in result["findings"] if f["id"] == FEMALE)
    assert female["value"] == pytest.approx(RATIO, rel=1e-12)
    assert female["status"] in ("fail", "warn")
    status, answer = _submit(setup, result)
    assert (status, answer["stored"]) == (201, 1)


def test_findings_edited_to_pass_are_refused_naming_the_finding(setup: Setup) -> None:
    status, answer = _submit(setup, _all_pass(_skewed()))
    assert (status, answer["stored"]) == (422, 0)
    assert answer["error"].startswith(
        "the result contradicts its own numbers under retail-screening@2026.1's rules: finding '"
    )
    assert re.search(
        r"finding 'sex\*age_band/selection_rate/Female/(Under 40|40 and over)' says pass \(value 0\.6957\); "
        r"recomputed from the counts under retail-screening@2026\.1: (fail|warn) \(value 0\.6957\)",
        answer["error"],
    ), answer["error"]
    assert answer["error"].endswith(
        "more). A finding or verdict was edited after the audit ran; re-run the audit and sign its result "
        "unchanged"
    )


def test_a_verdict_its_own_findings_contradict_is_refused_as_sign_refuses_it(setup: Setup) -> None:
    result = _skewed()
    statuses = sorted({f["status"] for f in result["findings"]})
    result["verdict"] = "pass"  # the findings still fail or warn
    status, answer = _submit(setup, result)
    assert (status, answer["stored"]) == (422, 0)
    assert answer["error"].startswith(
        "the result contradicts its own numbers under retail-screening@2026.1's rules: the file contradicts "
        "itself (key 'verdict' is 'pass', but its findings ("
    )
    assert "as 'equityaudit sign' would say" in answer["error"]
    assert statuses != ["pass"]


def test_every_disagreement_of_the_edited_result_is_named_with_claimed_and_recomputed() -> None:
    edited = AuditResult.model_validate(_all_pass(_skewed()))
    problems = {p.subject: p for p in recheck(edited, find_standard(RETAIL))}
    female = problems[FEMALE]
    assert female.claimed == "pass (value 0.6957)"
    assert re.fullmatch(r"(fail|warn) \(value 0\.6957\)", female.recomputed)
    assert problems["verdict"].claimed == "pass"
    assert problems["verdict"].recomputed in ("fail", "warn")


def _moved_to_pass(result: dict[str, Any]) -> dict[str, Any]:
    """A subtler edit: the women's ratio moved to 0.85 in the finding and its table row alike, with an
    interval and p-value that make it a pass, so that the file agrees with itself and the judging rule."""
    female = next(f for f in result["findings"] if f["id"] == FEMALE)
    female.update(value=0.85, ci_low=0.82, ci_high=0.9, p_adjusted=0.5, status="pass")
    table = next(t for t in result["tables"] if t["name"] == "sex")
    row = next(r for r in table["rows"] if r["group"] == {"sex": "Female"})
    row["selection_rate_ratio"] = 0.85
    model = AuditResult.model_validate(result)
    result["verdict"] = audit_verdict(model.gate, [f.status for f in model.findings])
    return result


def test_a_value_edited_in_finding_and_table_is_caught_by_the_counts(setup: Setup) -> None:
    edited = _moved_to_pass(_skewed())
    problems = recheck(AuditResult.model_validate(edited), find_standard(RETAIL))
    # the one finding, and the verdict when that finding alone made it worse than the rest
    assert [p.subject for p in problems if p.subject != "verdict"] == [FEMALE]
    assert problems[0].claimed == "pass (value 0.85)"
    assert problems[0].source == "the counts under retail-screening@2026.1"
    assert re.fullmatch(r"(fail|warn) \(value 0\.6957\)", problems[0].recomputed)
    status, answer = _submit(setup, edited)
    assert (status, answer["stored"]) == (422, 0)
    assert f"finding '{FEMALE}' says pass (value 0.85); recomputed from the counts under " in answer["error"]


def test_a_deleted_finding_is_missing_from_what_the_counts_give() -> None:
    result = _skewed()
    result["findings"] = [f for f in result["findings"] if f["id"] != FEMALE]
    model = AuditResult.model_validate(result)
    result["verdict"] = audit_verdict(model.gate, [f.status for f in model.findings])
    problems = recheck(AuditResult.model_validate(result), find_standard(RETAIL))
    assert [(p.subject, p.claimed) for p in problems] == [(FEMALE, "nothing (the finding is missing)")]


def test_sign_refuses_a_verdict_its_findings_contradict_and_report_warns_about_an_edited_status(
    tmp_path: Path,
) -> None:
    edited = tmp_path / "edited.json"
    contradictory = _skewed()
    contradictory["verdict"] = "pass"  # findings still fail or warn: the file contradicts itself
    edited.write_text(json.dumps(contradictory), encoding="utf-8")
    signed = CliRunner().invoke(main, ["sign", str(edited), "--key", str(tmp_path / "none.key")])
    assert signed.exit_code == 2 and "garbled result: key 'verdict' is 'pass'" in signed.output

    edited.write_text(json.dumps(_all_pass(_skewed())), encoding="utf-8")
    ran = CliRunner().invoke(main, ["report", str(edited), "--format", "md"])
    assert ran.exit_code == 0, ran.output
    warning = next(line for line in ran.stderr.splitlines() if line.startswith("warning:"))
    assert warning.startswith(f"warning: {edited} was edited after the audit ran: finding '")
    assert warning.endswith("Its findings and verdict are shown as written; re-run the audit to trust them.")
    assert "Wrote " in ran.stdout  # the report is still written, with the warning beside it


def test_compare_warns_about_the_edited_one_only(tmp_path: Path) -> None:
    baseline, current = tmp_path / "baseline.json", tmp_path / "current.json"
    baseline.write_text(json.dumps(_skewed()), encoding="utf-8")
    current.write_text(json.dumps(_all_pass(_skewed())), encoding="utf-8")
    ran = CliRunner().invoke(main, ["compare", str(baseline), str(current)])
    warnings = [line for line in ran.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and warnings[0].startswith(f"warning: {current} was edited")
    assert ran.exit_code == 0  # every finding improved to pass: no regression, but the warning says why


def _context(text: str) -> Any:
    def change(result: dict[str, Any]) -> None:
        result["context"]["remark"] = text

    return change


def _notes(text: str) -> Any:
    def change(result: dict[str, Any]) -> None:
        result["notes"] = [text]

    return change


@pytest.mark.parametrize(
    ("change", "where", "found", "secret"),
    [
        (
            _context("write to jane.doe(at)example(dot)com"),
            "context.remark",
            "an e-mail address (j…@…com)",
            "doe",
        ),
        (_notes("ask jane.doe [at] example [dot] org"), "notes[0]", "an e-mail address (j…@…org)", "doe"),
        (_notes("jane.doe at example.com wrote"), "notes[0]", "an e-mail address (j…@…com)", "doe"),
        (_context("call +1 212 555 0100 after 5"), "context.remark", "a phone number (…00)", "555"),
        (_context("Jane Doe, born 1979-04-02"), "context.remark", "a date of birth (1…)", "1979"),
        (
            _notes("candidate Jane Doe 1979-04-02 rejected"),
            "notes[0]",
            "a date next to a name (J… and 1…)",
            "Doe",
        ),
        (
            _notes("A000123, Jane Doe, 1979-04-02, Female, 40+, rejected"),
            "notes[0]",
            "a record of 6 fields with an id, a name and a date (A…, J…, 1…)",
            "A000123",
        ),
    ],
)
def test_free_text_carrying_personal_data_is_refused_without_repeating_it(
    setup: Setup, change: Any, where: str, found: str, secret: str
) -> None:
    result = json.loads(audit(member_frame(BIG)).to_json())
    change(result)
    status, answer = _submit(setup, result)
    assert (status, answer["stored"]) == (422, 0)
    assert answer["error"] == (
        f"not aggregate-only: {where}: a string holding {found}; personal data is copied from rows, and "
        "results carry aggregates only: remove it"
    )
    assert secret not in answer["error"]


def test_a_member_name_carrying_an_address_is_refused(setup: Setup) -> None:
    answer = setup.http.post(
        "/v1/members", json={"name": "jane.doe(at)example(dot)com"}, headers=setup.admin()
    )
    assert answer.status_code == 422
    assert answer.json()["error"] == (
        "name: a string holding an e-mail address (j…@…com); personal data is copied from rows, and "
        "results carry aggregates only: remove it; a member's name is its organisation's, shown in views"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Synthetic applicants screened between 2026-01-01 and 2026-06-30 (period: 2026-01-01 to 2026-06-30).",
        "Audit Date 2026-11-23; distribution date 2026-01-01.",
        "Female, Male, Unknown, Asian, Two or More Races",
        "Native Hawaiian or Other Pacific Islander, American Indian or Alaska Native, White, Asian",
        "About 1,900 rows per group would settle it (now 874 and 431; 80% power at the audit's alpha).",
        "Holm 1979 §4; 29 CFR 1607.4(D); generated by 'equityaudit datasets make hiring --rows 5000 --seed 2026'",
        "the women were selected at a rate of 0.32 and the men at 0.46, see example.com",
    ],
)
def test_the_texts_audits_write_hold_no_personal_data(text: str) -> None:
    assert find_personal_data(text) is None

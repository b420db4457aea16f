"""The aggregate-only rule: row-level shapes in free-form fields are refused; real results pass."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml
from registry_kit import BIG, RETAIL, Setup, audit, member_frame

import equityaudit as ea
import equityaudit.engine
from equityaudit.errors import UndefinedMetricWarning
from equityaudit.registry.semantics import recheck
from equityaudit.registry.validation import RejectedPayloadError, check_aggregate_only
from equityaudit.results import AuditResult
from equityaudit.signing import aggregate_result, sign_result
from equityaudit.spec_loading import spec_from_mapping
from equityaudit.standards import find_standard

SMALL = {
    ("W", "under40"): (40, 16),
    ("W", "over 40"): (4, 1),
    ("m", "under40"): (35, 14),
    ("m", "over 40"): (30, 13),
}


def _hiring_spec(standard: str, auditor: str, **columns: str) -> dict[str, Any]:
    return {
        "equityaudit": 1,
        "name": "real",
        "auditor": auditor,
        "standard": standard,
        "data": {},
        "columns": {"sensitive": ["sex", "race_ethnicity"], **columns},
    }


def _real_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[AuditResult]:
    """What the project's auditors produce under the bundled hiring/decisions standards, and under a
    decisions standard with every error rate (the widest tables)."""
    document = dict(find_standard("eeoc-four-fifths@1978").document)
    document.update(id="eeoc-error-rates", metrics=["selection_rate", "error_rates"])
    (tmp_path / "eeoc-error-rates@1978.yaml").write_text(
        yaml.safe_dump(document, sort_keys=False), encoding="utf-8"
    )
    monkeypatch.setenv("EQUITYAUDIT_STANDARDS_PATH", str(tmp_path))
    applicants = ea.make_hiring(3000, seed=1)
    specs = [
        _hiring_spec("nyc-ll144@2023", "hiring", decision="advanced"),
        _hiring_spec("nyc-ll144@2023", "hiring", score="screen_score"),
        _hiring_spec("nyc-ll144@2023", "hiring", decision="advanced", score="screen_score"),
        _hiring_spec("eeoc-four-fifths@1978", "decisions", decision="advanced"),
        _hiring_spec("eeoc-error-rates@1978", "decisions", decision="advanced", outcome="performed_well"),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        results = [equityaudit.engine.run_spec(spec_from_mapping(s), frame=applicants) for s in specs]
    return [audit(member_frame(BIG)), audit(member_frame(SMALL)), *results]


def test_every_real_result_of_a_hiring_or_decisions_standard_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = _real_results(tmp_path, monkeypatch)
    assert any(len(row) > 100 for row in results[-1].tables[0].rows)  # every error rate: a wide row
    assert results[2].context["ll144"]["small_categories"]  # a list of one mapping per small group
    for result in results:
        standard = result.audit.standard
        assert standard is not None
        check_aggregate_only(
            aggregate_result(result.to_dict()), find_standard(f"{standard.id}@{standard.version}")
        )
        # and its findings and verdict are the ones its counts give under the standard
        assert recheck(result, find_standard(f"{standard.id}@{standard.version}")) == []


def _refusal(setup: Setup, change: Any) -> tuple[int, str]:
    alice = setup.add_member("alice")
    result = json.loads(json.dumps(audit(member_frame(BIG)).to_dict()))
    change(result)
    answer = alice.submit(sign_result(result, alice.key, data_digest="sha256:" + "0" * 64))
    return answer.status_code, answer.json()["error"]


def _examples(r: dict[str, Any]) -> None:
    r["findings"][0]["details"]["examples"] = [{"email": f"jane{i}@x.com", "age": 20 + i} for i in range(50)]


def _emails(r: dict[str, Any]) -> None:
    text = ", ".join(f"applicant{i:04d}@example.org" for i in range(200))[:3990]
    assert len(text) == 3990
    r["context"]["contacts"] = text


def _many_notes(r: dict[str, Any]) -> None:
    r["notes"] = [f"applicant {i}: jane{i}@x.com hired" for i in range(90)]


def _few_notes(r: dict[str, Any]) -> None:
    r["notes"] = [f"applicant {i}: jane{i}@x.com hired" for i in range(5)]


def _long_text(r: dict[str, Any]) -> None:
    r["context"]["story"] = "The applicant said that " * 100  # 2,400 characters, no address


def _records(r: dict[str, Any]) -> None:
    r["context"]["people"] = [{"age": 30 + i, "hired": i % 2 == 0} for i in range(10)]


def _records_with_groups(r: dict[str, Any]) -> None:
    r["context"]["people"] = [{"group": {"sex": "Female"}, "age": 30 + i} for i in range(2)]


def _personal(r: dict[str, Any]) -> None:
    r["findings"][1]["details"]["date_of_birth"] = "1990-01-01"


def _nested_in_row(r: dict[str, Any]) -> None:
    r["tables"][0]["rows"][0]["applicants"] = [1, 2, 3]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            _examples,
            "not aggregate-only: findings[0].details.examples: a field named 'examples' (a list of 50 items); "
            "example and quote fields carry text copied from rows, which never leaves a member: drop it "
            "before signing",
        ),
        (
            _emails,
            "not aggregate-only: context.contacts: a string holding an e-mail address (a…@example.org); "
            "e-mail addresses are personal data copied from rows, and results carry aggregates only: remove it",
        ),
        (
            _many_notes,
            "not aggregate-only: notes: a list of 90 items (at most 50); lists that long look like row-level "
            "records",
        ),
        (
            _few_notes,
            "not aggregate-only: notes[0]: a string holding an e-mail address (j…@x.com); e-mail addresses "
            "are personal data copied from rows, and results carry aggregates only: remove it",
        ),
        (
            _long_text,
            "not aggregate-only: context.story: a string of 2,400 characters (at most 2,000); free text that "
            "long can carry row-level data: shorten it",
        ),
        (
            _records,
            "not aggregate-only: context.people[0]: a mapping without a 'group', in a list of 10 items; a list "
            "of mappings is accepted only as one entry per group of the standard (each with a 'group' of its "
            "categories); other lists of mappings look like row-level records",
        ),
        (
            _records_with_groups,
            "not aggregate-only: context.people[1]: group {'sex': 'Female'} appears twice in one table; a "
            "list of mappings is accepted only as one entry per group of the standard (each with a 'group' "
            "of its categories); other lists of mappings look like row-level records",
        ),
        (
            _personal,
            "not aggregate-only: findings[1].details.date_of_birth: a field named 'date_of_birth', a person's "
            "attribute; results carry aggregates only, never a person's data",
        ),
        (
            _nested_in_row,
            "not aggregate-only: tables[0].rows[0].applicants: a list inside a table row; a row holds "
            "numbers, flags and short notes, never nested records",
        ),
    ],
)
def test_row_level_shapes_in_free_form_fields_are_refused(setup: Setup, change: Any, expected: str) -> None:
    setup.publish()
    assert _refusal(setup, change) == (422, expected)


def test_signed_metadata_holds_no_records_or_addresses(setup: Setup) -> None:
    setup.publish()
    alice = setup.add_member("alice")
    result = audit(member_frame(BIG)).to_dict()
    envelope = sign_result(result, alice.key, data_digest="sha256:" + "0" * 64, metadata={"tool": "x@y.com"})
    answer = alice.submit(envelope)
    assert answer.status_code == 422
    assert answer.json()["error"].startswith("metadata.tool: a string holding an e-mail address (x…@y.com)")


def test_the_refusal_is_the_library_error_too() -> None:
    result = audit(member_frame(BIG)).to_dict()
    _records(result)
    with pytest.raises(RejectedPayloadError, match=r"^context\.people\[0\]: a mapping without a 'group'"):
        check_aggregate_only(result, find_standard(RETAIL))


def _row_column(name: str, value: Any) -> Any:
    def change(r: dict[str, Any]) -> None:
        r["tables"][0]["rows"][0][name] = value

    return change


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_row_column("date_of_birth", 19800101), "a column named 'date_of_birth', a person's attribute"),
        (_row_column("applicant_name", "Jane Roe"), "a column named 'applicant_name', a person's attribute"),
        (_row_column("applicant_0", 1), "a column named 'applicant_0', numbered like one of a series"),
        (_row_column("comment", "hired after interview"), "text in a column named 'comment'"),
    ],
)
def test_a_table_row_carries_no_personal_numbered_or_text_columns(change: Any, expected: str) -> None:
    result = audit(member_frame(BIG)).to_dict()
    change(result)
    with pytest.raises(RejectedPayloadError, match=r"^tables\[0\]\.rows\[0\]\.") as refused:
        check_aggregate_only(result, find_standard(RETAIL))
    assert expected in str(refused.value)

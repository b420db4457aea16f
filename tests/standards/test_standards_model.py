"""The standard model: parsing, validation errors, content hashing, bundled standards, CLI."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from equityaudit.cli import main
from equityaudit.errors import SpecError
from equityaudit.standards import (
    bundled_standards,
    find_standard,
    list_standards,
    load_standard_file,
    parse_standard,
    standard_sha256,
)

MINIMAL = """\
# a comment that does not count
standard: 1
id: test-std
version: "1"
title: A test standard
auditor: decisions
taxonomy:
  attributes:
    sex:
      categories:
        Female: [f, woman]
        Male: [m]
metrics: [selection_rate]
"""


def _write(tmp_path: Path, text: str, name: str = "std.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_sha256_is_sha256_of_the_canonical_json_of_the_parsed_document(tmp_path: Path) -> None:
    standard = load_standard_file(_write(tmp_path, MINIMAL))
    document = yaml.safe_load(MINIMAL)
    # no floats in this document, so sorted compact JSON is exactly its RFC 8785 form
    by_hand = hashlib.sha256(
        json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()
    assert standard.sha256 == by_hand
    assert standard.reference().model_dump() == {"id": "test-std", "version": "1", "sha256": by_hand}


def test_sha256_ignores_comments_key_order_and_formatting_but_not_content(tmp_path: Path) -> None:
    first = load_standard_file(_write(tmp_path, MINIMAL, "a.yaml"))
    reordered = yaml.safe_dump(dict(reversed(list(yaml.safe_load(MINIMAL).items()))), default_flow_style=True)
    second = load_standard_file(_write(tmp_path, reordered, "b.yaml"))
    assert first.sha256 == second.sha256
    changed = load_standard_file(_write(tmp_path, MINIMAL + "min_cell_size: 12\n", "c.yaml"))
    assert changed.sha256 != first.sha256
    # stating a default explicitly is a different document, hence a different standard
    explicit = load_standard_file(_write(tmp_path, MINIMAL + "min_cell_size: 11\n", "d.yaml"))
    assert explicit.sha256 != first.sha256 and explicit.min_cell_size == first.min_cell_size


def test_dates_hash_as_iso_strings() -> None:
    import datetime as dt

    assert standard_sha256({"published": dt.date(2023, 4, 6)}) == standard_sha256({"published": "2023-04-06"})


def test_bundled_standards_never_change_silently() -> None:
    """A published standard is immutable: editing a bundled file must come with a new version."""
    pinned = {
        "eeoc-four-fifths@1978": "9dd8d81d9b7ab2aeb0ead7cc07925ed0ad3269b8503f3d9e9cef1c986bf38fa4",
        "nyc-ll144@2023": "030451baadf33f847b60c50bfafd3d1b4be73ed2ae989d6d862dbd5930d233c0",
        "retail-screening@2026.1": "db0745d270607363ac8e607230cdbc893d2aa74f474186b76dcf0f2e8d3da7b5",
    }
    assert {ref: s.sha256 for ref, s in bundled_standards().items()} == pinned


def test_bundled_ll144_fixes_what_the_hiring_auditor_needs() -> None:
    ll144 = find_standard("nyc-ll144@2023")
    assert ll144.auditor == "hiring"
    assert list(ll144.taxonomy.attributes) == ["sex", "race_ethnicity"]
    assert len(ll144.taxonomy.attributes["race_ethnicity"].categories) == 7  # the EEO-1 categories
    assert ll144.min_cell_size == 11
    thresholds = ll144.thresholds()
    assert (thresholds.impact_ratio, thresholds.alpha, thresholds.correction) == (0.8, 0.05, "holm")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            {"metrics": ["selection_rate"], "taxonomy": {"atributes": {}}},
            "taxonomy.atributes: unknown key 'atributes'. Did you mean 'attributes'?",
        ),
        ({"treshold": 1}, "treshold: unknown key 'treshold'."),
        (
            {"decision": {"impact_ratio": 1.5}},
            "decision.impact_ratio: Input should be less than or equal to 1; found 1.5.",
        ),
        ({"metrics": ["scoring_rate"]}, "the decisions auditor cannot compute ['scoring_rate']"),
        ({"id": "Bad Id"}, "'Bad Id' is not a valid id"),
        (
            {"taxonomy": {"attributes": {"sex": {"categories": {"Female": ["x"], "Male": ["X"]}}}}},
            "label 'X' maps to both 'Female' and 'Male'",
        ),
        (
            {"taxonomy": {"attributes": {"sex": {"categories": {"Female": [], "Unknown": []}}}}},
            "'Unknown' is not a category",
        ),
    ],
)
def test_invalid_standards_name_the_key_and_the_problem(edit: dict[str, object], expected: str) -> None:
    document = yaml.safe_load(MINIMAL)
    document.update(edit)
    with pytest.raises(SpecError) as caught:
        parse_standard(document, origin="mine.yaml")
    assert str(caught.value).startswith("mine.yaml: invalid standard")
    assert expected in str(caught.value)


def test_format_version_is_required() -> None:
    with pytest.raises(
        SpecError,
        match=r"x.yaml: key 'standard': expected standard format version 1, found no 'standard' key",
    ):
        parse_standard({"id": "a"}, origin="x.yaml")
    with pytest.raises(SpecError, match="found an empty document"):
        parse_standard(None, origin="x.yaml")


def test_find_standard_by_ref_path_and_local_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, MINIMAL)
    assert find_standard(str(path)).ref == "test-std@1"
    assert find_standard("std.yaml", base=tmp_path).ref == "test-std@1"
    with pytest.raises(SpecError, match=r"unknown standard 'test-std@1'"):
        find_standard("test-std@1")
    monkeypatch.setenv("EQUITYAUDIT_STANDARDS_PATH", str(tmp_path))
    assert find_standard("test-std@1").sha256 == load_standard_file(path).sha256
    assert list_standards()["test-std@1"][1] == str(path)
    with pytest.raises(
        SpecError, match=r"'nyc-ll144' names no version; write id@version .* Available: nyc-ll144@2023"
    ):
        find_standard("nyc-ll144")
    with pytest.raises(SpecError, match=r"Did you mean 'nyc-ll144@2023'\?"):
        find_standard("nyc-ll144@2032")


def test_cli_list_show_validate(tmp_path: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["standards", "list"])
    assert listed.exit_code == 0, listed.output
    assert "nyc-ll144@2023" in listed.output and "eeoc-four-fifths@1978" in listed.output
    shown = runner.invoke(main, ["standards", "show", "nyc-ll144@2023"])
    assert shown.exit_code == 0, shown.output
    assert f"sha256: {find_standard('nyc-ll144@2023').sha256}" in shown.output
    as_json = runner.invoke(main, ["standards", "show", "eeoc-four-fifths@1978", "--json"])
    assert standard_sha256(json.loads(as_json.output)) == find_standard("eeoc-four-fifths@1978").sha256
    good = runner.invoke(main, ["standards", "validate", str(_write(tmp_path, MINIMAL))])
    assert good.exit_code == 0
    assert good.output.startswith(f"ok: {tmp_path / 'std.yaml'} is a valid standard test-std@1, sha256 ")
    bad = runner.invoke(
        main, ["standards", "validate", str(_write(tmp_path, MINIMAL + "extra: 1\n", "bad.yaml"))]
    )
    assert bad.exit_code == 2
    assert f"error: {tmp_path / 'bad.yaml'}: invalid standard (1 problem):" in bad.output
    assert "  - extra: unknown key 'extra'." in bad.output

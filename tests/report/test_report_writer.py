"""Report files: what equityaudit wrote it replaces; anything else it refuses to overwrite."""

from __future__ import annotations

from pathlib import Path

import pytest

from equityaudit.errors import SpecError
from equityaudit.plugins import get_format
from equityaudit.report.builtin_formats import _LL144_CSV_COLUMNS_0_1
from equityaudit.report.ll144 import LL144_CSV_COLUMNS
from equityaudit.report.writer import _ours


def test_an_ll144_csv_of_this_or_the_earlier_layout_is_ours(tmp_path: Path) -> None:
    current, earlier, other = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    current.write_text(",".join(LL144_CSV_COLUMNS) + "\r\nx\r\n")
    earlier.write_text(",".join(_LL144_CSV_COLUMNS_0_1) + "\nx\n")  # written before data_source existed
    other.write_text("name,value\nx,1\n")
    (csv,) = [file for file in get_format("ll144").files if file.suffix == ".ll144.csv"]
    assert [_ours(current, csv), _ours(earlier, csv), _ours(other, csv)] == [True, True, False]
    assert set(_LL144_CSV_COLUMNS_0_1) < set(LL144_CSV_COLUMNS)  # the earlier layout is a subset


def test_a_foreign_file_is_not_replaced_without_force(tmp_path: Path) -> None:
    import equityaudit as ea
    from equityaudit.report.writer import write_reports

    result = ea.run("audits/hiring.yaml")
    theirs = tmp_path / "hiring-screening.ll144.csv"
    theirs.write_text("name,value\nmine,1\n")
    with pytest.raises(SpecError, match="was not written by equityaudit; refusing to overwrite it"):
        write_reports(result, tmp_path, formats=("ll144",))
    assert theirs.read_text() == "name,value\nmine,1\n"

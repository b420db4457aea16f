"""Progress on stderr: the phase line of ``equityaudit run`` and the bytes of a large file's one pass.

Both show only on a terminal: with stderr a pipe or a file (CI logs, tests) nothing is written to
it, and library calls never show any. A terminal is forced the way rich documents it
(``TTY_COMPATIBLE=1``, or a console made with ``force_terminal=True``), and the size from which a
file shows its bytes is lowered to 0 so that a small file stands in for a large one.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from equityaudit import frames
from equityaudit.cli import main
from equityaudit.frames import progress_console, read_source
from paths import ROOT


@pytest.fixture
def every_file_is_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(frames, "PROGRESS_BYTES", 0)


def test_a_library_read_writes_nothing_to_stderr(
    every_file_is_large: None, capsys: pytest.CaptureFixture[str]
) -> None:
    read_source(ROOT / "datasets" / "hiring.csv")
    assert capsys.readouterr().err == ""


def test_a_forced_terminal_shows_the_file_being_read(every_file_is_large: None) -> None:
    screen = io.StringIO()
    token = progress_console.set(Console(file=screen, force_terminal=True, width=100))
    try:
        read_source(ROOT / "datasets" / "hiring.csv")
    finally:
        progress_console.reset(token)
    assert "reading hiring.csv" in screen.getvalue()


def test_a_small_file_shows_no_bytes_even_on_a_terminal() -> None:
    screen = io.StringIO()
    token = progress_console.set(Console(file=screen, force_terminal=True, width=100))
    try:
        read_source(ROOT / "datasets" / "hiring.csv")  # under frames.PROGRESS_BYTES (256 MiB)
    finally:
        progress_console.reset(token)
    assert screen.getvalue() == ""


def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(ROOT)
    ran = CliRunner().invoke(
        main, ["run", "audits/hiring.yaml", "--out", str(tmp_path / "out"), "--format", "json", *args]
    )
    return ran.exit_code, ran.stderr


def test_run_writes_nothing_to_stderr_when_it_is_not_a_terminal(
    every_file_is_large: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "0")
    code, stderr = run(tmp_path, monkeypatch)
    assert code == 1 and stderr == ""  # the example audit fails by design (datasets/hiring.md)


def test_run_shows_its_phases_and_the_file_on_a_terminal(
    every_file_is_large: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    code, stderr = run(tmp_path, monkeypatch)
    assert code == 1
    assert "reading hiring.csv" in stderr
    assert "hiring-screening: quality gate" in stderr and "hiring-screening: auditing" in stderr
    # --quiet prints nothing but errors, progress included
    code, stderr = run(tmp_path, monkeypatch, "--quiet", "--force")
    assert code == 1 and stderr == ""

"""Output piped into a reader that has gone away (``equityaudit … | head``) ends quietly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from equityaudit.cli import BROKEN_PIPE


def test_a_closed_reader_ends_the_command_with_status_141_and_no_traceback() -> None:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first line is written: every write fails
    try:
        done = subprocess.run(
            [sys.executable, "-m", "equityaudit", "standards", "list"],
            stdout=write,
            stderr=subprocess.PIPE,
            env={**os.environ, "EQUITYAUDIT_NO_ENTRYPOINTS": "1"},
            timeout=60,
            check=False,
        )
    finally:
        os.close(write)
    assert done.returncode == BROKEN_PIPE == 141
    assert b"Traceback" not in done.stderr and b"internal error" not in done.stderr


def test_piped_output_never_cuts_a_group_name(tmp_path: Path) -> None:
    """A log has no width: group names such as 'Amer-Indian-Eskimo' (Adult) print whole, no '…'."""
    names = ["Amer-Indian-Eskimo", "Asian-Pac-Islander", "female: divorced/separated/married", "White"]
    rows = [f"{name},{'yes' if i % 3 else 'no'}" for name in names for i in range(40)]
    (tmp_path / "people.csv").write_text("race,hired\n" + "\n".join(rows) + "\n")
    (tmp_path / "audit.yaml").write_text(
        "equityaudit: 1\nname: people\nauditor: decisions\ndata: {path: people.csv}\n"
        "columns: {sensitive: [race], decision: hired}\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "equityaudit",
            "run",
            str(tmp_path / "audit.yaml"),
            "--out",
            str(tmp_path / "r"),
        ],
        capture_output=True,
        text=True,
        env={**env, "EQUITYAUDIT_NO_ENTRYPOINTS": "1"},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "…" not in done.stdout
    table = done.stdout.split("race: selection rate")[1]
    for name in [*names[:2], "White"]:
        assert name in table
    assert "female: divorced/separated/married" in " ".join(table.split())

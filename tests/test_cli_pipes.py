"""Output piped into a reader that has gone away (``equityaudit … | head``) ends quietly."""

from __future__ import annotations

import os
import subprocess
import sys

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

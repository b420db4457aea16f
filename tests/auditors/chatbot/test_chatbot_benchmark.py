"""benchmarks/bench_chatbot.py writes where ``--output`` says (the recorded results stay untouched)
and records, next to its figures, which commit was measured and how busy the machine was.

Expected values come from the same sources the script reads: ``os.cpu_count()`` and
``git rev-parse HEAD`` run here.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from paths import ROOT

SCRIPT = ROOT / "benchmarks" / "bench_chatbot.py"
RECORDED = ROOT / "benchmarks" / "results" / "chatbot.json"


def bench() -> ModuleType:
    """The script as a module; it imports its neighbour provenance.py, as when run as a script."""
    if str(SCRIPT.parent) not in sys.path:
        sys.path.insert(0, str(SCRIPT.parent))
    spec = importlib.util.spec_from_file_location("bench_chatbot", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def head() -> str | None:
    proc = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def test_output_option_and_provenance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recorded_before = RECORDED.read_bytes() if RECORDED.exists() else None
    out = tmp_path / "nested" / "chatbot.json"
    monkeypatch.setattr(sys, "argv", ["bench_chatbot.py", "--rows", "300", "--output", str(out)])
    commit_before = head()
    bench().main()
    commit_after = head()

    figures = json.loads(out.read_text())
    assert figures["rows"] == 300
    assert figures["cpu_count"] == os.cpu_count()
    assert "load_average_1min" in figures  # recorded beside the figures (None where there is none)
    # the commit the script saw (others may commit while it runs: it is one of the two)
    assert figures["git_commit"] in {commit_before, commit_after}
    if figures["git_commit"] is not None:
        assert re.fullmatch(r"[0-9a-f]{40}", figures["git_commit"])
    assert Path(figures["equityaudit_imported_from"]).name == "equityaudit"
    # the recorded results are only written when --output is left at its default
    assert (RECORDED.read_bytes() if RECORDED.exists() else None) == recorded_before


def test_the_default_output_is_the_recorded_results_file() -> None:
    assert bench().DEFAULT_OUTPUT == RECORDED

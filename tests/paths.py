"""Where the suite finds the checkout and the third-party reference datasets beside it."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
"""The repository checkout (audits/, datasets/, docs/, src/)."""

REFERENCE_DATA = ROOT.parent / "shared" / "fairness-reference-data"
"""The third-party reference datasets (COMPAS, Adult, German credit, ...), beside the checkout."""

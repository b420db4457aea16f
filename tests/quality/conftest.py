"""Clean data for the quality-gate tests: every check passes on it, so one seeded defect shows alone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

ROWS = 200
"""Rows of the clean frame: 100 F and 100 M; race A (80), B (60), C (60)."""


def clean_frame() -> pd.DataFrame:
    """A frame every default check passes on (by construction, see the comments)."""
    i = pd.RangeIndex(ROWS)
    return pd.DataFrame(
        {
            "id": [f"P{n:04d}" for n in i],  # unique
            "sex": ["F" if n % 2 else "M" for n in i],  # 100 and 100: both groups >= 30
            "race": [
                "A" if n % 5 < 2 else "B" if n % 5 < 4 else "C" for n in i
            ],  # 80, 80, 40 (n % 5 in {0, 1}, {2, 3}, {4})
            "hired": ["yes" if n % 3 else "no" for n in i],  # binary words
            "hired01": [n % 2 for n in i],  # binary 0/1 integers
            "status": ["Selected" if n % 4 == 0 else "Rejected" for n in i],  # labelled decision
            "score": [float(n % 101) for n in i],  # 0..100
            "stage": ["offer" if n % 7 == 0 else "interview" if n % 3 == 0 else "applied" for n in i],
        }
    )


def spec_mapping(**changes: Any) -> dict[str, Any]:
    """A decisions spec on the clean frame; ``columns``/``quality``/... keys replace the defaults."""
    mapping: dict[str, Any] = {
        "equityaudit": 1,
        "name": "gate-test",
        "auditor": "decisions",
        "data": {"path": "data.csv"},
        "columns": {"sensitive": ["sex", "race"], "decision": "hired", "id": "id"},
    }
    mapping.update(changes)
    return mapping


@pytest.fixture
def write_case(tmp_path: Path) -> Callable[..., Path]:
    """Write ``data.csv`` and ``spec.yaml`` into a fresh folder; return the spec's path."""

    def write(frame: pd.DataFrame, name: str = "spec", **changes: Any) -> Path:
        frame.to_csv(tmp_path / "data.csv", index=False)
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(spec_mapping(name=name, **changes), sort_keys=False))
        return path

    return write

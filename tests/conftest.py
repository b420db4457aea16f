"""Shared fixtures. Third-party plugins installed in the environment are never loaded here."""

from __future__ import annotations

import os

os.environ["EQUITYAUDIT_NO_ENTRYPOINTS"] = "1"  # before equityaudit builds its plugin manager

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import equityaudit.engine
from backends import CONSTRUCTORS, selected
from equityaudit.results import AuditResult, result_json_schema
from evidence import unavailable
from paths import REFERENCE_DATA, ROOT

HIRING_CSV = ROOT / "datasets" / "hiring.csv"

_VALIDATOR = jsonschema.Draft202012Validator(result_json_schema())


@pytest.fixture(autouse=True)
def _validate_every_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every result any test produces is checked against the published JSON Schema."""
    original = equityaudit.engine.run_spec

    @functools.wraps(original)
    def checked(*args: Any, **kwargs: Any) -> AuditResult:
        result = original(*args, **kwargs)
        _VALIDATOR.validate(json.loads(result.to_json()))
        return result

    monkeypatch.setattr(equityaudit.engine, "run_spec", checked)


@pytest.fixture
def reference_data() -> Path:
    """The third-party reference datasets beside the checkout (skips when absent)."""
    if not REFERENCE_DATA.is_dir():
        unavailable(f"reference datasets not found at {REFERENCE_DATA} (shared/ beside the checkout)")
    return REFERENCE_DATA


@pytest.fixture(autouse=True)
def _run_in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative paths in tests (audits/, datasets/) resolve against the repository root."""
    monkeypatch.chdir(ROOT)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backends",
        default=None,
        help=f"comma-separated data backends to run backend tests on (default: all of {', '.join(CONSTRUCTORS)})",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that takes ``constructor`` runs once per selected backend (tests/backends.py)."""
    if "constructor" in metafunc.fixturenames:
        names = selected(metafunc.config.getoption("--backends"))
        metafunc.parametrize("constructor", [CONSTRUCTORS[name] for name in names], ids=names)

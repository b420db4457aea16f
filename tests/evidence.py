"""Evidence that must not vanish as a skip on CI.

A test that needs Chromium or the third-party reference datasets skips, saying why, on a
developer's machine that lacks them; under CI (``CI`` set, as every CI service sets it) the same
absence fails the test, so a run that silently dropped the evidence cannot pass.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def on_ci() -> bool:
    """Whether this run is CI's: ``CI`` is set to anything but ``""``, ``0`` or ``false``."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def unavailable(reason: str, *, module: bool = False) -> NoReturn:
    """Skip with ``reason`` on a developer's machine; fail with it under CI."""
    if on_ci():
        pytest.fail(f"{reason} (required under CI: the test's evidence may not be skipped)", pytrace=False)
    pytest.skip(reason, allow_module_level=module)

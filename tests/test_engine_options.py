"""Unknown option keys are named with their path and the keys valid at that level."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pydantic import BaseModel, ConfigDict

from equityaudit.engine import _options
from equityaudit.errors import SpecError
from equityaudit.spec_loading import spec_from_mapping


class Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    warn: float = 0.05
    fail: float = 0.10


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limits: Inner = Inner()
    maybe: Inner | None = None
    label: str = "x"


def _error(options: dict[str, object]) -> str:
    auditor = SimpleNamespace(name="toy", options_model=Options)
    spec = spec_from_mapping(
        {"equityaudit": 1, "name": "t", "auditor": "decisions", "data": {"path": "d.csv"}, "options": options}
    )
    with pytest.raises(SpecError) as raised:
        _options(auditor, spec, "t.yaml")  # type: ignore[arg-type]
    return str(raised.value)


def test_a_top_level_key_lists_the_auditors_options() -> None:
    assert _error({"lable": "y"}) == (
        "t.yaml: invalid options:\n  - options.lable: unknown option for the toy auditor. Did you mean 'label' or 'maybe'?"
    )


def test_a_nested_key_lists_the_nested_models_keys() -> None:
    assert _error({"limits": {"fial": 0.2}}) == (
        "t.yaml: invalid options:\n  - options.limits.fial: unknown option in options.limits. Did you mean 'fail'?"
    )
    assert "Did you mean 'warn'?" in _error({"maybe": {"wran": 0.1}})  # an Optional nested model too


def test_an_unknown_gate_engine_is_a_spec_error_naming_the_engines() -> None:
    import pandas as pd

    import equityaudit as ea

    frame = pd.DataFrame({"sex": ["F", "M"] * 50, "hired": ["yes", "no"] * 50})
    with pytest.raises(SpecError, match=r"gate_engine: expected one of 'compiled', 'gx', found 'gxx'"):
        ea.audit(frame, auditor="decisions", sensitive="sex", decision="hired", gate_engine="gxx")  # type: ignore[arg-type]

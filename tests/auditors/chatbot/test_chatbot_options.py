"""Unknown keys inside the chatbot auditor's nested option blocks are named with their full path
and the keys of that block (not the top-level options), with the nearest key when one is close.

The expected key lists are the fields of each block as docs/chatbot.md's options table gives them.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pytest
from pydantic import BaseModel

from equityaudit.auditors.chatbot.options import ChatbotOptions
from equityaudit.engine import run_spec
from equityaudit.errors import SpecError
from equityaudit.spec_loading import spec_from_mapping


def spec_error(options: dict[str, Any]) -> str:
    spec = spec_from_mapping(
        {
            "equityaudit": 1,
            "name": "chatbot-options",
            "auditor": "chatbot",
            "data": {},
            "options": {"text": "text", **options},
        }
    )
    with pytest.raises(SpecError) as caught:
        run_spec(spec, frame=pd.DataFrame({"text": ["hello"]}))
    return str(caught.value)


@pytest.mark.parametrize(
    ("block", "key", "valid", "nearest"),
    [
        ("lexicon", "bogus", ["extend", "replace", "remove", "exclude"], None),
        ("lexicon", "extnd", ["extend", "replace", "remove", "exclude"], "extend"),
        ("counterfactual", "enable", ["enabled", "max_utterances", "seed"], "enabled"),
        ("response_gaps", "lenght", ["sentiment", "length"], "length"),
        ("examples", "max_char", ["count", "max_chars", "redact"], "max_chars"),
        ("flip_thresholds", "wran", ["warn", "fail"], "warn"),
    ],
)
def test_an_unknown_nested_key_lists_that_blocks_keys(
    block: str, key: str, valid: list[str], nearest: str | None
) -> None:
    message = spec_error({block: {key: 1}})
    assert f"unknown option options.{block}.{key}" in message
    assert f"the keys of options.{block} are {', '.join(repr(v) for v in valid)}" in message
    if nearest is None:
        assert "did you mean" not in message
    else:
        assert f"options.{block}.{key} (did you mean '{nearest}'?)" in message
    # the top-level options are not offered as choices for a nested key
    assert "'text'" not in message and "'population_shares'" not in message


def test_every_unknown_key_of_a_block_is_named() -> None:
    message = spec_error({"examples": {"cout": 2, "max_char": 3}})
    assert re.search(
        r"unknown options options\.examples\.cout \(did you mean 'count'\?\), "
        r"options\.examples\.max_char \(did you mean 'max_chars'\?\)",
        message,
    ), message


def test_an_unknown_top_level_option_still_suggests_a_top_level_one() -> None:
    message = spec_error({"lexicn": {}})
    assert "options.lexicn: unknown option for the chatbot auditor. Did you mean 'lexicon'?" in message


def test_every_nested_block_knows_its_path() -> None:
    nested = {
        name: field.annotation
        for name, field in ChatbotOptions.model_fields.items()
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
    }
    assert set(nested) == {"lexicon", "counterfactual", "response_gaps", "examples", "flip_thresholds"}
    for name, model in nested.items():
        assert model.path == f"options.{name}"  # type: ignore[union-attr]

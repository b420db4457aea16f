"""Hostile specs: wrong types in every key, huge numbers, aliases, confusables, bidi controls, 100 kB labels.

Bounds: each property test runs at most 40 derandomized examples (``bounds.BOUNDED``), each
within 10 s (hypothesis' ``deadline``); the whole file adds a few seconds to the suite. Every
spec must give exit 0, 1, 2 or 3 with a message — never exit 4, a traceback or a hang.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from bounds import BOUNDED, SPEC, invoke, write_data
from hypothesis import given
from hypothesis import strategies as st

from equityaudit.errors import SpecError
from equityaudit.spec_loading import spec_from_mapping


def _paths(value: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    return found


KEYS = _paths(SPEC)

WRONG = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.sampled_from(["\u202eevil", "\u0430dmin", "x" * 100_000, "<script>alert(1)</script>", "\x00"]),
)


def _set(spec: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    parent = spec
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return spec


@BOUNDED
@given(path=st.sampled_from(KEYS), value=WRONG)
def test_any_value_in_any_key_is_a_spec_or_a_spec_error(path: tuple[str, ...], value: Any) -> None:
    message = "mutated.yaml"
    try:
        spec_from_mapping(_set(SPEC, path, value), origin="mutated.yaml")
    except SpecError as exc:
        message = str(exc)
    assert message.startswith("mutated.yaml"), message


@pytest.mark.parametrize("path", KEYS, ids=".".join)
def test_each_key_deleted_or_retyped_through_the_cli(path: tuple[str, ...], tmp_path: Path) -> None:
    write_data(tmp_path)
    for value in (None, [1, 2], {"x": 1}, 10**30):
        spec = tmp_path / "spec.yaml"
        spec.write_text(yaml.safe_dump(_set(SPEC, path, value)), encoding="utf-8")
        code, output = invoke(["run", str(spec), "--out", str(tmp_path / "out"), "-q"])
        assert code == 2 or value is None, output


LAUGHS = "".join(
    f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 9) if level else ', '.join(['lol'] * 9)}]\n"
    for level in range(9)
)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(LAUGHS + yaml.safe_dump(SPEC), id="billion-laughs-8-deep"),
        pytest.param(
            yaml.safe_dump({**SPEC, "options": {}}).replace("options: {}", "options:\n  x: &x [*x]"),
            id="self-alias",
        ),
        pytest.param(
            yaml.safe_dump(SPEC).replace("min_group_size: 30", "min_group_size: " + "9" * 5000),
            id="5000-digit-int",
        ),
        pytest.param(
            yaml.safe_dump(SPEC).replace("min_group_size: 30", "min_group_size: " + "9" * 40),
            id="40-digit-int",
        ),
        pytest.param(yaml.safe_dump(SPEC).replace("alpha: 0.05", "alpha: 1e400"), id="float-overflow"),
        pytest.param(yaml.safe_dump(SPEC).replace("alpha: 0.05", "alpha: .nan"), id="nan"),
        pytest.param(yaml.safe_dump(SPEC) + "\x00", id="nul-byte"),
        pytest.param(yaml.safe_dump(SPEC) + "\x07", id="control-character"),
        pytest.param(yaml.safe_dump(SPEC).replace("name: hostile", 'name: "host\u202eile"'), id="bidi-name"),
        pytest.param(
            yaml.safe_dump(SPEC).replace("name: hostile", "name: h\u043estile"), id="confusable-name"
        ),
        pytest.param(
            yaml.safe_dump(SPEC).replace("name: hostile", "name: " + "h" * 100_000), id="100kB-name"
        ),
        pytest.param("!!python/object/apply:os.system [echo hi]\n", id="python-tag"),
        pytest.param("? [a, b]\n: 1\n", id="list-key"),
        pytest.param("", id="empty"),
    ],
)
def test_adversarial_yaml_is_refused_or_bounded(text: str, tmp_path: Path) -> None:
    write_data(tmp_path)
    spec = tmp_path / "spec.yaml"
    spec.write_text(text, encoding="utf-8")
    code, output = invoke(["run", str(spec), "--out", str(tmp_path / "out"), "-q"])
    assert code == 2, output
    assert str(spec) in output or "spec.yaml" in output, output


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_a_bom_is_read(encoding: str, tmp_path: Path) -> None:
    write_data(tmp_path)
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(yaml.safe_dump(SPEC).encode(encoding))
    code, output = invoke(["run", str(spec), "--out", str(tmp_path / "out"), "-q"])
    assert code in (0, 1), output


def test_invalid_utf8_is_a_spec_error(tmp_path: Path) -> None:
    write_data(tmp_path)
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(yaml.safe_dump(SPEC).encode() + b"# \xff\xfe\n")
    code, output = invoke(["run", str(spec), "--out", str(tmp_path / "out"), "-q"])
    assert code == 2 and "not a YAML text file" in output and "UTF-8" in output, output


LABELS = st.one_of(
    st.text(min_size=1, max_size=30),
    st.sampled_from(["F\u202e", "\u0421", "M\u200b", "\u2066F\u2069", "F" * 100_000, "<img onerror=x>"]),
)


@BOUNDED
@given(female=LABELS, male=LABELS)
def test_hostile_group_labels_in_the_data_run_or_fail_cleanly(
    female: str, male: str, tmp_path_factory: Any
) -> None:
    folder = tmp_path_factory.mktemp("labels")
    write_data(folder, rows=60)
    data = folder / "data.csv"
    text = data.read_text(encoding="utf-8")
    quote = lambda s: '"' + s.replace('"', '""') + '"'  # noqa: E731
    text = text.replace(",F,", "," + quote(female) + ",").replace(",M,", "," + quote(male) + ",")
    data.write_text(text, encoding="utf-8")
    spec = folder / "spec.yaml"
    spec.write_text(yaml.safe_dump(SPEC), encoding="utf-8")
    invoke(["run", str(spec), "--out", str(folder / "out"), "-q", "--format", "md,html,junit"])

"""Reading an audit spec: YAML parsed strictly, validated into an :class:`~equityaudit.spec.AuditSpec`.

:func:`load_spec` reads a spec file and resolves its paths relative to the file;
:func:`spec_from_mapping` validates a mapping (parsed YAML, or the keywords of
:func:`equityaudit.audit`). Every error names the file and the key, says what was expected and
what was found, and suggests the nearest valid key.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from equityaudit.errors import SpecError, counted, did_you_mean, short_repr
from equityaudit.spec import SPEC_VERSION, AuditSpec, DataSource, GroupBands, GroupLabels, ModelSpec, Quality

__all__ = ["SpecLoader", "load_spec", "load_yaml", "spec_from_mapping"]


class SpecLoader(yaml.SafeLoader):
    """PyYAML's safe loader with the scalars of YAML 1.2 and no silent key repeats.

    * Only ``true`` and ``false`` are booleans: ``positive: Yes`` or ``allowed: {flag: [Yes, No]}``
      keep the labels the data holds (YAML 1.1 would read ``True`` and ``False``, which no
      data value matches); a boolean key such as ``intersectional: yes`` is still read as one by
      the spec's models.
    * Dates stay text for the models to parse, so an impossible date (``2026-02-30``) is a spec
      error naming its key, not a crash.
    * A key written twice in one mapping is an error naming both lines, never "the last wins".
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, list | dict):
                continue  # unhashable: SafeConstructor reports it
            if key in seen:
                first = seen[key].start_mark.line + 1
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} appears twice in one mapping (first on line {first}); keep one",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


SpecLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regex)
        for tag, regex in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SpecLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml(text: bytes | str, *, origin: str) -> Any:
    """Parse a spec's or a standard's YAML with :class:`SpecLoader`; a SpecError names the file.

    Examples
    --------
    >>> load_yaml("positive: Yes\\nflag: true\\nday: 2026-02-30\\n", origin="x.yaml")
    {'positive': 'Yes', 'flag': True, 'day': '2026-02-30'}
    """
    try:
        loader = SpecLoader(text)
    except yaml.reader.ReaderError as exc:  # a NUL byte or invalid UTF-8 near the start
        raise SpecError(_not_text(origin, exc)) from None
    except UnicodeDecodeError as exc:
        raise SpecError(f"{origin}: not valid YAML: {exc}") from None
    loader.name = origin  # error marks name the file, not "<byte string>"
    try:
        return loader.get_single_data()
    except yaml.reader.ReaderError as exc:
        raise SpecError(_not_text(origin, exc)) from None
    except ValueError as exc:  # an integer of thousands of digits (Python's int-conversion limit)
        if not isinstance(exc, UnicodeDecodeError):
            raise SpecError(
                f"{origin}: not a usable YAML value: {exc}; expected numbers of ordinary size. Use a smaller number."
            ) from None
        raise SpecError(f"{origin}: not valid YAML: {exc}") from None
    except yaml.YAMLError as exc:
        raise SpecError(f"{origin}: not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def _not_text(origin: str, exc: yaml.reader.ReaderError) -> str:
    character = exc.character if isinstance(exc.character, int) else ord(exc.character)
    return (
        f"{origin}: not a YAML text file: character #x{character:04x} at position {exc.position} "
        f"({exc.reason}); expected UTF-8 (or UTF-16) text without NUL bytes or control characters. "
        "Save the spec as UTF-8 text."
    )


def load_spec(path: str | Path) -> AuditSpec:
    """Read an audit spec from a YAML file; relative paths in it resolve against its folder.

    Raises
    ------
    SpecError
        The file is missing, is not YAML, or does not describe a valid spec; the message names
        the file, the key, what was expected and what was found.
    """
    path = Path(path)
    if not path.is_file():
        hint = ""
        if path.parent.is_dir():
            siblings = [p.name for p in path.parent.glob("*.y*ml")]
            if siblings:
                hint = " " + did_you_mean(path.name, siblings)
        raise SpecError(f"{path}: spec file not found.{hint}")
    raw = path.read_bytes()
    mapping = load_yaml(raw, origin=str(path))
    spec = spec_from_mapping(mapping, origin=str(path))
    if spec.data.path is None and spec.data.query is None and spec.data.table is None:
        raise SpecError(
            f"{path}: data.path: required key is missing; name the data file to audit (or write "
            "data.query and data.database to audit a query's rows, or data.table with data.engine: "
            "spark to audit a Spark table)."
        )
    return spec.model_copy(
        update={
            "data": _resolve_paths(spec.data, path.parent),
            "quality": _resolve_suite(spec.quality, path.parent),
            "model": _resolve_model(spec.model, path.parent),
            "source_path": path,
            "source_sha256": hashlib.sha256(raw).hexdigest(),
        }
    )


def _resolve_paths(data: DataSource, base: Path) -> DataSource:
    resolved = {
        key: (base / value).resolve()
        for key, value in (("path", data.path), ("database", data.database))
        if isinstance(value, Path) and not value.is_absolute()  # a URI (text) is Spark's to resolve
    }
    return data.model_copy(update=resolved) if resolved else data


def _resolve_model(model: ModelSpec | None, base: Path) -> ModelSpec | None:
    if model is None or model.path.is_absolute():
        return model
    return model.model_copy(update={"path": (base / model.path).resolve()})


def _resolve_suite(quality: Quality, base: Path) -> Quality:
    if quality.suite is None or quality.suite.is_absolute():
        return quality
    return quality.model_copy(update={"suite": (base / quality.suite).resolve()})


def spec_from_mapping(mapping: Any, *, origin: str = "<spec>") -> AuditSpec:
    """Validate a spec given as a mapping (parsed YAML or keyword arguments).

    Examples
    --------
    >>> spec = spec_from_mapping({"equityaudit": 1, "name": "demo", "auditor": "decisions",
    ...     "data": {"path": "data.csv"},
    ...     "columns": {"sensitive": "sex", "decision": "selected"}})
    >>> spec.columns.sensitive, spec.thresholds.impact_ratio
    (['sex'], 0.8)
    """
    if not isinstance(mapping, dict):
        found = "an empty file" if mapping is None else f"a {type(mapping).__name__}"
        raise SpecError(
            f"{origin}: expected a mapping of keys (equityaudit, name, auditor, data, columns, ...),"
            f" found {found}."
        )
    _check_bounded(mapping, origin)
    version = mapping.get("equityaudit")
    if version != SPEC_VERSION:
        found = "no 'equityaudit' key" if "equityaudit" not in mapping else repr(version)
        raise SpecError(
            f"{origin}: key 'equityaudit': expected spec format version {SPEC_VERSION}, found "
            f"{found}. Start the spec with 'equityaudit: {SPEC_VERSION}'"
            + (" (this version of equityaudit reads only format 1)." if version else ".")
        )
    try:
        return AuditSpec.model_validate(mapping)
    except ValidationError as exc:
        raise SpecError(_describe(exc, origin)) from None


MAX_SPEC_VALUES = 100_000
"""The most values (keys, list items, scalars) a spec may hold once its YAML aliases are expanded."""

MAX_SPEC_INTEGER = 2**53
"""The largest integer a spec may hold: the largest that JSON (and so the result file) keeps exactly."""


def _check_bounded(mapping: dict[Any, Any], origin: str) -> None:
    """Refuse a spec whose aliases expand past :data:`MAX_SPEC_VALUES` ("billion laughs"),
    that refers to itself, or that holds an integer JSON cannot keep exactly.

    Sizes are counted once per shared object, so the check itself stays linear in the file.

    Examples
    --------
    >>> _check_bounded({"thresholds": {"min_group_size": 10**30}}, "x.yaml")
    Traceback (most recent call last):
    ...
    equityaudit.errors.SpecError: x.yaml: thresholds.min_group_size: expected a whole number of at most 2**53 (9007199254740992), found a number of 100 bits. Use a smaller number.
    """
    sizes: dict[int, int] = {}
    open_: set[int] = set()

    def size(value: Any, key: str) -> int:
        if isinstance(value, bool):
            return 1
        if isinstance(value, int):
            if abs(value) > MAX_SPEC_INTEGER:
                raise SpecError(
                    f"{origin}: {key or '(top level)'}: expected a whole number of at most 2**53 "
                    f"({MAX_SPEC_INTEGER}), found a number of {value.bit_length()} bits. Use a smaller number."
                )
            return 1
        if not isinstance(value, dict | list):
            return 1
        if id(value) in sizes:
            return sizes[id(value)]
        if id(value) in open_:
            raise SpecError(
                f"{origin}: {key or '(top level)'}: the value contains itself (a YAML alias inside its own "
                "anchor); expected a finite value. Write the value out instead of the alias."
            )
        open_.add(id(value))
        items = value.items() if isinstance(value, dict) else enumerate(value)
        total = 1
        for child_key, child in items:
            total += size(child, f"{key}.{child_key}" if key else str(child_key))
        open_.discard(id(value))
        sizes[id(value)] = total
        if total > MAX_SPEC_VALUES:
            raise SpecError(
                f"{origin}: {key or '(top level)'}: expands to more than {MAX_SPEC_VALUES:,} values (YAML "
                "aliases repeating aliases, as in a 'billion laughs'); expected a spec of ordinary size. "
                "Write the values out, or use fewer nested aliases."
            )
        return total

    size(mapping, "")


def _describe(exc: ValidationError, origin: str) -> str:
    errors = [(_key(error["loc"]), error) for error in exc.errors()]
    # A union (e.g. a column name or a {column, positive} mapping) reports one error per
    # alternative; keep only those of the alternative the user evidently meant.
    specific = {key for key, error in errors if error["type"] not in _TYPE_MISMATCH}
    errors = [
        (key, error)
        for key, error in errors
        if error["type"] not in _TYPE_MISMATCH or not any(other.startswith(key) for other in specific)
    ]
    lines = [f"{origin}: invalid spec ({counted(len(errors), 'problem')}):"]
    for key, error in errors:
        location = key.split(".")
        kind = error["type"]
        found = error.get("input")
        if kind == "extra_forbidden":
            grouping = next((_GROUPINGS[p] for p in error["loc"] if p in _GROUPINGS), None)
            parent_fields = list(grouping.model_fields) if grouping else _fields_at(location[:-1])
            message = f"unknown key {location[-1]!r}. {did_you_mean(location[-1], parent_fields)}"
        elif kind == "missing":
            message = "required key is missing."
        elif kind == "literal_error":
            message = f"expected {error['ctx'].get('expected')}, found {found!r}."
        elif kind == "string_pattern_mismatch" and key == "name":
            message = (
                f"expected letters, digits, '.', '_' and '-', starting with a letter or digit (it names the "
                f"report files), found {found!r}."
            )
        elif kind == "value_error":
            message = str(error["ctx"].get("error", error["msg"]))
            message += "" if message.endswith((".", "?")) else "."
        else:
            message = f"{error['msg']}; found {short_repr(found)}."
        lines.append(f"  - {key or '(top level)'}: {message}")
    return "\n".join(_dedupe(lines))


_TYPE_MISMATCH = frozenset(
    {"string_type", "dict_type", "int_type", "bool_type", "list_type", "model_type", "literal_error"}
)


def _key(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc if not _is_union_tag(part))


def _is_union_tag(part: object) -> bool:
    return isinstance(part, str) and (
        part
        in {"str", "int", "bool", "LabelledColumn", "function-after[_one_or_many(), list[str]]", *_GROUPINGS}
        or part.startswith(("literal[", "dict[", "list[", "function-"))
    )


_GROUPINGS: dict[str, type[BaseModel]] = {"GroupLabels": GroupLabels, "GroupBands": GroupBands}


def _dedupe(lines: list[str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for line in lines:
        if line not in seen:
            seen.add(line)
            kept.append(line)
    return kept


def _fields_at(location: list[str]) -> list[str]:
    model: type[BaseModel] = AuditSpec
    for part in location:
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        candidates = [a for a in getattr(annotation, "__args__", (annotation,)) if a is not None]
        nested = [a for a in candidates if isinstance(a, type) and issubclass(a, BaseModel)]
        if not nested:
            return []
        model = nested[0]
    return [name for name, f in model.model_fields.items() if f.description != "internal"]

"""The error classes: the tree drawn in equityaudit.errors' docstring is the real one."""

from __future__ import annotations

import builtins
import inspect
import re

from equityaudit import errors

_LINE = re.compile(r"(?P<prefix>[ │├└─]*)(?P<name>\w+)(?:\((?P<bases>[\w, ]+)\))?")


def _drawing() -> list[str]:
    """The literal block after ``::`` in the module docstring, without its indentation."""
    doc = errors.__doc__
    assert doc is not None
    block = doc.split("::\n", 1)[1]
    lines: list[str] = []
    for line in block.splitlines()[1:]:
        if line[:1].isalpha():  # the paragraph after the block
            break
        if line.strip():
            assert line.startswith("    "), f"a line of the drawing is not indented like the rest: {line!r}"
            lines.append(line.removeprefix("    "))
    return lines


def _label(cls: type) -> str:
    """A class as drawn: its name, and in brackets its bases other than the one drawn above it."""
    drawn_parent = next(
        (base for base in cls.__bases__ if base.__module__ == errors.__name__),
        Exception if issubclass(cls, errors.EquityAuditError) else None,
    )
    others = [base.__name__ for base in cls.__bases__ if base is not drawn_parent]
    return f"{cls.__name__}({', '.join(others)})" if others else cls.__name__


def _render(cls: type, prefix: str = "", last: bool | None = None) -> list[str]:
    """``cls`` and its subclasses in the drawing's box characters (a root has ``last=None``)."""
    connector = "" if last is None else (" └── " if last else " ├── ")
    lines = [prefix + connector + _label(cls)]
    children = [c for c in cls.__subclasses__() if c.__module__ == errors.__name__]
    below = prefix + ("" if last is None else ("     " if last else " │   "))
    for index, child in enumerate(children):
        lines += _render(child, below, last=index == len(children) - 1)
    return lines


def test_the_drawn_exception_tree_is_the_class_hierarchy() -> None:
    drawn = [m.group(0) for m in map(_LINE.match, _drawing()) if m]  # each line without its description
    roots = [
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if cls.__module__ == errors.__name__
        and issubclass(cls, Exception)
        and not any(base.__module__ == errors.__name__ for base in cls.__bases__)
    ]
    assert [cls.__name__ for cls in roots] == ["EquityAuditError", "UndefinedMetricWarning"]
    assert drawn == [line for root in roots for line in _render(root)]


def test_each_drawn_class_has_the_drawn_bases_and_parent() -> None:
    """Read the drawing on its own: a connector under a name's first letter + 1 hangs from it."""
    columns: dict[int, str] = {}  # column of a name's first letter → the last name drawn there
    drawn = []
    for line in _drawing():
        match = _LINE.match(line)
        assert match, line
        name, prefix = match["name"], match["prefix"]
        cls = getattr(errors, name)
        named = [getattr(builtins, b.strip()) for b in (match["bases"] or "").split(",") if b.strip()]
        if prefix:
            connector = max(prefix.rfind("├"), prefix.rfind("└"))
            assert connector - 1 in columns, f"{name} hangs from no class: {line!r}"
            parent = getattr(errors, columns[connector - 1])
            assert cls.__bases__ == (parent, *named), name
            assert cls.__mro__.index(parent) == 1, name
        else:
            assert cls.__bases__ == (tuple(named) or (Exception,)), name
        columns[len(prefix)] = name
        drawn.append(name)
    exported = [name for name in errors.__all__ if inspect.isclass(getattr(errors, name))]
    assert sorted(drawn) == sorted(set(exported) - {"ExitCode"})


def test_error_tree() -> None:
    assert issubclass(errors.SpecError, ValueError)
    assert issubclass(errors.ColumnNotFoundError, KeyError)
    assert issubclass(errors.ColumnNotFoundError, errors.DataError)
    assert issubclass(errors.OutputError, OSError)
    assert [int(code) for code in errors.ExitCode] == [0, 1, 2, 3, 4]

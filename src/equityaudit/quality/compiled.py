"""The gate's built-in checks evaluated from aggregations, without great-expectations.

:func:`evaluate` answers an expectation of a type it covers (:data:`COMPILED`) with the result
great-expectations would give on the same rows (its JSON form: ``success`` and ``result`` with
``element_count``, ``missing_count``, ``unexpected_count``, ``unexpected_percent`` ... or
``observed_value``), computed from :mod:`equityaudit.quality.facts` on the data's own backend.
An expectation it does not cover (another type, a ``row_condition``, an argument it does not
know, a range on a column that is not a number) gets ``None``, and the gate hands it to
great-expectations with the rows of the columns it reads. ``--gate-engine gx`` hands every one.

The rules copied from great-expectations 1.x (``expectations/expectation.py``): a map
expectation leaves missing values out; it succeeds vacuously when no value is left, else when
the share of expected values among the non-missing ones is at least ``mostly``; its
``unexpected_percent`` is of the non-missing values, except for
``expect_column_values_to_not_be_null``, whose is of all rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from equityaudit.quality.facts import Facts, Values

if TYPE_CHECKING:
    import pandas as pd

    from equityaudit.quality.suite import Expectation

__all__ = ["COMPILED", "covers", "evaluate", "reads_values", "unexpected_values"]

_MAP = {
    "expect_column_values_to_be_in_set": {"value_set"},
    "expect_column_values_to_not_be_in_set": {"value_set"},
    "expect_column_values_to_match_regex": {"regex"},
    "expect_column_values_to_not_match_regex": {"regex"},
    "expect_column_values_to_be_between": {"min_value", "max_value", "strict_min", "strict_max"},
    "expect_column_values_to_be_unique": set(),
    "expect_column_values_to_not_be_null": set(),
    "expect_column_values_to_be_in_type_list": {"type_list"},
}
COMPILED = frozenset({*_MAP, "expect_column_to_exist", "expect_table_row_count_to_be_between"})
"""The expectation types evaluated from aggregations (with the arguments :func:`covers` accepts)."""


def covers(expectation: Expectation, facts: Facts) -> bool:
    """Whether :func:`evaluate` answers the expectation (else great-expectations does)."""
    kind, kwargs = expectation.type, expectation.kwargs
    if kind == "expect_column_to_exist":
        return set(kwargs) <= {"column"}
    if kind == "expect_table_row_count_to_be_between":
        bounds = [kwargs.get("min_value"), kwargs.get("max_value")]
        return (
            set(kwargs) <= {"min_value", "max_value"} and all(_number(b) for b in bounds) and _ordered(bounds)
        )
    if kind not in _MAP or not set(kwargs) <= {"column", "mostly", *_MAP[kind]}:
        return False
    column = expectation.column
    mostly = kwargs.get("mostly", 1.0)
    if (
        column is None
        or column not in facts.columns
        or mostly is None
        or not _number(mostly)
        or not 0 <= mostly <= 1
    ):
        return False  # great-expectations says what is wrong with a malformed argument
    if kind == "expect_column_values_to_be_between":
        import pandas as pd

        bounds = [kwargs.get("min_value"), kwargs.get("max_value")]
        dtype = facts.dtype(column)
        numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
        return (
            numeric
            and any(b is not None for b in bounds)
            and all(_number(b) for b in bounds)
            and _ordered(bounds)
        )
    if kind == "expect_column_values_to_be_in_type_list":
        from equityaudit.quality.suite import NUMERIC_TYPES

        return list(kwargs.get("type_list") or []) == list(NUMERIC_TYPES)
    if kind == "expect_column_values_to_match_regex" or kind == "expect_column_values_to_not_match_regex":
        return isinstance(kwargs.get("regex"), str) and _compiles(kwargs["regex"])
    if "value_set" in _MAP[kind]:
        return isinstance(kwargs.get("value_set"), list)
    return True


def reads_values(expectation: Expectation) -> bool:
    """Whether the expectation is judged from the column's distinct values (a value set, a
    regular expression) rather than from counts the backend computes (missing values, a range,
    repeated values, the type)."""
    return bool(_MAP.get(expectation.type, set()) & {"value_set", "regex"}) and not expectation.kwargs.get(
        "row_condition"
    )


def _ordered(bounds: list[Any]) -> bool:
    """Whether a range's bounds are in order (GX refuses ``min_value > max_value``, and says so)."""
    low, high = bounds
    return low is None or high is None or low <= high


def _compiles(regex: str) -> bool:
    import re

    try:
        re.compile(regex)
    except re.error:
        return False
    return True


def _number(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def evaluate(expectation: Expectation, facts: Facts) -> dict[str, Any]:
    """great-expectations' result for a covered expectation (:func:`covers`), in its JSON form."""
    kind, kwargs = expectation.type, expectation.kwargs
    if kind == "expect_column_to_exist":
        return {"success": kwargs["column"] in facts.columns, "result": {}}
    if kind == "expect_table_row_count_to_be_between":
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        rows = facts.rows
        success = (low is None or rows >= low) and (high is None or rows <= high)
        return {"success": success, "result": {"observed_value": rows}}
    column = str(expectation.column)
    mostly = float(kwargs.get("mostly", 1.0))
    rows = facts.rows
    missing = facts.missing(column)
    if kind == "expect_column_values_to_not_be_null":
        success = rows == 0 or (rows - missing) / rows >= mostly
        percent = missing / rows * 100 if rows else None
        return {
            "success": success,
            "result": {"element_count": rows, "unexpected_count": missing, "unexpected_percent": percent},
        }
    if kind == "expect_column_values_to_be_in_type_list":
        import pandas as pd

        dtype = facts.dtype(column)
        if not pd.api.types.is_object_dtype(dtype):  # GX judges the column's dtype
            return {"success": _numeric_dtype(dtype), "result": {"observed_value": dtype.type.__name__}}
        unexpected = _count(facts.values(column), _predicate(kind, kwargs))
    elif kind == "expect_column_values_to_be_between":
        unexpected, _ = facts.outside(
            column,
            kwargs.get("min_value"),
            kwargs.get("max_value"),
            strict_min=bool(kwargs.get("strict_min")),
            strict_max=bool(kwargs.get("strict_max")),
        )
    elif kind == "expect_column_values_to_be_unique":
        unexpected, _ = facts.duplicated(column)
    else:
        unexpected = _count(facts.values(column), _predicate(kind, kwargs))
    nonnull = rows - missing
    success = rows == 0 or nonnull == 0 or (nonnull - unexpected) / nonnull >= mostly
    return {"success": success, "result": _map_result(rows, nonnull, unexpected)}


def unexpected_values(expectation: Expectation, facts: Facts) -> list[tuple[Any, int]] | None:
    """The distinct offending values of a covered map expectation with their rows, most frequent first."""
    kind, kwargs = expectation.type, expectation.kwargs
    column = expectation.column
    if column is None or column not in facts.columns:
        return None
    if kind == "expect_column_values_to_be_between":
        return facts.outside(
            column,
            kwargs.get("min_value"),
            kwargs.get("max_value"),
            strict_min=bool(kwargs.get("strict_min")),
            strict_max=bool(kwargs.get("strict_max")),
        )[1]
    if kind == "expect_column_values_to_be_unique":
        return facts.duplicated(column)[1]
    if reads_values(expectation):
        present = facts.values(column).present()
        return present.where(_predicate(kind, kwargs)(present.values)).counts()
    return None


def _map_result(rows: int, nonnull: int, unexpected: int) -> dict[str, Any]:
    """GX's ``_format_map_output`` for a SUMMARY result (without the partial lists)."""
    missing = rows - nonnull
    total = unexpected / rows * 100 if rows else None
    nonmissing = unexpected / nonnull * 100 if rows and nonnull else None
    return {
        "element_count": rows,
        "unexpected_count": unexpected,
        "unexpected_percent": nonmissing,
        "missing_count": missing,
        "missing_percent": missing / rows * 100 if rows else None,
        "unexpected_percent_total": total,
        "unexpected_percent_nonmissing": nonmissing,
    }


def _count(values: Values, unexpected: Callable[[pd.Series[Any]], Any]) -> int:
    present = values.present()
    return present.where(unexpected(present.values)).rows()


def _predicate(kind: str, kwargs: Mapping[str, Any]) -> Callable[[pd.Series[Any]], Any]:
    """The rows a map expectation finds unexpected: GX's pandas condition, negated where it names the expected."""
    if kind == "expect_column_values_to_be_in_set":
        return lambda v: ~v.isin(kwargs["value_set"]).to_numpy(dtype=bool)
    if kind == "expect_column_values_to_not_be_in_set":
        return lambda v: v.isin(kwargs["value_set"]).to_numpy(dtype=bool)
    if kind == "expect_column_values_to_match_regex":
        return lambda v: ~v.astype(str).str.contains(kwargs["regex"]).to_numpy(dtype=bool)
    if kind == "expect_column_values_to_not_match_regex":
        return lambda v: v.astype(str).str.contains(kwargs["regex"]).to_numpy(dtype=bool)
    if kind == "expect_column_values_to_be_in_type_list":
        return lambda v: v.map(_not_numeric_type).to_numpy(dtype=bool)
    raise ValueError(f"no row condition for {kind}")  # pragma: no cover - covers() keeps them apart


def _not_numeric_type(value: Any) -> bool:
    """GX's test of one value of an object column against the numeric type list: ``isinstance`` of
    the numpy types and Python's ``int`` and ``float`` (so a Python ``True``, an ``int``, passes)."""
    import numpy as np

    return not isinstance(value, int | float | np.integer | np.floating)


def _numeric_dtype(dtype: Any) -> bool:
    """Whether GX finds the column's dtype among the numeric type names (numpy or pandas nullable)."""
    import numpy as np
    import pandas as pd

    if isinstance(dtype, pd.api.extensions.ExtensionDtype):
        nullable = {f"{kind}{bits}Dtype" for kind in ("Int", "UInt") for bits in (8, 16, 32, 64)}
        return type(dtype).__name__ in nullable | {"Float32Dtype", "Float64Dtype"}
    names = [f"{kind}{bits}" for kind in ("int", "uint") for bits in (8, 16, 32, 64)]
    return dtype in {np.dtype(name) for name in [*names, "float16", "float32", "float64"]}

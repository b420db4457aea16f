"""What ``equityaudit init`` proposes for ``columns.groups``.

Three sources, each written into the spec with the reason it is there:

- **Age bands**: a numeric age is cut only at points with a stated reason (25, 40, 65), and only
  where every band keeps ``min_group_size`` rows of the data (:func:`propose_age_bands`).
- **Coded values**: a sensitive column of codes (German credit's A91 ... A95) gets a commented
  skeleton listing each code with its rows; init cannot know what a code means, so it proposes
  no label (:func:`coded_values`).
- **A ``--groups`` file**: the user's groupings, validated through the spec model
  (:func:`read_groups_file`).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from equityaudit.spec import GroupBands, GroupLabels

__all__ = [
    "AGE_CUTS",
    "AgeBands",
    "coded_counts",
    "coded_values",
    "grouping_lines",
    "is_age_name",
    "propose_age_bands",
    "read_groups_file",
    "unnamed_values",
]

AGE_CUTS: dict[int, str] = {
    25: "young applicants, the usual protected group in German-credit studies",
    40: "the ADEA line (US law protects workers 40 and over)",
    65: "the usual retirement age",
}
"""The only cut points init proposes for an age, each with the reason it is there."""

# matched against a column name's words joined by '_' (init_roles.column_words): age, age_years,
# applicant_age, age_cat, age_group
_AGE = re.compile(r"(^|_)age(_?(cat|category|group|band|bracket|range))?($|_)", re.I)
# a code: a short token of letters and digits holding a digit (A91, A201, 2), no spaces
_CODE = re.compile(r"[A-Za-z0-9]*[0-9][A-Za-z0-9]*")
_YES_NO = frozenset({"0", "1", "true", "false"})
_MAX_CODES = 50


def is_age_name(words: str) -> bool:
    """Whether a column's name (its words joined by '_') says it holds an age or an age group.

    Examples
    --------
    >>> [is_age_name(w) for w in ("age", "age_years", "applicant_age", "age_cat", "page_views", "stage")]
    [True, True, True, True, False, False]
    """
    return bool(_AGE.search(words))


@dataclass(frozen=True)
class AgeBands:
    """The age bands init proposes for one column: the cut points kept, the rows of each band,
    and why each cut point with a reason but not kept was left out."""

    column: str
    cuts: list[int]
    rows: list[int]
    labels: list[str]
    left_out: list[tuple[int, str]]
    min_group_size: int

    def comment(self) -> str:
        """The spec comment: rows per band, then why each cut point is there or is not.

        Examples
        --------
        >>> bands = AgeBands("age", [40], [120, 80], ["under 40", "40 and over"], [], 30)
        >>> bands.comment()
        'under 40: 120 rows, 40 and over: 80; 40: the ADEA line (US law protects workers 40 and over)'
        """
        rows = ", ".join(
            f"{label}: {n} rows" if i == 0 else f"{label}: {n}"
            for i, (label, n) in enumerate(zip(self.labels, self.rows, strict=True))
        )
        reasons = [f"{cut}: {AGE_CUTS[cut]}" for cut in self.cuts]
        reasons += [f"{cut} ({AGE_CUTS[cut]}) left out: {why}" for cut, why in self.left_out]
        return "; ".join([rows, *reasons])

    def why_none(self) -> str:
        """Why no band is proposed (every cut point left out)."""
        return (
            f"{self.column} is not proposed: no cut point with a stated reason "
            f"({', '.join(map(str, AGE_CUTS))}) leaves every band {self.min_group_size} rows or more: "
            + "; ".join(f"{cut} ({AGE_CUTS[cut]}): {why}" for cut, why in self.left_out)
        )


def propose_age_bands(values: Any, *, column: str, min_group_size: int) -> AgeBands:
    """Cut a numeric age at 25, 40 and 65, keeping a cut point only when every band keeps
    ``min_group_size`` rows (a polars Series; missing values count in no band).

    The cut points are tried from the lowest: one is kept when the band below it (from the last
    kept cut point) and everything above it hold ``min_group_size`` rows or more, so every band
    of the result does. Bands are closed on the left: 25 is in 25–39.

    Examples
    --------
    >>> import polars as pl
    >>> ages = pl.Series([22] * 40 + [30] * 100 + [50] * 60 + [70] * 10)
    >>> bands = propose_age_bands(ages, column="age", min_group_size=30)
    >>> bands.cuts, bands.rows, bands.labels
    ([25, 40], [40, 100, 70], ['under 25', '25–39', '40 and over'])
    >>> bands.left_out
    [(65, '65 and over would hold 10 rows, fewer than min_group_size 30')]
    """
    known = values.drop_nulls().drop_nans() if values.dtype.is_float() else values.drop_nulls()
    whole = values.dtype.is_integer() or bool((known.cast(float) % 1 == 0).all())
    kept: list[int] = []
    left_out: list[tuple[int, str]] = []
    for cut in AGE_CUTS:
        lower = kept[-1] if kept else None
        below = int(((known < cut) if lower is None else ((known >= lower) & (known < cut))).sum())
        above = int((known >= cut).sum())
        if below >= min_group_size and above >= min_group_size:
            kept.append(cut)
            continue
        label = _band_label(lower, cut, whole=whole) if below < min_group_size else f"{cut} and over"
        n = below if below < min_group_size else above
        left_out.append((cut, f"{label} would hold {n} rows, fewer than min_group_size {min_group_size}"))
    edges: list[int | None] = [None, *kept, None]
    labels = [_band_label(low, high, whole=whole) for low, high in itertools.pairwise(edges)]
    rows = [
        int(
            (
                (known >= (-math.inf if low is None else low))
                & (known < (math.inf if high is None else high))
            ).sum()
        )
        for low, high in itertools.pairwise(edges)
    ]
    return AgeBands(column, kept, rows, labels, left_out, min_group_size)


def _band_label(low: int | None, high: int | None, *, whole: bool) -> str:
    """A band's name as the spec's default labels read: under 25, 25–39 (25 to under 40), 65 and over."""
    if low is None and high is None:
        return "every age"
    if low is None:
        return f"under {high}"
    if high is None:
        return f"{low} and over"
    return f"{low}–{high - 1}" if whole else f"{low} to under {high}"


def coded_values(values: Any) -> dict[str, int]:
    """A column's values with their rows when every one is a code (a short token of letters and
    digits holding a digit: A91, A201, 2), in natural order; else an empty mapping.

    A 0/1 or true/false column is a flag, not codes. A column of more than 50 codes is not listed.

    Examples
    --------
    >>> import polars as pl
    >>> coded_values(pl.Series(["A92", "A91", "A910", "A92"]))
    {'A91': 1, 'A92': 2, 'A910': 1}
    >>> coded_values(pl.Series(["male", "female"])), coded_values(pl.Series([0, 1]))
    ({}, {})
    """
    found = coded_counts(values)
    if not found or len(found) > _MAX_CODES or {v.strip().lower() for v in found} <= _YES_NO:
        return {}
    if not all(len(v) <= 8 and _CODE.fullmatch(v) for v in found):
        return {}
    return found


def coded_counts(values: Any) -> dict[str, int]:
    """Rows holding each value of a column (missing values left out), by the value as text, in
    natural order (A9 before A10)."""
    counts = values.drop_nulls().cast(str).value_counts()
    found = {str(v): int(n) for v, n in zip(counts[:, 0].to_list(), counts[:, 1].to_list(), strict=True)}
    return {v: found[v] for v in sorted(found, key=_natural)}


def _natural(value: str) -> list[tuple[int, int | str]]:
    """Sort key that puts A9 before A10."""
    return [(0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", value) if part]


def read_groups_file(path: Path, *, columns: list[str], data: Path) -> dict[str, GroupLabels | GroupBands]:
    """The groupings a ``--groups`` file gives, validated through the spec model.

    The file maps columns to groupings in ``columns.groups``' syntax. An invalid grouping is a
    SpecError naming the file and the key; a column the data lacks is a ColumnNotFoundError
    naming the file, the column and the data's columns.
    """
    from equityaudit.errors import ColumnNotFoundError, SpecError, did_you_mean
    from equityaudit.spec_loading import load_yaml, spec_from_mapping

    origin = str(path)
    mapping = load_yaml(path.read_bytes(), origin=origin)
    if not isinstance(mapping, dict) or not mapping:
        found = "an empty file" if not mapping else f"a {type(mapping).__name__}"
        raise SpecError(
            f"{origin}: expected a mapping of columns to groups, e.g. 'personal_status: {{A91: \"male: "
            f"divorced/separated\", ...}}' or 'age: {{bins: [25, 40, 65]}}', found {found}."
        )
    names = [str(column) for column in mapping]
    try:
        spec = spec_from_mapping(
            {
                "equityaudit": 1,
                "name": "groups",
                "auditor": "decisions",
                "data": {"path": str(data)},
                "columns": {"sensitive": names, "groups": {str(k): v for k, v in mapping.items()}},
            },
            origin=origin,
        )
    except SpecError as exc:
        # the file holds what a spec's columns.groups holds: name its keys as the file spells them
        lines = str(exc).replace(": invalid spec (", ": invalid groups (", 1).splitlines()
        lines = [
            line.replace("  - columns.groups.", "  - ", 1).replace(
                "  - columns.groups:", "  - (top level):", 1
            )
            for line in lines
        ]
        raise SpecError("\n".join(lines)) from None
    for column in names:
        if column not in columns:
            hint = did_you_mean(column, columns)
            shown = ", ".join(repr(name) for name in columns[:30])
            more = f" (and {len(columns) - 30} more)" if len(columns) > 30 else ""
            raise ColumnNotFoundError(
                f"{origin}: groups name column {column!r}, which is not in {data}; its columns are {shown}{more}."
                + (f" {hint}" if hint.startswith("Did you mean") else "")
            )
    return dict(spec.columns.groups)


def unnamed_values(frame: Any, groups: dict[str, GroupLabels | GroupBands], *, origin: str) -> list[str]:
    """Notes on the values of a column its labels do not name while ``other: error`` (the quality
    gate would block them), so init says so before the audit is run.

    Values match as the spec matches them: trimmed, in any case, ``1.0`` as ``1``.

    Examples
    --------
    >>> import polars as pl
    >>> frame = pl.DataFrame({"status": ["A91", "a92 ", "A93", "A93"]})
    >>> unnamed_values(frame, {"status": GroupLabels(labels={"A91": "m", "A92": "f"})}, origin="g.yaml")[0]
    "g.yaml: status holds a value its labels do not name: 'A93' (2 rows); with other: error the quality gate blocks the audit. Name it, or set other: keep (its own group) or unknown."
    """
    notes = []
    for column, grouping in groups.items():
        if not isinstance(grouping, GroupLabels) or grouping.other != "error":
            continue
        named = {_raw(raw) for raw in grouping.labels}
        counts = coded_counts(frame[column])
        unnamed = {value: n for value, n in counts.items() if _raw(value) not in named}
        if unnamed:
            shown = ", ".join(f"{value!r} ({n} rows)" for value, n in list(unnamed.items())[:10])
            one = len(unnamed) == 1
            notes.append(
                f"{origin}: {column} holds {'a value' if one else f'{len(unnamed)} values'} its labels do not name: "
                f"{shown}{' ...' if len(unnamed) > 10 else ''}; with other: error the quality gate blocks the "
                f"audit. Name {'it' if one else 'them'}, or set other: keep (its own group) or unknown."
            )
    return notes


def _raw(value: str) -> str:
    """A raw value as the spec matches it: trimmed, lower case, ``1.0`` as ``1``."""
    text = value.strip().lower()
    return re.sub(r"^(-?\d+)\.0+$", r"\1", text)


def grouping_lines(
    column: str, grouping: GroupLabels | GroupBands, *, scalar: Callable[[str], str], comment: str
) -> list[str]:
    """A grouping as lines of YAML under ``columns.groups`` (indented four spaces): labels one a
    line, bands in one flow mapping; ``scalar`` writes a name or label as YAML reads it back.

    Examples
    --------
    >>> grouping_lines("age", GroupBands(bins=[25, 40]), scalar=str, comment="why")
    ['    age: {bins: [25, 40]}   # why']
    >>> grouping_lines("fw", GroupLabels(labels={"A201": "yes"}, other="keep"), scalar=str, comment="")
    ['    fw:', '      labels:', '        A201: yes', '      other: keep']
    """
    head = f"    {scalar(column)}:"
    if isinstance(grouping, GroupBands):
        dumped = grouping.model_dump(exclude_defaults=True)
        return [f"{head} {_flow_value(dumped, scalar)}" + (f"   # {comment}" if comment else "")]
    lines = [head + (f"   # {comment}" if comment else "")]
    indent = "      "
    if grouping.other != "error":
        lines.append(f"{indent}labels:")
        indent += "  "
    lines += [
        f"{indent}{scalar(raw)}: {'null' if label is None else scalar(label)}"
        for raw, label in grouping.labels.items()
    ]
    if grouping.other != "error":
        lines.append(f"      other: {grouping.other}")
    return lines


def _flow_value(value: Any, scalar: Callable[[str], str]) -> str:
    """A dumped model as YAML flow: its keys bare (they are the model's own), mappings and lists
    inline, whole floats as integers, text through ``scalar``."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow_value(v, scalar)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow_value(v, scalar) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    return "null" if value is None else scalar(str(value))

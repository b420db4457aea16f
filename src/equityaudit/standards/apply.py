"""Applying a standard to an audit: check the spec against it, fix thresholds, map labels.

:func:`conform_spec` refuses a spec that contradicts its standard (another auditor, another
threshold, a missing or extra attribute, a column the standard's metrics do not use) with a
:class:`~equityaudit.errors.SpecError` naming every conflict, and returns the spec as the
standard fixes it. :func:`conform_source` renames the members' attribute columns to the
standard's attribute names; the taxonomy maps their labels onto the standard's categories as the
spec's named groups (:mod:`equityaudit.groups`), the one mechanism a spec's own ``columns.groups``
uses too.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from equityaudit.errors import ColumnNotFoundError, DataError, SpecError, did_you_mean
from equityaudit.frames import Source
from equityaudit.spec import AuditSpec, Columns
from equityaudit.standards.catalog import find_standard
from equityaudit.standards.model import FIXED_THRESHOLDS, Standard

__all__ = ["StandardApplication", "conform_source", "conform_spec", "resolve_standard"]

_METRIC_ROLES = ("decision", "score", "outcome", "stage")


@dataclass(frozen=True)
class StandardApplication:
    """A standard applied to a spec: the standard, and the columns renamed to its attributes."""

    standard: Standard
    renames: dict[str, str] = field(default_factory=dict)
    """Column in the member's data → the standard's attribute name."""


def resolve_standard(spec: AuditSpec) -> Standard | None:
    """The standard a spec names, or None."""
    if spec.standard is None:
        return None
    base = spec.source_path.parent if spec.source_path else None
    return find_standard(spec.standard, base=base, origin=spec.origin)


def conform_spec(spec: AuditSpec, standard: Standard) -> tuple[AuditSpec, StandardApplication]:
    """Check ``spec`` against ``standard`` and return it as the standard fixes it.

    Raises
    ------
    SpecError
        The spec contradicts the standard; every conflict is listed with how to fix it.

    Examples
    --------
    >>> from equityaudit.spec_loading import spec_from_mapping
    >>> from equityaudit.standards import find_standard
    >>> spec = spec_from_mapping({"equityaudit": 1, "name": "x", "auditor": "decisions",
    ...     "standard": "eeoc-four-fifths@1978", "data": {"path": "d.csv"},
    ...     "columns": {"sensitive": ["sex", "race"], "decision": "hired"},
    ...     "thresholds": {"impact_ratio": 0.9}})
    >>> from equityaudit.errors import SpecError
    >>> try:
    ...     conform_spec(spec, find_standard("eeoc-four-fifths@1978"))
    ... except SpecError as error:
    ...     print(error)
    <spec>: the spec contradicts its standard eeoc-four-fifths@1978 (1 conflict(s)):
      - thresholds.impact_ratio is 0.9 but eeoc-four-fifths@1978 fixes it at 0.8; remove it from the spec (the standard sets it).
    """
    ref = standard.ref
    conflicts: list[str] = []
    if spec.auditor != standard.auditor:
        conflicts.append(
            f"auditor is {spec.auditor!r} but {ref} is audited with the {standard.auditor!r} auditor; "
            f"set 'auditor: {standard.auditor}'."
        )
    renames: dict[str, str] = {}
    sensitive = list(spec.columns.sensitive)
    claimed: set[str] = set()
    for attribute, definition in standard.taxonomy.attributes.items():
        candidates = [attribute, *definition.columns]
        present = [c for c in sensitive if c in candidates]
        if not present:
            aliases = f" (or one of {definition.columns})" if definition.columns else ""
            conflicts.append(
                f"columns.sensitive {sensitive} has no column {attribute!r}{aliases}, which {ref} audits by; "
                f"add the column holding {attribute}."
            )
            continue
        if len(present) > 1:
            conflicts.append(
                f"columns.sensitive lists {present}, which all stand for {ref}'s attribute {attribute!r}; "
                "keep one."
            )
        claimed.add(present[0])
        if present[0] != attribute:
            renames[present[0]] = attribute
    extra = [
        c
        for c in sensitive
        if c not in claimed
        and not any(c in ([a, *d.columns]) for a, d in standard.taxonomy.attributes.items())
    ]
    if extra:
        conflicts.append(
            f"columns.sensitive lists {extra}, which {ref} does not audit by (it audits by "
            f"{list(standard.taxonomy.attributes)}); remove them, or audit them in a separate spec without the standard."
        )
    columns_set = spec.columns.model_fields_set
    if "intersectional" in columns_set and spec.columns.intersectional != standard.taxonomy.intersectional:
        conflicts.append(
            f"columns.intersectional is {spec.columns.intersectional} but {ref} fixes it at "
            f"{standard.taxonomy.intersectional}; remove it from the spec."
        )
    if "reference" in spec.model_fields_set and spec.reference != standard.decision.reference:
        conflicts.append(
            f"reference is {spec.reference!r} but {ref} fixes it at {standard.decision.reference!r}; "
            "remove it from the spec."
        )
    fixed = standard.fixed_thresholds()
    given = spec.thresholds.model_dump()
    for key in FIXED_THRESHOLDS:
        if key in spec.thresholds.model_fields_set and given[key] != fixed[key]:
            conflicts.append(
                f"thresholds.{key} is {given[key]!r} but {ref} fixes it at {fixed[key]!r}; remove it from "
                "the spec (the standard sets it)."
            )
    if spec.columns.groups:
        conflicts.append(
            f"columns.groups names {sorted(spec.columns.groups)}, but {ref}'s taxonomy names the groups; remove "
            "columns.groups (write the labels your data uses into a new version of the standard, or recode them "
            "in the data)."
        )
    conflicts += _role_conflicts(spec.columns, standard)
    if conflicts:
        lines = [f"{spec.origin}: the spec contradicts its standard {ref} ({len(conflicts)} conflict(s)):"]
        lines += [f"  - {c}" for c in conflicts]
        raise SpecError("\n".join(lines))
    columns = spec.columns.model_copy(
        update={
            "sensitive": [renames.get(c, c) for c in sensitive],
            "intersectional": standard.taxonomy.intersectional,
            # the taxonomy maps members' labels onto its categories as named groups (equityaudit.groups)
            "groups": {
                attribute: definition.as_groups(standard.taxonomy.unmapped)
                for attribute, definition in standard.taxonomy.attributes.items()
            },
        }
    )
    options = {
        key: renames.get(value, value) if key.endswith("_column") and isinstance(value, str) else value
        for key, value in spec.options.items()
    }
    thresholds = standard.thresholds(bootstrap=spec.thresholds.bootstrap, seed=spec.thresholds.seed)
    conformed = spec.model_copy(
        update={
            "columns": columns,
            "reference": standard.decision.reference,
            "thresholds": thresholds,
            "options": options,
        }
    )
    return conformed, StandardApplication(standard=standard, renames=renames)


def _role_conflicts(columns: Columns, standard: Standard) -> list[str]:
    ref = standard.ref
    given = {
        "decision": columns.decision is not None,
        "score": columns.score is not None,
        "outcome": columns.outcome is not None,
        "stage": columns.stage is not None,
    }
    conflicts = []
    satisfied = [m for m in standard.metrics if all(given[r] for r in standard.roles(m))]
    if standard.metrics_required == "all":
        for metric in standard.metrics:
            missing = [r for r in standard.roles(metric) if not given[r]]
            if missing:
                conflicts.append(
                    f"{ref} judges {metric}, which needs columns.{' and columns.'.join(missing)}; name the column(s)."
                )
    elif not satisfied:
        needs = " or ".join(f"{m} (columns.{', columns.'.join(standard.roles(m))})" for m in standard.metrics)
        conflicts.append(f"{ref} judges {needs}; name the column(s) of at least one.")
    used = {r for m in standard.metrics for r in standard.roles(m)}
    for role in _METRIC_ROLES:
        if given[role] and role not in used:
            conflicts.append(
                f"columns.{role} is given but {ref} judges only {standard.metrics}; remove it (audit it in a "
                "separate spec without the standard)."
            )
    return conflicts


def conform_source(source: Source, application: StandardApplication) -> Source:
    """Rename the members' attribute columns to the standard's attribute names.

    The labels are mapped onto the standard's categories afterwards, by the named groups
    :func:`conform_spec` writes into the spec (:func:`equityaudit.groups.apply_groups`).

    Raises
    ------
    ColumnNotFoundError
        An attribute's column is not in the data.
    DataError
        A renamed column whose new name is taken.
    """
    standard = application.standard
    frame = source.frame
    present = frame.collect_schema().names()
    originals = {new: old for old, new in application.renames.items()}
    for attribute in standard.taxonomy.attributes:
        column = originals.get(attribute, attribute)
        if column not in present:
            raise ColumnNotFoundError(
                f"{source.name}: column {column!r} (columns.sensitive in the spec; {standard.ref}'s attribute "
                f"{attribute!r}) is not in the data. {did_you_mean(column, present, label='Columns in the data')}"
            )
    for old, new in application.renames.items():
        if new in present and old in present:
            raise DataError(
                f"{source.name}: column {old!r} stands for {standard.ref}'s attribute {new!r}, but the data "
                f"also has a column {new!r}; drop or rename one of them."
            )
    if not application.renames:
        return source
    return replace(
        source, frame=frame.rename({old: new for old, new in application.renames.items() if old in present})
    )

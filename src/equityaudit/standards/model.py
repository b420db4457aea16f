"""The standard model: a versioned, content-hashed YAML document every member audits against.

A standard fixes what makes two members' results comparable: the auditor, the group taxonomy
(the attributes, their shared categories, and which of the members' own labels map onto each),
the metrics that are judged, the decision rule and its thresholds, the significance level and
multiple-comparison correction, and the minimum cell size for anything shown to other members.

Its identity is ``id@version`` and its **sha256** is the SHA-256 of the canonical JSON (RFC 8785)
of the parsed document: comments, key order and YAML formatting do not change it; any change of
content does. A published standard never changes; a change is a new version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from equityaudit.errors import SpecError, counted, did_you_mean
from equityaudit.groups import normalise_label
from equityaudit.results import StandardRef, canonical_json
from equityaudit.spec import GroupLabels, Thresholds

__all__ = [
    "METRIC_ROLES",
    "STANDARD_FORMAT",
    "Attribute",
    "DecisionRule",
    "Privacy",
    "Standard",
    "Taxonomy",
    "normalise_label",
    "parse_standard",
    "standard_sha256",
]

STANDARD_FORMAT = 1
"""Version of the standard document format (the ``standard:`` key)."""

MetricName = Literal["selection_rate", "scoring_rate", "error_rates"]

METRIC_ROLES: dict[str, tuple[str, ...]] = {
    "selection_rate": ("decision",),
    "scoring_rate": ("score",),
    "error_rates": ("decision", "outcome"),
}
"""The column roles a spec must provide for each metric a standard judges."""

_AUDITOR_METRICS: dict[str, frozenset[str]] = {
    "hiring": frozenset({"selection_rate", "scoring_rate"}),
    "decisions": frozenset({"selection_rate", "error_rates"}),
}
"""What the built-in auditors can compute; a third-party auditor is not checked here."""

_ID = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Attribute(_Strict):
    """One attribute of the taxonomy (``sex``) and its categories."""

    columns: list[str] = Field(
        default_factory=list,
        description="Other column names a member's data may hold this attribute under (e.g. gender "
        "for sex); the column is renamed to the attribute's name before the audit.",
    )
    categories: dict[str, list[str | int]] = Field(
        min_length=2,
        description="Shared category → the members' labels that map onto it (matched trimmed and "
        "case-insensitively; the category's own name always maps).",
    )

    @field_validator("categories", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ([] if v is None else v if isinstance(v, list) else [v]) for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _distinct_labels(self) -> Attribute:
        seen: dict[str, str] = {}
        for category, labels in self.categories.items():
            if normalise_label(category) == "unknown":
                raise ValueError(
                    "'Unknown' is not a category: missing and unknown values are always counted under it"
                )
            for label in [category, *labels]:
                key = normalise_label(label)
                if key in seen and seen[key] != category:
                    raise ValueError(
                        f"label {label!r} maps to both {seen[key]!r} and {category!r}; a label maps to one "
                        "category only"
                    )
                seen[key] = category
        return self

    def label_map(self) -> dict[str, str]:
        """Normalised label → category, the category's own name included."""
        return {
            normalise_label(label): category
            for category, labels in self.categories.items()
            for label in [category, *labels]
        }

    def as_groups(self, unmapped: Literal["error", "unknown"]) -> GroupLabels:
        """The categories as a spec's named groups: each label (and each category's name) → its category."""
        labels: dict[str, str | None] = dict(self.label_map())
        return GroupLabels(labels=labels, other=unmapped)


class Taxonomy(_Strict):
    """The attributes audited, their categories, and how members' labels map onto them."""

    attributes: dict[str, Attribute] = Field(min_length=1)
    intersectional: bool = Field(default=True, description="Also audit the cross of all attributes.")
    unmapped: Literal["error", "unknown"] = Field(
        default="error",
        description="A label no category lists: refuse the data (error) or count it as Unknown.",
    )


class DecisionRule(_Strict):
    """How a finding is judged: the impact-ratio rule and its thresholds."""

    rule: Literal["impact_ratio"] = Field(
        default="impact_ratio",
        description="A group fails when its rate divided by the reference group's is below "
        "impact_ratio (and, with require_significance, the difference is significant).",
    )
    reference: Literal["max_rate", "largest"] = "max_rate"
    impact_ratio: float = Field(default=0.8, gt=0, le=1)
    difference: float = Field(default=0.1, gt=0, le=1)
    require_significance: bool = True
    min_group_size: int = Field(default=30, ge=1)


class Privacy(_Strict):
    """Differential privacy of the pooled views the registry shows observers (docs/consortium.md).

    Each fresh pooled view spends ``epsilon_per_view`` of the standard's ``budget``; the registry
    refuses a view past it. ``delta`` is the Gaussian mechanism's (ε, δ) and is not taken by Laplace.
    """

    mechanism: Literal["laplace", "gaussian"] = Field(
        description="laplace: ε-DP (discrete Laplace noise); gaussian: (ε, δ)-DP (discrete Gaussian noise)."
    )
    epsilon_per_view: float = Field(gt=0, le=10, description="ε spent by each fresh pooled view.")
    budget: float = Field(gt=0, description="Total ε the registry may spend on the standard's views.")
    delta: float | None = Field(
        default=None, gt=0, lt=1, description="δ of each view (gaussian only), e.g. 1e-6."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Privacy:
        if self.budget < self.epsilon_per_view:
            raise ValueError(
                f"budget {self.budget} is smaller than epsilon_per_view {self.epsilon_per_view}: not even one "
                "view could be shown; raise the budget"
            )
        if self.mechanism == "gaussian" and self.delta is None:
            raise ValueError("the gaussian mechanism needs a delta (e.g. 1e-6); add privacy.delta")
        if self.mechanism == "laplace" and self.delta is not None:
            raise ValueError("the laplace mechanism is ε-DP and takes no delta; remove privacy.delta")
        return self


class Standard(_Strict):
    """A standard (format 1); see the module docstring and docs/standards.md."""

    standard: Literal[1] = Field(description="Standard format version; must be 1.")
    id: str = Field(description="Identifier, lower-case letters, digits, dots and hyphens.")
    version: str = Field(description="Version; id@version names the standard.")
    title: str = Field(min_length=1)
    description: str = ""
    authority: str | None = Field(default=None, description="Who publishes the standard.")
    url: str | None = None
    published: dt.date | None = None
    auditor: str = Field(min_length=1, description="The auditor every member runs.")
    taxonomy: Taxonomy
    metrics: list[MetricName] = Field(min_length=1, description="The rates that are judged.")
    metrics_required: Literal["all", "any"] = Field(
        default="all",
        description="all: a spec provides the columns of every metric; any: of at least one (each "
        "metric whose columns it provides is judged).",
    )
    decision: DecisionRule = Field(default_factory=DecisionRule)
    alpha: float = Field(default=0.05, gt=0, lt=1)
    correction: Literal["holm", "bh", "none"] = "holm"
    min_cell_size: int = Field(
        default=11, ge=1, description="Cells smaller than this are suppressed in anything shown to others."
    )
    privacy: Privacy | None = Field(
        default=None,
        description="Differential privacy of observers' pooled views (none: exact counts, suppressed).",
    )
    notes: list[str] = Field(default_factory=list)

    _sha256: str = PrivateAttr(default="")
    _document: dict[str, Any] = PrivateAttr(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _id_form(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(f"{value!r} is not a valid id: use lower-case letters, digits, '.' and '-'")
        return value

    @field_validator("version", mode="before")
    @classmethod
    def _version_form(cls, value: Any) -> Any:
        value = str(value) if isinstance(value, int | float) else value
        if isinstance(value, str) and not _VERSION.match(value):
            raise ValueError(f"{value!r} is not a valid version: letters, digits, '.', '_' and '-'")
        return value

    @model_validator(mode="after")
    def _metrics_fit_auditor(self) -> Standard:
        if len(set(self.metrics)) != len(self.metrics):
            raise ValueError(f"metrics are listed twice: {self.metrics}")
        known = _AUDITOR_METRICS.get(self.auditor)
        if known is not None:
            other = [m for m in self.metrics if m not in known]
            if other:
                raise ValueError(
                    f"the {self.auditor} auditor cannot compute {other}; it computes {sorted(known)}"
                )
        return self

    @property
    def ref(self) -> str:
        """``id@version``."""
        return f"{self.id}@{self.version}"

    @property
    def sha256(self) -> str:
        """SHA-256 of the canonical JSON of the parsed document."""
        return self._sha256

    @property
    def document(self) -> dict[str, Any]:
        """The parsed document (JSON-compatible), as hashed and as published to a registry."""
        return self._document

    def reference(self) -> StandardRef:
        """What a result embeds: id, version and sha256."""
        return StandardRef(id=self.id, version=self.version, sha256=self.sha256)

    def thresholds(self, **others: Any) -> Thresholds:
        """The thresholds a spec under this standard is judged by (others: bootstrap, seed)."""
        rule = self.decision
        return Thresholds.model_validate(
            {
                "impact_ratio": rule.impact_ratio,
                "difference": rule.difference,
                "alpha": self.alpha,
                "min_group_size": rule.min_group_size,
                "require_significance": rule.require_significance,
                "correction": self.correction,
                **others,
            }
        )

    def fixed_thresholds(self) -> dict[str, Any]:
        """The threshold keys of a spec that this standard fixes, with its values."""
        fixed = self.thresholds().model_dump()
        return {k: fixed[k] for k in FIXED_THRESHOLDS}

    def roles(self, metric: str) -> tuple[str, ...]:
        """Column roles a metric needs."""
        return METRIC_ROLES[metric]


FIXED_THRESHOLDS = (
    "impact_ratio",
    "difference",
    "alpha",
    "min_group_size",
    "require_significance",
    "correction",
)
"""Spec thresholds a standard fixes; ``bootstrap`` and ``seed`` (interval method) stay the spec's."""


def _plain(value: Any) -> Any:
    """The parsed YAML as JSON values: dates become ISO strings, keys strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def standard_sha256(document: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON (RFC 8785) of a parsed standard document.

    Examples
    --------
    >>> a = standard_sha256({"id": "x", "version": "1"})
    >>> a == standard_sha256({"version": "1", "id": "x"}), len(a)
    (True, 64)
    """
    return hashlib.sha256(canonical_json(_plain(document))).hexdigest()


def parse_standard(document: Any, *, origin: str = "<standard>") -> Standard:
    """Validate a parsed standard document (a mapping) and attach its sha256.

    Raises
    ------
    SpecError
        The document is not a valid standard; the message names the origin and each key.
    """
    if not isinstance(document, dict):
        found = "an empty document" if document is None else f"a {type(document).__name__}"
        raise SpecError(
            f"{origin}: expected a standard (a mapping with keys standard, id, version, ...), found {found}."
        )
    if document.get("standard") != STANDARD_FORMAT:
        found = "no 'standard' key" if "standard" not in document else repr(document.get("standard"))
        raise SpecError(
            f"{origin}: key 'standard': expected standard format version {STANDARD_FORMAT}, found {found}. "
            f"Start the document with 'standard: {STANDARD_FORMAT}'."
        )
    plain = _plain(document)
    try:
        model = Standard.model_validate(plain)
    except ValidationError as exc:
        raise SpecError(_describe(exc, origin)) from None
    model._sha256 = standard_sha256(plain)
    model._document = plain
    return model


def _describe(exc: ValidationError, origin: str) -> str:
    lines = [f"{origin}: invalid standard ({counted(exc.error_count(), 'problem')}):"]
    for error in exc.errors():
        loc = [str(p) for p in error["loc"]]
        key = ".".join(loc) or "(top level)"
        if error["type"] == "extra_forbidden":
            parent: type[BaseModel] | None = _model_at(loc[:-1])
            valid = list(parent.model_fields) if parent else []
            message = f"unknown key {loc[-1]!r}. {did_you_mean(loc[-1], valid)}" if valid else "unknown key."
        elif error["type"] == "missing":
            message = "required key is missing."
        elif error["type"] == "value_error":
            message = str(error["ctx"].get("error", error["msg"])) + "."
        else:
            message = f"{error['msg']}; found {error.get('input')!r}."
        lines.append(f"  - {key}: {message}")
    return "\n".join(lines)


def _model_at(location: list[str]) -> type[BaseModel] | None:
    model: type[BaseModel] = Standard
    index = 0
    while index < len(location):
        part = location[index]
        field = model.model_fields.get(part)
        if field is None:
            return None
        annotation = field.annotation
        if annotation is dict[str, Attribute]:
            model = Attribute
            index += 2  # skip the attribute's name
            continue
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        else:
            return None
        index += 1
    return model

"""The ``options:`` of the marketing auditor, their defaults, and the spec rules checked before any data is read."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from equityaudit.errors import SpecError, did_you_mean
from equityaudit.sampling import DEFAULT_SAMPLE_ROWS
from equityaudit.spec import AuditSpec

__all__ = ["DIRECTIONS", "Direction", "MarketingOptions", "check_marketing_spec"]

Direction = Literal["favourable", "unfavourable"]
DIRECTIONS = ("favourable", "unfavourable")
_SPELLINGS = {"favorable": "favourable", "unfavorable": "unfavourable"}


def _direction(value: Any, key: str) -> Any:
    """Accept American spellings and any case; suggest the nearest direction otherwise."""
    if not isinstance(value, str):
        return value
    token = value.strip().lower()
    token = _SPELLINGS.get(token, token)
    if token not in DIRECTIONS:
        raise ValueError(f"{key}: {value!r} is not a direction. {did_you_mean(token, DIRECTIONS)}")
    return token


class MarketingOptions(BaseModel):
    """Options of the marketing auditor (``options:`` in the spec); see docs/marketing.md."""

    model_config = ConfigDict(extra="forbid")

    segment: str | None = Field(default=None, description="Column holding each customer's segment.")
    segments: dict[str, Direction] = Field(
        default_factory=dict,
        description="Segment value → favourable (being in it is good: a premium offer) or unfavourable "
        "(a higher price). Declared segments are judged for targeting; every segment is described.",
    )
    campaigns: dict[str, Direction] = Field(
        default_factory=dict,
        description="Targeting flag column (1/0, yes/no, true/false) → favourable or unfavourable.",
    )
    offer: str | None = Field(
        default=None,
        description="Numeric column with the value offered (a discount, a price, a credit limit).",
    )
    offer_favourable: Literal["higher", "lower"] = Field(
        default="higher",
        description="higher (a discount, a credit limit) or lower (a price, an interest rate).",
    )
    features: list[str] = Field(
        default_factory=list,
        description="Columns the segmentation used: tested as proxies of the sensitive attributes.",
    )
    categorical: list[str] = Field(
        default_factory=list,
        description="Features to treat as categories even though they hold numbers (e.g. a ZIP code).",
    )
    estimated: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Estimated attributes: {attribute: {category: probability column}} (e.g. from BISG).",
    )
    probability_tolerance: float = Field(
        default=0.01, gt=0, lt=0.5, description="How far a row's probabilities may sum from 1."
    )
    tvd_threshold: float = Field(
        default=0.1,
        gt=0,
        le=1,
        description="A segment whose composition is further than this (total variation distance) from "
        "the whole base is flagged (warn).",
    )
    offer_ratio: float = Field(
        default=0.9,
        gt=0,
        le=1,
        description="A group's mean offer below this ratio of the reference group's fails.",
    )
    proxy_auc_warn: float = Field(
        default=0.6,
        gt=0.5,
        lt=1,
        description="A feature predicting an attribute with this AUC or more warns.",
    )
    proxy_auc_fail: float = Field(
        default=0.7, gt=0.5, le=1, description="... and with this AUC or more fails."
    )
    sample_rows: int = Field(
        default=DEFAULT_SAMPLE_ROWS,
        ge=1_000,
        description="Most rows the analyses that need rows in memory read (proxy classifiers, offer medians and "
        "bootstrap): above it they read a seeded sample stratified by the sensitive columns, stated in the "
        "result (data.sample); counts are always over every row.",
    )
    proxy_rows: int = Field(
        default=20_000,
        ge=100,
        description="Most customers the proxy classifiers see (a seeded random sample).",
    )
    proxy_folds: int = Field(
        default=5, ge=2, le=20, description="Folds of the proxy classifiers' cross-validation."
    )
    proxy_bins: int = Field(
        default=10, ge=2, le=100, description="Equal-frequency bins of a numeric feature (NMI, classifiers)."
    )
    offer_replicates: int = Field(
        default=1000, ge=100, le=100_000, description="Bootstrap replicates for offer values."
    )
    offer_bootstrap_rows: int = Field(
        default=2000,
        ge=100,
        description="Values per group the offer bootstrap resamples; larger groups are subsampled and the "
        "spread rescaled by sqrt(m/n).",
    )

    @field_validator("segments", "campaigns", mode="before")
    @classmethod
    def _directions(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {str(key).strip(): _direction(direction, str(key)) for key, direction in value.items()}

    @field_validator("estimated", mode="before")
    @classmethod
    def _category_names(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {
            str(attribute): (
                {str(c): p for c, p in columns.items()} if isinstance(columns, dict) else columns
            )
            for attribute, columns in value.items()
        }

    @field_validator("offer_favourable", mode="before")
    @classmethod
    def _offer_direction(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent(self) -> MarketingOptions:
        if self.proxy_auc_fail < self.proxy_auc_warn:
            raise ValueError(
                f"proxy_auc_fail ({self.proxy_auc_fail}) is below proxy_auc_warn ({self.proxy_auc_warn}); "
                "the fail threshold should be the higher one"
            )
        for attribute, columns in self.estimated.items():
            if len(columns) < 2:
                raise ValueError(
                    f"estimated.{attribute} lists {len(columns)} category; give at least two "
                    "{category: probability column} pairs"
                )
            if len(set(columns.values())) != len(columns):
                raise ValueError(f"estimated.{attribute}: a probability column is listed twice")
        return self

    def probability_columns(self) -> list[str]:
        """Every probability column of every estimated attribute."""
        return [column for columns in self.estimated.values() for column in columns.values()]

    def columns(self) -> dict[str, str]:
        """Every column the options name, as ``{option key: column}``."""
        named: dict[str, str] = {}
        if self.segment is not None:
            named["options.segment"] = self.segment
        for column in self.campaigns:
            named[f"options.campaigns.{column}"] = column
        if self.offer is not None:
            named["options.offer"] = self.offer
        for i, column in enumerate(self.features):
            named[f"options.features[{i}]"] = column
        for attribute, columns in self.estimated.items():
            for category, column in columns.items():
                named[f"options.estimated.{attribute}.{category}"] = column
        return named


def check_marketing_spec(spec: AuditSpec, options: MarketingOptions) -> None:
    """Refuse a spec the marketing auditor cannot run, naming the key and how to fix it."""
    origin = spec.origin
    sensitive = spec.columns.sensitive
    if not sensitive and not options.estimated:
        raise SpecError(
            f"{origin}: columns.sensitive is empty and options.estimated is not given: the marketing "
            "auditor needs at least one attribute to audit by. Name a column (columns.sensitive: "
            "[race_ethnicity]) or give estimated probabilities (options.estimated: {race: {White: p_white, ...}})."
        )
    if options.segments and options.segment is None:
        raise SpecError(
            f"{origin}: options.segments declares {sorted(options.segments)} but options.segment (the column "
            "holding the segments) is missing; add it, e.g. segment: segment."
        )
    if options.segment is None and not options.campaigns:
        raise SpecError(
            f"{origin}: options: neither 'segment' nor 'campaigns' is given: name the column holding each "
            "customer's segment (segment: segment) or the targeting flags (campaigns: {email_promo: favourable})."
        )
    for attribute in options.estimated:
        if attribute in sensitive:
            raise SpecError(
                f"{origin}: options.estimated.{attribute}: {attribute!r} is also in columns.sensitive; give the "
                f"estimated attribute its own name (e.g. {attribute}_estimated)."
            )
    if options.offer is None and "offer_favourable" in spec.options:
        raise SpecError(
            f"{origin}: options.offer_favourable is given but options.offer (the offer column) is missing."
        )
    attributes = set(sensitive) | set(options.probability_columns())
    for i, feature in enumerate(options.features):
        if feature in attributes:
            raise SpecError(
                f"{origin}: options.features[{i}] is {feature!r}, a sensitive attribute (or one of its "
                "probability columns); the proxy analysis tests the other features against it. Remove it."
            )
    for column in options.categorical:
        if column not in options.features:
            raise SpecError(
                f"{origin}: options.categorical names {column!r}, which is not in options.features. "
                f"{did_you_mean(column, options.features) if options.features else 'List it in options.features.'}"
            )
    if len(set(options.features)) != len(options.features):
        raise SpecError(f"{origin}: options.features lists a column twice: {options.features}.")

"""Options of the chatbot auditor (``options:`` in a spec), validated by pydantic.

Every key is documented in docs/chatbot.md; unknown keys are errors that name the nearest valid
one. An unknown key inside a nested block (``options.lexicon``, ``options.counterfactual``, …) is
named with its full path and the keys of that block, not the top-level options. Rules that
involve several keys or the lexicon (language, targets, the model file) are checked by
:meth:`ChatbotAuditor.check_spec` before any data is read.

``population_shares`` (the key before ``targets`` existed) is still read, as ``targets``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from equityaudit.errors import did_you_mean
from equityaudit.sampling import DEFAULT_SAMPLE_ROWS

__all__ = [
    "ChatbotOptions",
    "CounterfactualOptions",
    "ExampleOptions",
    "FlipThresholds",
    "LexiconOptions",
    "ResponseGapOptions",
]


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Nested(_Options):
    """A block of options under a key of ``options``: its unknown keys are reported with their
    full path and this block's own keys.

    Without this the engine, which knows only the top-level model, would offer the top-level
    options ("text", "intent", …) as the choices for ``options.lexicon.bogus``.
    """

    path: ClassVar[str]
    """Where the block sits in a spec, e.g. ``options.lexicon``."""

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = [str(key) for key in data if key not in cls.model_fields]
            if unknown:
                raise PydanticCustomError("unknown_option", "{message}", {"message": cls._unknown(unknown)})
        return data

    @classmethod
    def _unknown(cls, keys: list[str]) -> str:
        valid = list(cls.model_fields)
        named = []
        for key in keys:
            hint = did_you_mean(key, valid)
            named.append(
                f"{cls.path}.{key}" + (f" ({hint[0].lower()}{hint[1:]})" if hint.startswith("Did") else "")
            )
        listed = ", ".join(repr(k) for k in valid)
        noun = "option" if len(keys) == 1 else "options"
        return f"unknown {noun} {', '.join(named)}; the keys of {cls.path} are {listed}"


class ExampleOptions(_Nested):
    """How many example utterances each finding carries, and how long they may be."""

    path: ClassVar[str] = "options.examples"

    count: int = Field(default=3, ge=0, le=20, description="Examples per finding.")
    max_chars: int = Field(
        default=120, ge=10, le=2000, description="Longer utterances are truncated with '…'."
    )
    redact: bool = Field(
        default=False,
        description="Give row ids (columns.id, or 'row N') instead of text (also: equityaudit run --redact).",
    )


class FlipThresholds(_Nested):
    """Counterfactual flip rates at or above which an axis warns and fails."""

    path: ClassVar[str] = "options.flip_thresholds"

    warn: float = Field(default=0.05, gt=0, lt=1, description="Flip rate that warns (5 %).")
    fail: float = Field(default=0.10, gt=0, le=1, description="Flip rate that fails (10 %).")

    @model_validator(mode="after")
    def _ordered(self) -> FlipThresholds:
        if self.warn > self.fail:
            raise ValueError(f"warn ({self.warn}) is above fail ({self.fail}); warn must not exceed fail")
        return self


class LexiconOptions(_Nested):
    """Changes to the built-in identity lexicon."""

    path: ClassVar[str] = "options.lexicon"

    extend: dict[str, dict[str, list[str]]] = Field(
        default_factory=dict,
        description="{axis: {group: [terms]}}: more terms for a group; a new group or axis is created.",
    )
    replace: dict[str, dict[str, list[str]]] = Field(
        default_factory=dict,
        description="{axis: {group: [terms]}}: the group's terms, instead of the built-in ones.",
    )
    remove: dict[str, list[str]] = Field(default_factory=dict, description="{axis: [group]}: groups to drop.")
    exclude: list[str] = Field(
        default_factory=list,
        description="Phrases never counted as a mention (e.g. a product called 'Old Man').",
    )


class CounterfactualOptions(_Nested):
    """The counterfactual invariance test."""

    path: ClassVar[str] = "options.counterfactual"

    enabled: bool = Field(default=True, description="Run it (needs options.intent or options.model).")
    max_utterances: int = Field(
        default=2000, ge=1, description="Utterances sampled per axis (each gives one pair per other group)."
    )
    seed: int | None = Field(
        default=None, description="Seed of sampling and training (default thresholds.seed)."
    )


class ResponseGapOptions(_Nested):
    """How large a gap in the bot's responses must be before it is flagged."""

    path: ClassVar[str] = "options.response_gaps"

    sentiment: float = Field(
        default=0.1,
        gt=0,
        le=2,
        description="Lower mean VADER compound score than the reference by more than this.",
    )
    length: float = Field(
        default=0.2, gt=0, lt=1, description="Responses shorter than the reference's by more than this share."
    )


class ChatbotOptions(_Options):
    """Options of the chatbot auditor."""

    text: str = Field(min_length=1, description="Column holding the customer's utterance.")
    intent: str | None = Field(default=None, description="Column holding the intent label (optional).")
    response: str | None = Field(default=None, description="Column holding the bot's response (optional).")
    language: str = Field(
        default="en", description="Language of the utterances; only English (en) is supported."
    )
    axes: list[str] | None = Field(default=None, description="Audit only these axes (default: every axis).")
    lexicon: LexiconOptions = Field(default_factory=LexiconOptions)
    targets: dict[str, dict[str, float] | list[str]] = Field(
        default_factory=dict,
        description="Representation targets per axis: {axis: {group: share}} (the target share of the "
        "axis' mentions per group; groups left out are reported, not judged), or {axis: [group, ...]} "
        "(parity among the groups named). Axes left out: parity among the groups the data mentions. "
        "Also read under its former name, population_shares.",
    )
    kinship: bool = Field(
        default=False,
        description="Count words for relatives and partners ('my son', 'my wife') as mentions of "
        "their gender (default: not, since they say whom the customer speaks of, not who the "
        "customer is).",
    )
    model: Path | None = Field(
        default=None, description="A skops file with a fitted scikit-learn pipeline (texts → intents)."
    )
    model_trusted_types: list[str] = Field(
        default_factory=list, description="Types in the skops file you trust beyond skops' defaults."
    )
    flip_thresholds: FlipThresholds = Field(default_factory=FlipThresholds)
    counterfactual: CounterfactualOptions = Field(default_factory=CounterfactualOptions)
    max_duplicate_share: float = Field(
        default=0.2, ge=0, lt=1, description="Largest share of utterances that repeat an earlier one exactly."
    )
    labels: list[str] | None = Field(
        default=None, description="The known intent labels (checked by the gate)."
    )
    min_intent_count: int = Field(
        default=10, ge=1, description="Intents rarer than this in the data are reported but not judged."
    )
    response_gaps: ResponseGapOptions = Field(default_factory=ResponseGapOptions)
    examples: ExampleOptions = Field(default_factory=ExampleOptions)
    sample_rows: int = Field(
        default=DEFAULT_SAMPLE_ROWS,
        ge=1_000,
        description="Most utterances read into memory (matched, scored, classified): above it a seeded "
        "sample stratified by the intent column (one stratum without one), stated in the result (data.sample).",
    )

    @model_validator(mode="before")
    @classmethod
    def _former_names(cls, data: Any) -> Any:
        """Read ``population_shares`` (the former name of ``targets``) as ``targets``."""
        if isinstance(data, Mapping) and "population_shares" in data:
            if "targets" in data:
                raise PydanticCustomError(
                    "duplicate_option",
                    "{message}",
                    {
                        "message": "options.population_shares and options.targets are the same option "
                        "(population_shares is its former name); keep only options.targets"
                    },
                )
            data = {("targets" if k == "population_shares" else k): v for k, v in data.items()}
        return data

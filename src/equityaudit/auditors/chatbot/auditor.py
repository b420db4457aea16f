"""The ``chatbot`` auditor: identity bias in a customer-service chatbot's training data.

For each axis of the identity lexicon (gender, race/ethnicity, religion, age, disability, sexual
orientation, nationality) it measures

1. **representation** (:mod:`~equityaudit.auditors.chatbot.representation`) — each group's share
   of the axis' mentions against a target (the shares of ``options.targets``, parity among the
   groups it names, or by default parity among the groups the data mentions), as a ratio with an
   interval and an exact binomial test, under- or over-represented outside the band
   [impact_ratio, 1/impact_ratio]; and one **coverage** finding per axis naming the groups the
   data never mentions;
2. **intent skew** (:mod:`~equityaudit.auditors.chatbot.intents`) — P(intent | group mentioned)
   against P(intent | no group of the axis mentioned), for each group and for the axis as a
   whole, with Fisher's exact test;
3. **response gaps** (:mod:`~equityaudit.auditors.chatbot.responses`, with a response column) —
   refusal rate, mean sentiment (VADER) and mean length of the bot's responses by group
   mentioned, against responses to utterances that mention no group of the axis;
4. **counterfactual invariance** (:mod:`~equityaudit.auditors.chatbot.counterfactual`, with
   intents or a model) — the share of identity-swapped utterances whose predicted intent changes.

:meth:`ChatbotAuditor.run` reads the data once (:func:`~.utterances.read_utterances`), calls each
analysis — a function of the immutable :class:`~.utterances.Utterances` that returns a new
:class:`~.utterances.Analysis` — and judges every analysis' evidence with
:func:`equityaudit.judging.judge`, in one call per audit: its p-values are adjusted together
(``thresholds.correction``, weighted Holm by default) over the families
``representation:<axis>``, ``intent:<axis>``, ``response:<axis>`` and ``counterfactual``. Every
finding carries a few example utterances in ``details.examples`` (row ids instead with redaction).
The numbers behind every table are in the result's ``counts``. docs/chatbot.md explains each
method and default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import narwhals as nw
import numpy as np
from pydantic import BaseModel

from equityaudit.auditors.base import AuditContext, AuditorOutput, Role
from equityaudit.auditors.chatbot.classifiers import load_model
from equityaudit.auditors.chatbot.counterfactual import counterfactual_invariance
from equityaudit.auditors.chatbot.intents import intent_skew
from equityaudit.auditors.chatbot.lexicon import Lexicon
from equityaudit.auditors.chatbot.options import ChatbotOptions
from equityaudit.auditors.chatbot.representation import representation, target_kind
from equityaudit.auditors.chatbot.responses import response_gaps
from equityaudit.auditors.chatbot.utterances import Analysis, Utterances, read_utterances
from equityaudit.errors import SpecError, did_you_mean
from equityaudit.hookspecs import hookimpl
from equityaudit.judging import judge
from equityaudit.results import SampleInfo
from equityaudit.spec import AuditSpec

__all__ = ["ChatbotAuditor", "build_lexicon", "equityaudit_auditors", "model_path"]

_BLANK = "[^ \t\n\r\f\v]"  # a non-blank character; no \s so that every regex engine reads it alike


def build_lexicon(options: ChatbotOptions) -> Lexicon:
    """The built-in lexicon with the spec's changes applied (``options.lexicon`` and ``options.axes``)."""
    changes = options.lexicon
    return Lexicon.default().with_overrides(
        extend=changes.extend,
        replace_terms=changes.replace,
        remove=changes.remove,
        exclude=changes.exclude,
        axes=options.axes,
        kinship=options.kinship,
    )


def model_path(spec: AuditSpec, options: ChatbotOptions) -> Path | None:
    """``options.model`` resolved against the spec file's folder."""
    if options.model is None:
        return None
    if options.model.is_absolute() or spec.source_path is None:
        return options.model
    return (spec.source_path.parent / options.model).resolve()


class ChatbotAuditor:
    """Audit a chatbot's training utterances for identity bias (see the module docstring)."""

    name = "chatbot"
    summary = (
        "Chatbot training data: identity mentions, intent skew, response gaps and counterfactual "
        "flips by gender, race, religion, age, disability, orientation, nationality."
    )
    roles: ClassVar[dict[str, Role]] = {
        "sensitive": "unused",
        "decision": "unused",
        "score": "unused",
        "outcome": "unused",
        "stage": "unused",
        "id": "optional",
    }
    options_model = ChatbotOptions

    # -- before the data -------------------------------------------------------------------------

    def check_spec(self, spec: AuditSpec, options: BaseModel) -> None:
        """Rules across options, checked before any data is read (language, columns, lexicon
        changes, population shares, model file)."""
        assert isinstance(options, ChatbotOptions)
        origin = spec.origin
        language = options.language.strip().lower().replace("_", "-")
        if language != "en" and not language.startswith("en-"):
            raise SpecError(
                f"{origin}: options.language is {options.language!r}, but only English is supported: the "
                "identity lexicon, the refusal phrases and the VADER sentiment lexicon are English. "
                f"{did_you_mean(options.language, ['en'])} Audit English utterances with language: en."
            )
        named = {"text": options.text, "intent": options.intent, "response": options.response}
        given = {k: v for k, v in named.items() if v is not None}
        if len(set(given.values())) < len(given):
            raise SpecError(
                f"{origin}: options.text, options.intent and options.response name the same column: {given}."
            )
        if options.labels is not None and options.intent is None:
            raise SpecError(
                f"{origin}: options.labels lists intent labels, but options.intent names no column; "
                "add options.intent (the column holding the intent label) or remove options.labels."
            )
        try:
            lexicon = build_lexicon(options)
        except SpecError as exc:
            raise SpecError(f"{origin}: {exc}") from None
        axes = {a.id: a for a in lexicon.axes}
        for axis_id, target in options.targets.items():
            where = f"{origin}: options.targets"
            if axis_id not in axes:
                raise SpecError(f"{where}: unknown axis {axis_id!r}. {did_you_mean(axis_id, axes)}")
            listed = list(target) if isinstance(target, dict) else target
            if not listed:
                raise SpecError(
                    f"{where}.{axis_id} names no group; list the groups to compare (parity among them) "
                    "or give their shares, e.g. {women: 0.5, men: 0.5}."
                )
            for group_id in listed:
                if group_id not in axes[axis_id].ids:
                    raise SpecError(
                        f"{where}.{axis_id}: axis {axis_id!r} has no group {group_id!r}. "
                        f"{did_you_mean(group_id, axes[axis_id].ids)}"
                    )
            if not isinstance(target, dict):
                continue
            for group_id, share in target.items():
                if not 0 < share <= 1:
                    raise SpecError(
                        f"{where}.{axis_id}.{group_id} is {share}; expected a share between 0 and 1 "
                        "(0.49 means 49 %)."
                    )
            total = sum(target.values())
            if total > 1 + 1e-9:
                raise SpecError(
                    f"{where}.{axis_id} adds up to {total:g}; the shares of an axis' groups must add up "
                    "to at most 1."
                )
        path = model_path(spec, options)
        if path is not None and not path.is_file():
            raise SpecError(
                f"{origin}: options.model: {path} is not a file; give the path of a skops file "
                "(relative to the spec file)."
            )

    def option_columns(self, spec: AuditSpec, options: BaseModel) -> dict[str, str]:
        """The columns the options name, so a misspelt one is reported before the gate runs."""
        assert isinstance(options, ChatbotOptions)
        named = {
            "options.text": options.text,
            "options.intent": options.intent,
            "options.response": options.response,
        }
        return {key: column for key, column in named.items() if column is not None}

    def expectations(self, spec: AuditSpec) -> list[dict[str, Any]]:
        """The quality gate's checks this auditor needs (great-expectations JSON).

        The text column is never missing or blank (a misspelt column fails these checks with the
        nearest column names), and at most ``max_duplicate_share`` of
        the utterances repeat an earlier one exactly
        (``expect_column_proportion_of_unique_values_to_be_between`` with ``min_value`` =
        1 − the share: logs legitimately repeat short utterances, so uniqueness cannot be
        demanded of every row); the intent column is never missing, and holds only
        ``labels`` when they are given; the response column exists.
        """
        try:
            options = ChatbotOptions.model_validate(spec.options)
        except ValueError:
            return []  # the engine has already reported the invalid options

        def fix(text: str) -> dict[str, Any]:
            return {"equityaudit": {"fix": text}}

        text = options.text
        out: list[dict[str, Any]] = [
            {
                "type": "expect_column_values_to_not_be_null",
                "kwargs": {"column": text},
                "meta": fix("drop the rows without an utterance before the audit"),
            },
            {
                "type": "expect_column_values_to_match_regex",
                "kwargs": {"column": text, "regex": _BLANK},
                "meta": fix("drop blank utterances before the audit"),
            },
            {
                "type": "expect_column_proportion_of_unique_values_to_be_between",
                "kwargs": {"column": text, "min_value": round(1.0 - options.max_duplicate_share, 12)},
                "meta": fix(
                    f"remove exact duplicate utterances, or raise options.max_duplicate_share "
                    f"(now {options.max_duplicate_share:g}) if repeats are expected"
                ),
            },
        ]
        if options.intent is not None:
            out += [
                {
                    "type": "expect_column_values_to_not_be_null",
                    "kwargs": {"column": options.intent},
                    "meta": fix("label every utterance with its intent, or drop the unlabelled rows"),
                },
            ]
            if options.labels is not None:
                out.append(
                    {
                        "type": "expect_column_values_to_be_in_set",
                        "kwargs": {"column": options.intent, "value_set": list(options.labels)},
                        "meta": fix("correct those labels, or add them to options.labels if they are valid"),
                    }
                )
        if options.response is not None:
            out.append(
                {
                    "type": "expect_column_to_exist",
                    "kwargs": {"column": options.response},
                    "meta": fix("correct options.response in the spec, or add the column to the data"),
                }
            )
        return out

    # -- the audit -------------------------------------------------------------------------------

    def run(self, frame: nw.LazyFrame[Any], spec: AuditSpec, context: AuditContext) -> AuditorOutput:
        """Read the data once, run every analysis on it, and judge all their evidence together."""
        options = context.options
        assert isinstance(options, ChatbotOptions)
        thresholds = spec.thresholds
        lexicon = build_lexicon(options)
        data = read_utterances(
            frame, spec, options, lexicon, redact=options.examples.redact or context.redact
        )
        path = model_path(spec, options)
        model = None
        if options.counterfactual.enabled and path is not None:
            model = load_model(path, trusted=options.model_trusted_types, origin=spec.origin)
        analyses = [
            representation(data, targets=options.targets, thresholds=thresholds),
            intent_skew(data, thresholds=thresholds, min_intent_count=options.min_intent_count),
            response_gaps(data, thresholds=thresholds, gaps=options.response_gaps),
            counterfactual_invariance(
                data,
                model=model,
                settings=options.counterfactual,
                limits=options.flip_thresholds,
                thresholds=thresholds,
            ),
        ]
        kinship, kinship_notes = _kinship(data, options)
        if data.sample is not None:
            kinship_notes.insert(0, _sample_note(data.sample))
        return AuditorOutput(
            tables=[t for a in analyses for t in a.tables],
            # one call for the whole audit; coverage evidence is capped at warn (Evidence.ceiling),
            # so an absence stays a warn even with thresholds.require_significance: false
            findings=judge([e for a in analyses for e in a.evidence], thresholds),
            counts=[c for a in analyses for c in a.counts],
            notes=kinship_notes + [n for a in analyses for n in a.notes],
            context={"chatbot": _context(data, spec, options, kinship, analyses)},
            sample=data.sample,
        )


def _sample_note(sample: SampleInfo) -> str:
    """The note saying the utterances are a sample, of how many, and how it was drawn."""
    strata = f"stratified by {', '.join(sample.strata)}" if sample.strata else "a simple random sample"
    return (
        f"the analyses read a seeded sample of {sample.rows:,} of the {sample.population:,} utterances "
        f"(options.sample_rows: {sample.cap:,}; seed {sample.seed}), {strata} with proportional allocation "
        "(data.sample in the result gives each stratum's size): every count, rate and test is of the sample"
    )


def _kinship(data: Utterances, options: ChatbotOptions) -> tuple[dict[str, Any], list[str]]:
    """How kinship words were counted (the context's ``kinship``), and the note when some were not."""
    if data.kinship_words is None:
        return {"counted": options.kinship}, []
    found = data.kinship_words
    notes = []
    if found:
        notes.append(
            f"{found} utterances name a relative or partner ('my son', 'my wife'); these words are "
            "not counted as gender mentions (options.kinship: false, the default)"
        )
    return {"counted": False, "utterances_with_kinship_words": found}, notes


def _context(
    data: Utterances,
    spec: AuditSpec,
    options: ChatbotOptions,
    kinship: dict[str, Any],
    analyses: list[Analysis],
) -> dict[str, Any]:
    """The result's ``context.chatbot``: columns, sizes, axes, lexicon, and each analysis' facts."""
    any_axis = list(data.any_axis.values())
    mentioned_any = np.logical_or.reduce(any_axis) if any_axis else np.zeros(data.rows, bool)
    lexicon = data.lexicon
    return {
        "language": "en",
        "columns": {
            "text": options.text,
            "intent": options.intent,
            "response": options.response,
            "id": spec.columns.id,
        },
        "utterances": data.rows,
        "mentioning_any_axis": int(mentioned_any.sum()),
        "axes": {
            axis.id: {
                "label": axis.label,
                "groups": axis.ids,
                "utterances_mentioning": data.mentioning(axis.id),
                "target": target_kind(options.targets.get(axis.id)),
            }
            for axis in lexicon.axes
        },
        "lexicon_sha256": lexicon.fingerprint(),
        "lexicon_changes": options.lexicon.model_dump(),
        "redacted": data.redact,
        "matching_seconds": round(data.matching_seconds, 3),
        "kinship": kinship,
        **{key: value for a in analyses for key, value in a.context.items()},
    }


@hookimpl
def equityaudit_auditors() -> list[ChatbotAuditor]:
    """The built-in ``chatbot`` auditor."""
    return [ChatbotAuditor()]

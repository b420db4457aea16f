"""The ``chatbot`` auditor: identity bias in a customer-service chatbot's training data.

For each axis of the identity lexicon (gender, race/ethnicity, religion, age, disability, sexual
orientation, nationality) it measures

1. **representation** — each group's share of the axis' mentions against a target (the shares of
   ``options.targets``, parity among the groups it names, or by default parity among the groups
   the data mentions), as a ratio with an interval and an exact binomial test, under- or
   over-represented outside the band [impact_ratio, 1/impact_ratio]; and one **coverage** finding
   per axis naming the groups the data never mentions;
2. **intent skew** — P(intent | group mentioned) against P(intent | no group of the axis
   mentioned), for each group and for the axis as a whole, with Fisher's exact test;
3. **response gaps** (with a response column) — refusal rate, mean sentiment (VADER) and mean
   length of the bot's responses by group mentioned, against responses to utterances that mention
   no group of the axis;
4. **counterfactual invariance** (with intents or a model) — the share of identity-swapped
   utterances whose predicted intent changes.

Every finding is judged by :func:`equityaudit.judging.judge`, in one call per audit: its p-values
are adjusted together (``thresholds.correction``, weighted Holm by default) over the families
``representation:<axis>``, ``intent:<axis>``, ``response:<axis>`` and ``counterfactual``. Every
finding carries a few example utterances in ``details.examples`` (row ids instead with redaction).
The numbers behind every table are in the result's ``counts``. docs/chatbot.md explains each
method and default.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import narwhals as nw
import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel

from equityaudit.auditors.base import AuditContext, AuditorOutput, Role
from equityaudit.auditors.chatbot.lexicon import Axis, Group, Lexicon, column_name
from equityaudit.auditors.chatbot.options import ChatbotOptions
from equityaudit.auditors.comparison import adjusted_p_text
from equityaudit.errors import SpecError, did_you_mean
from equityaudit.hookspecs import hookimpl
from equityaudit.judging import Evidence, Judgement, judge, meets, settle_text
from equityaudit.results import CountsTable, Finding, Table, finite_or_none
from equityaudit.spec import AuditSpec
from equityaudit.stats.disparity import METHODS, compare_to_reference
from equityaudit.stats.inference import wilson_interval
from equityaudit.stats.rates import proportion

if TYPE_CHECKING:
    import polars as pl

__all__ = ["ANY", "NONE", "ChatbotAuditor", "build_lexicon", "equityaudit_auditors", "model_path"]

ANY = "(any)"
"""Group label of the rows that mention any group of an axis."""
NONE = "(none)"
"""Group label of the rows that mention no group of an axis: the reference of comparisons."""

_RESPONSE_BOOTSTRAP = 2000
"""Replicates of the response-gap bootstrap when ``thresholds.bootstrap`` is 0 (its default)."""

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


def _origin(spec: AuditSpec) -> str:
    return str(spec.source_path) if spec.source_path else "equityaudit.audit()"


def model_path(spec: AuditSpec, options: ChatbotOptions) -> Path | None:
    """``options.model`` resolved against the spec file's folder."""
    if options.model is None:
        return None
    if options.model.is_absolute() or spec.source_path is None:
        return options.model
    return (spec.source_path.parent / options.model).resolve()


@dataclass
class _Audit:
    """Everything one run works with."""

    spec: AuditSpec
    options: ChatbotOptions
    lexicon: Lexicon
    texts: list[str]
    mentions: dict[str, NDArray[np.bool_]]
    any_axis: dict[str, NDArray[np.bool_]]
    ids: list[str] | None
    redact: bool
    intents: NDArray[Any] | None = None
    responses: list[str | None] | None = None
    evidence: list[Evidence] = field(default_factory=list)
    output: AuditorOutput = field(default_factory=AuditorOutput)
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return len(self.texts)

    def _truncate(self, text: str | None) -> str | None:
        if text is None:
            return None
        limit = self.options.examples.max_chars
        return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

    def row_id(self, row: int) -> str:
        return self.ids[row] if self.ids is not None else f"row {row + 1}"

    def examples(
        self, mask: NDArray[np.bool_], *, response: bool = False, order: NDArray[Any] | None = None
    ) -> list[dict[str, Any]]:
        """The first few matching rows (in data order, or in ``order``), as text or ids."""
        count = self.options.examples.count
        if count == 0:
            return []
        rows = np.flatnonzero(mask)
        if order is not None:
            rows = rows[np.argsort(order[rows], kind="stable")]
        shown = []
        for row in rows[:count].tolist():
            if self.redact:
                shown.append({"id": self.row_id(row)})
                continue
            item: dict[str, Any] = {"text": self._truncate(self.texts[row])}
            if response and self.responses is not None:
                item["response"] = self._truncate(self.responses[row])
            if self.intents is not None:
                item["intent"] = str(self.intents[row])
            shown.append(item)
        return shown


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
        origin = _origin(spec)
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
        """Select the needed columns, collect once, match the lexicon, and build every table."""
        import polars as pl

        options = context.options
        assert isinstance(options, ChatbotOptions)
        lexicon = build_lexicon(options)
        wanted = [options.text, options.intent, options.response, spec.columns.id]
        columns = list(dict.fromkeys(c for c in wanted if c is not None))
        data = frame.select(columns).collect().to_polars()
        text_series = data[options.text].cast(pl.String).fill_null("")
        started = time.perf_counter()
        mention_frame = lexicon.mention_frame(text_series)
        matching_seconds = time.perf_counter() - started
        mentions = {c: mention_frame[c].to_numpy() for c in mention_frame.columns}
        any_axis = {
            axis.id: np.logical_or.reduce([mentions[column_name(axis.id, g.id)] for g in axis.groups])
            for axis in lexicon.axes
        }
        run = _Audit(
            spec=spec,
            options=options,
            lexicon=lexicon,
            texts=text_series.to_list(),
            mentions=mentions,
            any_axis=any_axis,
            ids=data[spec.columns.id].cast(pl.String).to_list() if spec.columns.id else None,
            redact=options.examples.redact or context.redact,
        )
        if options.intent is not None:
            run.intents = data[options.intent].cast(pl.String).fill_null("(missing)").to_numpy()
        if options.response is not None:
            run.responses = data[options.response].cast(pl.String).to_list()
        kinship = lexicon.kinship_regex()
        if kinship is not None:
            with_kin = int(text_series.str.contains(kinship).sum())
            run.context["kinship"] = {"counted": False, "utterances_with_kinship_words": with_kin}
            if with_kin:
                run.output.notes.append(
                    f"{with_kin} utterances name a relative or partner ('my son', 'my wife'); these words are "
                    "not counted as gender mentions (options.kinship: false, the default)"
                )
        else:
            run.context["kinship"] = {"counted": options.kinship}
        for axis in lexicon.axes:
            self._representation(run, axis)
        if run.intents is not None:
            self._intent_skew(run, mention_frame)
        if run.responses is not None:
            self._responses(run)
        self._counterfactual(run)
        run.output.findings = _judge_all(run)
        mentioned_any = (
            np.logical_or.reduce(list(any_axis.values())) if any_axis else np.zeros(run.rows, bool)
        )
        run.output.context["chatbot"] = {
            "language": "en",
            "columns": {
                "text": options.text,
                "intent": options.intent,
                "response": options.response,
                "id": spec.columns.id,
            },
            "utterances": run.rows,
            "mentioning_any_axis": int(mentioned_any.sum()),
            "axes": {
                axis.id: {
                    "label": axis.label,
                    "groups": axis.ids,
                    "utterances_mentioning": int(any_axis[axis.id].sum()),
                    "target": _target_kind(options.targets.get(axis.id)),
                }
                for axis in lexicon.axes
            },
            "lexicon_sha256": lexicon.fingerprint(),
            "lexicon_changes": options.lexicon.model_dump(),
            "redacted": run.redact,
            "matching_seconds": round(matching_seconds, 3),
            **run.context,
        }
        return run.output

    # -- representation --------------------------------------------------------------------------

    def _representation(self, run: _Audit, axis: Axis) -> None:
        """The axis' representation table, its parity or target evidence, and its coverage."""
        from scipy import stats

        thresholds = run.spec.thresholds
        counts = np.array([int(run.mentions[column_name(axis.id, g.id)].sum()) for g in axis.groups])
        total = int(counts.sum())
        scope = _representation_targets(axis, run.options.targets.get(axis.id), counts)
        share = proportion(counts, np.full(counts.shape, total))
        low, high = wilson_interval(counts, np.full(counts.shape, total), alpha=thresholds.alpha)
        too_small = None
        if total < thresholds.min_group_size:
            too_small = (
                f"only {total} mentions of {axis.mention} (minimum {thresholds.min_group_size}): "
                "too few to judge representation"
            )
        rows = []
        for index, group in enumerate(axis.groups):
            target = scope.targets.get(group.id)
            x = int(counts[index])
            value = finite_or_none(share[index])
            ratio = ratio_low = ratio_high = p_value = None
            if target is not None and value is not None:
                ratio = value / target
                ratio_low = finite_or_none(low[index] / target)
                ratio_high = finite_or_none(high[index] / target)
                p_value = float(stats.binomtest(x, total, target).pvalue)
            reason = None
            note = None
            if target is None and x == 0 and not scope.given:
                reason, note = "absent", "never mentioned: see the coverage finding"
            elif target is None:
                reason, note = "no_target", f"not named in options.targets.{axis.id}: reported, not judged"
            elif total == 0:
                note = f"no utterance mentions {axis.mention}: the share is undefined"
            rows.append(
                {
                    "group": {axis.id: group.display},
                    "group_id": group.id,
                    "n": x,
                    "mentions": x,
                    "axis_mentions": total,
                    "mention_share": value,
                    "mention_share_ci_low": finite_or_none(low[index]),
                    "mention_share_ci_high": finite_or_none(high[index]),
                    "target_share": target,
                    "mention_share_ratio": ratio,
                    "mention_share_ratio_ci_low": ratio_low,
                    "mention_share_ratio_ci_high": ratio_high,
                    "mention_rate": finite_or_none(x / run.rows) if run.rows else None,
                    "p_value": p_value,
                    "reference": False,
                    "excluded": target is None,
                    "excluded_reason": reason,
                    "note": note,
                }
            )
            if target is not None:
                run.evidence.append(
                    self._representation_evidence(run, axis, group, rows[-1], scope.name, too_small)
                )
        run.evidence.append(_coverage_evidence(run, axis, counts, scope, too_small))
        band = f"{thresholds.impact_ratio:g}–{1 / thresholds.impact_ratio:.3g}"
        run.output.tables.append(
            Table(
                name=axis.id,
                by=[axis.id],
                metric="mention_share",
                numerator="mentions",
                denominator="axis_mentions",
                reference={axis.id: scope.name},
                methods={
                    "rate_ci": "Wilson score interval on the group's share of the axis' mentions (an utterance "
                    "naming two groups counts for both)",
                    "ratio": f"share ÷ target share ({scope.method}); judged against the band {band} "
                    "(impact_ratio and its inverse): below it under-represented, above it over-represented",
                    "ratio_ci": "Wilson bounds ÷ target share (the target is a fixed number)",
                    "p_value": "exact binomial test of the share against the target share, two-sided",
                },
                rows=rows,
                notes=[
                    f"{total} mentions of {axis.mention} in {run.rows} utterances "
                    f"({int(run.any_axis[axis.id].sum())} utterances mention at least one)"
                ],
            )
        )
        run.output.counts.append(
            CountsTable(
                name=f"mentions:{axis.id}",
                by=[axis.id],
                rows=[
                    {"group": {axis.id: g.id}, "n": int(c)} for g, c in zip(axis.groups, counts, strict=True)
                ]
                + [
                    {"group": {axis.id: ANY}, "n": int(run.any_axis[axis.id].sum())},
                    {"group": {axis.id: NONE}, "n": int(run.rows - run.any_axis[axis.id].sum())},
                ],
            )
        )

    def _representation_evidence(
        self,
        run: _Audit,
        axis: Axis,
        group: Group,
        row: dict[str, Any],
        target_name: str,
        too_small: str | None,
    ) -> Evidence:
        """One judged group's share against its target, inside the band [t, 1/t] of ``impact_ratio``."""
        thresholds = run.spec.thresholds
        total = row["axis_mentions"]
        ratio = row["mention_share_ratio"]
        lower, upper = thresholds.impact_ratio, 1 / thresholds.impact_ratio
        over = ratio is not None and ratio > 1
        base = (
            f"{_capital(group.label)}: {_pct(row['mention_share'])} of the {total} mentions of {axis.mention} "
            f"({row['mentions']} utterances) against a target of {_pct(row['target_share'])} ({target_name})"
        )

        def describe(judgement: Judgement) -> str:
            status = judgement.status
            if status == "insufficient_data" or ratio is None:
                return f"{base}; {too_small or 'the share is undefined'}. Collect more utterances that mention this axis."
            interval = _ratio_interval(row["mention_share_ratio_ci_low"], row["mention_share_ratio_ci_high"])
            text = f"{base}: {ratio:.2f}× the target{interval}"
            p_text = adjusted_p_text(judgement.p_adjusted, judgement.correction)
            side = "over-represented" if over else "under-represented"
            edge = f"{upper:.3g}" if over else f"{lower:g}"
            if status == "pass":
                return (
                    f"{text}: within the {lower:g}–{upper:.3g} band, and the interval is clear of its edge."
                )
            if status == "inconclusive":
                return (
                    f"{text}: within the band, but the interval reaches past its {edge} edge and the gap is not "
                    f"statistically significant ({p_text}): inconclusive. More mentions of "
                    f"{axis.mention} would settle it."
                )
            if meets(ratio, upper if over else lower, "above" if over else "below"):  # warn on the right side
                return (
                    f"{text}: within the band, but the gap from the target is statistically significant "
                    f"({p_text}) and the interval reaches past its {edge} edge: possibly {side}. Review it."
                )
            advice = (
                f"Add training utterances from and about {group.label}."
                if not over
                else "The other groups of the axis have less than their share; see their findings."
            )
            if status == "fail":
                significance = (
                    f"statistically significant ({p_text})"
                    if judgement.significant
                    else f"not statistically significant ({p_text}) but failed because thresholds."
                    "require_significance is false"
                )
                return f"{text}: {side}, beyond the {edge} edge of the band, {significance}. {advice}"
            return (
                f"{text}: {side}, beyond the {edge} edge of the band, but not statistically significant "
                f"({p_text}); it may be chance. Monitor it and collect more data."
            )

        return Evidence(
            id=f"representation/{axis.id}/{group.id}",
            metric="mention_share",
            kind="ratio",
            table=axis.id,
            group={axis.id: group.display},
            reference={axis.id: target_name},
            value=ratio,
            ci_low=row["mention_share_ratio_ci_low"],
            ci_high=row["mention_share_ratio_ci_high"],
            p_value=row["p_value"],
            threshold=upper if over else lower,
            adverse="above" if over else "below",
            family=f"representation:{axis.id}",
            too_small=too_small,
            describe=describe,
            details={
                "group_id": group.id,
                "rate": row["mention_share"],
                "reference_rate": row["target_share"],
                "target_share": row["target_share"],
                "band": [lower, upper],
                "represented": "over"
                if over
                else "under"
                if ratio is not None and ratio < 1
                else "at target",
                "n": row["mentions"],
                "axis_mentions": total,
                "examples": run.examples(run.mentions[column_name(axis.id, group.id)]),
            },
        )

    # -- intent skew -----------------------------------------------------------------------------

    def _intent_skew(self, run: _Audit, mention_frame: pl.DataFrame) -> None:
        import polars as pl

        assert run.intents is not None
        thresholds = run.spec.thresholds
        band = (thresholds.impact_ratio, 1.0 / thresholds.impact_ratio)
        any_columns = {f"__any/{a}": pl.Series(run.any_axis[a]) for a in run.any_axis}
        frame = mention_frame.with_columns(intent=pl.Series(run.intents, dtype=pl.String), **any_columns)
        counted = [c for c in frame.columns if c != "intent"]
        table = (
            frame.group_by("intent")
            .agg([pl.col(c).sum().alias(c) for c in counted] + [pl.len().alias("__n")])
            .sort("intent")
        )  # one aggregation: utterances by intent × (group mentioned, axis mentioned)
        intents = [str(i) for i in table["intent"].to_list()]
        per_intent = {c: table[c].to_numpy().astype(np.int64) for c in [*counted, "__n"]}
        intent_totals = per_intent["__n"]
        for axis in run.lexicon.axes:
            groups = [g.id for g in axis.groups]
            columns = [column_name(axis.id, g) for g in groups]
            labels = [*groups, ANY, NONE]
            sizes = np.array(
                [int(run.mentions[c].sum()) for c in columns]
                + [int(run.any_axis[axis.id].sum()), int(run.rows - run.any_axis[axis.id].sum())]
            )
            rows: list[dict[str, Any]] = []
            count_rows: list[dict[str, Any]] = []
            for position, intent in enumerate(intents):
                with_intent = np.array(
                    [int(per_intent[c][position]) for c in columns]
                    + [int(per_intent[f"__any/{axis.id}"][position])]
                    + [int(intent_totals[position] - per_intent[f"__any/{axis.id}"][position])]
                )
                compared = compare_to_reference(
                    with_intent, sizes, reference=len(labels) - 1, alpha=thresholds.alpha
                )
                rare = int(intent_totals[position]) < run.options.min_intent_count
                for index, label in enumerate(labels):
                    count_rows.append(
                        {"group": {axis.id: label, "intent": intent}, "n": int(with_intent[index])}
                    )
                    reference = index == len(labels) - 1
                    small = sizes[index] < thresholds.min_group_size
                    row: dict[str, Any] = {
                        "group": {axis.id: _display(axis, label), "intent": intent},
                        "n": int(sizes[index]),
                        "with_intent": int(with_intent[index]),
                        **{_intent_column(k): finite_or_none(v[index]) for k, v in compared.items()},
                        "reference": reference,
                        "excluded": False,
                        "excluded_reason": None,
                        "note": None,
                    }
                    if rare:
                        row["note"] = (
                            f"intent seen {int(intent_totals[position])} times (under options.min_intent_count {run.options.min_intent_count}): not judged"
                        )
                    elif small and not reference:
                        row["note"] = (
                            f"fewer than {thresholds.min_group_size} utterances mention this group: not judged"
                        )
                    rows.append(row)
                    if reference or rare or small or sizes[-1] < thresholds.min_group_size:
                        continue
                    mask = run.mentions[columns[index]] if index < len(groups) else run.any_axis[axis.id]
                    run.evidence.append(self._skew_finding(run, axis, label, intent, row, mask, band))
            run.output.tables.append(
                Table(
                    name=f"intent:{axis.id}",
                    by=[axis.id, "intent"],
                    metric="intent_rate",
                    numerator="with_intent",
                    denominator="n",
                    reference={axis.id: NONE},
                    methods={
                        **{k: v for k, v in METHODS.items() if k != "ratio_ci_bootstrap"},
                        "ratio": "P(intent | group mentioned) ÷ P(intent | no group of the axis mentioned)",
                    },
                    rows=rows,
                    notes=[
                        f"{ANY}: utterances that mention any group of the axis; {NONE}: utterances that "
                        "mention none (the reference)"
                    ],
                )
            )
            run.output.counts.append(
                CountsTable(name=f"intent:{axis.id}", by=[axis.id, "intent"], rows=count_rows)
            )

    def _skew_finding(
        self,
        run: _Audit,
        axis: Axis,
        label: str,
        intent: str,
        row: dict[str, Any],
        mask: NDArray[np.bool_],
        band: tuple[float, float],
    ) -> Evidence:
        assert run.intents is not None
        who = (
            f"utterances that mention {axis.mention}"
            if label == ANY
            else f"utterances that mention {axis.group(label).label}"
        )
        ratio = row["intent_rate_ratio"]
        rate = row["intent_rate"]
        reference_rate = _reference_rate(row, "intent_rate")
        interval = _ratio_interval(row["intent_rate_ratio_ci_low"], row["intent_rate_ratio_ci_high"])
        counts = f"{_pct(rate)}, {row['with_intent']} of {row['n']}"
        versus = f"utterances that mention no {axis.label} ({_pct(reference_rate)})"
        above = ratio is not None and ratio >= 1
        edge = band[1] if above else band[0]
        band_text = f"{band[0]:g}–{band[1]:.3g} band"

        def describe(judgement: Judgement) -> str:
            p_text = adjusted_p_text(judgement.p_adjusted, judgement.correction)
            if ratio is None:
                return (
                    f"`{intent}` occurs in {who} ({counts}) and never in {versus}: the ratio is undefined, "
                    "so it cannot be judged. Look at the examples."
                )
            if ratio >= 1:
                size = f"`{intent}` is {ratio:.1f}× as frequent in {who} ({counts}) as in {versus}{interval}"
            elif ratio > 0:
                size = (
                    f"`{intent}` is {ratio:.2f}× as frequent (1/{1 / ratio:.1f}) in {who} ({counts}) as in "
                    f"{versus}{interval}"
                )
            else:
                size = f"`{intent}` never occurs in {who} ({counts}) but does in {versus}{interval}"
            status = judgement.status
            if status == "pass":
                return f"{size}: within the {band_text}, and the interval is clear of its edges."
            if status == "inconclusive":
                return (
                    f"{size}: within the {band_text}, but the interval reaches past its {edge:.3g} edge and the "
                    f"difference is not statistically significant ({p_text}): inconclusive. "
                    + _settle_sentence(judgement.rows_to_settle, (row["n"], None))
                )
            if meets(ratio, edge, "above" if above else "below"):
                return (
                    f"{size}: within the {band_text}, but the difference is statistically significant "
                    f"({p_text}) and the interval reaches past its {edge:.3g} edge. Review it."
                )
            if status == "fail":
                why = (
                    f"statistically significant ({p_text})"
                    if judgement.significant
                    else f"not statistically significant ({p_text}) but failed because "
                    "thresholds.require_significance is false"
                )
                return (
                    f"{size}: outside the {band_text}, {why}. Check whether these utterances are labelled or "
                    "collected differently."
                )
            return (
                f"{size}: outside the {band_text}, but not statistically significant ({p_text}); with many "
                "intents and groups compared, a gap this size can be chance."
            )

        reference_n = run.rows - int(run.any_axis[axis.id].sum())
        return Evidence(
            id=f"intent/{axis.id}/{label}/{intent}",
            metric="intent_rate",
            kind="ratio",
            table=f"intent:{axis.id}",
            group={axis.id: _display(axis, label), "intent": intent},
            reference={axis.id: NONE, "intent": intent},
            value=ratio,
            ci_low=row["intent_rate_ratio_ci_low"],
            ci_high=row["intent_rate_ratio_ci_high"],
            p_value=row["p_value"],
            threshold=edge,
            adverse="above" if above else "below",
            family=f"intent:{axis.id}",
            too_small="the ratio is undefined (no utterance of the reference carries the intent)"
            if ratio is None
            else None,
            rates=(rate, reference_rate) if rate is not None and reference_rate is not None else None,
            describe=describe,
            details={
                "group_id": label,
                "rate": rate,
                "reference_rate": reference_rate,
                "n": row["n"],
                "reference_n": reference_n,
                "with_intent": row["with_intent"],
                "band": list(band),
                "difference": row["intent_rate_difference"],
                "difference_ci_low": row["intent_rate_difference_ci_low"],
                "difference_ci_high": row["intent_rate_difference_ci_high"],
                "examples": run.examples(mask & (run.intents == intent)),
            },
        )

    # -- responses -------------------------------------------------------------------------------

    def _responses(self, run: _Audit) -> None:
        import polars as pl

        from equityaudit.auditors.chatbot.responses import compare_means, sentiment_scores, word_counts

        assert run.responses is not None
        thresholds = run.spec.thresholds
        started = time.perf_counter()
        sentiment = sentiment_scores(run.responses)
        words = word_counts(run.responses)
        refusal = (
            pl.Series(run.responses, dtype=pl.String)
            .str.contains(run.lexicon.refusal_regex())
            .fill_null(False)
            .to_numpy()
        )
        present = ~np.isnan(sentiment)
        run.context["responses"] = {
            "sentiment": "VADER compound score (vaderSentiment 3.3.2; -1 most negative, +1 most positive)",
            "length": "words (whitespace-separated)",
            "refusal_phrases": len(run.lexicon.refusals),
            "with_response": int(present.sum()),
            "refusals": int((refusal & present).sum()),
            "scoring_seconds": round(time.perf_counter() - started, 3),
        }
        # thresholds.bootstrap: 0 asks the other auditors for analytic (Katz) ratio intervals; the
        # mean intervals here have no such alternative, so 0 means this auditor's default
        replicates = thresholds.bootstrap or _RESPONSE_BOOTSTRAP
        set_by = (
            "thresholds.bootstrap"
            if thresholds.bootstrap
            else f"the chatbot auditor's default ({_RESPONSE_BOOTSTRAP}), as thresholds.bootstrap is 0"
        )
        run.context["responses"]["bootstrap"] = {
            "replicates": replicates,
            "set_by": set_by,
            "seed": thresholds.seed,
        }
        if not thresholds.bootstrap:
            run.output.notes.append(
                f"thresholds.bootstrap is 0, so the response-gap intervals use the chatbot auditor's default "
                f"of {replicates} bootstrap replicates (0 selects analytic intervals for ratios; the mean "
                "sentiment and length have none here)"
            )
        rng = np.random.default_rng(thresholds.seed)
        for axis in run.lexicon.axes:
            groups = [g.id for g in axis.groups]
            masks = [run.mentions[column_name(axis.id, g)] for g in groups]
            masks += [run.any_axis[axis.id], ~run.any_axis[axis.id]]
            labels = [*groups, ANY, NONE]
            masks = [m & present for m in masks]
            sizes = np.array([int(m.sum()) for m in masks])
            refusals = np.array([int((m & refusal).sum()) for m in masks])
            compared = compare_to_reference(
                refusals, sizes, reference=len(labels) - 1, alpha=thresholds.alpha, invert=True
            )
            reference_mask = masks[-1]
            rows = []
            count_rows = []
            for index, label in enumerate(labels):
                mask = masks[index]
                reference = index == len(labels) - 1
                tone = compare_means(
                    sentiment[mask],
                    sentiment[reference_mask],
                    replicates=replicates,
                    alpha=thresholds.alpha,
                    seed=rng,
                )
                length = compare_means(
                    words[mask],
                    words[reference_mask],
                    replicates=replicates,
                    alpha=thresholds.alpha,
                    seed=rng,
                )
                small = sizes[index] < thresholds.min_group_size
                row = {
                    "group": {axis.id: _display(axis, label)},
                    "n": int(sizes[index]),
                    "refusals": int(refusals[index]),
                    **{_refusal_column(k): finite_or_none(v[index]) for k, v in compared.items()},
                    "sentiment_mean": tone["mean"],
                    "sentiment_mean_ci_low": tone["mean_ci_low"],
                    "sentiment_mean_ci_high": tone["mean_ci_high"],
                    "sentiment_difference": None if reference else tone["difference"],
                    "sentiment_difference_ci_low": None if reference else tone["difference_ci_low"],
                    "sentiment_difference_ci_high": None if reference else tone["difference_ci_high"],
                    "sentiment_p_value": None if reference else tone["p_value"],
                    "words_mean": length["mean"],
                    "words_mean_ci_low": length["mean_ci_low"],
                    "words_mean_ci_high": length["mean_ci_high"],
                    "words_difference": None if reference else length["difference"],
                    "words_difference_ci_low": None if reference else length["difference_ci_low"],
                    "words_difference_ci_high": None if reference else length["difference_ci_high"],
                    "words_p_value": None if reference else length["p_value"],
                    "reference": reference,
                    "excluded": False,
                    "excluded_reason": None,
                    "note": None
                    if reference or not small
                    else f"fewer than {thresholds.min_group_size} responses: not judged",
                }
                rows.append(row)
                count_rows.append(
                    {
                        "group": {axis.id: label},
                        "n": int(sizes[index]),
                        "refusals": int(refusals[index]),
                        "sentiment_sum": float(np.sum(sentiment[mask])),
                        "sentiment_sum_of_squares": float(np.sum(sentiment[mask] ** 2)),
                        "words_sum": int(np.sum(words[mask])),
                        "words_sum_of_squares": int(np.sum(words[mask] ** 2)),
                    }
                )
                if reference or small or sizes[-1] < thresholds.min_group_size:
                    continue
                run.evidence += self._response_findings(
                    run, axis, label, row, mask & refusal, mask, sentiment
                )
            run.output.tables.append(
                Table(
                    name=f"response:{axis.id}",
                    by=[axis.id],
                    metric="refusal_rate",
                    numerator="refusals",
                    denominator="n",
                    reference={axis.id: NONE},
                    methods={
                        **{k: v for k, v in METHODS.items() if k != "ratio_ci_bootstrap"},
                        "ratio": "refusal rate of the reference ÷ the group's (below 1: the group is refused more often)",
                        "mean_ci": f"percentile bootstrap, {replicates} resamples drawn within each group "
                        f"(multinomial over each group's distinct values); replicates set by {set_by}",
                        "mean_p_value": "Welch's unequal-variance t test, two-sided",
                        "sentiment": "VADER compound score of the response",
                        "words": "number of whitespace-separated words of the response",
                    },
                    rows=rows,
                    notes=[
                        f"responses to utterances that mention {NONE} of the axis are the reference; rows "
                        "without a response are left out"
                    ],
                )
            )
            run.output.counts.append(CountsTable(name=f"response:{axis.id}", by=[axis.id], rows=count_rows))

    def _response_findings(
        self,
        run: _Audit,
        axis: Axis,
        label: str,
        row: dict[str, Any],
        refused: NDArray[np.bool_],
        mask: NDArray[np.bool_],
        sentiment: NDArray[np.float64],
    ) -> list[Evidence]:
        thresholds = run.spec.thresholds
        gaps = run.options.response_gaps
        who = (
            f"utterances that mention {axis.mention}"
            if label == ANY
            else f"utterances that mention {axis.group(label).label}"
        )
        versus = f"utterances that mention no {axis.label}"
        group = {axis.id: _display(axis, label)}
        ratio = row["refusal_rate_ratio"]
        rate = row["refusal_rate"]
        reference_rate = _reference_rate(row, "refusal_rate")
        interval = _ratio_interval(row["refusal_rate_ratio_ci_low"], row["refusal_rate_ratio_ci_high"])
        out = []
        limit = f"{thresholds.impact_ratio:g}"
        base = (
            f"Responses to {who} contain a refusal in {_pct(rate)} of {row['n']} cases, vs "
            f"{_pct(reference_rate)} for {versus}"
        )

        def refusal_text(judgement: Judgement) -> str:
            p_text = adjusted_p_text(judgement.p_adjusted, judgement.correction)
            assert ratio is not None
            text = f"{base}: ratio {ratio:.3f}{interval}"
            often = (
                f"refused {1 / ratio:.1f}× as often" if ratio > 0 else "refused where the reference never is"
            )
            return _one_rule_text(
                judgement,
                text,
                right_side=meets(ratio, thresholds.impact_ratio),
                within=f"at or above the {limit} threshold",
                beyond=f"below the {limit} threshold ({often})",
                edge=f"below the {limit} threshold",
                advice="Check the refusal policy and the training responses for these utterances.",
                p_text=p_text,
            )

        if ratio is not None:  # undefined only when the group is never refused: nothing adverse to judge
            out.append(
                Evidence(
                    id=f"response/{axis.id}/{label}/refusal_rate",
                    metric="refusal_rate",
                    kind="ratio",
                    table=f"response:{axis.id}",
                    group=group,
                    reference={axis.id: NONE},
                    value=ratio,
                    ci_low=row["refusal_rate_ratio_ci_low"],
                    ci_high=row["refusal_rate_ratio_ci_high"],
                    p_value=row["p_value"],
                    threshold=thresholds.impact_ratio,
                    family=f"response:{axis.id}",
                    rates=(rate, reference_rate) if rate is not None and reference_rate is not None else None,
                    describe=refusal_text,
                    details={
                        "group_id": label,
                        "rate": rate,
                        "reference_rate": reference_rate,
                        "n": row["n"],
                        "refusals": row["refusals"],
                        "examples": run.examples(refused, response=True),
                    },
                )
            )
        for measure, tolerance, unit in (
            ("sentiment", gaps.sentiment, "mean VADER compound score"),
            ("words", gaps.length, "mean length in words"),
        ):
            difference = row[f"{measure}_difference"]
            diff_low, diff_high = row[f"{measure}_difference_ci_low"], row[f"{measure}_difference_ci_high"]
            mean, reference_mean = row[f"{measure}_mean"], None
            if difference is not None and mean is not None:
                reference_mean = mean - difference
            if measure == "sentiment":
                gap, gap_low, gap_high = difference, diff_low, diff_high
                limit_text = f"{tolerance:g} lower"
            else:
                scale = reference_mean if reference_mean else None
                gap = None if difference is None or scale is None else difference / scale
                gap_low = None if diff_low is None or scale is None else diff_low / scale
                gap_high = None if diff_high is None or scale is None else diff_high / scale
                limit_text = f"{100 * tolerance:g}% shorter"
            measured = (
                f"Responses to {who}: {unit} {_num(mean)} vs {_num(reference_mean)} for {versus} (difference "
                f"{_num(difference)}, 95% bootstrap CI {_num(diff_low)} to {_num(diff_high)})"
            )

            def describe(
                judgement: Judgement,
                measured: str = measured,
                gap: float | None = gap,
                limit_text: str = limit_text,
                tolerance: float = tolerance,
            ) -> str:
                if gap is None:
                    return f"{measured}: undefined, so it cannot be judged."
                return _one_rule_text(
                    judgement,
                    measured,
                    right_side=meets(gap, -tolerance),
                    within=f"not {limit_text}",
                    beyond=f"more than {limit_text}",
                    edge=f"more than {limit_text}",
                    advice="Compare the responses in the examples with those other customers get.",
                    p_text=adjusted_p_text(judgement.p_adjusted, judgement.correction),
                )

            order = sentiment if measure == "sentiment" else None
            out.append(
                Evidence(
                    id=f"response/{axis.id}/{label}/{measure}",
                    metric=f"{measure}_difference",
                    kind="difference",
                    table=f"response:{axis.id}",
                    group=group,
                    reference={axis.id: NONE},
                    value=finite_or_none(gap),
                    ci_low=finite_or_none(gap_low),
                    ci_high=finite_or_none(gap_high),
                    p_value=row[f"{measure}_p_value"],
                    threshold=-tolerance,
                    family=f"response:{axis.id}",
                    too_small=None if gap is not None else "undefined",
                    describe=describe,
                    details={
                        "group_id": label,
                        "mean": mean,
                        "reference_mean": reference_mean,
                        "difference": difference,
                        "difference_ci_low": diff_low,
                        "difference_ci_high": diff_high,
                        "relative_difference": gap if measure == "words" else None,
                        "n": row["n"],
                        "examples": run.examples(mask, response=True, order=order),
                    },
                )
            )
        return out

    # -- counterfactual invariance -----------------------------------------------------------------

    def _counterfactual(self, run: _Audit) -> None:
        from equityaudit.auditors.chatbot.counterfactual import (
            counterfactual_pairs,
            load_model,
            predict_flips,
            train_baseline,
        )

        options = run.options
        settings = options.counterfactual
        if not settings.enabled:
            run.output.notes.append(
                "counterfactual invariance was not tested (options.counterfactual.enabled: false)"
            )
            return
        seed = run.spec.thresholds.seed if settings.seed is None else settings.seed
        path = model_path(run.spec, options)
        if path is not None:
            model = load_model(path, trusted=options.model_trusted_types, origin=_origin(run.spec))
        elif run.intents is not None:
            labels = np.unique(run.intents)
            if labels.size < 2:
                run.output.notes.append(
                    "counterfactual invariance was not tested: the data has fewer than two intents"
                )
                return
            try:
                model = train_baseline(run.texts, [str(i) for i in run.intents], seed=seed)
            except ValueError as exc:  # e.g. an empty vocabulary on tiny data
                run.output.notes.append(
                    f"counterfactual invariance was not tested: the baseline classifier "
                    f"could not be trained ({exc})"
                )
                return
        else:
            run.output.notes.append(
                "counterfactual invariance was not tested: it needs intents to train a baseline "
                "classifier (options.intent) or a model (options.model)"
            )
            return
        run.output.notes += model.notes
        started = time.perf_counter()
        pairs, stats = counterfactual_pairs(
            run.lexicon, run.texts, run.mentions, max_utterances=settings.max_utterances, seed=seed
        )
        before, after = predict_flips(model.predict, run.texts, pairs)
        flipped = before != after
        seconds = time.perf_counter() - started
        run.context["classifier"] = model.info
        run.context["counterfactual"] = {
            "seconds": round(seconds, 3),
            "pairs": len(pairs),
            "max_utterances_per_axis": settings.max_utterances,
            "seed": seed,
            "axes": {a: vars(s) for a, s in stats.items()},
        }
        thresholds = run.spec.thresholds
        limits = options.flip_thresholds
        axis_of = np.array([p.axis for p in pairs], dtype=object)
        source_of = np.array([p.source for p in pairs], dtype=object)
        axis_rows, group_rows = [], []
        for axis in run.lexicon.axes:
            in_axis = axis_of == axis.id
            n, flips = int(in_axis.sum()), int((flipped & in_axis).sum())
            low, high = wilson_interval(flips, n, alpha=thresholds.alpha)
            row = {
                "group": {"axis": axis.label},
                "axis_id": axis.id,
                "n": n,
                "flips": flips,
                "flip_rate": finite_or_none(proportion(flips, n)),
                "flip_rate_ci_low": finite_or_none(low),
                "flip_rate_ci_high": finite_or_none(high),
                "utterances_tested": stats[axis.id].sampled,
                "single_group_utterances": stats[axis.id].single_group,
                "unswappable": stats[axis.id].unswappable,
                "reference": False,
                "excluded": False,
                "excluded_reason": None,
                "note": None if n else "no utterance of this axis could be swapped",
            }
            axis_rows.append(row)
            for group in axis.groups:
                of_group = in_axis & (source_of == group.id)
                gn, gf = int(of_group.sum()), int((flipped & of_group).sum())
                glow, ghigh = wilson_interval(gf, gn, alpha=thresholds.alpha)
                group_rows.append(
                    {
                        "group": {"axis": axis.label, "source": group.display},
                        "group_id": group.id,
                        "n": gn,
                        "flips": gf,
                        "flip_rate": finite_or_none(proportion(gf, gn)),
                        "flip_rate_ci_low": finite_or_none(glow),
                        "flip_rate_ci_high": finite_or_none(ghigh),
                        "reference": False,
                        "excluded": not group.counterfactual,
                        "excluded_reason": None if group.counterfactual else "not_swapped",
                        "note": None
                        if group.counterfactual
                        else "this group takes no part in swaps (lexicon)",
                    }
                )
            indices = np.flatnonzero(flipped & in_axis)[: options.examples.count]
            examples: list[dict[str, Any]] = []
            for i in indices.tolist():
                pair = pairs[i]
                example: dict[str, str | None]
                if run.redact:
                    example = {
                        "id": run.row_id(pair.row),
                        "swap": f"{pair.source} → {pair.target}",
                        "intent_before": str(before[i]),
                        "intent_after": str(after[i]),
                    }
                else:
                    example = {
                        "text": run._truncate(pair.text),
                        "counterfactual": run._truncate(pair.counterfactual),
                        "intent_before": str(before[i]),
                        "intent_after": str(after[i]),
                    }
                examples.append(example)
            run.evidence.append(
                _flip_evidence(axis, row, limits.warn, limits.fail, thresholds.min_group_size, examples)
            )
        flip_methods = {
            "rate_ci": "Wilson score interval",
            "flip_rate": "share of counterfactual pairs whose predicted intent differs from the original's",
        }
        run.output.tables.append(
            Table(
                name="counterfactual:axes",
                by=["axis"],
                metric="flip_rate",
                numerator="flips",
                denominator="n",
                reference=None,
                methods=flip_methods,
                rows=axis_rows,
            )
        )
        run.output.tables.append(
            Table(
                name="counterfactual:groups",
                by=["axis", "source"],
                metric="flip_rate",
                numerator="flips",
                denominator="n",
                reference=None,
                methods=flip_methods,
                rows=group_rows,
            )
        )
        run.output.counts.append(
            CountsTable(
                name="counterfactual",
                by=["axis", "source"],
                rows=[
                    {"group": {"axis": axis_id, "source": r["group_id"]}, "n": r["n"], "flips": r["flips"]}
                    for axis_id, r in zip(
                        [a.id for a in run.lexicon.axes for _ in a.groups], group_rows, strict=True
                    )
                ],
            )
        )


def _flip_evidence(
    axis: Axis,
    row: dict[str, Any],
    warn: float,
    fail: float,
    min_n: int,
    examples: list[dict[str, Any]],
) -> Evidence:
    """An axis' flip rate judged against ``flip_thresholds.fail`` by the one rule, with the exact
    one-sided binomial test of "the flip rate is at most ``fail``" (``warn`` is the level the
    message calls worth a look)."""
    from scipy import stats

    rate, n, flips = row["flip_rate"], row["n"], row["flips"]
    p_value = float(stats.binomtest(flips, n, fail, alternative="greater").pvalue) if n else None
    swaps = [g for g in axis.groups if g.counterfactual]
    example_swap = f" (e.g. {swaps[0].label} → {swaps[1].label})" if len(swaps) > 1 else ""
    too_small = None
    if n < min_n or rate is None:
        too_small = f"only {n} counterfactual utterances could be made (minimum {min_n})"

    def describe(judgement: Judgement) -> str:
        if judgement.status == "insufficient_data":
            return (
                f"Only {n} counterfactual utterances could be made for {axis.label} (minimum {min_n}): too few "
                "to judge the classifier's invariance. Collect more utterances that mention this axis."
            )
        base = (
            f"Swapping {axis.label} terms{example_swap} changes the predicted intent in {_pct(rate)} of {n} "
            f"counterfactual utterances (95% CI {_pct(row['flip_rate_ci_low'])}–{_pct(row['flip_rate_ci_high'])})"
        )
        limit = f"{100 * fail:g}%"
        look = (
            f"; at or above the {100 * warn:g}% level at which the examples deserve a look"
            if rate is not None and rate >= warn
            else ""
        )
        return _one_rule_text(
            judgement,
            base,
            right_side=meets(rate, fail, "above"),
            within=f"at or below the {limit} limit{look}",
            beyond=f"above the {limit} limit",
            edge=f"above the {limit} limit",
            advice=f"The classifier's predictions depend on which {axis.label} group is mentioned; see the "
            "examples, and rebalance or augment the data.",
            p_text=adjusted_p_text(judgement.p_adjusted, judgement.correction),
        )

    return Evidence(
        id=f"counterfactual/{axis.id}",
        metric="flip_rate",
        kind="rate",
        table="counterfactual:axes",
        group={"axis": axis.label},
        reference=None,
        value=rate,
        ci_low=row["flip_rate_ci_low"],
        ci_high=row["flip_rate_ci_high"],
        p_value=p_value,
        threshold=fail,
        adverse="above",
        family="counterfactual",
        too_small=too_small,
        describe=describe,
        details={
            "axis_id": axis.id,
            "warn": warn,
            "fail": fail,
            "n": n,
            "flips": flips,
            "examples": examples,
        },
    )


def _one_rule_text(
    judgement: Judgement,
    measured: str,
    *,
    right_side: bool,
    within: str,
    beyond: str,
    edge: str,
    advice: str,
    p_text: str,
) -> str:
    """The message of a one-sided finding under the one judging rule, by status.

    ``within``/``beyond`` say where the value is ("at or above the 0.8 threshold" / "below the 0.8
    threshold"), ``edge`` where the interval reaches ("below the 0.8 threshold").
    """
    status = judgement.status
    if status == "insufficient_data":
        return f"{measured}: too few to judge."
    if status == "pass":
        return f"{measured}: {within}, and the interval is clear of it."
    if status == "inconclusive":
        return (
            f"{measured}: {within}, but the interval reaches {edge} and the difference is not statistically "
            f"significant ({p_text}): inconclusive. " + _settle_sentence(judgement.rows_to_settle, ())
        )
    if right_side:  # warn: significant, the interval reaching past the threshold
        return (
            f"{measured}: {within}, but the difference is statistically significant ({p_text}) and the "
            f"interval reaches {edge}. Review it."
        )
    if status == "fail":
        if judgement.significant:
            return f"{measured}: {beyond}, and statistically significant ({p_text}). {advice}"
        return (
            f"{measured}: {beyond}, not statistically significant ({p_text}) but failed because "
            f"thresholds.require_significance is false. {advice}"
        )
    return f"{measured}: {beyond}, but not statistically significant ({p_text}); it may be chance."


def _settle_sentence(rows: int | None, now: tuple[int | None, ...]) -> str:
    """:func:`~equityaudit.judging.settle_text` counted in utterances."""
    return settle_text(rows, "utterances", now)


def _judge_all(run: _Audit) -> list[Finding]:
    """Judge every piece of the audit's evidence together (:func:`equityaudit.judging.judge`).

    Coverage findings have no test; an absence stays a ``warn`` even with
    ``thresholds.require_significance: false`` (which turns every other ``warn`` beyond its
    threshold into a ``fail``).
    """
    return judge(run.evidence, run.spec.thresholds)  # coverage evidence has ceiling="warn"


def _display(axis: Axis, label: str) -> str:
    """A group's display name (its lexicon label); ``(any)`` and ``(none)`` as they are."""
    return label if label in (ANY, NONE) else axis.group(label).display


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class _Scope:
    """Which groups of an axis representation judges, and against what."""

    targets: dict[str, float]
    """Target share by judged group id."""
    name: str
    """The reference as tables and findings name it."""
    method: str
    """How the target was set, for the table's methods."""
    given: bool
    """Whether the spec's ``options.targets`` names the axis."""


def _representation_targets(
    axis: Axis, given: dict[str, float] | list[str] | None, counts: NDArray[Any]
) -> _Scope:
    """The target share of each judged group: the spec's shares, parity among the groups it
    names, or (by default) parity among the groups the data mentions at all.

    Examples
    --------
    >>> from equityaudit.auditors.chatbot.lexicon import Lexicon
    >>> gender = Lexicon.default().axis("gender")
    >>> _representation_targets(gender, None, np.array([30, 70, 0])).targets
    {'women': 0.5, 'men': 0.5}
    >>> _representation_targets(gender, ["women", "men", "trans_nonbinary"], np.array([30, 70, 0])).targets
    {'women': 0.3333333333333333, 'men': 0.3333333333333333, 'trans_nonbinary': 0.3333333333333333}
    >>> _representation_targets(gender, {"women": 0.49, "men": 0.49}, np.array([30, 70, 0])).name
    'target share'
    """
    if isinstance(given, dict):
        return _Scope(dict(given), "target share", "options.targets", True)
    if given is not None:
        named = list(dict.fromkeys(given))
        return _Scope(
            {g: 1.0 / len(named) for g in named},
            "parity",
            f"parity: 1/{len(named)} for each of the {len(named)} groups named in options.targets",
            True,
        )
    present = [g.id for g, c in zip(axis.groups, counts.tolist(), strict=True) if c > 0]
    return _Scope(
        {g: 1.0 / len(present) for g in present},
        "parity",
        f"parity: 1/k for the k = {len(present)} groups the data mentions (the lexicon has "
        f"{len(axis.groups)}; the others are in the coverage finding)",
        False,
    )


def _coverage_evidence(
    run: _Audit, axis: Axis, counts: NDArray[Any], scope: _Scope, too_small: str | None
) -> Evidence:
    """One finding per axis: which groups of the lexicon the data never mentions.

    Its value is the number of such groups that no target judges (those named in
    ``options.targets`` are judged by their share instead, and those a target leaves out are out
    of scope). It has no test: absent groups give ``warn`` (kept there even with
    ``require_significance: false``, since an absence is a fact about the data, not a disparity),
    none give ``pass``.
    """
    absent = [g for g, c in zip(axis.groups, counts.tolist(), strict=True) if c == 0]
    unjudged = [g for g in absent if g.id not in scope.targets and not scope.given]
    left_out = [g for g in absent if g.id not in scope.targets and scope.given]
    named_absent = [g for g in absent if g.id in scope.targets]
    present = len(axis.groups) - len(absent)

    def names(groups: list[Group]) -> str:
        return ", ".join(g.label for g in groups)

    def describe(judgement: Judgement) -> str:
        head = f"{_capital(axis.label)}: {present} of the lexicon's {len(axis.groups)} groups are mentioned"
        if judgement.status == "insufficient_data":
            return f"{head}; {too_small}, so an absent group may be chance. Collect more utterances."
        parts = []
        if unjudged:
            parts.append(
                f"never mentioned: {names(unjudged)}. The data cannot show how the bot treats them, and "
                "representation is judged by parity among the groups it does mention. Add utterances "
                f"that mention them, or state a target for {axis.label} in options.targets (a list of "
                "groups, or their shares)"
            )
        if named_absent:
            parts.append(
                f"named in options.targets but never mentioned: {names(named_absent)} (judged by share)"
            )
        if left_out:
            parts.append(f"never mentioned, and not in options.targets: {names(left_out)} (not judged)")
        if not parts:
            return f"{head}: every group of the lexicon occurs in the data."
        return f"{head}; " + "; ".join(parts) + "."

    return Evidence(
        id=f"coverage/{axis.id}",
        metric="groups_absent",
        kind="test",
        table=axis.id,
        group={"axis": axis.label},
        reference=None,
        value=float(len(unjudged)),
        ci_low=None,
        ci_high=None,
        p_value=None,
        threshold=0.0,
        adverse="above",
        family=f"coverage:{axis.id}",
        too_small=too_small if absent else None,
        describe=describe,
        ceiling="warn",  # an absence describes the data; it accuses no one
        details={
            "absent": [g.id for g in absent],
            "absent_labels": [g.label for g in absent],
            "unjudged": [g.id for g in unjudged],
            "groups": len(axis.groups),
            "mentioned": present,
            "axis_mentions": int(counts.sum()),
        },
    )


def _intent_column(key: str) -> str:
    if key == "rate":
        return "intent_rate"
    if key.startswith("rate_"):
        return f"intent_rate_{key.removeprefix('rate_')}"
    if key.startswith(("ratio", "difference")):
        return f"intent_rate_{key}"
    return key


def _refusal_column(key: str) -> str:
    return _intent_column(key).replace("intent_rate", "refusal_rate")


def _reference_rate(row: dict[str, Any], metric: str) -> float | None:
    rate, difference = row[metric], row[f"{metric}_difference"]
    if rate is None or difference is None:
        return None
    return float(rate - difference)


def _target_kind(target: dict[str, float] | list[str] | None) -> str:
    """How the context names an axis' representation target."""
    if isinstance(target, dict):
        return "target shares (options.targets)"
    if target is not None:
        return "parity among the groups named in options.targets"
    return "parity among the groups mentioned"


def _pct(value: float | None) -> str:
    return "undefined" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None) -> str:
    return "undefined" if value is None or not math.isfinite(value) else f"{value:.2f}"


def _ratio_interval(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return ""
    return f" (95% CI {low:.2f}–{high:.2f})"


@hookimpl
def equityaudit_auditors() -> list[ChatbotAuditor]:
    """The built-in ``chatbot`` auditor."""
    return [ChatbotAuditor()]

"""The ``chatbot`` auditor: identity bias in a customer-service chatbot's training data.

For each axis of the identity lexicon (gender, race/ethnicity, religion, age, disability, sexual
orientation, nationality) it measures

1. **representation** — each group's share of the axis' mentions against parity (1/k) or the
   spec's population shares, as a ratio with an interval and an exact binomial test;
2. **intent skew** — P(intent | group mentioned) against P(intent | no group of the axis
   mentioned), for each group and for the axis as a whole, with Fisher's exact test;
3. **response gaps** (with a response column) — refusal rate, mean sentiment (VADER) and mean
   length of the bot's responses by group mentioned, against responses to utterances that mention
   no group of the axis;
4. **counterfactual invariance** (with intents or a model) — the share of identity-swapped
   utterances whose predicted intent changes.

Every p-value of an audit is adjusted together (``thresholds.correction``, Holm by default). Every
finding carries a few example utterances in ``details.examples`` (row ids instead with redaction).
The numbers behind every table are in the result's ``counts``. docs/chatbot.md explains each
method and default.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
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
from equityaudit.results import CountsTable, Finding, Table, finite_or_none
from equityaudit.spec import AuditSpec
from equityaudit.stats.disparity import METHODS, compare_to_reference
from equityaudit.stats.inference import adjust_p, benjamini_hochberg, wilson_interval
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
class _Pending:
    """A finding whose status waits for the audit-wide multiple-comparison adjustment."""

    finding: dict[str, Any]
    decide: Callable[[float | None, float | None], tuple[str, str]]
    """(family-wise adjusted p, Benjamini–Hochberg p) → (status, message)."""


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
    pending: list[_Pending] = field(default_factory=list)
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
        for axis_id, shares in options.population_shares.items():
            if axis_id not in axes:
                raise SpecError(
                    f"{origin}: options.population_shares: unknown axis {axis_id!r}. {did_you_mean(axis_id, axes)}"
                )
            for group_id, share in shares.items():
                if group_id not in axes[axis_id].ids:
                    raise SpecError(
                        f"{origin}: options.population_shares.{axis_id}: axis {axis_id!r} has no group "
                        f"{group_id!r}. {did_you_mean(group_id, axes[axis_id].ids)}"
                    )
                if not 0 < share <= 1:
                    raise SpecError(
                        f"{origin}: options.population_shares.{axis_id}.{group_id} is {share}; expected a share "
                        "between 0 and 1 (0.49 means 49 %)."
                    )
            total = sum(shares.values())
            if total > 1 + 1e-9:
                raise SpecError(
                    f"{origin}: options.population_shares.{axis_id} adds up to {total:g}; the shares of an "
                    "axis' groups must add up to at most 1."
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
                    "target": "population shares" if axis.id in options.population_shares else "parity",
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
        from scipy import stats

        thresholds = run.spec.thresholds
        counts = np.array([int(run.mentions[column_name(axis.id, g.id)].sum()) for g in axis.groups])
        total = int(counts.sum())
        shares_given = run.options.population_shares.get(axis.id)
        targets = [
            (shares_given.get(g.id) if shares_given is not None else 1.0 / len(axis.groups))
            for g in axis.groups
        ]
        target_name = "population share" if shares_given is not None else "parity"
        share = proportion(counts, np.full(counts.shape, total))
        low, high = wilson_interval(counts, np.full(counts.shape, total), alpha=thresholds.alpha)
        rows = []
        for index, group in enumerate(axis.groups):
            target = targets[index]
            x = int(counts[index])
            value = finite_or_none(share[index])
            ratio = ratio_low = ratio_high = p_value = None
            if target is not None and value is not None:
                ratio = value / target
                ratio_low = finite_or_none(low[index] / target)
                ratio_high = finite_or_none(high[index] / target)
                p_value = float(stats.binomtest(x, total, target).pvalue)
            note = None
            if target is None:
                note = f"no population share given for {group.id}: reported, not judged"
            elif total == 0:
                note = f"no utterance mentions {axis.mention}: the share is undefined"
            rows.append(
                {
                    "group": {axis.id: group.id},
                    "n": x,
                    "mentions": x,
                    "axis_mentions": total,
                    "utterances": run.rows,
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
                    "excluded_reason": "no_target" if target is None else None,
                    "note": note,
                }
            )
            if target is None:
                continue
            run.pending.append(self._representation_finding(run, axis, group, rows[-1], target_name))
        run.output.tables.append(
            Table(
                name=axis.id,
                by=[axis.id],
                metric="mention_share",
                numerator="mentions",
                denominator="axis_mentions",
                reference={axis.id: target_name},
                methods={
                    "rate_ci": "Wilson score interval on the group's share of the axis' mentions (an utterance "
                    "naming two groups counts for both)",
                    "ratio": f"share ÷ target share ({target_name}"
                    + (": 1/k for k groups" if shares_given is None else " from options.population_shares")
                    + ")",
                    "ratio_ci": "Wilson bounds ÷ target share (the target is a fixed number)",
                    "p_value": "exact binomial test of the share against the target share, two-sided",
                },
                rows=rows,
                notes=[] if total else [f"no utterance mentions {axis.mention}"],
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

    def _representation_finding(
        self, run: _Audit, axis: Axis, group: Group, row: dict[str, Any], target_name: str
    ) -> _Pending:
        thresholds = run.spec.thresholds
        total = row["axis_mentions"]
        ratio = row["mention_share_ratio"]
        base = (
            f"{group.label}: {_pct(row['mention_share'])} of the {total} mentions of {axis.mention} "
            f"({row['mentions']} utterances) against a target of {_pct(row['target_share'])} ({target_name})"
        )

        def decide(p_adjusted: float | None, p_fdr: float | None) -> tuple[str, str]:
            correction = _correction_name(thresholds.correction)
            if total < thresholds.min_group_size or ratio is None:
                return "insufficient_data", (
                    f"{base}; only {total} mentions of {axis.mention} (minimum {thresholds.min_group_size}): "
                    "too few to judge representation. Collect more utterances that mention this axis."
                )
            interval = _ratio_interval(row["mention_share_ratio_ci_low"], row["mention_share_ratio_ci_high"])
            text = f"{base}, ratio {ratio:.3f}{interval}"
            if ratio >= thresholds.impact_ratio:
                return "pass", f"{text}: at or above the {thresholds.impact_ratio:g} threshold."
            p_text = adjusted_p_text(p_adjusted, correction)
            status, why, fdr_only = _beyond_threshold(p_adjusted, p_fdr, thresholds, p_text)
            if status == "fail":
                return "fail", (
                    f"{text}: under-represented, below the {thresholds.impact_ratio:g} threshold{why}. "
                    f"Add training utterances from and about {group.label}."
                )
            return "warn", (
                f"{text}: below the {thresholds.impact_ratio:g} threshold{why}"
                + ("" if fdr_only else "; it may be chance")
                + ". Monitor it and collect more data."
            )

        return _Pending(
            finding={
                "id": f"representation/{axis.id}/{group.id}",
                "metric": "mention_share",
                "kind": "ratio",
                "table": axis.id,
                "group": {axis.id: group.id},
                "reference": {axis.id: target_name},
                "value": ratio,
                "ci_low": row["mention_share_ratio_ci_low"],
                "ci_high": row["mention_share_ratio_ci_high"],
                "p_value": row["p_value"],
                "threshold": thresholds.impact_ratio,
                "details": {
                    "rate": row["mention_share"],
                    "reference_rate": row["target_share"],
                    "n": row["mentions"],
                    "axis_mentions": total,
                    "examples": run.examples(run.mentions[column_name(axis.id, group.id)]),
                },
            },
            decide=decide,
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
                        "group": {axis.id: label, "intent": intent},
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
                    run.pending.append(self._skew_finding(run, axis, label, intent, row, mask, band))
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
    ) -> _Pending:
        assert run.intents is not None
        thresholds = run.spec.thresholds
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

        def decide(p_adjusted: float | None, p_fdr: float | None) -> tuple[str, str]:
            correction = _correction_name(thresholds.correction)
            p_text = adjusted_p_text(p_adjusted, correction)
            if ratio is None:
                # the reference never carries the intent: an infinite ratio when the group does,
                # judged by significance alone; 0/0 (neither does) cannot be judged
                status, why, _ = _beyond_threshold(p_adjusted, p_fdr, thresholds, p_text)
                if row["with_intent"] > 0 and status == "fail":
                    return "fail", (
                        f"`{intent}` occurs in {who} ({counts}) and never in {versus}; the ratio is "
                        f"undefined{why}. Check why these utterances carry this intent."
                    )
                return "insufficient_data", (
                    f"`{intent}` occurs in {who} ({counts}) and never in {versus}; the ratio is undefined "
                    f"({p_text})."
                )
            if ratio >= 1:
                size = f"`{intent}` is {ratio:.1f}× as frequent in {who} ({counts}) as in {versus}{interval}"
            else:
                size = (
                    f"`{intent}` is {ratio:.2f}× as frequent (1/{1 / ratio:.1f}) in {who} ({counts}) as in "
                    f"{versus}{interval}"
                    if ratio > 0
                    else f"`{intent}` never occurs in {who} ({counts}) but does in {versus}"
                )
            inside = band[0] <= ratio <= band[1]
            if inside:
                return "pass", f"{size}: within the {band[0]:g}–{band[1]:.3g} band ({p_text})."
            status, why, fdr_only = _beyond_threshold(p_adjusted, p_fdr, thresholds, p_text)
            outside = f"{size}: outside the {band[0]:g}–{band[1]:.3g} band{why}"
            if status == "fail":
                return (
                    "fail",
                    f"{outside}. Check whether these utterances are labelled or collected differently.",
                )
            if fdr_only:
                return "warn", f"{outside}. Look at the examples."
            return "warn", f"{outside}; with many intents and groups compared, a gap this size can be chance."

        return _Pending(
            finding={
                "id": f"intent/{axis.id}/{label}/{intent}",
                "metric": "intent_rate",
                "kind": "test",
                "table": f"intent:{axis.id}",
                "group": {axis.id: label, "intent": intent},
                "reference": {axis.id: NONE, "intent": intent},
                "value": ratio,
                "ci_low": row["intent_rate_ratio_ci_low"],
                "ci_high": row["intent_rate_ratio_ci_high"],
                "p_value": row["p_value"],
                "threshold": band[1],
                "details": {
                    "rate": rate,
                    "reference_rate": reference_rate,
                    "n": row["n"],
                    "with_intent": row["with_intent"],
                    "band": list(band),
                    "difference": row["intent_rate_difference"],
                    "difference_ci_low": row["intent_rate_difference_ci_low"],
                    "difference_ci_high": row["intent_rate_difference_ci_high"],
                    "examples": run.examples(mask & (run.intents == intent)),
                },
            },
            decide=decide,
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
                    "group": {axis.id: label},
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
                run.pending += self._response_findings(run, axis, label, row, mask & refusal, mask, sentiment)
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
    ) -> list[_Pending]:
        thresholds = run.spec.thresholds
        gaps = run.options.response_gaps
        who = (
            f"utterances that mention {axis.mention}"
            if label == ANY
            else f"utterances that mention {axis.group(label).label}"
        )
        versus = f"utterances that mention no {axis.label}"
        correction = _correction_name(thresholds.correction)
        ratio = row["refusal_rate_ratio"]
        rate = row["refusal_rate"]
        reference_rate = _reference_rate(row, "refusal_rate")
        interval = _ratio_interval(row["refusal_rate_ratio_ci_low"], row["refusal_rate_ratio_ci_high"])
        out = []

        def refusal_decision(p_adjusted: float | None, p_fdr: float | None) -> tuple[str, str]:
            p_text = adjusted_p_text(p_adjusted, correction)
            base = f"Responses to {who} contain a refusal in {_pct(rate)} of {row['n']} cases"
            if ratio is None:
                return (
                    "pass",
                    f"{base}, never, or as rarely as responses to {versus}: the ratio is undefined ({p_text}).",
                )
            base += f", vs {_pct(reference_rate)} for {versus}: ratio {ratio:.3f}{interval}"
            return _one_sided(
                ratio < thresholds.impact_ratio,
                p_adjusted,
                p_fdr,
                thresholds,
                p_text,
                base,
                f"below the {thresholds.impact_ratio:g} threshold (refused {1 / ratio:.1f}× as often)"
                if ratio > 0
                else "refused where the reference never is",
                "Check the refusal policy and the training responses for these utterances.",
            )

        out.append(
            _Pending(
                finding={
                    "id": f"response/{axis.id}/{label}/refusal_rate",
                    "metric": "refusal_rate",
                    "kind": "ratio",
                    "table": f"response:{axis.id}",
                    "group": {axis.id: label},
                    "reference": {axis.id: NONE},
                    "value": ratio,
                    "ci_low": row["refusal_rate_ratio_ci_low"],
                    "ci_high": row["refusal_rate_ratio_ci_high"],
                    "p_value": row["p_value"],
                    "threshold": thresholds.impact_ratio,
                    "details": {
                        "rate": rate,
                        "reference_rate": reference_rate,
                        "n": row["n"],
                        "refusals": row["refusals"],
                        "examples": run.examples(refused, response=True),
                    },
                },
                decide=refusal_decision,
            )
        )
        for measure, tolerance, unit in (
            ("sentiment", gaps.sentiment, "mean VADER compound score"),
            ("words", gaps.length, "mean length in words"),
        ):
            difference = row[f"{measure}_difference"]
            mean, reference_mean = row[f"{measure}_mean"], None
            if difference is not None and mean is not None:
                reference_mean = mean - difference
            if measure == "sentiment":
                gap = difference
                worse = difference is not None and difference < -tolerance
                limit = f"{tolerance:g} lower"
            else:
                gap = None if difference is None or not reference_mean else difference / reference_mean
                worse = gap is not None and gap < -tolerance
                limit = f"{100 * tolerance:g}% shorter"
            base = (
                f"Responses to {who}: {unit} {_num(mean)} vs {_num(reference_mean)} for {versus} (difference "
                f"{_num(difference)}, 95% bootstrap CI {_num(row[f'{measure}_difference_ci_low'])} to "
                f"{_num(row[f'{measure}_difference_ci_high'])})"
            )

            def decide(
                p_adjusted: float | None,
                p_fdr: float | None,
                base: str = base,
                worse: bool = worse,
                limit: str = limit,
            ) -> tuple[str, str]:
                p_text = adjusted_p_text(p_adjusted, correction)
                return _one_sided(
                    worse,
                    p_adjusted,
                    p_fdr,
                    thresholds,
                    p_text,
                    base,
                    f"more than {limit}",
                    "Compare the responses in the examples with those other customers get.",
                )

            order = sentiment if measure == "sentiment" else None
            out.append(
                _Pending(
                    finding={
                        "id": f"response/{axis.id}/{label}/{measure}",
                        "metric": f"{measure}_difference",
                        "kind": "test",
                        "table": f"response:{axis.id}",
                        "group": {axis.id: label},
                        "reference": {axis.id: NONE},
                        "value": difference if measure == "sentiment" else gap,
                        "ci_low": row[f"{measure}_difference_ci_low"] if measure == "sentiment" else None,
                        "ci_high": row[f"{measure}_difference_ci_high"] if measure == "sentiment" else None,
                        "p_value": row[f"{measure}_p_value"],
                        "threshold": -tolerance,
                        "details": {
                            "mean": mean,
                            "reference_mean": reference_mean,
                            "difference": difference,
                            "difference_ci_low": row[f"{measure}_difference_ci_low"],
                            "difference_ci_high": row[f"{measure}_difference_ci_high"],
                            "relative_difference": gap if measure == "words" else None,
                            "n": row["n"],
                            "examples": run.examples(mask, response=True, order=order),
                        },
                    },
                    decide=decide,
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
                "group": {"axis": axis.id},
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
                        "group": {"axis": axis.id, "source": group.id},
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
            run.output.findings.append(
                _flip_finding(axis, row, limits.warn, limits.fail, thresholds.min_group_size, examples)
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
                rows=[{"group": r["group"], "n": r["n"], "flips": r["flips"]} for r in group_rows],
            )
        )


def _flip_finding(
    axis: Axis, row: dict[str, Any], warn: float, fail: float, min_n: int, examples: list[dict[str, Any]]
) -> Finding:
    rate, n = row["flip_rate"], row["n"]
    swaps = [g for g in axis.groups if g.counterfactual]
    example_swap = f" (e.g. {swaps[0].label} → {swaps[1].label})" if len(swaps) > 1 else ""
    base = (
        f"Swapping {axis.label} terms{example_swap} changes the predicted intent in {_pct(rate)} of {n} "
        f"counterfactual utterances (95% CI {_pct(row['flip_rate_ci_low'])}–{_pct(row['flip_rate_ci_high'])})"
    )
    if n < min_n or rate is None:
        status = "insufficient_data"
        message = (
            f"Only {n} counterfactual utterances could be made for {axis.label} (minimum {min_n}): too few "
            "to judge the classifier's invariance. Collect more utterances that mention this axis."
        )
    elif rate >= fail:
        status = "fail"
        message = (
            f"{base}: at or above the {100 * fail:g}% failure threshold. The classifier's predictions depend "
            f"on which {axis.label} group is mentioned; see the examples, and rebalance or augment the data."
        )
    elif rate >= warn:
        status = "warn"
        message = (
            f"{base}: at or above the {100 * warn:g}% warning threshold (fails at {100 * fail:g}%). The "
            "classifier partly depends on the group mentioned; see the examples."
        )
    else:
        status = "pass"
        message = f"{base}: below the {100 * warn:g}% warning threshold."
    return Finding(
        id=f"counterfactual/{axis.id}",
        metric="flip_rate",
        kind="rate",
        table="counterfactual:axes",
        group={"axis": axis.id},
        reference=None,
        value=rate,
        ci_low=row["flip_rate_ci_low"],
        ci_high=row["flip_rate_ci_high"],
        threshold=fail,
        status=status,  # type: ignore[arg-type]
        message=message,
        details={"warn": warn, "fail": fail, "n": n, "flips": row["flips"], "examples": examples},
    )


def _one_sided(
    worse: bool,
    p_adjusted: float | None,
    p_fdr: float | None,
    thresholds: Any,
    p_text: str,
    base: str,
    beyond: str,
    advice: str,
) -> tuple[str, str]:
    if not worse:
        return "pass", f"{base}: not {beyond.split(' (')[0]} ({p_text})."
    status, why, fdr_only = _beyond_threshold(p_adjusted, p_fdr, thresholds, p_text)
    if status == "fail" or fdr_only:
        return status, f"{base}: {beyond}{why}. {advice}"
    return status, f"{base}: {beyond}{why}; it may be chance."


def _beyond_threshold(
    p_adjusted: float | None, p_fdr: float | None, thresholds: Any, p_text: str
) -> tuple[str, str, bool]:
    """Status of a gap beyond its threshold (or outside its band), the clause that says why, and
    whether it is significant only at a false discovery rate.

    One rule for representation, intent skew and response gaps, as in docs/methodology.md:
    ``fail`` when significant after the audit's correction, or always with
    ``require_significance: false``; otherwise ``warn``, saying so when the gap is significant at a
    false discovery rate of alpha (Benjamini–Hochberg) but not after Holm's correction.
    """
    if p_adjusted is not None and p_adjusted < thresholds.alpha:
        return "fail", f", and statistically significant ({p_text})", False
    if not thresholds.require_significance:
        return (
            "fail",
            f", not statistically significant ({p_text}) but failed because "
            "thresholds.require_significance is false",
            False,
        )
    if thresholds.correction == "holm" and p_fdr is not None and p_fdr < thresholds.alpha:
        return (
            "warn",
            f", significant at a false discovery rate of {thresholds.alpha:g} (Benjamini–Hochberg "
            f"p = {p_fdr:.3g}) but not after the family-wise correction ({p_text})",
            True,
        )
    return "warn", f", but not statistically significant ({p_text})", False


def _judge_all(run: _Audit) -> list[Finding]:
    """Adjust every p-value of the audit together, then let each pending finding decide."""
    correction = run.spec.thresholds.correction
    raw = np.array([np.nan if p.finding["p_value"] is None else p.finding["p_value"] for p in run.pending])
    adjusted = adjust_p(raw, correction)
    fdr = benjamini_hochberg(raw) if raw.size else raw
    findings = []
    for pending, p_adjusted, p_fdr in zip(run.pending, adjusted, fdr, strict=True):
        status, message = pending.decide(finite_or_none(p_adjusted), finite_or_none(p_fdr))
        values = {
            k: finite_or_none(v) if k in ("value", "ci_low", "ci_high", "p_value") else v
            for k, v in pending.finding.items()
        }
        values.update(p_adjusted=finite_or_none(p_adjusted), status=status, message=message)
        findings.append(Finding.model_validate(values))
    return findings + run.output.findings


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


def _correction_name(correction: str) -> str:
    return {"holm": "Holm", "bh": "Benjamini–Hochberg", "none": "unadjusted"}[correction]


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

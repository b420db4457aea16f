"""The utterances every chatbot analysis reads (one immutable value) and what each analysis returns.

:func:`read_utterances` reads the audited columns once and matches the lexicon once; the
result, an :class:`Utterances`, is what :mod:`~equityaudit.auditors.chatbot.representation`,
:mod:`~equityaudit.auditors.chatbot.intents`, :mod:`~equityaudit.auditors.chatbot.responses`
and :mod:`~equityaudit.auditors.chatbot.counterfactual` take. Each of those returns a new
:class:`Analysis` (tables, counts, evidence, notes, context) and changes nothing it is given:
the value is frozen, and its arrays are read-only.

Examples
--------
>>> from equityaudit.auditors.chatbot.lexicon import Lexicon
>>> data = Utterances.match(Lexicon.default().with_overrides(axes=["gender"]),
...                         ["a woman asked", "a man asked", "hello"], intents=["a", "b", "a"])
>>> data.rows, data.mentions["gender/women"].tolist(), data.any_axis["gender"].tolist()
(3, [True, False, False], [True, True, False])
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from equityaudit.auditors.chatbot.lexicon import Axis, Lexicon, column_name
from equityaudit.auditors.chatbot.options import ChatbotOptions, ExampleOptions
from equityaudit.judging import Evidence
from equityaudit.results import CountsTable, SampleInfo, Table
from equityaudit.sampling import stratified_sample
from equityaudit.spec import AuditSpec

if TYPE_CHECKING:
    import narwhals as nw
    import polars as pl

__all__ = ["ANY", "NONE", "Analysis", "Utterances", "display_name", "read_utterances", "reference_rate"]

ANY = "(any)"
"""Group label of the rows that mention any group of an axis."""
NONE = "(none)"
"""Group label of the rows that mention no group of an axis: the reference of comparisons."""


def display_name(axis: Axis, label: str) -> str:
    """A group's display name (its lexicon label); ``(any)`` and ``(none)`` as they are."""
    return label if label in (ANY, NONE) else axis.group(label).display


def reference_rate(row: Mapping[str, Any], metric: str) -> float | None:
    """The ``(none)`` reference's rate, from a compared row: its ``metric`` less its difference.

    (A row of :func:`~equityaudit.stats.disparity.compare_to_reference` gives the difference to
    the reference, not the reference's rate; subtracting keeps message and details consistent
    with the table.)

    Examples
    --------
    >>> reference_rate({"intent_rate": 0.25, "intent_rate_difference": 0.15}, "intent_rate")
    0.1
    """
    rate, difference = row[metric], row[f"{metric}_difference"]
    if rate is None or difference is None:
        return None
    return float(rate - difference)


@dataclass(frozen=True)
class Analysis:
    """What one analysis of the utterances returns, for the auditor to assemble and judge."""

    tables: tuple[Table, ...] = ()
    counts: tuple[CountsTable, ...] = ()
    """The sufficient statistics behind the tables (the result's ``counts``)."""
    evidence: tuple[Evidence, ...] = ()
    """Unjudged findings: the auditor judges every analysis' evidence in one call."""
    notes: tuple[str, ...] = ()
    context: Mapping[str, Any] = field(default_factory=dict)
    """Facts for the result's ``context.chatbot`` (methods, sizes, timings)."""


def _frozen(values: NDArray[Any]) -> NDArray[Any]:
    values.setflags(write=False)
    return values


@dataclass(frozen=True)
class Utterances:
    """The audited utterances with the lexicon's mentions; build it with :meth:`match`."""

    lexicon: Lexicon
    """The lexicon whose axes and groups every analysis goes through."""
    texts: tuple[str, ...]
    mention_frame: pl.DataFrame
    """One boolean column per group (``axis/group``, :func:`~.lexicon.column_name`), by row."""
    mentions: Mapping[str, NDArray[np.bool_]]
    """The columns of ``mention_frame`` as read-only numpy masks."""
    any_axis: Mapping[str, NDArray[np.bool_]]
    """By axis id: whether the utterance mentions any group of the axis."""
    intents: NDArray[Any] | None = None
    """The intent label of each utterance (``(missing)`` where it has none), if audited."""
    responses: tuple[str | None, ...] | None = None
    """The bot's response to each utterance (None where it has none), if audited."""
    ids: tuple[str, ...] | None = None
    """Row ids (``columns.id``), which redacted examples show instead of text."""
    examples_shown: ExampleOptions = field(default_factory=ExampleOptions)
    redact: bool = False
    kinship_words: int | None = None
    """Utterances with a kinship word the lexicon does not count ("my son"); None when it has none
    left uncounted."""
    matching_seconds: float = 0.0
    sample: SampleInfo | None = None
    """How the utterances were sampled from the data; ``None`` when they are every row."""

    @classmethod
    def match(
        cls,
        lexicon: Lexicon,
        texts: pl.Series | Sequence[str],
        *,
        intents: Sequence[str] | NDArray[Any] | None = None,
        responses: Sequence[str | None] | None = None,
        ids: Sequence[str] | None = None,
        examples: ExampleOptions | None = None,
        redact: bool = False,
    ) -> Utterances:
        """Match ``lexicon`` against ``texts`` (missing texts mention nothing) and hold the result."""
        import polars as pl

        series = texts if isinstance(texts, pl.Series) else pl.Series(list(texts), dtype=pl.String)
        series = series.cast(pl.String).fill_null("")
        started = time.perf_counter()
        mention_frame = lexicon.mention_frame(series)
        matching_seconds = time.perf_counter() - started
        mentions = {c: _frozen(mention_frame[c].to_numpy()) for c in mention_frame.columns}
        any_axis = {
            axis.id: _frozen(
                np.logical_or.reduce([mentions[column_name(axis.id, g.id)] for g in axis.groups])
            )
            for axis in lexicon.axes
        }
        kinship = lexicon.kinship_regex()
        return cls(
            lexicon=lexicon,
            texts=tuple(series.to_list()),
            mention_frame=mention_frame,
            mentions=MappingProxyType(mentions),
            any_axis=MappingProxyType(any_axis),
            intents=None if intents is None else _frozen(np.asarray(intents, dtype=object)),
            responses=None if responses is None else tuple(responses),
            ids=None if ids is None else tuple(ids),
            examples_shown=examples or ExampleOptions(),
            redact=redact,
            kinship_words=None if kinship is None else int(series.str.contains(kinship).sum()),
            matching_seconds=matching_seconds,
        )

    @property
    def rows(self) -> int:
        """Number of utterances."""
        return len(self.texts)

    def mentioning(self, axis_id: str) -> int:
        """How many utterances mention at least one group of the axis."""
        return int(self.any_axis[axis_id].sum())

    def shorten(self, text: str | None) -> str | None:
        """``text`` cut to ``options.examples.max_chars``, ending in '…' when cut."""
        if text is None:
            return None
        limit = self.examples_shown.max_chars
        return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

    def row_id(self, row: int) -> str:
        """The row's id (``columns.id``), or ``row N`` counted from 1."""
        return self.ids[row] if self.ids is not None else f"row {row + 1}"

    def examples(
        self, mask: NDArray[np.bool_], *, response: bool = False, order: NDArray[Any] | None = None
    ) -> list[dict[str, Any]]:
        """The first few matching rows (in data order, or in ``order``), as text or ids."""
        count = self.examples_shown.count
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
            item: dict[str, Any] = {"text": self.shorten(self.texts[row])}
            if response and self.responses is not None:
                item["response"] = self.shorten(self.responses[row])
            if self.intents is not None:
                item["intent"] = str(self.intents[row])
            shown.append(item)
        return shown


def read_utterances(
    frame: nw.LazyFrame[Any], spec: AuditSpec, options: ChatbotOptions, lexicon: Lexicon, *, redact: bool
) -> Utterances:
    """Collect the columns the options name (text, intent, response, ``columns.id``) once, and match.

    This is where the chatbot auditor leaves its backend: the lexicon's regular expressions run
    over the whole text column at once in polars, and the classifiers and examples need the texts
    in memory. Nothing after it reads the frame again. With more than ``options.sample_rows``
    rows, the utterances read are a seeded sample stratified by the intent column (proportional,
    every intent kept; one stratum without an intent column): the groups an utterance mentions
    are found in its text, so they cannot be strata before it is read
    (:func:`equityaudit.sampling.stratified_sample`).
    """
    import polars as pl

    wanted = [options.text, options.intent, options.response, spec.columns.id]
    columns = list(dict.fromkeys(c for c in wanted if c is not None))
    drawn = stratified_sample(
        frame,
        columns,
        strata=[options.intent] if options.intent is not None else [],
        cap=options.sample_rows,
        seed=spec.thresholds.seed,
        used_by=[
            "every analysis of the utterances (lexicon matching, representation, intents, responses, "
            "counterfactuals)"
        ],
        origin=spec.origin,
    )
    data = drawn.rows.to_polars()
    matched = Utterances.match(
        lexicon,
        data[options.text],
        intents=None
        if options.intent is None
        else data[options.intent].cast(pl.String).fill_null("(missing)").to_numpy(),
        responses=None if options.response is None else data[options.response].cast(pl.String).to_list(),
        ids=data[spec.columns.id].cast(pl.String).to_list() if spec.columns.id else None,
        examples=options.examples,
        redact=redact,
    )
    return replace(matched, sample=drawn.info)

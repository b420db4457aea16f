"""Identity swaps: an utterance with one group's terms turned into another's, and the pairs of a sample.

For each utterance that mentions exactly one group of an axis, every other group of the axis gives
one counterfactual: the group's swap words (and, for gender, first names) are replaced, within the
spans where the lexicon found the mention, by the other group's words at the same position
("my wife" → "my husband", "Muslim" → "Christian", "Maria" → "James"). The pairs are what
:func:`~equityaudit.auditors.chatbot.counterfactual.counterfactual_invariance` asks a classifier
about.

Examples
--------
>>> from equityaudit.auditors.chatbot.lexicon import Lexicon
>>> lexicon = Lexicon.default().with_overrides(kinship=True)  # "wife" is a mention (options.kinship)
>>> gender = lexicon.axis("gender")
>>> swap(lexicon, "My wife's order: she wants to call her.", gender, gender.group("women"), gender.group("men"))
"My husband's order: he wants to call him."
>>> religion = lexicon.axis("religion")
>>> swap(lexicon, "As a Muslim I pray at the mosque", religion, religion.group("muslim"),
...      religion.group("christian"))
'As a Christian I pray at the church'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from equityaudit.auditors.chatbot.lexicon import (
    PERSON,
    Axis,
    Group,
    Lexicon,
    _compiled_group,
    _word_pattern,
    column_name,
    plural,
)

__all__ = ["FlipPair", "PairStats", "counterfactual_pairs", "swap"]

# Words after which "her" is an object ("call her", "told her the") rather than a possessive
# ("her order"): the man's counterpart is then "him", not "his".
_OBJECT_NEXT = frozenset(
    [
        "the",
        "a",
        "an",
        "to",
        "and",
        "or",
        "for",
        "about",
        "at",
        "in",
        "on",
        "with",
        "that",
        "this",
        "again",
        "back",
        "up",
        "out",
        "yesterday",
        "today",
        "tomorrow",
        "now",
        "then",
        "but",
        "because",
        "so",
        "if",
        "when",
        "too",
        "as",
        "from",
        "by",
        "of",
        "over",
        "into",
        "please",
        "i",
        "we",
        "you",
        "they",
        "he",
        "she",
        "it",
        "is",
        "was",
        "know",
    ]
)


@dataclass(frozen=True)
class _Swapper:
    pattern: re.Pattern[str]
    lookup: Mapping[str, tuple[str, int, bool]]
    """Normalised surface form → (kind: swap|name, position, plural)."""


def _normalise(text: str) -> str:
    return re.sub(r"[\s‐‑-]+", " ", text.lower().replace("’", "'")).strip()


def _exact_words(axis: Axis) -> set[str]:
    """Words of the axis whose terms end with '!' (no plural), and every first name."""
    exact = {_normalise(t.removesuffix("!")) for g in axis.groups for t in g.terms if t.endswith("!")}
    return exact | {_normalise(n) for g in axis.groups for n in g.names}


def _swapper(lexicon: Lexicon, axis: Axis, group: Group) -> _Swapper | None:
    key = ("swapper", axis.id, group.id)
    if key in lexicon._patterns:
        cached: _Swapper | None = lexicon._patterns[key]
        return cached
    exact = _exact_words(axis)
    entries = [("swap", i, w) for i, w in enumerate(group.swap) if PERSON not in w]
    entries += [("name", i, n) for i, n in enumerate(group.names)]
    lookup: dict[str, tuple[str, int, bool]] = {}
    for kind, position, word in entries:
        lookup.setdefault(_normalise(word), (kind, position, False))
    for kind, position, word in entries:
        normal = _normalise(word)
        if normal not in exact:
            lookup.setdefault(_normalise(plural(normal, lexicon.irregular_plurals)), (kind, position, True))
    swapper = None
    if lookup:
        alternatives = sorted(lookup, key=lambda f: (-len(f), f))
        pattern = re.compile(r"(?i)\b(?:" + "|".join(_word_pattern(f) for f in alternatives) + r")\b")
        swapper = _Swapper(pattern, lookup)
    lexicon._patterns[key] = swapper
    return swapper


def _target_word(kind: str, position: int, target: Group) -> str | None:
    if kind == "name" and target.names:
        return target.names[position % len(target.names)]
    words = [w for w in target.swap if PERSON not in w]
    if not words:
        return None
    return words[position] if kind == "swap" and position < len(words) else words[0]


def _cased(word: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return word.upper()
    parts = like.split()
    if parts and all(p[:1].isupper() for p in parts):
        return " ".join(w[:1].upper() + w[1:] for w in word.split())
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def swap(lexicon: Lexicon, text: str, axis: Axis, source: Group, target: Group) -> str | None:
    """The counterfactual of ``text`` with ``source``'s mentions turned into ``target``'s.

    Only words inside the spans where the lexicon finds ``source`` are replaced; ``None`` when
    nothing could be swapped (e.g. the mention is a pattern such as "72 years old").
    """
    swapper = _swapper(lexicon, axis, source)
    if swapper is None:
        return None
    exact = _exact_words(axis)
    blanked = lexicon.blank(text, axis)
    # patterns ("72 years old") are mentions but not swappable: only term spans are swapped
    spans = [m.span() for m in _compiled_group(lexicon, axis.id, source.id, patterns=False).finditer(blanked)]
    if not spans:
        return None
    pieces: list[str] = []
    cursor = 0
    changed = False
    for start, end in spans:
        pieces.append(text[cursor:start])
        segment = text[start:end]

        def replace(match: re.Match[str], offset: int = start) -> str:
            nonlocal changed
            surface = match.group()
            kind, position, is_plural = swapper.lookup[_normalise(surface)]
            word = _target_word(kind, position, target)
            if word is None:
                return surface
            if is_plural and _normalise(word) not in exact:
                word = plural(word, lexicon.irregular_plurals)
            if _normalise(surface) == "her" and _normalise(word) == "his":
                following = re.match(r"[\s]*([\w']*)", text[offset + match.end() :])
                next_word = following.group(1).lower() if following else ""
                if not next_word or next_word in _OBJECT_NEXT:
                    word = "him"
            new = _cased(word, surface)
            changed = changed or new != surface
            return new

        pieces.append(swapper.pattern.sub(replace, segment))
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces) if changed else None


@dataclass(frozen=True)
class FlipPair:
    """One counterfactual: the row it comes from, the swap, and the two texts."""

    row: int
    axis: str
    source: str
    target: str
    text: str
    counterfactual: str


@dataclass
class PairStats:
    """Per axis: utterances eligible, sampled, skipped because they mention several groups."""

    mentioning: int = 0
    single_group: int = 0
    sampled: int = 0
    unswappable: int = 0


def counterfactual_pairs(
    lexicon: Lexicon,
    texts: Sequence[str],
    mentions: Mapping[str, NDArray[np.bool_]],
    *,
    max_utterances: int,
    seed: int,
) -> tuple[list[FlipPair], dict[str, PairStats]]:
    """Every counterfactual pair of up to ``max_utterances`` sampled utterances per axis.

    An utterance takes part when it mentions exactly one group of the axis and that group takes
    part in swaps; it yields one pair per other swappable group of the axis.
    """
    rng = np.random.default_rng(seed)
    pairs: list[FlipPair] = []
    stats: dict[str, PairStats] = {}
    for axis in lexicon.axes:
        matrix = np.column_stack([mentions[column_name(axis.id, g.id)] for g in axis.groups])
        per_row = matrix.sum(axis=1)
        swappable = np.array([g.counterfactual for g in axis.groups])
        eligible = np.flatnonzero((per_row == 1) & (matrix[:, swappable].sum(axis=1) == 1))
        record = PairStats(mentioning=int((per_row > 0).sum()), single_group=int(eligible.size))
        targets = [g for g in axis.groups if g.counterfactual]
        if eligible.size > max_utterances:
            eligible = np.sort(rng.choice(eligible, size=max_utterances, replace=False))
        record.sampled = int(eligible.size)
        for row in eligible.tolist():
            source = axis.groups[int(np.argmax(matrix[row]))]
            made = False
            for target in targets:
                if target.id == source.id:
                    continue
                counterfactual = swap(lexicon, texts[row], axis, source, target)
                if counterfactual is not None:
                    pairs.append(FlipPair(row, axis.id, source.id, target.id, texts[row], counterfactual))
                    made = True
            record.unswappable += not made
        stats[axis.id] = record
    return pairs, stats

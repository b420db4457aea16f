"""The identity lexicon of the chatbot auditor and its matcher.

The lexicon ships as package data (``data/lexicon.yaml``): demographic **axes** (gender,
race/ethnicity, religion, age, disability, sexual orientation, nationality), each with **groups**,
each group with the terms that mention it, optional raw patterns (``72 years old``), aligned swap
words for counterfactuals and, for gender, first names. A spec extends or overrides it
(:meth:`Lexicon.with_overrides`). Loading, checking, overriding and matching stay in one module
(just over 600 lines) because they share the private regex builders and their cache, which
:mod:`~equityaudit.auditors.chatbot.swaps` uses too.

Matching rules (the same in Python's ``re`` and in polars' Rust regex engine, so the fast path
over a whole column and the per-utterance path for examples and swaps agree):

- case-insensitive, on word boundaries: ``man`` matches "man", "Man's" and "men", never "manager";
- a space or hyphen between a term's words matches either: ``african american`` matches
  "African-American"; a hyphen also ends a word, so "Muslim-owned" mentions Muslims, while fixed
  compounds listed under ``exclude`` ("man-made", "old-fashioned") are blanked first;
- the last word of a term also matches its plural (``-s``, ``-es``, ``-y`` → ``-ies`` and the
  irregular plurals of the data file) unless the term ends with ``!``; possessives need nothing
  special ("woman's" is "woman" followed by an apostrophe);
- ``<person>`` stands for a person noun ("black <person>" matches "Black customers" but not
  "black phone case");
- a group's ``kinship`` words (relatives and partners: "son", "wife") are not mentions of it
  unless the lexicon is built with ``kinship=True`` (``options.kinship``): "my son" says whom the
  customer speaks of, not who the customer is.

Examples
--------
>>> lexicon = Lexicon.default()
>>> [(m.axis, m.group, m.text) for m in lexicon.find("The manager said her teenage son's refund was denied.")]
[('gender', 'women', 'her'), ('age', 'young', 'teenage')]
>>> kin = lexicon.with_overrides(kinship=True)
>>> [(m.axis, m.group, m.text) for m in kin.find("The manager said my wife's refund was denied.")]
[('gender', 'women', 'wife')]
>>> [(m.axis, m.group) for m in lexicon.find("Our Muslim-owned shop sells man-made fibres.")]
[('religion', 'muslim')]
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import TYPE_CHECKING, Any

from equityaudit.errors import SpecError, did_you_mean

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "PERSON",
    "Axis",
    "Group",
    "Lexicon",
    "Mention",
    "column_name",
    "term_regex",
]

PERSON = "<person>"
"""Placeholder in a term for any person noun of the lexicon's ``placeholders.person``."""

_SEPARATOR = r"[\s‐‑-]+"  # whitespace or a hyphen (ASCII, Unicode hyphen, non-breaking hyphen)
_TERM_SHAPE = re.compile(r"^\w(?:[\w\s'’.&+‐‑-]*\w)?$")
_APOSTROPHES = "'’"


def column_name(axis: str, group: str) -> str:
    """Name of the boolean mention column of a group: ``axis/group``.

    Examples
    --------
    >>> column_name("religion", "muslim")
    'religion/muslim'
    """
    return f"{axis}/{group}"


def _escape(word: str) -> str:
    """A word as a regular expression both Python and Rust read alike (no backslash escapes)."""
    out = []
    for char in word:
        if char.isalnum() or char == "_":
            out.append(char)
        elif char in _APOSTROPHES:
            out.append("['’]")
        else:
            out.append(f"[{char}]")
    return "".join(out)


def plural(word: str, irregular: Mapping[str, str]) -> str:
    """English plural of a word: irregular forms first, then -es, -ies or -s.

    Examples
    --------
    >>> [plural(w, {"woman": "women"}) for w in ["woman", "muslim", "lady", "boy", "church", "bus"]]
    ['women', 'muslims', 'ladies', 'boys', 'churches', 'buses']
    """
    lowered = word.lower()
    if lowered in irregular:
        return irregular[lowered]
    if lowered.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if len(lowered) > 1 and lowered.endswith("y") and lowered[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def _words(term: str) -> list[str]:
    return [w for w in re.split(r"[\s‐‑-]+", term.strip().lower()) if w]


def term_regex(term: str, *, placeholders: Mapping[str, Sequence[str]], irregular: Mapping[str, str]) -> str:
    """The regular expression (without boundaries) that matches a lexicon term.

    Examples
    --------
    >>> term_regex("african american", placeholders={}, irregular={})
    '(?:african)[\\\\s‐‑-]+(?:americans|american)'
    >>> term_regex("blind!", placeholders={}, irregular={})
    '(?:blind)'
    """
    exact = term.endswith("!")
    words = _words(term.removesuffix("!"))
    parts = []
    for position, word in enumerate(words):
        last = position == len(words) - 1
        if word == PERSON:
            nouns = placeholders.get("person", ())
            forms = {n.lower() for n in nouns}
            if last:
                forms |= {plural(n.lower(), irregular) for n in nouns}
        else:
            forms = {word}
            if last and not exact:
                forms.add(plural(word, irregular))
        alternatives = sorted(forms, key=lambda f: (-len(f), f))
        parts.append("(?:" + "|".join(_word_pattern(f) for f in alternatives) + ")")
    return _SEPARATOR.join(parts)


def _word_pattern(form: str) -> str:
    return _SEPARATOR.join(_escape(w) for w in _words(form))


@dataclass(frozen=True)
class Group:
    """One group of an axis: the terms and patterns that mention it, and its swap words."""

    id: str
    label: str
    """A plural noun phrase for messages: "utterances that mention {label}"."""
    name: str = ""
    """Short display name for tables and findings' groups ("blind/low vision"); see :attr:`display`."""
    terms: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    swap: tuple[str, ...] = ()
    """Words aligned by position with the other groups' swap words (counterfactuals)."""
    names: tuple[str, ...] = ()
    """First names, matched as mentions and swapped by position (gender)."""
    counterfactual: bool = True
    """Whether the group takes part in counterfactual swaps."""
    kinship: tuple[str, ...] = ()
    """Words for relatives and partners ("son", "wife"): mentions only in a lexicon built with
    ``kinship=True`` (:meth:`Lexicon.with_overrides`), which moves them into ``terms``."""

    @property
    def display(self) -> str:
        """The name tables and findings show: ``name``, else ``label``."""
        return self.name or self.label


@dataclass(frozen=True)
class Axis:
    """A demographic axis: its groups and the phrases never counted as mentions."""

    id: str
    label: str
    mention: str
    """How a message names any group of the axis: "a religion"."""
    groups: tuple[Group, ...]
    exclude: tuple[str, ...] = ()

    def group(self, group_id: str) -> Group:
        """The group with this id.

        Raises
        ------
        KeyError
            No such group; the message lists the nearest ids.
        """
        for group in self.groups:
            if group.id == group_id:
                return group
        raise KeyError(f"axis {self.id!r} has no group {group_id!r}. {did_you_mean(group_id, self.ids)}")

    @property
    def ids(self) -> list[str]:
        """The group ids, in lexicon order."""
        return [g.id for g in self.groups]


@dataclass(frozen=True)
class Mention:
    """One match of a group's term in a text."""

    axis: str
    group: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Lexicon:
    """Identity terms by axis and group, with the machinery to find and swap them."""

    axes: tuple[Axis, ...]
    placeholders: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    irregular_plurals: Mapping[str, str] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    refusals: tuple[str, ...] = ()
    _patterns: dict[tuple[str, str, str], Any] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Compiled and source patterns, built on first use (a lexicon is immutable)."""

    # -- loading -------------------------------------------------------------------------------

    @classmethod
    def default(cls) -> Lexicon:
        """The lexicon shipped with equityaudit (``auditors/chatbot/data/lexicon.yaml``)."""
        return _default()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, origin: str = "lexicon") -> Lexicon:
        """Build a lexicon from the data file's structure, checking every term."""
        if data.get("format") != 1:
            raise SpecError(f"{origin}: expected 'format: 1', found {data.get('format')!r}.")
        axes = []
        for axis_id, axis in (data.get("axes") or {}).items():
            groups = tuple(
                _group(str(group_id), spec, where=f"{origin}: axes.{axis_id}.groups.{group_id}")
                for group_id, spec in (axis.get("groups") or {}).items()
            )
            axes.append(
                Axis(
                    id=str(axis_id),
                    label=str(axis.get("label", axis_id)),
                    mention=str(axis.get("mention", f"a {axis_id}")),
                    groups=groups,
                    exclude=tuple(str(t) for t in axis.get("exclude") or ()),
                )
            )
        lexicon = cls(
            axes=tuple(axes),
            placeholders={k: tuple(str(w) for w in v) for k, v in (data.get("placeholders") or {}).items()},
            irregular_plurals={
                str(k).lower(): str(v).lower() for k, v in (data.get("irregular_plurals") or {}).items()
            },
            exclude=tuple(str(t) for t in data.get("exclude") or ()),
            refusals=tuple(str(t) for t in data.get("refusals") or ()),
        )
        lexicon.validate(origin=origin)
        return lexicon

    def validate(self, *, origin: str = "lexicon") -> None:
        """Check every term's shape and that every pattern compiles.

        Raises
        ------
        SpecError
            A term is malformed or a pattern does not compile; the message names it.
        """
        for axis in self.axes:
            if not axis.groups:
                raise SpecError(f"{origin}: axis {axis.id!r} has no groups.")
            for group in axis.groups:
                where = f"{origin}: {axis.id}.{group.id}"
                if not (group.terms or group.patterns or group.names):
                    raise SpecError(f"{where}: the group has no terms, patterns or names.")
                for term in (*group.terms, *group.names, *group.swap, *group.kinship):
                    _check_term(term, where=where)
                for pattern in group.patterns:
                    try:
                        re.compile(pattern)
                    except re.error as exc:
                        raise SpecError(
                            f"{where}: pattern {pattern!r} is not a regular expression: {exc}."
                        ) from None
            for term in axis.exclude:
                _check_term(term, where=f"{origin}: {axis.id}.exclude")
        for term in (*self.exclude, *self.refusals):
            _check_term(term, where=f"{origin}: exclude/refusals")

    def with_overrides(
        self,
        *,
        extend: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
        replace_terms: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
        remove: Mapping[str, Sequence[str]] | None = None,
        exclude: Sequence[str] = (),
        axes: Sequence[str] | None = None,
        kinship: bool = False,
        origin: str = "options.lexicon",
    ) -> Lexicon:
        """A copy with a spec's changes: extra terms (new groups and axes too), replaced terms,
        removed groups, extra excluded phrases, a selection of axes, and (``kinship=True``) the
        groups' kinship words counted as mentions.

        Examples
        --------
        >>> lexicon = Lexicon.default().with_overrides(extend={"religion": {"muslim": ["ummah"]}},
        ...     axes=["religion"])
        >>> [a.id for a in lexicon.axes], [m.group for m in lexicon.find("The ummah helped.")]
        (['religion'], ['muslim'])
        """
        by_id = {a.id: a for a in self.axes}
        if kinship:
            by_id = {
                a.id: replace(
                    a,
                    groups=tuple(
                        replace(g, terms=(*g.terms, *g.kinship), kinship=()) if g.kinship else g
                        for g in a.groups
                    ),
                )
                for a in self.axes
            }
        for axis_id, groups in (replace_terms or {}).items():
            axis = _axis(by_id, axis_id, f"{origin}.replace")
            updated = []
            known = axis.ids
            for group_id in groups:
                if group_id not in known:
                    raise SpecError(
                        f"{origin}.replace.{axis_id}: axis {axis_id!r} has no group {group_id!r}. "
                        f"{did_you_mean(group_id, known)} (use options.lexicon.extend to add a group)"
                    )
            for group in axis.groups:
                if group.id in groups:
                    terms = tuple(str(t) for t in groups[group.id])
                    group = replace(group, terms=terms, patterns=(), names=(), swap=_plain(terms), kinship=())
                updated.append(group)
            by_id[axis_id] = replace(axis, groups=tuple(updated))
        for axis_id, groups in (extend or {}).items():
            axis = by_id.get(axis_id) or Axis(
                id=axis_id,
                label=axis_id.replace("_", " "),
                mention=f"a {axis_id.replace('_', ' ')}",
                groups=(),
            )
            current = {g.id: g for g in axis.groups}
            for group_id, given in groups.items():
                added = tuple(str(t) for t in given)
                if group_id in current:
                    group = current[group_id]
                    current[group_id] = replace(group, terms=(*group.terms, *added))
                else:
                    current[group_id] = Group(
                        id=group_id, label=group_id.replace("_", " "), terms=added, swap=_plain(added)
                    )
            by_id[axis_id] = replace(axis, groups=tuple(current.values()))
        for axis_id, group_ids in (remove or {}).items():
            axis = _axis(by_id, axis_id, f"{origin}.remove")
            for group_id in group_ids:
                if group_id not in axis.ids:
                    raise SpecError(
                        f"{origin}.remove.{axis_id}: axis {axis_id!r} has no group {group_id!r}. "
                        f"{did_you_mean(group_id, axis.ids)}"
                    )
            kept = tuple(g for g in axis.groups if g.id not in set(group_ids))
            if not kept:
                raise SpecError(
                    f"{origin}.remove.{axis_id}: removing every group leaves the axis empty; "
                    f"leave {axis_id!r} out of options.axes instead."
                )
            by_id[axis_id] = replace(axis, groups=kept)
        chosen = list(by_id)
        if axes is not None:
            for axis_id in axes:
                if axis_id not in by_id:
                    raise SpecError(f"options.axes: unknown axis {axis_id!r}. {did_you_mean(axis_id, by_id)}")
            chosen = list(dict.fromkeys(axes))
        lexicon = replace(
            self,
            axes=tuple(by_id[a] for a in chosen),
            exclude=(*self.exclude, *(str(t) for t in exclude)),
        )
        lexicon.validate(origin=origin)
        return lexicon

    # -- regular expressions --------------------------------------------------------------------

    def axis(self, axis_id: str) -> Axis:
        """The axis with this id."""
        for axis in self.axes:
            if axis.id == axis_id:
                return axis
        raise KeyError(f"no axis {axis_id!r}. {did_you_mean(axis_id, [a.id for a in self.axes])}")

    def _term(self, term: str) -> str:
        return term_regex(term, placeholders=self.placeholders, irregular=self.irregular_plurals)

    def group_regex(self, axis: Axis, group: Group) -> str:
        """Case-insensitive pattern matching any mention of the group (Python and Rust syntax)."""
        return _group_regex(self, axis.id, group.id)

    def exclusion_regex(self, axis: Axis) -> str | None:
        """Pattern of the phrases blanked before matching the axis, or None."""
        return _exclusion_regex(self, axis.id)

    def kinship_regex(self) -> str | None:
        """Case-insensitive pattern matching any kinship word not counted as a mention, or None
        (every group's ``kinship`` words; empty in a lexicon built with ``kinship=True``)."""
        words = {self._term(t) for a in self.axes for g in a.groups for t in g.kinship}
        if not words:
            return None
        return r"(?i)\b(?:" + "|".join(sorted(words, key=lambda p: (-len(p), p))) + r")\b"

    def refusal_regex(self) -> str:
        """Case-insensitive pattern matching any refusal phrase (for bot responses)."""
        alternatives = sorted({self._term(t + "!") for t in self.refusals}, key=lambda p: (-len(p), p))
        return r"(?i)\b(?:" + "|".join(alternatives) + r")\b"

    # -- matching --------------------------------------------------------------------------------

    def blank(self, text: str, axis: Axis) -> str:
        """The text with the axis' excluded phrases replaced by spaces of the same length."""
        pattern = _compiled_exclusion(self, axis.id)
        if pattern is None:
            return text
        return pattern.sub(lambda m: " " * len(m.group()), text)

    def find(self, text: str) -> list[Mention]:
        """Every mention in a text, by axis and group, in lexicon order.

        Examples
        --------
        >>> [(m.group, m.text) for m in Lexicon.default().find("Two Black women and a 72-year-old")]
        [('women', 'women'), ('black', 'Black women'), ('older', '72-year-old')]
        """
        found = []
        for axis in self.axes:
            blanked = self.blank(text, axis)
            for group in axis.groups:
                for match in _compiled_group(self, axis.id, group.id).finditer(blanked):
                    found.append(
                        Mention(
                            axis.id, group.id, match.start(), match.end(), text[match.start() : match.end()]
                        )
                    )
        return found

    def mention_frame(self, texts: pl.Series) -> pl.DataFrame:
        """One boolean column per group (``axis/group``): whether each text mentions it.

        The whole column is matched at once by polars (one compiled pattern per group, the
        axis' exclusions blanked first); missing texts mention nothing.

        Examples
        --------
        >>> import polars as pl
        >>> frame = Lexicon.default().mention_frame(pl.Series(["a woman", "the manager", None]))
        >>> frame["gender/women"].to_list(), frame["gender/men"].to_list()
        ([True, False, False], [False, False, False])
        """
        import polars as pl

        frame = pl.DataFrame({"__text": texts.cast(pl.String).fill_null("")}).lazy()
        blanked = []
        for index, axis in enumerate(self.axes):
            exclusion = self.exclusion_regex(axis)
            column = pl.col("__text")
            if exclusion is not None:
                column = column.str.replace_all(exclusion, " ")
            blanked.append(column.alias(f"__axis{index}"))
        frame = frame.with_columns(blanked)
        columns = [
            pl.col(f"__axis{index}")
            .str.contains(self.group_regex(axis, group))
            .alias(column_name(axis.id, group.id))
            for index, axis in enumerate(self.axes)
            for group in axis.groups
        ]
        return frame.select(columns).collect()

    def fingerprint(self) -> str:
        """SHA-256 of the lexicon's content (recorded in results)."""
        payload = {
            "axes": [
                {
                    "id": a.id,
                    "exclude": a.exclude,
                    "groups": [
                        [g.id, g.terms, g.patterns, g.swap, g.names, g.counterfactual, g.kinship]
                        for g in a.groups
                    ],
                }
                for a in self.axes
            ],
            "placeholders": dict(self.placeholders),
            "irregular": dict(self.irregular_plurals),
            "exclude": self.exclude,
            "refusals": self.refusals,
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _plain(terms: Iterable[str]) -> tuple[str, ...]:
    """Swap words for user-given terms: those without a placeholder, '!' removed."""
    return tuple(t.removesuffix("!") for t in terms if PERSON not in t)


def _check_term(term: str, *, where: str) -> None:
    shape = term.removesuffix("!").replace(PERSON, "person").strip()
    if not _TERM_SHAPE.match(shape) or "!" in shape:
        raise SpecError(
            f"{where}: term {term!r} is not a usable term: it should start and end with a letter or "
            "digit and hold only letters, digits, spaces, hyphens, apostrophes and periods "
            "(a trailing '!' turns off plurals; <person> stands for a person noun)."
        )


def _group(group_id: str, spec: Mapping[str, Any], *, where: str) -> Group:
    if not isinstance(spec, Mapping):
        raise SpecError(f"{where}: expected a mapping with 'terms', found {spec!r}.")
    allowed = {"label", "name", "terms", "patterns", "swap", "names", "counterfactual", "kinship"}
    for key in spec:
        if key not in allowed:
            raise SpecError(f"{where}: unknown key {key!r}. {did_you_mean(str(key), allowed)}")
    return Group(
        id=group_id,
        label=str(spec.get("label", group_id)),
        name=str(spec.get("name", "")),
        terms=tuple(str(t) for t in spec.get("terms") or ()),
        patterns=tuple(str(p) for p in spec.get("patterns") or ()),
        swap=tuple(str(s) for s in spec.get("swap") or ()),
        names=tuple(str(n) for n in spec.get("names") or ()),
        counterfactual=bool(spec.get("counterfactual", True)),
        kinship=tuple(str(t) for t in spec.get("kinship") or ()),
    )


def _axis(by_id: Mapping[str, Axis], axis_id: str, where: str) -> Axis:
    if axis_id not in by_id:
        raise SpecError(f"{where}: unknown axis {axis_id!r}. {did_you_mean(axis_id, by_id)}")
    return by_id[axis_id]


@functools.cache
def _default() -> Lexicon:
    import yaml

    text = (
        resources.files("equityaudit.auditors.chatbot")
        .joinpath("data")
        .joinpath("lexicon.yaml")
        .read_text("utf-8")
    )
    return Lexicon.from_mapping(yaml.safe_load(text), origin="equityaudit lexicon.yaml")


def _cached(lexicon: Lexicon, kind: str, axis_id: str, group_id: str, build: Any) -> Any:
    key = (kind, axis_id, group_id)
    if key not in lexicon._patterns:
        lexicon._patterns[key] = build()
    return lexicon._patterns[key]


def _group_regex(lexicon: Lexicon, axis_id: str, group_id: str, *, patterns: bool = True) -> str:
    def build() -> str:
        group = lexicon.axis(axis_id).group(group_id)
        alternatives = {lexicon._term(t) for t in group.terms} | {lexicon._term(n + "!") for n in group.names}
        ordered = sorted(alternatives, key=lambda p: (-len(p), p))
        if patterns:
            ordered += [f"(?:{p})" for p in group.patterns]
        return r"(?i)\b(?:" + "|".join(ordered or [r"[^\s\S]"]) + r")\b"

    result: str = _cached(lexicon, "group" if patterns else "terms", axis_id, group_id, build)
    return result


def _exclusion_regex(lexicon: Lexicon, axis_id: str) -> str | None:
    def build() -> str | None:
        axis = lexicon.axis(axis_id)
        phrases = {lexicon._term(t) for t in (*lexicon.exclude, *axis.exclude)}
        if not phrases:
            return None
        return r"(?i)\b(?:" + "|".join(sorted(phrases, key=lambda p: (-len(p), p))) + r")\b"

    result: str | None = _cached(lexicon, "exclude", axis_id, "", build)
    return result


def _compiled_group(
    lexicon: Lexicon, axis_id: str, group_id: str, *, patterns: bool = True
) -> re.Pattern[str]:
    """The group's pattern compiled for Python; without ``patterns`` only its terms and names."""
    compiled: re.Pattern[str] = _cached(
        lexicon,
        "group-re" if patterns else "terms-re",
        axis_id,
        group_id,
        lambda: re.compile(_group_regex(lexicon, axis_id, group_id, patterns=patterns)),
    )
    return compiled


def _compiled_exclusion(lexicon: Lexicon, axis_id: str) -> re.Pattern[str] | None:
    def build() -> re.Pattern[str] | None:
        source = _exclusion_regex(lexicon, axis_id)
        return None if source is None else re.compile(source)

    compiled: re.Pattern[str] | None = _cached(lexicon, "exclude-re", axis_id, "", build)
    return compiled

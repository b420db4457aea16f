"""The chatbot auditor's identity lexicon: matching on tricky text, the two engines agree, swaps.

Every expected match below is written by hand from the lexicon's documented rules (word
boundaries, case, plurals, possessives, hyphens, multi-word terms, exclusions).
"""

from __future__ import annotations

import polars as pl
import pytest

from equityaudit.auditors.chatbot.lexicon import Lexicon
from equityaudit.auditors.chatbot.swaps import swap
from equityaudit.errors import SpecError

LEXICON = Lexicon.default()
KINSHIP = LEXICON.with_overrides(kinship=True)  # options.kinship: true


def groups(text: str) -> set[tuple[str, str]]:
    return {(m.axis, m.group) for m in LEXICON.find(text)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # word boundaries: never inside a word
        ("Please ask the manager about my order", set()),
        ("The mandatory fields of the Human Resources form", set()),
        ("I need a refund, man", {("gender", "men")}),
        ("His order", {("gender", "men")}),
        ("This is history", set()),
        ("The hermit crab toy", set()),
        # case
        ("A WOMAN ORDERED IT", {("gender", "women")}),
        ("a Muslim customer", {("religion", "muslim")}),
        # plurals, regular and irregular
        ("Two women called", {("gender", "women")}),
        ("the Muslims in our town", {("religion", "muslim")}),
        ("my grandchildren and their children", {("age", "children")}),
        ("ladies' shoes", {("gender", "women")}),
        # possessives, straight and curly apostrophes
        ("the man's card", {("gender", "men")}),
        ("the lady’s laptop", {("gender", "women")}),
        ("the Jews' holiday", {("religion", "jewish")}),
        # hyphens: a separator inside multi-word terms and after a term, fixed compounds excluded
        ("African-American customers", {("race_ethnicity", "black")}),
        ("African American customers", {("race_ethnicity", "black")}),
        ("a Muslim-owned shop", {("religion", "muslim")}),
        ("man-made fibres", set()),
        ("an old-fashioned kettle", set()),
        ("a middle-aged driver", {("age", "middle_aged")}),
        ("a non-binary shopper", {("gender", "trans_nonbinary")}),
        # multi-word terms and placeholders
        ("I am hard of hearing", {("disability", "deaf_hard_of_hearing")}),
        ("a black phone case", set()),
        ("Black customers were refused", {("race_ethnicity", "black")}),
        ("the Black Friday sale", set()),
        ("my old password expired", set()),
        ("an old man asked", {("age", "older"), ("gender", "men")}),
        # '!' terms get no plural: window blinds are not blind people
        ("the blinds arrived broken", set()),
        ("I am blind", {("disability", "blind_low_vision")}),
        # patterns
        ("I'm 72 years old", {("age", "older")}),
        ("my 8-year-old", {("age", "children")}),
        ("my account is disabled", set()),
        ("I'm disabled", {("disability", "disabled_general")}),
        # axis-specific exclusions: 'American Indian' is race, not a nationality
        ("an American Indian artist", {("race_ethnicity", "native_american")}),
        ("French fries were cold", set()),
        # toy and game characters are names, not men or women: without the gender axis' exclusions
        # the hyphen would end "He" and start "Man" ("Man" alone still counts)
        ("a He-Man toy and a She-Ra castle", set()),
        ("the X-Men figure and an X-Man mug", set()),
        ("Spider-Man pyjamas and a Pac-Man game", set()),
        ("He-Man is for him", {("gender", "men")}),
        # cuisine, currency and goods named after a country are not its people (global exclusions)
        ("the Indian restaurant delivered late", set()),
        ("two Turkish towels and Turkish coffee", set()),
        ("charged in British pounds, not Canadian dollars", set()),
        ("Egyptian cotton sheets and Indian ink", set()),
        ("a Chinese restaurant gift card", set()),
        ("Turkish delight, Swiss cheese, English muffins and French toast", set()),
        ("Danish pastry and Brazil nuts", set()),  # neither "danish" nor "brazil" is a term
        # the same nationality words before a person noun or alone are still mentions
        ("an Indian customer asked", {("nationality", "indian")}),
        ("I am British", {("nationality", "british")}),
    ],
)
def test_matcher_on_tricky_text(text: str, expected: set[tuple[str, str]]) -> None:
    assert groups(text) == expected


WOMEN, MEN = {("gender", "women")}, {("gender", "men")}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # honorifics are written like "mr!" in data/lexicon.yaml: a whole word, no plural; the
        # abbreviation's period is not a word character, so "Ms." ends on a word boundary
        ("Ms. Smith called", WOMEN),
        ("Ms Smith called", WOMEN),
        ("Mrs. Jones called", WOMEN),
        ("Mrs Jones called", WOMEN),
        ("Thank you, madam.", WOMEN),
        ("Yes ma'am", WOMEN),
        ("Yes ma’am", WOMEN),  # curly apostrophe
        ("Miss Lee called", WOMEN),
        ("Mr. Smith called", MEN),
        ("Mr Smith called", MEN),
        ("Mister Lee called", MEN),
        ("Thank you, sir.", MEN),
        # never inside a word, and no plural ('!')
        ("the items and forms arrived", set()),
        ("the MRSA test kit", set()),
        ("a sirloin steak", set()),
        ("the madams", set()),
        ("the misters", set()),
        # "miss" the verb is not a woman; only "Miss" before a capitalised name is
        ("I miss my order", set()),
        ("Will I miss the delivery?", set()),
        ("miss lee called", set()),
        ("Don't Miss Out on the sale", set()),  # excluded phrase
        # "MS" as Microsoft's abbreviation is excluded
        ("MS Word crashed", set()),
        ("my ms office licence", set()),
    ],
)
def test_honorifics_count_for_their_gender(text: str, expected: set[tuple[str, str]]) -> None:
    assert groups(text) == expected


def test_polars_and_python_engines_agree() -> None:
    texts = [
        "The MAN's card",
        "African-American customers",
        "I’m disabled and Mr. Jones’s son",
        "a trans woman and her wife",
        "Zoë, a Muslim-owned café",
        "two 45-year-old Latinas",
        "",
        "manager mandate womanhood",
        "Ms. Smith and Miss Lee met Mr Jones, sir",
        "I miss my MS Word file, madam; Don't Miss Out",
        "a He-Man toy for my son, X-Men mugs; the Indian restaurant took British pounds from an Indian man",
    ]
    frame = LEXICON.mention_frame(pl.Series(texts))
    for row, text in enumerate(texts):
        python = {f"{m.axis}/{m.group}" for m in LEXICON.find(text)}
        rust = {column for column in frame.columns if frame[column][row]}
        assert python == rust, text


def test_missing_text_mentions_nothing() -> None:
    frame = LEXICON.mention_frame(pl.Series([None, "a woman"], dtype=pl.String))
    assert frame["gender/women"].to_list() == [False, True]


def test_overrides_extend_replace_remove_exclude_and_select() -> None:
    lexicon = LEXICON.with_overrides(
        extend={"religion": {"muslim": ["ummah"]}, "caste": {"dalit": ["dalit"]}},
        replace_terms={"age": {"older": ["pensioner"]}},
        remove={"nationality": ["german"]},
        exclude=["old man cave"],
        axes=["religion", "age", "caste", "nationality"],
    )
    assert [a.id for a in lexicon.axes] == ["religion", "age", "caste", "nationality"]
    assert {(m.axis, m.group) for m in lexicon.find("The ummah and a Dalit pensioner")} == {
        ("religion", "muslim"),
        ("caste", "dalit"),
        ("age", "older"),
    }
    assert lexicon.find("a retiree") == []  # replaced
    assert "german" not in lexicon.axis("nationality").ids


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"replace_terms": {"religon": {"muslim": ["x"]}}},
            "unknown axis 'religon'. Did you mean 'religion'?",
        ),
        ({"replace_terms": {"religion": {"muslimm": ["x"]}}}, "Did you mean 'muslim'?"),
        ({"remove": {"age": ["olderr"]}}, "Did you mean 'older'?"),
        ({"axes": ["gendr"]}, "unknown axis 'gendr'. Did you mean 'gender'?"),
        ({"extend": {"religion": {"muslim": ["-bad term"]}}}, "term '-bad term' is not a usable term"),
    ],
)
def test_override_errors_name_the_key_and_the_nearest_value(change: dict[str, object], message: str) -> None:
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace("?", r"\?")):
        LEXICON.with_overrides(**change)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "axis", "source", "target", "expected"),
    [
        (
            "My wife's order: she wants to call her.",
            "gender",
            "women",
            "men",
            "My husband's order: he wants to call him.",
        ),
        ("Her order is late", "gender", "women", "men", "His order is late"),
        ("HIS SON", "gender", "men", "women", "HER DAUGHTER"),
        ("Hi, this is Mary.", "gender", "women", "men", "Hi, this is James."),
        ("Two Muslims at the mosque", "religion", "muslim", "jewish", "Two Jews at the synagogue"),
        ("Black customers", "race_ethnicity", "black", "white", "White customers"),
        ("I'm 72 years old", "age", "older", "young", None),  # a pattern has no swap words
        # honorifics swap by position: mrs, ms, madam, ma'am ↔ mr, mr, sir, sir; mister ↔ ms
        ("Ms. Smith called", "gender", "women", "men", "Mr. Smith called"),
        ("Thank you, madam", "gender", "women", "men", "Thank you, sir"),
        ("Mr Smith called", "gender", "men", "women", "Mrs Smith called"),
        ("Mister Lee called", "gender", "men", "women", "Ms Lee called"),
        ("Miss Lee called", "gender", "women", "men", None),  # "Miss" is a pattern: not swapped
    ],
)
def test_counterfactual_swaps(text: str, axis: str, source: str, target: str, expected: str | None) -> None:
    # with options.kinship: true, so that relatives ("wife", "son") are mentions and swapped too
    the_axis = KINSHIP.axis(axis)
    assert swap(KINSHIP, text, the_axis, the_axis.group(source), the_axis.group(target)) == expected


def test_kinship_words_are_not_swapped_by_default() -> None:
    # "wife" is no mention without options.kinship, so only "she" and "her" change
    gender = LEXICON.axis("gender")
    out = swap(
        LEXICON, "My wife's order: she wants to call her.", gender, gender.group("women"), gender.group("men")
    )
    assert out == "My wife's order: he wants to call him."


@pytest.mark.parametrize(
    ("text", "default", "with_kinship"),
    [
        # relatives and partners say whom the customer speaks of: no gender mention by default
        ("This is for my son.", set(), MEN),
        ("My wife set up the account", set(), WOMEN),
        ("my grandson and granddaughter", set(), MEN | WOMEN),
        ("my MOTHER-in-law", set(), WOMEN),
        # a gendered word that is not kinship still counts either way
        ("she bought it for my son", WOMEN, WOMEN | MEN),
        # whole words: "son" is not inside "person", "Sonia", "season" or "mason"
        ("the person named Sonia paid for a season pass from a mason", set(), set()),
    ],
)
def test_kinship_words_count_only_with_the_option(
    text: str, default: set[tuple[str, str]], with_kinship: set[tuple[str, str]]
) -> None:
    assert groups(text) == default
    assert {(m.axis, m.group) for m in KINSHIP.find(text)} == with_kinship


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # inflections of "teen": the noun, its plural, the adjective and the noun in -ager
        ("my teen wants a refund", "teen"),
        ("both teens want a refund", "teens"),
        ("a teenage customer", "teenage"),
        ("a teenaged shopper", "teenaged"),
        ("two teenagers asked", "teenagers"),
        ("the youth team", "youth"),
    ],
)
def test_inflections_of_age_terms_are_young_people(text: str, expected: str) -> None:
    found = [(m.axis, m.group, m.text) for m in LEXICON.find(text)]
    assert found == [("age", "young", expected)]
    assert LEXICON.mention_frame(pl.Series([text]))["age/young"].to_list() == [True]


def test_swaps_stay_inside_the_mention() -> None:
    """'black' is swapped in 'Black customer', not in 'black phone case' of the same utterance."""
    race = LEXICON.axis("race_ethnicity")
    out = swap(
        LEXICON, "A Black customer bought a black phone case", race, race.group("black"), race.group("asian")
    )
    assert out == "A Asian customer bought a black phone case"


def test_the_default_lexicon_ships_in_the_package() -> None:
    from importlib import resources

    data = resources.files("equityaudit.auditors.chatbot").joinpath("data").joinpath("lexicon.yaml")
    assert data.is_file()
    assert {a.id for a in LEXICON.axes} == {
        "gender",
        "race_ethnicity",
        "religion",
        "age",
        "disability",
        "sexual_orientation",
        "nationality",
    }

"""Synthetic customer-service utterances with injected, documented identity bias.

:func:`make_chatbot` writes one row per (entirely fictional) customer message to an online shop's
chatbot: an utterance, its intent label and the bot's response. Three biases are injected, each on
its own axis, with **exact** counts (every cell's size is allocated by largest remainder, then the
rows are shuffled), so an audit finds them and nothing else:

============================  ==============================================================
axis                          injected bias (defaults)
============================  ==============================================================
gender                        representation: of the utterances that mention a gender, 66 %
                              mention men, 30 % women and 4 % transgender or nonbinary people
                              (:data:`GENDER_SHARES`)
religion                      intent skew: utterances that mention Muslims are labelled
                              ``refund_denied`` 4 times as often as others (32 % vs 8 %; the
                              other intents shrink in proportion) (``intent_skew``)
disability                    response gap: the bot refuses 25 % of the utterances that mention
                              a disability and 4 % of all others (``refusal_rates``)
============================  ==============================================================

The other four axes — race/ethnicity, age, sexual orientation, nationality — are unbiased: their
groups are mentioned equally often, with the base intent mix and the base refusal rate.

Columns
-------
utterance_id : str
    ``"c000001"``, … in row order.
text : str
    One identity sentence (for 75 % of rows; the rest mention no identity) followed by a request.
    The identity sentence mentions exactly one group of one axis of the built-in lexicon; the
    request mentions none. 30 % of requests are generic ("I need help with order #…") and do not
    reveal their intent, so a classifier can only guess it from the rest of the text.
intent : str
    One of :data:`INTENTS`, drawn with :data:`BASE_INTENT_SHARES` except where skewed.
response : str
    A helpful templated answer for the intent, or a refusal ("I'm sorry, but …").

Mechanism
---------
Rows mentioning an identity are split equally over the seven axes, and within an axis equally
over its groups (gender: :data:`GENDER_SHARES`). Within each group — and within the rows that
mention nothing — intents are allocated exactly by their shares, and refusals exactly by the
group's refusal rate, independently of the intent. With ``balanced=True`` every injection is off
(gender groups equal, no skew, one refusal rate): the same generator gives the unbiased twin used
to test that a classifier trained on it flips less.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Final

import numpy as np
import pandas as pd

from equityaudit.errors import SpecError

__all__ = [
    "AXES",
    "BASE_INTENT_SHARES",
    "CHATBOT_COLUMNS",
    "GENDER_SHARES",
    "INTENTS",
    "MENTION_SHARE",
    "make_chatbot",
]

CHATBOT_COLUMNS: Final = ("utterance_id", "text", "intent", "response")
"""The columns of :func:`make_chatbot`'s frame, in order."""

BASE_INTENT_SHARES: Final[Mapping[str, float]] = MappingProxyType(
    {
        "order_status": 0.22,
        "delivery_issue": 0.16,
        "refund_request": 0.14,
        "account_access": 0.12,
        "product_question": 0.12,
        "refund_denied": 0.08,
        "cancel_subscription": 0.08,
        "fraud_report": 0.08,
    }
)
"""Intent mix of every group but the skewed one."""

INTENTS: Final = tuple(BASE_INTENT_SHARES)
"""The intent labels."""

MENTION_SHARE: Final = 0.75
"""Share of utterances with an identity sentence."""

GENERIC_SHARE: Final = 0.40
"""Share of refund requests and denied-refund complaints worded alike ("I want my money back for
order #…"): their intent is not in the words, so a classifier can only guess it from the rest."""

_AMBIGUOUS: Final = ("refund_request", "refund_denied")

GENDER_SHARES: Final[Mapping[str, float]] = MappingProxyType(
    {"men": 0.66, "women": 0.30, "trans_nonbinary": 0.04}
)
"""Injected shares of the gender mentions."""

SKEWED_GROUP: Final = ("religion", "muslim", "refund_denied")
"""The group whose intent mix is skewed, and the intent that is inflated."""

# Identity sentences per (axis, group): each mentions exactly that group of the built-in lexicon.
AXES: Final[Mapping[str, Mapping[str, tuple[str, ...]]]] = MappingProxyType(
    {
        "gender": {
            # self-descriptions the lexicon counts by default; relatives ("my husband") count only
            # with options.kinship, so they would make a balanced draw unbalanced without it
            "men": (
                "I'm a man who orders here often.",
                "As a male customer, I have a question.",
                "I'm a guy with a question.",
                "As a gentleman who shops here, I need help.",
                "Hi, this is {male}, a man with a question.",
            ),
            "women": (
                "I'm a woman who orders here often.",
                "As a female customer, I have a question.",
                "I'm a lady with a question.",
                "As a businesswoman who shops here, I need help.",
                "Hi, this is {female}, a woman with a question.",
            ),
            "trans_nonbinary": (
                "I'm nonbinary.",
                "I'm a transgender customer.",
                "As a non-binary shopper, I have a question.",
            ),
        },
        "race_ethnicity": {
            "black": ("I'm a Black customer.", "As an African American shopper, I have a question."),
            "white": ("I'm a white customer.", "As a Caucasian shopper, I have a question."),
            "asian": ("I'm Asian.", "As an Asian American shopper, I have a question."),
            "hispanic_latino": ("I'm Hispanic.", "As a Latina shopper, I have a question."),
            "native_american": ("I'm Native American.", "As an Indigenous customer, I have a question."),
            "pacific_islander": (
                "I'm a Pacific Islander.",
                "As a Native Hawaiian shopper, I have a question.",
            ),
            "middle_eastern": ("I'm Arab.", "As a Middle Eastern shopper, I have a question."),
            "multiracial": ("I'm biracial.", "As a mixed-race shopper, I have a question."),
            "people_of_color": ("As a person of color, I have a question.",),
        },
        "religion": {
            "christian": ("I'm a Christian.", "I'm buying this for my church."),
            "muslim": ("I'm a Muslim.", "I'm buying this for my mosque."),
            "jewish": ("I'm Jewish.", "I'm buying this for my synagogue."),
            "hindu": ("I'm a Hindu.", "I'm buying this for Diwali."),
            "buddhist": ("I'm a Buddhist.", "I'm buying this for a Buddhist temple."),
            "sikh": ("I'm a Sikh.", "I'm buying this for my gurdwara."),
            "atheist": ("I'm an atheist.", "I'm agnostic, for what it's worth."),
            "other_faith": ("I'm a pagan.", "As a Wiccan, I have a question."),
        },
        "age": {
            "children": ("This is for my kid.", "I'm buying this for my toddler."),
            "young": ("I'm a teenager.", "I'm 19 years old."),
            "middle_aged": ("I'm middle-aged.", "I'm 45 years old."),
            "older": ("I'm a retiree.", "I'm 72 years old.", "As a senior citizen, I have a question."),
        },
        "disability": {
            "blind_low_vision": ("I'm blind.", "I use a screen reader."),
            "deaf_hard_of_hearing": ("I'm deaf.", "I'm hard of hearing."),
            "mobility": ("I'm a wheelchair user.", "I use a wheelchair."),
            "cognitive_neurodivergent": ("I'm autistic.", "I have dyslexia."),
            "mental_health": ("I have bipolar disorder.", "I live with PTSD."),
            "chronic_illness": ("I'm diabetic.", "I have a chronic illness."),
            "disabled_general": ("I have a disability.", "I'm disabled."),
            "non_disabled": ("I'm able-bodied.", "I'm neurotypical, for what it's worth."),
        },
        "sexual_orientation": {
            "gay": ("I'm gay.", "My partner and I are a gay couple."),
            "lesbian": ("I'm a lesbian.", "My partner and I are lesbians."),
            "bisexual": ("I'm bisexual.", "I'm pansexual."),
            "straight": ("We're a straight couple.", "I'm heterosexual."),
            "queer_asexual": ("I'm queer.", "I'm asexual."),
            "lgbtq": ("As an LGBTQ shopper, I have a question.",),
        },
        "nationality": {
            "american": ("I'm American.",),
            "mexican": ("I'm Mexican.",),
            "canadian": ("I'm Canadian.",),
            "british": ("I'm British.",),
            "chinese": ("I'm Chinese.",),
            "indian": ("I'm Indian.",),
            "filipino": ("I'm Filipino.",),
            "nigerian": ("I'm Nigerian.",),
            "german": ("I'm German.",),
            "immigrant": ("I'm an immigrant.", "I'm a refugee."),
            "other_nationality": ("I'm Brazilian.", "I'm Ukrainian."),
        },
    }
)
"""Identity sentences by axis and group (``{male}``/``{female}``: a first name of the lexicon)."""

_FEMALE = ("Maria", "Jennifer", "Aisha", "Emily", "Priya", "Keisha", "Sarah", "Mei")
_MALE = ("James", "John", "Ahmed", "Daniel", "Raj", "Jamal", "David", "Wei")

_REQUESTS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "order_status": (
            "Where is my order #{n}?",
            "Can you tell me when order #{n} will ship?",
            "What's the status of my {product} order?",
            "Has order #{n} shipped yet?",
            "I need a tracking update for the {product} I bought on {day}.",
        ),
        "delivery_issue": (
            "My {product} arrived damaged.",
            "The courier left my {product} at the wrong address.",
            "Order #{n} was marked delivered but never arrived.",
            "The box for order #{n} was empty.",
            "My {product} arrived broken on {day}.",
        ),
        "refund_request": (
            "I'd like a refund for the {product}.",
            "How do I return order #{n} for a refund?",
            "Please refund my {product}, it doesn't fit.",
            "Can I get my money back for order #{n}?",
        ),
        "refund_denied": (
            "Why was my refund for order #{n} rejected?",
            "You refused to refund my {product}, I want an explanation.",
            "My refund request for #{n} was denied again.",
            "I was told my {product} is not eligible for a refund.",
        ),
        "account_access": (
            "I can't log into my account since {day}.",
            "My password reset email never arrives.",
            "My account was locked after I tried to log in on {day}.",
            "How do I change the email on account {n}?",
        ),
        "product_question": (
            "Does the {product} come in other colours?",
            "Is the {product} compatible with my phone?",
            "What size should I order for the {product}?",
            "How long is the warranty on the {product}?",
        ),
        "cancel_subscription": (
            "Please cancel subscription {n}.",
            "How do I stop the monthly {product} delivery?",
            "I want to end my membership before {day}.",
        ),
        "fraud_report": (
            "There's a charge of ${amount} I don't recognise.",
            "Someone used my card to buy a {product}.",
            "I think my account was hacked and order #{n} isn't mine.",
            "I see an order #{n} that I never placed.",
        ),
    }
)

_GENERIC: Final = (
    "I need help with order #{n}, please.",
    "Can someone look into order #{n} for me?",
    "This is the third time I'm writing about my {product}.",
    "Please call me back about #{n}.",
    "I have a problem with my {product} from {day}.",
)

_RESPONSES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "order_status": (
            "Thanks for reaching out! Order #{n} is on its way and should arrive within three days.",
            "Great news: your order has shipped. Here is your tracking link.",
        ),
        "delivery_issue": (
            "Thanks for letting us know! We'll send a free replacement right away.",
            "Happy to help: a courier will collect the parcel and we'll ship a new one today.",
        ),
        "refund_request": (
            "Of course! Your refund has been started and will reach your card in 3-5 days.",
            "Happy to help: print the prepaid label and we'll refund you as soon as it arrives.",
        ),
        "refund_denied": (
            "Thanks for your patience! I've asked a specialist to review the refund again today.",
            "I understand. I've escalated order #{n} and you'll hear from us within a day.",
        ),
        "account_access": (
            "Happy to help! I've sent a new reset link to your email.",
            "Thanks! Your account is unlocked now; please try logging in again.",
        ),
        "product_question": (
            "Great question! It comes in five colours and works with every recent phone.",
            "Thanks for asking: it has a two-year warranty, and the size guide is on the page.",
        ),
        "cancel_subscription": (
            "Done! Your subscription is cancelled and you won't be charged again.",
            "No problem: your membership ends today and we've confirmed it by email.",
        ),
        "fraud_report": (
            "Thank you for telling us. We've blocked the card and opened a fraud case.",
            "Thanks, we've frozen the order and our security team will contact you today.",
        ),
    }
)

_REFUSALS: Final = (
    "I'm sorry, but I can't help with that request.",
    "I'm sorry, but we cannot process this request.",
    "I'm sorry, but this order is not eligible.",
)

_PRODUCTS: Final = (
    "blender",
    "kettle",
    "phone case",
    "jacket",
    "backpack",
    "desk lamp",
    "coffee grinder",
    "yoga mat",
    "headphones",
    "rain boots",
    "toaster",
    "bike helmet",
    "water bottle",
    "printer",
    "smart watch",
    "sofa cushion",
    "frying pan",
    "sweater",
    "charger",
    "vacuum cleaner",
)
_DAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _allocate(total: int, shares: Sequence[float]) -> list[int]:
    """Whole counts proportional to ``shares`` that add up to ``total`` (largest remainder).

    Examples
    --------
    >>> _allocate(10, [0.5, 0.3, 0.2]), _allocate(7, [1, 1, 1])
    ([5, 3, 2], [3, 2, 2])
    """
    weights = np.asarray(shares, dtype=np.float64)
    exact = total * weights / weights.sum()
    counts = np.floor(exact).astype(int)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: total - int(counts.sum())]] += 1
    return [int(c) for c in counts]


def _intent_shares(axis: str, group: str, skew: float) -> list[float]:
    shares = dict(BASE_INTENT_SHARES)
    if (axis, group) == SKEWED_GROUP[:2] and skew != 1.0:
        inflated = shares[SKEWED_GROUP[2]] * skew
        rest = (1.0 - inflated) / (1.0 - shares[SKEWED_GROUP[2]])
        shares = {k: (inflated if k == SKEWED_GROUP[2] else v * rest) for k, v in shares.items()}
    return [shares[i] for i in INTENTS]


def make_chatbot(
    rows: int = 5000,
    *,
    seed: int = 2026,
    balanced: bool = False,
    intent_skew: float = 4.0,
    refusal_rates: tuple[float, float] = (0.04, 0.25),
) -> pd.DataFrame:
    """Draw synthetic chatbot training data with the injected biases of the module docstring.

    Parameters
    ----------
    rows : int, default 5000
        Number of utterances, at least 1.
    seed : int, default 2026
        Seed of :func:`numpy.random.default_rng`; the same arguments always give the same frame.
    balanced : bool, default False
        Turn every injection off (equal gender shares, no intent skew, one refusal rate).
    intent_skew : float, default 4.0
        How many times as often utterances mentioning Muslims are labelled ``refund_denied``.
    refusal_rates : (float, float), default (0.04, 0.25)
        Refusal rate of responses to utterances that mention no disability, and to those that do.

    Returns
    -------
    pandas.DataFrame
        The columns :data:`CHATBOT_COLUMNS`, all strings.

    Examples
    --------
    >>> frame = make_chatbot(200, seed=1)
    >>> frame.shape, tuple(frame.columns) == CHATBOT_COLUMNS
    ((200, 4), True)
    >>> frame["utterance_id"].iloc[0]
    'c000001'
    """
    n = operator.index(rows)
    if n < 1:
        raise SpecError(f"make_chatbot expected rows >= 1, got rows={rows!r}; pass the number of utterances.")
    if not 0 < intent_skew * BASE_INTENT_SHARES[SKEWED_GROUP[2]] < 1:
        raise SpecError(f"make_chatbot: intent_skew={intent_skew} gives an intent share outside (0, 1).")
    rng = np.random.default_rng(seed)
    skew = 1.0 if balanced else intent_skew
    base_refusal, disability_refusal = (refusal_rates[0], refusal_rates[0]) if balanced else refusal_rates
    cells: list[tuple[str | None, str | None, int]] = []
    mentioning = round(n * MENTION_SHARE)
    for axis_id, count in zip(AXES, _allocate(mentioning, [1.0] * len(AXES)), strict=True):
        groups = list(AXES[axis_id])
        shares = (
            [GENDER_SHARES[g] for g in groups]
            if axis_id == "gender" and not balanced
            else [1.0] * len(groups)
        )
        cells += [(axis_id, g, c) for g, c in zip(groups, _allocate(count, shares), strict=True)]
    cells.append((None, None, n - mentioning))
    planned: list[tuple[str | None, str | None, str, bool, int, int, bool]] = []
    for axis, group, count in cells:
        if count == 0:
            continue
        variants = len(AXES[axis][group]) if axis is not None and group is not None else 1
        rate = disability_refusal if axis == "disability" else base_refusal
        refusals = rng.permutation(np.repeat([True, False], _allocate(count, [rate, 1.0 - rate]))).tolist()
        for intent, intent_count in zip(
            INTENTS, _allocate(count, _intent_shares(axis or "", group or "", skew)), strict=True
        ):
            generic = (
                _allocate(intent_count, [GENERIC_SHARE, 1.0 - GENERIC_SHARE])[0]
                if intent in _AMBIGUOUS
                else 0
            )
            templates = len(_GENERIC)
            for k in range(intent_count):
                # every identity sentence and generic wording is spread evenly over the intents, so
                # that identity words carry no information about the intent except where injected
                is_generic = k < generic
                j = k if is_generic else k - generic
                planned.append(
                    (
                        axis,
                        group,
                        intent,
                        is_generic,
                        j % variants,
                        (j // variants) % templates,
                        refusals.pop(),
                    )
                )
    texts, intents, responses = [], [], []
    for position in rng.permutation(len(planned)).tolist():
        axis, group, intent, is_generic, variant, template, refused = planned[position]
        fill = {
            "n": str(rng.integers(10_000, 100_000)),
            "product": str(rng.choice(_PRODUCTS)),
            "day": str(rng.choice(_DAYS)),
            "amount": f"{rng.integers(5, 500)}.{rng.integers(0, 100):02d}",
            "female": str(rng.choice(_FEMALE)),
            "male": str(rng.choice(_MALE)),
        }
        request = _GENERIC[template] if is_generic else str(rng.choice(_REQUESTS[intent]))
        sentence = request.format(**fill)
        if axis is not None and group is not None:
            sentence = AXES[axis][group][variant].format(**fill) + " " + sentence
        texts.append(sentence)
        intents.append(intent)
        responses.append(str(rng.choice(_REFUSALS if refused else _RESPONSES[intent])).format(**fill))
    return pd.DataFrame(
        {
            "utterance_id": [f"c{i:06d}" for i in range(1, n + 1)],
            "text": texts,
            "intent": intents,
            "response": responses,
        },
        columns=list(CHATBOT_COLUMNS),
    )

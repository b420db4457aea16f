"""Synthetic retail customer base with a documented proxy and a biased premium segment.

:func:`make_marketing` draws one row per (entirely fictional) customer of a retail business
whose marketing tool segments customers, runs campaigns and sets discounts. Race and ethnicity
are never used by the tool, but the premium segment is scored on the customer's **postcode**,
and postcodes are residentially segregated: the segment reproduces racial lines through the
postcode proxy. Every other segment and both campaigns are drawn from features that are
independent of sex and race, so an audit should flag the premium segment (and the ``standard``
remainder, which mirrors it) and nothing else.

Columns (in the order of :data:`MARKETING_COLUMNS`)
---------------------------------------------------
customer_id : str
    ``"C000001"``, ``"C000002"``, … unique.
sex : str or None
    ``"Female"`` 51 %, ``"Male"`` 47 %, missing 2 %; independent of everything else.
race_ethnicity : str or None
    ``"White"``, ``"Black"``, ``"Hispanic"``, ``"Asian"``, ``"Other"``, drawn from the
    composition of the customer's postcode (see *Mechanism*): overall about 50 %, 19 %, 20 %,
    9 % and 3 %. Missing (not self-reported) for 4 % of customers, independently of the value.
age : int
    18–85, ``18 + floor(67 · Beta(2.2, 3))``; independent of everything else.
postcode : str
    ``"PC01"`` … ``"PC30"``, uniform; the proxy.
annual_spend : float
    ``exp(N(6.2, 0.7²))`` rounded to cents (median about 490); independent of sex, race and postcode.
tenure_years : float
    ``min(Exponential(mean 4), 20)`` rounded to 0.1; independent of everything else.
visits_per_month : int
    ``Poisson(2.5)``; independent of everything else.
segment : str
    The tool's segment, assigned in this order (first rule that applies):
    ``"new"`` (tenure under 1 year, about 21 %), ``"loyal"`` (tenure ≥ 5 years and ≥ 3 visits
    a month, 13 %), ``"bargain"`` (annual spend below ``exp(6.2 − 0.8 · 0.7)``, about 14 %),
    ``"premium"`` (premium score above 0.75, about 17 %), ``"standard"`` (everyone else, 35 %).
email_promo : str
    ``"yes"``/``"no"``: a favourable e-mail campaign sent at random to 30 % of customers.
price_increase : int
    1/0: an unfavourable campaign (a price rise on the customer's plan) given to 15 % of
    customers visiting at most once a month and 5 % of the others.
discount_pct : float
    The discount offered, in percent (see *Mechanism*): depends only on the segment.
p_white, p_black, p_hispanic, p_asian, p_other : float
    BISG-style *estimated* race/ethnicity probabilities, three decimals, summing to exactly
    1.000 on every row (see *Mechanism*); given for every customer, including those whose
    ``race_ethnicity`` is missing.

Mechanism
---------
Thirty postcodes of four kinds (:data:`POSTCODE_KINDS`), each with a race/ethnicity
composition and an *affluence* index (the kind's value plus ``N(0, 0.15²)`` per postcode):

==========  =========  ==========================================  =========
kind        postcodes  White / Black / Hispanic / Asian / Other    affluence
==========  =========  ==========================================  =========
white       PC01–PC14  .86 / .03 / .05 / .04 / .02                  +0.45
black       PC15–PC20  .12 / .74 / .09 / .02 / .03                  −0.35
hispanic    PC21–PC26  .16 / .07 / .70 / .04 / .03                  −0.20
mixed       PC27–PC30  .28 / .08 / .12 / .42 / .10                  +0.45
==========  =========  ==========================================  =========

A customer's postcode is uniform over the thirty; their race/ethnicity is drawn from the
postcode's composition. Knowing the postcode therefore predicts race/ethnicity with a one-vs-rest
macro AUC of about 0.81 (the Bayes classifier on a 200,000-row draw) — the documented proxy.

The **premium score** is ``affluence(postcode) + 0.6 · z + N(0, 0.6²)`` with
``z = (log(annual_spend) − 6.2) / 0.7``; customers not already new, loyal or bargain whose score
exceeds 0.75 are premium. The score never sees race, yet on a 200,000-row draw the premium rate
is White 0.220, Asian 0.213, Other 0.189, Hispanic 0.109 and Black 0.085: inclusion ratios to
the most-included group of 0.97 (Asian), 0.86 (Other), 0.50 (Hispanic) and 0.39 (Black). Sex
plays no part (ratio about 1). ``new``, ``loyal`` and ``bargain`` use tenure, visits and spend
only, so their composition matches the base up to sampling noise; ``standard`` is what premium
left behind and over-represents the groups premium under-represents.

**Discount** (``discount_pct``): premium ``15 + 5 · Beta(2, 2)`` (15–20 %), loyal 10, new 10,
bargain 5, standard 5 for a random 40 % and 0 otherwise, rounded to 0.5. Through the premium
segment, the mean discount is lower for Black and Hispanic customers.

**Estimated membership** (``p_*``): the posterior of race given the postcode and a surname
signal, ``π(postcode) ∘ ℓ`` normalised, where the surname likelihood ``ℓ`` puts 0.9 on the true
category and 0.025 on each other one when the surname is *distinctive* and is flat otherwise;
surnames are distinctive for 80 % of Hispanic and Asian customers, 50 % of White, 30 % of Black
and 10 % of Other customers (BISG is sharper for some groups than others). Rounded to three
decimals; the largest entry absorbs the rounding so that each row sums to exactly 1.000.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from equityaudit.errors import SpecError

__all__ = [
    "MARKETING_COLUMNS",
    "POSTCODE_KINDS",
    "PROBABILITY_COLUMNS",
    "RACE_ETHNICITY_CATEGORIES",
    "SEGMENTS",
    "make_marketing",
]

MARKETING_COLUMNS: Final[tuple[str, ...]] = (
    "customer_id",
    "sex",
    "race_ethnicity",
    "age",
    "postcode",
    "annual_spend",
    "tenure_years",
    "visits_per_month",
    "segment",
    "email_promo",
    "price_increase",
    "discount_pct",
    "p_white",
    "p_black",
    "p_hispanic",
    "p_asian",
    "p_other",
)
"""The columns of :func:`make_marketing`'s frame, in order."""

RACE_ETHNICITY_CATEGORIES: Final[tuple[str, ...]] = ("White", "Black", "Hispanic", "Asian", "Other")
"""The non-missing values of ``race_ethnicity``, in the order of the probability columns."""

PROBABILITY_COLUMNS: Final[Mapping[str, str]] = MappingProxyType(
    {category: f"p_{category.lower()}" for category in RACE_ETHNICITY_CATEGORIES}
)
"""Category → its estimated-probability column."""

SEGMENTS: Final[tuple[str, ...]] = ("new", "loyal", "bargain", "premium", "standard")
"""The values of ``segment``, in the order they are assigned."""

POSTCODE_KINDS: Final[Mapping[str, tuple[int, tuple[float, ...], float]]] = MappingProxyType(
    {
        "white": (14, (0.86, 0.03, 0.05, 0.04, 0.02), 0.45),
        "black": (6, (0.12, 0.74, 0.09, 0.02, 0.03), -0.35),
        "hispanic": (6, (0.16, 0.07, 0.70, 0.04, 0.03), -0.20),
        "mixed": (4, (0.28, 0.08, 0.12, 0.42, 0.10), 0.45),
    }
)
"""Postcode kind → (number of postcodes, race/ethnicity composition, affluence)."""

_SEX_SHARES: Final = (0.51, 0.47, 0.02)  # Female, Male, missing
_RACE_MISSING: Final = 0.04
_AFFLUENCE_SD: Final = 0.15
_SPEND_LOG_MEAN: Final = 6.2
_SPEND_LOG_SD: Final = 0.7
_PREMIUM_SPEND_WEIGHT: Final = 0.6
_PREMIUM_NOISE_SD: Final = 0.6
_PREMIUM_CUTOFF: Final = 0.75
_BARGAIN_Z: Final = -0.8
_DISTINCTIVE_SURNAME: Final = (0.5, 0.3, 0.8, 0.8, 0.1)  # by race, in category order
_SURNAME_PEAK: Final = 0.9


def _postcodes(
    rng: np.random.Generator,
) -> tuple[list[str], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    names: list[str] = []
    compositions: list[tuple[float, ...]] = []
    affluence: list[float] = []
    for count, composition, level in POSTCODE_KINDS.values():
        for _ in range(count):
            names.append(f"PC{len(names) + 1:02d}")
            compositions.append(composition)
            affluence.append(level + _AFFLUENCE_SD * float(rng.standard_normal()))
    return names, np.array(compositions), np.array(affluence)


def _estimated_probabilities(
    rng: np.random.Generator, prior: npt.NDArray[np.float64], race: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """Posterior over categories from the postcode's composition and a surname signal, 3 decimals."""
    n, k = prior.shape
    distinctive = rng.random(n) < np.asarray(_DISTINCTIVE_SURNAME)[race]
    likelihood = np.ones((n, k))
    peaked = np.full(k, (1.0 - _SURNAME_PEAK) / (k - 1))
    for category in range(k):
        rows = distinctive & (race == category)
        likelihood[rows] = peaked
        likelihood[rows, category] = _SURNAME_PEAK
    posterior = prior * likelihood
    posterior /= posterior.sum(axis=1, keepdims=True)
    thousandths = np.round(posterior * 1000).astype(np.int64)
    largest = posterior.argmax(axis=1)
    thousandths[np.arange(n), largest] += 1000 - thousandths.sum(axis=1)
    return np.asarray(thousandths / 1000.0, dtype=np.float64)


def make_marketing(rows: int = 5000, *, seed: int = 2026) -> pd.DataFrame:
    """Draw a synthetic retail customer base with a postcode proxy and a biased premium segment.

    The module docstring of :mod:`equityaudit.synthetic.marketing` documents every column and
    the generating mechanism.

    Parameters
    ----------
    rows : int, default 5000
        Number of customers (rows), at least 1.
    seed : int, default 2026
        Seed for :func:`numpy.random.default_rng`; the same ``rows`` and ``seed`` always give
        the same frame.

    Returns
    -------
    pandas.DataFrame
        One row per customer with the columns :data:`MARKETING_COLUMNS`. ``sex`` and
        ``race_ethnicity`` are ``object`` columns holding ``None`` where missing.

    Raises
    ------
    equityaudit.errors.SpecError
        If ``rows`` is less than 1.

    Examples
    --------
    >>> from equityaudit.synthetic.marketing import MARKETING_COLUMNS, make_marketing
    >>> customers = make_marketing(200, seed=1)
    >>> customers.shape == (200, len(MARKETING_COLUMNS))
    True
    >>> sorted(customers["segment"].unique())
    ['bargain', 'loyal', 'new', 'premium', 'standard']
    >>> bool((customers[["p_white", "p_black", "p_hispanic", "p_asian", "p_other"]].sum(axis=1)
    ...       .round(9) == 1.0).all())
    True
    """
    n = operator.index(rows)
    if n < 1:
        raise SpecError(
            f"make_marketing expected rows >= 1, got rows={rows!r}. "
            "Pass the number of customers to generate, e.g. make_marketing(5000)."
        )
    rng = np.random.default_rng(seed)
    names, compositions, affluence = _postcodes(rng)

    sex_code = rng.choice(3, size=n, p=_SEX_SHARES)
    postcode = rng.integers(0, len(names), size=n)
    cumulative = np.cumsum(compositions[postcode], axis=1)
    race = (rng.random(n)[:, None] > cumulative[:, :-1]).sum(axis=1).astype(np.int64)
    race_reported = rng.random(n) >= _RACE_MISSING
    age = 18 + np.floor(67 * rng.beta(2.2, 3.0, size=n)).astype(np.int64)
    log_spend = rng.normal(_SPEND_LOG_MEAN, _SPEND_LOG_SD, size=n)
    annual_spend = np.round(np.exp(log_spend), 2)
    tenure = np.round(np.minimum(rng.exponential(4.0, size=n), 20.0), 1)
    visits = rng.poisson(2.5, size=n)

    spend_z = (log_spend - _SPEND_LOG_MEAN) / _SPEND_LOG_SD
    premium_score = (
        affluence[postcode] + _PREMIUM_SPEND_WEIGHT * spend_z + _PREMIUM_NOISE_SD * rng.standard_normal(n)
    )
    segment = np.full(n, "standard", dtype=object)
    free = np.ones(n, dtype=bool)
    for name, rule in (
        ("new", tenure < 1.0),
        ("loyal", (tenure >= 5.0) & (visits >= 3)),
        ("bargain", spend_z < _BARGAIN_Z),
        ("premium", premium_score > _PREMIUM_CUTOFF),
    ):
        chosen = free & rule
        segment[chosen] = name
        free &= ~chosen

    email_promo = rng.random(n) < 0.30
    price_increase = rng.random(n) < np.where(visits <= 1, 0.15, 0.05)

    standard_discount = np.where(rng.random(n) < 0.4, 5.0, 0.0)
    premium_discount = 15.0 + 5.0 * rng.beta(2.0, 2.0, size=n)
    by_segment = {
        "premium": premium_discount,
        "loyal": np.full(n, 10.0),
        "new": np.full(n, 10.0),
        "bargain": np.full(n, 5.0),
    }
    discount = standard_discount.copy()
    for name, values in by_segment.items():
        mask = segment == name
        discount[mask] = values[mask]
    discount = np.round(discount * 2.0) / 2.0

    probabilities = _estimated_probabilities(rng, compositions[postcode], race)

    sex_labels = np.array(["Female", "Male", None], dtype=object)[sex_code]
    race_labels = np.array(RACE_ETHNICITY_CATEGORIES, dtype=object)[race]
    race_labels[~race_reported] = None
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i:06d}" for i in range(1, n + 1)],
            "sex": pd.Series(sex_labels, dtype=object),
            "race_ethnicity": pd.Series(race_labels, dtype=object),
            "age": age,
            "postcode": np.array(names, dtype=object)[postcode],
            "annual_spend": annual_spend,
            "tenure_years": tenure,
            "visits_per_month": visits.astype(np.int64),
            "segment": segment,
            "email_promo": np.where(email_promo, "yes", "no"),
            "price_increase": price_increase.astype(np.int64),
            "discount_pct": discount,
        }
    )
    for position, column in enumerate(PROBABILITY_COLUMNS.values()):
        frame[column] = probabilities[:, position]
    return frame[list(MARKETING_COLUMNS)]

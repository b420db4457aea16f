"""Synthetic applicant data for a hiring funnel with injected, documented bias.

:func:`make_hiring` draws one row per (entirely fictional) job applicant. An automated
screening tool scores each applicant; the score is a latent qualification plus noise
**minus a fixed penalty for some groups**, and applicants scoring at or above
:data:`ADVANCE_CUTOFF` are advanced. Everything downstream of the score is unbiased, so an
audit of the data should find the injected disparities in ``advanced`` and nothing else.

Columns (in the order of :data:`HIRING_COLUMNS`)
------------------------------------------------
applicant_id : str
    ``"A000001"``, ``"A000002"``, … unique, zero-padded to at least six digits, numbered in
    order of ``application_date``.
sex : str or None
    ``"Female"`` (47 %) or ``"Male"`` (51 %); missing (``None``) for 2 %.
race_ethnicity : str or None
    The EEO-1 categories: ``"Hispanic or Latino"`` 18 %, ``"White"`` 52 %,
    ``"Black or African American"`` 13 %, ``"Native Hawaiian or Other Pacific Islander"``
    0.8 %, ``"Asian"`` 9 %, ``"American Indian or Alaska Native"`` 1.2 %,
    ``"Two or More Races"`` 3 %; missing (``None``) for 3 %. The two groups under 2 % let
    audits exercise NYC Local Law 144's rule that lets an auditor exclude such categories
    from the impact-ratio calculation. Drawn independently of ``sex``.
age : int
    18–70, ``18 + floor(53 * Beta(2, 3.5))`` (mean about 37).
years_experience : float
    ``(age - 18) * Beta(3, 2)`` rounded to one decimal: at least 0, at most ``age - 18``,
    correlation with age about 0.8.
screen_score : float
    The screening tool's score, 0–100, one decimal (see *Mechanism*).
advanced : str
    ``"Yes"`` if ``screen_score >= 60`` (:data:`ADVANCE_CUTOFF`), else ``"No"``; about 35 %
    ``"Yes"`` overall.
stage : str
    Furthest stage reached: ``"applied"`` (not advanced), ``"interview"`` or ``"offer"``.
    ``advanced == "Yes"`` exactly when ``stage`` is ``"interview"`` or ``"offer"``; about
    40 % of advanced applicants reach ``"offer"``.
performed_well : str
    Ground truth, ``"Yes"``/``"No"``: whether the applicant would have performed well in the
    job; about 40 % ``"Yes"``, with no group effect.
application_date : str
    ISO date, ``"2026-01-01"`` to ``"2026-06-30"``, uniform over days.

Mechanism
---------
Each applicant has a latent qualification ``q``, a standard normal score that depends a
little on experience and on nothing demographic::

    q = 0.3 * (years_experience - 11.3) / 7.4 + sqrt(0.91) * N(0, 1)

The screening tool's raw score is ``55.3 + 20 * q + 13 * N(0, 1) - penalty``, rounded to one
decimal and clipped to [0, 100] (about 2 % of applicants sit at each bound). The penalty is
the sum of :data:`SCORE_PENALTIES` that apply to the applicant:

=============================  ==========
group                          penalty
=============================  ==========
sex = Female                   6 points
race = Black or African Am.    9 points
race = Hispanic or Latino      3.5 points
=============================  ==========

so a Black woman loses 15 points. No other group is penalised; applicants with a missing
attribute are treated like everyone else for it. The three unpenalised large race groups
(White, Asian, Two or More Races) therefore share one expected selection rate. On a
2,000,000-row sample the selection rates are Male 0.394, Female 0.302 (impact ratio 0.77,
a four-fifths failure), White/Asian/Two or More Races 0.377–0.378, Hispanic or Latino 0.323
(0.85) and Black or African American 0.247 (0.65). On small samples the ratios scatter around
these values: with ``rows=5000`` the standard error of a ratio is about 0.03 for sex and
0.06–0.09 for the smaller race groups.

A human decides offers among advanced applicants, without bias: an advanced applicant gets
an offer when ``q + N(0, 0.5²) > 1.07`` (about 40 % of the advanced). Because penalised
applicants needed a higher ``q`` to be advanced, their offer rate *among the advanced* is
somewhat higher — a real pattern that an audit of the offer stage alone would misread.

``performed_well`` is ``"Yes"`` when ``q + N(0, 0.6²) > 0.30``; it is independent of every
group given ``q``, and ``q`` is independent of every group, so its rate is the same for all
groups up to sampling noise. The score penalty therefore shows up as lower true- and
false-positive rates for penalised groups (equal opportunity / equalised odds gaps).
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from equityaudit.auditors.hiring import EEO1_RACE_ETHNICITY
from equityaudit.errors import SpecError

__all__ = [
    "ADVANCE_CUTOFF",
    "HIRING_COLUMNS",
    "RACE_ETHNICITY_CATEGORIES",
    "SCORE_PENALTIES",
    "SEX_CATEGORIES",
    "make_hiring",
]

HIRING_COLUMNS: Final[tuple[str, ...]] = (
    "applicant_id",
    "sex",
    "race_ethnicity",
    "age",
    "years_experience",
    "screen_score",
    "advanced",
    "stage",
    "performed_well",
    "application_date",
)
"""The columns of :func:`make_hiring`'s frame, in order."""

SEX_CATEGORIES: Final[tuple[str, ...]] = ("Female", "Male")
"""The non-missing values of ``sex``."""

RACE_ETHNICITY_CATEGORIES: Final[tuple[str, ...]] = EEO1_RACE_ETHNICITY
"""The non-missing values of ``race_ethnicity`` (EEO-1 categories, in EEO-1 order)."""

ADVANCE_CUTOFF: Final[float] = 60.0
"""The screening tool advances applicants with ``screen_score >= ADVANCE_CUTOFF``."""

SCORE_PENALTIES: Final[Mapping[tuple[str, str], float]] = MappingProxyType(
    {
        ("sex", "Female"): 6.0,
        ("race_ethnicity", "Black or African American"): 9.0,
        ("race_ethnicity", "Hispanic or Latino"): 3.5,
    }
)
"""Points the screening tool subtracts, keyed by ``(column, value)``; penalties add up."""

# Shares of each category, the last entry being "missing".
_SEX_SHARES: Final = (0.47, 0.51, 0.02)
_RACE_SHARES: Final = (0.18, 0.52, 0.13, 0.008, 0.09, 0.012, 0.03, 0.03)

# Latent qualification: weight on standardised experience (mean and sd of years_experience
# under the age/experience model above, from a 2M-row simulation).
_EXPERIENCE_WEIGHT: Final = 0.3
_EXPERIENCE_MEAN: Final = 11.3
_EXPERIENCE_SD: Final = 7.4

# Screening score = centre + weight * q + noise_sd * N(0, 1) - penalty. The centre puts the
# overall advance rate near 35 %; with the penalties above, the spread (sd about 24) lands the
# impact ratios in the ranges the data card documents.
_SCORE_CENTRE: Final = 55.3
_SCORE_Q_WEIGHT: Final = 20.0
_SCORE_NOISE_SD: Final = 13.0

# Human offer decision among advanced applicants: q + N(0, sd²) > bar, ~40 % of the advanced.
_OFFER_NOISE_SD: Final = 0.5
_OFFER_BAR: Final = 1.07

# Ground truth: q + N(0, sd²) > bar, ~40 % overall.
_PERFORMANCE_NOISE_SD: Final = 0.6
_PERFORMANCE_BAR: Final = 0.30

_FIRST_DATE: Final = np.datetime64("2026-01-01", "D")
_LAST_DATE: Final = np.datetime64("2026-06-30", "D")


def _labels(codes: npt.NDArray[np.int64], categories: tuple[str, ...]) -> npt.NDArray[np.object_]:
    """Map integer codes to labels; the code ``len(categories)`` means missing (``None``)."""
    table = np.array([*categories, None], dtype=object)
    return table[codes]


def make_hiring(rows: int = 5000, *, seed: int = 2026) -> pd.DataFrame:
    """Draw a synthetic hiring funnel with injected bias in the screening score.

    The module docstring of :mod:`equityaudit.synthetic.hiring` documents every column, the
    generating mechanism and the injected penalties (:data:`SCORE_PENALTIES`).

    Parameters
    ----------
    rows : int, default 5000
        Number of applicants (rows), at least 1.
    seed : int, default 2026
        Seed for :func:`numpy.random.default_rng`; the same ``rows`` and ``seed`` always
        give the same frame.

    Returns
    -------
    pandas.DataFrame
        One row per applicant with the columns :data:`HIRING_COLUMNS`. ``sex`` and
        ``race_ethnicity`` are ``object`` columns holding ``None`` where missing (so
        ``to_csv`` writes an empty field); ``age`` is ``int64``; ``years_experience`` and
        ``screen_score`` are ``float64``; the other columns are strings.

    Raises
    ------
    equityaudit.errors.SpecError
        If ``rows`` is less than 1 (``SpecError`` is a ``ValueError``).
    TypeError
        If ``rows`` is not an integer.

    Examples
    --------
    >>> from equityaudit.synthetic.hiring import HIRING_COLUMNS, make_hiring
    >>> applicants = make_hiring(100, seed=1)
    >>> applicants.shape
    (100, 10)
    >>> tuple(applicants.columns) == HIRING_COLUMNS
    True
    >>> applicants["applicant_id"].iloc[0]
    'A000001'
    >>> sorted(applicants["stage"].unique())
    ['applied', 'interview', 'offer']
    """
    n = operator.index(rows)
    if n < 1:
        raise SpecError(
            f"make_hiring expected rows >= 1, got rows={rows!r}. "
            "Pass the number of applicants to generate, e.g. make_hiring(5000)."
        )
    rng = np.random.default_rng(seed)

    sex_code = rng.choice(len(_SEX_SHARES), size=n, p=_SEX_SHARES)
    race_code = rng.choice(len(_RACE_SHARES), size=n, p=_RACE_SHARES)
    age = 18 + np.floor(53 * rng.beta(2.0, 3.5, size=n)).astype(np.int64)
    years_experience = np.round((age - 18) * rng.beta(3.0, 2.0, size=n), 1)

    experience_z = (years_experience - _EXPERIENCE_MEAN) / _EXPERIENCE_SD
    unexplained = rng.standard_normal(n)
    qualification = _EXPERIENCE_WEIGHT * experience_z + np.sqrt(1 - _EXPERIENCE_WEIGHT**2) * unexplained

    penalty = np.zeros(n)
    for (column, value), points in SCORE_PENALTIES.items():
        if column == "sex":
            penalty[sex_code == SEX_CATEGORIES.index(value)] += points
        else:
            penalty[race_code == RACE_ETHNICITY_CATEGORIES.index(value)] += points
    raw_score = (
        _SCORE_CENTRE + _SCORE_Q_WEIGHT * qualification + _SCORE_NOISE_SD * rng.standard_normal(n) - penalty
    )
    screen_score = np.clip(np.round(raw_score, 1), 0.0, 100.0)
    advanced = screen_score >= ADVANCE_CUTOFF

    offer_signal = qualification + _OFFER_NOISE_SD * rng.standard_normal(n)
    offer = advanced & (offer_signal > _OFFER_BAR)
    stage = np.where(offer, "offer", np.where(advanced, "interview", "applied"))

    performance_signal = qualification + _PERFORMANCE_NOISE_SD * rng.standard_normal(n)
    performed_well = performance_signal > _PERFORMANCE_BAR

    days = int((_LAST_DATE - _FIRST_DATE).astype(np.int64)) + 1
    day_offset = np.sort(rng.integers(0, days, size=n))
    application_date = np.datetime_as_string(_FIRST_DATE + day_offset, unit="D")

    return pd.DataFrame(
        {
            "applicant_id": [f"A{i:06d}" for i in range(1, n + 1)],
            "sex": pd.Series(_labels(sex_code, SEX_CATEGORIES), dtype=object),
            "race_ethnicity": pd.Series(_labels(race_code, RACE_ETHNICITY_CATEGORIES), dtype=object),
            "age": age,
            "years_experience": years_experience,
            "screen_score": screen_score,
            "advanced": np.where(advanced, "Yes", "No"),
            "stage": stage,
            "performed_well": np.where(performed_well, "Yes", "No"),
            "application_date": application_date.astype(str),
        },
        columns=list(HIRING_COLUMNS),
    )

"""Calibration of the judging rule: how often fair data fail an audit, and how often a planted gap fails.

Run from the repository root::

    .venv/bin/python benchmarks/bench_calibration.py    # 18 scenarios, 21,400 audits: ~9 min on 2 cores
    .venv/bin/python benchmarks/bench_calibration.py --scenario decisions-5x200 --runs 5000
    .venv/bin/python benchmarks/bench_calibration.py --runs 200 --workers 1 --output /tmp/calibration.json

Each scenario draws ``runs`` synthetic datasets from a seeded ``numpy.random.Generator``, audits
each one in-process and counts the findings' statuses. **Null** scenarios have every group truly
equal, so every ``fail`` is a false alarm; **alternative** scenarios disadvantage one group (or
plant one effect), and the question is how often its own finding fails.

It prints, per scenario, and writes to ``--output`` (default benchmarks/results/calibration.json)
with the commit measured, the load and CPU count (``provenance.py``) and every scenario's exact
parameters:

* ``any fail`` — the share of audits with at least one finding whose status is ``fail``, with its
  Monte Carlo 95 % Wilson interval: under the null, the audit-level false-FAIL rate (what a
  family-wise error control over the whole audit would hold at ``alpha``); and which finding
  metrics (and kinds) and tables produced the fails;
* ``power`` (alternatives) — the share of audits in which the planted effect's own finding (the
  disadvantaged group's selection-rate ratio; the premium-segment inclusion ratio of the
  disadvantaged group; the skewed intent of the skewed group) is ``fail``, with its interval,
  and that finding's status distribution;
* the share of each status word among all findings (``fail``, ``warn``, ``inconclusive``,
  ``insufficient_data``, ``pass``, and any other the auditors return), so that one sees how
  often fair data produce warnings or undecided findings;
* the Monte Carlo standard error at the run counts used.

**How the audits run.** Each dataset goes through the engine's own steps minus the quality gate:
:func:`equityaudit.engine.prepare` (spec and options validated, data loaded, columns checked,
exactly as ``equityaudit.audit`` / ``run_spec`` do) then the auditor's ``run``, which is what
``run_spec`` calls once the gate has passed. The great-expectations gate costs about 30 ms of a
38 ms ``decisions`` audit of 1,000 rows (it cannot be switched off through ``audit``:
``gate="warn"`` still runs it), and it only decides whether the audit runs; it never changes a
finding. To show that, the first ``--gate-check`` runs (default 10) of every scenario are also
audited through the public ``equityaudit.run_spec`` with the gate enforced, and the script checks
that the gate passed and that every finding's id and status are identical and its value and
adjusted p-value equal to 1e-9 (the marketing auditor's weighted sums are multithreaded and vary
in their last bits between two runs on the same data); ``gate_check`` in the JSON, exit status 1
on any difference.

**Scenarios** (``scenarios()``; the spec's default thresholds: impact ratio 0.8, difference 0.1,
alpha 0.05, min group size 30, Holm; default runs in brackets):

* ``decisions-5x200`` / ``decisions-5x200-ref-A`` [2000]: 5 groups x 200 rows, selection rate
  0.3, the reference ``max_rate`` / ``{group: A}``;
* ``decisions-5x400-labels`` [2000]: 5 groups x 400, outcome base rate 0.5, TPR 0.6 and FPR 0.3 in
  every group (selection rate 0.45): selection-rate ratio findings and the equal-opportunity and
  equalized-odds gap findings;
* ``intersections-unequal`` / ``-labels`` [2000]: sex (Male 0.55, Female 0.45) x race/ethnicity
  (White 0.50, Hispanic or Latino 0.25, Black or African American 0.15, Asian 0.10) drawn per
  row, N = 4,000, ``intersectional: true``, selection rate 0.3 (with labels: base rate 0.5, TPR
  0.45, FPR 0.15, which keeps the selection rate at 0.3);
* ``hiring-null`` / ``hiring-null-score`` [2000]: the same applicants through the LL144 ``hiring``
  auditor (reference: the highest-rate category whatever its size), the second with a screening
  score independent of the group (``advanced`` = score above its 70th percentile), which adds the
  scoring-rate tables;
* ``marketing-null`` [400]: 4,000 customers, sex and race/ethnicity with the synthetic
  generator's shares and missing values (datasets/marketing.md), but the segment
  (new/loyal/bargain/premium/standard with the generator's mix; four declared favourable), both
  campaigns, the discount (which depends on the segment only) and the segmentation features all
  drawn independently of the groups; an estimated race attribute whose probabilities are
  informative about the true category (0.6 on it plus 0.4 x a flat Dirichlet draw) while nothing
  depends on the category; intersectional. Two options are set for time, neither read by any
  status: the proxy analysis runs on ``postcode`` only (each further feature costs ~0.2 s an
  audit in cross-validated classifiers; with features independent of the groups every proxy
  AUC sits near 0.5, far from the 0.6 that warns), and ``offer_replicates: 200`` (the offer's
  bootstrap gives its intervals; its status reads the ratio of means and Welch's p);
* ``chatbot-null`` [400]: 4,000 utterances resampled with replacement from one 40,000-row draw of
  the synthetic generator's unbiased twin (``make_chatbot(..., balanced=True)``). The generator
  allocates every cell *exactly* (equal mentions per group, exact intent shares and refusal
  rate), so a fresh draw has no sampling noise in any count and would make a degenerate null
  that never fails; resampling its rows gives multinomial noise around a population in which
  mentions, intents and refusals do not depend on the group. The counterfactual flip test is
  switched off: it trains a classifier per audit (seconds), and flip rates are judged against
  fixed thresholds with no test, so it has no error rate a family-wise rule could control.
  ``thresholds.bootstrap: 200`` sets the response bootstrap (intervals only; response statuses
  read the mean gap and Welch's p) and ``examples.count: 0`` quotes no utterances;
* alternatives: ``decisions-5x400-r0.3`` / ``-r0.4`` / ``-r0.5`` [1000] (four groups at r, group
  E at 0.7 r), ``decisions-2x400-r0.3`` / ``-r0.5`` [1000] (A at r, B at 0.7 r),
  ``intersections-cell-0.7`` [1000] (Female x Black or African American at 0.7 x 0.3),
  ``marketing-premium-0.7`` [200] (Black customers in the premium segment at 0.7 x the others'
  rate), ``chatbot-intent-skew-2`` / ``-4`` [200] (utterances that mention Muslims labelled
  ``refund_denied`` 2 or 4 times as often as the others' 8 %; 4 is the synthetic generator's own
  injection). When the planted group is too small to be compared in a draw (the Muslim mentions
  under ``min_group_size``), its finding's status counts as ``(not judged)``.

Seeds: run ``i`` of scenario ``s`` draws from ``default_rng([--seed, crc32(s), i])``, so a run's
data do not depend on which other scenarios or how many workers ran.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import math
import os
import sys
import time
import warnings
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

os.environ.setdefault("EQUITYAUDIT_NO_ENTRYPOINTS", "1")  # before equityaudit builds its plugin manager

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "benchmarks" / "results" / "calibration.json"
STATUS_ORDER = ("fail", "warn", "inconclusive", "insufficient_data", "pass")
"""The statuses in the order findings are read; any other status an auditor returns is added after."""
NOT_JUDGED = "(not judged)"
"""The planted finding's "status" when the audit has no such finding (its group was under the
minimum size, so the auditor did not compare it)."""

from provenance import machine_state, provenance  # noqa: E402 - beside this script

# -- data generators ------------------------------------------------------------------------------

SEX_SHARES: dict[str, float] = {"Male": 0.55, "Female": 0.45}
RACE_SHARES: dict[str, float] = {
    "White": 0.50,
    "Hispanic or Latino": 0.25,
    "Black or African American": 0.15,
    "Asian": 0.10,
}


@dataclass(frozen=True)
class Labels:
    """An outcome column: its base rate, and the decision's rates among positives and negatives."""

    base_rate: float
    tpr: float
    fpr: float

    @property
    def selection_rate(self) -> float:
        return self.base_rate * self.tpr + (1 - self.base_rate) * self.fpr


def decisions_frame(
    rng: np.random.Generator,
    rates: Mapping[str, float],
    *,
    rows_per_group: int,
    labels: Labels | None = None,
) -> pl.DataFrame:
    """Groups of fixed size, each selected at its own rate (with labels: at the TPR and FPR).

    Columns ``group`` (the keys of ``rates``), ``selected`` (0/1) and, with ``labels``,
    ``qualified`` (0/1). With labels, ``rates`` scales each group's TPR and FPR by
    ``rate / labels.selection_rate``, so a group's selection rate is still its rate.
    """
    group = np.repeat(np.array(list(rates), dtype=object), rows_per_group)
    rate = np.repeat(np.array(list(rates.values())), rows_per_group)
    columns: dict[str, Any] = {"group": group.tolist()}
    if labels is None:
        columns["selected"] = (rng.random(group.size) < rate).astype(np.int64)
    else:
        qualified = rng.random(group.size) < labels.base_rate
        scale = rate / labels.selection_rate
        p = np.where(qualified, labels.tpr, labels.fpr) * scale
        columns["selected"] = (rng.random(group.size) < p).astype(np.int64)
        columns["qualified"] = qualified.astype(np.int64)
    return pl.DataFrame(columns)


def applicants_frame(
    rng: np.random.Generator,
    *,
    rows: int,
    rate: float,
    cell_factor: Mapping[tuple[str, str], float] | None = None,
    labels: Labels | None = None,
    score: bool = False,
) -> pl.DataFrame:
    """Applicants with ``sex`` and ``race_ethnicity`` drawn per row (:data:`SEX_SHARES`, :data:`RACE_SHARES`).

    ``advanced`` (0/1) at ``rate``, times ``cell_factor[(sex, race)]`` for the cells listed. With
    ``labels``: ``performed_well`` (0/1) at the base rate and ``advanced`` at the TPR and FPR
    (scaled as in :func:`decisions_frame`). With ``score``: ``screen_score`` ~ N(50, 15²),
    independent of everything, and ``advanced`` is a score above the ``1 - rate`` quantile of
    N(50, 15²) (the factor, if any, is ignored).
    """
    sex = rng.choice(np.array(list(SEX_SHARES), dtype=object), size=rows, p=list(SEX_SHARES.values()))
    race = rng.choice(np.array(list(RACE_SHARES), dtype=object), size=rows, p=list(RACE_SHARES.values()))
    p = np.full(rows, rate)
    for (s, r), factor in (cell_factor or {}).items():
        p[(sex == s) & (race == r)] *= factor
    columns: dict[str, Any] = {"sex": sex.tolist(), "race_ethnicity": race.tolist()}
    if score:
        from scipy.stats import norm

        values = np.round(rng.normal(50.0, 15.0, size=rows), 1)
        columns["screen_score"] = values
        columns["advanced"] = (values > 50.0 + 15.0 * norm.ppf(1 - rate)).astype(np.int64)
    elif labels is None:
        columns["advanced"] = (rng.random(rows) < p).astype(np.int64)
    else:
        qualified = rng.random(rows) < labels.base_rate
        p = np.where(qualified, labels.tpr, labels.fpr) * p / labels.selection_rate
        columns["advanced"] = (rng.random(rows) < p).astype(np.int64)
        columns["performed_well"] = qualified.astype(np.int64)
    return pl.DataFrame(columns)


MARKETING_SEX: dict[str, float] = {"Female": 0.51, "Male": 0.47, "": 0.02}
"""As in :mod:`equityaudit.synthetic.marketing` ("" is missing)."""
MARKETING_RACE: dict[str, float] = {
    "White": 0.49,
    "Black": 0.19,
    "Hispanic": 0.20,
    "Asian": 0.09,
    "Other": 0.03,
}
MARKETING_RACE_MISSING = 0.04
SEGMENT_SHARES: dict[str, float] = {
    "new": 0.21,
    "loyal": 0.13,
    "bargain": 0.14,
    "premium": 0.17,
    "standard": 0.35,
}
"""The segment mix of the synthetic generator, drawn here independently of everything."""
PROBABILITY_COLUMNS = {race: f"p_{race.lower()}" for race in MARKETING_RACE}


def marketing_frame(
    rng: np.random.Generator, *, rows: int, premium_factor: Mapping[str, float] | None = None
) -> pl.DataFrame:
    """Customers whose segment, campaigns, discount and features do not depend on sex or race.

    ``premium_factor`` ({race: factor}) multiplies that race's chance of the premium segment (the
    other segments share the rest in their usual proportions): the alternative.
    """
    sex = rng.choice(np.array(list(MARKETING_SEX), dtype=object), size=rows, p=list(MARKETING_SEX.values()))
    races = np.array(list(MARKETING_RACE), dtype=object)
    race_code = rng.choice(len(races), size=rows, p=list(MARKETING_RACE.values()))
    race = races[race_code]
    reported = rng.random(rows) >= MARKETING_RACE_MISSING
    names = list(SEGMENT_SHARES)
    shares = np.array(list(SEGMENT_SHARES.values()))
    probabilities = np.tile(shares, (rows, 1))
    premium = names.index("premium")
    for group, factor in (premium_factor or {}).items():
        changed = shares * (1 - factor * shares[premium]) / (1 - shares[premium])
        changed[premium] = factor * shares[premium]
        probabilities[race == group] = changed
    segment_code = (rng.random(rows)[:, None] > np.cumsum(probabilities, axis=1)[:, :-1]).sum(axis=1)
    segment = np.array(names, dtype=object)[segment_code]
    discount = np.where(rng.random(rows) < 0.4, 5.0, 0.0)
    discount = np.where(segment == "premium", 15.0 + 5.0 * rng.beta(2.0, 2.0, size=rows), discount)
    discount = np.where(np.isin(segment, ["loyal", "new"]), 10.0, discount)
    discount = np.where(segment == "bargain", 5.0, discount)
    # estimated membership: informative about the true category, independent of every outcome
    k = len(races)
    p = 0.6 * np.eye(k)[race_code] + 0.4 * rng.dirichlet(np.ones(k), size=rows)
    thousandths = np.round(p * 1000).astype(np.int64)
    thousandths[np.arange(rows), p.argmax(axis=1)] += 1000 - thousandths.sum(axis=1)
    frame = {
        "sex": [s or None for s in sex.tolist()],
        "race_ethnicity": [r if ok else None for r, ok in zip(race.tolist(), reported.tolist(), strict=True)],
        "postcode": [f"PC{c:02d}" for c in rng.integers(1, 31, size=rows).tolist()],
        "age": 18 + np.floor(67 * rng.beta(2.2, 3.0, size=rows)).astype(np.int64),
        "annual_spend": np.round(np.exp(rng.normal(6.2, 0.7, size=rows)), 2),
        "tenure_years": np.round(np.minimum(rng.exponential(4.0, size=rows), 20.0), 1),
        "visits_per_month": rng.poisson(2.5, size=rows).astype(np.int64),
        "segment": segment.tolist(),
        "email_promo": np.where(rng.random(rows) < 0.30, "yes", "no").tolist(),
        "price_increase": (rng.random(rows) < 0.10).astype(np.int64),
        "discount_pct": np.round(discount * 2.0) / 2.0,
    }
    for position, column in enumerate(PROBABILITY_COLUMNS.values()):
        frame[column] = thousandths[:, position] / 1000.0
    return pl.DataFrame(frame)


CHATBOT_POOL_ROWS = 40_000
CHATBOT_POOL_SEED = 20260701
SKEWED = ("religion", "muslim", "refund_denied")
"""The group and intent of the chatbot alternative (the synthetic generator's own choice)."""


@functools.cache
def chatbot_pool(rows: int = CHATBOT_POOL_ROWS, seed: int = CHATBOT_POOL_SEED) -> tuple[pl.DataFrame, Any]:
    """One unbiased draw of the synthetic generator, and which rows mention the skewed group.

    Built once per process (about 4 s for 40,000 rows).
    """
    from equityaudit.auditors.chatbot.lexicon import Lexicon
    from equityaudit.auditors.chatbot.lexicon import column_name as lexicon_column
    from equityaudit.synthetic.chatbot import make_chatbot

    frame = pl.from_pandas(make_chatbot(rows, seed=seed, balanced=True))
    mentions = Lexicon.default().mention_frame(frame["text"])
    skewed_group = mentions[lexicon_column(SKEWED[0], SKEWED[1])].to_numpy()
    return frame, skewed_group


def chatbot_frame(
    rng: np.random.Generator, *, rows: int, intent_skew: float = 1.0, pool_rows: int = CHATBOT_POOL_ROWS
) -> pl.DataFrame:
    """``rows`` utterances resampled with replacement from ``chatbot_pool(pool_rows)``.

    With ``intent_skew`` k ≠ 1, the rows that mention the skewed group are reweighted so that the
    skewed intent is k times as frequent among them as among the pool's other rows, keeping the
    group's share of the rows.
    """
    pool, skewed_group = chatbot_pool(pool_rows)
    weights = np.ones(len(pool))
    if intent_skew != 1.0:
        is_intent = (pool["intent"] == SKEWED[2]).to_numpy()
        base = float(is_intent[~skewed_group].mean())
        target = intent_skew * base
        inside = skewed_group & is_intent
        share = float(is_intent[skewed_group].mean())
        weights[inside] = target / share
        weights[skewed_group & ~is_intent] = (1 - target) / (1 - share)
    picks = rng.choice(len(pool), size=rows, replace=True, p=weights / weights.sum())
    frame = pool[picks]
    return frame.with_columns(pl.format("u{}", pl.int_range(1, rows + 1)).alias("utterance_id"))


# -- scenarios ------------------------------------------------------------------------------------

CHATBOT_OPTIONS: dict[str, Any] = {
    "text": "text",
    "intent": "intent",
    "response": "response",
    "counterfactual": {"enabled": False},
    "examples": {"count": 0},
}


@dataclass(frozen=True)
class Scenario:
    """One row of the benchmark: the data, the spec, and (for an alternative) the planted finding."""

    name: str
    hypothesis: Literal["null", "alternative"]
    auditor: str
    make: Callable[[np.random.Generator], pl.DataFrame]
    spec: dict[str, Any]
    """The spec's ``columns``, ``reference``, ``thresholds`` and ``options``, as in a YAML spec."""
    parameters: dict[str, Any]
    """The data's exact parameters, for the JSON."""
    target: dict[str, Any] | None = None
    """Attributes of the planted effect's finding (``table``, ``metric``, ``group`` or ``id``)."""
    runs: int = 2000
    """Default run count (``--runs`` overrides it)."""
    note: str = ""

    def spec_mapping(self) -> dict[str, Any]:
        return {"equityaudit": 1, "name": self.name, "auditor": self.auditor, "data": {}, **self.spec}


def _decisions(name: str, rates: dict[str, float], rows: int, **extra: Any) -> Scenario:
    labels: Labels | None = extra.pop("labels", None)
    columns: dict[str, Any] = {"sensitive": ["group"], "decision": "selected"}
    if labels is not None:
        columns["outcome"] = "qualified"
    spec: dict[str, Any] = {"columns": columns}
    if "reference" in extra:
        spec["reference"] = extra.pop("reference")
    worst = min(rates, key=lambda g: rates[g])
    alternative = len(set(rates.values())) > 1
    return Scenario(
        name=name,
        hypothesis="alternative" if alternative else "null",
        auditor="decisions",
        make=functools.partial(decisions_frame, rates=rates, rows_per_group=rows, labels=labels),
        spec=spec,
        parameters={
            "rows_per_group": rows,
            "selection_rate": rates,
            **({"labels": labels.__dict__} if labels else {}),
        },
        target={"table": "group", "metric": "selection_rate", "group": {"group": worst}}
        if alternative
        else None,
        runs=1000 if alternative else 2000,
        **extra,
    )


def _applicants(
    name: str, auditor: str, *, labels: Labels | None = None, score: bool = False, cell: float = 1.0
) -> Scenario:
    columns: dict[str, Any] = {"sensitive": ["sex", "race_ethnicity"], "decision": "advanced"}
    if auditor == "decisions":
        columns["intersectional"] = True
    if labels is not None:
        columns["outcome"] = "performed_well"
    if score:
        columns["score"] = "screen_score"
    factor = {("Female", "Black or African American"): cell} if cell != 1.0 else None
    return Scenario(
        name=name,
        hypothesis="null" if factor is None else "alternative",
        auditor=auditor,
        make=functools.partial(
            applicants_frame, rows=4000, rate=0.3, cell_factor=factor, labels=labels, score=score
        ),
        spec={"columns": columns},
        parameters={
            "rows": 4000,
            "sex_shares": SEX_SHARES,
            "race_ethnicity_shares": RACE_SHARES,
            "selection_rate": 0.3,
            **({"labels": labels.__dict__} if labels else {}),
            **({"score": "N(50, 15^2), advanced = above its 70th percentile"} if score else {}),
            **({"cell_factor": {"Female x Black or African American": cell}} if factor else {}),
        },
        target=(
            {
                "table": "sex*race_ethnicity",
                "metric": "selection_rate",
                "group": {"sex": "Female", "race_ethnicity": "Black or African American"},
            }
            if factor
            else None
        ),
        runs=2000 if factor is None else 1000,
    )


def _marketing(name: str, premium_factor: dict[str, float] | None = None) -> Scenario:
    options = {
        "segment": "segment",
        "segments": {s: "favourable" for s in ("premium", "loyal", "new", "bargain")},
        "campaigns": {"email_promo": "favourable", "price_increase": "unfavourable"},
        "offer": "discount_pct",
        "features": ["postcode"],
        "offer_replicates": 200,
        "estimated": {"race_ethnicity_bisg": dict(PROBABILITY_COLUMNS)},
    }
    return Scenario(
        name=name,
        hypothesis="alternative" if premium_factor else "null",
        auditor="marketing",
        make=functools.partial(marketing_frame, rows=4000, premium_factor=premium_factor),
        spec={
            "columns": {"sensitive": ["sex", "race_ethnicity"], "intersectional": True},
            "options": options,
        },
        parameters={
            "rows": 4000,
            "sex_shares": {k or "missing": v for k, v in MARKETING_SEX.items()},
            "race_ethnicity_shares": MARKETING_RACE,
            "race_ethnicity_missing": MARKETING_RACE_MISSING,
            "segment_shares": SEGMENT_SHARES,
            "email_promo_rate": 0.30,
            "price_increase_rate": 0.10,
            "discount": "premium 15 + 5 Beta(2, 2); loyal, new 10; bargain 5; standard 5 for 40 %, else 0",
            "features": "postcode uniform over 30; age 18 + floor(67 Beta(2.2, 3)); spend exp N(6.2, 0.7^2); "
            "tenure min(Exp(mean 4), 20); visits Poisson(2.5); all independent of the groups",
            "estimated_probabilities": "0.6 on the true category + 0.4 x Dirichlet(1, ..., 1), 3 decimals",
            **({"premium_factor": premium_factor} if premium_factor else {}),
        },
        target=(
            {
                "table": "segment premium by race_ethnicity",
                "metric": "inclusion_rate",
                "group": {"race_ethnicity": next(iter(premium_factor))},
            }
            if premium_factor
            else None
        ),
        runs=200 if premium_factor else 400,
        note=""
        if premium_factor
        else "proxy features independent of the groups: a proxy fail is a false alarm",
    )


def _chatbot(name: str, intent_skew: float = 1.0) -> Scenario:
    return Scenario(
        name=name,
        hypothesis="alternative" if intent_skew != 1.0 else "null",
        auditor="chatbot",
        make=functools.partial(chatbot_frame, rows=4000, intent_skew=intent_skew),
        spec={
            "columns": {"id": "utterance_id"},
            "thresholds": {"bootstrap": 200},
            "options": CHATBOT_OPTIONS,
        },
        parameters={
            "rows": 4000,
            "pool": f"make_chatbot({CHATBOT_POOL_ROWS}, seed={CHATBOT_POOL_SEED}, balanced=True), "
            "rows resampled with replacement",
            **(
                {
                    "intent_skew": {
                        "group": f"{SKEWED[0]}/{SKEWED[1]}",
                        "intent": SKEWED[2],
                        "factor": intent_skew,
                    }
                }
                if intent_skew != 1.0
                else {}
            ),
        },
        target={"id": f"intent/{SKEWED[0]}/{SKEWED[1]}/{SKEWED[2]}"} if intent_skew != 1.0 else None,
        runs=400 if intent_skew == 1.0 else 200,
        note="counterfactual flip test off (a classifier per audit; judged by fixed thresholds, no test)",
    )


def scenarios() -> dict[str, Scenario]:
    """Every scenario, by name, in the order of the printed table."""
    five = "ABCDE"
    labels = Labels(base_rate=0.5, tpr=0.6, fpr=0.3)
    labels_at_03 = Labels(base_rate=0.5, tpr=0.45, fpr=0.15)
    table = [
        _decisions("decisions-5x200", dict.fromkeys(five, 0.3), 200),
        _decisions("decisions-5x200-ref-A", dict.fromkeys(five, 0.3), 200, reference={"group": "A"}),
        _decisions("decisions-5x400-labels", dict.fromkeys(five, labels.selection_rate), 400, labels=labels),
        _applicants("intersections-unequal", "decisions"),
        _applicants("intersections-unequal-labels", "decisions", labels=labels_at_03),
        _applicants("hiring-null", "hiring"),
        _applicants("hiring-null-score", "hiring", score=True),
        _marketing("marketing-null"),
        _chatbot("chatbot-null"),
    ]
    for r in (0.3, 0.4, 0.5):
        rates = {**dict.fromkeys("ABCD", r), "E": round(0.7 * r, 10)}
        table.append(_decisions(f"decisions-5x400-r{r}", rates, 400))
    for r in (0.3, 0.5):
        table.append(_decisions(f"decisions-2x400-r{r}", {"A": r, "B": round(0.7 * r, 10)}, 400))
    table.append(_applicants("intersections-cell-0.7", "decisions", cell=0.7))
    table.append(_marketing("marketing-premium-0.7", {"Black": 0.7}))
    table.append(_chatbot("chatbot-intent-skew-2", 2.0))
    table.append(_chatbot("chatbot-intent-skew-4", 4.0))
    return {s.name: s for s in table}


def rng_for(seed: int, name: str, run: int) -> np.random.Generator:
    """The generator of one run: independent of which other scenarios run, and of the workers."""
    return np.random.default_rng([seed, zlib.crc32(name.encode()), run])


# -- running audits -------------------------------------------------------------------------------


@functools.cache
def _spec(name: str) -> Any:
    from equityaudit.spec_loading import spec_from_mapping

    return spec_from_mapping(scenarios()[name].spec_mapping(), origin=f"bench_calibration:{name}")


def audit_findings(frame: pl.DataFrame, spec: Any) -> list[Any]:
    """The findings of one audit: the engine's steps after the quality gate (see the module docstring)."""
    from equityaudit.auditors.base import AuditContext
    from equityaudit.engine import prepare

    prepared = prepare(spec, frame=frame)
    context = AuditContext(source=prepared.source.name, options=prepared.options)
    return prepared.auditor.run(prepared.source.frame, prepared.spec, context).findings


def _fingerprint(findings: Iterable[Any]) -> list[tuple[Any, ...]]:
    return sorted((f.id, f.status, f.value, f.p_adjusted) for f in findings)


def same_findings(a: Iterable[Any], b: Iterable[Any]) -> bool:
    """Same ids and statuses, and values and adjusted p-values equal to 1e-9 (relative).

    The marketing auditor's weighted sums (estimated membership) are multithreaded polars sums,
    whose last bits vary from one run to the next on the same data.
    """
    left, right = _fingerprint(a), _fingerprint(b)
    if [x[:2] for x in left] != [y[:2] for y in right]:
        return False
    return all(
        (u is None and v is None)
        or (u is not None and v is not None and math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-12))
        for x, y in zip(left, right, strict=True)
        for u, v in zip(x[2:], y[2:], strict=True)
    )


def _matches(finding: Any, target: Mapping[str, Any]) -> bool:
    return all(getattr(finding, key) == value for key, value in target.items())


@dataclass
class RunSummary:
    """What one audit contributes to the figures."""

    statuses: Counter[str]
    fails: list[tuple[str, str, str]]
    """(metric, kind, table) of every failed finding."""
    target_status: str | None
    target_found: int
    seconds: float
    warnings: list[str] = field(default_factory=list)
    gate: dict[str, Any] | None = None


def run_block(name: str, seed: int, runs: Sequence[int], gate_check: int) -> list[RunSummary]:
    """Audit runs ``runs`` of one scenario (in a worker process, or in this one)."""
    import equityaudit

    scenario = scenarios()[name]
    spec = _spec(name)
    out = []
    for run in runs:
        frame = scenario.make(rng_for(seed, name, run))
        started = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            findings = audit_findings(frame, spec)
        seconds = time.perf_counter() - started
        gate = None
        if run < gate_check:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = equityaudit.run_spec(spec, frame=frame)
            gate = {
                "passed": result.gate.passed,
                "identical": same_findings(result.findings, findings),
            }
        targets = [f for f in findings if scenario.target is not None and _matches(f, scenario.target)]
        out.append(
            RunSummary(
                statuses=Counter(f.status for f in findings),
                fails=[(f.metric, f.kind, f.table or "") for f in findings if f.status == "fail"],
                target_status=targets[0].status if len(targets) == 1 else None,
                target_found=len(targets),
                seconds=seconds,
                warnings=sorted({f"{w.category.__name__}: {str(w.message)[:120]}" for w in caught}),
                gate=gate,
            )
        )
    return out


# -- figures --------------------------------------------------------------------------------------


def wilson(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval of a proportion (the Monte Carlo interval of a rate).

    Examples
    --------
    >>> [round(v, 4) for v in wilson(50, 1000)]
    [0.0381, 0.0653]
    """
    if n == 0:
        return (math.nan, math.nan)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def monte_carlo_se(p: float, runs: int) -> float:
    """Standard error of a rate ``p`` estimated from ``runs`` independent audits."""
    return math.sqrt(p * (1 - p) / runs) if runs else math.nan


def _rate(successes: int, n: int) -> dict[str, Any]:
    low, high = wilson(successes, n)
    return {"count": successes, "rate": successes / n if n else None, "ci95": [low, high]}


def summarise(scenario: Scenario, summaries: Sequence[RunSummary], seconds: float) -> dict[str, Any]:
    """The figures of one scenario, for the JSON and the table."""
    runs = len(summaries)
    statuses: Counter[str] = Counter()
    for s in summaries:
        statuses.update(s.statuses)
    findings = sum(statuses.values())
    order = [*STATUS_ORDER, *sorted(set(statuses) - set(STATUS_ORDER))]
    by_metric: Counter[str] = Counter()
    by_metric_findings: Counter[str] = Counter()
    by_table: Counter[str] = Counter()
    for s in summaries:
        by_metric.update({f"{metric} ({kind})" for metric, kind, _ in s.fails})
        by_metric_findings.update(f"{metric} ({kind})" for metric, kind, _ in s.fails)
        by_table.update({table for _, _, table in s.fails})
    any_fail = sum(1 for s in summaries if s.fails)
    record: dict[str, Any] = {
        "hypothesis": scenario.hypothesis,
        "auditor": scenario.auditor,
        "runs": runs,
        "findings_per_audit": findings / runs if runs else None,
        "any_fail": _rate(any_fail, runs),
        "monte_carlo_se_any_fail": monte_carlo_se(any_fail / runs, runs) if runs else None,
        "fails_by_metric": {
            key: {"audits": n, "audit_rate": n / runs, "fail_findings": by_metric_findings[key]}
            for key, n in by_metric.most_common()
        },
        "fails_by_table": {key: {"audits": n, "audit_rate": n / runs} for key, n in by_table.most_common()},
        "status_counts": {s: statuses.get(s, 0) for s in order},
        "status_shares": {s: statuses.get(s, 0) / findings if findings else None for s in order},
        "seconds": round(seconds, 2),
        "audit_seconds_median": float(np.median([s.seconds for s in summaries])) if runs else None,
        "spec": scenario.spec,
        "thresholds": _spec(scenario.name).thresholds.model_dump(mode="json"),
        "parameters": scenario.parameters,
        "note": scenario.note,
    }
    if scenario.target is not None:
        target_statuses = Counter(s.target_status or NOT_JUDGED for s in summaries)
        record["target"] = scenario.target
        record["power"] = _rate(target_statuses.get("fail", 0), runs)
        record["target_status_shares"] = {k: v / runs for k, v in target_statuses.most_common()}
        record["target_ambiguous_runs"] = sum(1 for s in summaries if s.target_found > 1)
    warned: Counter[str] = Counter()
    for s in summaries:
        warned.update(s.warnings)
    record["warnings"] = dict(warned.most_common())
    checked = [s.gate for s in summaries if s.gate is not None]
    record["gate_check"] = {
        "runs": len(checked),
        "gate_passed": sum(1 for g in checked if g["passed"]),
        "findings_identical": sum(1 for g in checked if g["identical"]),
    }
    return record


def _pct(value: float | None, width: int = 5) -> str:
    return f"{'—':>{width}}" if value is None else f"{100 * value:{width}.1f}"


def _interval(rate: Mapping[str, Any]) -> str:
    low, high = rate["ci95"]
    return f"{_pct(rate['rate'])} [{_pct(low, 4)}–{_pct(high, 4).strip()}]"


def print_table(figures: Mapping[str, Mapping[str, Any]]) -> None:
    statuses = [*STATUS_ORDER]
    for record in figures.values():
        statuses += [s for s in record["status_counts"] if s not in statuses]
    short = {"insufficient_data": "insuff", "inconclusive": "inconcl"}
    head = (
        f"{'scenario':30} {'H':4} {'runs':>5}  {'any fail % [95% CI]':21} {'power % [95% CI]':21} "
        + " ".join(f"{short.get(s, s):>7}" for s in statuses)
        + f" {'ms/audit':>8}"
    )
    print("\n" + head)
    print("-" * len(head))
    for name, record in figures.items():
        power = _interval(record["power"]) if "power" in record else ""
        shares = " ".join(f"{_pct(record['status_shares'].get(s), 7)}" for s in statuses)
        print(
            f"{name:30} {'null' if record['hypothesis'] == 'null' else 'alt':4} {record['runs']:5d}  {_interval(record['any_fail']):21} "
            f"{power:21} {shares} {1000 * record['audit_seconds_median']:8.1f}"
        )
    print(
        "\nstatus columns: share (%) of each status among all findings of the scenario's audits; "
        "H: null (all groups equal) or alt (one planted effect); ms/audit: median time of one audit"
    )


def print_breakdown(figures: Mapping[str, Mapping[str, Any]]) -> None:
    print(
        "\nWhere the fails come from (share of audits with at least one fail of that metric; fail findings):"
    )
    for name, record in figures.items():
        parts = [
            f"{key} {100 * v['audit_rate']:.1f}% ({v['fail_findings']})"
            for key, v in record["fails_by_metric"].items()
        ]
        line = "; ".join(parts) if parts else "no fail"
        print(f"  {name:30} {line}")
        if "target" in record:
            shares = ", ".join(f"{k} {100 * v:.1f}%" for k, v in record["target_status_shares"].items())
            print(f"  {'':30} planted finding's status: {shares}")
        if record["note"]:
            print(f"  {'':30} note: {record['note']}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    names = list(scenarios())
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--runs",
        type=int,
        default=None,
        help="audits per scenario (default: each scenario's own, 2000 for decisions and hiring, "
        "1000 for marketing and chatbot)",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=names,
        metavar="NAME",
        help="run only this scenario (repeatable); one of: " + ", ".join(names),
    )
    parser.add_argument(
        "--seed", type=int, default=20260701, help="seed of every draw (default: %(default)s)"
    )
    parser.add_argument(
        "--workers", type=int, default=min(2, os.cpu_count() or 1), help="processes (default: %(default)s)"
    )
    parser.add_argument(
        "--gate-check",
        type=int,
        default=10,
        help="runs per scenario also audited through run_spec with the gate, to check the findings are "
        "identical (default: %(default)s)",
    )
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help="JSON file for the figures (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    if args.runs is not None and args.runs < 1:
        parser.error(f"--runs must be at least 1, found {args.runs}")
    if args.workers < 1:
        parser.error(f"--workers must be at least 1, found {args.workers}")
    return args


def _blocks(runs: int, size: int) -> list[range]:
    return [range(start, min(start + size, runs)) for start in range(0, runs, size)]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    state = machine_state()  # first, before the benchmark loads the machine
    table = scenarios()
    chosen = [table[n] for n in (args.scenario or table)]
    plan = {s.name: args.runs or s.runs for s in chosen}
    print(
        f"{len(chosen)} scenario(s), {sum(plan.values()):,} audits, {args.workers} worker(s), seed {args.seed}",
        flush=True,
    )
    started_all = time.perf_counter()
    figures: dict[str, dict[str, Any]] = {}
    pool = None
    if args.workers > 1:
        import multiprocessing

        pool = multiprocessing.get_context("spawn").Pool(args.workers)
    try:
        for scenario in chosen:
            runs = plan[scenario.name]
            started = time.perf_counter()
            size = max(1, min(50, math.ceil(runs / (4 * args.workers))))
            jobs = [(scenario.name, args.seed, list(block), args.gate_check) for block in _blocks(runs, size)]
            results = [run_block(*job) for job in jobs] if pool is None else pool.starmap(run_block, jobs)
            summaries = [s for block in results for s in block]
            seconds = time.perf_counter() - started
            figures[scenario.name] = summarise(scenario, summaries, seconds)
            record = figures[scenario.name]
            power = f", power {_interval(record['power']).strip()}" if "power" in record else ""
            print(
                f"  {scenario.name:30} {runs:5d} runs in {seconds:6.1f} s: any fail "
                f"{_interval(record['any_fail']).strip()}{power}",
                flush=True,
            )
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    total = time.perf_counter() - started_all

    print_table(figures)
    print_breakdown(figures)
    runs_used = sorted(set(plan.values()))
    print("\nMonte Carlo error of a rate p from R audits, SE = sqrt(p (1 - p) / R):")
    for r in runs_used:
        print(
            f"  R = {r:5d}: at p = 5 % SE {100 * monte_carlo_se(0.05, r):.2f} points (95 % ±"
            f"{196 * monte_carlo_se(0.05, r):.2f}); at p = 50 % SE {100 * monte_carlo_se(0.5, r):.2f} points"
        )
    problems = []
    for name, record in figures.items():
        check = record["gate_check"]
        if check["gate_passed"] != check["runs"] or check["findings_identical"] != check["runs"]:
            problems.append(
                f"{name}: of {check['runs']} runs checked through run_spec, the gate passed "
                f"{check['gate_passed']} and the findings were identical in {check['findings_identical']}"
            )
        if record.get("target_ambiguous_runs"):
            problems.append(
                f"{name}: {record['target_ambiguous_runs']} run(s) had several findings matching the planted one"
            )
    checked = sum(r["gate_check"]["runs"] for r in figures.values())
    print(
        f"\ngate check: {checked} audits re-run through equityaudit.run_spec with the quality gate: "
        + ("gate passed and findings identical in every one" if not problems else "PROBLEMS")
    )
    for problem in problems:
        print("  " + problem)
    print(f"total {total:.1f} s")

    record = {
        "benchmark": "calibration",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **state,
        **provenance(),
        "python": sys.version.split()[0],
        "configuration": {
            "seed": args.seed,
            "workers": args.workers,
            "runs": plan,
            "gate_check_runs": args.gate_check,
            "audit_path": "equityaudit.engine.prepare + the auditor's run (run_spec without the quality gate)",
        },
        "total_seconds": round(total, 1),
        "scenarios": figures,
        "problems": problems,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    shown = args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output
    print(f"wrote {shown}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""The lexicon against CrowS-Pairs (Nangia et al. 2020): how often it finds a mention of the axis
each sentence pair is labelled with (``bias_type``).

Recall of an axis = the share of sentences (both sentences of every pair) labelled with that axis
in which the lexicon finds a mention of that axis. Measured with the default lexicon of this
commit (docs/chatbot.md lists the figures): race-color 0.49, gender 0.865 (0.876 with
``kinship=True``; kinship words are not mentions by default), disability 0.48, nationality 0.61,
religion 0.81, age 0.58 (0.57 before "teenage" and "youth"), sexual orientation 0.63. Each floor below is the
measured value rounded down to the next 0.05, so the test fails when a lexicon change loses
recall, not on noise (the file is fixed). Race recall is low by design: about a third of
CrowS-Pairs' race sentences signal race only by a first name ("Jamal", "Shaniqua") or by a
predicate ("he was black"), which the lexicon does not treat as a mention (names are used for
gender only; "black" alone is a colour in customer-service text).

The other direction is checked too: sentences labelled with an unrelated bias type
(socioeconomic, physical appearance) rarely mention the non-gender axes.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from equityaudit.auditors.chatbot.lexicon import Lexicon, column_name
from evidence import unavailable

AXES = {
    "race-color": ("race_ethnicity", 0.45),
    "gender": ("gender", 0.85),
    "disability": ("disability", 0.45),
    "nationality": ("nationality", 0.60),
    "religion": ("religion", 0.80),
    "age": ("age", 0.55),
    "sexual-orientation": ("sexual_orientation", 0.60),
}


@pytest.fixture
def crows(reference_data: Path) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    path = reference_data / "crows_pairs_anonymized.csv"
    if not path.is_file():
        unavailable(f"{path} not found (shared/ beside the checkout)")
    return _matched(path)


@functools.cache
def _matched(path: Path) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    pairs = pd.read_csv(path)
    lexicon = Lexicon.default()
    sentences = pd.concat([pairs["sent_more"], pairs["sent_less"]], ignore_index=True).astype(str)
    labels = pd.concat([pairs["bias_type"], pairs["bias_type"]], ignore_index=True)
    frame = lexicon.mention_frame(pl.Series(sentences))
    mentions = {
        axis.id: np.logical_or.reduce([frame[column_name(axis.id, g.id)].to_numpy() for g in axis.groups])
        for axis in lexicon.axes
    }
    return labels.to_frame("bias_type"), mentions


@pytest.mark.parametrize("bias_type", list(AXES))
def test_recall_per_axis(crows: tuple[pd.DataFrame, dict[str, np.ndarray]], bias_type: str) -> None:
    labels, mentions = crows
    axis, floor = AXES[bias_type]
    labelled = (labels["bias_type"] == bias_type).to_numpy()
    assert labelled.sum() >= 120  # 60 pairs or more per type (87 for age, 60 for disability)
    recall = float(mentions[axis][labelled].mean())
    assert recall >= floor, f"{bias_type}: recall {recall:.3f} below {floor}"


def test_unrelated_sentences_rarely_mention_the_non_gender_axes(
    crows: tuple[pd.DataFrame, dict[str, np.ndarray]],
) -> None:
    labels, mentions = crows
    unrelated = labels["bias_type"].isin(["socioeconomic", "physical-appearance"]).to_numpy()
    for axis in ("race_ethnicity", "religion", "disability", "sexual_orientation", "nationality", "age"):
        share = float(mentions[axis][unrelated].mean())
        assert share < 0.10, f"{axis}: {share:.3f} of unrelated sentences"

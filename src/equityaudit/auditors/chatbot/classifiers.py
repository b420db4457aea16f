"""The intent classifiers the counterfactual test asks: a seeded baseline, or the user's skops pipeline.

The baseline is trained on the audited data — TF-IDF of words and word pairs and a multinomial
logistic regression, seeded; the user's own scikit-learn pipeline is loaded from a skops file with
every type it needs named explicitly (never unpickled). scikit-learn and skops are imported only
when a classifier is made.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equityaudit.errors import SpecError

__all__ = ["Classifier", "TrainedModel", "load_model", "train_baseline"]


Classifier = Callable[[list[str]], NDArray[Any]]
"""Anything that maps a list of texts to an array of predicted labels."""


@dataclass
class TrainedModel:
    """A fitted classifier and how it came to be."""

    predict: Classifier
    info: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def train_baseline(texts: Sequence[str], labels: Sequence[str], *, seed: int) -> TrainedModel:
    """Fit the baseline intent classifier: TF-IDF (words and word pairs) + logistic regression.

    scikit-learn is imported here, not before. A convergence warning is not an error: it becomes
    a note in the result (the classifier is still usable to test invariance).

    Examples
    --------
    >>> model = train_baseline(["where is my order", "where is my parcel", "refund please",
    ...                         "i want a refund"] * 5, ["status", "status", "refund", "refund"] * 5, seed=0)
    >>> model.predict(["my parcel", "refund"]).tolist()
    ['status', 'refund']
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    pipeline = Pipeline(
        [
            ("tfidf", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=100_000)),
            ("model", LogisticRegression(max_iter=2000, random_state=seed)),
        ]
    )
    started = time.perf_counter()
    notes = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        pipeline.fit(list(texts), list(labels))
    for warning in caught:
        if issubclass(warning.category, ConvergenceWarning):
            notes.append(
                "the baseline intent classifier did not fully converge within 2000 iterations; its "
                "flip rates are still those of the model as fitted"
            )
        else:  # not ours to silence: raise it again where it belongs
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    seconds = time.perf_counter() - started
    classes = [str(c) for c in pipeline.classes_]
    info = {
        "kind": "baseline",
        "description": "TF-IDF of words and word pairs (min_df 2, sublinear tf) + multinomial logistic "
        "regression (lbfgs, C=1), trained on the audited utterances and their intents",
        "seed": seed,
        "rows": len(texts),
        "classes": classes,
        "training_seconds": round(seconds, 3),
        "vocabulary": len(pipeline.named_steps["tfidf"].vocabulary_),
    }

    def predict(batch: list[str]) -> NDArray[Any]:
        return np.asarray(pipeline.predict(batch)).astype(str)

    return TrainedModel(predict, info, notes)


def load_model(path: Path, *, trusted: Sequence[str], origin: str) -> TrainedModel:
    """Load a user's scikit-learn pipeline from a skops file, trusting only what is named.

    skops refuses any type it does not trust by default; those the file needs must be listed in
    ``options.model_trusted_types`` (the error names them). Nothing is ever unpickled.
    """
    import skops.io as sio

    where = f"{origin}: options.model"
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # skops raises several unrelated types for a file it cannot read
        raise SpecError(
            f"{where}: {path} cannot be read as a skops file ({type(exc).__name__}: {exc})."
        ) from None
    missing = [t for t in untrusted if t not in set(trusted)]
    if missing:
        raise SpecError(
            f"{where}: {path} holds types that skops does not trust by default: {missing}. Inspect the "
            "file, and if you trust them, list them under options.model_trusted_types."
        )
    started = time.perf_counter()
    model = sio.load(path, trusted=list(untrusted))
    if not callable(getattr(model, "predict", None)):
        raise SpecError(
            f"{where}: {path} holds a {type(model).__name__}, which has no predict(); expected a fitted "
            "scikit-learn pipeline that maps texts to intents."
        )
    info = {
        "kind": "skops",
        "path": str(path),
        "type": f"{type(model).__module__}.{type(model).__name__}",
        "trusted_types": list(untrusted),
        "loading_seconds": round(time.perf_counter() - started, 3),
    }

    def predict(batch: list[str]) -> NDArray[Any]:
        return np.asarray(model.predict(batch)).astype(str)

    return TrainedModel(predict, info)

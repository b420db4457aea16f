"""Build the bundled model audit: a logistic screening model trained on datasets/hiring.csv.

Trains a scikit-learn pipeline (standardised age and years of experience → advanced to
interview) on a seeded 70 % of the synthetic applicants, saves it with skops as
audits/model-screening.skops, and writes the other 30 % (their id, sex, race/ethnicity, the two
features and the true label ``advanced``) to audits/model-screening-held-out.csv, which
audits/model-screening.yaml audits. The 70 % training rows (sex, race/ethnicity, the two features
and ``advanced``) go to audits/model-screening-train.csv, the training data that
``equityaudit lda audits/model-screening.yaml --train audits/model-screening-train.csv`` refits
candidate models on (docs/lda.md). Nothing is downloaded; run it again to rebuild the same files
(the CSVs byte for byte; the skops file is a zip archive stamped with the time it was written, so
a rebuilt one holds the same model in different bytes):

    python scripts/make_model.py
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import skops.io as sio
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parents[1]
FEATURES = ["age", "years_experience"]
LABEL = "advanced"
SEED = 2026


def main() -> None:
    applicants = pd.read_csv(ROOT / "datasets" / "hiring.csv")
    held_out = applicants.sample(frac=0.3, random_state=SEED).sort_index()
    train = applicants.drop(held_out.index)
    model = make_pipeline(StandardScaler(), LogisticRegression())
    model.fit(train[FEATURES], train[LABEL].eq("Yes"))
    sio.dump(model, ROOT / "audits" / "model-screening.skops")
    held_out[["applicant_id", "sex", "race_ethnicity", *FEATURES, LABEL]].to_csv(
        ROOT / "audits" / "model-screening-held-out.csv", index=False
    )
    train[["sex", "race_ethnicity", *FEATURES, LABEL]].to_csv(
        ROOT / "audits" / "model-screening-train.csv", index=False
    )
    print(f"trained on {len(train)} applicants; {len(held_out)} held out")


if __name__ == "__main__":
    main()

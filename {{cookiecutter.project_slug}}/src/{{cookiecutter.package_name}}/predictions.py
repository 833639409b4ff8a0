"""Predictions as a table: `prediction`, and one `probability_<label>` column per class.

One set of column names for the flow's held-out predictions, `PredictFlow` and `load_model`.
"""

from typing import Any

import numpy as np
import pandas as pd

PREDICTION = "prediction"
ACTUAL = "actual"
PROBABILITY = "probability_"


def probability_column(label: Any) -> str:
    """The column holding the probability of class `label`."""
    return f"{PROBABILITY}{label}"


def predict(model: Any, features: pd.DataFrame, actual: pd.Series | None = None) -> pd.DataFrame:
    """Predict `features` with a fitted pipeline: the prediction, then class probabilities.

    With `actual`, the true values come first (the held-out predictions of a run).
    """
    frame = pd.DataFrame(index=features.index)
    if actual is not None:
        frame[ACTUAL] = actual.to_numpy()
    frame[PREDICTION] = model.predict(features)
    if hasattr(model, "predict_proba") and hasattr(model, "classes_"):
        probabilities = model.predict_proba(features)
        for position, label in enumerate(np.asarray(model.classes_).tolist()):
            frame[probability_column(label)] = probabilities[:, position]
    return frame

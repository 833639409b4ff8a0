"""Tables the tests train on: scikit-learn's bundled data sets, and a generated messy table.

None of them comes from the package under test. Every table holds its label in `target`.
"""

import numpy as np
import pandas as pd

TARGET = "target"
# The messy table's columns by what the data check should make of them.
MESSY_NUMERIC = ["age", "income"]
MESSY_CATEGORICAL = ["city", "member", "note"]
MESSY_DATE = "joined"
MESSY_IGNORED = ["constant", "empty"]
MESSY_LABELS = ("alpha", "beta", "gamma")


def diabetes() -> pd.DataFrame:
    """Regression: 442 rows, 10 numeric features (scikit-learn's diabetes data)."""
    from sklearn.datasets import load_diabetes

    return load_diabetes(as_frame=True).frame


def breast_cancer() -> pd.DataFrame:
    """Binary classification: 569 rows, 30 numeric features, integer labels 0 and 1."""
    from sklearn.datasets import load_breast_cancer

    return load_breast_cancer(as_frame=True).frame


def wine() -> pd.DataFrame:
    """Three classes: 178 rows, 13 numeric features, string labels class_0, class_1, class_2."""
    from sklearn.datasets import load_wine

    bunch = load_wine(as_frame=True)
    frame = bunch.frame.copy()
    frame[TARGET] = np.asarray(bunch.target_names, dtype=object)[bunch.target.to_numpy()]
    return frame


def messy(problem: str, n_rows: int = 300, seed: int = 0, n_classes: int = 3) -> pd.DataFrame:
    """A table as users bring them, with a learnable target.

    Numbers with missing values (`age`, `income`), text categories with missing values
    (`city`), a boolean (`member`), ISO dates (`joined`), free text with more distinct values
    than the default `data.max_categories` of 30 (`note`), a constant column and an all-missing
    one. The target is a number (regression) or a string label from MESSY_LABELS
    (classification, `n_classes` of them, from 2 to 3).
    """
    rng = np.random.RandomState(seed)
    age = rng.uniform(18, 80, n_rows)
    income = rng.lognormal(10, 0.5, n_rows)
    cities = np.array(["north", "south", "east", "west"], dtype=object)
    city = cities[rng.randint(0, 4, n_rows)]
    member = rng.rand(n_rows) < 0.4
    days = rng.randint(0, 3 * 365, n_rows)
    joined = pd.Timestamp("2021-01-01") + pd.to_timedelta(days, unit="D")
    words = [
        f"{a} {b}"
        for a in ("late", "early", "odd", "fine", "slow", "fast", "rare")
        for b in ("delivery", "payment", "visit", "call", "order", "refund", "review")
    ]
    note = np.asarray(words, dtype=object)[rng.randint(0, len(words), n_rows)]
    city_effect = pd.Series(city).map({"north": 1.0, "south": -1.0, "east": 0.5, "west": 0.0})
    latent = (
        (age - 50) / 15
        + (np.log(income) - 10) * 2
        + city_effect.to_numpy()
        + member * 1.5
        + (days - 550) / 400
        + rng.normal(0, 0.5, n_rows)
    )
    frame = pd.DataFrame(
        {
            "age": age.round(1),
            "income": income.round(2),
            "city": city,
            "member": member,
            "joined": joined.strftime("%Y-%m-%d"),
            "note": note,
            "constant": "same",
            "empty": np.nan,
        }
    )
    frame.loc[rng.rand(n_rows) < 0.1, "age"] = np.nan
    frame.loc[rng.rand(n_rows) < 0.05, "income"] = np.nan
    frame.loc[rng.rand(n_rows) < 0.1, "city"] = np.nan
    if problem == "regression":
        frame[TARGET] = (10 * latent + 50).round(3)
    else:
        if not 2 <= n_classes <= len(MESSY_LABELS):
            raise ValueError(f"n_classes must be 2 or 3, got {n_classes}")
        edges = np.quantile(latent, np.linspace(0, 1, n_classes + 1)[1:-1])
        labels = np.asarray(MESSY_LABELS[:n_classes], dtype=object)
        frame[TARGET] = labels[np.searchsorted(edges, latent)]
    return frame

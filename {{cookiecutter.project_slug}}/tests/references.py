"""Independent references: the tournament's preprocessing spelled out with scikit-learn from
literal settings, so a test compares the package with something it did not compute."""

from datetime import date

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler
from tables import MESSY_CATEGORICAL, MESSY_DATE, MESSY_NUMERIC

EPOCH = date(1970, 1, 1)


def days_by_hand(values):
    """ISO dates (YYYY-MM-DD) as days since 1970-01-01, worked out with the standard library."""
    days = [
        np.nan if pd.isna(text) else float((date.fromisoformat(str(text)[:10]) - EPOCH).days)
        for text in np.asarray(values, dtype=object).ravel()
    ]
    return np.array(days, dtype=float).reshape(-1, 1)


def preprocessor(kind, numeric, dates, categorical, max_categories=30):
    """A ColumnTransformer for `scaled` (median-impute and standardise numbers and dates,
    one-hot categories), `ordinal` (numbers and dates as they are, categories as codes,
    missing and unseen as NaN) or `none` (numbers only)."""

    def scale():
        return [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]

    def days():
        return FunctionTransformer(days_by_hand)

    if kind == "scaled":
        parts = [
            ("numeric", Pipeline(scale()), list(numeric)),
            ("date", Pipeline([("days", days()), *scale()]), list(dates)),
            (
                "categorical",
                OneHotEncoder(
                    handle_unknown="infrequent_if_exist",
                    max_categories=max_categories,
                    sparse_output=False,
                ),
                list(categorical),
            ),
        ]
    elif kind == "ordinal":
        parts = [
            ("numeric", "passthrough", list(numeric)),
            ("date", days(), list(dates)),
            (
                "categorical",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value",
                    unknown_value=np.nan,
                    encoded_missing_value=np.nan,
                    max_categories=max_categories,
                ),
                list(categorical),
            ),
        ]
    else:
        parts = [("numeric", "passthrough", list(numeric))]
    return ColumnTransformer([part for part in parts if part[2]])


def messy_preprocessor(kind, max_categories=30):
    """`preprocessor` for the messy table's usable columns (tables.messy)."""
    return preprocessor(kind, MESSY_NUMERIC, [MESSY_DATE], MESSY_CATEGORICAL, max_categories)


def messy_schema(target="target", max_categories=30):
    """The feature schema the data check gives the messy table, written out by hand: only
    the keys the pipelines read, plus the target."""
    kinds = {name: "numeric" for name in MESSY_NUMERIC}
    kinds.update({name: "categorical" for name in MESSY_CATEGORICAL})
    kinds[MESSY_DATE] = "date"
    return {
        "target": target,
        "columns": [*MESSY_NUMERIC, *MESSY_CATEGORICAL, MESSY_DATE],
        "kinds": kinds,
        "max_categories": max_categories,
    }

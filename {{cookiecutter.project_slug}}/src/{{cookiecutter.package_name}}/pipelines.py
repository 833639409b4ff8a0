"""Pipelines: each contender's column preprocessing, then its model.

The flow, the tests and the benchmark all build pipelines here, so a flow score and a
GridSearchCV score of the same candidate come from identical estimators.
"""

from typing import Any, Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from .search_space import make_estimator

EPOCH = pd.Timestamp("1970-01-01", tz="UTC")


class DaysSinceEpoch(TransformerMixin, BaseEstimator):
    """Dates (datetime or ISO 8601 text) as days since 1970-01-01; unreadable ones as NaN."""

    def fit(self, X: Any, y: Any = None) -> Self:
        self.n_features_in_ = np.shape(X)[1]
        return self

    def transform(self, X: Any) -> np.ndarray:
        frame = pd.DataFrame(X)
        days = [
            (pd.to_datetime(frame[name], format="ISO8601", errors="coerce", utc=True) - EPOCH)
            / pd.Timedelta(days=1)
            for name in frame.columns
        ]
        return np.column_stack(days).astype(np.float64)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(input_features, dtype=object)


def make_preprocessor(kind: str, schema: dict[str, Any]) -> ColumnTransformer:
    """The ColumnTransformer of one preprocessing kind, for the schema's columns.

    `scaled` (linear models, neural nets): median-impute and standardise numbers and dates,
    one-hot categories (missing is a category; rare values beyond `max_categories` share one).
    `ordinal` (LightGBM): numbers and dates as they are, missing values left for the trees'
    native handling; categories as codes. `none`: numbers only, for estimators that bring
    their own preprocessing.
    """
    by_kind: dict[str, list[str]] = {"numeric": [], "categorical": [], "date": []}
    for name in schema["columns"]:
        by_kind[schema["kinds"][name]].append(name)
    limit = schema["max_categories"]
    if kind == "scaled":
        transformers: list[tuple[str, Any, list[str]]] = [
            ("numeric", _impute_and_scale(), by_kind["numeric"]),
            (
                "date",
                Pipeline([("days", DaysSinceEpoch()), *_impute_and_scale().steps]),
                by_kind["date"],
            ),
            (
                "categorical",
                OneHotEncoder(
                    handle_unknown="infrequent_if_exist", max_categories=limit, sparse_output=False
                ),
                by_kind["categorical"],
            ),
        ]
    elif kind == "ordinal":
        transformers = [
            ("numeric", "passthrough", by_kind["numeric"]),
            ("date", DaysSinceEpoch(), by_kind["date"]),
            (
                "categorical",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value",
                    unknown_value=np.nan,
                    encoded_missing_value=np.nan,
                    max_categories=limit,
                ),
                by_kind["categorical"],
            ),
        ]
    elif kind == "none":
        transformers = [("numeric", "passthrough", by_kind["numeric"])]
    else:
        raise ValueError(f"unknown preprocessing {kind!r}")
    transformers = [item for item in transformers if item[2]]
    return ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=False)


def _impute_and_scale() -> Pipeline:
    return Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])


def build_pipeline(
    contender: dict[str, Any],
    schema: dict[str, Any],
    seed: int,
    params: dict[str, Any] | None = None,
) -> Pipeline:
    """THE pipeline of one candidate: `preprocess` then `model`, with the candidate's `params`."""
    model = make_estimator(contender, seed)
    if params:
        model.set_params(**params)
    return Pipeline(
        [("preprocess", make_preprocessor(contender["preprocessing"], schema)), ("model", model)]
    )


def refit_pipeline(
    contender: dict[str, Any],
    schema: dict[str, Any],
    seed: int,
    params: dict[str, Any],
    iterations: int | None,
    threads: int = 1,
) -> Pipeline:
    """The winner's pipeline for a refit: `iterations` rounds, early stopping off, `threads`.

    Both refits (training split, all rows) build it here, so they train the same model.
    """
    from .models import refit_params

    pipeline = build_pipeline(contender, schema, seed, params)
    model = pipeline.named_steps["model"]
    fixed = refit_params(model, iterations)
    if "n_jobs" in model.get_params():
        fixed["n_jobs"] = threads
    model.set_params(**fixed)
    return pipeline

"""Refits: the winner trained for its CV best iteration count, scored once on the held-out rows,
and the deployable model trained on every row; each equals a pipeline spelled out by hand."""

import numpy as np
import pandas as pd
import pytest
from references import messy_preprocessor, messy_schema
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import get_scorer
from sklearn.pipeline import Pipeline
from tables import MESSY_IGNORED, TARGET, messy
from threadpoolctl import threadpool_limits

from {{ cookiecutter.package_name }}.models.lightgbm import LightGBMClassifier
from {{ cookiecutter.package_name }}.refit import refit

SEED = 2
CONFIG = {
    "data": {"problem": "classification", "target": TARGET},
    "contenders": {
        "lightgbm": {
            "estimator": "{{ cookiecutter.package_name }}.models.lightgbm.LightGBMClassifier",
            "preprocessing": "ordinal",
            "params": {"n_estimators": 500, "early_stopping_rounds": 10, "num_leaves": 7},
        },
        "linear": {
            "estimator": "sklearn.linear_model.LogisticRegression",
            "preprocessing": "scaled",
            "params": {"max_iter": 500},
        },
    },
    "ensemble": {"top_k": 2, "inner_folds": 3},
}
WINNER = {
    "candidate": "lightgbm-1",
    "family": "lightgbm",
    "params": {"learning_rate": 0.1},
    "cv_score": 0.9,
    "cv_sem": 0.01,
    "iterations": 23,
}


def split():
    table = messy("classification", n_rows=300, seed=6).drop(columns=MESSY_IGNORED)
    return table.iloc[:225].reset_index(drop=True), table.iloc[225:].reset_index(drop=True)


def literal_winner():
    """The winner as a refit trains it: 23 trees, no early stopping, one thread."""
    model = LightGBMClassifier(
        n_estimators=23,
        early_stopping_rounds=None,
        num_leaves=7,
        learning_rate=0.1,
        random_state=SEED,
        n_jobs=1,
    )
    return Pipeline([("preprocess", messy_preprocessor("ordinal")), ("model", model)])


def fitted(pipeline, rows):
    with threadpool_limits(limits=1):
        return pipeline.fit(rows.drop(columns=[TARGET]), rows[TARGET])


@pytest.mark.parametrize("cores_given", [1, 2])
def test_refits_equal_the_literal_winner_on_each_split(cores_given):
    train, test = split()
    outcome = refit(
        CONFIG, WINNER, [], messy_schema(), train, test, "roc_auc_ovr", SEED, cores_given
    )
    X_test = test.drop(columns=[TARGET])
    on_train = fitted(literal_winner(), train)
    assert outcome.test_score == get_scorer("roc_auc_ovr")(on_train, X_test, test[TARGET])
    predictions = outcome.test_predictions
    np.testing.assert_array_equal(predictions["actual"], test[TARGET])
    np.testing.assert_array_equal(predictions["prediction"], on_train.predict(X_test))
    probabilities = on_train.predict_proba(X_test)
    for position, label in enumerate(["alpha", "beta", "gamma"]):
        np.testing.assert_array_equal(
            predictions[f"probability_{label}"], probabilities[:, position]
        )
    # The model to deploy learnt from every row, held-out ones included.
    everything = pd.concat([train, test], ignore_index=True)
    on_all = fitted(literal_winner(), everything)
    np.testing.assert_array_equal(outcome.model.predict_proba(X_test), on_all.predict_proba(X_test))
    assert outcome.model.named_steps["model"].model_.booster_.num_trees() == 23 * 3


def test_an_ensemble_winner_is_refitted_as_a_stack():
    from sklearn.ensemble import StackingClassifier
    from sklearn.model_selection import StratifiedKFold

    train, test = split()
    candidates = [
        {"name": "lightgbm-1", "family": "lightgbm", "params": {"learning_rate": 0.1}, "cost": 1},
        {"name": "linear-0", "family": "linear", "params": {"C": 0.5}, "cost": 1},
    ]
    winner = {**WINNER, "candidate": "ensemble", "family": "ensemble"}
    winner["params"] = {"members": ["lightgbm-1", "linear-0"]}
    outcome = refit(
        CONFIG, winner, candidates, messy_schema(), train, test, "neg_log_loss", SEED, 1
    )
    lightgbm = LightGBMClassifier(
        n_estimators=500,
        early_stopping_rounds=10,
        num_leaves=7,
        learning_rate=0.1,
        random_state=SEED,
    )
    linear = LogisticRegression(max_iter=500, C=0.5, random_state=SEED)
    stack = StackingClassifier(
        [
            (
                "lightgbm",
                Pipeline([("preprocess", messy_preprocessor("ordinal")), ("model", lightgbm)]),
            ),
            ("linear", Pipeline([("preprocess", messy_preprocessor("scaled")), ("model", linear)])),
        ],
        cv=StratifiedKFold(3, shuffle=True, random_state=SEED),
    )
    expected = get_scorer("neg_log_loss")(
        fitted(stack, train), test.drop(columns=[TARGET]), test[TARGET]
    )
    assert outcome.test_score == expected

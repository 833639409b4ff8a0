"""Keras (JAX backend) wrappers: scikit-learn contract, early stopping, refits."""

import os
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from {{ cookiecutter.package_name }}.data import make_mock
from {{ cookiecutter.package_name }}.models import best_iteration, refit_params
from {{ cookiecutter.package_name }}.models.keras import KerasClassifier, KerasRegressor


def _data(task, n_samples=300):
    table = make_mock(
        task, seed=0, n_samples=n_samples, n_features=5, n_informative=3, n_categories=1, noise=1.0
    )
    X = table.drop(columns=["category", "target"]).to_numpy()
    return (X - X.mean(axis=0)) / X.std(axis=0), table["target"].to_numpy()


@pytest.mark.parametrize(
    ("task", "estimator"),
    [
        (
            "regression",
            KerasRegressor(
                hidden_layers=[8],
                epochs=60,
                batch_size=64,
                learning_rate=0.05,
                early_stopping_patience=3,
            ),
        ),
        (
            "classification",
            KerasClassifier(
                hidden_layers=[8],
                epochs=60,
                batch_size=64,
                learning_rate=0.05,
                early_stopping_patience=3,
            ),
        ),
    ],
    ids=["regression", "classification"],
)
def test_fit_predict_early_stopping_refit_pickle(task, estimator):
    X, y = _data(task)
    model = clone(estimator).fit(X, y)
    assert os.environ["KERAS_BACKEND"] == "jax"
    predictions = model.predict(X)
    assert predictions.shape == (len(y),)
    if task == "classification":
        assert model.predict_proba(X).shape == (len(y), 2)
        assert model.score(X, y) > 0.7
    else:
        assert model.score(X, y) > 0.5
    best = best_iteration(model)
    assert 1 <= best < 60
    np.testing.assert_allclose(clone(estimator).fit(X, y).predict(X), predictions, rtol=1e-5)
    fixed = clone(estimator).set_params(**refit_params(model, 5)).fit(X, y)
    assert fixed.best_iteration_ == 5
    assert fixed.early_stopping_patience == 0
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(again.predict(X), predictions, rtol=1e-6)


def test_keras_in_pipeline_and_grid_search():
    X, y = _data("regression", n_samples=150)
    pipeline = Pipeline(
        [
            ("scale", StandardScaler()),
            ("model", KerasRegressor(hidden_layers=[4], epochs=5, learning_rate=0.05)),
        ]
    )
    search = GridSearchCV(
        pipeline, {"model__l2": [0.0, 1e-3]}, cv=KFold(2, shuffle=True, random_state=0), refit=False
    )
    search.fit(X, y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert list(search.cv_results_["param_model__l2"]) == [0.0, 1e-3]

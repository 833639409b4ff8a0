"""Model wrappers: scikit-learn contract, early stopping on training data only, refits."""

import functools
import pickle

import lightgbm
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from {{ cookiecutter.package_name }}.data import make_mock
from {{ cookiecutter.package_name }}.models import best_iteration, refit_params
from {{ cookiecutter.package_name }}.models.lightgbm import LightGBMClassifier, LightGBMRegressor
from {{ cookiecutter.package_name }}.models.mlp import MLPClassifier, MLPRegressor


def _data(task, n_samples=300):
    table = make_mock(
        task, seed=0, n_samples=n_samples, n_features=5, n_informative=3, n_categories=1
    )
    return table.drop(columns=["category", "target"]).to_numpy(), table["target"].to_numpy()


ESTIMATORS = [
    ("regression", LightGBMRegressor(n_estimators=300, early_stopping_rounds=5, learning_rate=0.3)),
    (
        "classification",
        LightGBMClassifier(n_estimators=300, early_stopping_rounds=5, learning_rate=0.3),
    ),
    (
        "regression",
        MLPRegressor(
            hidden_layer_sizes=(8,),
            max_iter=300,
            early_stopping=True,
            n_iter_no_change=5,
            learning_rate_init=0.01,
            random_state=0,
        ),
    ),
    (
        "classification",
        MLPClassifier(
            hidden_layer_sizes=(8,),
            max_iter=300,
            early_stopping=True,
            n_iter_no_change=5,
            learning_rate_init=0.01,
            random_state=0,
        ),
    ),
]
IDS = ["lgbm-reg", "lgbm-clf", "mlp-reg", "mlp-clf"]


@pytest.mark.parametrize(("task", "estimator"), ESTIMATORS, ids=IDS)
def test_fit_predict_clone_pickle(task, estimator):
    X, y = _data(task)
    model = clone(estimator).fit(X, y)
    predictions = model.predict(X)
    assert predictions.shape == (len(y),)
    if task == "classification":
        assert set(np.unique(predictions)) <= set(model.classes_)
        probabilities = model.predict_proba(X)
        assert probabilities.shape == (len(y), 2)
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
        assert model.score(X, y) > 0.7
    else:
        assert model.score(X, y) > 0.5
    assert clone(model).get_params() == estimator.get_params()
    assert not hasattr(clone(model), "best_iteration_")
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X), predictions)


@pytest.mark.parametrize(("task", "estimator"), ESTIMATORS, ids=IDS)
def test_best_iteration_recorded_and_refit_uses_it(task, estimator):
    X, y = _data(task)
    model = clone(estimator).fit(X, y)
    best = best_iteration(model)
    budget = model.get_params().get("n_estimators", model.get_params().get("max_iter"))
    assert 1 <= best < budget  # early stopping stopped before the budget
    fixed = clone(estimator).set_params(**refit_params(model, best)).fit(X, y)
    assert best_iteration(fixed) == best
    if isinstance(fixed, (MLPRegressor, MLPClassifier)):
        assert fixed.n_iter_ == best
    else:
        assert fixed.model_.booster_.num_trees() == best


@pytest.mark.parametrize(("task", "estimator"), ESTIMATORS, ids=IDS)
def test_fit_is_deterministic(task, estimator):
    X, y = _data(task)
    first = clone(estimator).fit(X, y).predict(X)
    second = clone(estimator).fit(X, y).predict(X)
    np.testing.assert_array_equal(first, second)


def test_lightgbm_early_stopping_sees_only_the_fit_data(monkeypatch):
    """The validation split is carved from the X given to fit: never from elsewhere."""
    seen = {}
    original = lightgbm.LGBMRegressor.fit

    @functools.wraps(original)
    def spy(self, X, y, **kwargs):
        seen["fit"] = np.asarray(X).copy()
        given = kwargs["eval_X"][0] if "eval_X" in kwargs else kwargs["eval_set"][0][0]
        seen["validation"] = np.asarray(given).copy()
        return original(self, X, y, **kwargs)

    monkeypatch.setattr(lightgbm.LGBMRegressor, "fit", spy)
    X, y = _data("regression")
    train, held_out = X[:200], X[200:]
    LightGBMRegressor(n_estimators=50, early_stopping_rounds=5).fit(train, y[:200])
    rows = {row.tobytes() for row in train}
    assert {row.tobytes() for row in seen["validation"]} <= rows
    assert not {row.tobytes() for row in seen["validation"]} & {r.tobytes() for r in held_out}
    assert len(seen["fit"]) + len(seen["validation"]) == len(train)


def test_mlp_best_iteration_is_its_best_validation_epoch():
    X, y = _data("regression")
    model = MLPRegressor(
        hidden_layer_sizes=(8,),
        max_iter=500,
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=5,
        learning_rate_init=0.01,
        random_state=0,
    )
    model.fit(X[:200], y[:200])
    assert model.best_iteration_ == int(np.argmax(model.validation_scores_)) + 1
    assert model.best_iteration_ <= model.n_iter_ < 500


@pytest.mark.parametrize(("task", "estimator"), ESTIMATORS, ids=IDS)
def test_works_in_pipeline_and_grid_search(task, estimator):
    X, y = _data(task, n_samples=200)
    pipeline = Pipeline([("scale", StandardScaler()), ("model", clone(estimator))])
    is_mlp = "learning_rate_init" in estimator.get_params()
    key, values = ("model__alpha", [1e-4, 1e-2]) if is_mlp else ("model__learning_rate", [0.1, 0.3])
    search = GridSearchCV(pipeline, {key: values}, cv=KFold(3, shuffle=True, random_state=0))
    search.fit(X, y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_estimator_.named_steps["model"].best_iteration_ >= 1


def test_linear_models_have_no_iteration_budget():
    from sklearn.linear_model import Ridge

    X, y = _data("regression")
    model = Ridge().fit(X, y)
    assert best_iteration(model) is None
    assert refit_params(model, 10) == {}

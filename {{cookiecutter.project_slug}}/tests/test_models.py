"""Model wrappers: any label type, early stopping on the fit data only, and the same model as the
library they wrap."""

import functools
import inspect
import pickle
import warnings

import lightgbm
import numpy as np
import pytest
from sklearn import neural_network
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder, StandardScaler
from tables import TARGET, breast_cancer, diabetes, wine

from {{ cookiecutter.package_name }}.models import best_iteration, refit_params
from {{ cookiecutter.package_name }}.models.lightgbm import LightGBMClassifier, LightGBMRegressor
from {{ cookiecutter.package_name }}.models.mlp import MLPClassifier, MLPRegressor

# What the wrapper promises to pass LightGBM besides the model's own parameters.
LIGHTGBM_FIXED = {"deterministic": True, "force_row_wise": True, "verbose": -1}


def features(table):
    return StandardScaler().fit_transform(table.drop(columns=[TARGET]))


def binary(labels):
    """Breast cancer with its 0/1 labels spelled as `labels`."""
    table = breast_cancer().iloc[::2]
    return features(table), np.asarray(labels, dtype=object)[table[TARGET].to_numpy()]


def multiclass(labels):
    """Wine with its three classes spelled as `labels`."""
    table = wine()
    codes = LabelEncoder().fit_transform(table[TARGET])
    return features(table), np.asarray(labels, dtype=object)[codes]


LABELS = {
    "binary-strings": lambda: binary(["malignant", "benign"]),
    "binary-bools": lambda: binary([False, True]),
    "binary-ints": lambda: binary([0, 1]),
    "multiclass-strings": lambda: multiclass(["barolo", "grignolino", "barbera"]),
    "multiclass-ints": lambda: multiclass([7, 3, 9]),
}


def typed(y):
    """Labels with their natural dtype (strings stay objects, bools and ints become arrays)."""
    kinds = {type(value) for value in y}
    return y.astype(bool) if kinds == {bool} else y.astype(int) if kinds == {int} else y


@pytest.mark.parametrize("labels", LABELS)
@pytest.mark.parametrize("early_stopping_rounds", [5, None], ids=["early-stopping", "no-stopping"])
def test_lightgbm_classifier_takes_any_labels(labels, early_stopping_rounds):
    X, y = LABELS[labels]()
    y = typed(y)
    model = LightGBMClassifier(n_estimators=40, early_stopping_rounds=early_stopping_rounds)
    model.fit(X, y)
    assert list(model.classes_) == sorted(set(y.tolist()))
    predicted = model.predict(X)
    assert set(predicted.tolist()) <= set(y.tolist())
    assert np.mean(predicted == y) > 0.9
    probabilities = model.predict_proba(X)
    assert probabilities.shape == (len(y), len(model.classes_))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    # The most probable class is the prediction, in classes_ order.
    np.testing.assert_array_equal(model.classes_[probabilities.argmax(axis=1)], predicted)


@pytest.mark.parametrize("labels", LABELS)
def test_lightgbm_classifier_without_early_stopping_is_plain_lightgbm(labels):
    X, y = LABELS[labels]()
    y = typed(y)
    params = {"n_estimators": 25, "learning_rate": 0.1, "num_leaves": 7, "random_state": 3}
    ours = LightGBMClassifier(**params, early_stopping_rounds=None).fit(X, y)
    raw = lightgbm.LGBMClassifier(**params, n_jobs=1, **LIGHTGBM_FIXED).fit(X, y)
    np.testing.assert_array_equal(ours.predict(X), raw.predict(X))
    np.testing.assert_array_equal(ours.predict_proba(X), raw.predict_proba(X))
    assert ours.best_iteration_ == 25


def test_lightgbm_regressor_without_early_stopping_is_plain_lightgbm():
    table = diabetes()
    X, y = table.drop(columns=[TARGET]).to_numpy(), table[TARGET].to_numpy()
    params = {"n_estimators": 30, "learning_rate": 0.1, "num_leaves": 7, "random_state": 3}
    ours = LightGBMRegressor(**params, early_stopping_rounds=None).fit(X, y)
    raw = lightgbm.LGBMRegressor(**params, n_jobs=1, **LIGHTGBM_FIXED).fit(X, y)
    np.testing.assert_array_equal(ours.predict(X), raw.predict(X))


def validation_kwargs(model, X, y):
    # LightGBM 4.7 renamed eval_set to eval_X/eval_y (and deprecated the old name).
    if "eval_X" in inspect.signature(model.fit).parameters:
        return {"eval_X": (X,), "eval_y": (y,)}
    return {"eval_set": [(X, y)]}


@pytest.mark.parametrize("problem", ["regression", "multiclass-strings"])
def test_lightgbm_early_stopping_is_lightgbm_on_a_literal_inner_split(problem):
    """Early stopping holds out `validation_fraction` of the rows given to fit (stratified for
    classes), exactly as a hand-written LightGBM run with the same split."""
    if problem == "regression":
        table = diabetes()
        X, y = table.drop(columns=[TARGET]).to_numpy(), table[TARGET].to_numpy()
        ours = LightGBMRegressor(n_estimators=300, learning_rate=0.2, early_stopping_rounds=5)
        raw = lightgbm.LGBMRegressor(n_estimators=300, learning_rate=0.2, random_state=0)
        codes, stratify = y, None
    else:
        X, y = LABELS[problem]()
        ours = LightGBMClassifier(n_estimators=300, learning_rate=0.2, early_stopping_rounds=5)
        raw = lightgbm.LGBMClassifier(n_estimators=300, learning_rate=0.2, random_state=0)
        codes = LabelEncoder().fit_transform(y)
        stratify = codes
    raw.set_params(n_jobs=1, **LIGHTGBM_FIXED)
    X_fit, X_val, y_fit, y_val = train_test_split(
        X, codes, test_size=0.1, random_state=0, stratify=stratify
    )
    raw.fit(
        X_fit,
        y_fit,
        **validation_kwargs(raw, X_val, y_val),
        callbacks=[lightgbm.early_stopping(5, verbose=False)],
    )
    ours.fit(X, y)
    assert ours.best_iteration_ == raw.best_iteration_ < 300
    if problem == "regression":
        np.testing.assert_array_equal(ours.predict(X), raw.predict(X))
    else:
        np.testing.assert_array_equal(ours.predict_proba(X), raw.predict_proba(X))
        np.testing.assert_array_equal(ours.predict(X), ours.classes_[raw.predict(X)])


def test_lightgbm_early_stopping_sees_only_the_rows_given_to_fit(monkeypatch):
    seen = {}
    original = lightgbm.LGBMRegressor.fit

    @functools.wraps(original)
    def spy(self, X, y, **kwargs):
        seen["fit"] = np.asarray(X).copy()
        given = kwargs["eval_X"][0] if "eval_X" in kwargs else kwargs["eval_set"][0][0]
        seen["validation"] = np.asarray(given).copy()
        return original(self, X, y, **kwargs)

    monkeypatch.setattr(lightgbm.LGBMRegressor, "fit", spy)
    table = diabetes()
    X, y = table.drop(columns=[TARGET]).to_numpy(), table[TARGET].to_numpy()
    train, held_out = X[:300], X[300:]
    LightGBMRegressor(n_estimators=50, early_stopping_rounds=5).fit(train, y[:300])
    rows = {row.tobytes() for row in train}
    assert {row.tobytes() for row in seen["validation"]} <= rows
    assert not {row.tobytes() for row in seen["validation"]} & {r.tobytes() for r in held_out}
    assert len(seen["fit"]) == 270
    assert len(seen["validation"]) == 30


MLP_PARAMS = {
    "hidden_layer_sizes": (8,),
    "max_iter": 300,
    "early_stopping": True,
    "n_iter_no_change": 5,
    "learning_rate_init": 0.01,
    "random_state": 0,
}


def quietly(fit, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit(*args)


@pytest.mark.parametrize("labels", ["binary-strings", "multiclass-strings", "multiclass-ints"])
def test_mlp_classifier_is_scikit_learn_s_with_any_labels(labels):
    X, y = LABELS[labels]()
    y = typed(y)
    ours = MLPClassifier(**MLP_PARAMS).fit(X, y)
    raw = quietly(neural_network.MLPClassifier(**MLP_PARAMS).fit, X, y)
    np.testing.assert_array_equal(ours.predict_proba(X), raw.predict_proba(X))
    np.testing.assert_array_equal(ours.predict(X), raw.predict(X))
    assert set(ours.predict(X).tolist()) <= set(y.tolist())
    assert ours.best_iteration_ == int(np.argmax(raw.validation_scores_)) + 1


def test_mlp_regressor_learns_a_standardised_target():
    table = diabetes()
    X, y = features(table), table[TARGET].to_numpy()
    ours = MLPRegressor(**MLP_PARAMS).fit(X, y)
    mean, scale = y.mean(), y.std()
    raw = quietly(neural_network.MLPRegressor(**MLP_PARAMS).fit, X, (y - mean) / scale)
    np.testing.assert_allclose(ours.predict(X), raw.predict(X) * scale + mean, rtol=1e-12)
    assert ours.score(X, y) > 0.4


def test_linear_models_take_string_labels_and_have_no_iteration_budget():
    X, y = LABELS["multiclass-strings"]()
    model = LogisticRegression(max_iter=500).fit(X, y)
    assert set(model.predict(X).tolist()) == set(y.tolist())
    assert best_iteration(model) is None
    assert refit_params(model, 10) == {}
    assert refit_params(Ridge(), 10) == {}


ESTIMATORS = {
    "lightgbm-regressor": ("regression", LightGBMRegressor(n_estimators=300, learning_rate=0.3)),
    "lightgbm-classifier": (
        "classification",
        LightGBMClassifier(n_estimators=300, learning_rate=0.3),
    ),
    "mlp-regressor": ("regression", MLPRegressor(**MLP_PARAMS)),
    "mlp-classifier": ("classification", MLPClassifier(**MLP_PARAMS)),
}


def data(problem):
    if problem == "regression":
        table = diabetes()
        return features(table), table[TARGET].to_numpy()
    return LABELS["binary-strings"]()


@pytest.mark.parametrize("name", ESTIMATORS)
def test_refit_trains_exactly_the_best_iteration_count(name):
    problem, estimator = ESTIMATORS[name]
    X, y = data(problem)
    model = clone(estimator).fit(X, y)
    best = best_iteration(model)
    budget = model.get_params().get("n_estimators", model.get_params().get("max_iter"))
    assert 1 <= best < budget  # early stopping stopped before the budget
    fixed = clone(estimator).set_params(**refit_params(model, best)).fit(X, y)
    assert best_iteration(fixed) == best
    if name.startswith("mlp"):
        assert fixed.n_iter_ == best
        assert not fixed.early_stopping
    else:
        assert fixed.model_.booster_.num_trees() == best  # one tree per round: two classes
        assert fixed.early_stopping_rounds is None


@pytest.mark.parametrize("name", ESTIMATORS)
def test_clone_pickle_and_repeat_give_the_same_model(name):
    problem, estimator = ESTIMATORS[name]
    X, y = data(problem)
    model = clone(estimator).fit(X, y)
    predictions = model.predict(X)
    assert clone(model).get_params() == estimator.get_params()
    assert not hasattr(clone(model), "best_iteration_")
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict(X), predictions)
    np.testing.assert_array_equal(clone(estimator).fit(X, y).predict(X), predictions)

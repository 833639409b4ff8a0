"""Keras (JAX backend) wrappers: any label type, early stopping on the fit data only, refits."""

import os
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelEncoder, StandardScaler
from tables import TARGET, breast_cancer, diabetes, wine

from {{ cookiecutter.package_name }}.models import best_iteration, refit_params
from {{ cookiecutter.package_name }}.models.keras import KerasClassifier, KerasRegressor

SETTINGS = {
    "hidden_layers": [8],
    "epochs": 40,
    "batch_size": 64,
    "learning_rate": 0.05,
    "early_stopping_patience": 3,
}


def features(table):
    return StandardScaler().fit_transform(table.drop(columns=[TARGET]))


def binary(labels):
    table = breast_cancer().iloc[::2]
    return features(table), np.asarray(labels, dtype=object)[table[TARGET].to_numpy()]


def multiclass(labels):
    table = wine()
    codes = LabelEncoder().fit_transform(table[TARGET])
    return features(table), np.asarray(labels, dtype=object)[codes]


def booleans(X, y):
    return X, y.astype(bool)


LABELS = {
    "binary-strings": lambda: binary(["malignant", "benign"]),
    "binary-bools": lambda: booleans(*binary([False, True])),
    "multiclass-strings": lambda: multiclass(["barolo", "grignolino", "barbera"]),
    "multiclass-ints": lambda: multiclass([7, 3, 9]),
}


@pytest.mark.parametrize("labels", LABELS)
def test_classifier_takes_any_labels(labels):
    X, y = LABELS[labels]()
    model = KerasClassifier(**SETTINGS).fit(X, y)
    assert os.environ["KERAS_BACKEND"] == "jax"
    assert list(model.classes_) == sorted(set(y.tolist()))
    predicted = model.predict(X)
    assert set(predicted.tolist()) <= set(y.tolist())
    assert np.mean(predicted == y) > 0.85
    probabilities = model.predict_proba(X)
    assert probabilities.shape == (len(y), len(model.classes_))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(model.classes_[probabilities.argmax(axis=1)], predicted)


def test_early_stopping_sees_only_a_literal_split_of_the_fit_rows(monkeypatch):
    import keras

    seen = {}
    original = keras.Model.fit

    def spy(self, x, y, validation_data=None, **kwargs):
        seen["fit"], seen["validation"] = np.asarray(x), np.asarray(validation_data[0])
        history = original(self, x, y, validation_data=validation_data, **kwargs)
        seen["val_loss"] = history.history["val_loss"]
        return history

    monkeypatch.setattr(keras.Model, "fit", spy)
    X, y = LABELS["multiclass-strings"]()
    train, held_out = X[:150], X[150:]
    model = KerasClassifier(**SETTINGS, validation_fraction=0.2, random_state=4)
    model.fit(train, y[:150])
    codes = LabelEncoder().fit_transform(y[:150])
    X_fit, X_val = train_test_split(
        train.astype(np.float32), test_size=0.2, random_state=4, stratify=codes
    )
    np.testing.assert_array_equal(seen["fit"], X_fit)
    np.testing.assert_array_equal(seen["validation"], X_val)
    assert not {row.tobytes() for row in seen["validation"]} & {
        row.astype(np.float32).tobytes() for row in held_out
    }
    assert model.best_iteration_ == int(np.argmin(seen["val_loss"])) + 1


def test_regressor_predicts_on_the_target_scale():
    table = diabetes()
    X, y = features(table), table[TARGET].to_numpy()
    model = KerasRegressor(**SETTINGS).fit(X, y)
    assert model.score(X, y) > 0.4
    assert abs(model.predict(X).mean() - y.mean()) < 0.2 * y.std()


@pytest.mark.parametrize("kind", ["regression", "classification"])
def test_refit_repeat_and_pickle(kind):
    if kind == "regression":
        table = diabetes()
        X, y, estimator = features(table), table[TARGET].to_numpy(), KerasRegressor(**SETTINGS)
    else:
        (X, y), estimator = LABELS["binary-strings"](), KerasClassifier(**SETTINGS)
    model = clone(estimator).fit(X, y)
    predictions = model.predict(X)
    best = best_iteration(model)
    assert 1 <= best < SETTINGS["epochs"]
    repeated = clone(estimator).fit(X, y).predict(X)
    if kind == "regression":
        np.testing.assert_allclose(repeated, predictions, rtol=1e-5)
    else:
        np.testing.assert_array_equal(repeated, predictions)
    fixed = clone(estimator).set_params(**refit_params(model, 5)).fit(X, y)
    assert fixed.best_iteration_ == 5
    assert fixed.early_stopping_patience == 0
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X), predictions)


def test_keras_in_pipeline_and_grid_search():
    table = diabetes().iloc[:150]
    X, y = table.drop(columns=[TARGET]), table[TARGET]
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

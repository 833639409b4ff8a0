"""Predictions as a table: `prediction`, and one `probability_<label>` column per class."""

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from tables import TARGET, diabetes, wine

from {{ cookiecutter.package_name }}.predictions import predict, probability_column


def test_a_regression_table_holds_the_predictions():
    table = diabetes()
    X, y = table.drop(columns=[TARGET]), table[TARGET]
    model = Ridge().fit(X, y)
    rows = X.iloc[10:20]
    found = predict(model, rows)
    assert list(found.columns) == ["prediction"]
    assert list(found.index) == list(rows.index)
    np.testing.assert_array_equal(found["prediction"], model.predict(rows))


def test_a_classification_table_has_one_probability_column_per_class():
    table = wine()
    X, y = table.drop(columns=[TARGET]), table[TARGET]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X, y)
    rows = X.sample(12, random_state=0)
    found = predict(model, rows, actual=y.loc[rows.index])
    assert list(found.columns) == [
        "actual",
        "prediction",
        "probability_class_0",
        "probability_class_1",
        "probability_class_2",
    ]
    assert list(found.index) == list(rows.index)
    np.testing.assert_array_equal(found["actual"], y.loc[rows.index])
    np.testing.assert_array_equal(found["prediction"], model.predict(rows))
    probabilities = model.predict_proba(rows)
    for position, label in enumerate(["class_0", "class_1", "class_2"]):
        np.testing.assert_array_equal(found[f"probability_{label}"], probabilities[:, position])


def test_probability_columns_name_the_real_label():
    assert probability_column("yes") == "probability_yes"
    assert probability_column(3) == "probability_3"
    assert probability_column(True) == "probability_True"


def test_boolean_labels_name_their_columns():
    X = pd.DataFrame({"x": np.r_[np.zeros(20), np.ones(20)] + np.linspace(0, 0.1, 40)})
    y = pd.Series([False] * 20 + [True] * 20)
    found = predict(LogisticRegression().fit(X, y), X)
    assert list(found.columns) == ["prediction", "probability_False", "probability_True"]
    assert found["prediction"].dtype == bool

"""Pipelines: each preprocessing kind equals a ColumnTransformer spelled out from literals."""

from datetime import date, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from references import messy_preprocessor, messy_schema
from tables import messy

from {{ cookiecutter.package_name }}.pipelines import (
    DaysSinceEpoch,
    build_pipeline,
    make_preprocessor,
    refit_pipeline,
)

NUMERIC = ["age", "income"]
SCHEMA = messy_schema()


def split():
    table = messy("regression", n_rows=400, seed=3).drop(columns=["target", "constant", "empty"])
    table.loc[[5, 9], "joined"] = np.nan  # a date missing too
    train, test = table.iloc[:300], table.iloc[300:].copy()
    test.loc[test.index[:3], "city"] = "atlantis"  # never seen in training
    return train, test


@pytest.mark.parametrize("kind", ["scaled", "ordinal"])
def test_preprocessing_equals_the_spelled_out_column_transformer(kind):
    train, test = split()
    found = make_preprocessor(kind, SCHEMA)
    expected = messy_preprocessor(kind)
    np.testing.assert_array_equal(found.fit_transform(train), expected.fit_transform(train))
    np.testing.assert_array_equal(found.transform(test), expected.transform(test))


def test_scaled_output_is_complete_and_standardised():
    train, test = split()
    out = make_preprocessor("scaled", SCHEMA).fit_transform(train)
    # 2 numbers + 1 date + city (4 values and missing) + member (2) + note (49 values
    # cut to the 29 most frequent and one infrequent group).
    assert out.shape == (300, 2 + 1 + 5 + 2 + 30)
    assert not np.isnan(out).any()
    np.testing.assert_allclose(out[:, :3].mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out[:, :3].std(axis=0), 1, atol=1e-12)


def test_ordinal_keeps_missing_values_for_the_trees():
    train, test = split()
    preprocessor = make_preprocessor("ordinal", SCHEMA).fit(train)
    out = preprocessor.transform(test)
    np.testing.assert_array_equal(out[:, :2], test[NUMERIC].to_numpy())
    city = out[:, 3]
    # Unseen and missing cities are NaN, the known ones their codes.
    assert np.isnan(city[:3]).all()
    assert np.array_equal(np.isnan(city[3:]), test["city"].iloc[3:].isna().to_numpy())


def test_none_passes_the_numbers_only():
    train, _ = split()
    out = make_preprocessor("none", SCHEMA).fit_transform(train)
    np.testing.assert_array_equal(out, train[NUMERIC].to_numpy())


def test_a_schema_without_numbers_still_builds():
    schema = {"columns": ["city"], "kinds": {"city": "categorical"}, "max_categories": 5}
    frame = pd.DataFrame({"city": ["a", "b", "a", None]})
    out = make_preprocessor("scaled", schema).fit_transform(frame)
    np.testing.assert_array_equal(out, [[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1]])


def test_an_unknown_preprocessing_is_refused():
    with pytest.raises(ValueError, match="unknown preprocessing 'magic'"):
        make_preprocessor("magic", SCHEMA)


def test_days_since_epoch_by_hand():
    text = pd.DataFrame(
        {
            "when": [
                "1970-01-02",
                "2000-01-01",
                "2024-02-29T12:00",
                "2024-02-29T12:00:00+02:00",
                "not a date",
                None,
            ]
        }
    )
    out = DaysSinceEpoch().fit(text).transform(text)
    leap_day = (date(2024, 2, 29) - date(1970, 1, 1)).days
    np.testing.assert_array_equal(
        out[:, 0], [1.0, 10957.0, leap_day + 0.5, leap_day + 0.5 - 2 / 24, np.nan, np.nan]
    )
    stamps = pd.DataFrame({"when": pd.to_datetime(["1970-01-02", "2000-01-01"])})
    np.testing.assert_array_equal(DaysSinceEpoch().fit(stamps).transform(stamps)[:, 0], [1, 10957])
    aware = datetime(1970, 1, 3, tzinfo=timezone(timedelta(hours=-12)))
    frame = pd.DataFrame({"when": pd.to_datetime([aware])})
    np.testing.assert_array_equal(DaysSinceEpoch().fit(frame).transform(frame)[:, 0], [2.5])


RIDGE = {"estimator": "sklearn.linear_model.Ridge", "preprocessing": "scaled", "params": {}}
LIGHTGBM = {
    "estimator": "{{ cookiecutter.package_name }}.models.lightgbm.LightGBMRegressor",
    "preprocessing": "ordinal",
    "params": {"n_estimators": 300, "early_stopping_rounds": 10, "num_leaves": 7},
}
MLP = {
    "estimator": "{{ cookiecutter.package_name }}.models.mlp.MLPRegressor",
    "preprocessing": "scaled",
    "params": {"max_iter": 200, "early_stopping": True},
}


def test_build_pipeline_is_preprocessing_then_the_seeded_model():
    pipeline = build_pipeline(LIGHTGBM, SCHEMA, seed=4, params={"learning_rate": 0.2})
    assert list(pipeline.named_steps) == ["preprocess", "model"]
    model = pipeline.named_steps["model"]
    assert type(model).__name__ == "LightGBMRegressor"
    assert (model.learning_rate, model.num_leaves, model.random_state) == (0.2, 7, 4)
    assert [name for name, *_ in pipeline.named_steps["preprocess"].transformers] == [
        "numeric",
        "date",
        "categorical",
    ]


@pytest.mark.parametrize(
    ("contender", "expected"),
    [
        (LIGHTGBM, {"n_estimators": 17, "early_stopping_rounds": None, "n_jobs": 2}),
        (MLP, {"max_iter": 17, "early_stopping": False, "n_iter_no_change": 18}),
        (RIDGE, {"alpha": 0.5}),
    ],
    ids=["lightgbm", "mlp", "ridge"],
)
def test_refit_pipeline_trains_for_the_given_iterations(contender, expected):
    params = {"alpha": 0.5} if contender is RIDGE else {}
    pipeline = refit_pipeline(contender, SCHEMA, 0, params, iterations=17, threads=2)
    found = pipeline.named_steps["model"].get_params()
    assert {key: found[key] for key in expected} == expected


def test_refit_pipeline_without_iterations_keeps_the_budget():
    pipeline = refit_pipeline(LIGHTGBM, SCHEMA, 0, {}, iterations=None, threads=1)
    model = pipeline.named_steps["model"]
    assert (model.n_estimators, model.early_stopping_rounds) == (300, 10)


def test_a_boolean_missing_only_at_prediction_time_is_scored_as_missing():
    train, test = split()
    # What a CSV gives for a boolean column with empty cells: objects True, NaN, False.
    rows = test.head(3).assign(member=pd.Series([True, np.nan, False], dtype=object).values)
    scaled = make_preprocessor("scaled", SCHEMA).fit(train).transform(rows)
    # After 2 numbers, 1 date and city's 5 columns: member's False and True columns.
    np.testing.assert_array_equal(scaled[:, 8:10], [[0, 1], [0, 0], [1, 0]])
    ordinal = make_preprocessor("ordinal", SCHEMA).fit(train).transform(rows)
    np.testing.assert_array_equal(ordinal[:, 4], [1, np.nan, 0])

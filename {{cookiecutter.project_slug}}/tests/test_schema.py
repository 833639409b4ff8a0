"""The feature schema: recorded at training time, and new rows held against it."""

import io

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.schema import (
    SchemaError,
    check_frame,
    column_kind,
    infer,
    looks_like_dates,
)


def training_table():
    return pd.DataFrame(
        {
            "rooms": [1, 2, 3, 4],
            "area": [30.0, np.nan, 55.5, 80.0],
            "city": ["Oslo", "Bergen", None, "Oslo"],
            "garden": [True, False, True, True],
            "built": ["2001-05-01", "1999-12-31", "2010-01-01", None],
            "target": ["cheap", "cheap", "dear", "dear"],
        }
    )


KINDS = {
    "rooms": "numeric",
    "area": "numeric",
    "city": "categorical",
    "garden": "categorical",
    "built": "date",
}


def schema():
    return infer(training_table(), "target", KINDS, "classification", 30, ["notes"])


def test_infer_records_what_training_saw():
    recorded = schema()
    assert recorded["target"] == "target"
    assert recorded["problem"] == "classification"
    assert recorded["classes"] == ["cheap", "dear"]
    assert recorded["columns"] == ["rooms", "area", "city", "garden", "built"]
    assert recorded["kinds"] == KINDS
    assert recorded["dtypes"]["rooms"] == "int64"
    assert recorded["dtypes"]["area"] == "float64"
    assert recorded["dtypes"]["garden"] == "bool"
    assert sorted(recorded["categories"]["city"]) == ["Bergen", "Oslo"]
    assert sorted(recorded["categories"]["garden"]) == [False, True]
    assert set(recorded["categories"]) == {"city", "garden"}
    assert recorded["missing"] == ["area", "city", "built"]
    assert recorded["ignored"] == ["notes"]
    assert recorded["max_categories"] == 30


def test_regression_schema_has_no_classes():
    table = training_table().assign(target=[1.0, 2.0, 3.0, 4.0])
    assert infer(table, "target", KINDS, "regression", 30)["classes"] is None


def test_schema_values_are_plain_python():
    recorded = schema()
    assert all(type(value) is bool for value in recorded["categories"]["garden"])
    assert all(type(value) is str for value in recorded["classes"])


def test_a_matching_frame_comes_back_in_training_order_without_notes():
    frame = training_table()
    shuffled = frame[["built", "target", "garden", "city", "rooms", "area"]].assign(notes="x")
    features, notes = check_frame(shuffled, schema())
    assert list(features.columns) == ["rooms", "area", "city", "garden", "built"]
    pd.testing.assert_frame_equal(features, frame.drop(columns="target"))
    assert notes == []


def test_every_mismatch_is_named_in_one_error():
    frame = training_table().drop(columns=["area", "garden"])
    frame["colour"] = "red"
    frame["rooms"] = ["one", "two", "three", "four"]
    with pytest.raises(SchemaError) as caught:
        check_frame(frame, schema())
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("input does not match the model's feature schema; ")
    assert "missing columns: area, garden" in message
    assert "unexpected columns: colour" in message
    assert "incompatible types: rooms (trained as int64, got " in message


def test_compatible_types_are_cast_to_the_training_dtype():
    frame = training_table().drop(columns="target")
    frame["rooms"] = [1.0, np.nan, 3.0, 4.0]  # missing values make integers floats
    frame["area"] = [30, 40, 50, 60]  # integers where training had floats
    features, notes = check_frame(frame, schema())
    assert features["area"].dtype == np.float64
    np.testing.assert_array_equal(features["area"], [30.0, 40.0, 50.0, 60.0])
    assert features["rooms"].dtype == np.float64
    np.testing.assert_array_equal(features["rooms"], [1.0, np.nan, 3.0, 4.0])
    assert notes == [
        "column 'rooms': 1 rows are missing a value, which training never had; "
        "they are scored as missing"
    ]


def test_unseen_categories_are_counted_in_a_note():
    frame = training_table().drop(columns="target")
    frame["city"] = ["Oslo", "Tromsø", "Tromsø", "Narvik"]
    features, notes = check_frame(frame, schema())
    assert list(features["city"]) == ["Oslo", "Tromsø", "Tromsø", "Narvik"]
    assert notes == [
        "column 'city': 3 rows hold values never seen in training (2 distinct, e.g. "
        "'Tromsø', 'Narvik'); they are scored as unknown"
    ]


def test_fractions_in_an_integer_column_are_not_truncated():
    frame = training_table().drop(columns="target")
    frame["rooms"] = [1.5, 2.0, 3.0, 4.0]
    features, _ = check_frame(frame, schema())
    np.testing.assert_array_equal(features["rooms"], [1.5, 2.0, 3.0, 4.0])


def test_new_missing_values_are_counted_but_known_ones_are_not():
    frame = training_table().drop(columns="target")
    frame["rooms"] = [np.nan, 2.0, np.nan, 4.0]  # training had no missing value here
    frame.loc[[0, 1, 2], "area"] = np.nan  # training had some: nothing to say
    _, notes = check_frame(frame, schema())
    assert notes == [
        "column 'rooms': 2 rows are missing a value, which training never had; "
        "they are scored as missing"
    ]


def test_a_missing_value_in_a_boolean_column_is_a_note_not_a_refusal():
    # A CSV reads a boolean column with an empty cell as objects: True, NaN, False.
    frame = pd.read_csv(
        io.StringIO("rooms,area,city,garden,built\n1,30,Oslo,,2001-05-01\n2,40,Oslo,False,\n")
    )
    features, notes = check_frame(frame, schema())
    assert pd.isna(features["garden"].iloc[0])
    assert list(features["garden"].iloc[1:]) == [False]
    assert notes == [
        "column 'garden': 1 rows are missing a value, which training never had; "
        "they are scored as missing"
    ]


def test_booleans_trained_with_missing_values_accept_plain_booleans():
    table = training_table()
    table["garden"] = pd.Series([True, None, False, True], dtype=object)
    recorded = infer(table, "target", KINDS, "classification", 30)
    features, notes = check_frame(training_table(), recorded)
    assert list(features["garden"]) == [True, False, True, True]
    assert notes == []


def test_an_all_missing_column_is_accepted_and_reported():
    frame = training_table().drop(columns="target")
    frame["rooms"] = np.nan
    frame["city"] = np.nan
    _, notes = check_frame(frame, schema())
    assert notes == [
        "column 'rooms': 4 rows are missing a value, which training never had; "
        "they are scored as missing"
    ]


def test_dates_may_arrive_as_datetimes():
    frame = training_table().drop(columns="target")
    frame["built"] = pd.to_datetime(frame["built"])
    features, notes = check_frame(frame, schema())
    assert pd.api.types.is_datetime64_any_dtype(features["built"])
    assert notes == []


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["2024-01-31", "1999-12-01", None], True),
        (["2024-01-31T12:00", "2024-01-31 08:30:15.5"], True),
        (["2024-01-31T12:00:00Z", "2024-01-31T12:00:00+02:00"], True),
        (["31/01/2024", "01/02/2024"], False),
        (["2024-01-31", "soon"], False),
        ([20240131, 20240201], False),
        ([None, None], False),
    ],
)
def test_iso_dates_are_recognised(values, expected):
    assert looks_like_dates(pd.Series(values)) is expected


@pytest.mark.parametrize(
    ("values", "categorical", "expected"),
    [
        ([1.5, 2.5], False, "numeric"),
        ([1, 2], False, "numeric"),
        ([1, 2], True, "categorical"),
        (["a", "b"], False, "categorical"),
        ([True, False], False, "categorical"),
        (["2024-01-31", "2024-02-01"], False, "date"),
        (pd.to_datetime(["2024-01-31", "2024-02-01"]), False, "date"),
    ],
)
def test_column_kinds(values, categorical, expected):
    assert column_kind(pd.Series(values), categorical=categorical) == expected

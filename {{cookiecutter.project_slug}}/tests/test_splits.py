"""Splits: the held-out split and the folds are exactly scikit-learn's, seeded from the run."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from tables import TARGET, diabetes, messy, wine

from {{ cookiecutter.package_name }}.splits import folds, hold_out


def config(problem, test_size=0.25, n_folds=4):
    data = {"problem": problem, "target": TARGET, "test_size": test_size, "n_folds": n_folds}
    return {"data": data}


@pytest.mark.parametrize(
    ("problem", "table"),
    [
        ("regression", diabetes()),
        ("classification", wine()),
        ("classification", messy("classification")),
    ],
    ids=["diabetes", "wine", "messy"],
)
def test_hold_out_is_a_seeded_train_test_split(problem, table):
    train, test = hold_out(table, config(problem, test_size=0.2), seed=13)
    stratify = table[TARGET] if problem == "classification" else None
    expected_train, expected_test = train_test_split(
        table, test_size=0.2, random_state=13, stratify=stratify
    )
    pd.testing.assert_frame_equal(train, expected_train.reset_index(drop=True))
    pd.testing.assert_frame_equal(test, expected_test.reset_index(drop=True))
    other, _ = hold_out(table, config(problem, test_size=0.2), seed=14)
    assert not other.equals(train)


def test_regression_folds_are_a_shuffled_seeded_kfold():
    train = diabetes()
    found = folds(train, config("regression", n_folds=4), seed=3)
    expected = KFold(n_splits=4, shuffle=True, random_state=3).split(train)
    for (train_index, test_index), (want_train, want_test) in zip(found, expected, strict=True):
        np.testing.assert_array_equal(train_index, want_train)
        np.testing.assert_array_equal(test_index, want_test)


@pytest.mark.parametrize("table", [wine(), messy("classification")], ids=["wine", "messy"])
def test_classification_folds_are_a_shuffled_seeded_stratified_kfold(table):
    found = folds(table, config("classification", n_folds=5), seed=3)
    expected = StratifiedKFold(n_splits=5, shuffle=True, random_state=3).split(
        np.zeros(len(table)), table[TARGET]
    )
    assert len(found) == 5
    for (train_index, test_index), (want_train, want_test) in zip(found, expected, strict=True):
        np.testing.assert_array_equal(train_index, want_train)
        np.testing.assert_array_equal(test_index, want_test)


def test_folds_partition_the_training_rows():
    table = wine()
    found = folds(table, config("classification", n_folds=3), seed=0)
    tested = np.sort(np.concatenate([test_index for _, test_index in found]))
    np.testing.assert_array_equal(tested, np.arange(len(table)))
    for train_index, test_index in found:
        assert not set(train_index) & set(test_index)

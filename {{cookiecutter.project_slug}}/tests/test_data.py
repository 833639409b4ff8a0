"""Mock data, user files, fingerprints, summaries and seeded splits."""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.data import (
    CATEGORY_COLUMN,
    feature_columns,
    fingerprint,
    fold_indices,
    load_table,
    make_mock,
    make_splitter,
    summarize,
    train_test,
)


@pytest.mark.parametrize("task", ["regression", "classification"])
def test_mock_shape_and_categorical_column(task):
    table = make_mock(task, seed=1, n_samples=301, n_features=5, n_informative=3, n_categories=3)
    assert table.shape == (301, 1 + 5 + 1)
    assert sorted(table[CATEGORY_COLUMN].unique()) == ["c0", "c1", "c2"]
    numeric, categorical = feature_columns(table, "target")
    assert categorical == [CATEGORY_COLUMN]
    assert numeric == [f"x{i}" for i in range(5)]
    if task == "classification":
        assert set(table["target"].unique()) == {0, 1}


def test_categories_have_independent_coefficients():
    table = make_mock(
        "regression",
        seed=0,
        n_samples=2000,
        n_features=3,
        n_informative=3,
        n_categories=2,
        noise=0.0,
    )
    slopes = []
    for _, part in table.groupby(CATEGORY_COLUMN):
        X = part[["x0", "x1", "x2"]].to_numpy()
        coefficients, *_ = np.linalg.lstsq(X, part["target"].to_numpy(), rcond=None)
        slopes.append(coefficients)
    assert not np.allclose(slopes[0], slopes[1], atol=1.0)


def test_mock_is_seeded_and_fingerprint_is_stable():
    first = make_mock("regression", seed=5, n_samples=100)
    second = make_mock("regression", seed=5, n_samples=100)
    other = make_mock("regression", seed=6, n_samples=100)
    assert fingerprint(first) == fingerprint(second)
    assert len(fingerprint(first)) == 64
    assert fingerprint(first) != fingerprint(other)
    changed = first.copy()
    changed.loc[0, "x0"] += 1e-9
    assert fingerprint(changed) != fingerprint(first)


def test_stratified_splits_keep_class_balance():
    table = make_mock("classification", seed=2, n_samples=600, flip_y=0.0)
    train, test = train_test(table, "target", "classification", test_size=0.25, seed=2)
    assert len(train) == 450
    assert len(test) == 150
    overall = table["target"].mean()
    assert abs(test["target"].mean() - overall) < 0.01
    splitter = make_splitter("classification", 5, seed=2)
    folds = fold_indices(splitter, train.drop(columns="target"), train["target"])
    assert len(folds) == 5
    for train_index, test_index in folds:
        assert not set(train_index) & set(test_index)
        assert abs(train["target"].iloc[test_index].mean() - train["target"].mean()) < 0.02
    again = fold_indices(make_splitter("classification", 5, seed=2), train, train["target"])
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again, strict=True))


def test_regression_splitter_is_shuffled_kfold():
    splitter = make_splitter("regression", 4, seed=0)
    assert type(splitter).__name__ == "KFold"
    assert splitter.shuffle
    assert splitter.random_state == 0


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_user_files_load(tmp_path, suffix):
    table = make_mock("regression", seed=0, n_samples=50)
    path = tmp_path / f"data{suffix}"
    if suffix == ".csv":
        table.to_csv(path, index=False)
    else:
        table.to_parquet(path)
    loaded = load_table(path, "target")
    assert loaded.shape == table.shape
    pd.testing.assert_frame_equal(loaded, table, check_dtype=False)
    with pytest.raises(ValueError, match="'label' not found"):
        load_table(path, "label")


def test_summary_has_one_row_per_column():
    table = make_mock("regression", seed=0, n_samples=50)
    summary = summarize(table)
    assert list(summary["column"]) == list(table.columns)
    row = summary.set_index("column").loc[CATEGORY_COLUMN]
    assert row["unique"] == 2
    assert "c0" in row["top"]

"""The data check of `start`: every bad table is refused in one line naming the file, the column
and the rule; what the check changes or warns about comes back as notes."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import StratifiedKFold, train_test_split
from tables import TARGET, wine

from {{ cookiecutter.package_name }}.checks import check_table, resolve_metric
from {{ cookiecutter.package_name }}.config import ConfigError, check
from {{ cookiecutter.package_name }}.data import DataError, read_table

SOURCE = "data/customers.csv"
CONFIG_FILE = "configs/mine.toml"


def make_config(problem="regression", metric="auto", **data):
    """A literal config: 3 folds, a quarter held out, unless `data` says otherwise."""
    settings = {"problem": problem, "target": TARGET, "test_size": 0.25, "n_folds": 3, **data}
    return check(
        {
            "run": {"seed": 0, "fits_per_task": 0},
            "data": settings,
            "search": {"metric": metric},
            "resources": {
                "fit": {"cpu": 1, "memory": 1024, "retries": 0},
                "refit": {"cpu": 1, "memory": 1024},
            },
            "contenders": {"linear": {"estimator": "sklearn.linear_model.Ridge", "grid": {}}},
        },
        CONFIG_FILE,
    )


def numbers(n_rows=60, seed=0, target=None):
    """Two numeric features and a numeric target."""
    rng = np.random.RandomState(seed)
    frame = pd.DataFrame({"x": rng.normal(size=n_rows), "z": rng.normal(size=n_rows)})
    frame[TARGET] = rng.normal(size=n_rows) if target is None else target
    return frame


def refusal(table, config, source=SOURCE):
    """The one-line message check_table refuses `table` with."""
    with pytest.raises(DataError) as caught:
        check_table(table, config, source)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_missing_file_is_one_line_naming_it(tmp_path):
    path = tmp_path / "nowhere" / "customers.csv"
    with pytest.raises(DataError) as caught:
        read_table(path)
    assert str(caught.value) == f"{path}: no such file"


@pytest.mark.parametrize("content", [b"", b"\n\n"])
def test_an_empty_file_is_one_line_naming_it(tmp_path, content):
    path = tmp_path / "customers.csv"
    path.write_bytes(content)
    with pytest.raises(DataError) as caught:
        read_table(path)
    assert str(caught.value) == f"{path}: the file is empty"


def test_a_header_without_rows_is_refused(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text("x,z,target\n")
    message = refusal(read_table(path), make_config(), str(path))
    assert message == f"{path}: has a header but no rows"


def test_an_absent_target_names_the_column_and_lists_the_columns():
    message = refusal(numbers().rename(columns={TARGET: "label"}), make_config())
    assert message == (
        f"{SOURCE}: column 'target': not found: set data.target to one of the columns "
        "('x', 'z', 'label')"
    )


def test_rows_without_a_target_are_dropped_with_a_count():
    table = numbers(40)
    table.loc[[3, 17], TARGET] = np.nan
    checked = check_table(table, make_config(), SOURCE)
    assert len(checked.table) == 38
    assert checked.table[TARGET].notna().all()
    expected = table.drop(index=[3, 17]).reset_index(drop=True)
    pd.testing.assert_frame_equal(checked.table, expected)
    assert "dropped 2 of 40 rows without a value in 'target'" in checked.notes


def test_rows_without_a_target_are_refused_when_the_config_says_so():
    table = numbers(40)
    table.loc[[3, 17], TARGET] = np.nan
    message = refusal(table, make_config(missing_target="refuse"))
    assert message.startswith(f"{SOURCE}: column 'target': 2 of 40 rows have no target value")
    assert 'data.missing_target = "refuse"' in message


def test_a_target_without_values_is_refused():
    message = refusal(numbers(40, target=np.nan), make_config())
    assert message == (
        f"{SOURCE}: column 'target': holds no values: every row is missing its target"
    )


def test_classification_on_a_continuous_target_is_refused():
    target = np.r_[np.zeros(30), np.ones(29), 0.5]
    message = refusal(numbers(60, target=target), make_config("classification"))
    assert message.startswith(f"{SOURCE}: column 'target': classification needs class labels")
    assert "0.5" in message
    assert 'data.problem = "regression"' in message


def test_classification_accepts_whole_numbers_read_as_floats():
    # A label column with a missing value reads as float (0.0, 1.0, NaN).
    target = np.r_[np.zeros(30), np.ones(29), np.nan]
    checked = check_table(numbers(60, target=target), make_config("classification"), SOURCE)
    assert checked.schema["classes"] == [0.0, 1.0]
    assert checked.metric == "roc_auc"


def test_regression_on_text_is_refused():
    target = np.where(np.arange(60) % 2, "yes", "no")
    message = refusal(numbers(60, target=target), make_config("regression"))
    assert message.startswith(f"{SOURCE}: column 'target': regression needs numbers")
    assert "'no'" in message
    assert 'data.problem = "classification"' in message


def test_classification_needs_two_classes():
    message = refusal(numbers(60, target="yes"), make_config("classification"))
    assert message == (
        f"{SOURCE}: column 'target': classification needs two classes or more; it holds only 'yes'"
    )


def fits(rows, n_folds, test_size, smallest=5):
    """Worked out independently: the held-out split and every test fold hold `smallest` rows."""
    held_out = math.ceil(rows * test_size)  # what train_test_split holds out
    return held_out >= smallest and (rows - held_out) // n_folds >= smallest


@pytest.mark.parametrize(
    ("n_folds", "test_size", "rows", "needed"),
    [
        # 5 folds of 5 rows need 25 training rows; 34 rows hold out ceil(8.5) = 9, keep 25.
        (5, 0.25, 33, 34),
        # 3 folds of 5 rows: 20 rows hold out 5 and keep 15.
        (3, 0.25, 19, 20),
        # A held-out split of 0.1 holds out 4 of 40 rows, ceil(4.1) = 5 of 41.
        (2, 0.1, 40, 41),
    ],
)
def test_too_few_rows_name_the_rows_needed(n_folds, test_size, rows, needed):
    assert not fits(rows, n_folds, test_size)
    assert fits(needed, n_folds, test_size)
    assert not fits(needed - 1, n_folds, test_size)
    config = make_config(n_folds=n_folds, test_size=test_size)
    message = refusal(numbers(rows), config)
    assert message.startswith(f"{SOURCE}: {rows} rows with a target are too few")
    stated = int(message.split("at least ")[1].split()[0])
    # The promise: a table of the stated size passes, and the figure does not overshoot.
    check_table(numbers(stated), config, SOURCE)
    assert stated == needed


def test_a_rare_class_is_refused_naming_it():
    target = np.array(["common"] * 55 + ["rare"] * 4, dtype=object)
    message = refusal(numbers(59, target=target), make_config("classification"))
    assert message.startswith(f"{SOURCE}: column 'target': class 'rare' has 4 rows;")
    assert "3 stratified folds need at least 5 per class" in message
    assert "lower data.n_folds" in message


@pytest.mark.parametrize(("n_folds", "test_size"), [(3, 0.25), (5, 0.2), (4, 0.3)])
def test_a_class_as_small_as_allowed_splits_cleanly(n_folds, test_size):
    """The smallest class the check accepts goes through the stratified held-out split and
    StratifiedKFold without a warning, and is in every training fold."""
    config = make_config("classification", n_folds=n_folds, test_size=test_size)
    big = 60
    for size in range(2, 20):
        target = np.array(["big"] * big + ["small"] * size, dtype=object)
        try:
            check_table(numbers(big + size, target=target), config, SOURCE)
        except DataError:
            continue
        break
    smallest = size
    y = np.array(["big"] * big + ["small"] * smallest, dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train, _ = train_test_split(y, test_size=test_size, random_state=0, stratify=y)
        splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=0)
        for train_index, _ in splitter.split(np.zeros(len(train)), train):
            assert "small" in set(train[train_index])


def test_many_integer_classes_suggest_regression():
    target = np.repeat(np.arange(25), 3)
    message = refusal(numbers(75, target=target), make_config("classification"))
    assert 'set data.problem = "regression"' in message


def test_useless_columns_are_ignored_with_a_note():
    table = numbers(60)
    table["country"] = "NZ"
    table["comment"] = np.nan
    table["customer"] = [f"C{index:04d}" for index in range(60)]
    checked = check_table(table, make_config(), SOURCE)
    assert list(checked.table.columns) == ["x", "z", TARGET]
    assert checked.schema["ignored"] == ["country", "comment", "customer"]
    assert checked.notes == [
        "ignored column 'country': every row holds the same value ('NZ')",
        "ignored column 'comment': every value is missing",
        "ignored column 'customer': every value is different (an identifier or free text): "
        "nothing to learn",
    ]


def test_a_column_with_many_categories_is_kept_with_a_note():
    table = numbers(120)
    table["street"] = [f"street {index % 40}" for index in range(120)]
    checked = check_table(table, make_config(max_categories=10), SOURCE)
    assert checked.schema["kinds"]["street"] == "categorical"
    assert checked.notes == [
        "column 'street' has 40 distinct values: the 10 most frequent are kept, the rest "
        "grouped as one 'infrequent' value (data.max_categories)"
    ]


def test_a_date_column_is_detected_with_a_note():
    table = numbers(60)
    table["joined"] = [f"2024-{1 + index % 12:02d}-{1 + index % 28:02d}" for index in range(60)]
    checked = check_table(table, make_config(), SOURCE)
    assert checked.schema["kinds"] == {"x": "numeric", "z": "numeric", "joined": "date"}
    assert checked.notes == ["column 'joined' holds dates: used as days since 1970-01-01"]


def test_integer_codes_named_categorical_are_categories():
    table = numbers(60)
    table["region"] = np.arange(60) % 4
    checked = check_table(table, make_config(categorical=["region"]), SOURCE)
    assert checked.schema["kinds"]["region"] == "categorical"
    assert checked.schema["kinds"]["x"] == "numeric"
    assert sorted(checked.schema["categories"]["region"]) == [0, 1, 2, 3]


def test_a_categorical_column_the_file_lacks_is_refused():
    message = refusal(numbers(60), make_config(categorical=["regoin"]))
    assert message == (
        f"{SOURCE}: column 'regoin': is named in data.categorical but the file has no such column"
    )


def test_a_table_of_only_useless_columns_is_refused():
    table = numbers(60)[[TARGET]].assign(country="NZ")
    message = refusal(table, make_config())
    assert message == f"{SOURCE}: no usable feature column besides the target 'target'"


@pytest.mark.parametrize(
    ("problem", "target", "expected"),
    [
        ("regression", np.arange(60) * 1.5, "r2"),
        ("classification", np.arange(60) % 2, "roc_auc"),
        ("classification", np.array(["a", "b", "c"] * 20, dtype=object), "roc_auc_ovr"),
    ],
)
def test_auto_metric_fits_the_problem_and_class_count(problem, target, expected):
    checked = check_table(numbers(60, target=target), make_config(problem), SOURCE)
    assert checked.metric == expected


def test_a_metric_that_cannot_score_the_class_count_is_refused():
    with pytest.raises(ConfigError) as caught:
        check_table(wine(), make_config("classification", metric="roc_auc"), SOURCE)
    message = str(caught.value)
    assert message.startswith(f"{CONFIG_FILE}: search.metric: 'roc_auc' cannot score 3 classes")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("problem", "target", "metric"),
    [
        # `f1` needs a positive class; string labels have none.
        ("classification", np.array(["no", "yes"] * 30, dtype=object), "f1"),
        # A log error refuses negative values.
        ("regression", np.linspace(-5, 5, 60), "neg_mean_squared_log_error"),
    ],
)
def test_other_metrics_that_cannot_score_the_target_are_refused(problem, target, metric):
    with pytest.raises(ConfigError, match=rf"^{CONFIG_FILE}: search\.metric: '{metric}'"):
        resolve_metric(metric, problem, pd.Series(target), CONFIG_FILE)


@pytest.mark.parametrize(
    ("problem", "target", "metric"),
    [
        ("classification", np.array(["a", "b", "c"] * 20, dtype=object), "neg_log_loss"),
        ("classification", np.array(["a", "b", "c"] * 20, dtype=object), "balanced_accuracy"),
        ("classification", np.arange(60) % 2, "f1"),
        ("regression", np.linspace(1, 5, 60), "neg_mean_absolute_error"),
    ],
)
def test_metrics_that_can_score_the_target_are_kept(problem, target, metric):
    assert resolve_metric(metric, problem, pd.Series(target), CONFIG_FILE) == metric


def test_a_checked_table_keeps_rows_and_values():
    table = wine()
    checked = check_table(table, make_config("classification"), SOURCE)
    pd.testing.assert_frame_equal(checked.table, table)
    assert checked.schema["classes"] == ["class_0", "class_1", "class_2"]
    assert checked.notes == []

"""Tournaments on tables nobody here wrote (scikit-learn's bundled data sets) and on a messy
generated one, end to end; and every bad-data case refused in `start`, in one line, before any
fit task runs.

Each variant runs the tables of its own problem (regression: diabetes and the messy table with
a number to predict; classification: breast cancer, wine and the messy table with string
labels); the refusals switch `data.problem` where they need to.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tables
from conftest import (
    TOURNAMENT,
    linear_contender,
    one_candidate_each,
    refusal,
    run_predict,
    side_by_side,
    smoke_config,
    succeeded,
    tournament_runner,
)

pytestmark = pytest.mark.flow

BRANCH = "real_tables"
PROBLEM = smoke_config()["data"]["problem"]
MISSING_TARGETS = 7


def messy():
    """The messy table, with a few rows missing their target (dropped, and counted)."""
    frame = tables.messy(PROBLEM)
    frame.loc[frame.index[:MISSING_TARGETS], tables.TARGET] = None
    return frame


TABLES = {
    "regression": {"diabetes": tables.diabetes, "messy": messy},
    "classification": {
        "breast_cancer": tables.breast_cancer,
        "wine": tables.wine,
        "messy": messy,
    },
}[PROBLEM]


def runner_of(config, branch=BRANCH):
    return lambda: tournament_runner(config_value=config, branch=branch)


@pytest.fixture(scope="module")
def real_runs(tmp_path_factory):
    """name -> (table, run): every table's tournament, one candidate of each family, side by
    side; then PredictFlow scores new rows of the messy table."""
    folder = tmp_path_factory.mktemp("tables")
    config = one_candidate_each(smoke_config())
    config["run"]["workers"] = 1
    frames, jobs = {}, []
    for name, make in TABLES.items():
        frames[name] = make()
        frames[name].to_csv(folder / f"{name}.csv", index=False)
        jobs.append((runner_of(config), {"data": str(folder / f"{name}.csv")}))
    results = dict(zip(TABLES, side_by_side(jobs), strict=True))
    for name, result in results.items():
        assert result.status == "successful", f"{name}:\n{result.stderr_text[-5000:]}"
    return {name: (frames[name], results[name].run) for name in TABLES}


def new_rows(frame, n_rows=25):
    return frame.dropna(subset=[tables.TARGET]).sample(n_rows, random_state=1)


@pytest.fixture(scope="module")
def predicted(real_runs, tmp_path_factory):
    """PredictFlow on new rows of the messy table: the scored file."""
    folder = tmp_path_factory.mktemp("predicted")
    frame, run = real_runs["messy"]
    new_rows(frame).drop(columns=[tables.TARGET]).to_csv(folder / "new.csv", index=False)
    result = run_predict(
        cwd=folder, model_run=run.id, data=str(folder / "new.csv"), output="scored.csv"
    )
    succeeded(result)
    return pd.read_csv(folder / "scored.csv")


@pytest.mark.parametrize("name", list(TABLES))
def test_every_family_scores_and_equals_grid_search(name, real_runs):
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
    from threadpoolctl import threadpool_limits

    from {{ cookiecutter.package_name }}.pipelines import build_pipeline
    from {{ cookiecutter.package_name }}.search_space import to_distribution

    _, run = real_runs[name]
    start = run["start"].task.data
    config = start.config
    board = run.data.leaderboard.set_index("candidate")
    assert set(board["family"]) == set(config["contenders"])
    assert board["error"].isna().all(), board["error"]
    assert np.isfinite(board["mean_test_score"]).all()
    target = start.schema["target"]
    X, y = start.train_data.drop(columns=[target]), start.train_data[target]
    for family, contender in config["contenders"].items():
        pipeline = build_pipeline(contender, start.schema, start.seed)
        shared = {"cv": start.folds, "scoring": start.metric, "error_score": "raise"}
        if "grid" in contender:
            grid = {f"model__{key}": values for key, values in contender["grid"].items()}
            search = GridSearchCV(pipeline, grid, refit=False, **shared)
        else:
            space = {
                f"model__{key}": to_distribution(value)
                for key, value in contender["distributions"].items()
            }
            search = RandomizedSearchCV(
                pipeline, space, n_iter=contender["n_iter"], random_state=start.seed,
                refit=False, **shared,
            )  # fmt: skip
        with threadpool_limits(limits=1):
            search.fit(X, y)
        row = board.loc[f"{family}-0"]
        flow = np.array([row[f"split{fold}_test_score"] for fold in range(len(start.folds))])
        grid_scores = np.array(
            [search.cv_results_[f"split{fold}_test_score"][0] for fold in range(len(start.folds))]
        )
        assert np.max(np.abs(flow - grid_scores)) == 0, family


def prediction_columns(frame):
    """`row`, `prediction`, and one probability column per class named with its label."""
    if PROBLEM == "regression":
        return ["row", "prediction"]
    labels = sorted(frame[tables.TARGET].dropna().unique())
    return ["row", "prediction", *(f"probability_{label}" for label in labels)]


@pytest.mark.parametrize("name", list(TABLES))
def test_the_model_scores_new_rows_with_the_real_labels(name, real_runs):
    from {{ cookiecutter.package_name }}.runs import load_model

    frame, run = real_runs[name]
    rows = new_rows(frame)
    scored = load_model(run).predict(rows.drop(columns=[tables.TARGET]))
    columns = prediction_columns(frame)
    assert list(scored.columns) == columns[1:]
    assert list(run.data.test_predictions.columns) == ["actual", *columns[1:]]
    if PROBLEM == "classification":
        assert set(scored["prediction"]) <= set(frame[tables.TARGET])
        assert np.allclose(scored.filter(like="probability_").sum(axis=1), 1)
    else:
        assert np.isfinite(scored["prediction"]).all()


def test_the_predict_flow_scores_the_messy_tables_new_rows(real_runs, predicted):
    from {{ cookiecutter.package_name }}.runs import load_model

    frame, run = real_runs["messy"]
    assert list(predicted.columns) == prediction_columns(frame)
    expected = load_model(run).predict(new_rows(frame).drop(columns=[tables.TARGET]))
    assert list(predicted["prediction"]) == pytest.approx(list(expected["prediction"]))


def test_the_messy_table_is_cleaned_and_the_cleaning_reported(real_runs):
    frame, run = real_runs["messy"]
    start = run["start"].task.data
    notes = start.data_notes
    rows = len(frame)
    assert f"dropped {MISSING_TARGETS} of {rows} rows without a value in 'target'" in notes
    assert any(note.startswith("ignored column 'constant'") for note in notes)
    assert any(note.startswith("ignored column 'empty'") for note in notes)
    assert any(note.startswith("column 'note' has ") for note in notes)
    assert any(note.startswith("column 'joined' holds dates") for note in notes)
    assert len(start.train_data) + len(start.test_data) == rows - MISSING_TARGETS
    schema = start.schema
    assert schema["kinds"]["joined"] == "date"
    assert schema["kinds"]["member"] == "categorical"
    assert set(schema["ignored"]) == {"constant", "empty"}
    summary = (Path(run.data.results_dir) / "summary.txt").read_text()
    assert all(note in summary for note in notes)


# --- refusals ------------------------------------------------------------------------------


def wine_with_a_rare_class():
    frame = tables.wine()
    rare = frame.index[frame[tables.TARGET] == "class_2"][4:]
    return frame.drop(index=rare)


def diabetes_renamed():
    return tables.diabetes().rename(columns={tables.TARGET: "progression"})


def header_only():
    return tables.diabetes().iloc[:0]


# case -> (table or raw bytes, data.problem, config changes, the refusal; {file} is the file)
REFUSALS = {
    "empty file": (b"", "regression", {}, "{file}: the file is empty"),
    "header only": (header_only, "regression", {}, "{file}: has a header but no rows"),
    "no target column": (
        diabetes_renamed,
        "regression",
        {},
        "{file}: column 'target': not found: set data.target to one of the columns ('age', ",
    ),
    "classes from continuous numbers": (
        lambda: tables.messy("regression"),
        "classification",
        {},
        "{file}: column 'target': classification needs class labels, but it holds continuous "
        "numbers such as ",
    ),
    "classes from a count": (
        tables.diabetes,
        "classification",
        {},
        'per class (does it hold classes? set data.problem = "regression" to predict numbers)',
    ),
    "numbers from text labels": (
        tables.wine,
        "regression",
        {},
        "{file}: column 'target': regression needs numbers, but it holds values such as 'class_",
    ),
    "missing targets refused": (
        lambda: tables.messy("regression").assign(
            target=lambda f: f[tables.TARGET].mask(f.index < 5)
        ),
        "regression",
        {"missing_target": "refuse"},
        "{file}: column 'target': 5 of 300 rows have no target value",
    ),
    "too few rows in a class": (
        wine_with_a_rare_class,
        "classification",
        {},
        "{file}: column 'target': class 'class_2' has 4 rows",
    ),
    "a metric for two classes on three": (
        tables.wine,
        "classification",
        {"metric": "roc_auc"},
        "search.metric: 'roc_auc' cannot score 3 classes",
    ),
}


def refused_config(problem, changes):
    config = smoke_config()
    config.pop("ensemble", None)
    config["run"]["workers"] = 1
    config["data"]["problem"] = problem
    for key, value in changes.items():
        config["search" if key == "metric" else "data"][key] = value
    config["contenders"] = {"linear": linear_contender(problem)}
    return config


@pytest.fixture(scope="module")
def refused(tmp_path_factory):
    """case -> (the failed run, its data file), every case run side by side."""
    folder = tmp_path_factory.mktemp("refused")
    jobs, files = [], []
    for index, (source, problem, changes, _) in enumerate(REFUSALS.values()):
        path = folder / f"case{index}.csv"
        if isinstance(source, bytes):
            path.write_bytes(source)
        else:
            source().to_csv(path, index=False)
        files.append(path)
        jobs.append((runner_of(refused_config(problem, changes)), {"data": str(path)}))
    return dict(zip(REFUSALS, zip(side_by_side(jobs), files, strict=True), strict=True))


@pytest.mark.parametrize("case", list(REFUSALS))
def test_bad_data_is_refused_in_start_in_one_line(case, refused):
    import os

    result, path = refused[case]
    assert result.status == "failed"
    run = result.run
    assert [step.id for step in run] == ["start"]  # no fit task ran
    line = refusal(run["start"].task)
    expected = REFUSALS[case][3]
    if expected.startswith("{file}"):
        assert line.startswith(expected.format(file=path)), line
    else:
        assert expected in line
    assert not (Path(os.environ["TOURNAMENT_RESULTS_DIR"]) / run.id).exists()


def test_a_missing_data_file_is_refused_at_launch(tmp_path):
    """Metaflow's IncludeFile reads `--data` when the run launches: no run starts at all."""
    from {{ cookiecutter.package_name }} import runs

    before = {run.id for run in runs.branch_runs(f"test.{BRANCH}")}
    done = subprocess.run(
        [sys.executable, str(TOURNAMENT), "--no-pylint", "--branch", BRANCH, "run",
         "--data", "no-such-file.csv"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    (line,) = [line for line in done.stderr.splitlines() if "no-such-file.csv" in line]
    assert line == (
        "Error: Invalid value for '--data': IncludeFile: could not open file "
        "'no-such-file.csv' for reading"
    )
    assert {run.id for run in runs.branch_runs(f"test.{BRANCH}")} == before

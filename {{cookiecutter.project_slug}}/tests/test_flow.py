"""ModelSelectionFlow end to end, checked against plain scikit-learn and SciPy.

The reference side never calls the package's pipelines, splits, search space or scoring: it
regenerates the smoke data from the config's numbers, then spells out the split, the folds, the
column transformers, the distributions, the searches, the stacking ensemble and the refits.
Only the estimator classes named in the config (the models under test) are shared.
"""

import importlib
import json
import os
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import (
    PROJECT_DIR,
    SMOKE_CONFIG,
    SMOKE_DRAWS,
    SMOKE_PLOTTED,
    TOURNAMENT,
    linear_contender,
    one_candidate_each,
    refusal,
    run_tournament,
    side_by_side,
    smoke_config,
    smoke_run_config,
    succeeded,
    tournament_runner,
)
from references import preprocessor

pytestmark = pytest.mark.flow

BRANCH = "flow_tests"
# How each iterative estimator trains for exactly n iterations with early stopping off.
FIXED_ITERATIONS = {
    "LightGBMRegressor": lambda n: {"n_estimators": n, "early_stopping_rounds": None},
    "LightGBMClassifier": lambda n: {"n_estimators": n, "early_stopping_rounds": None},
    "MLPRegressor": lambda n: {"max_iter": n, "early_stopping": False, "n_iter_no_change": n + 1},
    "MLPClassifier": lambda n: {"max_iter": n, "early_stopping": False, "n_iter_no_change": n + 1},
    "KerasRegressor": lambda n: {"epochs": n, "early_stopping_patience": 0},
    "KerasClassifier": lambda n: {"epochs": n, "early_stopping_patience": 0},
}


# --- the reference: plain scikit-learn and SciPy from the config's literal settings ---------


def estimator_class(path):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def literal_split(table, config, seed):
    """train_test_split and the K folds, seeded and stratified as the README promises."""
    from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

    data = config["data"]
    target = data["target"]
    classify = data["problem"] == "classification"
    train, test = train_test_split(
        table,
        test_size=data["test_size"],
        random_state=seed,
        stratify=table[target] if classify else None,
    )
    kind = StratifiedKFold if classify else KFold
    folds = kind(n_splits=data["n_folds"], shuffle=True, random_state=seed)
    return train.reset_index(drop=True), test.reset_index(drop=True), folds


def literal_metric(config, y):
    if config["data"]["problem"] == "regression":
        return "r2"
    return "roc_auc" if y.nunique() == 2 else "roc_auc_ovr"


def literal_preprocessor(kind, table, target):
    """The preprocessing spelled out for the smoke data: numbers and one text column."""
    features = table.drop(columns=[target])
    numeric = [name for name in features if pd.api.types.is_float_dtype(features[name])]
    text = [name for name in features if name not in numeric]
    return preprocessor(kind, numeric, [], text)


def literal_pipeline(contender, table, target, seed, params=None):
    from sklearn.pipeline import Pipeline

    cls = estimator_class(contender["estimator"])
    settings = dict(contender.get("params", {}))
    if "random_state" in cls().get_params():
        settings["random_state"] = seed
    model = cls(**settings)
    if params:
        model.set_params(**params)
    preprocess = literal_preprocessor(contender.get("preprocessing", "scaled"), table, target)
    return Pipeline([("preprocess", preprocess), ("model", model)])


def scipy_distribution(spec):
    from scipy import stats

    if isinstance(spec, list):
        return spec
    low, high = spec.get("low"), spec.get("high")
    return {
        "uniform": lambda: stats.uniform(low, high - low),
        "loguniform": lambda: stats.loguniform(low, high),
        "randint": lambda: stats.randint(low, high),
        "normal": lambda: stats.norm(spec.get("mean"), spec.get("std")),
    }[spec["dist"]]()


def literal_search(contender, table, train, folds, metric, seed):
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
    from threadpoolctl import threadpool_limits

    target = "target"
    pipeline = literal_pipeline(contender, table, target, seed)
    common = {"scoring": metric, "cv": folds, "refit": False, "error_score": "raise"}
    if "grid" in contender:
        grid = {f"model__{key}": values for key, values in contender["grid"].items()}
        search = GridSearchCV(pipeline, grid, **common)
    else:
        space = {
            f"model__{key}": scipy_distribution(spec)
            for key, spec in contender["distributions"].items()
        }
        search = RandomizedSearchCV(
            pipeline, space, n_iter=contender["n_iter"], random_state=seed, **common
        )
    with threadpool_limits(limits=1):
        search.fit(train.drop(columns=[target]), train[target])
    return search.cv_results_


def literal_stacking(config, members, table, seed):
    """The stacking ensemble of the given (family, params) members, with its inner folds."""
    from sklearn.ensemble import StackingClassifier, StackingRegressor
    from sklearn.model_selection import KFold, StratifiedKFold

    classify = config["data"]["problem"] == "classification"
    inner = (StratifiedKFold if classify else KFold)(
        n_splits=config["ensemble"]["inner_folds"], shuffle=True, random_state=seed
    )
    estimators = [
        (family, literal_pipeline(config["contenders"][family], table, "target", seed, params))
        for family, params in members
    ]
    kind = StackingClassifier if classify else StackingRegressor
    return kind(estimators, cv=inner)


def plain(value):
    return value.item() if hasattr(value, "item") else value


@pytest.fixture(scope="module")
def reference():
    """Everything the smoke run computes, recomputed in plain scikit-learn from its config."""
    from sklearn.model_selection import cross_val_score
    from threadpoolctl import threadpool_limits

    from {{ cookiecutter.package_name }}.data import make_mock

    config = smoke_run_config()
    data, seed = config["data"], config["run"]["seed"]
    table = make_mock(data["problem"], seed, target=data["target"], **data["mock"])
    train, test, folds = literal_split(table, config, seed)
    metric = literal_metric(config, table[data["target"]])
    rows = []
    for family, contender in config["contenders"].items():
        results = literal_search(contender, table, train, folds, metric, seed)
        for index, params in enumerate(results["params"]):
            rows.append(
                {
                    "candidate": f"{family}-{index}",
                    "family": family,
                    "params": {k.removeprefix("model__"): plain(v) for k, v in params.items()},
                    "mean": results["mean_test_score"][index],
                    "splits": [
                        results[f"split{fold}_test_score"][index] for fold in range(data["n_folds"])
                    ],
                }
            )
    board = pd.DataFrame(rows)
    # The ensemble: the best candidate of each of the top_k best families.
    best = board.sort_values("mean", ascending=False, kind="stable").drop_duplicates("family")
    chosen = best.head(config["ensemble"]["top_k"])
    members = list(zip(chosen["family"], chosen["params"], strict=True))
    stacking = literal_stacking(config, members, table, seed)
    X, y = train.drop(columns=["target"]), train["target"]
    with threadpool_limits(limits=1):
        ensemble = cross_val_score(stacking, X, y, cv=folds, scoring=metric)
    board.loc[len(board)] = {
        "candidate": "ensemble",
        "family": "ensemble",
        "params": {"members": list(chosen["candidate"])},
        "mean": float(np.mean(ensemble)),
        "splits": list(ensemble),
    }
    return {
        "config": config,
        "seed": seed,
        "table": table,
        "train": train,
        "test": test,
        "folds": folds,
        "metric": metric,
        "board": board.set_index("candidate"),
        "members": members,
    }


def literal_winner_model(reference, winner, rows):
    """The winner refitted on `rows` as the README says: the CV best iteration, no early stop."""
    from sklearn.model_selection import cross_validate
    from threadpoolctl import threadpool_limits

    config, table, train = reference["config"], reference["table"], reference["train"]
    seed = reference["seed"]
    if winner == "ensemble":
        model = literal_stacking(config, reference["members"], table, seed)
    else:
        row = reference["board"].loc[winner]
        contender = config["contenders"][row["family"]]
        model = literal_pipeline(contender, table, "target", seed, row["params"])
        name = type(model.named_steps["model"]).__name__
        if name in FIXED_ITERATIONS:
            with threadpool_limits(limits=1):
                fitted = cross_validate(
                    model,
                    train.drop(columns=["target"]),
                    train["target"],
                    cv=reference["folds"],
                    return_estimator=True,
                )["estimator"]
            iterations = round(np.mean([f.named_steps["model"].best_iteration_ for f in fitted]))
            model.named_steps["model"].set_params(**FIXED_ITERATIONS[name](iterations))
    with threadpool_limits(limits=1):
        return model.fit(rows.drop(columns=["target"]), rows["target"])


# --- the smoke run against the reference ----------------------------------------------------


def test_split_and_folds_are_the_seeded_ones(smoke_run, reference):
    start = smoke_run["start"].task.data
    pd.testing.assert_frame_equal(start.train_data, reference["train"])
    pd.testing.assert_frame_equal(start.test_data, reference["test"])
    train = reference["train"]
    expected = list(reference["folds"].split(train.drop(columns=["target"]), train["target"]))
    assert len(start.folds) == len(expected)
    for (fit_rows, scored_rows), (want_fit, want_scored) in zip(start.folds, expected, strict=True):
        assert np.array_equal(fit_rows, want_fit)
        assert np.array_equal(scored_rows, want_scored)
    assert smoke_run.data.metric == reference["metric"]


def test_fold_scores_equal_grid_and_random_search(smoke_run, reference):
    """Every fold score of every candidate, grid and random search alike: max |difference| = 0."""
    board = smoke_run.data.leaderboard.set_index("candidate")
    expected = reference["board"]
    assert sorted(board.index) == sorted(expected.index)
    n_folds = reference["config"]["data"]["n_folds"]
    for name, row in expected.iterrows():
        got = board.loc[name]
        assert got["family"] == row["family"], name
        assert got["params"] == row["params"], name
        flow = np.array([got[f"split{fold}_test_score"] for fold in range(n_folds)])
        assert np.max(np.abs(flow - np.array(row["splits"]))) == 0, name
        assert got["mean_test_score"] == row["mean"], name
    searched = [c for c in reference["config"]["contenders"].values() if "distributions" in c]
    assert searched, "the smoke config should hold a random search"
    assert all(c["n_iter"] == SMOKE_DRAWS for c in searched)


def test_random_search_draws_from_the_normal_distribution(smoke_run):
    """The normal-distributed learning rate: distinct draws near its mean, as scipy draws them."""
    board = smoke_run.data.leaderboard
    config = smoke_run_config()
    for family, contender in config["contenders"].items():
        for key, spec in contender.get("distributions", {}).items():
            if isinstance(spec, dict) and spec["dist"] == "normal":
                drawn = [p[key] for p in board[board["family"] == family]["params"]]
                assert len(set(drawn)) == SMOKE_DRAWS
                assert all(abs(value - spec["mean"]) < 6 * spec["std"] for value in drawn)
                return
    pytest.fail("no normal distribution in the smoke run's config")


def test_ensemble_equals_cross_val_score_of_stacking(smoke_run, reference):
    board = smoke_run.data.leaderboard.set_index("candidate")
    assert "ensemble" in board.index, "the smoke config asks for an ensemble"
    row, expected = board.loc["ensemble"], reference["board"].loc["ensemble"]
    assert row["params"] == expected["params"]
    n_folds = reference["config"]["data"]["n_folds"]
    flow = np.array([row[f"split{fold}_test_score"] for fold in range(n_folds)])
    assert np.max(np.abs(flow - np.array(expected["splits"]))) == 0


def test_winner_is_the_best_mean_and_the_board_is_ranked(smoke_run, reference):
    expected = reference["board"]["mean"]
    best = expected.idxmax()
    winner = smoke_run.data.winner
    assert winner["candidate"] == best
    assert winner["cv_score"] == expected.max()
    board = smoke_run.data.leaderboard
    assert list(board["candidate"]) == list(expected.sort_values(ascending=False).index)
    assert list(board["rank_test_score"]) == list(range(1, len(board) + 1))


def test_held_out_score_is_a_refit_on_the_training_split(smoke_run, reference):
    """Refit the winner on the literal training split, score the held-out rows with the
    scorer: exactly the run's test score. A refit on any other rows would not match."""
    from sklearn.metrics import get_scorer

    winner = smoke_run.data.winner["candidate"]
    test = reference["test"]
    model = literal_winner_model(reference, winner, reference["train"])
    scorer = get_scorer(reference["metric"])
    expected = scorer(model, test.drop(columns=["target"]), test["target"])
    assert smoke_run.data.test_score == expected
    predictions = smoke_run.data.test_predictions
    assert np.array_equal(predictions["actual"], test["target"])
    assert np.array_equal(predictions["prediction"], model.predict(test.drop(columns=["target"])))


def test_model_is_the_winner_refitted_on_every_row(smoke_run, reference):
    rows = pd.concat([reference["train"], reference["test"]], ignore_index=True)
    model = literal_winner_model(reference, smoke_run.data.winner["candidate"], rows)
    X = reference["table"].drop(columns=["target"])
    assert np.array_equal(smoke_run.data.model.predict(X), model.predict(X))


def test_workers_zero_shards_the_fits_over_every_core(smoke_run):
    """`fits_per_task = 0`, `workers = 0`: one fit task per CPU of this machine."""
    config = smoke_run_config()
    assert config["run"]["fits_per_task"] == config["run"]["workers"] == 0
    candidates = smoke_run["start"].task.data.candidates
    fits = len(candidates) * config["data"]["n_folds"]
    tasks = list(smoke_run["fit"])
    assert len(tasks) == min(os.cpu_count(), fits)
    batches = sorted(fit for task in tasks for fit in task.data.batch)
    n_folds = config["data"]["n_folds"]
    assert batches == sorted((c, f) for c in range(len(candidates)) for f in range(n_folds))


def png_size(path_or_bytes):
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_results_folder_and_card(smoke_run, tmp_path):
    from {{ cookiecutter.package_name }} import plots

    folder = Path(smoke_run.data.results_dir)
    assert folder.name == smoke_run.id
    board = smoke_run.data.leaderboard
    saved = pd.read_csv(folder / "leaderboard.csv")
    assert list(saved["candidate"]) == list(board["candidate"])
    assert np.array_equal(saved["mean_test_score"], board["mean_test_score"])
    classes = smoke_run.data.schema["classes"]
    figures = ["predicted_vs_actual"] if classes is None else ["roc_curve", "confusion_matrix"]
    for name in ["fold_scores", *figures]:
        assert png_size(folder / f"{name}.png")[1] > 100, name
    # `max_plot_candidates`: the box plot is the one of the best candidates only.
    assert len(board) > SMOKE_PLOTTED
    metric = smoke_run.data.metric
    top = png_size(plots.to_png(plots.fold_scores(board.head(SMOKE_PLOTTED), metric)))
    every = png_size(plots.to_png(plots.fold_scores(board, metric, len(board))))
    assert png_size(folder / "fold_scores.png") == top != every
    summary = (folder / "summary.txt").read_text().splitlines()
    winner = smoke_run.data.winner["candidate"]
    assert any(line.split()[:2] == ["winner", winner] for line in summary)
    challenger = [line.split() for line in summary if line.startswith("held-out, challenger")]
    assert challenger == [["held-out,", "challenger", f"{smoke_run.data.test_score:.4f}"]]
    # The card, fetched as a user would.
    html = tmp_path / "report.html"
    subprocess.run(
        [sys.executable, str(TOURNAMENT), "--quiet", "card", "get", f"{smoke_run.id}/end",
         "--id", "report", str(html)],
        cwd=PROJECT_DIR, check=True, capture_output=True,
    )  # fmt: skip
    text = html.read_text()
    assert "<html" in text[:2000].lower()
    assert len(text) > 10_000


# --- config errors --------------------------------------------------------------------------


def test_wrong_config_key_is_refused_in_one_line_naming_the_key():
    from metaflow.exception import MetaflowException

    config = smoke_config()
    config["search"]["metrik"] = "r2"
    started = time.perf_counter()
    with pytest.raises(MetaflowException) as caught:
        run_tournament(config_value=config, branch=BRANCH)
    assert time.perf_counter() - started < 10
    message = str(caught.value)
    assert len(message.strip().splitlines()) == 1
    assert "search.metrik: unknown key (allowed: max_plot_candidates, metric)" in message


def test_wrong_config_key_on_the_command_line_names_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(SMOKE_CONFIG.read_text().replace("[search]\n", "[search]\nmetrik = 'r2'\n"))
    done = subprocess.run(
        [sys.executable, str(TOURNAMENT), "--no-pylint", "--config", "tournament", str(bad), "run"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    (line,) = [line.strip() for line in done.stderr.splitlines() if "metrik" in line]
    assert line == f"{bad}: search.metrik: unknown key (allowed: max_plot_candidates, metric)"


# --- failures inside the run ----------------------------------------------------------------

KILLED = '''
"""Estimators whose fit dies the way the kernel's out-of-memory killer ends a process."""

import os
import signal

from sklearn.linear_model import LogisticRegression, Ridge


class KilledRegressor(Ridge):
    def fit(self, X, y, sample_weight=None):
        os.kill(os.getpid(), signal.SIGKILL)


class KilledClassifier(LogisticRegression):
    def fit(self, X, y, sample_weight=None):
        os.kill(os.getpid(), signal.SIGKILL)
'''


def broken(problem):
    """A contender whose every fit raises: a negative penalty, refused by scikit-learn's fit."""
    contender = linear_contender(problem)
    key = next(iter(contender["grid"]))
    contender["grid"] = {key: [-1.0]}
    return contender, key


def failures_config():
    """A healthy, a broken and a killed contender, one task per contender."""
    config = smoke_config()
    problem = config["data"]["problem"]
    kind = "Classifier" if problem == "classification" else "Regressor"
    config.pop("ensemble", None)
    config["contenders"] = {
        "healthy": linear_contender(problem),
        "broken": broken(problem)[0],
        "killed": {"estimator": f"killed_estimators.Killed{kind}", "grid": {"tol": [1e-4]}},
    }
    config["run"]["fits_per_task"] = config["data"]["n_folds"]
    return config


def all_broken_config():
    config = smoke_config()
    config.pop("ensemble", None)
    contender, key = broken(config["data"]["problem"])
    contender["grid"][key] = [-1.0, -2.0]
    config["contenders"] = {"broken": contender}
    config["run"]["workers"] = 1
    return config


def cli_config():
    """LightGBM only (it iterates), with fast trees so that early stopping stops early."""
    config = one_candidate_each(smoke_config(), ["lightgbm"])
    config["contenders"]["lightgbm"]["params"]["n_estimators"] = 300
    config["contenders"]["lightgbm"]["grid"] = {"learning_rate": [0.3]}
    config["run"]["workers"] = 1
    return config


def cli_table(problem, n_rows=300, seed=11):
    """A table nobody in the package wrote: scikit-learn's generators, a text column."""
    from sklearn.datasets import make_classification, make_friedman1

    if problem == "classification":
        X, y = make_classification(n_samples=n_rows, n_features=5, random_state=seed)
    else:
        X, y = make_friedman1(n_samples=n_rows, n_features=5, noise=0.5, random_state=seed)
    table = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    table["shop"] = np.where(X[:, 0] > 0.5, "big", "small")
    table["target"] = y
    return table


@pytest.fixture(scope="module")
def module_runs(tmp_path_factory):
    """This module's own tournaments, side by side: `run --data my.csv --seed 3` typed on the
    command line, a run with failing candidates, and one where every candidate fails."""
    from metaflow import Run

    folder = tmp_path_factory.mktemp("flow")
    (folder / "killed_estimators.py").write_text(KILLED)
    config = cli_config()
    table = cli_table(config["data"]["problem"])
    table.to_csv(folder / "my.csv", index=False)
    command = [
        sys.executable, str(TOURNAMENT), "--no-pylint", "--branch", BRANCH, "--config-value",
        "tournament", json.dumps(config), "run", "--data", "my.csv", "--seed", "3",
        "--run-id-file", "run-id",
    ]  # fmt: skip
    with subprocess.Popen(
        command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as cli:
        env = {**os.environ, "PYTHONPATH": str(folder)}
        failures, all_broken = side_by_side(
            [
                (lambda: tournament_runner(config_value=failures_config(), branch=BRANCH,
                                           env=env), {}),
                (lambda: tournament_runner(config_value=all_broken_config(), branch=BRANCH), {}),
            ]
        )  # fmt: skip
        _, stderr = cli.communicate(timeout=600)
    assert cli.returncode == 0, stderr[-4000:]
    run_id = (folder / "run-id").read_text().strip()
    return {
        "cli": (Run(f"ModelSelectionFlow/{run_id}", _namespace_check=False), table, config),
        "failures": succeeded(failures),
        "all broken": all_broken,
    }


@pytest.fixture(scope="module")
def failures_run(module_runs):
    return module_runs["failures"]


@pytest.fixture(scope="module")
def cli_run(module_runs):
    return module_runs["cli"]


def test_broken_candidate_is_listed_last_and_the_run_succeeds(failures_run):
    board = failures_run.data.leaderboard.set_index("candidate")
    problem = failures_run.data.schema["problem"]
    key = broken(problem)[1]
    assert f"'{key}' parameter of" in board.loc["broken-0", "error"]
    assert board.loc["broken-0", "error"].count("InvalidParameterError") == 3
    assert np.isnan(board.loc["broken-0", "mean_test_score"])
    assert failures_run.data.winner["candidate"] == "healthy-0"
    assert list(board.index)[0] == "healthy-0"
    assert board.loc["healthy-0", "error"] is None


def test_a_crashed_fit_task_is_caught_and_its_fits_fail(failures_run):
    """@catch: the task whose process was killed leaves `fit_error`; the run goes on."""
    tasks = list(failures_run["fit"])
    assert len(tasks) == 3
    crashed = [task for task in tasks if task.data.fit_error is not None]
    assert len(crashed) == 1
    assert "kept failing" in str(crashed[0].data.fit_error)
    board = failures_run.data.leaderboard.set_index("candidate")
    error = board.loc["killed-0", "error"]
    assert error.count("task crashed") == 3, error
    assert list(board.index)[-2:] == sorted(["broken-0", "killed-0"])
    summary = (Path(failures_run.data.results_dir) / "summary.txt").read_text()
    assert "failed candidates:" in summary
    assert "killed-0: fold 0:" in summary


def test_every_candidate_failing_stops_in_tournament_with_one_line(module_runs):
    result = module_runs["all broken"]
    assert result.status == "failed"
    join = result.run["tournament"].task
    assert not join.successful
    line = refusal(join)
    key = broken(result.run["start"].task.data.schema["problem"])[1]
    assert line.startswith("every candidate failed (2); first error: InvalidParameterError")
    assert f"'{key}' parameter of" in line
    assert "refit" not in result.run


def test_command_line_data_and_seed_are_used(cli_run):
    run, table, config = cli_run
    start = run["start"].task.data
    assert start.seed == 3 != config["run"]["seed"]
    assert start.mock is None
    assert start.data_source == "my.csv"
    train, test, _ = literal_split(table, config, seed=3)
    pd.testing.assert_frame_equal(start.train_data, train)
    pd.testing.assert_frame_equal(start.test_data, test)


def test_refits_train_for_the_cv_best_iteration_on_every_row(cli_run):
    """LightGBM's refits: the mean best iteration over the folds, early stopping off; the
    deployed model on every row of my.csv, the scored one on the training split."""
    from sklearn.metrics import get_scorer

    run, table, config = cli_run
    train, test, folds = literal_split(table, config, seed=3)
    contender = config["contenders"]["lightgbm"]
    params = {k: v[0] for k, v in contender["grid"].items()}
    reference = {"config": config, "seed": 3, "table": table, "train": train, "test": test}
    reference["folds"] = folds
    reference["board"] = pd.DataFrame(
        [{"candidate": "lightgbm-0", "family": "lightgbm", "params": params}]
    ).set_index("candidate")
    winner = run.data.winner
    assert winner["candidate"] == "lightgbm-0"
    scored = literal_winner_model(reference, "lightgbm-0", train)
    deployed = literal_winner_model(reference, "lightgbm-0", table)
    iterations = scored.named_steps["model"].n_estimators
    assert winner["iterations"] == iterations < contender["params"]["n_estimators"]
    model = run.data.model.named_steps["model"]
    assert model.n_estimators == iterations
    assert model.early_stopping_rounds is None
    X = table.drop(columns=["target"])
    assert np.array_equal(run.data.model.predict(X), deployed.predict(X))
    metric = literal_metric(config, table["target"])
    expected = get_scorer(metric)(scored, test.drop(columns=["target"]), test["target"])
    assert run.data.test_score == expected
{%- if cookiecutter.neural_net == "keras" %}


def test_keras_early_stopping_sees_only_its_fit_split(smoke_run, reference):
    """Each fold's best epoch is the one Keras finds on a split of that fold's training rows:
    the same as a Keras model fitted by scikit-learn's cross_validate on the training fold."""
    from sklearn.model_selection import cross_validate
    from threadpoolctl import threadpool_limits

    config, train = reference["config"], reference["train"]
    results = {(r["candidate"], r["fold"]): r["best_iteration"] for r in smoke_run.data.fit_results}
    candidates = smoke_run["start"].task.data.candidates
    index = next(i for i, c in enumerate(candidates) if c["family"] == "keras")
    params = candidates[index]["params"]
    contender = config["contenders"]["keras"]
    pipeline = literal_pipeline(contender, reference["table"], "target", reference["seed"], params)
    X, y = train.drop(columns=["target"]), train["target"]
    with threadpool_limits(limits=1):
        fitted = cross_validate(pipeline, X, y, cv=reference["folds"], return_estimator=True)
    expected = [f.named_steps["model"].best_iteration_ for f in fitted["estimator"]]
    assert [results[(index, fold)] for fold in range(len(expected))] == expected
{%- endif %}

"""Fit-and-score, batches with failing candidates, and the leaderboard's ranking."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.metrics import get_scorer

from {{ cookiecutter.package_name }}.contenders import build_pipeline, expand
from {{ cookiecutter.package_name }}.data import fold_indices, make_mock, make_splitter
from {{ cookiecutter.package_name }}.evaluation import fit_and_score, leaderboard, rank, run_batch


class Recorder(RegressorMixin, BaseEstimator):
    """Remembers the rows it was fitted on."""

    seen = []

    def fit(self, X, y):
        Recorder.seen.append(np.asarray(X).copy())
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)


def test_fit_and_score_fits_on_the_training_fold_only():
    table = make_mock("regression", seed=0, n_samples=120, n_categories=1)
    X, y = table.drop(columns=["target", "category"]), table["target"]
    folds = fold_indices(make_splitter("regression", 3, seed=0), X, y)
    Recorder.seen.clear()
    contender = {"estimator": f"{__name__}.Recorder", "preprocessing": "none"}
    pipeline = build_pipeline(contender, list(X.columns), [], seed=0)
    train_index, test_index = folds[0]
    result = fit_and_score(pipeline, X, y, train_index, test_index, get_scorer("r2"))
    assert result["error"] is None
    assert np.isfinite(result["score"])
    np.testing.assert_array_equal(Recorder.seen[0], X.to_numpy()[train_index])


def test_fit_and_score_catches_errors():
    table = make_mock("regression", seed=0, n_samples=60, n_categories=1)
    X, y = table.drop(columns=["target", "category"]), table["target"]
    contender = {"estimator": "sklearn.linear_model.Ridge", "preprocessing": "none"}
    pipeline = build_pipeline(contender, list(X.columns), [], seed=0, params={"alpha": -1.0})
    result = fit_and_score(pipeline, X, y, np.arange(40), np.arange(40, 60), get_scorer("r2"))
    assert np.isnan(result["score"])
    assert "alpha" in result["error"]


def test_a_failing_candidate_does_not_sink_its_batch():
    config = {
        "data": {"target": "target"},
        "search": {"metric": "neg_mean_squared_error"},
        "contenders": {
            "ridge": {
                "estimator": "sklearn.linear_model.Ridge",
                "grid": {"alpha": [1.0, -1.0, 10.0]},
            },
        },
    }
    table = make_mock("regression", seed=0, n_samples=90, n_categories=2)
    folds = fold_indices(make_splitter("regression", 3, 0), table, table["target"])
    candidates = expand(config["contenders"], seed=0)
    batch = [(c, f) for c in range(3) for f in range(3)]
    results = run_batch(config, candidates, batch, table, folds, seed=0)
    assert len(results) == 9
    failed = {r["candidate"] for r in results if r["error"]}
    assert failed == {1}
    board = leaderboard(candidates, results, n_folds=3)
    assert board.iloc[-1]["candidate"] == "ridge-1"
    assert board.iloc[-1]["rank_test_score"] == 3
    assert "fold 0" in board.iloc[-1]["error"]
    assert board["error"].iloc[:2].isna().all()


def _results(scores_by_candidate):
    return [
        {
            "candidate": c,
            "fold": f,
            "score": s,
            "fit_time": 0.1,
            "score_time": 0.01,
            "best_iteration": 10 + f,
            "error": None if np.isfinite(s) else "ValueError: boom",
        }
        for c, scores in enumerate(scores_by_candidate)
        for f, s in enumerate(scores)
    ]


def test_leaderboard_ranks_an_error_metric_best_first():
    # neg_mean_squared_error: -1 (MSE 1) beats -4 (MSE 4).
    candidates = [
        {"name": n, "family": "f", "params": {"k": i}, "cost": 1.0}
        for i, n in enumerate(["worse", "best", "broken", "middle"])
    ]
    results = _results(
        [[-4.0, -4.2, -3.8], [-1.0, -1.1, -0.9], [-0.5, np.nan, -0.5], [-2.0, -2.0, -2.0]]
    )
    board = leaderboard(candidates, results, n_folds=3)
    assert list(board["candidate"]) == ["best", "middle", "worse", "broken"]
    assert list(board["rank_test_score"]) == [1, 2, 3, 4]
    best = board.iloc[0]
    assert best["mean_test_score"] == pytest.approx(-1.0)
    assert best["std_test_score"] == pytest.approx(np.std([-1.0, -1.1, -0.9]))
    assert best["sem_test_score"] == pytest.approx(np.std([-1.0, -1.1, -0.9], ddof=1) / np.sqrt(3))
    assert best["mean_best_iteration"] == pytest.approx(11.0)
    assert best["params"] == {"k": 1}
    assert pd.isna(board.iloc[-1]["mean_test_score"])
    assert "boom" in board.iloc[-1]["error"]
    for column in [
        "split0_test_score",
        "split2_test_score",
        "mean_fit_time",
        "std_fit_time",
        "mean_score_time",
        "std_score_time",
    ]:
        assert column in board.columns


def test_rank_matches_grid_search_ties_and_nan():
    np.testing.assert_array_equal(rank([0.5, 0.9, 0.9, np.nan]), [3, 1, 1, 4])


def test_missing_fits_count_as_failures():
    candidates = [{"name": "a", "family": "f", "params": {}, "cost": 1.0}]
    board = leaderboard(candidates, _results([[0.1, 0.2]]), n_folds=3)
    assert "fold 2: no result" in board.iloc[0]["error"]

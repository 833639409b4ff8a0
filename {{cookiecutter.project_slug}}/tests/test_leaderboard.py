"""The leaderboard: GridSearchCV's figures and ranking, failed candidates last, and the winner."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold
from tables import TARGET, diabetes

from {{ cookiecutter.package_name }}.leaderboard import (
    SHOWN,
    NoWinner,
    collect,
    failures,
    rank,
    ranks,
    winner,
)


def candidates(*names, family="f"):
    return [
        {"name": name, "family": family, "params": {"k": index}, "cost": 1.0}
        for index, name in enumerate(names)
    ]


def results(*scores_by_candidate, iterations=None):
    return [
        {
            "candidate": c,
            "fold": f,
            "score": s,
            "fit_time": 0.1 * (f + 1),
            "score_time": 0.01,
            "best_iteration": None if iterations is None else iterations[c][f],
            "error": None if np.isfinite(s) else "ValueError: boom",
        }
        for c, scores in enumerate(scores_by_candidate)
        for f, s in enumerate(scores)
    ]


def test_figures_worked_out_by_hand():
    # neg_mean_squared_error: -1 (MSE 1) beats -4 (MSE 4).
    board = rank(
        candidates("worse", "best", "broken", "middle"),
        results(
            [-4.0, -4.2, -3.8],
            [-1.0, -1.1, -0.9],
            [-0.5, np.nan, -0.5],
            [-2.0, -2.0, -2.0],
            iterations=[[1, 1, 1], [10, 11, 13], [1, 1, 1], [5, 5, 5]],
        ),
        n_folds=3,
    )
    assert list(board["candidate"]) == ["best", "middle", "worse", "broken"]
    assert list(board["rank_test_score"]) == [1, 2, 3, 4]
    best = board.iloc[0]
    assert best["mean_test_score"] == pytest.approx(-1.0)
    # Deviations 0, -0.1, 0.1: population std sqrt(0.02 / 3), standard error
    # sqrt(0.02 / 2) / sqrt(3).
    assert best["std_test_score"] == pytest.approx(np.sqrt(0.02 / 3))
    assert best["sem_test_score"] == pytest.approx(0.1 / np.sqrt(3))
    assert best["mean_best_iteration"] == pytest.approx(34 / 3)
    assert best["mean_fit_time"] == pytest.approx(0.2)
    assert best["std_fit_time"] == pytest.approx(np.sqrt(0.02 / 3))
    assert best["params"] == {"k": 1}
    assert [best[f"split{k}_test_score"] for k in range(3)] == [-1.0, -1.1, -0.9]
    assert best["error"] is None
    broken = board.iloc[-1]
    assert pd.isna(broken["mean_test_score"])
    assert broken["error"] == "fold 1: ValueError: boom"
    assert set(SHOWN) <= set(board.columns)


def test_means_spreads_and_ranks_equal_grid_search_cv():
    table = diabetes()
    X, y = table.drop(columns=[TARGET]), table[TARGET]
    folds = KFold(n_splits=4, shuffle=True, random_state=0)
    alphas = [10.0, 0.01, 1.0, 0.1, 3.0]
    search = GridSearchCV(Ridge(), {"alpha": alphas}, cv=folds, scoring="r2").fit(X, y)
    cv = search.cv_results_
    split_scores = [[cv[f"split{k}_test_score"][i] for k in range(4)] for i in range(5)]
    board = rank(candidates(*map(str, alphas)), results(*split_scores), n_folds=4)
    board = board.set_index("candidate").loc[list(map(str, alphas))]
    np.testing.assert_array_equal(board["mean_test_score"], cv["mean_test_score"])
    np.testing.assert_array_equal(board["std_test_score"], cv["std_test_score"])
    np.testing.assert_array_equal(board["rank_test_score"], cv["rank_test_score"])


def test_ranks_share_ties_and_put_failures_last():
    np.testing.assert_array_equal(ranks([0.5, 0.9, 0.9, np.nan]), [3, 1, 1, 4])
    np.testing.assert_array_equal(ranks([np.nan, np.nan]), [1, 1])
    means = np.random.RandomState(0).choice([0.1, 0.2, 0.3, np.nan], size=50)
    # scipy's "min" ranking of the negated scores, failures after every success.
    reference = rankdata(np.where(np.isnan(means), np.inf, -means), method="min")
    np.testing.assert_array_equal(ranks(means), reference)


def test_ties_are_listed_by_candidate_name():
    board = rank(candidates("b", "a", "c"), results([1.0, 1.0], [1.0, 1.0], [2.0, 2.0]), 2)
    assert list(board["candidate"]) == ["c", "a", "b"]
    assert list(board["rank_test_score"]) == [1, 2, 2]


def test_missing_fits_count_as_failures():
    board = rank(candidates("a"), results([0.1, 0.2]), n_folds=3)
    assert board.iloc[0]["error"] == "fold 2: no result (task crashed)"
    assert pd.isna(board.iloc[0]["mean_test_score"])


def test_collect_turns_a_crashed_task_into_failed_fits():
    healthy = SimpleNamespace(
        fit_results=[{**r, "traceback": "Traceback ..."} for r in results([0.5, 0.6])]
    )
    crashed = SimpleNamespace(
        fit_error="MemoryError: out of memory\n  more", batch=[(1, 0), (1, 1)]
    )
    silent = SimpleNamespace(fit_error=None, batch=[(2, 0)])
    found = collect([healthy, crashed, silent])
    assert [(r["candidate"], r["fold"]) for r in found] == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)]
    assert not any("traceback" in r for r in found)
    assert [r["error"] for r in found] == [
        None,
        None,
        "task crashed: MemoryError: out of memory",
        "task crashed: MemoryError: out of memory",
        "task crashed: unknown error",
    ]
    assert np.isnan(found[2]["score"])


def test_winner_is_the_top_row_as_plain_values():
    board = rank(
        candidates("slow", "quick"),
        results([0.5, 0.7], [0.8, 0.9], iterations=[[3, 3], [10, 13]]),
        n_folds=2,
    )
    best = winner(board)
    assert best == {
        "candidate": "quick",
        "family": "f",
        "params": {"k": 1},
        "cv_score": pytest.approx(0.85),
        "cv_sem": pytest.approx(np.std([0.8, 0.9], ddof=1) / np.sqrt(2)),
        "iterations": 12,  # mean 11.5, rounded
    }
    assert type(best["cv_score"]) is float
    no_iterations = rank(candidates("a"), results([0.5, 0.7]), 2)
    assert winner(no_iterations)["iterations"] is None


def test_no_winner_when_every_candidate_failed():
    board = rank(candidates("a", "b"), results([np.nan, 1.0], [1.0, np.nan]), n_folds=2)
    with pytest.raises(NoWinner) as caught:
        winner(board)
    assert str(caught.value) == "every candidate failed (2); first error: ValueError: boom"
    assert failures(board) == ["a: fold 0: ValueError: boom", "b: fold 1: ValueError: boom"]


def test_failures_are_empty_when_all_went_well():
    assert failures(rank(candidates("a"), results([0.5, 0.7]), 2)) == []

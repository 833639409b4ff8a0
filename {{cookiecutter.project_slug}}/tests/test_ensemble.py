"""The ensemble contender: the best candidate of each top family, stacked, scored on the same
outer folds exactly like scikit-learn's own Stacking estimator under cross_val_score."""

import numpy as np
import pandas as pd
import pytest
from references import messy_preprocessor, messy_schema
from sklearn.ensemble import StackingClassifier, StackingRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from tables import MESSY_IGNORED, TARGET, messy
from threadpoolctl import threadpool_limits

from {{ cookiecutter.package_name }}.ensemble import build, candidate, compete, cross_validate, members
from {{ cookiecutter.package_name }}.leaderboard import rank

SEED = 3
METRIC = {"regression": "r2", "classification": "neg_log_loss"}


def config(problem, with_ensemble=True):
    regression = problem == "regression"
    kind = "Regressor" if regression else "Classifier"
    linear = "Ridge" if regression else "LogisticRegression"
    contenders = {
        "linear": {
            "estimator": f"sklearn.linear_model.{linear}",
            "preprocessing": "scaled",
            "params": {},
        },
        "tree": {
            "estimator": f"sklearn.tree.DecisionTree{kind}",
            "preprocessing": "ordinal",
            "params": {"max_depth": 4},
        },
        "knn": {
            "estimator": f"sklearn.neighbors.KNeighbors{kind}",
            "preprocessing": "scaled",
            "params": {},
        },
    }
    settings = {
        "data": {"problem": problem, "target": TARGET},
        "contenders": contenders,
    }
    if with_ensemble:
        settings["ensemble"] = {"top_k": 2, "inner_folds": 3}
    return settings


CANDIDATES = [
    {"name": "linear-0", "family": "linear", "params": {"alpha": 10.0}, "cost": 1.0},
    {"name": "linear-1", "family": "linear", "params": {"alpha": 0.1}, "cost": 1.0},
    {"name": "tree-0", "family": "tree", "params": {"min_samples_leaf": 5}, "cost": 1.0},
    {"name": "knn-0", "family": "knn", "params": {"n_neighbors": 7}, "cost": 1.0},
]


def candidates(problem):
    if problem == "regression":
        return CANDIDATES
    # LogisticRegression takes C where Ridge takes alpha.
    return [
        {**c, "params": {"C": 1 / c["params"]["alpha"]}} if c["family"] == "linear" else c
        for c in CANDIDATES
    ]


def literal_stack(problem, inner_folds=3):
    """The stacking of tree-0 and linear-1 (the two best families), spelled out."""
    if problem == "regression":
        linear = Ridge(alpha=0.1, random_state=SEED)
        tree = DecisionTreeRegressor(max_depth=4, min_samples_leaf=5, random_state=SEED)
        inner = KFold(inner_folds, shuffle=True, random_state=SEED)
        kind = StackingRegressor
    else:
        linear = LogisticRegression(C=10.0, random_state=SEED)
        tree = DecisionTreeClassifier(max_depth=4, min_samples_leaf=5, random_state=SEED)
        inner = StratifiedKFold(inner_folds, shuffle=True, random_state=SEED)
        kind = StackingClassifier
    return kind(
        [
            ("tree", Pipeline([("preprocess", messy_preprocessor("ordinal")), ("model", tree)])),
            ("linear", Pipeline([("preprocess", messy_preprocessor("scaled")), ("model", linear)])),
        ],
        cv=inner,
    )


def reference_scores(problem, train, folds, metric):
    """cross_val_score of the literal stack; one BLAS thread, as the tournament's fits use."""
    with threadpool_limits(limits=1):
        return cross_val_score(
            literal_stack(problem),
            train.drop(columns=[TARGET]),
            train[TARGET],
            cv=folds,
            scoring=metric,
        )


def outer_folds(problem, train):
    kind = StratifiedKFold if problem == "classification" else KFold
    splitter = kind(3, shuffle=True, random_state=SEED)
    return list(splitter.split(train.drop(columns=[TARGET]), train[TARGET]))


def board_of(problem, scores):
    """A leaderboard from literal fold scores, one list per candidate."""
    records = [
        {
            "candidate": index,
            "fold": fold,
            "score": score,
            "fit_time": 0.1,
            "score_time": 0.1,
            "best_iteration": None,
            "error": None if np.isfinite(score) else "ValueError: boom",
        }
        for index, fold_scores in enumerate(scores)
        for fold, score in enumerate(fold_scores)
    ]
    return rank(candidates(problem), records, 3), records


def test_members_are_the_best_healthy_candidate_of_each_top_family():
    board = pd.DataFrame(
        {
            "candidate": ["ensemble", "tree-1", "knn-0", "linear-0", "tree-0", "knn-1", "mlp-0"],
            "family": ["ensemble", "tree", "knn", "linear", "tree", "knn", "mlp"],
            "error": [None, None, "fold 0: boom", None, None, None, None],
        }
    )
    assert members(board, 2) == ["tree-1", "linear-0"]
    assert members(board, 3) == ["tree-1", "linear-0", "knn-1"]
    assert members(board, 10) == ["tree-1", "linear-0", "knn-1", "mlp-0"]
    one_family = board[board["family"].isin(["tree", "ensemble"])]
    assert members(one_family, 3) == []


def test_the_ensemble_candidate_names_its_members():
    assert candidate(["tree-1", "linear-0"]) == {
        "name": "ensemble",
        "family": "ensemble",
        "params": {"members": ["tree-1", "linear-0"]},
        "cost": 0.0,
    }


@pytest.mark.parametrize("problem", ["regression", "classification"])
def test_build_stacks_the_members_pipelines_with_a_seeded_inner_split(problem):
    stack = build(
        config(problem), ["tree-0", "linear-1"], candidates(problem), messy_schema(), SEED
    )
    expected = literal_stack(problem)
    assert type(stack) is type(expected)
    assert [name for name, _ in stack.estimators] == ["tree", "linear"]
    assert type(stack.cv) is type(expected.cv)
    assert (stack.cv.n_splits, stack.cv.shuffle, stack.cv.random_state) == (3, True, SEED)
    tree = stack.estimators[0][1].named_steps["model"]
    assert (tree.max_depth, tree.min_samples_leaf, tree.random_state) == (4, 5, SEED)


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("problem", ["regression", "classification"])
def test_fold_scores_equal_cross_val_score_of_the_literal_stack(problem, workers):
    # String labels (classification), missing values, a boolean and dates.
    train = messy(problem, n_rows=210, seed=4).drop(columns=MESSY_IGNORED)
    folds = outer_folds(problem, train)
    records = cross_validate(
        config(problem),
        ["tree-0", "linear-1"],
        candidates(problem),
        messy_schema(),
        train,
        folds,
        METRIC[problem],
        SEED,
        index=4,
        workers=workers,
    )
    assert [(r["candidate"], r["fold"], r["error"]) for r in records] == [
        (4, 0, None),
        (4, 1, None),
        (4, 2, None),
    ]
    expected = reference_scores(problem, train, folds, METRIC[problem])
    found = np.array([r["score"] for r in records])
    assert np.max(np.abs(found - expected)) == 0


def test_compete_ranks_the_ensemble_on_the_same_board():
    problem = "regression"
    train = messy(problem, n_rows=210, seed=4).drop(columns=MESSY_IGNORED)
    folds = outer_folds(problem, train)
    # Worked by hand: tree-0 is best, then linear-1 (linear's best), knn-0, linear-0.
    board, records = board_of(
        problem, [[0.1, 0.1, 0.1], [0.5, 0.5, 0.4], [0.6, 0.6, 0.6], [0.3, 0.3, 0.3]]
    )
    args = (board, candidates(problem), records, messy_schema(), train, folds, "r2", SEED, 1)
    with_ensemble = compete(config(problem), *args)
    row = with_ensemble.set_index("candidate").loc["ensemble"]
    assert row["family"] == "ensemble"
    assert row["params"] == {"members": ["tree-0", "linear-1"]}
    expected = reference_scores(problem, train, folds, "r2")
    assert [row[f"split{k}_test_score"] for k in range(3)] == list(expected)
    assert row["mean_test_score"] == np.mean(expected)
    means = with_ensemble["mean_test_score"].to_numpy()
    assert list(with_ensemble["rank_test_score"]) == [1 + (means > m).sum() for m in means]
    assert len(with_ensemble) == len(board) + 1


def test_compete_without_an_ensemble_table_or_with_one_family_leaves_the_board():
    problem = "regression"
    train = messy(problem, n_rows=60, seed=4).drop(columns=MESSY_IGNORED)
    folds = outer_folds(problem, train)
    board, records = board_of(
        problem, [[0.1, 0.1, 0.1], [0.5, 0.5, 0.4], [0.6, np.nan, 0.6], [0.3, np.nan, 0.3]]
    )
    args = (candidates(problem), records, messy_schema(), train, folds, "r2", SEED, 1)
    assert compete(config(problem, with_ensemble=False), board, *args) is board
    # tree-0 and knn-0 failed: only the linear family is healthy.
    assert compete(config(problem), board, *args) is board

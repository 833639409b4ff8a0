"""The ensemble contender: a stacking ensemble of the best candidate of each of the top families.

scikit-learn's `StackingRegressor` / `StackingClassifier` fit the final estimator on inner
cross-validated predictions of the members, so on each outer fold the ensemble learns only from
that fold's training rows: scored on the tournament's own outer folds, it is cross-validated
exactly like every other candidate, and ranked on the same leaderboard.
"""

import functools
from typing import Any

import pandas as pd

NAME = "ensemble"


def members(board: pd.DataFrame, top_k: int) -> list[str]:
    """The best successful candidate of each of the `top_k` best families (fewer than two: none)."""
    healthy = board[board["error"].isna() & (board["family"] != NAME)]
    best = list(healthy.drop_duplicates("family").head(top_k)["candidate"])
    return best if len(best) >= 2 else []


def candidate(chosen: list[str]) -> dict[str, Any]:
    """The ensemble as a leaderboard candidate: its parameters name its members."""
    return {"name": NAME, "family": NAME, "params": {"members": chosen}, "cost": 0.0}


def build(
    config: dict[str, Any],
    chosen: list[str],
    candidates: list[dict[str, Any]],
    schema: dict[str, Any],
    seed: int,
) -> Any:
    """The unfitted stacking ensemble of the chosen candidates' pipelines."""
    from sklearn.ensemble import StackingClassifier, StackingRegressor

    from .pipelines import build_pipeline
    from .splits import make_splitter

    problem = config["data"]["problem"]
    by_name = {candidate["name"]: candidate for candidate in candidates}
    members = [by_name[name] for name in chosen]
    estimators = [
        (
            member["family"],
            build_pipeline(config["contenders"][member["family"]], schema, seed, member["params"]),
        )
        for member in members
    ]
    inner = make_splitter(problem, config["ensemble"]["inner_folds"], seed)
    if problem == "classification":
        return StackingClassifier(estimators, cv=inner)
    return StackingRegressor(estimators, cv=inner)


def cross_validate(
    config: dict[str, Any],
    chosen: list[str],
    candidates: list[dict[str, Any]],
    schema: dict[str, Any],
    train: pd.DataFrame,
    folds: list[Any],
    metric: str,
    seed: int,
    index: int,
    workers: int,
) -> list[dict[str, Any]]:
    """The ensemble's fit records on the outer folds (candidate `index`), folds side by side."""
    from sklearn.metrics import get_scorer
    from threadpoolctl import threadpool_limits

    from . import parallel
    from .evaluation import fit_and_score

    target = schema["target"]
    X, y = train.drop(columns=[target]), train[target]
    scorer = get_scorer(metric)

    def fold_job(fold: int) -> dict[str, Any]:
        train_index, test_index = folds[fold]
        with threadpool_limits(limits=1):
            record = fit_and_score(
                build(config, chosen, candidates, schema, seed),
                X.iloc[train_index],
                y.iloc[train_index],
                X.iloc[test_index],
                y.iloc[test_index],
                scorer,
            )
        record.pop("traceback", None)
        return {**record, "candidate": index, "fold": fold}

    jobs = [functools.partial(fold_job, fold) for fold in range(len(folds))]
    return parallel.run(jobs, workers)


def compete(
    config: dict[str, Any],
    board: pd.DataFrame,
    candidates: list[dict[str, Any]],
    fit_results: list[dict[str, Any]],
    schema: dict[str, Any],
    train: pd.DataFrame,
    folds: list[Any],
    metric: str,
    seed: int,
    workers: int,
) -> pd.DataFrame:
    """The leaderboard with the ensemble ranked on it, when the config asks for one and at
    least two families have a healthy candidate; otherwise `board` as it is."""
    from .leaderboard import rank

    if "ensemble" not in config:
        return board
    chosen = members(board, config["ensemble"]["top_k"])
    if not chosen:
        return board
    index = len(candidates)
    records = cross_validate(
        config, chosen, candidates, schema, train, folds, metric, seed, index, workers
    )
    return rank([*candidates, candidate(chosen)], [*fit_results, *records], len(folds))

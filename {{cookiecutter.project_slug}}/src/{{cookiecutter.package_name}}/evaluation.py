"""Fit-and-score one (candidate, fold), run a batch of them, and rank the candidates."""

import time
import traceback

import numpy as np
import pandas as pd

from .models import best_iteration


def failed_fit(error=None):
    """The result of a fit that did not happen: NaN score and times, and its error."""
    return {
        "score": float("nan"),
        "fit_time": float("nan"),
        "score_time": float("nan"),
        "best_iteration": None,
        "error": error,
    }


def fit_and_score(pipeline, X, y, train_index, test_index, scorer):
    """Fit on the training fold, score the test fold; never raises.

    Returns a dict with `score`, `fit_time`, `score_time`, `best_iteration` and `error`
    (None on success; otherwise the exception's type and message, and score NaN).
    """
    result = failed_fit()
    try:
        started = time.perf_counter()
        pipeline.fit(X.iloc[train_index], y.iloc[train_index])
        result["fit_time"] = time.perf_counter() - started
        started = time.perf_counter()
        result["score"] = float(scorer(pipeline, X.iloc[test_index], y.iloc[test_index]))
        result["score_time"] = time.perf_counter() - started
        result["best_iteration"] = best_iteration(pipeline.named_steps["model"])
    except Exception as error:  # noqa: BLE001 - one bad candidate must not sink its batch
        result["error"] = f"{type(error).__name__}: {error}".strip()
        result["traceback"] = traceback.format_exc()
    return result


def run_batch(config, candidates, batch, train, folds, seed, threads=1):
    """Run the batch's (candidate index, fold) fits one after another, `threads` each."""
    from sklearn.metrics import get_scorer
    from threadpoolctl import threadpool_limits

    from .contenders import build_pipeline
    from .data import feature_columns

    target = config["data"]["target"]
    numeric, categorical = feature_columns(train, target)
    X = train.drop(columns=[target])
    y = train[target]
    scorer = get_scorer(config["search"]["metric"])
    results = []
    with threadpool_limits(limits=threads):
        for index, fold in batch:
            candidate = candidates[index]
            contender = config["contenders"][candidate["family"]]
            try:
                pipeline = build_pipeline(
                    contender, numeric, categorical, seed, candidate["params"]
                )
            except Exception as error:  # noqa: BLE001 - reported like a failed fit
                outcome = failed_fit(f"{type(error).__name__}: {error}")
            else:
                train_index, test_index = folds[fold]
                outcome = fit_and_score(pipeline, X, y, train_index, test_index, scorer)
            outcome.update(candidate=index, fold=fold)
            results.append(outcome)
    return results


def leaderboard(candidates, results, n_folds):
    """One row per candidate with GridSearchCV's cv_results_ keys, best first.

    Scores are greater-is-better (scikit-learn scorers; `neg_*` for errors), the mean is
    `np.average` over folds like GridSearchCV, and a candidate with any failed fold gets a
    NaN mean, its first error, and the last rank.
    """
    by_fit = {(r["candidate"], r["fold"]): r for r in results}
    rows = []
    for index, candidate in enumerate(candidates):
        fits = [by_fit.get((index, fold)) for fold in range(n_folds)]
        errors = [
            f"fold {fold}: {fit['error']}" if fit else f"fold {fold}: no result (task crashed)"
            for fold, fit in enumerate(fits)
            if fit is None or fit["error"]
        ]
        scores = np.array([fit["score"] if fit else np.nan for fit in fits], dtype=float)
        fit_times = np.array([fit["fit_time"] if fit else np.nan for fit in fits], dtype=float)
        score_times = np.array([fit["score_time"] if fit else np.nan for fit in fits], dtype=float)
        iterations = [fit["best_iteration"] for fit in fits if fit and fit["best_iteration"]]
        row = {
            "candidate": candidate["name"],
            "family": candidate["family"],
            "params": dict(candidate["params"]),
        }
        for fold in range(n_folds):
            row[f"split{fold}_test_score"] = scores[fold]
        failed = bool(errors)
        row["mean_test_score"] = np.nan if failed else float(np.average(scores))
        row["std_test_score"] = np.nan if failed else float(np.std(scores))
        row["sem_test_score"] = (
            np.nan if failed else float(np.std(scores, ddof=1) / np.sqrt(n_folds))
        )
        row["mean_fit_time"] = (
            float(np.nanmean(fit_times)) if not np.isnan(fit_times).all() else np.nan
        )
        row["std_fit_time"] = (
            float(np.nanstd(fit_times)) if not np.isnan(fit_times).all() else np.nan
        )
        row["mean_score_time"] = (
            float(np.nanmean(score_times)) if not np.isnan(score_times).all() else np.nan
        )
        row["std_score_time"] = (
            float(np.nanstd(score_times)) if not np.isnan(score_times).all() else np.nan
        )
        row["mean_best_iteration"] = float(np.mean(iterations)) if iterations else np.nan
        row["error"] = "; ".join(errors) if failed else None
        rows.append(row)
    table = pd.DataFrame(rows)
    # Object dtype keeps None for "no error" (pandas 3 would infer strings and use NaN).
    table["error"] = pd.Series([row["error"] for row in rows], dtype=object)
    table["rank_test_score"] = rank(table["mean_test_score"].to_numpy())
    table = table.sort_values(["rank_test_score", "candidate"], kind="stable").reset_index(
        drop=True
    )
    return table


def rank(means):
    """GridSearchCV's ranking: 1 = highest mean, ties share the lower rank, NaN last."""
    means = np.asarray(means, dtype=float)
    if np.isnan(means).all():
        return np.ones(len(means), dtype=np.int32)
    filled = np.where(np.isnan(means), np.nanmin(means) - 1, means)
    # rankdata(-filled, method="min") without importing scipy.stats in the join step.
    return (1 + (filled[None, :] > filled[:, None]).sum(axis=1)).astype(np.int32)

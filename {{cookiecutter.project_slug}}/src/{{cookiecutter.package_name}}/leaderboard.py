"""The leaderboard: every candidate ranked on its mean fold score, failed ones last, and the winner.

Columns follow GridSearchCV's `cv_results_` (`params`, `split<k>_test_score`, `mean_test_score`,
`std_test_score`, `rank_test_score`, fit and score times), plus `candidate`, `family`,
`sem_test_score`, `mean_best_iteration` and `error`.
"""

from typing import Any

import numpy as np
import pandas as pd

from .evaluation import failed_fit

# The columns a reader needs first, in the card, summary.txt and the notebook.
SHOWN = [
    "rank_test_score",
    "candidate",
    "family",
    "mean_test_score",
    "sem_test_score",
    "std_test_score",
    "mean_fit_time",
    "mean_best_iteration",
    "params",
    "error",
]


class NoWinner(RuntimeError):
    """Every candidate failed; the message gives the first error."""


def collect(tasks: list[Any]) -> list[dict[str, Any]]:
    """The fit records of every fit task; a crashed task's fits fail with the task's error.

    `tasks` are the join's inputs: each has `fit_results`, or (when `@catch` kept the run
    going) `fit_error`, and `batch` or, when it died before setting it, its foreach `index`
    into `batches`.
    """
    results: list[dict[str, Any]] = []
    for task in tasks:
        found = getattr(task, "fit_results", None)
        if found is not None:
            results.extend({k: v for k, v in r.items() if k != "traceback"} for r in found)
            continue
        error = str(getattr(task, "fit_error", None) or "unknown error").strip().splitlines()
        message = f"task crashed: {error[0] if error else 'unknown error'}"
        batch = getattr(task, "batch", None)
        if batch is None and hasattr(task, "index"):
            batch = task.batches[task.index]
        for index, fold in batch or []:
            results.append({**failed_fit(message), "candidate": index, "fold": fold})
    return results


def rank(
    candidates: list[dict[str, Any]], results: list[dict[str, Any]], n_folds: int
) -> pd.DataFrame:
    """One row per candidate with GridSearchCV's cv_results_ keys, best first.

    Scores are greater-is-better (scikit-learn scorers; `neg_*` for errors), the mean is
    `np.average` over folds like GridSearchCV, and a candidate with any failed fold gets a
    NaN mean, its errors, and the last rank.
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

        def column(key: str, fits: list[Any] = fits) -> np.ndarray:
            return np.array([fit[key] if fit else np.nan for fit in fits], dtype=float)

        scores = column("score")
        iterations = [fit["best_iteration"] for fit in fits if fit and fit["best_iteration"]]
        row: dict[str, Any] = {
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
        for key in ("fit_time", "score_time"):
            values = column(key)
            known = not np.isnan(values).all()
            row[f"mean_{key}"] = float(np.nanmean(values)) if known else np.nan
            row[f"std_{key}"] = float(np.nanstd(values)) if known else np.nan
        row["mean_best_iteration"] = float(np.mean(iterations)) if iterations else np.nan
        row["error"] = "; ".join(errors) if failed else None
        rows.append(row)
    return order(pd.DataFrame(rows))


def order(table: pd.DataFrame) -> pd.DataFrame:
    """Rank the rows (GridSearchCV's rule) and sort them best first."""
    table = table.copy()
    # Object dtype keeps None for "no error" (pandas 3 infers strings and turns None into NaN).
    errors = [error if isinstance(error, str) else None for error in table["error"]]
    table["error"] = pd.Series(errors, dtype=object, index=table.index)
    table["rank_test_score"] = ranks(table["mean_test_score"].to_numpy())
    return table.sort_values(["rank_test_score", "candidate"], kind="stable").reset_index(drop=True)


def ranks(means: Any) -> np.ndarray:
    """GridSearchCV's ranking: 1 = highest mean, ties share the lower rank, NaN last."""
    means = np.asarray(means, dtype=float)
    if np.isnan(means).all():
        return np.ones(len(means), dtype=np.int32)
    filled = np.where(np.isnan(means), np.nanmin(means) - 1, means)
    # rankdata(-filled, method="min") without importing scipy.stats in the join step.
    return (1 + (filled[None, :] > filled[:, None]).sum(axis=1)).astype(np.int32)


def winner(table: pd.DataFrame) -> dict[str, Any]:
    """The best candidate as plain values; NoWinner when every candidate failed."""
    best = table.iloc[0]
    if isinstance(best["error"], str):
        first = str(best["error"]).split("; ")[0].split(": ", 1)[-1]
        raise NoWinner(f"every candidate failed ({len(table)}); first error: {first}")
    iteration = best["mean_best_iteration"]
    return {
        "candidate": best["candidate"],
        "family": best["family"],
        "params": dict(best["params"]),
        "cv_score": float(best["mean_test_score"]),
        "cv_sem": float(best["sem_test_score"]),
        "iterations": None if pd.isna(iteration) else round(float(iteration)),
    }


def failures(table: pd.DataFrame) -> list[str]:
    """One line per failed candidate."""
    failed = table[table["error"].notna()]
    return [f"{row.candidate}: {row.error}" for row in failed.itertuples()]

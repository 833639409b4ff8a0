"""Cross-validation fits: fit one candidate on a training fold and score the held-out fold, and
run a task's batch of such fits.

A batch shares work that GridSearchCV repeats for every candidate: each preprocessing kind is
fitted once per fold and its output reused by every candidate of that kind. The preprocessing
is deterministic, so every model sees exactly the arrays its own pipeline would produce and the
scores stay identical.
"""

import time
import traceback
from typing import Any

import numpy as np
import pandas as pd

from .models import best_iteration


def failed_fit(error: str | None = None) -> dict[str, Any]:
    """The record of a fit that did not happen: NaN score and times, and its error."""
    return {
        "score": float("nan"),
        "fit_time": float("nan"),
        "score_time": float("nan"),
        "best_iteration": None,
        "error": error,
    }


def describe(error: BaseException) -> str:
    """An exception as one line: its type and the first line of its message."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def fit_and_score(
    model: Any, X_train: Any, y_train: Any, X_test: Any, y_test: Any, scorer: Any
) -> dict[str, Any]:
    """Fit on the training fold, score the test fold; never raises.

    Returns `score`, `fit_time`, `score_time`, `best_iteration` and `error` (None on success;
    otherwise the exception in one line, the score NaN, and the `traceback`).
    """
    result = failed_fit()
    try:
        started = time.perf_counter()
        model.fit(X_train, y_train)
        result["fit_time"] = time.perf_counter() - started
        started = time.perf_counter()
        result["score"] = float(scorer(model, X_test, y_test))
        result["score_time"] = time.perf_counter() - started
        last = model.steps[-1][1] if hasattr(model, "steps") else model
        result["best_iteration"] = best_iteration(last)
    except Exception as error:  # noqa: BLE001 - one bad candidate must not sink its batch
        result["error"] = describe(error)
        result["traceback"] = traceback.format_exc()
    return result


def run_batch(
    config: dict[str, Any],
    candidates: list[dict[str, Any]],
    batch: list[tuple[int, int]],
    train: pd.DataFrame,
    folds: list[tuple[np.ndarray, np.ndarray]],
    schema: dict[str, Any],
    metric: str,
    seed: int,
    threads: int = 1,
) -> list[dict[str, Any]]:
    """Run the batch's (candidate index, fold) fits, `threads` threads each; one record per fit."""
    from sklearn.metrics import get_scorer
    from threadpoolctl import threadpool_limits

    from .pipelines import make_preprocessor
    from .search_space import make_estimator

    target = schema["target"]
    X, y = train.drop(columns=[target]), train[target]
    scorer = get_scorer(metric)
    contenders = config["contenders"]

    def kind(fit: tuple[int, int]) -> str:
        return contenders[candidates[fit[0]]["family"]]["preprocessing"]

    results = []
    shared: dict[str, Any] = {}  # preprocessing kind -> transformed fold (current fold only)
    current_fold = None
    with threadpool_limits(limits=threads):
        for index, fold in sorted(batch, key=lambda fit: (fit[1], kind(fit), fit[0])):
            if fold != current_fold:
                shared.clear()
                current_fold = fold
            candidate = candidates[index]
            contender = contenders[candidate["family"]]
            train_index, test_index = folds[fold]
            try:
                model = make_estimator(contender, seed).set_params(**candidate["params"])
                if kind((index, fold)) not in shared:
                    shared[kind((index, fold))] = _transform_fold(
                        make_preprocessor(kind((index, fold)), schema),
                        X,
                        y,
                        train_index,
                        test_index,
                    )
                transformed = shared[kind((index, fold))]
            except Exception as error:  # noqa: BLE001 - reported like a failed fit
                outcome = failed_fit(describe(error))
                outcome["traceback"] = traceback.format_exc()
            else:
                X_train, X_test = transformed
                outcome = fit_and_score(
                    model, X_train, y.iloc[train_index], X_test, y.iloc[test_index], scorer
                )
            outcome.update(candidate=index, fold=fold)
            results.append(outcome)
    return sorted(results, key=lambda result: (result["candidate"], result["fold"]))


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far, in MB: what `resources.fit.memory` covers."""
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, else KB


def _transform_fold(
    preprocessor: Any, X: pd.DataFrame, y: pd.Series, train_index: Any, test_index: Any
) -> tuple[Any, Any]:
    """Fit the preprocessor on the training fold; transform both sides, as a Pipeline would."""
    X_train = preprocessor.fit_transform(X.iloc[train_index], y.iloc[train_index])
    return X_train, preprocessor.transform(X.iloc[test_index])

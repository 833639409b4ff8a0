"""Cross-validation fits: fit one candidate on a training fold and score the held-out fold, and
run a task's batch of such fits on its cores.

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
    cores: int = 1,
) -> list[dict[str, Any]]:
    """Run the batch's (candidate index, fold) fits, `cores` side by side, one thread each;
    one record per fit, in (candidate, fold) order.

    Each core takes the next fit as soon as it finishes one, keeping to one preprocessed fold
    (a fold and a preprocessing kind) until its fits run out, then taking a fold no other core
    holds: each fold is preprocessed about once. Folds go in order, their fits costliest first,
    so the last fits to start are cheap ones and the cores finish together.
    """
    from sklearn.metrics import get_scorer
    from threadpoolctl import threadpool_limits

    from . import parallel
    from .pipelines import make_preprocessor
    from .search_space import make_estimator

    contenders, scorer = config["contenders"], get_scorer(metric)
    X, y = train.drop(columns=[schema["target"]]), train[schema["target"]]
    # (fold, preprocessing kind) -> transformed fold: the latest two, enough for a core that
    # keeps to one of them, bound the memory.
    held: dict[tuple[int, str], tuple[Any, Any]] = {}

    def shared(fit: tuple[int, int]) -> tuple[int, str]:
        return fit[1], contenders[candidates[fit[0]]["family"]]["preprocessing"]

    def transformed(fit: tuple[int, int]) -> tuple[Any, Any]:
        nonlocal held
        key = shared(fit)
        if key not in held:
            fold, kind = key
            fitted = _transform_fold(make_preprocessor(kind, schema), X, y, *folds[fold])
            held = {**dict(list(held.items())[-1:]), key: fitted}
        return held[key]

    def fit_one(fit: tuple[int, int]) -> dict[str, Any]:
        index, fold = fit
        train_index, test_index = folds[fold]
        try:
            model = make_estimator(contenders[candidates[index]["family"]], seed)
            model.set_params(**candidates[index]["params"])
            X_train, X_test = transformed(fit)
        except Exception as error:  # noqa: BLE001 - reported like a failed fit
            outcome = failed_fit(describe(error))
            outcome["traceback"] = traceback.format_exc()
        else:
            y_train, y_test = y.iloc[train_index], y.iloc[test_index]
            outcome = fit_and_score(model, X_train, y_train, X_test, y_test, scorer)
        outcome.update(candidate=index, fold=fold)
        return outcome

    ordered = sorted(batch, key=lambda fit: (shared(fit), -candidates[fit[0]]["cost"], fit[0]))
    with threadpool_limits(limits=1):  # the cores come from side-by-side fits, not threads
        results = parallel.map_items(fit_one, ordered, cores, group=shared)
    return sorted(results, key=lambda result: (result["candidate"], result["fold"]))


def peak_memory_mb() -> float:
    """Peak resident memory so far of the largest of this process and the children it waited
    for (its side-by-side fits), in MB: what `resources.fit.memory` must cover per core."""
    import resource
    import sys

    peak = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, else KB


def _transform_fold(
    preprocessor: Any, X: pd.DataFrame, y: pd.Series, train_index: Any, test_index: Any
) -> tuple[Any, Any]:
    """Fit the preprocessor on the training fold; transform both sides, as a Pipeline would."""
    X_train = preprocessor.fit_transform(X.iloc[train_index], y.iloc[train_index])
    return X_train, preprocessor.transform(X.iloc[test_index])

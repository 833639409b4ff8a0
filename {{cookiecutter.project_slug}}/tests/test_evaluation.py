"""Cross-validation fits: a batch that shares each fold's preprocessing scores exactly like one
scikit-learn Pipeline per candidate, and a failing fit never sinks its batch."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from references import messy_preprocessor, messy_schema
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import get_scorer
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from tables import MESSY_IGNORED, TARGET, messy
from threadpoolctl import threadpool_limits

from {{ cookiecutter.package_name }}.evaluation import (
    describe,
    failed_fit,
    fit_and_score,
    peak_memory_mb,
    run_batch,
)
from {{ cookiecutter.package_name }}.models.lightgbm import LightGBMClassifier, LightGBMRegressor
from {{ cookiecutter.package_name }}.models.mlp import MLPClassifier, MLPRegressor
from {{ cookiecutter.package_name }}.parallel import run

LIGHTGBM = {"n_estimators": 60, "early_stopping_rounds": 5, "min_child_samples": 10}
MLP = {"hidden_layer_sizes": [8], "max_iter": 40, "early_stopping": True, "n_iter_no_change": 4}
# Per problem: family -> (estimator class, preprocessing, fixed params, searched values).
FAMILIES = {
    "regression": {
        "linear": (Ridge, "scaled", {}, [{"alpha": 0.1}, {"alpha": 10.0}]),
        "lightgbm": (LightGBMRegressor, "ordinal", LIGHTGBM, [{"learning_rate": 0.1}]),
        "mlp": (MLPRegressor, "scaled", MLP, [{"alpha": 1e-4}, {"alpha": 1e-2}]),
    },
    "classification": {
        "linear": (LogisticRegression, "scaled", {"max_iter": 500}, [{"C": 0.1}, {"C": 10.0}]),
        "lightgbm": (LightGBMClassifier, "ordinal", LIGHTGBM, [{"learning_rate": 0.1}]),
        "mlp": (MLPClassifier, "scaled", MLP, [{"alpha": 1e-4}, {"alpha": 1e-2}]),
    },
}
METRIC = {"regression": "neg_mean_absolute_error", "classification": "neg_log_loss"}


def tournament(problem):
    """A config and candidates for `run_batch`, from the literal FAMILIES."""
    contenders, candidates = {}, []
    for family, (kind, preprocessing, params, searched) in FAMILIES[problem].items():
        contenders[family] = {
            "estimator": f"{kind.__module__}.{kind.__name__}",
            "preprocessing": preprocessing,
            "params": params,
        }
        for index, values in enumerate(searched):
            name = f"{family}-{index}"
            candidates.append({"name": name, "family": family, "params": values, "cost": 1.0})
    return {"contenders": contenders}, candidates


def reference_scores(problem, candidates, train, seed):
    """Each candidate on each fold: a fresh Pipeline of the spelled-out preprocessing and the
    model built from literal settings, fitted and scored as GridSearchCV would (one BLAS
    thread, as the tournament's fits run)."""
    kind = StratifiedKFold if problem == "classification" else KFold
    folds = list(kind(3, shuffle=True, random_state=seed).split(train, train[TARGET]))
    X, y = train.drop(columns=[TARGET]), train[TARGET]
    scorer = get_scorer(METRIC[problem])
    scores = {}
    with threadpool_limits(limits=1):
        for index, candidate in enumerate(candidates):
            estimator, preprocessing, params, _ = FAMILIES[problem][candidate["family"]]
            for fold, (train_index, test_index) in enumerate(folds):
                model = estimator(**params, **candidate["params"], random_state=seed)
                pipeline = Pipeline(
                    [("preprocess", messy_preprocessor(preprocessing)), ("model", model)]
                )
                pipeline.fit(X.iloc[train_index], y.iloc[train_index])
                scores[index, fold] = (
                    scorer(pipeline, X.iloc[test_index], y.iloc[test_index]),
                    getattr(model, "best_iteration_", None),
                )
    return scores


@pytest.mark.parametrize("cores", [1, 2])
@pytest.mark.parametrize("problem", ["regression", "classification"])
def test_shared_preprocessing_scores_like_one_pipeline_per_candidate(problem, cores):
    seed = 5
    # String labels (classification), missing numbers and categories, a boolean and dates.
    train = messy(problem, n_rows=240, seed=1).drop(columns=MESSY_IGNORED)
    config, candidates = tournament(problem)
    splitter = (StratifiedKFold if problem == "classification" else KFold)(
        3, shuffle=True, random_state=seed
    )
    folds = list(splitter.split(train.drop(columns=[TARGET]), train[TARGET]))
    # Every fit of every candidate in one batch, so candidates share each fold's preprocessing,
    # on one core or on two that take the fits in turn.
    batch = [(index, fold) for index in range(len(candidates)) for fold in range(3)]
    results = run_batch(
        config, candidates, batch[::-1], train, folds, messy_schema(), METRIC[problem], seed,
        cores,
    )  # fmt: skip
    assert [(r["candidate"], r["fold"]) for r in results] == batch
    assert [r["error"] for r in results] == [None] * len(batch)
    expected = reference_scores(problem, candidates, train, seed)
    found = {(r["candidate"], r["fold"]): (r["score"], r["best_iteration"]) for r in results}
    assert found == expected  # exactly: max |difference| = 0


class Recorder(RegressorMixin, BaseEstimator):
    """Remembers the rows it was fitted on."""

    seen = []

    def fit(self, X, y):
        Recorder.seen.append(np.asarray(X).copy())
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)


def test_fit_and_score_fits_the_training_fold_and_scores_the_other():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(30, 2)), rng.normal(size=30)
    Recorder.seen.clear()
    result = fit_and_score(Recorder(), X[:20], y[:20], X[20:], y[20:], get_scorer("r2"))
    np.testing.assert_array_equal(Recorder.seen[0], X[:20])
    # A constant prediction of the training mean, scored by hand.
    residual = ((y[20:] - y[:20].mean()) ** 2).sum()
    assert result["score"] == pytest.approx(1 - residual / ((y[20:] - y[20:].mean()) ** 2).sum())
    assert result["error"] is None
    assert result["best_iteration"] is None
    assert result["fit_time"] >= 0
    assert result["score_time"] >= 0


def test_fit_and_score_turns_an_error_into_a_record():
    X, y = np.ones((10, 1)), np.arange(10.0)
    result = fit_and_score(Ridge(alpha=-1.0), X, y, X, y, get_scorer("r2"))
    assert np.isnan(result["score"])
    assert result["error"].startswith("InvalidParameterError: The 'alpha' parameter")
    assert "\n" not in result["error"]
    assert "Traceback" in result["traceback"]


def test_describe_and_failed_fit():
    assert describe(ValueError("first line\nsecond")) == "ValueError: first line"
    assert describe(KeyError()) == "KeyError"
    record = failed_fit("boom")
    assert np.isnan(record["score"])
    assert record["error"] == "boom"
    assert record["best_iteration"] is None


def test_a_failing_candidate_does_not_sink_its_batch():
    train = messy("regression", n_rows=90, seed=0).drop(columns=MESSY_IGNORED)
    config = {
        "contenders": {
            "ridge": {"estimator": "sklearn.linear_model.Ridge", "preprocessing": "scaled"}
        }
    }
    candidates = [
        {"name": "ridge-0", "family": "ridge", "params": {"alpha": 1.0}, "cost": 1.0},
        {"name": "ridge-1", "family": "ridge", "params": {"alpha": -1.0}, "cost": 1.0},
        {"name": "ridge-2", "family": "ridge", "params": {"alhpa": 1.0}, "cost": 1.0},
    ]
    folds = list(KFold(3, shuffle=True, random_state=0).split(train))
    batch = [(c, f) for c in range(3) for f in range(3)]
    results = run_batch(config, candidates, batch, train, folds, messy_schema(), "r2", seed=0)
    by_candidate = {c: [r for r in results if r["candidate"] == c] for c in range(3)}
    assert all(r["error"] is None and np.isfinite(r["score"]) for r in by_candidate[0])
    assert all(r["error"].startswith("InvalidParameterError") for r in by_candidate[1])
    assert all("alhpa" in r["error"] for r in by_candidate[2])
    assert all("traceback" in r for r in by_candidate[2])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's /proc")
def test_peak_memory_covers_this_process_high_water_mark():
    status = Path("/proc/self/status").read_text().splitlines()
    high_water = next(line for line in status if line.startswith("VmHWM:"))
    high_water_mb = int(high_water.split()[1]) / 1024  # kB, read independently
    assert peak_memory_mb() >= high_water_mb * 0.99


def test_peak_memory_covers_a_side_by_side_fit():
    # A fit in a forked child that holds 1.5 GB, far more than this process ever did.
    def hold():
        return float(np.ones(1536 * 2**20 // 8).sum())

    run([hold, lambda: 0.0], workers=2)
    assert peak_memory_mb() >= 1536


def test_run_batch_keeps_the_training_frame_untouched():
    train = messy("classification", n_rows=90, seed=0).drop(columns=MESSY_IGNORED)
    before = train.copy()
    config, candidates = tournament("classification")
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(train, train[TARGET]))
    run_batch(config, candidates[:1], [(0, 0)], train, folds, messy_schema(), "accuracy", 0)
    pd.testing.assert_frame_equal(train, before)

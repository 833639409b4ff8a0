"""Refit the winner: on the training split (scored once on the held-out split) and, side by
side, on every row (the model to deploy). Both train for the winner's mean CV best iteration
count with early stopping off, so they train the same model on different rows."""

from dataclasses import dataclass
from typing import Any

import pandas as pd

from . import parallel
from .predictions import predict


@dataclass(frozen=True)
class Refit:
    """The refits' outcome: the deployable model and the held-out evidence."""

    model: Any
    holdout_model: Any  # fitted on the training split only: the model behind test_score
    test_score: float
    test_predictions: pd.DataFrame


def winner_pipeline(
    config: dict[str, Any],
    winner: dict[str, Any],
    candidates: list[dict[str, Any]],
    schema: dict[str, Any],
    seed: int,
    threads: int,
) -> Any:
    """An unfitted pipeline of the winner: a candidate's, or the stacking ensemble's."""
    if winner["family"] == "ensemble":
        from .ensemble import build

        return build(config, winner["params"]["members"], candidates, schema, seed)
    from .pipelines import refit_pipeline

    contender = config["contenders"][winner["family"]]
    return refit_pipeline(contender, schema, seed, winner["params"], winner["iterations"], threads)


def refit(
    config: dict[str, Any],
    winner: dict[str, Any],
    candidates: list[dict[str, Any]],
    schema: dict[str, Any],
    train: pd.DataFrame,
    test: pd.DataFrame,
    metric: str,
    seed: int,
    cores: int,
) -> Refit:
    """Fit the winner on `train` and on `train` + `test` side by side, `cores` cores in all."""
    from sklearn.metrics import get_scorer
    from threadpoolctl import threadpool_limits

    target = schema["target"]
    threads = max(1, cores // 2)
    everything = pd.concat([train, test], ignore_index=True)

    def fit(rows: pd.DataFrame) -> Any:
        pipeline = winner_pipeline(config, winner, candidates, schema, seed, threads)
        with threadpool_limits(limits=threads):
            return pipeline.fit(rows.drop(columns=[target]), rows[target])

    def held_out() -> tuple[Any, float, pd.DataFrame]:
        model = fit(train)
        X, y = test.drop(columns=[target]), test[target]
        return model, float(get_scorer(metric)(model, X, y)), predict(model, X, actual=y)

    model, (holdout_model, score, predictions) = parallel.run(
        [lambda: fit(everything), held_out], workers=min(2, cores)
    )
    return Refit(model, holdout_model, test_score=score, test_predictions=predictions)

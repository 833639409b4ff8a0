"""Search-space expansion and batch planning."""

import pytest
from sklearn.model_selection import ParameterGrid

from {{ cookiecutter.package_name }}.contenders import (
    batch_costs,
    build_pipeline,
    expand,
    plan_batches,
    to_distribution,
)

GRID = {
    "estimator": "sklearn.linear_model.Ridge",
    "grid": {"alpha": [0.1, 1.0, 10.0], "fit_intercept": [True, False]},
}
RANDOM = {
    "estimator": "sklearn.linear_model.Ridge",
    "n_iter": 5,
    "cost": 3.0,
    "distributions": {
        "alpha": {"dist": "loguniform", "low": 1e-3, "high": 1e3},
        "fit_intercept": [True, False],
    },
}


def test_grid_expands_in_parameter_grid_order():
    candidates = expand({"ridge": GRID}, seed=0)
    assert [c["params"] for c in candidates] == list(ParameterGrid(GRID["grid"]))
    assert [c["name"] for c in candidates] == [f"ridge-{i}" for i in range(6)]
    assert {c["family"] for c in candidates} == {"ridge"}


def test_random_search_draws_n_iter_deterministically():
    first = expand({"ridge": RANDOM}, seed=3)
    assert len(first) == 5
    assert first == expand({"ridge": RANDOM}, seed=3)
    assert first != expand({"ridge": RANDOM}, seed=4)
    for candidate in first:
        assert 1e-3 <= candidate["params"]["alpha"] <= 1e3
        assert type(candidate["params"]["alpha"]) is float
        assert candidate["cost"] == 3.0


def test_families_are_concatenated():
    candidates = expand({"a": GRID, "b": RANDOM}, seed=0)
    assert len(candidates) == 6 + 5
    assert [c["family"] for c in candidates] == ["a"] * 6 + ["b"] * 5


@pytest.mark.parametrize(
    ("spec", "low", "high"),
    [
        ({"dist": "uniform", "low": 2.0, "high": 5.0}, 2.0, 5.0),
        ({"dist": "loguniform", "low": 1e-4, "high": 1e-1}, 1e-4, 1e-1),
        ({"dist": "randint", "low": 3, "high": 9}, 3, 8),
    ],
)
def test_distributions_map_to_scipy(spec, low, high):
    draws = to_distribution(spec).rvs(size=200, random_state=0)
    assert draws.min() >= low
    assert draws.max() <= high


def test_pipeline_has_preprocess_and_model_steps():
    pipeline = build_pipeline(GRID, ["x0"], ["category"], seed=0, params={"alpha": 5.0})
    assert list(pipeline.named_steps) == ["preprocess", "model"]
    assert pipeline.named_steps["model"].alpha == 5.0


def _candidates(costs):
    return [{"name": f"c{i}", "family": "f", "params": {}, "cost": c} for i, c in enumerate(costs)]


@pytest.mark.parametrize("fits_per_task", [1, 4, 7])
def test_fixed_size_batches_cover_every_fit_once(fits_per_task):
    candidates = _candidates([1.0] * 6)
    batches = plan_batches(candidates, n_folds=5, fits_per_task=fits_per_task, workers=2)
    fits = [fit for batch in batches for fit in batch]
    assert sorted(fits) == [(c, f) for c in range(6) for f in range(5)]
    assert all(len(batch) <= fits_per_task for batch in batches)
    assert len(batches) == -(-30 // fits_per_task)


def test_auto_batches_are_balanced_by_cost():
    candidates = _candidates([10.0, 10.0, 1.0, 1.0, 1.0, 0.1, 0.1, 4.0])
    batches = plan_batches(candidates, n_folds=5, fits_per_task=0, workers=2)
    assert len(batches) == 2
    fits = sorted(fit for batch in batches for fit in batch)
    assert fits == [(c, f) for c in range(8) for f in range(5)]
    costs = batch_costs(candidates, batches)
    assert max(costs) - min(costs) <= 1.0  # LPT: within one of the smaller fits
    # Alternating candidates would give 10+1+0.1+... vs 10+1+1+4: clearly worse.
    assert max(costs) / min(costs) < 1.02


@pytest.mark.parametrize("workers", [2, 3])
def test_auto_batches_spread_every_parameter_value_evenly(workers):
    # One family, so equal expected costs: only the parameter values tell the candidates
    # apart. A value that makes fits slow (more leaves, a bigger net) must not pile up in
    # one shard through the odd folds, as a plain alternation over ParameterGrid order does.
    grid = {"learning_rate": [0.05, 0.1], "num_leaves": [15, 63], "max_depth": [3, 6]}
    candidates = expand({"lgbm": {"estimator": "x.Y", "grid": grid}}, seed=0)
    batches = plan_batches(candidates, n_folds=5, fits_per_task=0, workers=workers)
    assert len(batches) == workers
    for key, values in grid.items():
        for value in values:
            held = [sum(candidates[c]["params"][key] == value for c, _ in b) for b in batches]
            assert max(held) - min(held) <= 1, (key, value, held)


def test_auto_batches_never_exceed_the_fit_count():
    batches = plan_batches(_candidates([1.0]), n_folds=2, fits_per_task=0, workers=8)
    assert len(batches) == 2

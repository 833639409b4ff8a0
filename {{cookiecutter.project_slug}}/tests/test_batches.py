"""Batches: every (candidate, fold) fit lands in exactly one task, and the shards balance."""

import pytest

from {{ cookiecutter.package_name }}.batches import costs, describe, plan, shard
from {{ cookiecutter.package_name }}.config import ConfigError
from {{ cookiecutter.package_name }}.search_space import expand


def candidates_costing(*costs):
    return [{"name": f"c{i}", "family": "f", "params": {}, "cost": c} for i, c in enumerate(costs)]


@pytest.mark.parametrize("fits_per_task", [1, 4, 7])
def test_fixed_size_batches_are_consecutive_chunks(fits_per_task):
    batches = shard(
        candidates_costing(*[1.0] * 6), n_folds=5, fits_per_task=fits_per_task, workers=2
    )
    every_fit = [(c, f) for c in range(6) for f in range(5)]
    assert batches == [
        every_fit[i : i + fits_per_task] for i in range(0, len(every_fit), fits_per_task)
    ]
    assert len(batches) == -(-30 // fits_per_task)


def test_auto_batches_follow_longest_processing_time_first():
    # Worked by hand, one fold, two workers: 3 -> A; 2 -> B; 2 -> B (2 < 3); 1 -> A (3 < 4).
    batches = shard(candidates_costing(3.0, 2.0, 2.0, 1.0), n_folds=1, fits_per_task=0, workers=2)
    assert batches == [[(0, 0), (3, 0)], [(1, 0), (2, 0)]]
    assert costs(candidates_costing(3.0, 2.0, 2.0, 1.0), batches) == [4.0, 4.0]


def test_auto_batches_are_balanced_by_cost():
    candidates = candidates_costing(10.0, 10.0, 1.0, 1.0, 1.0, 0.1, 0.1, 4.0)
    batches = shard(candidates, n_folds=5, fits_per_task=0, workers=2)
    assert len(batches) == 2
    assert sorted(fit for batch in batches for fit in batch) == [
        (c, f) for c in range(8) for f in range(5)
    ]
    # Worked by hand: the 10s split 50 / 50, the 4s leave 62 / 58, the 1s 68 / 67, and
    # ten 0.1s fill the lighter shard to 68: 136 in two equal halves.
    assert costs(candidates, batches) == pytest.approx([68.0, 68.0])


@pytest.mark.parametrize("workers", [2, 3])
def test_auto_batches_spread_every_parameter_value_evenly(workers):
    # One family, so equal expected costs: only the parameter values tell the candidates
    # apart. A value that makes fits slow (more leaves, a bigger net) must not pile up in
    # one shard, as a plain alternation over ParameterGrid order does.
    grid = {"learning_rate": [0.05, 0.1], "num_leaves": [15, 63], "max_depth": [3, 6]}
    candidates = expand({"lgbm": {"estimator": "x.Y", "grid": grid}}, seed=0)
    batches = shard(candidates, n_folds=5, fits_per_task=0, workers=workers)
    assert len(batches) == workers
    for key, values in grid.items():
        for value in values:
            held = [sum(candidates[c]["params"][key] == value for c, _ in b) for b in batches]
            assert max(held) - min(held) <= 1, (key, value, held)


def test_auto_batches_never_outnumber_the_fits():
    assert shard(candidates_costing(1.0), n_folds=2, fits_per_task=0, workers=8) == [
        [(0, 0)],
        [(0, 1)],
    ]


def config(workers=0, n_folds=3, cores_per_task=1):
    return {
        "source": "configs/mine.toml",
        "run": {"workers": workers},
        "data": {"n_folds": n_folds},
        "resources": {"fit": {"cpu": cores_per_task}},
    }


def test_plan_uses_the_configured_workers_and_folds():
    batches = plan(candidates_costing(1.0, 1.0, 1.0), config(workers=3, n_folds=2), 0)
    assert len(batches) == 3
    assert sorted(fit for batch in batches for fit in batch) == [
        (c, f) for c in range(3) for f in range(2)
    ]


def test_plan_with_zero_workers_uses_every_core(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 5)
    assert len(plan(candidates_costing(*[1.0] * 4), config(workers=0), 0)) == 5
    # Fit tasks of two cores each: two fill five cores (the fifth would have one core).
    assert len(plan(candidates_costing(*[1.0] * 4), config(cores_per_task=2), 0)) == 2
    # A task wider than the machine: still one.
    assert len(plan(candidates_costing(*[1.0] * 4), config(cores_per_task=8), 0)) == 1


def test_plan_refuses_a_negative_fits_per_task():
    with pytest.raises(ConfigError, match=r"^configs/mine\.toml: --fits_per_task: must be 0"):
        plan(candidates_costing(1.0), config(), -1)


def test_describe_is_one_line_with_the_expected_costs():
    candidates = candidates_costing(3.0, 2.0, 2.0, 1.0)
    batches = shard(candidates, n_folds=1, fits_per_task=0, workers=2)
    assert describe(candidates, batches) == (
        "4 candidates, 4 fits in 2 tasks (expected cost per task: 4.0, 4.0)"
    )
    many = shard(candidates_costing(*[1.0] * 10), n_folds=1, fits_per_task=1, workers=1)
    assert describe(candidates_costing(*[1.0] * 10), many).endswith(
        "(expected cost per task: 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0 ...)"
    )

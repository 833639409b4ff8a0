"""The search space: candidates from grids and random draws, and the estimators they configure."""

import numpy as np
import pytest
from scipy import stats
from sklearn.model_selection import ParameterGrid, ParameterSampler

from {{ cookiecutter.package_name }}.config import ConfigError, check
from {{ cookiecutter.package_name }}.search_space import (
    expand,
    import_object,
    make_estimator,
    parameter_sets,
    to_distribution,
    validate,
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
    # ParameterGrid sorts the keys; the values vary fastest in the last key.
    assert [c["params"] for c in candidates] == [
        {"alpha": 0.1, "fit_intercept": True},
        {"alpha": 0.1, "fit_intercept": False},
        {"alpha": 1.0, "fit_intercept": True},
        {"alpha": 1.0, "fit_intercept": False},
        {"alpha": 10.0, "fit_intercept": True},
        {"alpha": 10.0, "fit_intercept": False},
    ]
    assert [c["params"] for c in candidates] == list(ParameterGrid(GRID["grid"]))
    assert [c["name"] for c in candidates] == [f"ridge-{i}" for i in range(6)]
    assert {c["family"] for c in candidates} == {"ridge"}
    assert {c["cost"] for c in candidates} == {1.0}


def test_random_search_draws_what_parameter_sampler_draws_from_literal_distributions():
    reference = ParameterSampler(
        {"alpha": stats.loguniform(1e-3, 1e3), "fit_intercept": [True, False]},
        n_iter=5,
        random_state=3,
    )
    candidates = expand({"ridge": RANDOM}, seed=3)
    assert [c["params"] for c in candidates] == list(reference)
    assert candidates != expand({"ridge": RANDOM}, seed=4)
    for candidate in candidates:
        assert type(candidate["params"]["alpha"]) is float
        assert type(candidate["params"]["fit_intercept"]) is bool
        assert candidate["cost"] == 3.0


def test_families_are_concatenated_in_config_order():
    candidates = expand({"b": RANDOM, "a": GRID}, seed=0)
    assert [c["family"] for c in candidates] == ["b"] * 5 + ["a"] * 6
    assert [c["name"] for c in candidates][4:7] == ["b-4", "a-0", "a-1"]


def draws(spec, size=4000):
    """`size` values the random search would draw for one parameter."""
    contender = {"n_iter": size, "distributions": {"p": spec}}
    return np.array([params["p"] for params in parameter_sets(contender, seed=11)])


def test_loguniform_draws_are_uniform_in_log_space():
    values = draws({"dist": "loguniform", "low": 1e-4, "high": 1e-1})
    logs = np.log10(values)
    # Uniform on [-4, -1] in log10: the literal bounds, not the package's distribution.
    assert stats.kstest(logs, stats.uniform(-4, 3).cdf).pvalue > 1e-3
    # ... and far from uniform on the raw scale: a uniform/loguniform mix-up fails here.
    assert stats.kstest(values, stats.uniform(1e-4, 1e-1 - 1e-4).cdf).pvalue < 1e-6


def test_uniform_draws_are_uniform_between_the_bounds():
    values = draws({"dist": "uniform", "low": 2.0, "high": 5.0})
    assert stats.kstest(values, stats.uniform(2.0, 3.0).cdf).pvalue > 1e-3
    assert stats.kstest(np.log(values), stats.uniform(np.log(2), np.log(2.5)).cdf).pvalue < 1e-6


def test_randint_draws_every_integer_from_low_to_high_excluded():
    values = draws({"dist": "randint", "low": 3, "high": 9})
    assert all(type(value) is int for value in values.tolist())
    counts = np.bincount(values, minlength=10)
    assert counts[:3].sum() == counts[9:].sum() == 0
    assert stats.chisquare(counts[3:9]).pvalue > 1e-3


def test_normal_draws_have_the_mean_and_spread_given():
    values = draws({"dist": "normal", "mean": 0.3, "std": 0.05})
    assert stats.kstest(values, stats.norm(0.3, 0.05).cdf).pvalue > 1e-3
    assert stats.kstest(values, stats.norm(0.3, 0.5).cdf).pvalue < 1e-6


def test_a_list_is_a_choice_of_values():
    contender = {
        "n_iter": 200,
        "distributions": {
            "layers": [[16], [32, 16]],
            "alpha": {"dist": "uniform", "low": 0, "high": 1},
        },
    }
    values = [params["layers"] for params in parameter_sets(contender, seed=0)]
    assert {tuple(value) for value in values} == {(16,), (32, 16)}
    assert to_distribution(["a", "b"]) == ["a", "b"]


def test_make_estimator_seeds_what_takes_a_seed():
    from sklearn.linear_model import Ridge
    from sklearn.neighbors import KNeighborsRegressor

    model = make_estimator({"estimator": "sklearn.linear_model.Ridge", "params": {}}, seed=5)
    assert type(model) is Ridge
    assert model.random_state == 5
    given = {"estimator": "sklearn.linear_model.Ridge", "params": {"random_state": 1}}
    assert make_estimator(given, seed=5).random_state == 1
    knn = make_estimator(
        {"estimator": "sklearn.neighbors.KNeighborsRegressor", "params": {"n_neighbors": 3}}, 5
    )
    assert type(knn) is KNeighborsRegressor
    assert knn.n_neighbors == 3


def test_import_object_needs_a_dotted_path():
    assert import_object("sklearn.linear_model.Ridge").__name__ == "Ridge"
    with pytest.raises(ImportError, match="dotted path"):
        import_object("Ridge")


def literal_config(problem, contenders, metric="auto"):
    return check(
        {
            "run": {"seed": 0, "fits_per_task": 0},
            "data": {"problem": problem, "target": "y", "test_size": 0.25, "n_folds": 3},
            "search": {"metric": metric},
            "resources": {
                "fit": {"cpu": 1, "memory": 1024, "retries": 0},
                "refit": {"cpu": 1, "memory": 1024},
            },
            "contenders": contenders,
        },
        "configs/mine.toml",
    )


@pytest.mark.parametrize(
    ("problem", "estimator", "words"),
    [
        ("classification", "sklearn.linear_model.Ridge", "Ridge does not do classification"),
        ("regression", "sklearn.linear_model.LogisticRegression", "does not do regression"),
        ("regression", "sklearn.preprocessing.StandardScaler", "does not do regression"),
        ("regression", "math.sqrt", "is not a scikit-learn estimator class"),
    ],
)
def test_validate_refuses_an_estimator_that_does_not_fit_the_problem(problem, estimator, words):
    config = literal_config(problem, {"x": {"estimator": estimator, "grid": {}}})
    with pytest.raises(ConfigError) as caught:
        validate(config)
    assert str(caught.value).startswith("configs/mine.toml: contenders.x.estimator: ")
    assert words in str(caught.value)


def test_validate_refuses_a_search_space_that_cannot_expand():
    contender = {
        "estimator": "sklearn.linear_model.Ridge",
        "n_iter": 2,
        "distributions": {"alpha": {"dist": "randint", "low": 1.5, "high": 1.7}},
    }
    config = literal_config("regression", {"x": contender})
    with pytest.raises(ConfigError, match=r"^configs/mine\.toml: contenders\.x: cannot expand"):
        validate(config)


def test_validate_accepts_the_package_models():
    from {{ cookiecutter.package_name }}.models import lightgbm, mlp

    for problem, kinds in (
        ("regression", (lightgbm.LightGBMRegressor, mlp.MLPRegressor)),
        ("classification", (lightgbm.LightGBMClassifier, mlp.MLPClassifier)),
    ):
        contenders = {
            kind.__name__.lower(): {"estimator": f"{kind.__module__}.{kind.__name__}", "grid": {}}
            for kind in kinds
        }
        validate(literal_config(problem, contenders))

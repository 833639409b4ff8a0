"""Configuration files: the shipped ones load; every mistake is one line naming key and file."""

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.config import ConfigError, check, load, parse_text
from {{ cookiecutter.package_name }}.search_space import expand, validate

PROJECT = Path(__file__).resolve().parents[1]
CONFIGS = PROJECT / "configs"
SOURCE = "configs/mine.toml"


def minimal():
    """The smallest valid config, written out."""
    return {
        "run": {"seed": 0, "fits_per_task": 0},
        "data": {"problem": "regression", "target": "y", "test_size": 0.25, "n_folds": 3},
        "resources": {
            "fit": {"cpu": 1, "memory": 1024, "retries": 0},
            "refit": {"cpu": 1, "memory": 1024},
        },
        "contenders": {"ridge": {"estimator": "sklearn.linear_model.Ridge", "grid": {}}},
    }


@pytest.mark.parametrize("name", ["smoke", "default", "full"])
def test_shipped_configs_are_valid(name):
    config = load(CONFIGS / f"{name}.toml")
    validate(config)
    assert config["source"] == str(CONFIGS / f"{name}.toml")
    assert config["search"]["metric"] == "auto"
    assert expand(config["contenders"], config["run"]["seed"])


def test_full_config_is_cluster_sized():
    config = load(CONFIGS / "full.toml")
    candidates = expand(config["contenders"], config["run"]["seed"])
    assert config["run"]["fits_per_task"] == 1
    assert len(candidates) * config["data"]["n_folds"] >= 500


def test_optional_keys_get_their_documented_defaults():
    config = check(minimal(), SOURCE)
    assert config["source"] == SOURCE
    assert config["run"]["workers"] == 0
    assert config["data"]["missing_target"] == "drop"
    assert config["data"]["categorical"] == []
    assert config["data"]["max_categories"] == 30
    assert config["data"]["mock"] == {}
    assert config["search"] == {"metric": "auto", "max_plot_candidates": 30}
    assert config["promotion"] == {"min_improvement": 0.0}
    assert config["contenders"]["ridge"] == {
        "estimator": "sklearn.linear_model.Ridge",
        "grid": {},
        "preprocessing": "scaled",
        "cost": 1.0,
        "params": {},
    }
    # No [ensemble] table, no ensemble; an empty one takes the defaults.
    assert "ensemble" not in config
    with_ensemble = check({**minimal(), "ensemble": {}}, SOURCE)
    assert with_ensemble["ensemble"] == {"top_k": 3, "inner_folds": 3}


def test_check_leaves_its_input_alone():
    given = minimal()
    before = copy.deepcopy(given)
    check(given, SOURCE)
    assert given == before


def test_json_text_is_accepted():
    config = check(minimal(), SOURCE)
    config.pop("source")
    assert parse_text(json.dumps(config)) == config


def test_a_syntax_error_is_one_line():
    with pytest.raises(ConfigError) as caught:
        parse_text("[run]\nseed = = 1\n", SOURCE)
    assert str(caught.value).startswith(f"{SOURCE}: (syntax): ")
    assert "\n" not in str(caught.value)


def broken(path, value):
    config = minimal()
    *parents, last = path
    table = config
    for key in parents:
        table = table.setdefault(key, {})
    if value is None:
        del table[last]
    else:
        table[last] = value
    return config


@pytest.mark.parametrize(
    ("path", "value", "key", "words"),
    [
        (["colour"], "blue", "colour", "unknown key"),
        (["search", "metrik"], "r2", "search.metrik", "unknown key"),
        (["data", "mock", "n_rows"], 10, "data.mock.n_rows", "unknown key"),
        (["data", "task"], "regression", "data.task", "unknown key"),
        (["data", "n_folds"], 1, "data.n_folds", "at least 2"),
        (["data", "n_folds"], "5", "data.n_folds", "must be an integer"),
        (["data", "n_folds"], True, "data.n_folds", "must be an integer"),
        (["data", "problem"], "ranking", "data.problem", "regression, classification"),
        (["data", "test_size"], 1.0, "data.test_size", "between 0 and 1"),
        (["data", "missing_target"], "keep", "data.missing_target", "drop, refuse"),
        (["data", "categorical"], [1], "data.categorical", "column names"),
        (["data", "categorical"], "region", "data.categorical", "must be a list"),
        (["data", "max_categories"], 1, "data.max_categories", "at least 2"),
        (["data", "mock", "n_classes"], 1, "data.mock.n_classes", "at least 2"),
        (["run", "seed"], None, "run.seed", "is required"),
        (["run", "fits_per_task"], -1, "run.fits_per_task", "0 (auto) or positive"),
        (["run", "workers"], -2, "run.workers", "0 (auto) or positive"),
        (["resources", "fit", "gpu"], 1, "resources.fit.gpu", "unknown key"),
        (["resources", "refit"], None, "resources.refit", "is required"),
        (["ensemble", "top_k"], 1, "ensemble.top_k", "at least 2"),
        (["ensemble", "inner_folds"], 1, "ensemble.inner_folds", "at least 2"),
        (["promotion", "min_improvement"], "a lot", "promotion.min_improvement", "a number"),
        (["contenders"], {}, "contenders", "at least one"),
    ],
)
def test_structure_errors_name_key_and_file(path, value, key, words):
    with pytest.raises(ConfigError) as caught:
        check(broken(path, value), SOURCE)
    message = str(caught.value)
    assert message.startswith(f"{SOURCE}: {key}: ")
    assert words in message
    assert "\n" not in message


def with_contender(**fields):
    config = minimal()
    config["contenders"]["x"] = {"estimator": "sklearn.linear_model.Ridge", **fields}
    return config


@pytest.mark.parametrize(
    ("fields", "key", "words"),
    [
        ({"grid": {"alpha": [1.0]}, "n_iter": 3}, "contenders.x", "not both"),
        ({}, "contenders.x", "either `grid` or `distributions`"),
        ({"grid": {"alpha": [1.0]}, "cost": -1.0}, "contenders.x.cost", "positive"),
        ({"grid": {"alpha": [1.0]}, "preprocessing": "magic"}, "contenders.x.preprocessing", ""),
        ({"grid": {"alpha": [1.0]}, "optimiser": "adam"}, "contenders.x.optimiser", "unknown"),
        ({"grid": {"alpha": []}}, "contenders.x.grid.alpha", "non-empty list"),
        (
            {"grid": {"alpha": [1.0]}, "params": {"alpha": 2.0}},
            "contenders.x.params.alpha",
            "also searched",
        ),
        ({"n_iter": 2}, "contenders.x.distributions", "required for a random search"),
        ({"n_iter": 0, "distributions": {"alpha": [1.0]}}, "contenders.x.n_iter", "at least 1"),
        (
            {"n_iter": 2, "distributions": {"alpha": {"dist": "lognormal", "low": 1, "high": 2}}},
            "contenders.x.distributions.alpha.dist",
            "unknown distribution 'lognormal'",
        ),
        (
            {"n_iter": 2, "distributions": {"alpha": {"dist": "loguniform", "low": 0, "high": 2}}},
            "contenders.x.distributions.alpha.low",
            "positive for loguniform",
        ),
        (
            {"n_iter": 2, "distributions": {"alpha": {"dist": "uniform", "low": 2, "high": 2}}},
            "contenders.x.distributions.alpha.high",
            "greater than low",
        ),
        (
            {"n_iter": 2, "distributions": {"alpha": {"dist": "normal", "mean": 1, "std": 0}}},
            "contenders.x.distributions.alpha.std",
            "positive",
        ),
        (
            {"n_iter": 2, "distributions": {"alpha": {"dist": "normal", "mean": 1}}},
            "contenders.x.distributions.alpha.std",
            "required for 'normal'",
        ),
        (
            {"n_iter": 2, "distributions": {"alpha": {"dist": "uniform", "low": 0, "top": 1}}},
            "contenders.x.distributions.alpha.top",
            "unknown key for 'uniform'",
        ),
        (
            {"n_iter": 2, "distributions": {"alpha": 0.5}},
            "contenders.x.distributions.alpha",
            "must be a list or a table",
        ),
    ],
)
def test_contender_errors_name_key_and_file(fields, key, words):
    with pytest.raises(ConfigError) as caught:
        check(with_contender(**fields), SOURCE)
    assert str(caught.value).startswith(f"{SOURCE}: {key}: ")
    assert words in str(caught.value)


def test_a_contender_may_not_take_the_ensemble_s_name():
    config = minimal()
    config["contenders"]["ensemble"] = {"estimator": "sklearn.linear_model.Ridge", "grid": {}}
    with pytest.raises(ConfigError, match=r"^configs/mine\.toml: contenders\.ensemble: "):
        check(config, SOURCE)


@pytest.mark.parametrize(
    ("contender", "key", "words"),
    [
        (
            {"estimator": "sklearn.linear_model.Rigde", "grid": {"alpha": [1.0]}},
            "contenders.x.estimator",
            "cannot import",
        ),
        (
            {"estimator": "no_such_package.Model", "grid": {"alpha": [1.0]}},
            "contenders.x.estimator",
            "cannot import",
        ),
        (
            {"estimator": "sklearn.linear_model.Ridge", "grid": {"alpah": [1.0]}},
            "contenders.x.grid.alpah",
            "takes no parameter",
        ),
        (
            {
                "estimator": "sklearn.linear_model.Ridge",
                "params": {"fit_icept": True},
                "grid": {"alpha": [1.0]},
            },
            "contenders.x.params.fit_icept",
            "takes no parameter",
        ),
    ],
)
def test_deep_validation_names_key_and_file(contender, key, words):
    config = minimal()
    config["contenders"]["x"] = contender
    with pytest.raises(ConfigError) as caught:
        validate(check(config, SOURCE))
    assert str(caught.value).startswith(f"{SOURCE}: {key}:")
    assert words in str(caught.value)


def test_unknown_metric_is_reported():
    config = check(broken(["search", "metric"], "accuracy_percent"), SOURCE)
    with pytest.raises(ConfigError, match=r"^configs/mine\.toml: search\.metric: .*scorer"):
        validate(config)


@pytest.mark.parametrize(
    "mock",
    [{"n_features": 3}, {"n_classes": 5, "n_informative": 2, "n_features": 4}],
    ids=["more-informative-than-features", "too-many-classes"],
)
def test_mock_settings_that_cannot_make_a_table_are_one_line(mock):
    from {{ cookiecutter.package_name }}.data import load as load_data

    config = broken(["data", "mock"], mock)
    config["data"]["problem"] = "classification"
    with pytest.raises(ConfigError) as caught:
        load_data(check(config, SOURCE), 0, None, "")
    assert str(caught.value).startswith(f"{SOURCE}: data.mock")
    assert "\n" not in str(caught.value)


@pytest.fixture
def common(monkeypatch):
    """flows/common.py, imported as the flows import it."""
    import importlib

    monkeypatch.syspath_prepend(str(PROJECT / "flows"))
    return importlib.import_module("common")


def test_the_parser_refuses_in_one_metaflow_line(common):
    from metaflow.exception import MetaflowException

    text = json.dumps(broken(["search", "metrik"], "r2"))
    with pytest.raises(MetaflowException) as caught:
        common.parse_config(text)
    assert "search.metrik: unknown key" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_parser_names_the_config_file(common):
    text = (CONFIGS / "smoke.toml").read_text()
    assert common.config_source(text, argv=["flow.py", "run"]) == "configs/smoke.toml"
    argv = ["flow.py", "--config", "tournament", "mine.toml", "run"]
    assert common.config_source("x = 1", argv=argv) == "mine.toml"
    argv = ["flow.py", "--config-value", "tournament", "{}", "run"]
    assert common.config_source("{}", argv=argv) == "--config-value tournament"
    assert common.config_source("x = 1", argv=["flow.py", "run"]) == "config 'tournament'"


def test_a_task_process_skips_the_last_garbage_collection():
    # atexit runs its functions last-registered first: the check, registered before the flow
    # glue is imported, sees the heap as the interpreter's last collection will.
    script = (
        "import atexit, gc\n"
        "atexit.register(lambda: print('frozen' if gc.get_freeze_count() else 'walked'))\n"
        "import common\n"
    )
    process = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT / "flows",
        capture_output=True,
        text=True,
        check=True,
    )
    assert process.stdout.strip() == "frozen"

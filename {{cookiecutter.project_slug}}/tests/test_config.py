"""Configuration files: the shipped ones load; every mistake is one line naming key and file."""

import copy

import pytest

from {{ cookiecutter.package_name }}.config import ConfigError, check, load, parse_text
from {{ cookiecutter.package_name }}.contenders import expand, validate


@pytest.mark.parametrize("name", ["smoke", "default", "full"])
def test_shipped_configs_are_valid(configs_dir, name):
    config = load(configs_dir / f"{name}.toml")
    validate(config)
    assert config["source"].endswith(f"{name}.toml")
    assert expand(config["contenders"], config["run"]["seed"])


def test_full_config_is_cluster_sized(configs_dir):
    config = load(configs_dir / "full.toml")
    candidates = expand(config["contenders"], config["run"]["seed"])
    assert config["run"]["fits_per_task"] == 1
    assert len(candidates) * config["data"]["n_folds"] >= 500


def test_json_text_is_accepted(smoke_config):
    import json

    assert parse_text(json.dumps(smoke_config)) == smoke_config


def _broken(config, path, value):
    broken = copy.deepcopy(config)
    *parents, last = path
    table = broken
    for key in parents:
        table = table[key]
    if value is None:
        del table[last]
    else:
        table[last] = value
    return broken


def _first_family(config):
    return next(iter(config["contenders"]))


@pytest.mark.parametrize(
    ("path", "value", "key"),
    [
        (["colour"], "blue", "colour"),
        (["search", "metrik"], "r2", "search.metrik"),
        (["data", "mock", "n_rows"], 10, "data.mock.n_rows"),
        (["data", "n_folds"], 1, "data.n_folds"),
        (["data", "n_folds"], "5", "data.n_folds"),
        (["data", "task"], "ranking", "data.task"),
        (["run", "seed"], None, "run.seed"),
        (["resources", "fit", "gpu"], 1, "resources.fit.gpu"),
    ],
)
def test_structure_errors_name_key_and_file(smoke_config, path, value, key):
    with pytest.raises(ConfigError) as caught:
        check(_broken(smoke_config, path, value), "configs/mine.toml")
    message = str(caught.value)
    assert message.startswith(f"configs/mine.toml: {key}:")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("field", "value", "key_suffix"),
    [
        ("n_iter", 3, ""),  # n_iter next to a grid: either one or the other
        ("cost", -1.0, "cost"),
        ("preprocessing", "magic", "preprocessing"),
        ("optimiser", "adam", "optimiser"),
        ("grid", {"alpha": []}, "grid.alpha"),
    ],
)
def test_contender_errors_name_key_and_file(smoke_config, field, value, key_suffix):
    config = copy.deepcopy(smoke_config)
    config["contenders"]["x"] = {
        "estimator": "sklearn.linear_model.Ridge",
        "grid": {"alpha": [1.0]},
        field: value,
    }
    with pytest.raises(ConfigError) as caught:
        check(config, "configs/mine.toml")
    expected = "contenders.x" + (f".{key_suffix}" if key_suffix else "")
    assert str(caught.value).startswith(f"configs/mine.toml: {expected}:")


def test_bad_n_iter_is_reported(smoke_config):
    config = copy.deepcopy(smoke_config)
    config["contenders"]["x"] = {
        "estimator": "sklearn.linear_model.Ridge",
        "n_iter": 0,
        "distributions": {"alpha": [1.0, 2.0]},
    }
    with pytest.raises(ConfigError, match=r"^f\.toml: contenders\.x\.n_iter: must be at least 1"):
        check(config, "f.toml")


def test_bad_distribution_is_reported(smoke_config):
    config = copy.deepcopy(smoke_config)
    config["contenders"]["x"] = {
        "estimator": "sklearn.linear_model.Ridge",
        "n_iter": 2,
        "distributions": {"alpha": {"dist": "lognormal", "low": 1, "high": 2}},
    }
    with pytest.raises(ConfigError, match=r"^f\.toml: contenders\.x\.distributions\.alpha\.dist:"):
        check(config, "f.toml")


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
def test_deep_validation_names_key_and_file(smoke_config, contender, key, words):
    config = copy.deepcopy(smoke_config)
    config["contenders"]["x"] = contender
    config = check(config, "configs/mine.toml")
    with pytest.raises(ConfigError) as caught:
        validate(config)
    assert str(caught.value).startswith(f"configs/mine.toml: {key}:")
    assert words in str(caught.value)


def test_unknown_metric_is_reported(smoke_config):
    config = check(_broken(smoke_config, ["search", "metric"], "accuracy_percent"), "c.toml")
    with pytest.raises(ConfigError, match=r"^c\.toml: search\.metric: .*scorer"):
        validate(config)


def test_parser_error_is_one_clean_metaflow_line(smoke_config):
    import json

    from metaflow.exception import MetaflowException

    from common import parse_config

    text = json.dumps(_broken(smoke_config, ["search", "metrik"], "r2"))
    with pytest.raises(MetaflowException) as caught:
        parse_config(text)
    assert "search.metrik: unknown key" in str(caught.value)
    assert "\n" not in str(caught.value)

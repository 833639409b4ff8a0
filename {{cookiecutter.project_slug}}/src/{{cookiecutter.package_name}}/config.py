"""Read and check tournament config files (TOML, or JSON from `--config-value`).

Only the standard library is imported here: Metaflow parses the config in every command, so the
structural checks stay cheap. Checks that need imports (estimator paths, their parameters, the
metric) live in `search_space.validate`. Every problem is one line: `<file>: <key>: <problem>`.
`check` also fills in the optional keys, so the rest of the package reads every key directly.
"""

import copy
import json
import tomllib
from pathlib import Path
from typing import Any

PROBLEMS = ("regression", "classification")
PREPROCESSING = ("scaled", "ordinal", "none")
MISSING_TARGET = ("drop", "refuse")
DISTRIBUTIONS = {
    "uniform": ("low", "high"),
    "loguniform": ("low", "high"),
    "randint": ("low", "high"),
    "normal": ("mean", "std"),
}

# Allowed keys per section, with the type each value must have.
NUMBER = (int, float)
SECTIONS: dict[str, dict[str, Any]] = {
    "run": {"seed": int, "fits_per_task": int, "workers": int},
    "data": {
        "problem": str,
        "target": str,
        "test_size": NUMBER,
        "n_folds": int,
        "missing_target": str,
        "categorical": list,
        "max_categories": int,
        "mock": dict,
    },
    "data.mock": {
        "n_samples": int,
        "n_features": int,
        "n_informative": int,
        "n_categories": int,
        "n_classes": int,
        "noise": NUMBER,
        "class_sep": NUMBER,
        "flip_y": NUMBER,
    },
    "search": {"metric": str, "max_plot_candidates": int},
    "ensemble": {"top_k": int, "inner_folds": int},
    "promotion": {"min_improvement": NUMBER},
    "resources": {"fit": dict, "refit": dict},
    "resources.fit": {"cpu": int, "memory": int, "retries": int},
    "resources.refit": {"cpu": int, "memory": int},
    "contender": {
        "estimator": str,
        "preprocessing": str,
        "cost": NUMBER,
        "params": dict,
        "grid": dict,
        "distributions": dict,
        "n_iter": int,
    },
}
TOP_LEVEL = {"run", "data", "search", "ensemble", "promotion", "resources", "contenders", "source"}
REQUIRED = {
    "run": ("seed", "fits_per_task"),
    "data": ("problem", "target", "test_size", "n_folds"),
    "resources.fit": ("cpu", "memory", "retries"),
    "resources.refit": ("cpu", "memory"),
    "contender": ("estimator",),
}
# What an absent optional key means. `ensemble` has no default: without the table, no ensemble.
DEFAULTS: dict[str, dict[str, Any]] = {
    "run": {"workers": 0},
    "data": {"missing_target": "drop", "categorical": [], "max_categories": 30, "mock": {}},
    "search": {"metric": "auto", "max_plot_candidates": 30},
    "promotion": {"min_improvement": 0.0},
}
CONTENDER_DEFAULTS = {"preprocessing": "scaled", "cost": 1.0, "params": {}}
ENSEMBLE_DEFAULTS = {"top_k": 3, "inner_folds": 3}


class ConfigError(ValueError):
    """A config problem, worded as one line: `<file>: <key>: <problem>`."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        super().__init__(f"{source}: {key}: {problem}")


def parse_text(text: str, source: str = "<config>") -> dict[str, Any]:
    """Parse TOML, or JSON (what `--config-value` passes), into a dict."""
    try:
        parsed = json.loads(text) if text.lstrip().startswith("{") else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(source, "(syntax)", str(error).replace("\n", " ")) from None
    if not isinstance(parsed, dict):
        raise ConfigError(source, "(top level)", "must be a table")
    return parsed


def load(path: str | Path) -> dict[str, Any]:
    """Read, parse and check a config file; return the checked dict with its `source`."""
    path = Path(path)
    return check(parse_text(path.read_text(encoding="utf-8"), str(path)), str(path))


def _type_name(kind: Any) -> str:
    if isinstance(kind, tuple):
        return "a number"
    return {int: "an integer", str: "a string", dict: "a table", list: "a list"}[kind]


def _check_table(table: Any, schema_name: str, prefix: str, source: str) -> None:
    if not isinstance(table, dict):
        raise ConfigError(source, prefix, "must be a table")
    allowed = SECTIONS[schema_name]
    for key, value in table.items():
        dotted = f"{prefix}.{key}"
        if key not in allowed:
            raise ConfigError(
                source, dotted, f"unknown key (allowed: {', '.join(sorted(allowed))})"
            )
        kind = allowed[key]
        wrong_bool = isinstance(value, bool) and kind is not bool
        if wrong_bool or not isinstance(value, kind):
            raise ConfigError(source, dotted, f"must be {_type_name(kind)}, got {value!r}")
    for key in REQUIRED.get(schema_name, ()):
        if key not in table:
            raise ConfigError(source, f"{prefix}.{key}", "is required")


def _check_distribution(value: Any, key: str, source: str) -> None:
    if isinstance(value, list):
        if not value:
            raise ConfigError(source, key, "must list at least one value")
        return
    if not isinstance(value, dict) or "dist" not in value:
        raise ConfigError(
            source, key, 'must be a list or a table like { dist = "uniform", low = 0, high = 1 }'
        )
    dist = value["dist"]
    if dist not in DISTRIBUTIONS:
        raise ConfigError(
            source,
            f"{key}.dist",
            f"unknown distribution {dist!r} (known: {', '.join(DISTRIBUTIONS)})",
        )
    needed = DISTRIBUTIONS[dist]
    for name in value:
        if name != "dist" and name not in needed:
            raise ConfigError(source, f"{key}.{name}", f"unknown key for {dist!r}")
    for name in needed:
        if name not in value:
            raise ConfigError(source, f"{key}.{name}", f"is required for {dist!r}")
        if isinstance(value[name], bool) or not isinstance(value[name], NUMBER):
            raise ConfigError(source, f"{key}.{name}", "must be a number")
    if dist in ("uniform", "loguniform", "randint") and not value["low"] < value["high"]:
        raise ConfigError(source, f"{key}.high", "must be greater than low")
    if dist == "loguniform" and value["low"] <= 0:
        raise ConfigError(source, f"{key}.low", "must be positive for loguniform")
    if dist == "normal" and value["std"] <= 0:
        raise ConfigError(source, f"{key}.std", "must be positive")


def _check_contender(name: str, contender: Any, source: str) -> None:
    prefix = f"contenders.{name}"
    _check_table(contender, "contender", prefix, source)
    kind = contender.get("preprocessing", "scaled")
    if kind not in PREPROCESSING:
        raise ConfigError(
            source, f"{prefix}.preprocessing", f"must be one of {', '.join(PREPROCESSING)}"
        )
    if contender.get("cost", 1.0) <= 0:
        raise ConfigError(source, f"{prefix}.cost", "must be positive")
    has_grid = "grid" in contender
    has_random = "distributions" in contender or "n_iter" in contender
    if has_grid == has_random:
        raise ConfigError(
            source, prefix, "give either `grid` or `distributions` with `n_iter`, not both"
        )
    if has_grid:
        for key, values in contender["grid"].items():
            if not isinstance(values, list) or not values:
                raise ConfigError(
                    source, f"{prefix}.grid.{key}", "must be a non-empty list of values"
                )
    else:
        for key in ("distributions", "n_iter"):
            if key not in contender:
                raise ConfigError(source, f"{prefix}.{key}", "is required for a random search")
        if contender["n_iter"] < 1:
            raise ConfigError(source, f"{prefix}.n_iter", "must be at least 1")
        for key, value in contender["distributions"].items():
            _check_distribution(value, f"{prefix}.distributions.{key}", source)
    searched = contender.get("grid", contender.get("distributions", {}))
    overlap = set(contender.get("params", {})) & set(searched)
    if overlap:
        raise ConfigError(
            source,
            f"{prefix}.params.{sorted(overlap)[0]}",
            "is also searched: keep it in one place",
        )
    if name == "ensemble":
        raise ConfigError(source, prefix, "`ensemble` is the stacking contender's name: rename")


def _check_values(config: dict[str, Any], source: str) -> None:
    data = config["data"]
    if data["problem"] not in PROBLEMS:
        raise ConfigError(source, "data.problem", f"must be one of {', '.join(PROBLEMS)}")
    if not 0 < data["test_size"] < 1:
        raise ConfigError(source, "data.test_size", "must be between 0 and 1")
    if data["n_folds"] < 2:
        raise ConfigError(source, "data.n_folds", "must be at least 2")
    if data["missing_target"] not in MISSING_TARGET:
        raise ConfigError(
            source, "data.missing_target", f"must be one of {', '.join(MISSING_TARGET)}"
        )
    if not all(isinstance(name, str) for name in data["categorical"]):
        raise ConfigError(source, "data.categorical", "must list column names")
    if data["max_categories"] < 2:
        raise ConfigError(source, "data.max_categories", "must be at least 2")
    if data["mock"].get("n_classes", 2) < 2:
        raise ConfigError(source, "data.mock.n_classes", "must be at least 2")
    if config["run"]["fits_per_task"] < 0:
        raise ConfigError(source, "run.fits_per_task", "must be 0 (auto) or positive")
    if config["run"]["workers"] < 0:
        raise ConfigError(source, "run.workers", "must be 0 (auto) or positive")
    for step in ("fit", "refit"):
        if config["resources"][step]["cpu"] < 1:
            raise ConfigError(source, f"resources.{step}.cpu", "must be at least 1")
    ensemble = config.get("ensemble")
    if ensemble is not None:
        if ensemble["top_k"] < 2:
            raise ConfigError(source, "ensemble.top_k", "must be at least 2")
        if ensemble["inner_folds"] < 2:
            raise ConfigError(source, "ensemble.inner_folds", "must be at least 2")


def check(config: Any, source: str) -> dict[str, Any]:
    """Check a config's structure; return a copy with defaults filled in and `source` recorded."""
    if not isinstance(config, dict):
        raise ConfigError(source, "(top level)", "must be a table")
    for key in config:
        if key not in TOP_LEVEL:
            allowed = ", ".join(sorted(TOP_LEVEL - {"source"}))
            raise ConfigError(source, key, f"unknown key (allowed: {allowed})")
    for section in ("run", "data", "resources", "contenders"):
        if section not in config:
            raise ConfigError(source, section, "is required")
    config = copy.deepcopy(config)
    for section in ("run", "data", "search", "ensemble", "promotion", "resources"):
        if section in config or section in DEFAULTS:
            _check_table(config.setdefault(section, {}), section, section, source)
    _check_table(config["data"].get("mock", {}), "data.mock", "data.mock", source)
    for name in ("fit", "refit"):
        if name not in config["resources"]:
            raise ConfigError(source, f"resources.{name}", "is required")
        _check_table(config["resources"][name], f"resources.{name}", f"resources.{name}", source)
    for section, defaults in DEFAULTS.items():
        config[section] = {**copy.deepcopy(defaults), **config[section]}
    if "ensemble" in config:
        config["ensemble"] = {**ENSEMBLE_DEFAULTS, **config["ensemble"]}
    contenders = config["contenders"]
    if not isinstance(contenders, dict) or not contenders:
        raise ConfigError(source, "contenders", "must hold at least one [contenders.NAME] table")
    for name, contender in contenders.items():
        _check_contender(name, contender, source)
        contenders[name] = {**copy.deepcopy(CONTENDER_DEFAULTS), **contender}
    _check_values(config, source)
    return {**config, "source": source}

"""Load and check tournament configuration files (TOML, or JSON from `--config-value`).

Only the standard library is imported here: the flow parses its configuration in every
Metaflow command, so the structural checks must stay cheap. Checks that need scikit-learn
(estimator paths, their parameters, scorer names) live in `contenders.validate`.
Every problem is reported as one line naming the file and the dotted key.
"""

import json
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

TASKS = ("regression", "classification")
PREPROCESSING = ("scaled", "ordinal", "none")
DISTRIBUTIONS = {
    "uniform": ("low", "high"),
    "loguniform": ("low", "high"),
    "randint": ("low", "high"),
    "normal": ("mean", "std"),
}

# Allowed keys per section, with the type each value must have.
NUMBER = (int, float)
SECTIONS = {
    "run": {"seed": int, "fits_per_task": int, "workers": int},
    "data": {
        "task": str,
        "target": str,
        "test_size": NUMBER,
        "n_folds": int,
        "mock": dict,
    },
    "data.mock": {
        "n_samples": int,
        "n_features": int,
        "n_informative": int,
        "n_categories": int,
        "noise": NUMBER,
        "class_sep": NUMBER,
        "flip_y": NUMBER,
    },
    "search": {"metric": str, "max_plot_candidates": int},
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
TOP_LEVEL = {"run", "data", "search", "resources", "contenders", "source"}
REQUIRED = {
    "run": ("seed", "fits_per_task"),
    "data": ("task", "target", "test_size", "n_folds"),
    "search": ("metric",),
    "resources.fit": ("cpu", "memory", "retries"),
    "resources.refit": ("cpu", "memory"),
    "contender": ("estimator",),
}


class ConfigError(ValueError):
    """A configuration problem, worded as one line: `<file>: <key>: <problem>`."""

    def __init__(self, source, key, problem):
        self.source = source
        self.key = key
        self.problem = problem
        super().__init__(f"{source}: {key}: {problem}")


def parse_text(text, source="<config>"):
    """Parse TOML, or JSON (what `--config-value` passes), into a dict."""
    stripped = text.lstrip()
    try:
        if stripped.startswith("{"):
            return json.loads(text)
        return tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(source, "(syntax)", str(error).replace("\n", " ")) from None


def load(path):
    """Read, parse and check a configuration file; return the dict with its `source`."""
    path = Path(path)
    config = parse_text(path.read_text(encoding="utf-8"), str(path))
    return check(config, str(path))


def _type_name(kind):
    if isinstance(kind, tuple):
        return "a number"
    return {int: "an integer", str: "a string", dict: "a table", list: "a list"}[kind]


def _check_table(table, schema_name, prefix, source):
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


def _check_distribution(value, key, source):
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


def _check_contender(name, contender, source):
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
        if "distributions" not in contender:
            raise ConfigError(source, f"{prefix}.distributions", "is required with n_iter")
        if "n_iter" not in contender:
            raise ConfigError(source, f"{prefix}.n_iter", "is required with distributions")
        if contender["n_iter"] < 1:
            raise ConfigError(source, f"{prefix}.n_iter", "must be at least 1")
        for key, value in contender["distributions"].items():
            _check_distribution(value, f"{prefix}.distributions.{key}", source)
    overlap = set(contender.get("params", {})) & set(
        contender.get("grid", contender.get("distributions", {}))
    )
    if overlap:
        raise ConfigError(
            source,
            f"{prefix}.params.{sorted(overlap)[0]}",
            "is also searched: keep it in one place",
        )


def check(config, source):
    """Check the structure of a configuration; return a copy with `source` recorded."""
    if not isinstance(config, dict):
        raise ConfigError(source, "(top level)", "must be a table")
    for key in config:
        if key not in TOP_LEVEL:
            raise ConfigError(
                source, key, f"unknown key (allowed: {', '.join(sorted(TOP_LEVEL - {'source'}))})"
            )
    for section in ("run", "data", "search", "resources", "contenders"):
        if section not in config:
            raise ConfigError(source, section, "is required")
    _check_table(config["run"], "run", "run", source)
    _check_table(config["data"], "data", "data", source)
    _check_table(config["data"].get("mock", {}), "data.mock", "data.mock", source)
    _check_table(config["search"], "search", "search", source)
    _check_table(config["resources"], "resources", "resources", source)
    for name in ("fit", "refit"):
        if name not in config["resources"]:
            raise ConfigError(source, f"resources.{name}", "is required")
        _check_table(config["resources"][name], f"resources.{name}", f"resources.{name}", source)
    data = config["data"]
    if data["task"] not in TASKS:
        raise ConfigError(source, "data.task", f"must be one of {', '.join(TASKS)}")
    if not 0 < data["test_size"] < 1:
        raise ConfigError(source, "data.test_size", "must be between 0 and 1")
    if data["n_folds"] < 2:
        raise ConfigError(source, "data.n_folds", "must be at least 2")
    if config["run"]["fits_per_task"] < 0:
        raise ConfigError(source, "run.fits_per_task", "must be 0 (auto) or positive")
    if config["run"].get("workers", 0) < 0:
        raise ConfigError(source, "run.workers", "must be 0 (auto) or positive")
    contenders = config["contenders"]
    if not isinstance(contenders, dict) or not contenders:
        raise ConfigError(source, "contenders", "must hold at least one [contenders.NAME] table")
    for name, contender in contenders.items():
        _check_contender(name, contender, source)
    return {**config, "source": source}

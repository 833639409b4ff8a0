"""The search space: each contender's estimator, its candidates (grid or random draws), and the
checks that need imports (estimator paths, their parameters, the metric name)."""

import importlib
import inspect
from typing import Any

from .config import ConfigError


def import_object(path: str) -> Any:
    """Import `package.module.Name`; raise ImportError/AttributeError with the path."""
    module_name, _, name = path.rpartition(".")
    if not module_name:
        raise ImportError(f"{path!r} is not a dotted path like package.module.Class")
    return getattr(importlib.import_module(module_name), name)


def accepted_params(estimator_class: Any) -> set[str]:
    """Parameter names the estimator's constructor takes."""
    return set(estimator_class().get_params(deep=False))


def make_estimator(contender: dict[str, Any], seed: int) -> Any:
    """The contender's estimator with its fixed `params`, seeded when it takes a seed."""
    estimator_class = import_object(contender["estimator"])
    params = dict(contender.get("params", {}))
    if "random_state" in accepted_params(estimator_class):
        params.setdefault("random_state", seed)
    return estimator_class(**params)


def to_distribution(spec: Any) -> Any:
    """A TOML distribution table (or a list of choices) as a scipy.stats object (or list)."""
    if isinstance(spec, list):
        return spec
    from scipy import stats

    dist = spec["dist"]
    if dist == "uniform":
        return stats.uniform(spec["low"], spec["high"] - spec["low"])
    if dist == "loguniform":
        return stats.loguniform(spec["low"], spec["high"])
    if dist == "randint":
        return stats.randint(int(spec["low"]), int(spec["high"]))
    if dist == "normal":
        return stats.norm(spec["mean"], spec["std"])
    raise ValueError(f"unknown distribution {dist!r}")


def _plain(value: Any) -> Any:
    """numpy scalars -> Python scalars, so artifacts, tables and JSON stay readable."""
    return value.item() if hasattr(value, "item") and not isinstance(value, list) else value


def parameter_sets(contender: dict[str, Any], seed: int) -> list[dict[str, Any]]:
    """The contender's candidate parameters, in ParameterGrid / ParameterSampler order."""
    from sklearn.model_selection import ParameterGrid, ParameterSampler

    sets: Any
    if "grid" in contender:
        sets = ParameterGrid(dict(contender["grid"]))
    else:
        distributions = {
            key: to_distribution(value) for key, value in contender["distributions"].items()
        }
        sets = ParameterSampler(distributions, n_iter=contender["n_iter"], random_state=seed)
    return [{key: _plain(value) for key, value in params.items()} for params in sets]


def expand(contenders: dict[str, Any], seed: int) -> list[dict[str, Any]]:
    """All candidates: dicts with `name`, `family`, `params` and `cost` (per fit)."""
    return [
        {
            "name": f"{family}-{index}",
            "family": family,
            "params": params,
            "cost": float(contender.get("cost", 1.0)),
        }
        for family, contender in contenders.items()
        for index, params in enumerate(parameter_sets(contender, seed))
    ]


def validate(config: dict[str, Any]) -> None:
    """Check what needs imports: estimator paths and kinds, their parameters, the metric name.

    Raises ConfigError naming the key and the config file.
    """
    from sklearn.base import is_classifier, is_regressor
    from sklearn.metrics import get_scorer_names

    source = config.get("source", "<config>")
    metric = config["search"]["metric"]
    if metric != "auto" and metric not in get_scorer_names():
        raise ConfigError(
            source,
            "search.metric",
            f"{metric!r} is not a scikit-learn scorer name (e.g. auto, r2, roc_auc_ovr)",
        )
    problem = config["data"]["problem"]
    fits_problem = is_classifier if problem == "classification" else is_regressor
    for family, contender in config["contenders"].items():
        prefix = f"contenders.{family}"
        try:
            estimator_class = import_object(contender["estimator"])
        except (ImportError, AttributeError) as error:
            raise ConfigError(
                source, f"{prefix}.estimator", f"cannot import {contender['estimator']!r}: {error}"
            ) from None
        if not inspect.isclass(estimator_class) or not hasattr(estimator_class, "get_params"):
            raise ConfigError(
                source, f"{prefix}.estimator", "is not a scikit-learn estimator class"
            )
        if not fits_problem(estimator_class()):
            raise ConfigError(
                source,
                f"{prefix}.estimator",
                f"{estimator_class.__name__} does not do {problem} (data.problem)",
            )
        accepted = accepted_params(estimator_class)
        for table in ("params", "grid", "distributions"):
            for key in contender.get(table, {}):
                if key not in accepted:
                    raise ConfigError(
                        source,
                        f"{prefix}.{table}.{key}",
                        f"{estimator_class.__name__} takes no parameter {key!r}",
                    )
        try:
            parameter_sets(contender, 0)
        except (TypeError, ValueError) as error:
            raise ConfigError(source, prefix, f"cannot expand the search space: {error}") from None

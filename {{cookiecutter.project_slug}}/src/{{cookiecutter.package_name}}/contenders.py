"""Search space: build pipelines, expand grids and random searches, validate, plan batches."""

import importlib
import inspect
import math
from collections import Counter

from .config import ConfigError


def import_object(path):
    """Import `package.module.Name`; raise ImportError/AttributeError with the path."""
    module_name, _, name = path.rpartition(".")
    if not module_name:
        raise ImportError(f"{path!r} is not a dotted path like package.module.Class")
    module = importlib.import_module(module_name)
    return getattr(module, name)


def accepted_params(estimator_class):
    """Parameter names the estimator's constructor takes."""
    return set(estimator_class().get_params(deep=False))


def make_estimator(contender, seed):
    """The contender's estimator with its fixed `params`, seeded when it takes a seed."""
    estimator_class = import_object(contender["estimator"])
    params = dict(contender.get("params", {}))
    if "random_state" in accepted_params(estimator_class):
        params.setdefault("random_state", seed)
    return estimator_class(**params)


def build_pipeline(contender, numeric, categorical, seed, params=None):
    """THE pipeline of one contender: `preprocess` then `model`, with candidate `params`.

    The flow, the tests and the benchmark all build their pipelines here, so a flow score
    and a GridSearchCV score of the same candidate come from identical estimators.
    """
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline

    from .preprocessing import make_preprocessor

    pipeline = Pipeline(
        [
            (
                "preprocess",
                make_preprocessor(contender.get("preprocessing", "scaled"), numeric, categorical),
            ),
            ("model", make_estimator(contender, seed)),
        ]
    )
    pipeline = clone(pipeline)
    if params:
        pipeline.set_params(**{f"model__{key}": value for key, value in params.items()})
    return pipeline


def refit_pipeline(contender, numeric, categorical, seed, params, iterations, threads=1):
    """The winner's pipeline for a refit: `iterations` rounds, early stopping off, `threads`.

    Both refits (training split, all data) build it here, so they train the same model.
    """
    from .models import refit_params

    pipeline = build_pipeline(contender, numeric, categorical, seed, params)
    model = pipeline.named_steps["model"]
    fixed = refit_params(model, iterations)
    if "n_jobs" in model.get_params():
        fixed["n_jobs"] = threads
    pipeline.set_params(**{f"model__{key}": value for key, value in fixed.items()})
    return pipeline


def to_distribution(spec):
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


def _plain(value):
    """numpy scalars -> Python scalars, so artifacts, tables and JSON stay readable."""
    return value.item() if hasattr(value, "item") and not isinstance(value, list) else value


def parameter_sets(contender, seed):
    """The contender's candidate parameter dicts, in ParameterGrid/ParameterSampler order."""
    from sklearn.model_selection import ParameterGrid, ParameterSampler

    if "grid" in contender:
        sets = ParameterGrid(dict(contender["grid"]))
    else:
        distributions = {
            key: to_distribution(value) for key, value in contender["distributions"].items()
        }
        sets = ParameterSampler(distributions, n_iter=contender["n_iter"], random_state=seed)
    return [{key: _plain(value) for key, value in params.items()} for params in sets]


def expand(contenders, seed):
    """All candidates: dicts with `name`, `family`, `params` and `cost` (per fit)."""
    candidates = []
    for family, contender in contenders.items():
        for index, params in enumerate(parameter_sets(contender, seed)):
            candidates.append(
                {
                    "name": f"{family}-{index}",
                    "family": family,
                    "params": params,
                    "cost": float(contender.get("cost", 1.0)),
                }
            )
    return candidates


def validate(config):
    """Check what needs imports: estimator paths, their parameters, the metric, `n_iter`.

    Raises ConfigError naming the key and the configuration file.
    """
    from sklearn.metrics import get_scorer_names

    source = config.get("source", "<config>")
    metric = config["search"]["metric"]
    if metric not in get_scorer_names():
        raise ConfigError(
            source,
            "search.metric",
            f"{metric!r} is not a scikit-learn scorer name (e.g. r2, roc_auc)",
        )
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
        accepted = accepted_params(estimator_class)
        for table in ("params", "grid", "distributions"):
            for key in contender.get(table, {}):
                if key not in accepted:
                    raise ConfigError(
                        source,
                        f"{prefix}.{table}.{key}",
                        f"{estimator_class.__name__} takes no parameter {key!r}",
                    )
        n_iter = contender.get("n_iter")
        if n_iter is not None and (
            isinstance(n_iter, bool) or not isinstance(n_iter, int) or n_iter < 1
        ):
            raise ConfigError(source, f"{prefix}.n_iter", "must be a positive integer")
        try:
            parameter_sets(contender, 0)
        except (TypeError, ValueError) as error:
            raise ConfigError(source, prefix, f"cannot expand the search space: {error}") from None


def plan_batches(candidates, n_folds, fits_per_task, workers):
    """Group the (candidate index, fold) fits into the fit step's foreach batches.

    `fits_per_task` > 0: consecutive chunks of that many fits (1 = one task per fit, for
    clusters). 0: `workers` shards balanced by expected cost with the longest-processing-
    time-first rule, so the shards finish together and no worker idles at the join.
    """
    fits = [(index, fold) for index in range(len(candidates)) for fold in range(n_folds)]
    if fits_per_task > 0:
        return [fits[i : i + fits_per_task] for i in range(0, len(fits), fits_per_task)]
    shards = max(1, min(int(workers), len(fits)))
    loads = [0.0] * shards
    held = [Counter() for _ in range(shards)]
    batches = [[] for _ in range(shards)]
    ordered = sorted(fits, key=lambda fit: (-candidates[fit[0]]["cost"], fit))
    for fit in ordered:
        traits = _traits(candidates[fit[0]])

        # Candidates of one family share an expected cost, but a value such as a bigger
        # network costs more: on equal loads, pick the shard holding fewest fits that share
        # this fit's parameter values, so no shard collects every fold of a costly value.
        def crowding(shard, traits=traits):
            return (round(loads[shard], 9), sum(held[shard][t] for t in traits), shard)

        lightest = min(range(shards), key=crowding)
        batches[lightest].append(fit)
        loads[lightest] += candidates[fit[0]]["cost"]
        held[lightest].update(traits)
    return [sorted(batch) for batch in batches if batch]


def _traits(candidate):
    """Hashable (parameter, value) pairs of a candidate, for spreading costly values."""
    family = candidate["family"]
    return [(family, key, repr(value)) for key, value in sorted(candidate["params"].items())]


def batch_costs(candidates, batches):
    """Expected cost of each batch (for logs and tests)."""
    return [math.fsum(candidates[index]["cost"] for index, _ in batch) for batch in batches]

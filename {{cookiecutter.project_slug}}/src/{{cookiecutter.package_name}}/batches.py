"""Batches: which (candidate, fold) fits each task of the `fit` foreach runs."""

import math
import os
from collections import Counter
from typing import Any

from .config import ConfigError

Fit = tuple[int, int]  # (candidate index, fold)


def plan(
    candidates: list[dict[str, Any]], config: dict[str, Any], fits_per_task: int
) -> list[list[Fit]]:
    """The fit step's foreach batches for the config's folds and workers (see `shard`).

    Workers `0` means as many fit tasks as this machine holds: its CPU count over each fit
    task's cores (`resources.fit.cpu`), at least one.
    """
    if fits_per_task < 0:
        raise ConfigError(config["source"], "--fits_per_task", "must be 0 (auto) or positive")
    cores_per_task = config["resources"]["fit"]["cpu"]
    workers = config["run"]["workers"] or max(1, (os.cpu_count() or 1) // cores_per_task)
    return shard(candidates, config["data"]["n_folds"], fits_per_task, workers)


def shard(
    candidates: list[dict[str, Any]], n_folds: int, fits_per_task: int, workers: int
) -> list[list[Fit]]:
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
    held: list[Counter[tuple[str, str, str]]] = [Counter() for _ in range(shards)]
    batches: list[list[Fit]] = [[] for _ in range(shards)]
    ordered = sorted(fits, key=lambda fit: (-candidates[fit[0]]["cost"], fit))
    for fit in ordered:
        traits = _traits(candidates[fit[0]])

        # Candidates of one family share an expected cost, but a value such as a bigger
        # network costs more: on equal loads, pick the shard holding fewest fits that share
        # this fit's parameter values, so no shard collects every fold of a costly value.
        def crowding(shard: int, traits: list[tuple[str, str, str]] = traits) -> tuple:
            return (round(loads[shard], 9), sum(held[shard][t] for t in traits), shard)

        lightest = min(range(shards), key=crowding)
        batches[lightest].append(fit)
        loads[lightest] += candidates[fit[0]]["cost"]
        held[lightest].update(traits)
    return [sorted(batch) for batch in batches if batch]


def _traits(candidate: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Hashable (family, parameter, value) triples of a candidate, for spreading costly values."""
    family = candidate["family"]
    return [(family, key, repr(value)) for key, value in sorted(candidate["params"].items())]


def costs(candidates: list[dict[str, Any]], batches: list[list[Fit]]) -> list[float]:
    """Expected cost of each batch."""
    return [math.fsum(candidates[index]["cost"] for index, _ in batch) for batch in batches]


def describe(candidates: list[dict[str, Any]], batches: list[list[Fit]]) -> str:
    """One line on the plan: candidates, fits, tasks and their expected costs."""
    fits = sum(map(len, batches))
    shown = ", ".join(f"{cost:.1f}" for cost in costs(candidates, batches)[:8])
    more = " ..." if len(batches) > 8 else ""
    return (
        f"{len(candidates)} candidates, {fits} fits in {len(batches)} tasks "
        f"(expected cost per task: {shown}{more})"
    )

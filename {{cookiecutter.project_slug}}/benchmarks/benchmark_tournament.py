"""Benchmark: the tournament flow against one in-process GridSearchCV over the same fits.

    python benchmarks/benchmark_tournament.py                   # configs/default.toml
    python benchmarks/benchmark_tournament.py --size large      # fitting takes minutes
    python benchmarks/benchmark_tournament.py --layout per-fit  # one task per fit, as well
    python benchmarks/benchmark_tournament.py --rounds 3        # medians of three rounds

Runs ModelSelectionFlow through metaflow.Runner (max_workers = CPU count, fits_per_task = 0:
one fit task per resources.fit.cpu cores), then, in this process, what the flow does:
GridSearchCV(n_jobs = CPU count) over the same candidates, training split and folds (refit on
the training split), the held-out score and the final fit on all rows. The ensemble is left
out of both: GridSearchCV has no counterpart. Prints the wall times, the ratios flow /
GridSearchCV and flow / in-process, the largest difference between the two sets of CV scores,
each step's task times, and the peak memory of the largest fit process and of GridSearchCV.
It also runs benchmarks/floor_flow.py, four steps that only import, and prints that floor: the
least ratio any flow of four steps reaches here, if its fits took GridSearchCV's time.
With --rounds N it times both N times, alternating which goes first, and prints each round's
ratio and walls, and the medians. Metaflow state goes to a temporary folder.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[1]
FLOW = PROJECT_DIR / "flows" / "model_selection.py"
FLOOR = PROJECT_DIR / "benchmarks" / "floor_flow.py"
# Rows of mock data per size: `tiny` checks the script, `large` makes fitting take minutes.
SIZES = {"tiny": 300, "default": None, "large": 100_000}
LAYOUTS = {"sharded": 0, "per-fit": 1}


def load_config(size: str) -> dict[str, Any]:
    """The default config without the ensemble, with the size's number of mock rows."""
    from {{ cookiecutter.package_name }}.config import load

    config = load(PROJECT_DIR / "configs" / "default.toml")
    config.pop("source")
    config.pop("ensemble", None)
    if SIZES[size]:
        config["data"]["mock"]["n_samples"] = SIZES[size]
    return config


def run_flow(
    flow: Path, workers: int, config: dict[str, Any] | None = None, **parameters: Any
) -> tuple[float, Any]:
    """Run a flow (with the tournament config, if given); return (wall seconds, Run)."""
    from metaflow import Runner

    configs: dict[str, Any] = {"config_value": [("tournament", config)]} if config else {}
    started = time.perf_counter()
    with Runner(
        str(flow),
        show_output=False,
        pylint=False,
        cwd=str(PROJECT_DIR),
        env=dict(os.environ),
        **configs,
    ) as runner:
        result = runner.run(max_workers=workers, **parameters)
        wall = time.perf_counter() - started
        if result.status != "successful":
            sys.exit(f"{flow.name} {result.status}:\n{result.stderr[-5000:]}")
    return wall, result.run


def run_floor(workers: int) -> tuple[float, float]:
    """Run the floor flow; return its wall and the part of it outside its fit task, the part
    GridSearchCV has no counterpart for (its workers start up as a fit task does)."""
    wall, run = run_flow(FLOOR, workers)
    task = run["fit"].task
    return wall, wall - task_seconds(task)


def run_grid_search(run: Any, config: dict[str, Any], workers: int) -> tuple[float, float, Any]:
    """The flow's work in one process: GridSearchCV over the flow's candidates, split and
    folds (refit on the training split), the held-out score, then the final fit on all rows.

    Returns (GridSearchCV wall, wall of all of it, cv_results_).
    """
    import pandas as pd
    from sklearn.base import clone
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline

    from {{ cookiecutter.package_name }}.pipelines import build_pipeline

    start = run["start"].task.data
    contenders = config["contenders"]
    grid = []
    for candidate in start.candidates:
        pipeline = build_pipeline(
            contenders[candidate["family"]], start.schema, start.seed, candidate["params"]
        )
        grid.append({"preprocess": [pipeline[0]], "model": [pipeline[1]]})
    classify = start.schema["problem"] == "classification"
    placeholder = Pipeline(
        [
            ("preprocess", "passthrough"),
            ("model", DummyClassifier() if classify else DummyRegressor()),
        ]
    )
    target = start.schema["target"]
    train, test = start.train_data, start.test_data
    search = GridSearchCV(placeholder, grid, cv=start.folds, scoring=start.metric, n_jobs=workers)
    started = time.perf_counter()
    search.fit(train.drop(columns=[target]), train[target])
    searched = time.perf_counter() - started
    search.score(test.drop(columns=[target]), test[target])
    everything = pd.concat([train, test], ignore_index=True)
    clone(search.best_estimator_).fit(everything.drop(columns=[target]), everything[target])
    done = time.perf_counter() - started
    # GridSearchCV's workers outlive it: shut them down so that every round starts its own,
    # as the flow starts its processes every run.
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)
    return searched, done, search.cv_results_


def peak_memory_mb() -> float:
    """Peak resident memory of this process and of its live children (GridSearchCV's workers)."""
    peaks = [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
            )
        except OSError:
            continue
        if int(fields.get("PPid", "0")) == os.getpid() and "VmHWM" in fields:
            peaks.append(int(fields["VmHWM"].split()[0]) / 1024)
    return max(peaks)


def task_seconds(task: Any) -> float:
    """A task's time as Metaflow records it: created to finished (its process start-up on top)."""
    return float((task.finished_at - task.created_at).total_seconds())


def step_times(run: Any) -> str:
    """Each step's task times, longest first."""
    times = []
    for step in reversed(list(run)):
        seconds = sorted((task_seconds(task) for task in step), reverse=True)
        times.append(f"{step.id} {' / '.join(f'{s:.1f}' for s in seconds[:4])}")
    return "; ".join(times)


@dataclass
class Timings:
    """Every round's walls: per layout, of GridSearchCV and in-process, and of the floor."""

    walls: dict[str, list[float]]  # the flow's, per layout
    searches: list[tuple[float, float]] = field(default_factory=list)  # (GridSearchCV, in-process)
    floors: list[tuple[float, float]] = field(default_factory=list)  # (wall, outside its fit task)
    runs: dict[str, Any] = field(default_factory=dict)  # each layout's last run
    cv_results: Any = None


def measure(config: dict[str, Any], layouts: list[str], workers: int, rounds: int) -> Timings:
    """Time every layout's flow, the floor and the in-process search `rounds` times,
    alternating which goes first (a machine whose speed drifts favours neither)."""
    timings = Timings(walls={layout: [] for layout in layouts})
    walls, runs, searches = timings.walls, timings.runs, timings.searches

    def flows() -> None:
        for layout in layouts:
            wall, runs[layout] = run_flow(FLOW, workers, config, fits_per_task=LAYOUTS[layout])
            walls[layout].append(wall)
        timings.floors.append(run_floor(workers))

    def search() -> None:
        search_wall, in_process_wall, timings.cv_results = run_grid_search(
            runs[layouts[0]], config, workers
        )
        searches.append((search_wall, in_process_wall))

    for number in range(rounds):
        for part in (flows, search) if number % 2 == 0 else (search, flows):
            part()
    return timings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="default")
    parser.add_argument(
        "--layout",
        choices=["sharded", "per-fit", "both"],
        default="sharded",
        help="sharded: fits_per_task = 0 (the default); per-fit: one task per fit",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="time everything this many times, alternating the order; medians are printed",
    )
    args = parser.parse_args(argv)
    workers = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="tournament-benchmark-") as root:
        from {{ cookiecutter.package_name }}.sandbox import metaflow_env

        os.environ.update(metaflow_env(Path(root)))
        import numpy as np

        config = load_config(args.size)
        layouts = list(LAYOUTS) if args.layout == "both" else [args.layout]
        timings = measure(config, layouts, workers, max(1, args.rounds))
        walls, runs, searches = timings.walls, timings.runs, timings.searches
        cv_results = timings.cv_results
        search_memory = peak_memory_mb()
        run = runs[layouts[0]]

        names = [candidate["name"] for candidate in run["start"].task.data.candidates]
        fits = len(names) * len(run["start"].task.data.folds)
        rows, columns = run["start"].task.data.data_shape
        print(
            f"size: {args.size} ({rows} rows x {columns} columns), {len(names)} candidates x "
            f"{len(run['start'].task.data.folds)} folds = {fits} fits, {workers} workers"
        )
        if len(searches) > 1:
            for number, (search_wall, _) in enumerate(searches):
                flow_walls = [walls[layout][number] for layout in layouts]
                ratios = ", ".join(f"{wall / search_wall:.2f}" for wall in flow_walls)
                flows = ", ".join(f"{wall:.1f}" for wall in flow_walls)
                # The walls too: a round whose GridSearchCV ran in a slow minute shows as such.
                print(
                    f"round {number + 1}: flow / GridSearchCV {ratios}  "
                    f"(flow {flows} s, GridSearchCV {search_wall:.1f} s)"
                )
            print(f"medians of {len(searches)} rounds:")
        search_wall = float(np.median([search for search, _ in searches]))
        in_process_wall = float(np.median([everything for _, everything in searches]))
        print(
            f"GridSearchCV: {search_wall:7.1f} s  (n_jobs={workers}, refit on the training split)"
        )
        print(
            f"in-process:   {in_process_wall:7.1f} s  "
            "(GridSearchCV, then the held-out score and the final fit on all rows)"
        )
        floor_wall = float(np.median([wall for wall, _ in timings.floors]))
        outside = float(np.median([outside for _, outside in timings.floors]))
        # What no flow of four steps can save: the floor's steps outside its fit task.
        paired = zip(searches, timings.floors, strict=True)
        least = np.median([(search + out) / search for (search, _), (_, out) in paired])
        print(
            f"floor:        {floor_wall:7.1f} s  (four steps that only import; "
            f"{outside:.1f} s outside the fit task)"
        )
        print(f"  least ratio a four-step flow reaches: {least:.2f}  (fits at GridSearchCV's pace)")
        for layout, flow_run in runs.items():
            wall = float(np.median(walls[layout]))
            # Each round's own ratio, then their median: a drifting machine cancels out.
            rounds = list(zip(walls[layout], searches, strict=True))
            by_search = np.median([flow / search for flow, (search, _) in rounds])
            by_in_process = np.median([flow / everything for flow, (_, everything) in rounds])
            board = flow_run.data.leaderboard.set_index("candidate")
            difference = np.nanmax(
                np.abs(
                    board.loc[names, "mean_test_score"].to_numpy() - cv_results["mean_test_score"]
                )
            )
            fit_tasks = list(flow_run["fit"])
            memory = max(task.data.peak_memory_mb for task in fit_tasks)
            print(f"flow ({layout}): {wall:7.1f} s  (fit tasks: {len(fit_tasks)})")
            print(f"  ratio flow / GridSearchCV: {by_search:.2f}")
            print(f"  ratio flow / in-process:   {by_in_process:.2f}")
            print(f"  max |flow - GridSearchCV| mean CV score: {difference:.3g}")
            print(
                f"  peak memory: largest fit process {memory:.0f} MB; "
                f"GridSearchCV process and workers {search_memory:.0f} MB"
            )
            print(f"  steps (s, per task, longest first): {step_times(flow_run)}")


if __name__ == "__main__":
    main()

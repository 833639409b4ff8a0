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
With --rounds N it times both N times, alternating which goes first, and prints each round's
ratio and walls, and the medians. Metaflow state goes to a temporary folder.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[1]
FLOW = PROJECT_DIR / "flows" / "model_selection.py"
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


def run_flow(config: dict[str, Any], workers: int, fits_per_task: int) -> tuple[float, Any]:
    """Run the tournament; return (wall seconds, Run)."""
    from metaflow import Runner

    started = time.perf_counter()
    with Runner(
        str(FLOW),
        show_output=False,
        pylint=False,
        cwd=str(PROJECT_DIR),
        env=dict(os.environ),
        config_value=[("tournament", config)],
    ) as runner:
        result = runner.run(max_workers=workers, fits_per_task=fits_per_task)
        wall = time.perf_counter() - started
        if result.status != "successful":
            sys.exit(f"the flow {result.status}:\n{result.stderr[-5000:]}")
    return wall, result.run


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


def step_times(run: Any) -> str:
    """Each step's task times, longest first (created to finished; process start-up on top)."""
    times = []
    for step in reversed(list(run)):
        seconds = sorted(
            ((task.finished_at - task.created_at).total_seconds() for task in step), reverse=True
        )
        times.append(f"{step.id} {' / '.join(f'{s:.1f}' for s in seconds[:4])}")
    return "; ".join(times)


def measure(
    config: dict[str, Any], layouts: list[str], workers: int, rounds: int
) -> tuple[dict[str, list[float]], dict[str, Any], list[tuple[float, float]], Any]:
    """Time every layout's flow and the in-process search `rounds` times, alternating which
    goes first (a machine whose speed drifts favours neither). Returns the flow walls per
    layout, each layout's last run, the (GridSearchCV, in-process) walls and cv_results_."""
    walls: dict[str, list[float]] = {layout: [] for layout in layouts}
    runs: dict[str, Any] = {}
    searches: list[tuple[float, float]] = []
    cv_results = None

    def flows() -> None:
        for layout in layouts:
            wall, runs[layout] = run_flow(config, workers, LAYOUTS[layout])
            walls[layout].append(wall)

    def search() -> None:
        nonlocal cv_results
        search_wall, in_process_wall, cv_results = run_grid_search(
            runs[layouts[0]], config, workers
        )
        searches.append((search_wall, in_process_wall))

    for number in range(rounds):
        for part in (flows, search) if number % 2 == 0 else (search, flows):
            part()
    return walls, runs, searches, cv_results


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
        walls, runs, searches, cv_results = measure(config, layouts, workers, max(1, args.rounds))
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

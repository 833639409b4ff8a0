"""Benchmark: the tournament flow against one in-process GridSearchCV over the same fits.

    python benchmarks/benchmark_tournament.py                 # configs/default.toml
    python benchmarks/benchmark_tournament.py --size large    # bigger data: minutes of fitting

Runs ModelSelectionFlow through metaflow.Runner (max_workers = CPU count, fits_per_task =
0: one cost-balanced shard per worker), then, in this process, GridSearchCV(n_jobs = CPU
count) over the same candidates, training split and folds, followed by what the flow does
after it: the held-out score and the final fit on all data. Prints the wall times, the
task count, the ratios flow / GridSearchCV and flow / in-process, and the largest
difference between the two sets of CV scores. Metaflow state goes to a temporary folder.
"""

import argparse
import copy
import os
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
FLOW = PROJECT_DIR / "flows" / "model_selection.py"
# Rows of mock data per size; `large` makes the fitting itself take minutes on 2 cores.
SIZES = {"default": None, "large": 100_000}


def isolate_metaflow(root):
    """Point Metaflow's datastore, caches and cards at `root` (before importing metaflow)."""
    os.environ["METAFLOW_DATASTORE_SYSROOT_LOCAL"] = str(root / "datastore")
    os.environ["METAFLOW_CLIENT_CACHE_PATH"] = str(root / "client-cache")
    os.environ["METAFLOW_HOME"] = str(root / "metaflow-home")
    os.environ["METAFLOW_CARD_LOCALROOT"] = str(root / "cards")
    os.environ["TOURNAMENT_RESULTS_DIR"] = str(root / "results")
    if os.environ.get("USERNAME", os.environ.get("USER", "root")) == "root":
        os.environ["USERNAME"] = "benchmark"
    # Every task re-imports the flow: cached bytecode makes that about three times faster.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def load_config(size):
    """The default config, with more mock rows for the large size."""
    sys.path.insert(0, str(PROJECT_DIR / "src"))
    from {{ cookiecutter.package_name }}.config import load

    config = load(PROJECT_DIR / "configs" / "default.toml")
    config.pop("source")
    if SIZES[size]:
        config = copy.deepcopy(config)
        config["data"]["mock"]["n_samples"] = SIZES[size]
    return config


def run_flow(config, workers):
    """Run the tournament; return (wall seconds, Run)."""
    from metaflow import Runner

    env = {key: value for key, value in os.environ.items() if key.startswith(("METAFLOW_", "TOUR"))}
    env["USERNAME"] = os.environ["USERNAME"]
    started = time.perf_counter()
    with Runner(
        str(FLOW),
        show_output=False,
        pylint=False,
        cwd=str(PROJECT_DIR),
        env=env,
        config_value=[("tournament", config)],
    ) as runner:
        result = runner.run(max_workers=workers, fits_per_task=0)
        wall = time.perf_counter() - started
        if result.status != "successful":
            sys.exit(f"the flow {result.status}:\n{result.stderr[-5000:]}")
    return wall, result.run


def run_grid_search(run, workers):
    """The flow's work in one process: GridSearchCV over the flow's candidates, split and
    folds (refit on the training split), the held-out score, then the final fit on all data.

    Returns (GridSearchCV wall, wall of all of it, cv_results_).
    """
    import pandas as pd
    from sklearn.base import clone
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline

    from {{ cookiecutter.package_name }}.contenders import build_pipeline
    from {{ cookiecutter.package_name }}.data import make_splitter

    start = run["start"].task.data
    spec = start.spec
    grid = []
    for candidate in start.candidates:
        pipeline = build_pipeline(
            spec["contenders"][candidate["family"]],
            start.numeric_columns,
            start.categorical_columns,
            start.seed,
            candidate["params"],
        )
        grid.append(
            {
                "preprocess": [pipeline.named_steps["preprocess"]],
                "model": [pipeline.named_steps["model"]],
            }
        )
    dummy = DummyClassifier() if start.task_type == "classification" else DummyRegressor()
    placeholder = Pipeline([("preprocess", "passthrough"), ("model", dummy)])
    splitter = make_splitter(start.task_type, spec["data"]["n_folds"], start.split_seed)
    target = start.target
    everything = pd.concat([start.train_data, start.test_data], ignore_index=True)
    search = GridSearchCV(placeholder, grid, cv=splitter, scoring=start.metric, n_jobs=workers)
    started = time.perf_counter()
    search.fit(start.train_data.drop(columns=[target]), start.train_data[target])
    searched = time.perf_counter() - started
    search.score(start.test_data.drop(columns=[target]), start.test_data[target])
    clone(search.best_estimator_).fit(everything.drop(columns=[target]), everything[target])
    return searched, time.perf_counter() - started, search.cv_results_


def step_times(run):
    """Each step's task times, longest first (created to finished; process start-up on top)."""
    times = []
    for step in reversed(list(run)):
        seconds = sorted(
            ((task.finished_at - task.created_at).total_seconds() for task in step), reverse=True
        )
        times.append(f"{step.id} {' / '.join(f'{s:.1f}' for s in seconds)}")
    return "; ".join(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="default")
    args = parser.parse_args(argv)
    workers = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="tournament-benchmark-") as root:
        isolate_metaflow(Path(root))
        import numpy as np

        config = load_config(args.size)
        flow_wall, run = run_flow(config, workers)
        search_wall, in_process_wall, cv_results = run_grid_search(run, workers)

        board = run.data.leaderboard.set_index("candidate")
        names = [candidate["name"] for candidate in run["start"].task.data.candidates]
        difference = np.nanmax(
            np.abs(board.loc[names, "mean_test_score"].to_numpy() - cv_results["mean_test_score"])
        )
        fit_tasks = len(list(run["fit"]))
        tasks = sum(len(list(step)) for step in run)
        rows, columns = run.data.data_shape
        fits = len(names) * len(run.data.folds)
        print(
            f"size: {args.size} ({rows} rows x {columns} columns), {len(names)} candidates x "
            f"{len(run.data.folds)} folds = {fits} fits, {workers} workers"
        )
        print(
            f"flow:         {flow_wall:7.1f} s  ({fit_tasks} fit tasks, {tasks} tasks in all, "
            "including the refits and the report)"
        )
        print(
            f"GridSearchCV: {search_wall:7.1f} s  (n_jobs={workers}, refit on the training split)"
        )
        print(
            f"in-process:   {in_process_wall:7.1f} s  "
            "(GridSearchCV, then the held-out score and the final fit on all data)"
        )
        print(f"ratio flow / GridSearchCV: {flow_wall / search_wall:.2f}")
        print(f"ratio flow / in-process:   {flow_wall / in_process_wall:.2f}")
        print(f"max |flow - GridSearchCV| mean CV score: {difference:.3g}")
        print(f"flow steps (s, per task): {step_times(run)}")


if __name__ == "__main__":
    main()

"""Shared fixtures: a Metaflow sandbox, Runners for both flows, and one smoke tournament.

Metaflow reads its settings when it is first imported, so the sandbox (datastore, client cache,
home, cards and results in a temporary folder) is set here, at collection time, before any test
imports metaflow. Every tournament but the shared smoke run goes to a `--branch` of its own, so
no test's run becomes the champion that another test expects on your user branch.
"""

import atexit
import copy
import os
import shutil
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.sandbox import metaflow_env

PROJECT_DIR = Path(__file__).resolve().parents[1]
FLOWS_DIR = PROJECT_DIR / "flows"
CONFIGS_DIR = PROJECT_DIR / "configs"
SMOKE_CONFIG = CONFIGS_DIR / "smoke.toml"
TOURNAMENT = FLOWS_DIR / "model_selection.py"
PREDICT = FLOWS_DIR / "predict.py"

_STATE = Path(tempfile.mkdtemp(prefix="metaflow-tests-"))
atexit.register(shutil.rmtree, _STATE, ignore_errors=True)
_SANDBOX = metaflow_env(_STATE)
_SANDBOX.setdefault("METAFLOW_RUN_MAX_WORKERS", str(min(os.cpu_count() or 1, 4)))
for _key in set(os.environ) - set(_SANDBOX):
    del os.environ[_key]
os.environ.update(_SANDBOX)
# The test process writes bytecode too: the flows' tasks import the same modules.
sys.dont_write_bytecode = False
MAX_WORKERS = int(os.environ["METAFLOW_RUN_MAX_WORKERS"])


def smoke_config():
    """configs/smoke.toml as a fresh dict, read with tomllib (not with the package's reader)."""
    return tomllib.loads(SMOKE_CONFIG.read_text(encoding="utf-8"))


def one_candidate_each(config, families=None, ensemble=False):
    """A copy of `config` with the named contenders (default: all), one candidate each.

    A grid keeps its first values, a random search draws once; no ensemble unless asked.
    """
    config = copy.deepcopy(config)
    families = list(config["contenders"]) if families is None else list(families)
    config["contenders"] = {name: config["contenders"][name] for name in families}
    for contender in config["contenders"].values():
        if "grid" in contender:
            contender["grid"] = {key: values[:1] for key, values in contender["grid"].items()}
        else:
            contender["n_iter"] = 1
    if not ensemble:
        config.pop("ensemble", None)
    return config


def linear_contender(problem):
    """The quickest contender that does `problem`: one Ridge or one LogisticRegression."""
    if problem == "classification":
        return {
            "estimator": "sklearn.linear_model.LogisticRegression",
            "preprocessing": "scaled",
            "params": {"max_iter": 1000},
            "grid": {"C": [1.0]},
        }
    return {
        "estimator": "sklearn.linear_model.Ridge",
        "preprocessing": "scaled",
        "grid": {"alpha": [1.0]},
    }


def _keep_logs(result):
    # The Runner deletes its log files when it closes: keep the text for failure messages.
    result.stdout_text = result.stdout
    result.stderr_text = result.stderr
    return result


def _runner(flow_file, env=None, cwd=PROJECT_DIR, **options):
    from metaflow import Runner

    return Runner(
        str(flow_file),
        show_output=False,
        pylint=False,
        cwd=str(cwd),
        env=dict(os.environ) if env is None else env,
        **options,
    )


def tournament_runner(*, config=None, config_value=None, branch=None, production=False, **options):
    """A quiet metaflow.Runner for ModelSelectionFlow (a context manager).

    `config` is a config file, `config_value` a config dict; `branch` / `production` pick the
    `@project` branch (neither: the user branch).
    """
    if config is not None:
        options["config"] = [("tournament", str(config))]
    if config_value is not None:
        options["config_value"] = [("tournament", config_value)]
    if branch is not None:
        options["branch"] = branch
    if production:
        options["production"] = True
    return _runner(TOURNAMENT, **options)


def run_tournament(*, config=None, config_value=None, branch=None, production=False, env=None,
                   cwd=PROJECT_DIR, **parameters):  # fmt: skip
    """Run ModelSelectionFlow; return the ExecutingRun (a failed run does not raise)."""
    with tournament_runner(
        config=config,
        config_value=config_value,
        branch=branch,
        production=production,
        env=env,
        cwd=cwd,
    ) as runner:
        return _keep_logs(runner.run(max_workers=MAX_WORKERS, **parameters))


def predict_runner(*, branch=None, production=False, env=None, cwd=PROJECT_DIR):
    """A quiet metaflow.Runner for PredictFlow (a context manager)."""
    options = {"branch": branch} if branch is not None else {}
    if production:
        options["production"] = True
    return _runner(PREDICT, env=env, cwd=cwd, **options)


def run_predict(*, branch=None, production=False, env=None, cwd=PROJECT_DIR, **parameters):
    """Run PredictFlow; return the ExecutingRun (a failed run does not raise)."""
    with predict_runner(branch=branch, production=production, env=env, cwd=cwd) as runner:
        return _keep_logs(runner.run(max_workers=MAX_WORKERS, **parameters))


def side_by_side(jobs, at_once=2):
    """Run flows two at a time (their serial steps leave cores idle); results in job order.

    Each job is `(runner, parameters)`: a function returning a Runner, and `run` parameters.
    """
    import asyncio
    import warnings

    async def one(make_runner, parameters, gate):
        async with gate:
            runner = make_runner()
            try:
                executing = await runner.async_run(max_workers=MAX_WORKERS, **parameters)
                await executing.wait()
                return _keep_logs(executing)
            finally:
                runner.cleanup()

    async def every():
        gate = asyncio.Semaphore(at_once)
        return await asyncio.gather(*(one(make, parameters, gate) for make, parameters in jobs))

    with warnings.catch_warnings():
        # Metaflow's async_run hands its log files to the child process and never closes them.
        warnings.simplefilter("ignore", ResourceWarning)
        return asyncio.run(every())


def succeeded(result):
    """The run of a successful ExecutingRun; fail the test with the run's log otherwise."""
    if result.status != "successful":
        pytest.fail(f"run {result.status}:\n{result.stderr_text[-6000:]}")
    return result.run


def refusal(task):
    """The one line a step refused with (config, data, a run to load), checked to be one line."""
    assert "Traceback" not in task.stderr, task.stderr
    lines = [line.strip() for line in task.stderr.splitlines() if line.strip()]
    assert "Refused:" in lines, task.stderr
    after = lines[lines.index("Refused:") + 1 :]
    assert after[1:] == ["Task failed."], task.stderr
    return after[0]


# What the shared smoke run changes in configs/smoke.toml, so that one run covers more:
# a random search with several draws, one of them from a normal distribution, and a box plot
# that shows fewer candidates than the leaderboard holds.
SMOKE_DRAWS = 3
SMOKE_PLOTTED = 3
# The learning rate of each neural network family, drawn from a normal distribution.
NETWORK_RATES = {"mlp": "learning_rate_init", "keras": "learning_rate"}
NORMAL = {"dist": "normal", "mean": 0.003, "std": 0.0005}


def smoke_run_config():
    """The shared smoke run's config: configs/smoke.toml with the changes above."""
    config = smoke_config()
    config["search"]["max_plot_candidates"] = SMOKE_PLOTTED
    contenders = config["contenders"]
    networks = [name for name in NETWORK_RATES if name in contenders]
    for name in networks:
        contender = contenders[name]
        contender["n_iter"] = SMOKE_DRAWS
        contender.get("params", {}).pop(NETWORK_RATES[name], None)
        contender["distributions"][NETWORK_RATES[name]] = dict(NORMAL)
    if not networks:
        # No neural network in this project: the linear family searches at random instead.
        linear = contenders["linear"]
        (penalty,) = linear.pop("grid")
        linear["n_iter"] = SMOKE_DRAWS
        linear["distributions"] = {
            penalty: {"dist": "loguniform", "low": 0.01, "high": 10.0},
            "tol": {"dist": "normal", "mean": 1e-3, "std": 1e-4},
        }
    return config


@pytest.fixture(scope="session")
def smoke_run():
    """One successful smoke tournament on the user branch, shared by every test that needs one.

    It is the only tournament on that branch, so it is the branch's champion and latest run.
    """
    return succeeded(run_tournament(config_value=smoke_run_config()))


FOREIGN_FLOW = """
from metaflow import FlowSpec, project, step


{decorator}
class {name}(FlowSpec):
    @step
    def start(self):
        self.model = "a pickle nobody may open"
        self.schema = dict()
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    {name}()
"""
FOREIGN = {
    "another flow": ("OtherFlow", '@project(name="{{ cookiecutter.package_name }}")'),
    "another project": ("ModelSelectionFlow", '@project(name="someone_else")'),
}


@pytest.fixture(scope="session")
def foreign_runs(tmp_path_factory):
    """Successful runs that hold a `model`, but are no tournament of this project, by kind."""
    folder = tmp_path_factory.mktemp("foreign")
    # Another user, so these runs stay out of the namespace the other tests read.
    env = {**os.environ, "USERNAME": "intruder", "METAFLOW_USER": "intruder"}
    found = {}
    for kind, (name, decorator) in FOREIGN.items():
        flow_file = folder / f"{name.lower()}_{len(found)}.py"
        flow_file.write_text(FOREIGN_FLOW.format(name=name, decorator=decorator))
        with _runner(flow_file, env=env, cwd=folder) as runner:
            found[kind] = succeeded(_keep_logs(runner.run()))
    return found

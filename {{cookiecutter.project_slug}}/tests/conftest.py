"""Shared fixtures: isolated Metaflow state, the flows folder, and one smoke tournament run.

Metaflow reads its settings when it is first imported, so the temporary datastore, client
cache and home are set here, at collection time, before any test imports metaflow.
"""

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[1]
FLOWS_DIR = PROJECT_DIR / "flows"
CONFIGS_DIR = PROJECT_DIR / "configs"

_STATE = Path(tempfile.mkdtemp(prefix="metaflow-tests-"))
atexit.register(shutil.rmtree, _STATE, ignore_errors=True)
os.environ["METAFLOW_DATASTORE_SYSROOT_LOCAL"] = str(_STATE / "datastore")
os.environ["METAFLOW_CLIENT_CACHE_PATH"] = str(_STATE / "client-cache")
os.environ["METAFLOW_HOME"] = str(_STATE / "metaflow-home")
# Cards do not follow the datastore root: without this they land in ./.metaflow.
os.environ["METAFLOW_CARD_LOCALROOT"] = str(_STATE / "datastore" / ".metaflow" / "mf.cards")
os.environ["TOURNAMENT_RESULTS_DIR"] = str(_STATE / "results")
os.environ.setdefault("METAFLOW_RUN_MAX_WORKERS", str(min(os.cpu_count() or 1, 4)))
if os.environ.get("USERNAME", os.environ.get("USER", "root")) == "root":
    # Metaflow refuses to run as root without a user name (containers, CI).
    os.environ["USERNAME"] = "tester"
# Every task re-imports the flow: cached bytecode makes that about three times faster.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

# The flows import their helpers as `common`, like Metaflow does when it runs them.
if str(FLOWS_DIR) not in sys.path:
    sys.path.insert(0, str(FLOWS_DIR))


@pytest.fixture(scope="session")
def flows_dir():
    """The project's flows folder."""
    return FLOWS_DIR


@pytest.fixture(scope="session")
def configs_dir():
    """The project's configs folder."""
    return CONFIGS_DIR


@pytest.fixture(scope="session")
def flow_env():
    """Environment for `metaflow.Runner(env=...)`: the isolated state set above."""
    return {
        key: value
        for key, value in os.environ.items()
        if key.startswith(("METAFLOW_", "TOURNAMENT_")) or key in ("USERNAME",)
    }


@pytest.fixture(scope="session")
def smoke_config():
    """The smoke configuration as a dict (what `config_value` takes)."""
    from {{ cookiecutter.package_name }}.config import load

    config = load(CONFIGS_DIR / "smoke.toml")
    config.pop("source")
    return config


def tournament_runner(env, cwd=PROJECT_DIR, config=None, config_value=None):
    """A quiet metaflow.Runner for ModelSelectionFlow (use it as a context manager)."""
    from metaflow import Runner

    options = {}
    if config is not None:
        options["config"] = [("tournament", str(config))]
    if config_value is not None:
        options["config_value"] = [("tournament", config_value)]
    return Runner(
        str(FLOWS_DIR / "model_selection.py"),
        show_output=False,
        pylint=False,
        cwd=str(cwd),
        env=env,
        **options,
    )


def run_tournament(flow_env, config=None, config_value=None, **parameters):
    """Run ModelSelectionFlow through the Runner; return the ExecutingRun (not raising)."""
    with tournament_runner(flow_env, config=config, config_value=config_value) as runner:
        result = runner.run(max_workers=int(flow_env["METAFLOW_RUN_MAX_WORKERS"]), **parameters)
        # The log files go when the Runner closes: keep the text for failure messages.
        result.stderr_text = result.stderr
        return result


@pytest.fixture(scope="session")
def smoke_run(flow_env):
    """One finished, successful smoke tournament, shared by every test that needs a model."""
    result = run_tournament(flow_env, config=CONFIGS_DIR / "smoke.toml")
    if result.status != "successful":
        pytest.fail(f"smoke tournament {result.status}:\n{result.stderr_text[-5000:]}")
    return result.run


@pytest.fixture(scope="session")
def run_flow(flow_env):
    """Factory: run_flow(config=path | config_value=dict, **parameters) -> ExecutingRun."""

    def run(**kwargs):
        return run_tournament(flow_env, **kwargs)

    return run

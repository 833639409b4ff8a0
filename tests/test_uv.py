"""The rendered project with uv: the README's `uv sync`, then `uv run` of its tests, the lock
check and its nox sessions (typecheck, tests, flows, notebook, hooks), all from the one
environment the first sync makes.
"""

import importlib.util
import os
import shutil
import sys
import tomllib
from pathlib import Path

import pytest

from bake import bake, git, installable, run, uv

# The README's quickstart; the pip route is exercised by the installed-project tests.
SYNC = ("uv", "sync")


def load_sandbox(project):
    """Import a rendered project's sandbox module from its file, as its noxfile does."""
    (path,) = (project / "src").glob("*/sandbox.py")
    spec = importlib.util.spec_from_file_location("rendered_sandbox", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def uv_env(base=None):
    """Return base (default: this environment) as a user's shell would hand it to uv."""
    env = dict(os.environ if base is None else base)
    # The template's own venv and any uv override must not leak into the project's commands.
    for key in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "UV_FROZEN", "UV_NO_SYNC"):
        env.pop(key, None)
    # As on most machines: imports write their bytecode, so every Metaflow task after the first
    # imports scikit-learn and LightGBM from it (compiling all of site-packages up front costs
    # more than it saves).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # The interpreter running these tests, never one downloaded from GitHub.
    env.update(UV_PYTHON=sys.executable, UV_PYTHON_DOWNLOADS="never")
    env["PATH"] = f"{Path(uv()).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_sandbox_keeps_metaflow_state_and_results_under_its_root(tmp_path, monkeypatch):
    sandbox = load_sandbox(bake(tmp_path / "render").path)
    base = {
        "PATH": "/usr/bin",
        "USERNAME": "root",
        "PYTHONDONTWRITEBYTECODE": "1",
        "METAFLOW_PROFILE": "production",
        "METAFLOW_DEFAULT_DATASTORE": "s3",
        "METAFLOW_RUN_MAX_WORKERS": "3",
    }
    monkeypatch.chdir(tmp_path)
    env = sandbox.metaflow_env(Path("state"), base)

    root = (tmp_path / "state").resolve()
    for key in (
        "METAFLOW_DATASTORE_SYSROOT_LOCAL",
        "METAFLOW_CLIENT_CACHE_PATH",
        "METAFLOW_HOME",
        "METAFLOW_CARD_LOCALROOT",
        "TOURNAMENT_RESULTS_DIR",
    ):
        assert Path(env[key]).is_absolute(), key
        assert Path(env[key]).is_relative_to(root), key
    assert env["USERNAME"] not in ("", "root")
    assert "PYTHONDONTWRITEBYTECODE" not in env
    # Settings pointing at state elsewhere go; who runs and how many tasks at once stay.
    assert "METAFLOW_PROFILE" not in env
    assert "METAFLOW_DEFAULT_DATASTORE" not in env
    assert env["METAFLOW_RUN_MAX_WORKERS"] == "3"
    assert env["PATH"] == "/usr/bin"
    assert base["USERNAME"] == "root", "the given environment is left alone"
    assert sandbox.metaflow_env(root, {"USER": "ada"}).get("USERNAME") is None


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    """The default project after the README's `uv sync`: (project folder, environment)."""
    project = bake(tmp_path_factory.mktemp("uv"), **installable({})).path
    env = uv_env()
    run(SYNC, cwd=project, env=env)
    return project, env


@pytest.mark.slow
def test_the_first_sync_writes_a_current_lock_with_metaflow_and_its_stubs_alike(synced):
    project, env = synced
    lock = tomllib.loads((project / "uv.lock").read_text(encoding="utf-8"))
    versions = {}
    for package in lock["package"]:
        versions.setdefault(package["name"], set()).add(package.get("version"))
    assert versions["metaflow-stubs"] == versions["metaflow"], versions["metaflow"]
    run(("uv", "lock", "--check"), cwd=project, env=env)


@pytest.mark.slow
def test_the_project_installs_from_what_a_uv_environment_ships(synced, tmp_path):
    """Remote tasks of `--environment=uv` get pyproject.toml and uv.lock, and `uv sync` them."""
    project, env = synced
    result = run(
        ("uv", "run", "python", "flows/model_selection.py", "--no-pylint", "--environment=uv")
        + ("package", "list"),
        cwd=project,
        env=load_sandbox(project).metaflow_env(tmp_path / "state", env),
    )
    listing = result.stdout + result.stderr
    shipped = {Path(line).name for line in listing.splitlines() if line.startswith("/")}
    assert {"pyproject.toml", "uv.lock"} <= shipped, listing
    task = tmp_path / "task"
    task.mkdir()
    for name in ("pyproject.toml", "uv.lock"):
        shutil.copy2(project / name, task / name)
    name = tomllib.loads((task / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"]
    lock = tomllib.loads((task / "uv.lock").read_text(encoding="utf-8"))
    # Only the project itself is built and installed here: its libraries come from the lock.
    skipped = sorted({package["name"] for package in lock["package"]} - {name})
    command = [
        "uv",
        "sync",
        "--frozen",
        "--no-dev",
        *(f"--no-install-package={n}" for n in skipped),
    ]
    run(command, cwd=task, env=env)


@pytest.mark.slow
def test_the_fast_tests_pass_under_uv_run(synced):
    project, env = synced
    run(
        ("uv", "run", "pytest", "-m", "not flow", "-q", "-p", "no:cacheprovider"),
        cwd=project,
        env=env,
    )


@pytest.mark.slow
def test_the_flows_session_keeps_its_runs_inside_nox(synced):
    """`nox -s flows` smoke-runs both flows; their state stays under .nox/flows/tmp."""
    project, env = synced
    before = {path.name for path in project.iterdir()}
    run(("uv", "run", "nox", "--session", "flows"), cwd=project, env=env)
    # Only nox's own folder and Python's bytecode of the noxfile: both ignored by git.
    assert {path.name for path in project.iterdir()} - before <= {".nox", "__pycache__"}
    state = project / ".nox" / "flows" / "tmp" / "metaflow"
    flows = {path.name for path in (state / "datastore" / ".metaflow").iterdir()}
    assert {"ModelSelectionFlow", "PredictFlow"} <= flows
    assert (state / "results" / "predictions.csv").stat().st_size > 0


@pytest.mark.slow
def test_the_tests_session_runs_pytest_with_its_options(synced):
    project, env = synced
    result = run(
        ("uv", "run", "nox", "--session", "tests", "--", "-q", "tests/test_config.py"),
        cwd=project,
        env=env,
    )
    assert " passed" in result.stdout


@pytest.mark.slow
def test_the_notebook_session_executes_the_debug_notebook(synced):
    project, env = synced
    result = run(("uv", "run", "nox", "--session", "notebook"), cwd=project, env=env)
    assert "debug.ipynb" in result.stdout + result.stderr


@pytest.mark.slow
def test_the_typecheck_session_passes(synced):
    project, env = synced
    run(("uv", "run", "nox", "--session", "typecheck"), cwd=project, env=env)


@pytest.mark.slow
def test_the_hooks_session_passes_on_a_fresh_repository(synced, tmp_path):
    """Last: it makes the project a git repository, as `nox -s hooks` needs."""
    project, env = synced
    git("init", "--quiet", cwd=project)
    git("add", "--all", cwd=project)
    hooks_env = {**env, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    run(("uv", "run", "nox", "--session", "hooks"), cwd=project, env=hooks_env)
    git("diff", "--exit-code", cwd=project)

"""Developer and CI checks: `nox` runs them all, `nox -s tests` one of them.

Every session installs the versions uv.lock pins (create the lock once with `uv lock`, or the
first `uv sync`, and commit it). Sessions run on the interpreter nox runs on; CI picks another
with `nox --force-python 3.12`.
"""

import importlib.util
import os
import shutil
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv"
nox.options.reuse_venv = "yes"
# `hooks` needs a git repository: CI and `nox -s hooks` run it.
nox.options.sessions = ["lint", "typecheck", "tests", "flows"{% if cookiecutter.include_notebook %}, "notebook"{% endif %}]

ROOT = Path(__file__).parent
LOCK = ROOT / "uv.lock"
SANDBOX = ROOT / "src" / "{{ cookiecutter.package_name }}" / "sandbox.py"
SMOKE_RUN = (
    "python",
    "flows/model_selection.py",
    "--no-pylint",
    "--config",
    "tournament",
    "configs/smoke.toml",
    "run",
)


def require_lock(session):
    """Stop with one line when uv.lock is missing: every session installs from it."""
    if not LOCK.is_file():
        session.error("uv.lock is missing: create it with `uv lock` and commit it")


def sync(session):
    """Install the project and its dev tools into the session's venv, as uv.lock pins them."""
    require_lock(session)
    # `--locked` fails when pyproject.toml changed without `uv lock`, instead of re-resolving.
    session.run_install(
        "uv",
        "sync",
        "--locked",
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
    )
    # Metaflow refuses to run without a user name, and refuses `root` (containers, CI).
    if not (os.environ.get("METAFLOW_USER") or os.environ.get("USERNAME")):
        session.env["USERNAME"] = "nox"
{%- if cookiecutter.neural_net == "keras" %}
    session.env.setdefault("KERAS_BACKEND", "jax")
{%- endif %}


def install_locked(session, *names):
    """Install only the named tools, at the versions uv.lock pins (for the quick sessions)."""
    require_lock(session)
    pins = Path(session.create_tmp()) / "locked-requirements.txt"
    session.run_install(
        "uv",
        "export",
        "--locked",
        "--quiet",
        "--no-hashes",
        "--no-emit-project",
        "--output-file",
        str(pins),
    )
    session.install("--constraints", str(pins), *names)


def isolate_metaflow(session):
    """Point Metaflow and the results folder at a fresh folder of this session."""
    # A smoke run must never become the latest run of your own datastore (the one the predict
    # flow picks by default) nor fill `results/`.
    root = Path(session.create_tmp()).resolve() / "metaflow"
    shutil.rmtree(root, ignore_errors=True)
    # The session runs outside the project's venv, so the helper is loaded from its file.
    spec = importlib.util.spec_from_file_location("sandbox", SANDBOX)
    sandbox = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sandbox)
    env = sandbox.metaflow_env(root)
    session.env.update(env)
    # Whatever the helper dropped (inherited Metaflow settings, PYTHONDONTWRITEBYTECODE).
    session.env.update(dict.fromkeys(os.environ.keys() - env.keys()))


@nox.session
def lint(session):
    """Check style and formatting with ruff, and that uv.lock matches pyproject.toml."""
    # Ruff alone: installing the project would add a minute of bytecode compilation.
    install_locked(session, "ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("uv", "lock", "--check")


@nox.session
def typecheck(session):
    """Type-check src/ and flows/ with mypy and Metaflow's stubs."""
    sync(session)
    session.run("mypy", *session.posargs)


@nox.session
def hooks(session):
    """Run every pre-commit hook on every file, as a commit would."""
    install_locked(
        session,
        "pre-commit",
        "pre-commit-hooks",
        "ruff",
{%- if cookiecutter.include_notebook %}
        "nbstripout",
{%- endif %}
    )
    session.run("pre-commit", "run", "--all-files", "--show-diff-on-failure")


@nox.session
def tests(session):
    """Run the test suite (pass pytest options after --)."""
    sync(session)
    # The tests run flows too: let their tasks cache bytecode.
    session.env["PYTHONDONTWRITEBYTECODE"] = None
    session.run("pytest", *session.posargs)


@nox.session
def flows(session):
    """Smoke-run every flow: a tiny tournament, then predictions from its model."""
    sync(session)
    isolate_metaflow(session)
    session.run(*SMOKE_RUN)
    output = Path(session.env["TOURNAMENT_RESULTS_DIR"]) / "predictions.csv"
    session.run("python", "flows/predict.py", "--no-pylint", "run", "--output", str(output))
{%- if cookiecutter.include_notebook %}


@nox.session
def notebook(session):
    """Execute the debug notebook headlessly against a fresh smoke run."""
    sync(session)
    isolate_metaflow(session)
    session.run(*SMOKE_RUN)
    session.run("jupyter", "execute", "--timeout=600", "notebooks/debug.ipynb")
{%- endif %}

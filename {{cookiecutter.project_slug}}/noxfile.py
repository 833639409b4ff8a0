"""Developer and CI checks: `nox` runs them all, `nox -s tests` one of them.

Sessions run on the interpreter nox runs on; CI picks another with `nox --force-python 3.12`.
"""

import os
import re
import shutil
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv"
nox.options.reuse_venv = "yes"
# `hooks` needs a git repository: CI and `nox -s hooks` run it.
nox.options.sessions = ["lint", "tests", "flows"{% if cookiecutter.include_notebook %}, "notebook"{% endif %}]

INSTALL = ("--compile-bytecode", "-e", ".[{{ 'dev,keras' if cookiecutter.neural_net == 'keras' else 'dev' }}]")
PYPROJECT = nox.project.load_toml(Path(__file__).with_name("pyproject.toml"))
DEV = PYPROJECT["project"]["optional-dependencies"]["dev"]
SMOKE_RUN = (
    "python",
    "flows/model_selection.py",
    "--no-pylint",
    "--config",
    "tournament",
    "configs/smoke.toml",
    "run",
)


def install(session):
    """Install the project with its dev tools; the sessions share this setup."""
    # Metaflow refuses to run without a user name, and refuses `root` (containers, CI).
    if not (os.environ.get("METAFLOW_USER") or os.environ.get("USERNAME")):
        session.env["USERNAME"] = "nox"
{%- if cookiecutter.neural_net == "keras" %}
    session.env.setdefault("KERAS_BACKEND", "jax")
{%- endif %}
    session.install(*INSTALL)


def dev_requirement(name):
    """Return the dev dependency called name, with the bounds pyproject.toml gives it."""
    return next(req for req in DEV if re.split(r"[\[<>=!~;\s]", req, maxsplit=1)[0] == name)


def isolate_metaflow(session):
    """Point Metaflow and the results folder at a fresh folder of this session."""
    # A smoke run must never become the latest run of your own datastore (the one the predict
    # flow picks by default) nor fill `results/`. The path is absolute because Metaflow
    # records the datastore root in every artifact's location.
    state = Path(session.create_tmp()).resolve() / "metaflow"
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    session.env.update(
        METAFLOW_DATASTORE_SYSROOT_LOCAL=str(state / "datastore"),
        METAFLOW_CLIENT_CACHE_PATH=str(state / "client-cache"),
        METAFLOW_HOME=str(state / "home"),
        TOURNAMENT_RESULTS_DIR=str(state / "results"),
        # Every Metaflow task re-imports the flow and the package: cached bytecode makes
        # that about three times faster.
        PYTHONDONTWRITEBYTECODE="",
    )


@nox.session
def lint(session):
    """Check style and formatting with ruff."""
    # Ruff alone: installing the project would add a minute of bytecode compilation.
    session.install(dev_requirement("ruff"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def hooks(session):
    """Run every pre-commit hook on every file, as a commit would."""
    tools = ["pre-commit", "pre-commit-hooks", "ruff"{% if cookiecutter.include_notebook %}, "nbstripout"{% endif %}]
    session.install(*(dev_requirement(name) for name in tools))
    session.run("pre-commit", "run", "--all-files", "--show-diff-on-failure")


@nox.session
def tests(session):
    """Run the test suite (pass pytest options after --)."""
    install(session)
    # The tests run flows too: let their tasks cache bytecode.
    session.env["PYTHONDONTWRITEBYTECODE"] = ""
    session.run("pytest", *session.posargs)


@nox.session
def flows(session):
    """Smoke-run every flow: a tiny tournament, then predictions from its model."""
    install(session)
    isolate_metaflow(session)
    session.run(*SMOKE_RUN)
    output = Path(session.env["TOURNAMENT_RESULTS_DIR"]) / "predictions.csv"
    session.run("python", "flows/predict.py", "--no-pylint", "run", "--output", str(output))
{%- if cookiecutter.include_notebook %}


@nox.session
def notebook(session):
    """Execute the debug notebook headlessly against a fresh smoke run."""
    install(session)
    isolate_metaflow(session)
    session.run(*SMOKE_RUN)
    session.run("jupyter", "execute", "--timeout=600", "notebooks/debug.ipynb")
{%- endif %}

"""Sessions for the template itself: tests, lint, demo and benchmark."""

import os
import shutil
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", "tests"]

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
BUILD = ROOT / "build"


def metaflow_user(environ=os.environ):
    """Return a user name Metaflow accepts (it refuses root, the usual CI user)."""
    for name in ("METAFLOW_USER", "USERNAME", "USER"):
        if environ.get(name) and environ[name] != "root":
            return environ[name]
    return "metaflow-user"


def metaflow_variables(root, environ=os.environ):
    """Return the variables that keep Metaflow's state under root and give it a user."""
    root = Path(root)
    return {
        "METAFLOW_DATASTORE_SYSROOT_LOCAL": str(root),
        "METAFLOW_CLIENT_CACHE_PATH": str(root / ".metaflow-client-cache"),
        "METAFLOW_HOME": str(root / ".metaflow-home"),
        "USERNAME": metaflow_user(environ),
    }


def install_default_project(session, output_dir):
    """Render the default project into output_dir, install it in the session; return its path."""
    session.install("cookiecutter")
    shutil.rmtree(output_dir, ignore_errors=True)
    session.run("cookiecutter", str(ROOT), "--no-input", "--output-dir", str(output_dir))
    (project,) = output_dir.iterdir()
    # Every Metaflow task re-imports the flow and its libraries: compiled bytecode pays off.
    session.env["UV_COMPILE_BYTECODE"] = "1"
    session.env.pop("PYTHONDONTWRITEBYTECODE", None)
    session.install("-e", f"{project}[dev]")
    return project


@nox.session
def tests(session):
    """Run the template's test suite: render, install and run every variant."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "test"))
    session.run("pytest", *session.posargs, env={"USERNAME": metaflow_user()})


@nox.session
def lint(session):
    """Run the template's pre-commit hooks (ruff, whitespace, TOML/YAML/JSON) on every file."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("pre-commit", "run", "--all-files", "--show-diff-on-failure")


@nox.session
def demo(session):
    """Render the default project, install it and run its model-selection flow end to end."""
    output_dir = Path(session.posargs[0]).resolve() if session.posargs else BUILD / "demo"
    project = install_default_project(session, output_dir)
    env = {**metaflow_variables(project), "METAFLOW_RUN_MAX_WORKERS": str(os.cpu_count() or 2)}
    with session.chdir(project):
        session.run("python", "flows/model_selection.py", "--no-pylint", "run", env=env)
        session.run("python", str(ROOT / "scripts" / "show_demo_results.py"), env=env)


@nox.session
def benchmark(session):
    """Time the tournament flow against an in-process GridSearchCV on the same fits."""
    project = install_default_project(session, BUILD / "benchmark")
    env = metaflow_variables(project)
    with session.chdir(project):
        session.run("python", "benchmarks/benchmark_tournament.py", *session.posargs, env=env)


@nox.session
def reserved_modules(session):
    """Recompute the package names the hook refuses: modules installed with a rendered project."""
    session.install("cookiecutter", "uv")
    session.run("python", "scripts/reserved_modules.py")

"""Shared fixtures: render the template, and install rendered projects into shared venvs."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
DEFAULTS = {"project_name": "Model Tournament"}


def render(output_dir, **answers):
    """Render the template without prompts and return the project folder."""
    output_dir.mkdir(parents=True, exist_ok=True)
    return Path(
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            output_dir=str(output_dir),
            extra_context={**DEFAULTS, **answers},
        )
    )


def run(command, cwd, env=None, timeout=1800):
    """Run a command, failing the test with its whole output when it exits non-zero."""
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, command))} exited {result.returncode}\n"
            f"--- stdout ---\n{result.stdout[-20000:]}\n--- stderr ---\n{result.stderr[-20000:]}"
        )
    return result


def metaflow_env(root):
    """Return an environment whose Metaflow state (datastore, caches, user) lives under root."""
    root = Path(root)
    env = {k: v for k, v in os.environ.items() if not k.startswith("METAFLOW_")}
    env.update(
        METAFLOW_DATASTORE_SYSROOT_LOCAL=str(root / "datastore"),
        METAFLOW_CLIENT_CACHE_PATH=str(root / "client-cache"),
        METAFLOW_HOME=str(root / "metaflow-home"),
        METAFLOW_RUN_MAX_WORKERS="2",
        USERNAME=os.environ.get("USERNAME") or "tester",
    )
    # Metaflow re-imports the flow in every task: cached bytecode makes that three times faster.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def tool(name):
    """Return a command-line tool of the test dependencies (beside this interpreter, or on PATH)."""
    beside = Path(sys.executable).with_name(name)
    found = beside if beside.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: run the tests through `nox -s tests`")
    return str(found)


def uv():
    """Return the uv executable."""
    return tool("uv")


class InstalledProject:
    """A rendered project installed (editable, with extras) into a venv shared per extras set."""

    def __init__(self, path, python, env):
        self.path = path
        self.python = python
        self.env = env

    @property
    def bin(self):
        return Path(self.python).parent

    def run(self, *command, timeout=1800, env=None):
        """Run a command in the project folder with the venv first on PATH."""
        full_env = {**self.env, **(env or {})}
        full_env["PATH"] = f"{self.bin}{os.pathsep}{full_env.get('PATH', '')}"
        full_env["VIRTUAL_ENV"] = str(self.bin.parent)
        return run(command, cwd=self.path, env=full_env, timeout=timeout)


class ProjectFactory:
    """Render and install projects; one venv per set of extras, reused across variants."""

    def __init__(self, root):
        self.root = root
        self.venvs = {}
        self.projects = {}

    def venv(self, extras):
        """Create (once) a venv holding the dependencies of the given extras."""
        if extras not in self.venvs:
            path = self.root / ("venv-" + "-".join(extras))
            run([uv(), "venv", "--quiet", "--python", sys.executable, path], cwd=self.root)
            self.venvs[extras] = path / "bin" / "python"
        return self.venvs[extras]

    def __call__(self, extras=("dev",), **answers):
        """Return the installed project rendered with these answers (cached per answers)."""
        key = (extras, tuple(sorted(answers.items())))
        if key in self.projects:
            return self.projects[key]
        name = f"project{len(self.projects)}"
        if self.projects and "project_name" not in answers:
            # Editable installs sharing a venv need distinct package names.
            answers = {**answers, "project_name": f"Model Tournament {len(self.projects)}"}
        path = render(self.root / name, **answers)
        python = self.venv(extras)
        run(
            [
                uv(),
                "pip",
                "install",
                "--quiet",
                "--compile-bytecode",
                "--python",
                python,
                "-e",
                f"{path}[{','.join(extras)}]",
            ],
            cwd=self.root,
        )
        env = metaflow_env(self.root / f"{name}-metaflow")
        project = InstalledProject(path, python, env)
        self.projects[key] = project
        return project


@pytest.fixture(scope="session")
def installed_project(tmp_path_factory):
    """Factory fixture: installed_project(extras=("dev",), **answers) -> InstalledProject."""
    return ProjectFactory(tmp_path_factory.mktemp("projects"))


@pytest.fixture(scope="session", autouse=True)
def _private_tmpdir(tmp_path_factory):
    """Keep the hook scripts cookiecutter writes to the temp folder (and never deletes) private."""
    private = tmp_path_factory.mktemp("tmpdir")
    previous = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(private)
    tempfile.tempdir = None
    yield
    if previous is None:
        os.environ.pop("TMPDIR")
    else:
        os.environ["TMPDIR"] = previous
    tempfile.tempdir = None

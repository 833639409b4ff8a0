"""What every template test needs: render the template, run tools, and the variants to check.

The variants and the optional files are read from cookiecutter.json itself, so a new choice is
rendered and checked without editing a test. Test modules import from here, never from each
other.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from fnmatch import fnmatch
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
CONTEXT = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))
# What a copy of the template leaves out: local state, never part of the template.
COPY_IGNORED = shutil.ignore_patterns(
    ".git", ".venv", ".nox", "build", "__pycache__", ".pytest_cache", ".ruff_cache"
)

# --- Variants, from cookiecutter.json -------------------------------------------------------

# Every prompt with a fixed set of answers (a list, or a yes/no), default first.
CHOICES = {
    name: value if isinstance(value, list) else [value, not value]
    for name, value in CONTEXT.items()
    if not name.startswith("_") and isinstance(value, list | bool)
}
DEFAULTS = {name: options[0] for name, options in CHOICES.items()}
# The default package name, used in paths the tests expect.
PACKAGE = "model_tournament"


def variant_id(answers):
    """Name a set of answers by what differs from the defaults."""
    return ",".join(f"{name}={value}" for name, value in answers.items()) or "default"


def _covering_variants():
    """Return the fewest variants that together give every choice of every prompt.

    Variant i answers each prompt with its choice i (modulo the number of choices), so variant
    0 is the default project and the longest choice list sets how many there are.
    """
    variants = {}
    for index in range(max(len(options) for options in CHOICES.values())):
        answers = {
            name: options[index % len(options)]
            for name, options in CHOICES.items()
            if index % len(options)
        }
        variants[variant_id(answers)] = answers
    return variants


# id -> answers (only those that differ from the defaults).
VARIANTS = _covering_variants()
# id -> answers: each non-default choice alone, everything else default.
SINGLE_CHOICES = {
    variant_id({name: option}): {name: option}
    for name, options in CHOICES.items()
    for option in options[1:]
}


def answers_of(answers):
    """Return every choice answer: the defaults with these answers applied."""
    return {**DEFAULTS, **answers}


def installable(answers):
    """Return answers this interpreter can install: an oldest Python above it lowered to it."""
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    wanted = answers.get("python_version", running)
    if tuple(map(int, wanted.split("."))) > sys.version_info[:2]:
        return {**answers, "python_version": running}
    return answers


# --- Files, with the optional ones declared in cookiecutter.json ----------------------------

# Every file of a project rendered with every option that adds files (keras, notebook, GitHub);
# PKG stands for the package folder. The one list of rendered files: the tests of every
# variant derive theirs from it. Which of them an answer removes is declared once, in
# cookiecutter.json's `_only_with`, and read by the post-generation hook and by the tests.
FILES = {
    ".dockerignore",
    ".github/dependabot.yml",
    ".github/workflows/ci.yml",
    ".gitignore",
    ".pre-commit-config.yaml",
    "Dockerfile",
    "LICENSE",
    "README.md",
    "benchmarks/README.md",
    "benchmarks/benchmark_tournament.py",
    "benchmarks/floor_flow.py",
    "configs/default.toml",
    "configs/full.toml",
    "configs/smoke.toml",
    "docs/operations.md",
    "docs/scale-out.md",
    "docs/tournament.md",
    "flows/common.py",
    "flows/model_selection.py",
    "flows/predict.py",
    "notebooks/debug.ipynb",
    "noxfile.py",
    "pyproject.toml",
    "src/PKG/__init__.py",
    "src/PKG/batches.py",
    "src/PKG/champion.py",
    "src/PKG/checks.py",
    "src/PKG/config.py",
    "src/PKG/data.py",
    "src/PKG/ensemble.py",
    "src/PKG/evaluation.py",
    "src/PKG/leaderboard.py",
    "src/PKG/models/__init__.py",
    "src/PKG/models/keras.py",
    "src/PKG/models/lightgbm.py",
    "src/PKG/models/mlp.py",
    "src/PKG/parallel.py",
    "src/PKG/pipelines.py",
    "src/PKG/plots.py",
    "src/PKG/predictions.py",
    "src/PKG/provenance.py",
    "src/PKG/py.typed",
    "src/PKG/refit.py",
    "src/PKG/report.py",
    "src/PKG/runs.py",
    "src/PKG/sandbox.py",
    "src/PKG/schema.py",
    "src/PKG/search_space.py",
    "src/PKG/splits.py",
    "tests/conftest.py",
    "tests/references.py",
    "tests/tables.py",
    "tests/test_batches.py",
    "tests/test_champion.py",
    "tests/test_champion_flow.py",
    "tests/test_checks.py",
    "tests/test_config.py",
    "tests/test_data.py",
    "tests/test_ensemble.py",
    "tests/test_evaluation.py",
    "tests/test_flow.py",
    "tests/test_keras_model.py",
    "tests/test_leaderboard.py",
    "tests/test_models.py",
    "tests/test_notebook.py",
    "tests/test_parallel.py",
    "tests/test_pipelines.py",
    "tests/test_predict.py",
    "tests/test_predictions.py",
    "tests/test_provenance.py",
    "tests/test_real_tables.py",
    "tests/test_refit.py",
    "tests/test_resume.py",
    "tests/test_runs.py",
    "tests/test_schema.py",
    "tests/test_search_space.py",
    "tests/test_splits.py",
}


def answer_key(value):
    """Spell an answer the way `_only_with` keys do (JSON for yes/no: true, false)."""
    return json.dumps(value) if isinstance(value, bool) else str(value)


def removed_patterns(answers):
    """Return the `_only_with` path patterns the given answers leave out."""
    answers = answers_of(answers)
    return [
        pattern
        for name, groups in CONTEXT.get("_only_with", {}).items()
        for kept_with, patterns in groups.items()
        if answer_key(answers[name]) != kept_with
        for pattern in patterns
    ]


def matches(name, pattern):
    """Tell whether a file is a `_only_with` pattern's file or lies in its folder."""
    return fnmatch(name, pattern) or fnmatch(name, f"{pattern}/*")


def expected_files(answers, package=PACKAGE):
    """Return the files a project rendered with these answers must have, relative to its root."""
    removed = removed_patterns(answers)
    return {
        name.replace("PKG", package)
        for name in FILES
        if not any(matches(name, pattern) for pattern in removed)
    }


def files_below(root):
    """Return every file below root, relative to it, as POSIX paths."""
    return {p.relative_to(root).as_posix() for p in Path(root).rglob("*") if p.is_file()}


# --- Running things --------------------------------------------------------------------------


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


def git(*args, cwd):
    """Run git with a fixed identity and without the user's global configuration."""
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }
    return run(["git", *args], cwd=cwd, env=env)


def cookiecutter_cli(output_dir, *answers, template=TEMPLATE, cwd=None, env=None):
    """Run the cookiecutter command line without prompts; return the finished process."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "cookiecutter",
            str(template),
            "--no-input",
            "--output-dir",
            str(output_dir),
            *answers,
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _template_noxfile():
    """Import the template's noxfile, home of the Metaflow variables the sessions also use."""
    spec = importlib.util.spec_from_file_location("template_noxfile", TEMPLATE / "noxfile.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


NOXFILE = _template_noxfile()


def metaflow_env(root, max_workers=2):
    """Return this environment with Metaflow's state (datastore, caches, config) under root."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("METAFLOW_")}
    env.update(NOXFILE.metaflow_variables(root))
    env["METAFLOW_RUN_MAX_WORKERS"] = str(max_workers)
    # Metaflow re-imports the flow in every task: cached bytecode makes that three times faster.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


# --- Rendered and installed projects ---------------------------------------------------------

# The smoke run of the rendered tournament flow (the tiny config its tests and CI use).
SMOKE_RUN = (
    "python",
    "flows/model_selection.py",
    "--no-pylint",
    "--config",
    "tournament",
    "configs/smoke.toml",
    "run",
)


def render(output_dir, **answers):
    """Render the template without prompts and return the project folder."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    return Path(
        cookiecutter(
            str(TEMPLATE), no_input=True, output_dir=str(output_dir), extra_context=answers
        )
    )


class Baked:
    """A rendered project: its folder, the answers it was rendered with, and ways to look in."""

    def __init__(self, path, answers=None):
        self.path = Path(path)
        self.answers = answers_of(answers or {})

    def has_file(self, relative):
        return (self.path / relative).is_file()

    def read(self, relative):
        return (self.path / relative).read_text(encoding="utf-8")

    def files(self):
        """Return every file of the project, relative to its root."""
        return files_below(self.path)

    def environment(self, env=None):
        """Return the environment commands run with."""
        return {**os.environ, **(env or {})}

    def run(self, *command, env=None, timeout=1800):
        """Run a command in the project folder, failing the test when it fails."""
        return run(command, cwd=self.path, env=self.environment(env), timeout=timeout)


def bake(output_dir, **answers):
    """Render the template with these answers; return the project."""
    return Baked(render(output_dir, **answers), answers)


class InstalledProject(Baked):
    """A rendered project installed (editable, with extras) into a venv shared per extras set."""

    def __init__(self, path, python, env, answers=None):
        super().__init__(path, answers)
        self.python = python
        self.env = env

    @property
    def bin(self):
        return Path(self.python).parent

    def environment(self, env=None):
        """Return the project's isolated environment with its venv first on PATH."""
        full_env = {**self.env, **(env or {})}
        full_env["PATH"] = f"{self.bin}{os.pathsep}{full_env.get('PATH', '')}"
        full_env["VIRTUAL_ENV"] = str(self.bin.parent)
        return full_env


class ProjectFactory:
    """Render and install projects; one venv per set of extras, reused across variants."""

    def __init__(self, root):
        self.root = Path(root)
        self.venvs = {}
        self.projects = {}

    def venv(self, name):
        """Create (once) the named venv."""
        if name not in self.venvs:
            path = self.root / f"venv-{name}"
            run([uv(), "venv", "--quiet", "--python", sys.executable, path], cwd=self.root)
            self.venvs[name] = path / "bin" / "python"
        return self.venvs[name]

    def __call__(self, extras=("dev",), venv=None, **answers):
        """Return the installed project rendered with these answers (cached per answers).

        Projects share the venv named after their extras, or the one named by venv.
        """
        extras = tuple(extras)
        venv = venv or "-".join(extras)
        key = (extras, venv, tuple(sorted(answers.items())))
        if key in self.projects:
            return self.projects[key]
        name = f"project{len(self.projects)}"
        if self.projects and "project_name" not in answers:
            # Editable installs sharing a venv need distinct package names.
            answers = {**answers, "project_name": f"Model Tournament {len(self.projects)}"}
        path = render(self.root / name, **answers)
        python = self.venv(venv)
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
        project = InstalledProject(path, python, env, answers)
        self.projects[key] = project
        return project


def install(factory, answers):
    """Install a variant (see VARIANTS) with its dev and cloud extras, in a shared venv.

    Keras variants get a venv of their own: Keras and JAX stay out of the others'.
    """
    venv = "dev-cloud-keras" if answers.get("neural_net") == "keras" else None
    return factory(extras=("dev", "cloud"), venv=venv, **installable(answers))

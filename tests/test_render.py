"""Rendering: every variant has exactly its files, no template syntax, and parses and lints."""

import ast
import json
import subprocess
import sys
import tomllib

import pytest
import yaml

from conftest import render

VARIANTS = {
    "default": {},
    "classification-keras": {"task": "classification", "neural_net": "keras"},
    "no-neural-net-no-notebook-no-ci": {
        "neural_net": "none",
        "include_notebook": False,
        "ci": "none",
    },
    "python3.10-proprietary": {"python_version": "3.10", "license": "Proprietary"},
    "python3.13-bsd-apache": {"python_version": "3.13", "license": "BSD-3-Clause"},
}

# Every file of the default project, relative to its root; PKG stands for the package folder.
COMMON_FILES = {
    ".gitignore",
    ".dockerignore",
    ".pre-commit-config.yaml",
    "Dockerfile",
    "LICENSE",
    "README.md",
    "noxfile.py",
    "pyproject.toml",
    "benchmarks/benchmark_tournament.py",
    "configs/default.toml",
    "configs/full.toml",
    "configs/smoke.toml",
    "flows/common.py",
    "flows/model_selection.py",
    "flows/predict.py",
    "src/PKG/__init__.py",
    "src/PKG/config.py",
    "src/PKG/contenders.py",
    "src/PKG/data.py",
    "src/PKG/evaluation.py",
    "src/PKG/loading.py",
    "src/PKG/models/__init__.py",
    "src/PKG/models/lightgbm.py",
    "src/PKG/models/mlp.py",
    "src/PKG/plots.py",
    "src/PKG/preprocessing.py",
    "tests/conftest.py",
    "tests/test_config.py",
    "tests/test_contenders.py",
    "tests/test_data.py",
    "tests/test_evaluation.py",
    "tests/test_flow.py",
    "tests/test_loading.py",
    "tests/test_models.py",
    "tests/test_predict.py",
    "tests/test_resume.py",
}
KERAS_FILES = {"src/PKG/models/keras.py", "tests/test_keras_model.py"}
NOTEBOOK_FILES = {"notebooks/debug.ipynb", "tests/test_notebook.py"}
GITHUB_FILES = {".github/workflows/ci.yml", ".github/dependabot.yml"}


def expected_files(answers, package):
    """Return the file set a project rendered with these answers must have."""
    files = set(COMMON_FILES)
    if answers.get("neural_net") == "keras":
        files |= KERAS_FILES
    if answers.get("include_notebook", True):
        files |= NOTEBOOK_FILES
    if answers.get("ci", "github") == "github":
        files |= GITHUB_FILES
    return {name.replace("PKG", package) for name in files}


def rendered_files(project):
    """Return every file below project, relative to it, as POSIX paths."""
    return {p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()}


@pytest.fixture(scope="module", params=list(VARIANTS), ids=list(VARIANTS))
def variant(request, tmp_path_factory):
    """Render one variant; return its answers and project folder."""
    answers = VARIANTS[request.param]
    return answers, render(tmp_path_factory.mktemp(request.param), **answers)


def test_renders_exactly_the_expected_files(variant):
    answers, project = variant
    assert rendered_files(project) == expected_files(answers, "model_tournament")


def test_leaves_no_template_syntax(variant):
    _, project = variant
    for path in project.rglob("*"):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        if path.parent.name == "workflows":
            # GitHub Actions expressions are meant to survive rendering.
            text = text.replace("${{", "")
        for leftover in ("{{", "{%", "cookiecutter"):
            assert leftover not in text, f"{leftover!r} left in {path.relative_to(project)}"


def test_every_structured_file_parses(variant):
    _, project = variant
    parsers = {
        ".toml": lambda text: tomllib.loads(text),
        ".yaml": yaml.safe_load,
        ".yml": yaml.safe_load,
        ".json": json.loads,
        ".ipynb": json.loads,
        ".py": ast.parse,
    }
    for path in project.rglob("*"):
        parse = parsers.get(path.suffix)
        if parse and path.is_file():
            parse(path.read_text(encoding="utf-8"))


def test_passes_ruff_check_and_format(variant):
    _, project = variant
    for command in (["check", "--no-cache", "."], ["format", "--no-cache", "--check", "."]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_keeps_the_oldest_python_version_in_metadata_and_lint_target(variant):
    answers, project = variant
    version = answers.get("python_version", "3.11")
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["requires-python"] == f">={version}"
    assert pyproject["tool"]["ruff"]["target-version"] == "py" + version.replace(".", "")


def test_offers_the_keras_extra_only_with_keras(variant):
    answers, project = variant
    extras = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    assert ("keras" in extras) == (answers.get("neural_net") == "keras")

"""Rendering: every variant has exactly its files, no template syntax, and parses and lints.

The variants come from cookiecutter.json (bake.VARIANTS): a new choice is rendered and checked
here without editing this file.
"""

import ast
import json
import subprocess
import sys
import tomllib

import pytest
import yaml

from bake import (
    CHOICES,
    CONTEXT,
    DEFAULTS,
    FILES,
    SINGLE_CHOICES,
    VARIANTS,
    answer_key,
    answers_of,
    bake,
    expected_files,
    matches,
)


@pytest.fixture(scope="module", params=list(VARIANTS), ids=list(VARIANTS))
def variant(request, tmp_path_factory):
    """Render one variant; return the project."""
    return bake(tmp_path_factory.mktemp("variant"), **VARIANTS[request.param])


def test_variants_give_every_choice_of_every_prompt():
    rendered = {(name, json.dumps(answers_of(a)[name])) for a in VARIANTS.values() for name in a}
    rendered |= {(name, json.dumps(value)) for name, value in DEFAULTS.items()}
    offered = {
        (name, json.dumps(option)) for name, options in CHOICES.items() for option in options
    }
    assert rendered == offered


def test_optional_files_are_declared_for_offered_answers_and_existing_files():
    for name, groups in CONTEXT["_only_with"].items():
        offered = {answer_key(option) for option in CHOICES[name]}
        assert set(groups) <= offered, f"_only_with.{name} names an answer it does not offer"
        for patterns in groups.values():
            for pattern in patterns:
                assert any(matches(f, pattern) for f in FILES), f"{pattern} matches no file"


def test_renders_exactly_the_expected_files(variant):
    assert variant.files() == expected_files(variant.answers)


@pytest.fixture(scope="module")
def default(tmp_path_factory):
    """The project rendered with every default answer."""
    return bake(tmp_path_factory.mktemp("default"))


@pytest.mark.parametrize("choice", list(SINGLE_CHOICES))
def test_every_choice_changes_the_rendered_project(tmp_path, default, choice):
    """A choice that renders the same project as the default would be a dead option."""
    chosen = bake(tmp_path / "chosen", **SINGLE_CHOICES[choice])
    assert chosen.files() == expected_files(SINGLE_CHOICES[choice])
    changed = chosen.files() ^ default.files()
    changed |= {
        name for name in chosen.files() & default.files() if chosen.read(name) != default.read(name)
    }
    assert changed, f"{choice} renders the same project as the defaults"


def test_leaves_no_template_syntax(variant):
    for name in variant.files():
        text = variant.read(name)
        if name.startswith(".github/workflows/"):
            # GitHub Actions expressions are meant to survive rendering.
            text = text.replace("${{", "")
        for leftover in ("{{", "{%", "{#", "cookiecutter"):
            assert leftover not in text, f"{leftover!r} left in {name}"


def test_every_structured_file_parses(variant):
    parsers = {
        ".toml": tomllib.loads,
        ".yaml": yaml.safe_load,
        ".yml": yaml.safe_load,
        ".json": json.loads,
        ".ipynb": json.loads,
        ".py": ast.parse,
    }
    for name in variant.files():
        parse = parsers.get("." + name.rpartition(".")[2])
        if parse:
            parse(variant.read(name))


def test_passes_ruff_check_and_format(variant):
    for command in (["check", "--no-cache", "."], ["format", "--no-cache", "--check", "."]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command],
            cwd=variant.path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_keeps_the_oldest_python_version_in_metadata_and_lint_target(variant):
    version = variant.answers["python_version"]
    pyproject = tomllib.loads(variant.read("pyproject.toml"))
    assert pyproject["project"]["requires-python"] == f">={version}"
    assert pyproject["tool"]["ruff"]["target-version"] == "py" + version.replace(".", "")


def test_requires_keras_only_with_keras(variant):
    project = tomllib.loads(variant.read("pyproject.toml"))["project"]
    requirements = project["dependencies"] + sum(project["optional-dependencies"].values(), [])
    keras = any(requirement.startswith("keras") for requirement in requirements)
    assert keras == (variant.answers["neural_net"] == "keras")

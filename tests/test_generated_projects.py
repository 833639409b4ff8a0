"""Rendered projects install with their dev extras and pass their own lint, tests and flows."""

import pytest

pytestmark = pytest.mark.slow

# answers, extras, and the rendered suite's pytest selection. Variants that share extras share
# one venv (the default project, with the cloud extra, is also the one the tooling and scale-out
# tests use). The variant without a neural net runs its unit tests and a command-line smoke run.
VARIANTS = {
    "regression-mlp": ({}, ("dev", "cloud"), ()),
    "classification-mlp": ({"task": "classification", "ci": "none"}, ("dev", "cloud"), ()),
    "classification-keras": (
        {"task": "classification", "neural_net": "keras"},
        ("dev", "keras"),
        (),
    ),
    "regression-no-neural-net": (
        {"neural_net": "none", "include_notebook": False},
        ("dev", "cloud"),
        ("-m", "not flow"),
    ),
}


@pytest.fixture(scope="module", params=list(VARIANTS), ids=list(VARIANTS))
def variant(request, installed_project):
    """Render and install one variant (with bytecode compiled) into its shared venv."""
    answers, extras, selection = VARIANTS[request.param]
    return installed_project(extras=extras, **answers), selection


def test_rendered_project_lints_clean_with_its_own_ruff(variant):
    project, _ = variant
    project.run("ruff", "check", ".")
    project.run("ruff", "format", "--check", ".")


def test_rendered_test_suite_passes(variant):
    project, selection = variant
    result = project.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *selection)
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed" in summary
    assert "skipped" not in summary
    assert "deselected" in summary or not selection


def test_smoke_tournament_runs_from_the_command_line(variant):
    project, _ = variant
    result = project.run(
        "python",
        "flows/model_selection.py",
        "--no-pylint",
        "--config",
        "tournament",
        "configs/smoke.toml",
        "run",
    )
    assert "Done!" in result.stdout + result.stderr

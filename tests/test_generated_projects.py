"""Rendered projects install with their dev extras and pass their own lint, tests and flows."""

import pytest

pytestmark = pytest.mark.slow

# One installed project per variant; variants that share extras share one venv.
VARIANTS = {
    "regression-mlp": ({"task": "regression"}, ("dev",)),
    "classification-mlp": ({"task": "classification", "ci": "none"}, ("dev",)),
    "classification-keras": ({"task": "classification", "neural_net": "keras"}, ("dev", "keras")),
}


@pytest.fixture(scope="module", params=list(VARIANTS), ids=list(VARIANTS))
def project(request, installed_project):
    """Render and install one variant (with bytecode compiled) into its shared venv."""
    answers, extras = VARIANTS[request.param]
    return installed_project(extras=extras, **answers)


def test_rendered_project_lints_clean_with_its_own_ruff(project):
    project.run("ruff", "check", ".")
    project.run("ruff", "format", "--check", ".")


def test_rendered_test_suite_passes(project):
    result = project.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert " passed" in result.stdout
    assert " skipped" not in result.stdout


def test_smoke_tournament_runs_from_the_command_line(project):
    result = project.run(
        "python",
        "flows/model_selection.py",
        "--no-pylint",
        "--config",
        "tournament",
        "configs/smoke.toml",
        "run",
    )
    assert "Done!" in result.stderr + result.stdout

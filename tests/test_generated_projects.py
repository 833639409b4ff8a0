"""Rendered projects install with their extras and pass their own lint, tests and flows.

Every variant of bake.VARIANTS (from cookiecutter.json) is installed, with an oldest Python
above this interpreter lowered to it; variants that share extras share one venv, which the
tooling, scale-out and hook tests reuse.
"""

import pytest

from bake import SMOKE_RUN, VARIANTS, install

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=list(VARIANTS))
def project(request, installed_project):
    """Render and install one variant (with bytecode compiled) into its shared venv."""
    return install(installed_project, VARIANTS[request.param])


def test_rendered_project_lints_clean_with_its_own_ruff(project):
    project.run("ruff", "check", ".")
    project.run("ruff", "format", "--check", ".")


def test_rendered_test_suite_passes(project):
    result = project.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed" in summary
    for word in ("skipped", "deselected", "xfail", "failed", "error"):
        assert word not in summary, summary


def test_smoke_tournament_runs_from_the_command_line(project):
    result = project.run(*SMOKE_RUN)
    assert "Done!" in result.stdout + result.stderr

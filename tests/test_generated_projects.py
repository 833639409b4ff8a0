"""Rendered projects install with their extras, pass their own lint and tests, and run their flows.

Every variant of bake.VARIANTS (from cookiecutter.json) is installed, with an oldest Python
above this interpreter lowered to it; variants that share extras share one venv, which the
tooling, scale-out and hook tests reuse.
"""

import pytest

from bake import CHOICES, SMOKE_RUN, VARIANTS, answers_of, install

pytestmark = pytest.mark.slow


def _flow_test_variants():
    """Return the fewest variants whose flow tests fit every problem and every neural net.

    The flow tests (`-m flow`) are most of a rendered suite's time and differ between variants
    only in what the flows fit; the other variants run the fast tests, and every variant runs
    the smoke tournament from the command line.
    """
    wanted = {("problem", choice) for choice in CHOICES["problem"]} | {
        ("neural_net", choice) for choice in CHOICES["neural_net"] if choice != "none"
    }
    chosen = set()
    for variant, answers in VARIANTS.items():
        answered = set(answers_of(answers).items())
        if answered & wanted:
            chosen.add(variant)
            wanted -= answered
    assert not wanted, f"no variant fits {wanted}"
    return chosen


FLOW_TEST_VARIANTS = _flow_test_variants()


@pytest.fixture(scope="module", params=list(VARIANTS))
def project(request, installed_project):
    """Render and install one variant (with bytecode compiled) into its shared venv."""
    return install(installed_project, VARIANTS[request.param])


def test_rendered_project_lints_clean_with_its_own_ruff(project):
    project.run("ruff", "check", ".")
    project.run("ruff", "format", "--check", ".")


def test_rendered_test_suite_passes(project, request):
    fast_only = request.node.callspec.params["project"] not in FLOW_TEST_VARIANTS
    selection = ("-m", "not flow") if fast_only else ()
    result = project.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *selection)
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed" in summary
    for word in ("skipped", "deselected", "xfail", "failed", "error"):
        if not (fast_only and word == "deselected"):
            assert word not in summary, summary


def test_smoke_tournament_runs_from_the_command_line(project):
    result = project.run(*SMOKE_RUN)
    assert "Done!" in result.stdout + result.stderr

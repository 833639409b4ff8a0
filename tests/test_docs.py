"""The rendered project's README and docs keep their promises: every command they show is run by
a named test (here or in the rendered project's own suite), or listed with the reason it is not.

Adding a command to the docs therefore means naming its test, or saying why none can run it.
"""

import re

import pytest

from bake import TEMPLATE, bake

RENDERED_TESTS = "{{cookiecutter.project_slug}}/tests"
DOCS = ["README.md", "docs/tournament.md", "docs/operations.md", "docs/scale-out.md"]
DOCS += ["benchmarks/README.md"]

# Command -> the test that runs it (template tests under tests/, rendered ones under
# RENDERED_TESTS). <package> and <slug> stand for the rendered names.
RUN_BY = {
    "uv sync": "tests/test_uv.py::test_the_first_sync_writes_a_current_lock_with_metaflow_and_its_stubs_alike",
    "uv run python flows/model_selection.py run": "tests/test_readme.py::test_readme_demo_line_renders_a_project_and_runs_its_flow",
    "uv run nox -s tests": "tests/test_uv.py::test_the_tests_session_runs_pytest_with_its_options",
    "uv run pytest -m \"not flow\"": "tests/test_uv.py::test_the_fast_tests_pass_under_uv_run",
    "uv run python flows/model_selection.py --config tournament configs/smoke.toml run": "tests/test_generated_projects.py::test_smoke_tournament_runs_from_the_command_line",
    "uv run python flows/model_selection.py run --data my.csv --seed 7": f"{RENDERED_TESTS}/test_flow.py::test_command_line_data_and_seed_are_used",
    "uv run python flows/predict.py run --data new_rows.csv": f"{RENDERED_TESTS}/test_real_tables.py::test_the_predict_flow_scores_the_messy_tables_new_rows",
    "uv run python flows/predict.py run --data new_rows.parquet --output scored.parquet": f"{RENDERED_TESTS}/test_predict.py::test_scores_a_chosen_run_and_reports_what_training_never_saw",
    "uv run python flows/predict.py run --model_run 1234 --data new_rows.csv": f"{RENDERED_TESTS}/test_predict.py::test_scores_a_chosen_run_and_reports_what_training_never_saw",
    "uv run python flows/predict.py run": f"{RENDERED_TESTS}/test_predict.py::test_default_scores_mock_rows_with_the_champion_into_parquet",
    "uv run python -m <package>.champion show": f"{RENDERED_TESTS}/test_champion_flow.py::test_a_rollback_by_hand_moves_the_tag",
    "uv run python -m <package>.champion show --branch prod": f"{RENDERED_TESTS}/test_champion_flow.py::test_a_rollback_by_hand_moves_the_tag",
    "uv run python -m <package>.champion promote 1234": f"{RENDERED_TESTS}/test_champion_flow.py::test_a_rollback_by_hand_moves_the_tag",
    "uv run python flows/model_selection.py resume --origin-run-id 1234": f"{RENDERED_TESTS}/test_resume.py::test_resume_clones_every_fit_and_the_tournament",
    "uv run python flows/model_selection.py resume tournament --origin-run-id 1234": f"{RENDERED_TESTS}/test_resume.py::test_resume_from_a_step_reuses_the_original_config",
    "uv run nox -s lint": "tests/test_tooling.py::test_rendered_pre_commit_and_nox_lint_pass",
    "uv run nox -s typecheck": "tests/test_uv.py::test_the_typecheck_session_passes",
    "uv run nox -s flows": "tests/test_uv.py::test_the_flows_session_keeps_its_runs_inside_nox",
    "uv run nox -s hooks": "tests/test_uv.py::test_the_hooks_session_passes_on_a_fresh_repository",
    "uv run nox -s notebook": "tests/test_uv.py::test_the_notebook_session_executes_the_debug_notebook",
    "uv run python flows/model_selection.py package list": "tests/test_code_package.py::test_package_list_shows_the_package_source",
    "uv lock": "tests/test_docker.py::test_build_context_holds_what_the_install_needs",
    "uv run python -c \"from <package> import config, search_space; c = config.load('configs/full.toml'); print(len(search_space.expand(c['contenders'], c['run']['seed'])) * c['data']['n_folds'])\"": "tests/test_deploy.py::test_docs_split_count_fits_max_num_splits",
    "uv run python flows/model_selection.py --config tournament configs/full.toml argo-workflows create --max-workers 200": "tests/test_deploy.py::test_argo_workflow_template_from_full_config",
    "uv run python flows/predict.py argo-workflows create": "tests/test_deploy.py::test_argo_predict_flow_is_triggered_by_the_tournament",
    "uv run python flows/model_selection.py --config tournament configs/full.toml airflow create model_selection_dag.py": "tests/test_deploy.py::test_airflow_dag_from_full_config",
}  # fmt: skip

# Command -> why no test runs it.
NOT_RUN = {
    "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]'": "pip resolves the same "
    "pyproject.toml that every generated-project test installs with `uv pip install -e`",
    ".venv/bin/python flows/model_selection.py run": "the default run, as in the demo test; "
    "only the venv differs",
    "uv run nox": "runs the sessions one after another; each has its own test",
    "uv run pre-commit install": "writes a git hook; the hooks themselves run in "
    "test_uv.py and test_tooling.py",
    "uv sync --extra cloud": "the generated-project tests install the cloud extra with uv pip",
    "uv run metaflow configure aws": "interactive, and needs an AWS account",
    "uv run metaflow configure kubernetes": "interactive, and needs a cluster",
    "docker build -t registry.example.com/<slug>:0.1.0 .": "no Docker engine on the test "
    "machines; test_docker.py lints the recipe and dry-runs its uv sync on its build context",
    "docker run --rm registry.example.com/<slug>:0.1.0": "needs the image built above",
    "docker push registry.example.com/<slug>:0.1.0": "needs a registry",
    "uv run python flows/model_selection.py --config tournament configs/full.toml run "
    "--with kubernetes --max-num-splits 5000 --max-workers 200": "needs a cluster; "
    "test_code_package.py runs a step the way its pods do",
    "uv run python flows/model_selection.py --config tournament configs/full.toml run "
    "--with batch --max-num-splits 5000 --max-workers 200": "needs AWS Batch",
    "uv run python flows/model_selection.py argo-workflows trigger --seed 7": "needs an Argo "
    "Workflows server; the template it triggers is compiled in test_deploy.py",
    "uv run python flows/model_selection.py --config tournament configs/full.toml "
    "step-functions create --use-distributed-map --max-workers 200": "calls AWS APIs even to "
    "compile",
    "uv run python flows/model_selection.py --environment=uv run --with kubernetes": "needs a "
    "cluster; test_uv.py installs the project from the files this environment ships",
    "uv run python benchmarks/benchmark_tournament.py": "minutes of fitting; test_readme.py "
    "runs the same script at --size tiny through `nox -s benchmark`",
    "uv run python benchmarks/benchmark_tournament.py --size large": "longer still",
    "uv run python benchmarks/benchmark_tournament.py --layout both": "adds a run with one task "
    "per fit to the tiny run's; the flow tests run one task per fit",
    "uv run python benchmarks/benchmark_tournament.py --rounds 3": "test_readme.py runs two "
    "rounds at --size tiny",
}


@pytest.fixture(scope="module")
def commands(tmp_path_factory):
    """Every fenced shell command of the default project's README and docs, names generalised."""
    project = bake(tmp_path_factory.mktemp("docs"))
    package = next((project.path / "src").iterdir()).name
    found = []
    for name in DOCS:
        text = project.read(name)
        for block in re.findall(r"^```(?:bash|sh|console)\n(.*?)^```", text, re.M | re.S):
            for line in block.splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    command = line.split("  #")[0].strip()
                    command = command.replace(package, "<package>")
                    found.append(command.replace(project.path.name, "<slug>"))
    return found


def test_every_documented_command_is_run_by_a_test_or_listed_with_a_reason(commands):
    assert not set(RUN_BY) & set(NOT_RUN)
    unaccounted = sorted(set(commands) - set(RUN_BY) - set(NOT_RUN))
    assert not unaccounted, "no test runs these, and no reason is given:\n" + "\n".join(unaccounted)
    stale = sorted((set(RUN_BY) | set(NOT_RUN)) - set(commands))
    assert not stale, "listed here but in no document:\n" + "\n".join(stale)


@pytest.mark.parametrize("reference", sorted(set(RUN_BY.values())))
def test_every_named_test_exists(reference):
    path, name = reference.split("::")
    source = (TEMPLATE / path).read_text(encoding="utf-8")
    assert re.search(rf"^def {name}\(", source, re.M), f"{reference} is not a test"

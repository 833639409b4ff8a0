"""A tournament that fails late is resumed: finished tasks are cloned, only the tail re-runs."""

import pytest
from conftest import tournament_runner

from {{ cookiecutter.package_name }}.loading import ModelLoadError, load_model

pytestmark = pytest.mark.flow

RERUN = {"report", "end"}


def runner(flow_env, cwd, results_dir, **options):
    """A tournament Runner in cwd whose report step writes under results_dir."""
    env = {**flow_env, "TOURNAMENT_RESULTS_DIR": str(results_dir)}
    return tournament_runner(env, cwd=cwd, **options)


@pytest.fixture(scope="module")
def failed_run(configs_dir, flow_env, tmp_path_factory):
    """A smoke tournament whose `report` step fails: its results folder is a file."""
    cwd = tmp_path_factory.mktemp("failing")
    blocker = cwd / "not-a-folder"
    blocker.write_text("report cannot create results/<run-id>/ under a file\n")
    with runner(flow_env, cwd, blocker, config=configs_dir / "smoke.toml") as r:
        result = r.run(max_workers=2)
    assert result.status == "failed", result.stderr
    return result.run


def test_failed_run_stops_at_report_and_is_not_loadable(failed_run):
    assert failed_run["evaluate"].task.successful
    assert failed_run["fit_final"].task.successful
    assert not failed_run["report"].task.successful
    assert "end" not in failed_run
    with pytest.raises(ModelLoadError, match="did not finish successfully"):
        load_model(failed_run)


def test_resume_reruns_only_the_failed_tail(failed_run, flow_env, tmp_path):
    results = tmp_path / "results"
    with runner(flow_env, tmp_path, results) as r:
        resumed = r.resume(origin_run_id=failed_run.id, max_workers=2)
    assert resumed.status == "successful", resumed.stderr
    run = resumed.run
    assert run.id != failed_run.id

    for step in run:
        for task in step:
            metadata = task.metadata_dict
            assert metadata.get("origin-run-id") == failed_run.id
            cloned = "origin-task-id" in metadata
            assert cloned == (step.id not in RERUN), task.pathspec

    origin_fits = {task.id for task in failed_run["fit"]}
    cloned_fits = {task.metadata_dict["origin-task-id"] for task in run["fit"]}
    assert cloned_fits == origin_fits

    model = run["end"].task["model"]
    assert model.sha == failed_run["fit_final"].task["model"].sha
    assert (results / run.id).is_dir()
    assert load_model(run).pathspec == run.pathspec

{%- if cookiecutter.include_notebook %}


def test_debug_notebook_opens_the_failed_run(failed_run):
    from test_notebook import execute, printed

    text = printed(execute(failed_run.pathspec))
    assert f"{failed_run.pathspec}: failed" in text
    assert f"--- {failed_run.pathspec}/report/" in text
    final = [line for line in text.splitlines() if line.startswith("fit_final: ")]
    assert "model" in final[0].split(": ", 1)[1].split(", ")
    assert "matches the stored leaderboard: True" in text
    assert "did not succeed" in text
{%- endif %}

"""A tournament that fails in `end` is resumed: every fit and the tournament step are cloned,
only `end` runs again. The runs go to the production branch, whose champion the predict flow
then uses."""

import pytest
from conftest import (
    one_candidate_each,
    run_predict,
    smoke_config,
    succeeded,
    tournament_runner,
)

from {{ cookiecutter.package_name }}.runs import ModelLoadError, load_model

pytestmark = pytest.mark.flow


def config():
    """Two families (so the default config's ensemble would show), no ensemble of its own."""
    return one_candidate_each(smoke_config(), ["lightgbm", "linear"])


def resume(origin, results, cwd, step=None):
    env = None if results is None else {"TOURNAMENT_RESULTS_DIR": str(results)}
    options = {} if step is None else {"step_to_rerun": step}
    with tournament_runner(production=True, env=env, cwd=cwd) as runner:
        result = runner.resume(origin_run_id=origin.id, max_workers=2, **options)
        result.stderr_text = result.stderr
        return result


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory):
    """A tournament whose `end` fails: its results folder would be under a file."""
    import os

    cwd = tmp_path_factory.mktemp("failing")
    blocker = cwd / "not-a-folder"
    blocker.write_text("end cannot create results/<run-id>/ under a file\n")
    env = {**os.environ, "TOURNAMENT_RESULTS_DIR": str(blocker)}
    with tournament_runner(config_value=config(), production=True, env=env, cwd=cwd) as runner:
        result = runner.run(max_workers=2)
        assert result.status == "failed", result.stderr
        return result.run

{%- if cookiecutter.include_notebook %}


def test_debug_notebook_opens_the_latest_run_by_default(failed_run):
    """Run first in this module: the failed run is then the newest run of this user."""
    from test_notebook import execute, printed

    text = printed(execute())
    assert f"{failed_run.pathspec}: failed" in text
    assert f"--- {failed_run.pathspec}/end/" in text
    joined = [line for line in text.splitlines() if line.startswith("tournament: ")]
    assert "model" in joined[0].split(": ", 1)[1].split(", ")
    assert "matches the stored leaderboard: True" in text
    assert "| same: True" in text
    assert "the run did not finish successfully" in text
{%- endif %}


def test_failed_run_stops_at_end_and_is_not_loadable(failed_run):
    assert failed_run["tournament"].task.successful
    assert not failed_run["end"].task.successful
    assert "Not a directory" in failed_run["end"].task.stderr
    with pytest.raises(ModelLoadError, match="did not finish successfully"):
        load_model(failed_run)


@pytest.fixture(scope="module")
def resumed(failed_run, tmp_path_factory):
    cwd = tmp_path_factory.mktemp("resumed")
    return succeeded(resume(failed_run, cwd / "results", cwd)), cwd / "results"


def origins(run):
    """step -> whether each of its tasks was cloned from another run."""
    return {step.id: {"origin-task-id" in task.metadata_dict for task in step} for step in run}


def test_resume_clones_every_fit_and_the_tournament(failed_run, resumed):
    run, results = resumed
    assert run.id != failed_run.id
    assert origins(run) == {step.id: {step.id != "end"} for step in failed_run}
    for step in run:
        for task in step:
            assert task.metadata_dict.get("origin-run-id") == failed_run.id, task.pathspec
    original = {task.id for task in failed_run["fit"]}
    assert {task.metadata_dict["origin-task-id"] for task in run["fit"]} == original
    assert run["end"].task["model"].sha == failed_run["tournament"].task["model"].sha
    assert (results / run.id / "summary.txt").is_file()


def test_the_resumed_run_is_the_production_champion(resumed, tmp_path):
    run, _ = resumed
    assert "champion" in run.user_tags
    assert load_model(branch="prod").pathspec == run.pathspec
    predicted = succeeded(run_predict(production=True, cwd=tmp_path))
    assert predicted["end"].task.data.model_pathspec == run.pathspec
    assert "project_branch:prod" in predicted.system_tags


def test_resume_from_a_step_reuses_the_original_config(failed_run, resumed, tmp_path):
    """`resume tournament`: the tournament and end run again, with the run's own config (the
    default config would add an ensemble row and refit another linear model)."""
    run = succeeded(resume(failed_run, tmp_path / "results", tmp_path, step="tournament"))
    assert origins(run) == {step.id: {step.id not in ("tournament", "end")} for step in failed_run}
    assert run["start"].task["config"].data == failed_run["start"].task["config"].data
    board = run.data.leaderboard
    assert "ensemble" not in set(board["candidate"])
    original = failed_run["tournament"].task.data
    assert list(board["candidate"]) == list(original.leaderboard["candidate"])
    assert run.data.test_score == original.test_score

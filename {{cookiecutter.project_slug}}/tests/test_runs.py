"""Finding, vetting and loading tournament runs (`runs.load_model` and friends)."""

import pytest

from {{ cookiecutter.package_name }} import runs
from {{ cookiecutter.package_name }}.runs import ModelLoadError, load_model

pytestmark = pytest.mark.flow


def user_branch(run):
    (tag,) = [tag for tag in run.system_tags if tag.startswith("project_branch:")]
    return tag.split(":", 1)[1]


def test_loads_the_model_by_run_pathspec_and_id(smoke_run):
    schema = smoke_run["end"].task["schema"].data
    rows = smoke_run["start"].task["test_data"].data
    for reference in (smoke_run, smoke_run.pathspec, smoke_run.id, int(smoke_run.id)):
        loaded = load_model(reference)
        assert loaded.pathspec == smoke_run.pathspec
        assert loaded.schema == schema
        predicted = loaded.predict(rows)
        assert list(predicted["prediction"]) == list(smoke_run.data.model.predict(rows))


def test_default_is_the_champion_of_your_branch(smoke_run):
    """The smoke run is the only tournament on the user branch: its champion and latest run."""
    branch = user_branch(smoke_run)
    assert branch == runs.default_branch()
    assert "champion" in smoke_run.user_tags
    assert runs.champion_run(branch).id == smoke_run.id
    assert runs.latest_run(branch).id == smoke_run.id
    run, reason = runs.choose()
    assert (run.id, reason) == (smoke_run.id, f"the champion of branch {branch}")
    assert load_model().pathspec == smoke_run.pathspec
    assert load_model(branch=branch).pathspec == smoke_run.pathspec


def test_a_branch_without_runs_is_refused_by_name(smoke_run):
    with pytest.raises(ModelLoadError, match="on branch 'test.nobody'"):
        load_model(branch="test.nobody")


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("another flow", "it is a run of OtherFlow, not ModelSelectionFlow"),
        (
            "another project",
            "it belongs to project 'someone_else', not '{{ cookiecutter.package_name }}'",
        ),
    ],
)
def test_refuses_foreign_runs_before_reading_artifacts(kind, reason, foreign_runs, monkeypatch):
    from metaflow.client.core import DataArtifact

    run = foreign_runs[kind]

    def no_unpickling(self):
        raise AssertionError(f"{self.pathspec} was unpickled")

    monkeypatch.setattr(DataArtifact, "data", property(no_unpickling))
    for reference in (run, run.pathspec):
        with pytest.raises(ModelLoadError, match=reason):
            load_model(reference)


def test_refuses_malformed_and_unknown_references(smoke_run):
    with pytest.raises(ModelLoadError, match="is not a run"):
        load_model(f"{smoke_run.pathspec}/end")
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_model("ModelSelectionFlow/999999999")

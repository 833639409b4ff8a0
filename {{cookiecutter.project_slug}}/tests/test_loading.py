"""Safe model loading and the feature-schema check."""

import textwrap

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.loading import (
    ModelLoadError,
    SchemaError,
    check_frame,
    load_model,
    vetted_run,
)

SCHEMA = {
    "columns": ["category", "x0", "x1"],
    "dtypes": {"category": "object", "x0": "float64", "x1": "int64"},
    "target": "target",
    "task": "regression",
    "classes": None,
}


def frame(**columns):
    base = {"x1": [1, 2], "category": ["a", "b"], "x0": [0.5, 1.5]}
    base.update(columns)
    return pd.DataFrame({name: values for name, values in base.items() if values is not None})


def test_check_frame_orders_columns_and_drops_the_target():
    checked = check_frame(frame(target=[3.0, 4.0]), SCHEMA)
    assert list(checked.columns) == SCHEMA["columns"]
    assert str(checked["x1"].dtype) == "int64"


def test_check_frame_accepts_compatible_types():
    # ints for floats, bools for numbers, floats with missing values for ints, all-missing text
    checked = check_frame(frame(x0=[1, 2], x1=[1.0, None], category=[None, None]), SCHEMA)
    assert checked["x0"].dtype == "float64"
    assert checked["x1"].isna().sum() == 1
    check_frame(frame(x1=[True, False]), SCHEMA)


def test_check_frame_names_every_problem_at_once():
    bad = frame(x0=None, x1=["one", "two"], extra=[0, 0], other=[1, 1])
    with pytest.raises(SchemaError) as raised:
        check_frame(bad, SCHEMA)
    message = str(raised.value)
    assert "missing columns: x0" in message
    assert "unexpected columns: extra, other" in message
    assert "incompatible types: x1 (trained as int64, got " in message


def test_check_frame_rejects_numbers_for_text():
    with pytest.raises(SchemaError, match=r"category \(trained as object, got int64\)"):
        check_frame(frame(category=[1, 2]), SCHEMA)


def test_loads_the_smoke_model_by_run_pathspec_and_id(smoke_run):
    schema = smoke_run["end"].task["feature_schema"].data
    for reference in (smoke_run, smoke_run.pathspec, smoke_run.id):
        loaded = load_model(reference)
        assert loaded.pathspec == smoke_run.pathspec
        assert loaded.feature_schema == schema
        assert hasattr(loaded.model, "predict")


def test_default_is_the_latest_successful_run_of_the_user_branch(smoke_run):
    run = vetted_run()
    assert run.successful
    assert {"project:{{ cookiecutter.package_name }}"} <= set(run.system_tags)
    assert run.created_at >= smoke_run.created_at or run.pathspec == smoke_run.pathspec
    with pytest.raises(ModelLoadError, match="on branch 'test.nobody'"):
        vetted_run(branch="test.nobody")


FOREIGN = {
    "another flow": (
        "OtherFlow",
        "",
        "it is a run of OtherFlow, not ModelSelectionFlow",
    ),
    "another project": (
        "ModelSelectionFlow",
        '@project(name="someone_else")',
        "it belongs to project 'someone_else', not '{{ cookiecutter.package_name }}'",
    ),
}


@pytest.mark.flow
@pytest.mark.parametrize("case", sorted(FOREIGN))
def test_refuses_foreign_runs_before_reading_artifacts(
    case, flow_env, tmp_path, monkeypatch, smoke_run
):
    from metaflow import Runner
    from metaflow.client.core import DataArtifact

    name, decorator, reason = FOREIGN[case]
    flow_file = tmp_path / "foreign.py"
    flow_file.write_text(
        textwrap.dedent(
            f"""
            from metaflow import FlowSpec, project, step


            {decorator}
            class {name}(FlowSpec):
                @step
                def start(self):
                    self.model = "a pickle we must not open"
                    self.feature_schema = dict()
                    self.next(self.end)

                @step
                def end(self):
                    pass


            if __name__ == "__main__":
                {name}()
            """
        )
    )
    # Another user, so these runs stay out of the default namespace the other tests read.
    env = {**flow_env, "USERNAME": "intruder", "METAFLOW_USER": "intruder"}
    with Runner(str(flow_file), show_output=False, pylint=False, cwd=str(tmp_path), env=env) as r:
        result = r.run()
    assert result.status == "successful", result.stderr

    def no_unpickling(self):
        raise AssertionError(f"{self.pathspec} was unpickled")

    monkeypatch.setattr(DataArtifact, "data", property(no_unpickling))
    for reference in (result.run, result.run.pathspec):
        with pytest.raises(ModelLoadError, match=reason):
            load_model(reference)


def test_refuses_malformed_and_unknown_references(smoke_run):
    with pytest.raises(ModelLoadError, match="not a run"):
        load_model(f"{smoke_run.pathspec}/end")
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_model("ModelSelectionFlow/999999999")

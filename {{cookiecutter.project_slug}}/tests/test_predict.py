"""PredictFlow end to end on the session's smoke tournament (task-agnostic)."""

from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.flow


@pytest.fixture
def predict(flows_dir, flow_env, monkeypatch):
    """Run PredictFlow in a folder: predict(cwd, **parameters) -> (status, run, stderr)."""
    from metaflow import Runner

    # Metaflow writes cards under the first .metaflow folder above the cwd (a set
    # METAFLOW_CARD_LOCALROOT is not honoured for local runs), while the Client reads them from
    # the datastore: point the cwd's .metaflow at the datastore so that both agree.
    monkeypatch.delenv("METAFLOW_CARD_LOCALROOT", raising=False)
    env = {key: value for key, value in flow_env.items() if key != "METAFLOW_CARD_LOCALROOT"}

    def run(cwd, **params):
        dot_metaflow = Path(cwd) / ".metaflow"
        if not dot_metaflow.exists():
            datastore = Path(env["METAFLOW_DATASTORE_SYSROOT_LOCAL"]) / ".metaflow"
            datastore.mkdir(parents=True, exist_ok=True)
            dot_metaflow.symlink_to(datastore, target_is_directory=True)
        flow = str(flows_dir / "predict.py")
        with Runner(flow, show_output=False, pylint=False, cwd=str(cwd), env=env) as runner:
            result = runner.run(max_workers=2, **params)
            return result.status, result.run, result.stderr

    return run


def labelled_rows(smoke_run, n_rows=40):
    """Rows shaped like the training data, target included, from the package's mock data."""
    from {{ cookiecutter.package_name }}.loading import mock_table

    schema = smoke_run["end"].task["feature_schema"].data
    return mock_table(smoke_run, n_rows=n_rows, seed=7), schema


def check_predictions(predictions, schema, n_rows):
    assert len(predictions) == n_rows
    assert predictions["prediction"].notna().all()
    if schema["task"] == "classification":
        assert set(predictions["prediction"]) <= set(schema["classes"])
        shares = predictions.filter(like="probability_")
        assert shares.shape[1] == len(schema["classes"])
        assert shares.sum(axis=1).round(6).eq(1).all()


def test_scores_mock_data_with_latest_model_of_branch(smoke_run, predict, tmp_path):
    from metaflow.cards import get_cards

    status, run, stderr = predict(tmp_path)
    assert status == "successful", stderr

    end = run["end"].task
    model_run = end["model_pathspec"].data
    assert model_run.startswith("ModelSelectionFlow/")
    written = tmp_path / "predictions" / run.id / "predictions.csv"
    assert end["output_path"].data == str(written)
    predictions = end["predictions"].data
    pd.testing.assert_frame_equal(pd.read_csv(written), predictions, check_dtype=False)
    check_predictions(predictions, end["feature_schema"].data, len(predictions))
    assert "project_branch:user." in " ".join(run.system_tags)
    html = get_cards(run["score"].task, id="predictions")[0].get()
    assert len(html) > 10_000


def test_scores_a_file_with_a_chosen_run(smoke_run, predict, tmp_path):
    rows, schema = labelled_rows(smoke_run)
    source = tmp_path / "new.parquet"
    rows.to_parquet(source)  # target kept: labelled data is accepted, the target ignored
    output = tmp_path / "out" / "scored.csv"

    status, run, stderr = predict(
        tmp_path, model_run=smoke_run.id, data=str(source), output=str(output)
    )
    assert status == "successful", stderr

    assert run["end"].task["model_pathspec"].data == smoke_run.pathspec
    predictions = pd.read_csv(output)
    check_predictions(predictions, schema, len(rows))
    expected = smoke_run["end"].task["model"].data.predict(rows[schema["columns"]])
    assert list(predictions["prediction"]) == pytest.approx(list(expected))
    assert not (tmp_path / "predictions").exists()


def test_rejects_mismatched_columns_without_writing(smoke_run, predict, tmp_path):
    rows, schema = labelled_rows(smoke_run)
    dropped = schema["columns"][0]
    rows = rows.drop(columns=[dropped]).assign(surprise=1.0)
    source = tmp_path / "bad.csv"
    rows.to_csv(source, index=False)
    output = tmp_path / "bad-predictions.csv"

    status, run, stderr = predict(
        tmp_path, model_run=smoke_run.id, data=str(source), output=str(output)
    )

    assert status == "failed"
    error = str(run["start"].task.exception)
    assert "missing columns: " + dropped in error
    assert "unexpected columns: surprise" in error
    assert "SchemaError" in run["start"].task.stderr
    assert not output.exists()
    assert not (tmp_path / "predictions").exists()
    assert "score" not in run

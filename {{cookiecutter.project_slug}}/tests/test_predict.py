"""PredictFlow end to end on the shared smoke run (the champion of the user branch)."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import (
    PREDICT,
    PROJECT_DIR,
    predict_runner,
    refusal,
    side_by_side,
    smoke_run_config,
    succeeded,
)

pytestmark = pytest.mark.flow

MOCK_ROWS = 200


def new_rows(n_rows, seed):
    """Fresh rows from the smoke data's generator, target included (it is ignored)."""
    from {{ cookiecutter.package_name }}.data import make_mock

    data = smoke_run_config()["data"]
    settings = {**data["mock"], "n_samples": n_rows}
    return make_mock(data["problem"], seed, target=data["target"], **settings)


def expected_columns(smoke_run):
    """`row`, `prediction`, then one probability column per class, named by its label."""
    classes = smoke_run.data.schema["classes"] or []
    return ["row", "prediction", *(f"probability_{label}" for label in classes)]


@pytest.fixture(scope="module")
def predictions(smoke_run, tmp_path_factory):
    """case -> (the PredictFlow run, its folder): every case of this module, side by side."""
    cases = {}
    folder = tmp_path_factory.mktemp("default")
    cases["default"] = (folder, {"output": "scored.parquet"})

    folder = tmp_path_factory.mktemp("chosen")
    rows = new_rows(40, seed=5)
    rows.loc[3, "category"] = "never-seen"
    rows.loc[[4, 7], "x0"] = np.nan
    rows.sample(frac=1, axis=1, random_state=0).to_csv(folder / "new.csv", index=False)
    parameters = {"model_run": smoke_run.id, "data": "new.csv", "output": "out/scored.csv"}
    cases["chosen"] = (folder, parameters)

    folder = tmp_path_factory.mktemp("mismatched")
    rows = new_rows(20, seed=6).drop(columns=["x1"]).assign(surprise=1.0)
    rows["category"] = 1  # numbers where the model learned text
    rows.to_csv(folder / "bad.csv", index=False)
    parameters = {"model_run": smoke_run.id, "data": "bad.csv", "output": "bad-scored.csv"}
    cases["mismatched"] = (folder, parameters)

    folder = tmp_path_factory.mktemp("taken")
    (folder / "scored.csv").mkdir()
    cases["taken"] = (folder, {"model_run": smoke_run.id, "output": "scored.csv"})

    jobs = [
        (lambda folder=folder: predict_runner(cwd=folder), parameters)
        for folder, parameters in cases.values()
    ]
    results = side_by_side(jobs)
    return {name: (result, cases[name][0]) for name, result in zip(cases, results, strict=True)}


def test_default_scores_mock_rows_with_the_champion_into_parquet(smoke_run, predictions):
    result, folder = predictions["default"]
    run = succeeded(result)
    end = run["end"].task.data
    assert end.model_pathspec == smoke_run.pathspec
    user_branch = next(t for t in smoke_run.system_tags if t.startswith("project_branch:"))
    assert end.model_choice == f"the champion of branch {user_branch.split(':', 1)[1]}"
    written = pd.read_parquet(folder / "scored.parquet")
    pd.testing.assert_frame_equal(written, end.predictions)
    assert list(written.columns) == expected_columns(smoke_run)
    held_out = smoke_run.data.test_predictions
    assert list(held_out.columns) == ["actual", *expected_columns(smoke_run)[1:]]
    # The default rows: MOCK_ROWS fresh mock rows of seed 0, scored by the smoke model.
    rows = new_rows(MOCK_ROWS, seed=0)
    features = rows.drop(columns=["target"])
    assert np.array_equal(written["prediction"], smoke_run.data.model.predict(features))
    assert list(written["row"]) == list(range(MOCK_ROWS))
    if smoke_run.data.schema["classes"]:
        shares = written.filter(like="probability_")
        assert np.allclose(shares.sum(axis=1), 1)
    # Nothing else written next to the output: no temporary file left behind.
    assert sorted(path.name for path in folder.iterdir()) == ["scored.parquet"]
    html = folder.parent / f"{folder.name}-card.html"
    subprocess.run(
        [sys.executable, str(PREDICT), "--quiet", "card", "get", f"{run.id}/score",
         "--id", "predictions", str(html)],
        cwd=PROJECT_DIR, check=True, capture_output=True,
    )  # fmt: skip
    assert "<html" in html.read_text()[:2000].lower()


def test_scores_a_chosen_run_and_reports_what_training_never_saw(smoke_run, predictions):
    result, folder = predictions["chosen"]
    run = succeeded(result)
    assert run["end"].task.data.model_pathspec == smoke_run.pathspec
    predicted = pd.read_csv(folder / "out" / "scored.csv")
    rows = new_rows(40, seed=5)
    rows.loc[3, "category"] = "never-seen"
    rows.loc[[4, 7], "x0"] = np.nan
    expected = smoke_run.data.model.predict(rows.drop(columns=["target"]))
    if smoke_run.data.schema["classes"] is None:
        assert np.allclose(predicted["prediction"], expected, rtol=1e-12, atol=0)
    else:
        assert list(predicted["prediction"]) == list(expected)
    surprises = run["start"].task.data.surprises
    assert surprises == [
        "column 'category': 1 rows hold values never seen in training "
        "(1 distinct, e.g. 'never-seen'); they are scored as unknown",
        "column 'x0': 2 rows are missing a value, which training never had; "
        "they are scored as missing",
    ]
    assert all(line in run["start"].task.stdout for line in surprises)
    assert not (folder / "predictions").exists()


def test_rejects_mismatched_columns_without_writing(smoke_run, predictions):
    result, folder = predictions["mismatched"]
    assert result.status == "failed"
    trained = smoke_run.data.schema["dtypes"]["category"]
    assert refusal(result.run["start"].task) == (
        "input does not match the model's feature schema; missing columns: x1; "
        f"unexpected columns: surprise; incompatible types: category (trained as {trained}, "
        "got int64)"
    )
    assert "score" not in result.run
    assert sorted(path.name for path in folder.iterdir()) == ["bad.csv"]


def test_a_failed_write_leaves_no_partial_file(predictions):
    """The output is written to a temporary file, then renamed: when the rename fails (here the
    name is taken by a folder), no partial file is left."""
    result, folder = predictions["taken"]
    assert result.status == "failed"
    assert result.run["start"].task.successful
    assert not result.run["score"].task.successful
    assert sorted(os.listdir(folder)) == ["scored.csv"]
    assert list((folder / "scored.csv").iterdir()) == []

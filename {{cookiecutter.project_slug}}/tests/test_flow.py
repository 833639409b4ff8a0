"""ModelSelectionFlow end to end, through metaflow.Runner."""

import copy
import os
import time
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.flow


def test_smoke_run_succeeds(smoke_run):
    assert smoke_run.successful
    assert smoke_run.data.metric == smoke_run["start"].task.data.spec["search"]["metric"]
    assert len(smoke_run.data.data_fingerprint) == 64


def test_leaderboard_has_one_row_per_candidate(smoke_run):
    board = smoke_run.data.leaderboard
    candidates = smoke_run["start"].task.data.candidates
    assert sorted(board["candidate"]) == sorted(c["name"] for c in candidates)
    assert list(board["rank_test_score"]) == sorted(board["rank_test_score"])
    assert board["error"].isna().all()
    assert board.iloc[0]["candidate"] == smoke_run.data.best_candidate
    assert board.iloc[0]["params"] == smoke_run.data.best_params
    assert board.iloc[0]["mean_test_score"] == board["mean_test_score"].max()


def test_model_predicts_held_out_data(smoke_run):
    data = smoke_run.data
    schema = data.feature_schema
    test = smoke_run["start"].task.data.test_data
    predictions = data.model.predict(test[schema["columns"]])
    assert len(predictions) == len(test)
    assert schema["target"] not in schema["columns"]
    assert schema["task"] in ("regression", "classification")
    assert np.isfinite(data.test_score)
    assert len(data.test_predictions) == len(test)


def test_cv_scores_equal_grid_search(smoke_run):
    """Same data, folds, seeds and pipelines: GridSearchCV's cv_results_ to within 1e-9."""
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
    from threadpoolctl import threadpool_limits

    from {{ cookiecutter.package_name }}.contenders import build_pipeline, to_distribution
    from {{ cookiecutter.package_name }}.data import make_splitter

    start = smoke_run["start"].task.data
    spec, seed, target = start.spec, start.seed, start.target
    X, y = start.train_data.drop(columns=[target]), start.train_data[target]
    splitter = make_splitter(spec["data"]["task"], spec["data"]["n_folds"], start.split_seed)
    board = smoke_run.data.leaderboard.set_index("candidate")
    for family, contender in spec["contenders"].items():
        pipeline = build_pipeline(contender, start.numeric_columns, start.categorical_columns, seed)
        if "grid" in contender:
            grid = {f"model__{k}": v for k, v in contender["grid"].items()}
            search = GridSearchCV(pipeline, grid, cv=splitter, scoring=start.metric, refit=False)
        else:
            distributions = {
                f"model__{k}": to_distribution(v) for k, v in contender["distributions"].items()
            }
            search = RandomizedSearchCV(
                pipeline,
                distributions,
                n_iter=contender["n_iter"],
                cv=splitter,
                scoring=start.metric,
                random_state=seed,
                refit=False,
            )
        with threadpool_limits(limits=1):
            search.fit(X, y)
        names = [c["name"] for c in start.candidates if c["family"] == family]
        flow = board.loc[names]
        np.testing.assert_allclose(
            flow["mean_test_score"].to_numpy(),
            search.cv_results_["mean_test_score"],
            rtol=0,
            atol=1e-9,
        )
        for fold in range(spec["data"]["n_folds"]):
            column = f"split{fold}_test_score"
            np.testing.assert_allclose(
                flow[column].to_numpy(), search.cv_results_[column], rtol=0, atol=1e-9
            )
        expected = [
            {k.removeprefix("model__"): v for k, v in p.items()}
            for p in search.cv_results_["params"]
        ]
        assert list(flow["params"]) == expected


def test_results_dir_and_card(smoke_run, flows_dir, flow_env, tmp_path):
    import subprocess
    import sys

    folder = Path(smoke_run.data.results_dir)
    assert folder.name == smoke_run.id
    for name in ["summary.txt", "leaderboard.csv", "fold_scores.png"]:
        assert (folder / name).stat().st_size > 0
    task = smoke_run.data.feature_schema["task"] == "regression"
    figures = ["predicted_vs_actual.png"] if task else ["roc_curve.png", "confusion_matrix.png"]
    for name in figures:
        assert (folder / name).stat().st_size > 0
    assert smoke_run.data.best_candidate in (folder / "summary.txt").read_text()
    # The card CLI, as a user would fetch it (the Client's get_cards looks elsewhere when
    # the datastore root is moved, as the tests do).
    html = tmp_path / "report.html"
    subprocess.run(
        [
            sys.executable,
            str(flows_dir / "model_selection.py"),
            "--quiet",
            "card",
            "get",
            f"{smoke_run.id}/report",
            "--id",
            "report",
            str(html),
        ],
        cwd=flows_dir.parent,
        env={**os.environ, **flow_env},
        check=True,
        capture_output=True,
    )
    assert html.stat().st_size > 10_000
    assert "<html" in html.read_text()[:2000].lower()


def test_broken_candidate_is_listed_and_the_run_succeeds(run_flow, smoke_config):
    config = copy.deepcopy(smoke_config)
    # Error handling is the point here, not the neural net: keep this run quick.
    config["contenders"] = {name: config["contenders"][name] for name in ("lightgbm", "linear")}
    # A negative penalty passes validation (the parameter exists) but makes every fit raise.
    config["contenders"]["broken"] = {
        "estimator": "sklearn.linear_model.Ridge",
        "preprocessing": "scaled",
        "cost": 5.0,
        "grid": {"alpha": [-1.0]},
    }
    result = run_flow(config_value=config, fits_per_task=0)
    assert result.status == "successful", result.stderr_text[-3000:]
    board = result.run.data.leaderboard
    broken = board.set_index("candidate").loc["broken-0"]
    assert "alpha" in broken["error"]
    assert broken["rank_test_score"] == board["rank_test_score"].max()
    assert board.iloc[-1]["candidate"] == "broken-0"
    assert board[board["candidate"] != "broken-0"]["error"].isna().all()
    # Cost balancing spreads the expensive broken fits over the shards, next to healthy
    # fits: those still scored.
    batches = result.run["start"].task.data.batches
    broken_index = len(smoke_config_candidates(result))
    assert any(
        any(c != broken_index for c, _ in b) and any(c == broken_index for c, _ in b)
        for b in batches
    )
    assert result.run.data.best_candidate != "broken-0"


def test_run_fails_with_one_clear_line_when_every_candidate_fails(run_flow, smoke_config):
    config = copy.deepcopy(smoke_config)
    config["contenders"] = {
        "broken": {
            "estimator": "sklearn.linear_model.Ridge",
            "preprocessing": "scaled",
            "grid": {"alpha": [-1.0, -2.0]},
        }
    }
    result = run_flow(config_value=config)
    assert result.status == "failed"
    join = result.run["tournament"].task
    assert not join.successful
    (line,) = [line for line in join.stderr.splitlines() if "every candidate failed" in line]
    assert line.strip().startswith("every candidate failed (2); first error: InvalidParameterError")
    assert "'alpha' parameter of Ridge" in line
    assert "winner" not in result.run


def smoke_config_candidates(result):
    return [c for c in result.run["start"].task.data.candidates if c["family"] != "broken"]


def test_wrong_config_key_fails_fast_naming_key_and_file(run_flow, configs_dir, tmp_path):
    from metaflow.exception import MetaflowException

    text = (configs_dir / "smoke.toml").read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("[search]\n", "[search]\nmetrik = 'r2'\n"))
    started = time.perf_counter()
    with pytest.raises(MetaflowException) as caught:
        run_flow(config=bad)
    assert time.perf_counter() - started < 10
    message = str(caught.value)
    assert str(bad) in message
    assert "search.metrik" in message
    assert len(message.strip().splitlines()) == 1

"""Champion and challenger: four tournaments on one branch (one with another seed), the predict
flow, and a rollback by hand. The tests run in file order: each builds on the branch the previous
left."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import (
    PROJECT_DIR,
    linear_contender,
    run_predict,
    run_tournament,
    smoke_config,
    succeeded,
)

from {{ cookiecutter.package_name }} import runs

pytestmark = pytest.mark.flow

BRANCH = "champion_tests"
FULL_BRANCH = f"test.{BRANCH}"


def table(problem, n_rows=400, seed=5):
    """A linear signal plus an interaction a linear model cannot see (trees can)."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, size=(n_rows, 4))
    signal = 3 * X[:, 0] + 1.5 * np.sign(X[:, 1] * X[:, 2]) + rng.normal(0, 0.3, n_rows)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    frame["target"] = (signal > 0).astype(int) if problem == "classification" else signal
    return frame


def config(contender):
    settings = smoke_config()
    settings.pop("ensemble", None)
    settings["run"]["workers"] = 1
    settings["contenders"] = {contender[0]: contender[1]}
    return settings


def contenders(problem):
    """The first tournament's linear model, a crippled one, and a better one."""
    dummy = "DummyClassifier" if problem == "classification" else "DummyRegressor"
    strategy = "prior" if problem == "classification" else "mean"
    lightgbm = smoke_config()["contenders"]["lightgbm"]
    lightgbm["grid"] = {"learning_rate": [0.1]}
    return {
        "first": ("linear", linear_contender(problem)),
        "worse": (
            "constant",
            {"estimator": f"sklearn.dummy.{dummy}", "grid": {"strategy": [strategy]}},
        ),
        "better": ("lightgbm", lightgbm),
    }


@pytest.fixture(scope="module")
def branch(tmp_path_factory):
    """The data file every tournament of the branch trains on, and the runs as they come."""
    folder = tmp_path_factory.mktemp("champion")
    problem = smoke_config()["data"]["problem"]
    table(problem).to_csv(folder / "train.csv", index=False)
    table(problem, n_rows=30, seed=6).drop(columns=["target"]).to_csv(
        folder / "new.csv", index=False
    )
    return {"folder": folder, "problem": problem, "runs": {}}


def tournament(branch, name, contender=None, **parameters):
    family, settings = contenders(branch["problem"])[contender or name]
    run = succeeded(
        run_tournament(
            config_value=config((family, settings)),
            branch=BRANCH,
            data=str(branch["folder"] / "train.csv"),
            **parameters,
        )
    )
    branch["runs"][name] = run
    return run


def predicted_with(branch):
    folder = branch["folder"]
    result = run_predict(branch=BRANCH, cwd=folder, data=str(folder / "new.csv"),
                         output=str(folder / "scored.csv"))  # fmt: skip
    return succeeded(result)["end"].task.data.model_pathspec


def champions():
    return [run.id for run in runs.branch_runs(FULL_BRANCH) if "champion" in run.user_tags]


def held_out_score_of(champion, challenger):
    """The champion's held-out model scored on the challenger's held-out rows, computed here.

    Every tournament of the branch splits one file with one seed: the same held-out rows,
    which the champion's held-out model never saw (its deployed model did).
    """
    from sklearn.metrics import get_scorer

    test = challenger["start"].task.data.test_data
    pd.testing.assert_frame_equal(test, champion["start"].task.data.test_data)
    model = champion.data.holdout_model
    return get_scorer(challenger.data.metric)(model, test.drop(columns=["target"]), test["target"])


def summary_facts(run):
    from pathlib import Path

    lines = (Path(run.data.results_dir) / "summary.txt").read_text().splitlines()
    facts = {}
    for line in lines[2:]:
        if not line.strip():
            break
        label, _, value = line.partition("  ")
        facts[label.strip()] = value.strip()
    return facts


def test_first_tournament_becomes_champion(branch):
    first = tournament(branch, "first")
    verdict = first.data.verdict
    assert verdict.promote
    assert verdict.champion is None
    assert champions() == [first.id]
    assert summary_facts(first)["held-out, champion"] == "none yet"


def test_a_worse_tournament_does_not_replace_it(branch):
    first = branch["runs"]["first"]
    worse = tournament(branch, "worse")
    verdict = worse.data.verdict
    expected = held_out_score_of(first, worse)
    assert verdict.champion == first.pathspec
    assert verdict.champion_score == expected == first.data.test_score
    assert verdict.rows == len(worse.data.test_data)
    assert verdict.challenger_score == worse.data.test_score < expected
    assert not verdict.promote
    assert champions() == [first.id]
    facts = summary_facts(worse)
    assert facts["held-out, challenger"] == f"{worse.data.test_score:.4f}"
    assert facts["held-out, champion"] == f"{first.pathspec}: {expected:.4f}"
    assert facts["decision"].startswith("not promoted:")
    assert f"{first.pathspec} stays champion" in facts["decision"]
    assert predicted_with(branch) == first.pathspec


def test_another_seed_is_compared_on_the_rows_the_champion_never_trained_on(branch):
    from sklearn.metrics import get_scorer

    first = branch["runs"]["first"]
    reseeded = tournament(branch, "reseeded", contender="worse", seed=11)  # smoke: 7
    # By hand: this run's held-out rows that are not rows of the champion's training split.
    test = reseeded["start"].task.data.test_data
    seen = first["start"].task.data.train_data.drop_duplicates()
    merged = test.merge(seen, how="left", indicator=True)
    unseen = test[(merged["_merge"] == "left_only").to_numpy()]
    assert 0 < len(unseen) < len(test)
    X, y = unseen.drop(columns=["target"]), unseen["target"]
    score = get_scorer(reseeded.data.metric)
    verdict = reseeded.data.verdict
    assert verdict.rows == len(unseen)
    assert verdict.champion_score == score(first.data.holdout_model, X, y)
    assert verdict.challenger_score == score(reseeded.data.holdout_model, X, y)
    assert not verdict.promote
    assert champions() == [first.id]
    facts = summary_facts(reseeded)
    assert facts["held-out, champion"] == (
        f"{first.pathspec}: {verdict.champion_score:.4f} "
        f"(challenger {verdict.challenger_score:.4f} on the same {len(unseen)} rows)"
    )
    decision = facts["decision"]
    assert f"against the champion on {len(unseen)} of {len(test)} held-out rows" in decision


def test_a_better_tournament_replaces_it(branch):
    first = branch["runs"]["first"]
    better = tournament(branch, "better")
    verdict = better.data.verdict
    expected = held_out_score_of(first, better)
    assert verdict.champion == first.pathspec
    assert verdict.champion_score == expected < better.data.test_score
    assert verdict.promote
    assert champions() == [better.id]
    facts = summary_facts(better)
    assert facts["held-out, champion"] == f"{first.pathspec}: {expected:.4f}"
    assert facts["decision"].startswith("promoted:")
    assert predicted_with(branch) == better.pathspec


def champion_command(*args):
    return subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}.champion", *args],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_rollback_by_hand_moves_the_tag(branch):
    first, better = branch["runs"]["first"], branch["runs"]["better"]
    done = champion_command("promote", first.id)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"{first.pathspec} is the champion of branch {FULL_BRANCH}",
        f"  {better.pathspec} is no longer champion",
    ]
    assert champions() == [first.id]
    shown = champion_command("show", "--branch", FULL_BRANCH)
    assert shown.stdout.strip() == first.pathspec
    assert runs.load_model(branch=FULL_BRANCH).pathspec == first.pathspec


def test_a_rollback_to_another_projects_run_is_refused(branch, foreign_runs):
    from metaflow import Run

    foreign = foreign_runs["another project"]
    done = champion_command("promote", foreign.id)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"error: refusing to load {foreign.pathspec}: it belongs to project 'someone_else', "
        "not '{{ cookiecutter.package_name }}'"
    )
    assert "champion" not in Run(foreign.pathspec, _namespace_check=False).user_tags
    assert champions() == [branch["runs"]["first"].id]


def test_without_a_champion_the_latest_successful_run_is_used(branch):
    from metaflow import Run

    first, better = branch["runs"]["first"], branch["runs"]["better"]
    Run(first.pathspec, _namespace_check=False).remove_tag("champion")
    assert champions() == []
    run, reason = runs.choose(branch=FULL_BRANCH)
    assert run.id == better.id
    assert reason == (
        f"the latest successful run of branch {FULL_BRANCH}, which has no champion yet"
    )

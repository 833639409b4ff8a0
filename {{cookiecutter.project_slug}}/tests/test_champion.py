"""Champion and challenger, without a flow: the promotion rule and how the tag moves.

The branch's runs are stand-ins here; the flow tests run real tournaments on one branch.
"""

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score
from sklearn.pipeline import Pipeline
from tables import TARGET, diabetes

from {{ cookiecutter.package_name }} import runs
from {{ cookiecutter.package_name }}.champion import Verdict, challenge, promote
from {{ cookiecutter.package_name }}.pipelines import make_preprocessor
from {{ cookiecutter.package_name }}.runs import LoadedModel, ModelLoadError
from {{ cookiecutter.package_name }}.schema import infer

CHAMPION = "ModelSelectionFlow/12"


class FakeRun:
    """What `promote` and `challenge` read of a metaflow Run."""

    def __init__(self, run_id, minutes, branch="user.tester", tags=()):
        self.id = str(run_id)
        self.pathspec = f"ModelSelectionFlow/{run_id}"
        self.created_at = datetime(2026, 1, 1) + timedelta(minutes=minutes)
        self.system_tags = {"project:{{ cookiecutter.package_name }}"}
        if branch:
            self.system_tags.add(f"project_branch:{branch}")
        self.user_tags = set(tags)
        self.successful = True

    def __getitem__(self, step):
        # A step: runs are ordered by when their start step was created (runs.started).
        return SimpleNamespace(created_at=self.created_at)

    def add_tag(self, tag):
        self.user_tags.add(tag)

    def remove_tag(self, tag):
        self.user_tags.discard(tag)


def held_out():
    table = diabetes()
    return table.iloc[:300], table.iloc[300:]


def ridge(rows, alpha=1.0):
    """A Ridge pipeline trained on `rows` of the diabetes data, with its schema."""
    kinds = {name: "numeric" for name in rows.columns if name != TARGET}
    schema = infer(rows, TARGET, kinds, "regression", 30)
    model = Pipeline([("preprocess", make_preprocessor("scaled", schema)), ("model", Ridge(alpha))])
    return model.fit(rows.drop(columns=[TARGET]), rows[TARGET]), schema


def champion_model():
    """A champion whose held-out model trained on the first 300 rows of the diabetes data."""
    train, _ = held_out()
    model, schema = ridge(train)
    return LoadedModel(model=model, schema=schema, pathspec=CHAMPION)


def challenger_model():
    """A challenger's held-out model, trained on other rows with another penalty."""
    model, _ = ridge(diabetes().iloc[100:250], alpha=10.0)
    return model


def r2_on(model, rows):
    return r2_score(rows[TARGET], model.predict(rows.drop(columns=[TARGET])))


@pytest.fixture
def branch_with_champion(monkeypatch):
    """The branch's champion is CHAMPION; return its score on the held-out rows, by hand."""
    loaded = champion_model()
    train, test = held_out()
    monkeypatch.setattr(runs, "champion_run", lambda branch: FakeRun(12, 0, tags={"champion"}))
    monkeypatch.setattr(runs, "load_holdout_model", lambda run: (loaded, train))
    return r2_on(loaded.model, test)


def test_the_first_challenger_of_a_branch_is_promoted(monkeypatch):
    monkeypatch.setattr(runs, "champion_run", lambda branch: None)
    _, test = held_out()
    assert challenge("user.tester", challenger_model(), 0.3, test, "r2", 0.01) == Verdict(
        0.3, None, None, True, "branch user.tester has no champion yet"
    )


def test_a_challenger_better_by_the_margin_is_promoted(branch_with_champion):
    _, test = held_out()
    verdict = challenge(
        "user.tester", challenger_model(), branch_with_champion + 0.05, test, "r2", 0.01
    )
    assert verdict.promote
    assert verdict.champion == CHAMPION
    assert verdict.champion_score == pytest.approx(branch_with_champion, abs=1e-12)
    assert verdict.reason == "promoted: r2 +0.0500 against the champion (needed +0.01)"


def test_a_tie_is_promoted_when_no_margin_is_asked(branch_with_champion):
    _, test = held_out()
    verdict = challenge("user.tester", challenger_model(), branch_with_champion, test, "r2", 0.0)
    assert verdict.promote
    assert verdict.reason == "promoted: r2 +0.0000 against the champion (needed +0.0)"


def test_a_challenger_short_of_the_margin_is_not_promoted(branch_with_champion):
    _, test = held_out()
    verdict = challenge(
        "user.tester", challenger_model(), branch_with_champion + 0.005, test, "r2", 0.01
    )
    assert not verdict.promote
    assert verdict.reason == (
        f"not promoted: r2 +0.0050 against the champion (needed +0.01); {CHAMPION} stays champion"
    )
    worse = challenge(
        "user.tester", challenger_model(), branch_with_champion - 0.2, test, "r2", 0.0
    )
    assert not worse.promote
    assert "r2 -0.2000 against the champion" in worse.reason


def test_columns_the_champion_never_knew_do_not_matter(branch_with_champion):
    _, test = held_out()
    verdict = challenge(
        "user.tester", challenger_model(), 0.0, test.assign(colour="red"), "r2", 0.0
    )
    assert verdict.champion_score == pytest.approx(branch_with_champion, abs=1e-12)


def test_the_champion_is_scored_only_on_rows_it_never_trained_on(branch_with_champion):
    # Rows 250-299 are in the champion's training split; renumbered, so matching is by value.
    test = diabetes().iloc[250:].reset_index(drop=True)
    unseen = diabetes().iloc[300:]
    challenger = challenger_model()
    verdict = challenge("user.tester", challenger, r2_on(challenger, test), test, "r2", 0.0)
    assert verdict.rows == len(unseen) == len(test) - 50
    assert verdict.champion_score == pytest.approx(r2_on(champion_model().model, unseen), abs=1e-12)
    assert verdict.challenger_score == pytest.approx(r2_on(challenger, unseen), abs=1e-12)
    assert verdict.champion_score != pytest.approx(r2_on(champion_model().model, test), abs=1e-6)
    assert f"against the champion on {len(unseen)} of {len(test)} held-out rows" in verdict.reason


def test_a_champion_that_trained_on_every_held_out_row_stays(branch_with_champion):
    train, _ = held_out()
    verdict = challenge("user.tester", challenger_model(), 0.9, train.iloc[:100], "r2", 0.0)
    assert not verdict.promote
    assert verdict.champion_score is None
    assert verdict.reason.startswith(
        f"not promoted: champion {CHAMPION} cannot score these rows (it trained on every one"
    )


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda test: test.drop(columns=["bmi"]), "missing columns: bmi"),
        (lambda test: test.drop(columns=[TARGET]), "'target'"),
    ],
    ids=["feature-missing", "target-missing"],
)
def test_a_champion_that_cannot_score_the_rows_stays(branch_with_champion, change, words):
    _, test = held_out()
    verdict = challenge("user.tester", challenger_model(), 0.9, change(test), "r2", 0.0)
    assert not verdict.promote
    assert verdict.champion == CHAMPION
    assert verdict.champion_score is None
    assert verdict.reason.startswith(f"not promoted: champion {CHAMPION} cannot score these rows")
    assert words in verdict.reason
    assert "\n" not in verdict.reason


def test_a_champion_that_cannot_be_loaded_stays(monkeypatch):
    def refuse(run):
        raise ModelLoadError("its end step has no model or schema artifact")

    monkeypatch.setattr(runs, "champion_run", lambda branch: FakeRun(12, 0, tags={"champion"}))
    monkeypatch.setattr(runs, "load_holdout_model", refuse)
    _, test = held_out()
    verdict = challenge("user.tester", challenger_model(), 0.9, test, "r2", 0.0)
    assert not verdict.promote
    assert "no model or schema artifact" in verdict.reason


@pytest.fixture
def branch(monkeypatch):
    """Four runs of one branch, oldest first; 11 and 13 hold the tag."""
    found = [
        FakeRun(10, 0),
        FakeRun(11, 10, tags={"champion"}),
        FakeRun(12, 20),
        FakeRun(13, 30, tags={"champion"}),
    ]
    monkeypatch.setattr(
        runs,
        "branch_runs",
        lambda name, *tags: [run for run in found[::-1] if set(tags) <= run.user_tags],
    )
    return {run.id: run for run in found}


def champions(branch):
    return sorted(run_id for run_id, run in branch.items() if "champion" in run.user_tags)


def test_an_automatic_promotion_demotes_only_older_champions(branch):
    # Run 12 finished while run 13 was promoted: the newer champion keeps its tag.
    demoted = promote(branch["12"])
    assert demoted == ["ModelSelectionFlow/11"]
    assert champions(branch) == ["12", "13"]
    # Readers take the newest tagged run: still 13.


def test_a_promotion_by_hand_leaves_one_champion(branch):
    demoted = promote(branch["10"], by_hand=True)
    assert sorted(demoted) == ["ModelSelectionFlow/11", "ModelSelectionFlow/13"]
    assert champions(branch) == ["10"]


def test_a_run_without_a_branch_cannot_be_promoted():
    with pytest.raises(ModelLoadError, match="has no @project branch"):
        promote(FakeRun(9, 0, branch=None))

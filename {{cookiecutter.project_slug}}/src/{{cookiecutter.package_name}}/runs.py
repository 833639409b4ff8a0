"""Find this project's tournament runs, vet them, and load their models safely.

Metaflow artifacts are pickles, and unpickling runs arbitrary code. So a run is vetted from its
metadata alone (flow name, the system tag that `@project` sets, success, artifact names) before
any artifact is read, and only runs of this project's own `ModelSelectionFlow` are accepted.

Used by `flows/predict.py`, by notebooks and by services::

    from {{ cookiecutter.package_name }}.runs import load_model

    loaded = load_model()  # the champion of your branch (else its latest successful run)
    loaded = load_model("ModelSelectionFlow/1234")  # or a run id, or a metaflow Run
    predictions = loaded.predict(frame)  # checks the columns first
"""

import os
from dataclasses import dataclass
from typing import Any

import pandas as pd

FLOW_NAME = "ModelSelectionFlow"
PROJECT = "{{ cookiecutter.package_name }}"
PROJECT_TAG = f"project:{PROJECT}"
BRANCH_TAG = "project_branch:"
CHAMPION_TAG = "champion"
MODEL_ARTIFACTS = ("model", "schema")


class ModelLoadError(RuntimeError):
    """The run cannot, or must not, be loaded; the message says why."""


@dataclass(frozen=True)
class LoadedModel:
    """A fitted pipeline together with the schema of the data it was trained on."""

    model: Any
    schema: dict[str, Any]
    pathspec: str

    def check(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
        """The frame's features in training order, and notes on what training never saw."""
        from .schema import check_frame

        return check_frame(frame, self.schema)

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Check `frame` against the schema, then return `prediction` (and, for
        classification, one `probability_<class>` column per class)."""
        from .predictions import predict

        features, _ = self.check(frame)
        return predict(self.model, features)


def default_branch() -> str:
    """The `@project` branch a plain `run` by the current user lands in (or the calling flow's)."""
    from metaflow import current
    from metaflow.util import get_username

    if current.get("branch_name"):
        return str(current.branch_name)
    user = os.environ.get("METAFLOW_OWNER") or get_username()
    return f"user.{user}"


def branch_of(run: Any) -> str | None:
    """The `@project` branch a run belongs to, from its system tags."""
    for tag in run.system_tags:
        if tag.startswith(BRANCH_TAG):
            return str(tag[len(BRANCH_TAG) :])
    return None


def branch_runs(branch: str, *tags: str) -> list[Any]:
    """Every ModelSelectionFlow run of this project on `branch` (with `tags`, if given),
    newest first."""
    from metaflow import Flow
    from metaflow.exception import MetaflowNotFound

    try:
        # The metadata service filters by tag: no need to list every run of the flow.
        flow = Flow(FLOW_NAME, _namespace_check=False)
        found = list(flow.runs(PROJECT_TAG, BRANCH_TAG + branch, *tags))
    except MetaflowNotFound:
        return []
    return sorted(found, key=started, reverse=True)


def started(run: Any) -> tuple[Any, str]:
    """When a run started, for ordering runs (ties broken by id).

    Not `run.created_at`: Metaflow's local metadata store rewrites it whenever a tag of the
    run changes, so a promotion would make a run look newest. The start step's time stays.
    """
    try:
        return run["start"].created_at, run.id
    except KeyError:  # launched, but its start step never registered
        return run.created_at, run.id


def champion_run(branch: str) -> Any | None:
    """The branch's champion: its newest successful run tagged `champion`, or None."""
    # Only the tagged runs: a branch's history grows with every run, its champions do not.
    for run in branch_runs(branch, CHAMPION_TAG):
        if run.successful:
            return run
    return None


def latest_run(branch: str) -> Any | None:
    """The branch's newest successful run, or None."""
    return next((run for run in branch_runs(branch) if run.successful), None)


def choose(run_or_pathspec: Any = None, *, branch: str | None = None) -> tuple[Any, str]:
    """The run to load and why: the given one, else the champion, else the latest success.

    Accepts None, a run id, a `Flow/run-id` pathspec or a `metaflow.Run`; the run is vetted.
    """
    from metaflow import Run
    from metaflow.exception import MetaflowNotFound

    if run_or_pathspec is None or run_or_pathspec == "":
        branch = branch or default_branch()
        run = champion_run(branch)
        reason = f"the champion of branch {branch}"
        if run is None:
            run = latest_run(branch)
            reason = f"the latest successful run of branch {branch}, which has no champion yet"
        if run is None:
            raise ModelLoadError(
                f"no successful {FLOW_NAME} run of project {PROJECT!r} on branch {branch!r}: "
                "train one with `python flows/model_selection.py run` (same --branch/--production)"
            )
    elif isinstance(run_or_pathspec, str | int):
        pathspec = str(run_or_pathspec).strip("/")
        if "/" not in pathspec:
            pathspec = f"{FLOW_NAME}/{pathspec}"
        parts = pathspec.split("/")
        if len(parts) != 2:
            raise ModelLoadError(
                f"{pathspec!r} is not a run: expected '<run-id>' or 'Flow/<run-id>'"
            )
        if parts[0] != FLOW_NAME:
            raise ModelLoadError(
                f"refusing to load {pathspec}: it is a run of {parts[0]}, not {FLOW_NAME}"
            )
        try:
            run = Run(pathspec, _namespace_check=False)
        except MetaflowNotFound as error:
            raise ModelLoadError(f"run {pathspec} does not exist in this datastore") from error
        reason = "the run asked for"
    else:
        run, reason = run_or_pathspec, "the run asked for"
    vet(run)
    return run, reason


def vet(run: Any) -> None:
    """Raise ModelLoadError unless `run` is a finished, successful run of this project."""
    flow_name = run.pathspec.split("/")[0]
    if flow_name != FLOW_NAME:
        raise ModelLoadError(
            f"refusing to load {run.pathspec}: it is a run of {flow_name}, not {FLOW_NAME}"
        )
    tags = set(run.system_tags)
    if PROJECT_TAG not in tags:
        projects = sorted(tag.split(":", 1)[1] for tag in tags if tag.startswith("project:"))
        owner = f"project {projects[0]!r}" if projects else "no @project"
        raise ModelLoadError(
            f"refusing to load {run.pathspec}: it belongs to {owner}, not {PROJECT!r}"
        )
    if not run.successful:
        raise ModelLoadError(
            f"refusing to load {run.pathspec}: the run did not finish successfully "
            "(debug it with notebooks/debug.ipynb, then `resume` it)"
        )
    end = run.end_task
    missing = [name for name in MODEL_ARTIFACTS if name not in end]
    if missing:
        raise ModelLoadError(
            f"refusing to load {run.pathspec}: its end step has no {' or '.join(missing)} artifact"
        )


def load_model(
    run_or_pathspec: Any = None, *, branch: str | None = None, artifact: str = "model"
) -> LoadedModel:
    """Load a model and its schema from a vetted run (see `choose` for what it accepts):
    `model`, the one to deploy, or `holdout_model`, the refit behind the held-out score."""
    run, _ = choose(run_or_pathspec, branch=branch)
    end = run.end_task
    if artifact not in end:  # a holdout_model only exists in runs made since it was added
        raise ModelLoadError(f"{run.pathspec} has no {artifact} artifact")
    return LoadedModel(model=end[artifact].data, schema=end["schema"].data, pathspec=run.pathspec)


def load_holdout_model(run: Any) -> tuple[LoadedModel, pd.DataFrame]:
    """Load what a vetted run's held-out score rests on: the winner refit on its training split
    only, and that split (the rows the model must never be scored on)."""
    return load_model(run, artifact="holdout_model"), run.end_task["train_data"].data


def mock_rows(run: Any, n_rows: int, seed: int) -> pd.DataFrame:
    """Fresh mock rows (target included) from the generator and settings `run` trained on.

    Only a model trained on mock data has them: other runs raise ModelLoadError.
    """
    from .data import make_mock

    vet(run)
    mock = run["start"].task["mock"].data if "mock" in run["start"].task else None
    if mock is None:
        raise ModelLoadError(f"{run.pathspec} was not trained on mock data: pass rows to score")
    return make_mock(
        mock["problem"], seed, target=mock["target"], **{**mock["settings"], "n_samples": n_rows}
    )

"""Load the tournament's final model safely, and check new data against its training schema.

Metaflow artifacts are pickles, and unpickling runs arbitrary code. So a run is vetted from its
metadata alone (flow name, the system tag that ``@project`` sets, success, artifact names) before
any artifact is read, and only runs of this project's own ``ModelSelectionFlow`` are accepted.

Used by ``flows/predict.py``, by notebooks and by services::

    from {{ cookiecutter.package_name }}.loading import load_model

    loaded = load_model()  # latest successful run of your own branch
    loaded = load_model("ModelSelectionFlow/1234")  # or a run id, or a metaflow Run
    predictions = loaded.predict(frame)  # checks the columns first
"""

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FLOW_NAME = "ModelSelectionFlow"
PROJECT = "{{ cookiecutter.package_name }}"
PROJECT_TAG = f"project:{PROJECT}"
TABLE_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


class ModelLoadError(RuntimeError):
    """The run cannot, or must not, be loaded; the message says why."""


class SchemaError(ValueError):
    """A frame does not match the schema the model was trained on; the message lists every gap."""


@dataclass(frozen=True)
class LoadedModel:
    """A fitted pipeline together with the schema of the data it was trained on."""

    model: Any
    feature_schema: dict
    pathspec: str

    @property
    def task(self) -> str:
        return self.feature_schema["task"]

    def predict(self, frame):
        """Check ``frame`` against the schema, then return a DataFrame of predictions.

        Classification adds one ``probability_<class>`` column per class when the model has
        ``predict_proba``.
        """
        import pandas as pd

        features = check_frame(frame, self.feature_schema)
        result = pd.DataFrame({"prediction": self.model.predict(features)}, index=features.index)
        if self.task == "classification" and hasattr(self.model, "predict_proba"):
            probabilities = self.model.predict_proba(features)
            for position, label in enumerate(self.model.classes_):
                result[f"probability_{label}"] = probabilities[:, position]
        return result


def default_branch() -> str:
    """Return the ``@project`` branch a plain ``run`` by the current user lands in."""
    from metaflow import current
    from metaflow.util import get_username

    if current.get("branch_name"):
        return current.branch_name
    user = os.environ.get("METAFLOW_OWNER") or get_username()
    return f"user.{user}"


def latest_run(branch: str | None = None, *, successful: bool = True):
    """Return the newest ``ModelSelectionFlow`` run of this project on ``branch``.

    ``branch`` is a ``@project`` branch such as ``user.jane``, ``test.my-feature`` or ``prod``;
    by default the branch of the calling flow, else the current user's own branch. Namespaces are
    ignored: the project and branch tags select the runs instead.
    """
    from metaflow import Flow
    from metaflow.exception import MetaflowNotFound

    branch = branch or default_branch()
    wanted = {PROJECT_TAG, f"project_branch:{branch}"}
    try:
        runs = Flow(FLOW_NAME, _namespace_check=False)
        for run in runs:
            if wanted <= set(run.system_tags) and (run.successful or not successful):
                return run
    except MetaflowNotFound:
        pass
    kind = "successful " if successful else ""
    raise ModelLoadError(
        f"no {kind}{FLOW_NAME} run of project {PROJECT!r} on branch {branch!r}: "
        f"train one with `python flows/model_selection.py run` (same --branch/--production)"
    )


def vetted_run(run_or_pathspec=None, *, branch: str | None = None):
    """Resolve a run and check, from metadata only, that its artifacts may be unpickled.

    Accepts ``None`` (the latest successful run of ``branch``), a run id, a ``Flow/run-id``
    pathspec or a ``metaflow.Run``. Raises ``ModelLoadError`` saying why a run is refused.
    """
    from metaflow import Run
    from metaflow.exception import MetaflowNotFound

    if run_or_pathspec is None or run_or_pathspec == "":
        run = latest_run(branch)
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
    else:
        run = run_or_pathspec
    check_run(run)
    return run


def check_run(run) -> None:
    """Raise ``ModelLoadError`` unless ``run`` is a finished, successful run of this project."""
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
    missing = [name for name in ("model", "feature_schema") if name not in end]
    if missing:
        raise ModelLoadError(
            f"refusing to load {run.pathspec}: its end step has no {' or '.join(missing)} artifact"
        )


def load_model(run_or_pathspec=None, *, branch: str | None = None) -> LoadedModel:
    """Load the final model and its feature schema from a vetted ``ModelSelectionFlow`` run.

    See ``vetted_run`` for what ``run_or_pathspec`` and ``branch`` accept.
    """
    run = vetted_run(run_or_pathspec, branch=branch)
    end = run.end_task
    return LoadedModel(
        model=end["model"].data,
        feature_schema=end["feature_schema"].data,
        pathspec=run.pathspec,
    )


def load_schema(run_or_pathspec=None, *, branch: str | None = None) -> dict:
    """Load only the feature schema of a vetted run (cheap: no model is unpickled)."""
    run = vetted_run(run_or_pathspec, branch=branch)
    return run.end_task["feature_schema"].data


def mock_table(run_or_pathspec=None, *, n_rows: int = 200, seed: int = 0, branch=None):
    """Fresh mock rows (target included) from the generator and settings a run trained on.

    Only meaningful for a model trained on mock data: a model trained on a file raises
    ``ModelLoadError`` (score real rows instead).
    """
    from {{ cookiecutter.package_name }} import data

    run = vetted_run(run_or_pathspec, branch=branch)
    start = run["start"].task
    source = start["data_source"].data if "data_source" in start else "mock"
    if source != "mock":
        raise ModelLoadError(
            f"{run.pathspec} was trained on {source}, not on mock data: pass rows to score"
        )
    spec = start["spec"].data
    settings = {**spec["data"].get("mock", {}), "n_samples": n_rows}
    return data.make_mock(spec["data"]["task"], seed, target=spec["data"]["target"], **settings)


def read_table(path) -> Any:
    """Read a CSV or Parquet file into a DataFrame, choosing the format by suffix."""
    import pandas as pd

    path = Path(path)
    kind = TABLE_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"{path}: expected a .csv or .parquet file")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    return pd.read_parquet(path) if kind == "parquet" else pd.read_csv(path)


def write_table(frame, path) -> Path:
    """Write a DataFrame as CSV or Parquet (by suffix) atomically: all of it or nothing."""
    path = Path(path)
    kind = TABLE_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"{path}: expected a .csv or .parquet file")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        if kind == "parquet":
            frame.to_parquet(partial, index=False)
        else:
            frame.to_csv(partial, index=False)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def _kind(dtype) -> str:
    """Group dtypes into the families a fitted pipeline can tell apart."""
    from pandas.api import types

    if isinstance(dtype, str):
        try:
            dtype = types.pandas_dtype(dtype)
        except TypeError:
            return dtype
    if types.is_bool_dtype(dtype):
        return "boolean"
    if types.is_numeric_dtype(dtype):
        return "numeric"
    if types.is_datetime64_any_dtype(dtype):
        return "datetime"
    return "text"


def _compatible(expected: str, series) -> bool:
    wanted, got = _kind(expected), _kind(series.dtype)
    # An all-missing column reads as float or object whatever it held at training time.
    return wanted == got or (wanted == "numeric" and got == "boolean") or bool(series.isna().all())


def _coerce(series, expected: str):
    """Cast a compatible column to its training dtype where that is lossless."""
    if str(series.dtype) == expected:
        return series
    try:
        return series.astype(expected)
    except (TypeError, ValueError):
        # e.g. missing values in a column trained as int64: float keeps them.
        return series.astype("float64") if _kind(expected) == "numeric" else series


def check_frame(frame, feature_schema: dict):
    """Return ``frame``'s feature columns in training order, or raise one ``SchemaError``.

    The error names every missing column, every unexpected column and every column whose type is
    incompatible with training. The target column may be present (labelled data): it is dropped.
    """
    columns = list(feature_schema["columns"])
    dtypes = feature_schema.get("dtypes", {})
    target = feature_schema.get("target")
    missing = [name for name in columns if name not in frame.columns]
    unexpected = [name for name in frame.columns if name not in columns and name != target]
    incompatible = [
        f"{name} (trained as {dtypes[name]}, got {frame[name].dtype})"
        for name in columns
        if name in frame.columns and name in dtypes and not _compatible(dtypes[name], frame[name])
    ]
    problems = []
    if missing:
        problems.append(f"missing columns: {', '.join(map(str, missing))}")
    if unexpected:
        problems.append(f"unexpected columns: {', '.join(map(str, unexpected))}")
    if incompatible:
        problems.append(f"incompatible types: {', '.join(incompatible)}")
    if problems:
        raise SchemaError("input does not match the model's feature schema; " + "; ".join(problems))
    features = frame[columns].copy()
    for name in columns:
        if name in dtypes:
            features[name] = _coerce(features[name], dtypes[name])
    return features

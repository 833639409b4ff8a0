"""Score new data with the model of the latest successful tournament on your project branch.

    python flows/predict.py run                               # mock data, latest model
    python flows/predict.py run --data new.csv                # predictions/<run-id>/predictions.csv
    python flows/predict.py run --data new.parquet --output scored.parquet --model_run 1234
    python flows/predict.py --production run --data new.csv   # the production branch's model

The input is checked against the model's ``feature_schema`` before anything is scored; a
mismatch fails the ``start`` step with one error naming every offending column, and no file is
written.
"""

from metaflow import FlowSpec, Parameter, card, current, project, step
from metaflow.exception import MetaflowException

DEFAULT_OUTPUT_ROOT = "predictions"
MOCK_ROWS = 200


class CannotScore(MetaflowException):
    """A clean one-line failure (no traceback) for problems the user fixes, not bugs."""

    headline = "Cannot score"


@project(name="{{ cookiecutter.package_name }}")
class PredictFlow(FlowSpec):
    """Load a vetted model, check the input against its schema, score, write and chart."""

    model_run = Parameter(
        "model_run",
        default="",
        help="ModelSelectionFlow run id or pathspec; empty = latest successful run of this branch",
    )
    data = Parameter(
        "data", default="", help="CSV or Parquet file to score; empty = fresh mock data"
    )
    output = Parameter(
        "output",
        default="",
        help="CSV or Parquet file to write; empty = predictions/<run-id>/predictions.csv",
    )
    seed = Parameter("seed", default=0, type=int, help="seed of the mock data")

    @step
    def start(self):
        """Pick the model run, read the input and check it against the model's schema."""
        from pathlib import Path

        from {{ cookiecutter.package_name }} import loading

        output = Path(self.output or Path(DEFAULT_OUTPUT_ROOT) / current.run_id / "predictions.csv")
        if output.suffix.lower() not in loading.TABLE_SUFFIXES:
            raise CannotScore(f"--output {output}: expected a .csv or .parquet file")
        self.output_path = str(output.resolve())
        try:
            run = loading.vetted_run(self.model_run or None, branch=current.branch_name)
            self.model_pathspec = run.pathspec
            self.feature_schema = run.end_task["feature_schema"].data
            if self.data:
                frame = loading.read_table(self.data)
                self.source = str(Path(self.data).resolve())
            else:
                frame = mock_features(self.model_pathspec, self.feature_schema, self.seed)
                self.source = f"mock data (seed {self.seed}, {len(frame)} rows)"
            self.features = loading.check_frame(frame, self.feature_schema)
        except (loading.ModelLoadError, loading.SchemaError, OSError, ValueError) as error:
            raise CannotScore(f"{type(error).__name__}: {error}") from None
        print(f"Scoring {len(self.features)} rows from {self.source} with {self.model_pathspec}")
        self.next(self.score)

    @card(type="blank", id="predictions")
    @step
    def score(self):
        """Score the checked rows, write them all at once, and chart their distribution."""
        from {{ cookiecutter.package_name }} import loading

        loaded = loading.load_model(self.model_pathspec)
        predictions = loaded.predict(self.features)
        predictions.insert(0, "row", range(len(predictions)))
        self.predictions = predictions.reset_index(drop=True)
        loading.write_table(self.predictions, self.output_path)
        add_card(self.predictions, self.feature_schema, self.model_pathspec, self.output_path)
        self.next(self.end)

    @step
    def end(self):
        """Say where the predictions went."""
        print(f"Wrote {len(self.predictions)} predictions to {self.output_path}")


def mock_features(model_pathspec, feature_schema, seed):
    """Fresh mock rows like the model's training data, without the target column."""
    from {{ cookiecutter.package_name }}.loading import mock_table

    frame = mock_table(model_pathspec, n_rows=MOCK_ROWS, seed=seed)
    return frame.drop(columns=[feature_schema["target"]], errors="ignore")


def add_card(predictions, feature_schema, model_pathspec, output_path):
    """Chart the predictions: a histogram for regression, class shares for classification."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from metaflow.cards import Image, Markdown, Table

    report = current.card["predictions"]
    report.append(Markdown(f"# Predictions\n\nModel: `{model_pathspec}`  \nFile: `{output_path}`"))
    values = predictions["prediction"]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    if feature_schema["task"] == "classification":
        shares = values.value_counts(normalize=True).sort_index()
        ax.bar([str(label) for label in shares.index], shares.to_numpy())
        ax.set_ylabel("share of rows")
        ax.set_title("Predicted classes")
        rows = [[str(label), f"{share:.1%}"] for label, share in shares.items()]
        table = Table(rows, headers=["class", "share"])
    else:
        ax.hist(values, bins=30)
        ax.set_xlabel("prediction")
        ax.set_ylabel("rows")
        ax.set_title("Predicted values")
        stats = values.describe()
        table = Table([[name, f"{value:.4g}"] for name, value in stats.items()], headers=["", ""])
    fig.tight_layout()
    report.append(Image.from_matplotlib(fig))
    report.append(table)
    plt.close(fig)


if __name__ == "__main__":
    PredictFlow()

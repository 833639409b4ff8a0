"""Score new rows with the champion model of your project branch.

    python flows/predict.py run                               # mock rows, the champion's model
    python flows/predict.py run --data new.csv                # predictions/<run-id>/predictions.csv
    python flows/predict.py run --data new.parquet --output scored.parquet --model_run 1234
    python flows/predict.py --production run --data new.csv   # the production branch's champion

The story of a run:
  start  picks the model (the branch's champion, else its latest successful tournament, or the
         run you name), reads the rows and checks them against the model's schema: a mismatch
         fails here with one error naming every offending column, and nothing is written;
  score  scores the rows, writes them all at once, and charts them in a card, with what the
         model never saw in training (unseen categories, new missing values);
  end    says where the predictions went.

Deployed (`argo-workflows create`), `@trigger_on_finish` runs it after every tournament.
"""

from metaflow import (
    FlowSpec,
    Parameter,
    card,
    current,
    package_sources,
    project,
    step,
    trigger_on_finish,
)

from common import PROJECT, refusals

MOCK_ROWS = 200


# Ships the package source with every run: remote tasks import this run's code, not the image's.
@package_sources("../src/{{ cookiecutter.package_name }}")
@trigger_on_finish(flow="ModelSelectionFlow")
@project(name=PROJECT)
class PredictFlow(FlowSpec):
    """Load a vetted model, check the rows against its schema, score, write and chart."""

    # Annotated with the values steps see: the stubs type the declarations themselves.
    model_run: str = Parameter(  # type: ignore[assignment]
        "model_run",
        default="",
        help="ModelSelectionFlow run id or pathspec; empty = the branch's champion",
    )
    data: str = Parameter(  # type: ignore[assignment]
        "data", default="", help="CSV or Parquet file or s3:// URL to score; empty = mock rows"
    )
    output: str = Parameter(  # type: ignore[assignment]
        "output",
        default="",
        help="CSV or Parquet file to write; empty = predictions/<run-id>/predictions.csv",
    )
    seed: int = Parameter(  # type: ignore[assignment]
        "seed", default=0, type=int, help="seed of the mock rows"
    )

    @step
    def start(self):
        """Pick the model, read the rows and check them against the model's schema."""
        from pathlib import Path

        from {{ cookiecutter.package_name }} import data, runs
        from {{ cookiecutter.package_name }}.data import DataError
        from {{ cookiecutter.package_name }}.runs import ModelLoadError
        from {{ cookiecutter.package_name }}.schema import SchemaError, check_frame

        output = self.output or f"predictions/{current.run_id}/predictions.csv"
        with refusals(DataError, ModelLoadError, SchemaError):
            data.table_format(output)
            run, self.model_choice = runs.choose(self.model_run, branch=current.branch_name)
            self.schema = run.end_task["schema"].data
            rows = (
                data.read_table(self.data)
                if self.data
                else runs.mock_rows(run, MOCK_ROWS, self.seed)
            )
            self.features, self.surprises = check_frame(rows, self.schema)
        self.model_pathspec, self.output_path = run.pathspec, str(Path(output).resolve())
        self.source = self.data or f"mock rows (seed {self.seed})"
        print(f"Scoring {len(self.features)} rows from {self.source} with {run.pathspec}")
        print("\n".join([f"({self.model_choice})", *self.surprises]))
        self.next(self.score)

    @card(type="blank", id="predictions")
    @step
    def score(self):
        """Score the checked rows, write them all at once, and chart them."""
        from {{ cookiecutter.package_name }} import data, report, runs

        self.predictions = runs.load_model(self.model_pathspec).predict(self.features)
        self.predictions.insert(0, "row", range(len(self.predictions)))
        data.write_table(self.predictions, self.output_path)
        report.predictions_to_card(current.card["predictions"], self)
        self.next(self.end)

    @step
    def end(self):
        """Say where the predictions went."""
        print(f"Wrote {len(self.predictions)} predictions to {self.output_path}")


if __name__ == "__main__":
    PredictFlow()

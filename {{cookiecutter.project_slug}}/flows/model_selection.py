"""Model-selection tournament: which model family, with which settings, predicts best?

    python flows/model_selection.py run                                 # configs/default.toml
    python flows/model_selection.py --config tournament configs/smoke.toml run
    python flows/model_selection.py run --data my.csv --seed 1          # ships my.csv with the run
    python flows/model_selection.py run --data_url s3://bucket/table.parquet

The story of a run:
  start       checks the config and the data, holds out a test split, cuts the training split
              into folds and plans the (candidate, fold) fits in batches;
  fit         one task per batch, side by side: fits each candidate on each training fold and
              scores it on the fold it did not see;
  tournament  ranks the candidates on their mean fold score (the leaderboard), lets a stacking
              ensemble of the best families compete (when configured), refits the winner side
              by side: on the training split, scored once on the held-out split, and on every
              row (the model); then the winner challenges the champion of this branch;
  end         writes the report (card and results/<run-id>/) and makes the winner champion if
              it beat the champion, or if the branch has none yet.

Heavy libraries are imported inside the steps: every task re-imports this file.
"""

from metaflow import (
    Config,
    FlowSpec,
    IncludeFile,
    Parameter,
    card,
    catch,
    config_expr,
    current,
    package_sources,
    project,
    resources,
    retry,
    schedule,
    step,
)

from common import NO_DATA, PROJECT, data_argument, default_config_path, parse_config, refusals


# Ships the package source with every run: remote tasks import this run's code, not the image's.
@package_sources("../src/{{ cookiecutter.package_name }}")
@project(name=PROJECT)
@schedule(weekly=True)
class ModelSelectionFlow(FlowSpec):
    """Pick the best model family and settings by K-fold cross-validation."""

    config = Config(
        "tournament",
        default=default_config_path,
        parser=parse_config,
        help="Tournament config (TOML): data, search space, metric, resources.",
    )
    # Annotated with the values steps see: the stubs type the declarations themselves.
    data: bytes | None = IncludeFile(  # type: ignore[assignment]
        "data",
        is_text=False,
        default=NO_DATA,  # type: ignore[arg-type]  # the stubs expect a dict here
        help="CSV or Parquet file holding the target column, shipped with the run "
        "(none: mock data from the config).",
    )
    data_name: str = Parameter(  # type: ignore[assignment]
        "data_name",
        default=data_argument,
        help="Name of the --data file in messages and the report (default: the path given).",
    )
    data_url: str = Parameter(  # type: ignore[assignment]
        "data_url", default="", help="s3:// URL of a CSV or Parquet file, read by `start`."
    )
    seed: int = Parameter(  # type: ignore[assignment]
        "seed",
        type=int,
        default=config_expr("tournament.run.seed"),
        help="Seed of the mock data, the splits, the random search and the models.",
    )
    fits_per_task: int = Parameter(  # type: ignore[assignment]
        "fits_per_task",
        type=int,
        default=config_expr("tournament.run.fits_per_task"),
        help="(candidate, fold) fits per fit task; 0 = one cost-balanced shard per worker.",
    )

    @step
    def start(self):
        """Check the config and the data; hold out a test split, cut the folds, plan the fits."""
        from {{ cookiecutter.package_name }} import batches, checks, data, provenance, search_space, splits
        from {{ cookiecutter.package_name }}.config import ConfigError
        from {{ cookiecutter.package_name }}.data import DataError

        config = self.config.to_dict()
        with refusals(ConfigError, DataError):
            search_space.validate(config)
            table, self.data_source, self.mock = data.load(
                config, self.seed, self.data, self.data_url, self.data_name
            )
            checked = checks.check_table(table, config, self.data_source)
            self.candidates = search_space.expand(config["contenders"], self.seed)
            self.batches = batches.plan(self.candidates, config, self.fits_per_task)
        self.data_fingerprint, self.data_shape = data.fingerprint(table), table.shape
        self.data_summary, self.data_notes = data.summarize(checked.table), checked.notes
        self.schema, self.metric = checked.schema, checked.metric
        self.provenance = provenance.describe()
        self.train_data, self.test_data = splits.hold_out(checked.table, config, self.seed)
        self.folds = splits.folds(self.train_data, config, self.seed)
        print("\n".join([*checked.notes, batches.describe(self.candidates, self.batches)]))
        self.next(self.fit, foreach="batches")

    @catch(var="fit_error")
    @retry(times=config_expr("tournament.resources.fit.retries"))  # type: ignore[call-overload]
    @resources(  # type: ignore[call-overload]
        cpu=config_expr("tournament.resources.fit.cpu"),
        memory=config_expr("tournament.resources.fit.memory"),
    )
    @step
    def fit(self):
        """Fit and score this batch's (candidate, fold) fits, side by side on the task's cores."""
        from {{ cookiecutter.package_name }} import parallel
        from {{ cookiecutter.package_name }}.evaluation import peak_memory_mb, run_batch

        config = self.config.to_dict()
        self.batch = self.input or []
        self.fit_results = run_batch(
            config,
            self.candidates,
            self.batch,
            self.train_data,
            self.folds,
            self.schema,
            self.metric,
            self.seed,
            parallel.cores(config["resources"]["fit"]["cpu"]),
        )
        self.peak_memory_mb = peak_memory_mb()
        self.next(self.tournament)

    @resources(  # type: ignore[call-overload]  # config_expr values resolve at launch
        cpu=config_expr("tournament.resources.refit.cpu"),
        memory=config_expr("tournament.resources.refit.memory"),
    )
    @step
    def tournament(self, inputs):
        """Rank every candidate on its mean fold score, crashed tasks included; let the ensemble
        of the best families compete; refit the winner side by side: on the training split
        (scored once on the held-out split) and on every row; challenge the champion."""
        from {{ cookiecutter.package_name }} import champion, ensemble, leaderboard, parallel, refit

        self.fit_results = leaderboard.collect(inputs)
        self.merge_artifacts(
            inputs, exclude=["batch", "fit_results", "fit_error", "peak_memory_mb"]
        )
        config, folds = self.config.to_dict(), self.folds
        cores = parallel.cores(config["resources"]["refit"]["cpu"])
        self.leaderboard = ensemble.compete(
            config, leaderboard.rank(self.candidates, self.fit_results, len(folds)),
            self.candidates, self.fit_results, self.schema, self.train_data, folds, self.metric,
            self.seed, cores,
        )  # fmt: skip
        with refusals(leaderboard.NoWinner):
            self.winner = leaderboard.winner(self.leaderboard)
        outcome = refit.refit(
            config, self.winner, self.candidates, self.schema, self.train_data, self.test_data,
            self.metric, self.seed, cores,
        )  # fmt: skip
        self.model, self.holdout_model = outcome.model, outcome.holdout_model
        self.test_score, self.test_predictions = outcome.test_score, outcome.test_predictions
        print(f"winner {self.winner['candidate']}: held-out {self.metric} {self.test_score:.4f}")
        # Challenged here, where the held-out model is in memory: end then loads no model.
        self.verdict = champion.challenge(
            current.branch_name, outcome.holdout_model, self.test_score, self.test_data,
            self.metric, config["promotion"]["min_improvement"],
        )  # fmt: skip
        self.next(self.end)

    @card(type="blank", id="report")
    @step
    def end(self):
        """Write the report (card, results/<run-id>/); crown the winner if the verdict says so."""
        from metaflow import Run

        from {{ cookiecutter.package_name }} import champion, provenance, report

        summary = report.build(
            str(current.run_id),
            self,
            provenance.summary(self.provenance),
            self.config.search.max_plot_candidates,
        )
        self.results_dir = str(summary.write(report.results_folder(str(current.run_id))))
        summary.to_card(current.card["report"])
        print(summary.text())
        if self.verdict.promote:
            champion.promote(Run(f"{current.flow_name}/{current.run_id}", _namespace_check=False))


if __name__ == "__main__":
    ModelSelectionFlow()

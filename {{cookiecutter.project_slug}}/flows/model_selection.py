"""Model-selection tournament: cross-validate many candidates in parallel, keep the best.

    python flows/model_selection.py run                                   # configs/default.toml
    python flows/model_selection.py --config tournament configs/smoke.toml run
    python flows/model_selection.py run --data my.csv --seed 1 --fits_per_task 0

start (data, splits, candidates, batches) -> fit (foreach batch of (candidate, fold) fits)
-> tournament (leaderboard) -> winner -> evaluate (refit, held-out score) and, side by side,
fit_final (all data: the model) -> report (card, results/<run-id>/) -> end.

Heavy libraries are imported inside the steps: every task re-imports this file.
"""

import os

from metaflow import (
    Config,
    FlowSpec,
    Parameter,
    card,
    catch,
    config_expr,
    current,
    project,
    resources,
    retry,
    schedule,
    step,
)

from common import default_config_path, parse_config, results_root


@project(name="{{ cookiecutter.package_name }}")
@schedule(weekly=True)
class ModelSelectionFlow(FlowSpec):
    """Pick the best model family and hyperparameters by K-fold cross-validation."""

    config = Config(
        "tournament",
        default=default_config_path,
        parser=parse_config,
        help="Tournament configuration (TOML): data, search space, metric, resources.",
    )
    data = Parameter(
        "data",
        default="",
        help="CSV or Parquet file with the target column; empty = mock data from the config.",
    )
    seed = Parameter(
        "seed",
        type=int,
        default=config_expr("tournament.run.seed"),
        help="Seed of the data, splits, random search and models (default: run.seed).",
    )
    fits_per_task = Parameter(
        "fits_per_task",
        type=int,
        default=config_expr("tournament.run.fits_per_task"),
        help="(candidate, fold) fits per fit task; 0 = one cost-balanced shard per worker.",
    )

    @step
    def start(self):
        """Validate the whole search space, build the data and splits, plan the batches."""
        from metaflow.exception import MetaflowException

        from {{ cookiecutter.package_name }} import contenders, data
        from {{ cookiecutter.package_name }}.config import ConfigError

        spec = self.config.to_dict()
        try:
            contenders.validate(spec)
        except ConfigError as error:
            raise MetaflowException(str(error)) from None
        if self.fits_per_task < 0:
            raise MetaflowException("--fits_per_task must be 0 (auto) or positive")
        self.spec = spec
        settings = spec["data"]
        self.task_type = settings["task"]
        self.target = settings["target"]
        self.metric = spec["search"]["metric"]
        self.split_seed = self.seed
        if self.data:
            table = data.load_table(self.data, self.target)
            self.data_source = os.path.abspath(self.data)
        else:
            table = data.make_mock(
                self.task_type, self.seed, target=self.target, **settings.get("mock", {})
            )
            self.data_source = "mock"
        self.data_fingerprint = data.fingerprint(table)
        self.data_shape = tuple(table.shape)
        self.data_summary = data.summarize(table)
        self.numeric_columns, self.categorical_columns = data.feature_columns(table, self.target)
        self.train_data, self.test_data = data.train_test(
            table, self.target, self.task_type, settings["test_size"], self.split_seed
        )
        splitter = data.make_splitter(self.task_type, settings["n_folds"], self.split_seed)
        self.folds = data.fold_indices(
            splitter, self.train_data.drop(columns=[self.target]), self.train_data[self.target]
        )
        self.candidates = contenders.expand(spec["contenders"], self.seed)
        workers = spec["run"].get("workers") or os.cpu_count() or 1
        self.batches = contenders.plan_batches(
            self.candidates, len(self.folds), self.fits_per_task, workers
        )
        costs = contenders.batch_costs(self.candidates, self.batches)
        print(
            f"data {self.data_source}: {self.data_shape[0]} rows x {self.data_shape[1]} columns, "
            f"sha256 {self.data_fingerprint[:12]}; {len(self.candidates)} candidates x "
            f"{len(self.folds)} folds = {sum(map(len, self.batches))} fits in "
            f"{len(self.batches)} tasks (expected cost per task: "
            f"{', '.join(f'{c:.1f}' for c in costs[:8])}{' ...' if len(costs) > 8 else ''})"
        )
        self.next(self.fit, foreach="batches")

    @catch(var="fit_error")
    @retry(times=config_expr("tournament.resources.fit.retries"))
    @resources(
        cpu=config_expr("tournament.resources.fit.cpu"),
        memory=config_expr("tournament.resources.fit.memory"),
    )
    @step
    def fit(self):
        """Fit and score this batch's (candidate, fold) pairs, one thread each."""
        from {{ cookiecutter.package_name }}.evaluation import run_batch

        self.batch = self.input
        self.results = run_batch(
            self.spec, self.candidates, self.batch, self.train_data, self.folds, self.seed
        )
        failed = sum(1 for result in self.results if result["error"])
        print(f"{len(self.results)} fits, {failed} failed")
        self.next(self.tournament)

    @step
    def tournament(self, inputs):
        """Join the fits into the leaderboard, crashed tasks included; the best one wins."""
        from metaflow.exception import MetaflowException

        from {{ cookiecutter.package_name }}.evaluation import failed_fit, leaderboard

        results = []
        for task in inputs:
            found = getattr(task, "results", None)
            if found is not None:
                results.extend(found)
                continue
            # The whole task crashed (@catch kept the run going): its fits fail with its error.
            error = f"task crashed: {getattr(task, 'fit_error', 'unknown error')}"
            for index, fold in getattr(task, "batch", None) or []:
                results.append(
                    {**failed_fit(error.splitlines()[0]), "candidate": index, "fold": fold}
                )
        self.merge_artifacts(inputs, exclude=["batch", "results", "fit_error"])
        self.fit_results = [
            {key: value for key, value in result.items() if key != "traceback"}
            for result in results
        ]
        self.leaderboard = leaderboard(self.candidates, results, len(self.folds))
        best = self.leaderboard.iloc[0]
        if isinstance(best["error"], str):
            first = next((r for r in results if r["error"]), {"error": "no results"})
            raise MetaflowException(
                f"every candidate failed ({len(self.candidates)}); first error: "
                f"{first['error'].splitlines()[0]}"
            )
        self.best_candidate = best["candidate"]
        self.best_family = best["family"]
        self.best_params = dict(best["params"])
        self.best_cv_score = float(best["mean_test_score"])
        self.best_cv_sem = float(best["sem_test_score"])
        self.best_iteration = (
            None
            if best["mean_best_iteration"] != best["mean_best_iteration"]
            else round(best["mean_best_iteration"])
        )
        # Plain values for the `winner` step, which then needs no pandas to unpickle the board.
        self.failed_candidates = int(self.leaderboard["error"].notna().sum())
        self.next(self.winner)

    @step
    def winner(self):
        """Announce the winner, then refit it twice side by side (a join cannot split)."""
        print(
            f"winner {self.best_candidate} {self.best_params}: {self.metric} "
            f"{self.best_cv_score:.4f} +/- {self.best_cv_sem:.4f} (sem); "
            f"{self.failed_candidates} of {len(self.candidates)} candidates failed"
        )
        self.next(self.evaluate, self.fit_final)

    def fit_winner(self, table):
        """The winner fitted on `table` for its mean CV best iteration count (no early stop)."""
        from threadpoolctl import threadpool_limits

        from {{ cookiecutter.package_name }}.contenders import refit_pipeline

        # Run locally, both refits share this machine, so each takes half of it; in a pod
        # os.cpu_count() is the whole node's, so the step's @resources request caps it.
        requested = int(self.spec["resources"]["refit"]["cpu"])
        threads = max(1, min(requested, (os.cpu_count() or 2) // 2))
        pipeline = refit_pipeline(
            self.spec["contenders"][self.best_family],
            self.numeric_columns,
            self.categorical_columns,
            self.seed,
            self.best_params,
            self.best_iteration,
            threads,
        )
        with threadpool_limits(limits=threads):
            return pipeline.fit(table.drop(columns=[self.target]), table[self.target])

    @resources(
        cpu=config_expr("tournament.resources.refit.cpu"),
        memory=config_expr("tournament.resources.refit.memory"),
    )
    @step
    def evaluate(self):
        """Refit the winner on the training split and score it once on the held-out split."""
        import numpy as np
        import pandas as pd
        from sklearn.metrics import get_scorer

        held_out = self.fit_winner(self.train_data)
        X_test = self.test_data.drop(columns=[self.target])
        y_test = self.test_data[self.target]
        self.test_score = float(get_scorer(self.metric)(held_out, X_test, y_test))
        predictions = pd.DataFrame({"actual": y_test, "predicted": held_out.predict(X_test)})
        if self.task_type == "classification" and hasattr(held_out, "predict_proba"):
            probabilities = held_out.predict_proba(X_test)
            for position, label in enumerate(np.asarray(held_out.classes_).tolist()):
                predictions[f"proba_{label}"] = probabilities[:, position]
        self.test_predictions = predictions
        print(f"winner {self.best_candidate}: held-out {self.metric} {self.test_score:.4f}")
        self.next(self.report)

    @resources(
        cpu=config_expr("tournament.resources.refit.cpu"),
        memory=config_expr("tournament.resources.refit.memory"),
    )
    @step
    def fit_final(self):
        """Fit the winner on all the data: the model to deploy, and the inputs it expects."""
        import numpy as np
        import pandas as pd

        everything = pd.concat([self.train_data, self.test_data], ignore_index=True)
        self.model = self.fit_winner(everything)
        columns = [c for c in everything.columns if c != self.target]
        classes = getattr(self.model, "classes_", None)
        self.feature_schema = {
            "columns": columns,
            "dtypes": {name: str(everything[name].dtype) for name in columns},
            "target": self.target,
            "task": self.task_type,
            "classes": None if classes is None else np.asarray(classes).tolist(),
        }
        print(f"final model: {self.best_candidate} fitted on {len(everything)} rows")
        self.next(self.report)

    @card(type="blank", id="report")
    @step
    def report(self, inputs):
        """Join the refits; card + results/<run-id>/: leaderboard, fold scores, test figures."""
        from metaflow.cards import Image, Markdown, Table

        from {{ cookiecutter.package_name }} import plots

        self.merge_artifacts(inputs)
        folder = results_root() / str(current.run_id)
        folder.mkdir(parents=True, exist_ok=True)
        self.results_dir = str(folder.resolve())

        columns = [
            "rank_test_score",
            "candidate",
            "family",
            "mean_test_score",
            "sem_test_score",
            "std_test_score",
            "mean_fit_time",
            "mean_best_iteration",
            "params",
            "error",
        ]
        table = self.leaderboard[columns].copy()
        table["params"] = table["params"].map(str)
        self.leaderboard.to_csv(folder / "leaderboard.csv", index=False)

        limit = self.spec["search"].get("max_plot_candidates", 30)
        figures = {"fold_scores": plots.fold_scores(self.leaderboard, self.metric, limit)}
        predictions = self.test_predictions
        if self.task_type == "regression":
            figures["predicted_vs_actual"] = plots.predicted_vs_actual(
                predictions["actual"], predictions["predicted"]
            )
        else:
            classes = self.feature_schema["classes"] or []
            if len(classes) == 2:
                figures["roc_curve"] = plots.roc_curve(
                    predictions["actual"], predictions[f"proba_{classes[1]}"], classes[1]
                )
            figures["confusion_matrix"] = plots.confusion_matrix(
                predictions["actual"], predictions["predicted"]
            )

        failed = table[table["error"].notna()]
        lines = [
            f"Model-selection tournament, run {current.run_id}",
            f"data: {self.data_source} ({self.data_shape[0]} rows x {self.data_shape[1]} "
            f"columns, sha256 {self.data_fingerprint})",
            f"split seed: {self.split_seed}; folds: {len(self.folds)}; metric: {self.metric} "
            "(higher is better)",
            f"candidates: {len(table)} ({len(failed)} failed); fit tasks: {len(self.batches)}",
            f"winner: {self.best_candidate} {self.best_params}",
            f"cross-validation {self.metric}: {self.best_cv_score:.4f}",
            f"held-out test {self.metric}: {self.test_score:.4f}",
            "",
            table.drop(columns=["error"]).head(20).to_string(index=False),
        ]
        if len(failed):
            lines += ["", "failed candidates:"]
            lines += [f"  {row.candidate}: {row.error}" for row in failed.itertuples()]
        summary = "\n".join(lines)
        (folder / "summary.txt").write_text(summary + "\n", encoding="utf-8")

        report = current.card["report"]
        report.append(Markdown(f"# Model-selection tournament, run {current.run_id}"))
        report.append(Markdown("\n\n".join(f"{line}" for line in lines[1:7])))
        report.append(Markdown("## Leaderboard"))
        report.append(Table.from_dataframe(table.fillna("").astype(str)))
        for name, figure in figures.items():
            image = plots.to_png(figure)
            (folder / f"{name}.png").write_bytes(image)
            report.append(Markdown(f"## {name.replace('_', ' ').capitalize()}"))
            report.append(Image(image))
        report.append(Markdown("## Data summary"))
        report.append(Table.from_dataframe(self.data_summary.fillna("").astype(str)))
        print(summary)
        self.next(self.end)

    @step
    def end(self):
        """Point at the results."""
        print(f"results: {self.results_dir}")


if __name__ == "__main__":
    ModelSelectionFlow()

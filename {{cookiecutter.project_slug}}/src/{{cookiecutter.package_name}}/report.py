"""The run's report: one set of facts, tables and figures, written to `results/<run-id>/` and
to the Metaflow card, so the two always say the same thing."""

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .leaderboard import SHOWN, failures

RESULTS_ENV = "TOURNAMENT_RESULTS_DIR"


@dataclass
class Report:
    """What a reader needs from a tournament run."""

    title: str
    facts: list[tuple[str, str]]
    notes: list[str]
    leaderboard: pd.DataFrame
    failures: list[str]
    figures: dict[str, bytes] = field(default_factory=dict)
    data_summary: pd.DataFrame | None = None

    def text(self) -> str:
        """The report as plain text (summary.txt)."""
        width = max(len(label) for label, _ in self.facts)
        lines = [self.title, ""]
        lines += [f"{label.ljust(width)}  {value}" for label, value in self.facts]
        if self.notes:
            lines += ["", "data notes:", *(f"  {note}" for note in self.notes)]
        lines += ["", _shown(self.leaderboard).head(20).to_string(index=False)]
        if self.failures:
            lines += ["", "failed candidates:", *(f"  {line}" for line in self.failures)]
        return "\n".join(lines) + "\n"

    def write(self, folder: Path) -> Path:
        """Write summary.txt, leaderboard.csv and every figure as PNG into `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "summary.txt").write_text(self.text(), encoding="utf-8")
        self.leaderboard.to_csv(folder / "leaderboard.csv", index=False)
        for name, image in self.figures.items():
            (folder / f"{name}.png").write_bytes(image)
        return folder

    def to_card(self, card: Any) -> None:
        """Append the report to a Metaflow card (`current.card[...]`)."""
        from metaflow.cards import Image, Markdown, Table

        card.append(Markdown(f"# {self.title}"))
        card.append(Table([[label, value] for label, value in self.facts], headers=["", ""]))
        if self.notes:
            card.append(Markdown("## Data notes\n\n" + "\n".join(f"- {n}" for n in self.notes)))
        card.append(Markdown("## Leaderboard"))
        card.append(Table.from_dataframe(_shown(self.leaderboard).fillna("").astype(str)))
        if self.failures:
            lines = "\n".join(f"- {line}" for line in self.failures)
            card.append(Markdown(f"## Failed candidates\n\n{lines}"))
        for name, image in self.figures.items():
            card.append(Markdown(f"## {name.replace('_', ' ').capitalize()}"))
            card.append(Image(image))
        if self.data_summary is not None:
            card.append(Markdown("## Data summary"))
            card.append(Table.from_dataframe(self.data_summary.fillna("").astype(str)))


def _shown(board: pd.DataFrame) -> pd.DataFrame:
    table = board[SHOWN].copy()
    table["params"] = table["params"].map(str)
    return table


def build(run_id: str, run: Any, code: str, max_plot_candidates: int = 30) -> Report:
    """Assemble the report of a finished tournament from its artifacts.

    `run` is anything holding the run's artifacts as attributes: the flow inside its `end`
    step, or `Run(...).data` from the Client (a notebook can rebuild any run's report).
    """
    from . import plots

    classes = run.schema["classes"]
    problem = "regression" if classes is None else f"classification, {len(classes)} classes"
    if classes:
        problem += f" ({', '.join(map(str, classes))})"
    winner, verdict, board = run.winner, run.verdict, run.leaderboard
    if verdict.champion is None:
        champion = "none yet"
    elif verdict.champion_score is None:
        champion = f"{verdict.champion}: cannot score these rows"
    else:
        champion = f"{verdict.champion}: {verdict.champion_score:.4f}"
        if verdict.rows is not None and verdict.rows < len(run.test_data):
            # Part of the held-out rows trained the champion: both were scored on the rest.
            champion += (
                f" (challenger {verdict.challenger_score:.4f} on the same {verdict.rows} rows)"
            )
    rows, columns = run.data_shape
    facts = [
        ("data", f"{run.data_source} ({rows} rows x {columns} columns)"),
        ("data sha256", run.data_fingerprint),
        ("problem", problem),
        ("metric", f"{run.metric} (higher is better)"),
        ("split", f"seed {run.seed}; held-out {len(run.test_data)} rows; {len(run.folds)} folds"),
        (
            "candidates",
            f"{len(board)} ({len(failures(board))} failed); {len(run.batches)} fit tasks",
        ),
        ("winner", f"{winner['candidate']} {winner['params']}"),
        ("cross-validation", f"{winner['cv_score']:.4f} +/- {winner['cv_sem']:.4f} (sem)"),
        ("held-out, challenger", f"{run.test_score:.4f}"),
        ("held-out, champion", champion),
        ("decision", verdict.reason),
        ("code", code),
    ]
    figures = {"fold_scores": plots.fold_scores(board, run.metric, max_plot_candidates)}
    figures.update(plots.held_out(run.test_predictions, classes))
    return Report(
        title=f"Model-selection tournament, run {run_id}",
        facts=facts,
        notes=list(run.data_notes),
        leaderboard=board,
        failures=failures(board),
        figures={name: plots.to_png(figure) for name, figure in figures.items()},
        data_summary=run.data_summary,
    )


def results_folder(run_id: str) -> Path:
    """`results/<run-id>/` under the working directory, or under $TOURNAMENT_RESULTS_DIR."""
    return (Path(os.environ.get(RESULTS_ENV) or "results") / run_id).resolve()


def predictions_to_card(card: Any, run: Any) -> None:
    """The predict flow's card: which model scored which rows, what it never saw, the spread."""
    from metaflow.cards import Image, Markdown, Table

    from . import plots

    card.append(
        Markdown(
            f"# Predictions\n\nModel: `{run.model_pathspec}` ({run.model_choice})  \n"
            f"Rows: {len(run.predictions)} from `{run.source}`  \nFile: `{run.output_path}`"
        )
    )
    if run.surprises:
        lines = "\n".join(f"- {note}" for note in run.surprises)
        card.append(Markdown(f"## Not seen in training\n\n{lines}"))
    figure, rows = plots.prediction_spread(run.predictions, run.schema["problem"])
    card.append(Image(plots.to_png(figure)))
    card.append(Table(rows, headers=["", ""]))

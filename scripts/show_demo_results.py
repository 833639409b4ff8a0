"""Print where the demo run put its results, and save its Metaflow card beside them."""

from pathlib import Path

from metaflow import Flow
from metaflow.cards import get_cards
from metaflow.plugins.cards.exception import CardNotPresentException


def report_card(run):
    """Return the run's report card, from whichever step renders it."""
    for step in run:
        try:
            return get_cards(step.task, id="report")[0]
        except CardNotPresentException:
            continue
    raise SystemExit(f"{run.pathspec} has no report card")


def main():
    """Find the latest successful tournament run and point at its leaderboard, figures and card."""
    run = Flow("ModelSelectionFlow").latest_successful_run
    results = Path(run.data.results_dir).resolve()
    card = results / "card.html"
    card.write_text(report_card(run).get(), encoding="utf-8")
    leaderboard = run.data.leaderboard
    columns = [c for c in ("rank_test_score", "candidate", "mean_test_score") if c in leaderboard]
    print(
        f"\nRun {run.pathspec} finished; {run.data.metric} on the held-out test set:"
        f" {run.data.test_score:.4f}\n"
    )
    print(leaderboard.sort_values("rank_test_score")[columns].head(10).to_string(index=False))
    print(f"\nResults (summary, leaderboard, figures): {results}")
    for path in sorted(results.iterdir()):
        print(f"  {path.name}")
    print(f"Card: {card}  (open it in a browser)")


if __name__ == "__main__":
    main()

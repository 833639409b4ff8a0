"""Report figures: fold scores per candidate, held-out predictions against the truth (a scatter,
ROC curves, a confusion matrix with the class names), and the spread of new predictions."""

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .predictions import ACTUAL, PREDICTION, probability_column  # noqa: E402


def fold_scores(leaderboard: pd.DataFrame, metric: str, max_candidates: int = 30) -> Figure:
    """Box plot of each candidate's fold scores, best candidate on top."""
    folds = sorted(
        c for c in leaderboard.columns if c.startswith("split") and c.endswith("_test_score")
    )
    shown = leaderboard[leaderboard["error"].isna()].head(max_candidates)
    figure, axes = plt.subplots(figsize=(8, 1.5 + 0.35 * max(len(shown), 1)))
    if len(shown):
        data = [row[folds].to_numpy(dtype=float) for _, row in shown.iloc[::-1].iterrows()]
        labels = list(shown["candidate"].iloc[::-1])
        axes.boxplot(data, orientation="horizontal", tick_labels=labels)
    axes.set_xlabel(f"{metric} (cross-validation folds; higher is better)")
    axes.set_title("Fold scores per candidate")
    figure.tight_layout()
    return figure


def held_out(predictions: pd.DataFrame, classes: list[Any] | None) -> dict[str, Figure]:
    """The held-out figures that fit the problem, by file name."""
    if classes is None:
        return {"predicted_vs_actual": predicted_vs_actual(predictions)}
    figures = {}
    if all(probability_column(label) in predictions for label in classes):
        figures["roc_curve"] = roc_curves(predictions, classes)
    figures["confusion_matrix"] = confusion_matrix(predictions, classes)
    return figures


def predicted_vs_actual(predictions: pd.DataFrame) -> Figure:
    """Scatter of held-out predictions against the truth, with the identity line."""
    y_true, y_pred = predictions[ACTUAL], predictions[PREDICTION]
    figure, axes = plt.subplots(figsize=(6, 6))
    axes.scatter(y_true, y_pred, s=10, alpha=0.6)
    low = float(min(np.min(y_true), np.min(y_pred)))
    high = float(max(np.max(y_true), np.max(y_pred)))
    axes.plot([low, high], [low, high], color="black", linewidth=1)
    axes.set_xlabel("actual")
    axes.set_ylabel("predicted")
    axes.set_title("Held-out test set")
    figure.tight_layout()
    return figure


def roc_curves(predictions: pd.DataFrame, classes: list[Any]) -> Figure:
    """ROC of the held-out set: the positive class for two classes, else one-vs-rest per class."""
    from sklearn.metrics import RocCurveDisplay

    figure, axes = plt.subplots(figsize=(6, 6))
    shown = classes[1:] if len(classes) == 2 else classes
    for label in shown:
        RocCurveDisplay.from_predictions(
            predictions[ACTUAL] == label,
            predictions[probability_column(label)],
            name=f"{label}" if len(classes) == 2 else f"{label} vs rest",
            ax=axes,
        )
    axes.set_title("Held-out test set: ROC" + ("" if len(classes) == 2 else " (one vs rest)"))
    figure.tight_layout()
    return figure


def confusion_matrix(predictions: pd.DataFrame, classes: list[Any]) -> Figure:
    """Confusion matrix of the held-out set, rows and columns named by class."""
    from sklearn.metrics import ConfusionMatrixDisplay

    size = 4 + 0.4 * len(classes)
    figure, axes = plt.subplots(figsize=(size + 1, size))
    ConfusionMatrixDisplay.from_predictions(
        predictions[ACTUAL],
        predictions[PREDICTION],
        labels=classes,
        display_labels=[str(label) for label in classes],
        ax=axes,
        colorbar=False,
    )
    axes.set_title("Held-out test set: confusion matrix")
    figure.tight_layout()
    return figure


def prediction_spread(predictions: pd.DataFrame, problem: str) -> tuple[Figure, list[list[Any]]]:
    """New predictions: class shares (classification) or a histogram, and a table of figures."""
    values = predictions[PREDICTION]
    figure, axes = plt.subplots(figsize=(6, 3.5))
    if problem == "classification":
        shares = values.value_counts(normalize=True).sort_index()
        axes.bar([str(label) for label in shares.index], shares.to_numpy())
        axes.set_ylabel("share of rows")
        axes.set_title("Predicted classes")
        rows: list[list[Any]] = [[str(label), f"{share:.1%}"] for label, share in shares.items()]
    else:
        axes.hist(values, bins=30)
        axes.set_xlabel("prediction")
        axes.set_ylabel("rows")
        axes.set_title("Predicted values")
        rows = [[str(name), f"{value:.4g}"] for name, value in values.describe().items()]
    figure.tight_layout()
    return figure, rows


def to_png(figure: Figure, dpi: int = 100) -> bytes:
    """Render the figure once as PNG bytes (for a file and a card alike), then free it."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    plt.close(figure)
    return buffer.getvalue()

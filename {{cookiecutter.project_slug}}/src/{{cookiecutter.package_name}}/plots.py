"""Report figures: fold scores per candidate, predictions vs truth, ROC and confusion matrix."""

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def fold_scores(leaderboard, metric, max_candidates=30):
    """Box plot of each candidate's fold scores, best candidate on top."""
    folds = sorted(
        c for c in leaderboard.columns if c.startswith("split") and c.endswith("_test_score")
    )
    shown = leaderboard[leaderboard["error"].isna()].head(max_candidates)
    height = 1.5 + 0.35 * max(len(shown), 1)
    figure, axes = plt.subplots(figsize=(8, height))
    if len(shown):
        data = [row[folds].to_numpy(dtype=float) for _, row in shown.iloc[::-1].iterrows()]
        axes.boxplot(data, vert=False, tick_labels=list(shown["candidate"].iloc[::-1]))
    axes.set_xlabel(f"{metric} (cross-validation folds; higher is better)")
    axes.set_title("Fold scores per candidate")
    figure.tight_layout()
    return figure


def predicted_vs_actual(y_true, y_pred):
    """Scatter of held-out predictions against the truth, with the identity line."""
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


def roc_curve(y_true, scores, positive_label):
    """ROC curve of the held-out test set (binary classification)."""
    from sklearn.metrics import RocCurveDisplay

    figure, axes = plt.subplots(figsize=(6, 6))
    RocCurveDisplay.from_predictions(y_true, scores, pos_label=positive_label, ax=axes)
    axes.set_title("Held-out test set: ROC")
    figure.tight_layout()
    return figure


def confusion_matrix(y_true, y_pred):
    """Confusion matrix of the held-out test set."""
    from sklearn.metrics import ConfusionMatrixDisplay

    figure, axes = plt.subplots(figsize=(6, 5))
    ConfusionMatrixDisplay.from_predictions(y_true, y_pred, ax=axes, colorbar=False)
    axes.set_title("Held-out test set: confusion matrix")
    figure.tight_layout()
    return figure


def to_png(figure, dpi=100):
    """Render the figure once as PNG bytes (for a file and a card alike), then free it."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    plt.close(figure)
    return buffer.getvalue()

"""scikit-learn MLPs that record their best iteration and honour a fixed iteration budget."""

import warnings
from typing import Any, Self

import numpy as np
from sklearn import neural_network
from sklearn.exceptions import ConvergenceWarning


def _best_iteration(model: Any) -> int:
    if model.early_stopping and getattr(model, "validation_scores_", None):
        # With early stopping scikit-learn keeps the weights of the best validation score.
        return int(np.argmax(model.validation_scores_)) + 1
    return int(model.n_iter_)


class _Budget:
    def fit(self, X: Any, y: Any) -> Self:
        # `max_iter` is the budget the tournament chose (or the refit's best iteration):
        # stopping there is intended, not a convergence problem.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            # A mixin: scikit-learn's MLP comes next in the subclasses' method order.
            super().fit(X, y)  # type: ignore[misc]
        self.best_iteration_ = _best_iteration(self)
        return self

    def refit_params(self, iterations: int) -> dict[str, Any]:
        """Train exactly `iterations` epochs on all the data given, no validation split."""
        iterations = max(int(iterations), 1)
        # n_iter_no_change beyond the budget: the training-loss plateau rule must not cut it short.
        return {"max_iter": iterations, "early_stopping": False, "n_iter_no_change": iterations + 1}


class MLPRegressor(_Budget, neural_network.MLPRegressor):
    """scikit-learn's MLPRegressor on a standardised target.

    Early stopping carves `validation_fraction` of the fit data. Targets are standardised
    inside `fit` (and restored by `predict`): raw targets in the hundreds leave the default
    learning rate crawling.
    """

    def fit(self, X: Any, y: Any) -> Self:
        y = np.asarray(y, dtype=np.float64)
        self.y_mean_ = float(np.mean(y))
        self.y_scale_ = float(np.std(y)) or 1.0
        return super().fit(X, (y - self.y_mean_) / self.y_scale_)

    def predict(self, X: Any) -> np.ndarray:
        return super().predict(X) * self.y_scale_ + self.y_mean_


class MLPClassifier(_Budget, neural_network.MLPClassifier):
    """scikit-learn's MLPClassifier; early stopping carves `validation_fraction` of the fit data."""

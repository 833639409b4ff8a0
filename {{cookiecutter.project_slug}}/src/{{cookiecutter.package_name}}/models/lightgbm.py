"""LightGBM regressor and classifier with early stopping on an inner validation split."""

import inspect
from typing import Any, Self

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted


def _validation_kwargs(model: Any, X_val: np.ndarray, y_val: np.ndarray) -> dict[str, Any]:
    # LightGBM 4.7 renamed eval_set to eval_X/eval_y and deprecated the old name.
    if "eval_X" in inspect.signature(model.fit).parameters:
        return {"eval_X": (X_val,), "eval_y": (y_val,)}
    return {"eval_set": [(X_val, y_val)]}


class _LightGBM(BaseEstimator):
    _classifier = False

    def __init__(
        self,
        n_estimators: int = 500,
        learning_rate: float = 0.05,
        num_leaves: int = 31,
        max_depth: int = -1,
        min_child_samples: int = 20,
        subsample: float = 1.0,
        subsample_freq: int = 0,
        colsample_bytree: float = 1.0,
        reg_alpha: float = 0.0,
        reg_lambda: float = 0.0,
        early_stopping_rounds: int | None = 20,
        validation_fraction: float = 0.1,
        random_state: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.subsample_freq = subsample_freq
        self.colsample_bytree = colsample_bytree
        self.reg_alpha = reg_alpha
        self.reg_lambda = reg_lambda
        self.early_stopping_rounds = early_stopping_rounds
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _booster(self) -> Any:
        import lightgbm

        kind = lightgbm.LGBMClassifier if self._classifier else lightgbm.LGBMRegressor
        return kind(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            max_depth=self.max_depth,
            min_child_samples=self.min_child_samples,
            subsample=self.subsample,
            subsample_freq=self.subsample_freq,
            colsample_bytree=self.colsample_bytree,
            reg_alpha=self.reg_alpha,
            reg_lambda=self.reg_lambda,
            random_state=self.random_state,
            n_jobs=self.n_jobs,
            # Same result on every run and machine, whatever the thread count.
            deterministic=True,
            force_row_wise=True,
            verbose=-1,
        )

    def fit(self, X: Any, y: Any) -> Self:
        import lightgbm

        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        self.n_features_in_ = X.shape[1]
        if self._classifier:
            # Train on class codes: LightGBM does not encode labels passed as `eval_y`, so
            # string labels would reach it raw. `classes_` maps the codes back.
            self.classes_, y = np.unique(y, return_inverse=True)
        self.model_ = self._booster()
        if self.early_stopping_rounds:
            X_fit, X_val, y_fit, y_val = train_test_split(
                X,
                y,
                test_size=self.validation_fraction,
                random_state=self.random_state,
                stratify=y if self._classifier else None,
            )
            self.model_.fit(
                X_fit,
                y_fit,
                **_validation_kwargs(self.model_, X_val, y_val),
                callbacks=[lightgbm.early_stopping(self.early_stopping_rounds, verbose=False)],
            )
            self.best_iteration_ = int(self.model_.best_iteration_ or self.n_estimators)
        else:
            self.model_.fit(X, y)
            self.best_iteration_ = int(self.n_estimators)
        return self

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        predicted = self.model_.predict(np.asarray(X, dtype=np.float64))
        return self.classes_[predicted] if self._classifier else predicted

    def refit_params(self, iterations: int) -> dict[str, Any]:
        """Train exactly `iterations` trees, without a validation split."""
        return {"n_estimators": max(int(iterations), 1), "early_stopping_rounds": None}


class LightGBMRegressor(RegressorMixin, _LightGBM):
    """LightGBM regression, seeded and deterministic, early stopping on an inner split."""


class LightGBMClassifier(ClassifierMixin, _LightGBM):
    """LightGBM classification, seeded and deterministic, early stopping on an inner split."""

    _classifier = True

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        return self.model_.predict_proba(np.asarray(X, dtype=np.float64))

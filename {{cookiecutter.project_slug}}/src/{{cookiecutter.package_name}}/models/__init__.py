"""Estimators that follow the scikit-learn contract and record their best iteration.

Every iterative wrapper carves its early-stopping validation split from the data given to
`fit`, so inside cross-validation it never sees the scored fold. After `fit` it exposes
`best_iteration_`, and `refit_params(n)` returns the parameters that train for exactly `n`
iterations with early stopping off (what the final refits use).
"""

from typing import Any


def best_iteration(estimator: Any) -> int | None:
    """Return the fitted estimator's best iteration, or None when it has no iterations."""
    value = getattr(estimator, "best_iteration_", None)
    return None if value is None else int(value)


def refit_params(estimator: Any, iterations: int | None) -> dict[str, Any]:
    """Parameters that fix the iteration count, or {} for estimators without one."""
    method = getattr(estimator, "refit_params", None)
    if method is None or iterations is None:
        return {}
    return dict(method(int(iterations)))

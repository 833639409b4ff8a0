"""Splits: the held-out test split and the cross-validation folds, both seeded (and stratified
for classification), so a resumed or repeated run scores on the same rows."""

from typing import Any

import numpy as np
import pandas as pd


def make_splitter(problem: str, n_folds: int, seed: int) -> Any:
    """The cross-validation splitter: stratified for classification, shuffled and seeded."""
    from sklearn.model_selection import KFold, StratifiedKFold

    if problem == "classification":
        return StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    return KFold(n_splits=n_folds, shuffle=True, random_state=seed)


def hold_out(
    table: pd.DataFrame, config: dict[str, Any], seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out a seeded (stratified for classification) test split; return (train, test)."""
    from sklearn.model_selection import train_test_split

    data = config["data"]
    stratify = table[data["target"]] if data["problem"] == "classification" else None
    train, test = train_test_split(
        table, test_size=data["test_size"], random_state=seed, stratify=stratify
    )
    return train.reset_index(drop=True), test.reset_index(drop=True)


def folds(
    train: pd.DataFrame, config: dict[str, Any], seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The training split's folds as (train, test) row-index arrays."""
    data = config["data"]
    splitter = make_splitter(data["problem"], data["n_folds"], seed)
    target = data["target"]
    return list(splitter.split(train.drop(columns=[target]), train[target]))

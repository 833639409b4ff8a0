"""Tournament data: mock tables, user files, fingerprints, summaries and seeded splits."""

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

CATEGORY_COLUMN = "category"


def make_mock(
    task,
    seed,
    n_samples=1000,
    n_features=10,
    n_informative=5,
    n_categories=2,
    noise=10.0,
    class_sep=1.0,
    flip_y=0.01,
    target="target",
):
    """Join `n_categories` independent problems into one table with a categorical column.

    Each category gets its own coefficients (regression) or class geometry (classification),
    so a model has to use the categorical column to do well.
    """
    from sklearn.datasets import make_classification, make_regression

    rng = np.random.RandomState(seed)
    seeds = rng.randint(0, 2**31 - 1, size=n_categories)
    sizes = np.full(n_categories, n_samples // n_categories)
    sizes[: n_samples % n_categories] += 1
    parts = []
    for index, (size, part_seed) in enumerate(zip(sizes, seeds, strict=True)):
        if task == "regression":
            X, y = make_regression(
                n_samples=int(size),
                n_features=n_features,
                n_informative=n_informative,
                noise=noise,
                random_state=int(part_seed),
            )
        else:
            X, y = make_classification(
                n_samples=int(size),
                n_features=n_features,
                n_informative=n_informative,
                n_redundant=0,
                class_sep=class_sep,
                flip_y=flip_y,
                random_state=int(part_seed),
            )
        part = pd.DataFrame(X, columns=[f"x{i}" for i in range(n_features)])
        part.insert(0, CATEGORY_COLUMN, f"c{index}")
        part[target] = y
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    order = rng.permutation(len(table))
    return table.iloc[order].reset_index(drop=True)


def load_table(path, target):
    """Read a CSV or Parquet file that holds the target column."""
    path = Path(path)
    if path.suffix.lower() in (".parquet", ".pq"):
        table = pd.read_parquet(path)
    elif path.suffix.lower() in (".csv", ".txt"):
        table = pd.read_csv(path)
    else:
        raise ValueError(f"{path}: unsupported file type (use .csv or .parquet)")
    if target not in table.columns:
        raise ValueError(f"{path}: target column {target!r} not found in {list(table.columns)}")
    return table


def fingerprint(table):
    """Return the sha256 of the table's content (column names, dtypes and values)."""
    digest = hashlib.sha256()
    for name in table.columns:
        digest.update(f"{name}\0{table[name].dtype}\0".encode())
    hashed = pd.util.hash_pandas_object(table, index=False).to_numpy()
    digest.update(hashed.tobytes())
    return digest.hexdigest()


def feature_columns(table, target):
    """Split the feature columns into (numeric, categorical) names, in table order."""
    features = [name for name in table.columns if name != target]
    numeric = [
        name
        for name in features
        if pd.api.types.is_numeric_dtype(table[name])
        and not pd.api.types.is_bool_dtype(table[name])
    ]
    categorical = [name for name in features if name not in numeric]
    return numeric, categorical


def summarize(table):
    """One row per column: dtype, missing values, distinct values and numeric statistics."""
    rows = []
    for name in table.columns:
        column = table[name]
        row = {
            "column": name,
            "dtype": str(column.dtype),
            "missing": int(column.isna().sum()),
            "unique": int(column.nunique()),
        }
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            row.update(
                mean=float(column.mean()),
                std=float(column.std()),
                min=float(column.min()),
                max=float(column.max()),
            )
        else:
            top = column.value_counts().head(3)
            row["top"] = ", ".join(f"{k} ({v})" for k, v in top.items())
        rows.append(row)
    return pd.DataFrame(rows)


def make_splitter(task, n_folds, seed):
    """The cross-validation splitter: stratified for classification, shuffled and seeded."""
    from sklearn.model_selection import KFold, StratifiedKFold

    if task == "classification":
        return StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    return KFold(n_splits=n_folds, shuffle=True, random_state=seed)


def train_test(table, target, task, test_size, seed):
    """Hold out a seeded (stratified for classification) test split; return (train, test)."""
    from sklearn.model_selection import train_test_split

    stratify = table[target] if task == "classification" else None
    train, test = train_test_split(table, test_size=test_size, random_state=seed, stratify=stratify)
    return train.reset_index(drop=True), test.reset_index(drop=True)


def fold_indices(splitter, X, y):
    """Materialise the splitter's folds as a list of (train, test) index arrays."""
    return [(train, test) for train, test in splitter.split(X, y)]

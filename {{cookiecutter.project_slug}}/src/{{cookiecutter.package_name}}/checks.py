"""The data check of the `start` step: a table the tournament can use, or one line saying why not.

It runs before anything fans out, so a bad file costs seconds, not a tournament. Each refusal is
one `DataError` (`<file>: column '<name>': <rule>`) or `ConfigError` (`<config>: <key>: ...`).
What it changes on the way (rows without a target, useless columns) and what it warns about
(many categories, dates) comes back as notes for the card and the summary.
"""

import itertools
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import schema as schemas
from .config import ConfigError
from .data import DataError, is_number

# The smallest cross-validation test fold (and held-out split) worth scoring.
MIN_ROWS_PER_FOLD = 5
# More classes than this in an integer target suggests a number to predict, not classes.
MANY_CLASSES = 20


@dataclass(frozen=True)
class Checked:
    """A table ready for the tournament: what to train on, its schema, the metric, and notes."""

    table: pd.DataFrame
    schema: dict[str, Any]
    metric: str
    notes: list[str] = field(default_factory=list)


def check_table(table: pd.DataFrame, config: dict[str, Any], source: str) -> Checked:
    """Check `table` against the config's data settings; return a `Checked` or raise one line."""
    data = config["data"]
    target, problem = data["target"], data["problem"]
    notes: list[str] = []
    if table.shape[1] == 0:
        raise DataError(source, "the file is empty")
    if len(table) == 0:
        raise DataError(source, "has a header but no rows")
    if target not in table.columns:
        shown = ", ".join(map(repr, list(table.columns)[:10]))
        more = ", ..." if table.shape[1] > 10 else ""
        raise DataError(
            source,
            f"not found: set data.target to one of the columns ({shown}{more})",
            column=target,
        )
    table = _drop_missing_targets(table, target, data["missing_target"], source, notes)
    _check_target(table[target], problem, source, target)
    _check_size(table[target], data, problem, source, target)
    table, kinds, ignored = _usable_columns(table, target, data, source, notes)
    metric = resolve_metric(config["search"]["metric"], problem, table[target], config["source"])
    schema = schemas.infer(table, target, kinds, problem, data["max_categories"], ignored)
    return Checked(table=table.reset_index(drop=True), schema=schema, metric=metric, notes=notes)


def _drop_missing_targets(
    table: pd.DataFrame, target: str, rule: str, source: str, notes: list[str]
) -> pd.DataFrame:
    missing = int(table[target].isna().sum())
    if not missing:
        return table
    if missing == len(table):
        raise DataError(source, "holds no values: every row is missing its target", column=target)
    if rule == "refuse":
        raise DataError(
            source,
            f"{missing} of {len(table)} rows have no target value "
            '(data.missing_target = "refuse"; "drop" trains without them)',
            column=target,
        )
    notes.append(f"dropped {missing} of {len(table)} rows without a value in {target!r}")
    return table[table[target].notna()]


def _check_target(y: pd.Series, problem: str, source: str, target: str) -> None:
    if problem == "regression":
        if not is_number(y):
            example = y.dropna().iloc[0]
            raise DataError(
                source,
                f"regression needs numbers, but it holds values such as {example!r} "
                '(set data.problem = "classification" to predict classes)',
                column=target,
            )
        return
    if pd.api.types.is_float_dtype(y) and not np.all(np.mod(y.to_numpy(dtype=float), 1) == 0):
        example = next(value for value in y if value % 1)
        raise DataError(
            source,
            f"classification needs class labels, but it holds continuous numbers such as "
            f'{example!r} (set data.problem = "regression" to predict numbers)',
            column=target,
        )
    if y.nunique() < 2:
        raise DataError(
            source, f"classification needs two classes or more; it holds only {y.iloc[0]!r}", target
        )


def _enough_rows(rows: int, n_folds: int, test_size: float) -> bool:
    """Whether the held-out split (train_test_split's ceil) and every fold get enough rows."""
    held_out = math.ceil(rows * test_size)
    return min(held_out, (rows - held_out) // n_folds) >= MIN_ROWS_PER_FOLD


def _check_size(y: pd.Series, data: dict[str, Any], problem: str, source: str, target: str) -> None:
    rows, n_folds, test_size = len(y), data["n_folds"], data["test_size"]
    if not _enough_rows(rows, n_folds, test_size):
        needed = next(n for n in itertools.count(rows + 1) if _enough_rows(n, n_folds, test_size))
        raise DataError(
            source,
            f"{rows} rows with a target are too few for a held-out split of {test_size} and "
            f"{n_folds} folds: at least {needed} are needed (or lower data.n_folds)",
        )
    if problem != "classification":
        return
    counts = y.value_counts()
    # A stratified split must leave every class at least one member per training fold.
    needed = math.ceil(n_folds / (1 - test_size)) + 1
    if counts.min() < needed:
        label, count = counts.idxmin(), int(counts.min())
        label = label.item() if hasattr(label, "item") else label
        hint = (
            ' (does it hold classes? set data.problem = "regression" to predict numbers)'
            if len(counts) > MANY_CLASSES and is_number(y)
            else " (merge rare classes, or lower data.n_folds)"
        )
        raise DataError(
            source,
            f"class {label!r} has {count} rows; a held-out split of {test_size} and "
            f"{n_folds} stratified folds need at least {needed} per class{hint}",
            column=target,
        )


def _usable_columns(
    table: pd.DataFrame, target: str, data: dict[str, Any], source: str, notes: list[str]
) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """Drop columns that carry nothing; classify the rest as numeric, categorical or date."""
    named = set(data["categorical"])
    for name in sorted(named - set(table.columns)):
        raise DataError(
            source, "is named in data.categorical but the file has no such column", name
        )
    kinds: dict[str, str] = {}
    ignored: list[str] = []
    for name in table.columns:
        if name == target:
            continue
        column = table[name]
        reason = _useless(column, name in named, data["max_categories"])
        if reason:
            ignored.append(name)
            notes.append(f"ignored column {name!r}: {reason}")
            continue
        kinds[name] = schemas.column_kind(column, categorical=name in named)
        distinct = column.nunique()
        if kinds[name] == "date":
            notes.append(f"column {name!r} holds dates: used as days since 1970-01-01")
        elif kinds[name] == "categorical" and distinct > data["max_categories"]:
            notes.append(
                f"column {name!r} has {distinct} distinct values: the "
                f"{data['max_categories']} most frequent are kept, the rest grouped as one "
                "'infrequent' value (data.max_categories)"
            )
    if not kinds:
        raise DataError(source, f"no usable feature column besides the target {target!r}")
    return table[[*kinds, target]], kinds, ignored


def _useless(column: pd.Series, named_categorical: bool, max_categories: int) -> str | None:
    """Why a column cannot help any model, or None."""
    if column.isna().all():
        return "every value is missing"
    if column.nunique(dropna=False) == 1:
        value = column.iloc[0]
        return f"every row holds the same value ({getattr(value, 'item', lambda: value)()!r})"
    text = not is_number(column) or named_categorical
    all_distinct = column.nunique() == column.notna().sum() > max_categories
    if text and all_distinct and not schemas.looks_like_dates(column):
        return "every value is different (an identifier or free text): nothing to learn"
    return None


def resolve_metric(metric: str, problem: str, y: pd.Series, config_source: str) -> str:
    """The scorer to use: `auto` picks one for the problem and class count; a scorer that
    cannot score this target is refused, named with its config key."""
    classes = y.nunique() if problem == "classification" else 0
    if metric == "auto":
        if problem == "regression":
            return "r2"
        return "roc_auc" if classes == 2 else "roc_auc_ovr"
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.metrics import get_scorer

    # Score a constant model on the real target: whatever a scorer refuses here (three
    # classes for `roc_auc`, string labels for `f1`, negative values for a log error) it
    # would refuse in every fit after the fan-out.
    dummy = DummyClassifier(strategy="prior") if classes else DummyRegressor()
    X = np.zeros((len(y), 1))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            get_scorer(metric)(dummy.fit(X, y), X, y)
    except (ValueError, TypeError, AttributeError) as error:
        what = f"{classes} classes" if classes else "this target"
        reason = str(error).strip().splitlines()[0]
        raise ConfigError(
            config_source, "search.metric", f"{metric!r} cannot score {what}: {reason}"
        ) from None
    return metric

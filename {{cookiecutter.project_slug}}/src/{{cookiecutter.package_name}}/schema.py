"""The feature schema: what the model was trained on, and the check of new rows against it.

`infer` records it at training time (column order, each column's kind and dtype, the values
seen in categorical columns, which columns had missing values, which were ignored); `check_frame`
holds a frame to score against it: a mismatch is one `SchemaError` naming every problem, and
what the model can score but never saw (unseen categories, missing values where training had
none) comes back as plain-language notes.
"""

import re
from typing import Any

import numpy as np
import pandas as pd

from .data import is_number

KINDS = ("numeric", "categorical", "date")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([T ][\d:.]+)?(Z|[+-]\d{2}:?\d{2})?")


# What pandas raises for a cast it cannot make (text to numbers, missing values to int).
UNCASTABLE = (TypeError, ValueError)


class SchemaError(ValueError):
    """A frame does not match the schema the model was trained on; the message lists every gap."""


def looks_like_dates(column: pd.Series) -> bool:
    """True for text whose every value is an ISO 8601 date (2024-01-31, 2024-01-31T12:00)."""
    values = column.dropna()
    if values.empty or is_number(column) or pd.api.types.is_bool_dtype(column):
        return False
    if not all(isinstance(value, str) for value in values):
        return False
    return bool(values.map(lambda value: ISO_DATE.fullmatch(value) is not None).all())


def column_kind(column: pd.Series, categorical: bool = False) -> str:
    """`categorical` (text, booleans, named int codes), `date`, or `numeric`."""
    if categorical:
        return "categorical"
    if pd.api.types.is_datetime64_any_dtype(column) or looks_like_dates(column):
        return "date"
    if is_number(column):
        return "numeric"
    return "categorical"


def _plain(values: Any) -> list[Any]:
    return [value.item() if hasattr(value, "item") else value for value in values]


def infer(
    table: pd.DataFrame,
    target: str,
    kinds: dict[str, str],
    problem: str,
    max_categories: int,
    ignored: list[str] | None = None,
) -> dict[str, Any]:
    """The schema of a checked training table (plain values, so it pickles and prints well)."""
    columns = [name for name in table.columns if name != target]
    classes = None
    if problem == "classification":
        classes = _plain(sorted(table[target].dropna().unique()))
    return {
        "target": target,
        "problem": problem,
        "classes": classes,
        "columns": columns,
        "kinds": {name: kinds[name] for name in columns},
        "dtypes": {name: str(table[name].dtype) for name in columns},
        "categories": {
            name: _plain(table[name].dropna().unique())
            for name in columns
            if kinds[name] == "categorical"
        },
        "missing": [name for name in columns if table[name].isna().any()],
        "ignored": list(ignored or []),
        "max_categories": max_categories,
    }


def _family(dtype: Any) -> str:
    from pandas.api import types

    if isinstance(dtype, str):
        try:
            dtype = types.pandas_dtype(dtype)
        except TypeError:
            return dtype
    if types.is_bool_dtype(dtype):
        return "boolean"
    if types.is_numeric_dtype(dtype):
        return "numeric"
    if types.is_datetime64_any_dtype(dtype):
        return "datetime"
    return "text"


def _compatible(kind: str, expected: str, column: pd.Series) -> bool:
    wanted, got = _family(expected), _family(column.dtype)
    if column.isna().all():
        # An all-missing column reads as float or text whatever it held at training time.
        return True
    if kind == "date":
        return got in ("datetime", "text")
    if kind == "categorical" and {wanted, got} <= {"boolean", "text"}:
        # A boolean column with a missing value reads as objects (True, NaN, False).
        return True
    return wanted == got or (wanted == "numeric" and got == "boolean")


def _coerce(column: pd.Series, expected: str) -> pd.Series:
    """Cast a compatible column to its training dtype where that is lossless."""
    if str(column.dtype) == expected:
        return column
    try:
        cast = column.astype(pd.api.types.pandas_dtype(expected))
    except UNCASTABLE:
        # e.g. missing values in a column trained as int64: float keeps them.
        return column.astype(np.float64) if _family(expected) == "numeric" else column
    # astype turns 1.5 into 1 and a missing value into True: keep such a column as it came.
    known = column.notna()
    lossless = cast.isna().equals(~known) and bool((cast[known] == column[known]).all())
    return cast if lossless else column


def check_frame(frame: pd.DataFrame, schema: dict[str, Any]) -> tuple[pd.DataFrame, list[str]]:
    """Return `frame`'s features in training order and notes on what training never saw.

    Raises one SchemaError naming every missing, unexpected and incompatible column. The target
    and the columns ignored at training time may be present: they are dropped.
    """
    columns = list(schema["columns"])
    kinds, dtypes = schema["kinds"], schema["dtypes"]
    allowed = set(columns) | {schema["target"]} | set(schema.get("ignored", []))
    missing = [name for name in columns if name not in frame.columns]
    unexpected = [name for name in frame.columns if name not in allowed]
    incompatible = [
        f"{name} (trained as {dtypes[name]}, got {frame[name].dtype})"
        for name in columns
        if name in frame.columns and not _compatible(kinds[name], dtypes[name], frame[name])
    ]
    problems = []
    if missing:
        problems.append(f"missing columns: {', '.join(map(str, missing))}")
    if unexpected:
        problems.append(f"unexpected columns: {', '.join(map(str, unexpected))}")
    if incompatible:
        problems.append(f"incompatible types: {', '.join(incompatible)}")
    if problems:
        raise SchemaError("input does not match the model's feature schema; " + "; ".join(problems))
    features = frame[columns].copy()
    for name in columns:
        if kinds[name] != "date":
            features[name] = _coerce(features[name], dtypes[name])
    return features, surprises(features, schema)


def surprises(features: pd.DataFrame, schema: dict[str, Any]) -> list[str]:
    """What the model will score without having seen it: unseen categories, new missing values."""
    notes = []
    for name, seen in schema["categories"].items():
        values = features[name].dropna()
        unseen = values[~values.isin(seen)]
        if len(unseen):
            examples = ", ".join(repr(value) for value in unseen.unique()[:3])
            notes.append(
                f"column {name!r}: {len(unseen)} rows hold values never seen in training "
                f"({unseen.nunique()} distinct, e.g. {examples}); they are scored as unknown"
            )
    for name in schema["columns"]:
        count = int(features[name].isna().sum())
        if count and name not in schema["missing"]:
            notes.append(
                f"column {name!r}: {count} rows are missing a value, which training never had; "
                "they are scored as missing"
            )
    return notes

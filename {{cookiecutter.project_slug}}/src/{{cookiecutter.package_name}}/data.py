"""Tables: the one reader (CSV or Parquet; a local file, an `s3://` URL or bytes shipped with a
run), the one atomic writer, mock data, fingerprints and column summaries."""

import hashlib
import io
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

CATEGORY_COLUMN = "category"
FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
PARQUET_MAGIC = b"PAR1"


class DataError(ValueError):
    """A problem with the user's data, worded as one line: `<source>: <column>: <rule>`."""

    def __init__(self, source: str, problem: str, column: str | None = None) -> None:
        self.source = source
        self.column = column
        self.problem = problem
        where = f"{source}: column {column!r}" if column is not None else source
        super().__init__(f"{where}: {problem}")


def table_format(name: str) -> str:
    """Return `csv` or `parquet` from a file name's suffix, or raise DataError."""
    kind = FORMATS.get(Path(name).suffix.lower())
    if kind is None:
        raise DataError(str(name), "expected a .csv or .parquet (.pq) file")
    return kind


def read_table(source: str | Path, content: bytes | None = None) -> pd.DataFrame:
    """Read a table from `content` (bytes shipped with the run), an `s3://` URL or a local file.

    `source` names the table in errors; with `content` the format is sniffed (Parquet files
    start with `PAR1`), otherwise it comes from the suffix. Every problem is one DataError.
    """
    name = str(source)
    if content is not None:
        return _parse(
            io.BytesIO(content), "parquet" if content[:4] == PARQUET_MAGIC else "csv", name
        )
    kind = table_format(name)
    if name.startswith("s3://"):
        return _parse(io.BytesIO(_read_s3(name)), kind, name)
    path = Path(name)
    if not path.is_file():
        raise DataError(name, "no such file")
    return _parse(path, kind, name)


def _read_s3(url: str) -> bytes:
    from metaflow import S3

    with S3() as s3:
        found = s3.get(url, return_missing=True)
        if not found.exists:
            raise DataError(url, "no such object")
        return Path(str(found.path)).read_bytes()


def _parse(handle: Any, kind: str, name: str) -> pd.DataFrame:
    if kind == "csv":
        try:
            return pd.read_csv(handle)
        except pd.errors.EmptyDataError:
            raise DataError(name, "the file is empty") from None
        except (pd.errors.ParserError, UnicodeDecodeError) as error:
            first = str(error).strip().splitlines()[0]
            raise DataError(name, f"cannot be read as CSV: {first}") from None
    try:
        return pd.read_parquet(handle)
    except Exception as error:  # noqa: BLE001 - pyarrow raises many types for a bad file
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataError(name, f"cannot be read as Parquet: {first}") from None


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a DataFrame as CSV or Parquet (by suffix) atomically: all of it or nothing."""
    path = Path(path)
    kind = table_format(str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        if kind == "parquet":
            frame.to_parquet(partial, index=False)
        else:
            frame.to_csv(partial, index=False)
        os.replace(partial, path)
    finally:
        Path(partial).unlink(missing_ok=True)
    return path


def make_mock(
    problem: str,
    seed: int,
    n_samples: int = 1000,
    n_features: int = 10,
    n_informative: int = 5,
    n_categories: int = 2,
    n_classes: int = 2,
    noise: float = 10.0,
    class_sep: float = 1.0,
    flip_y: float = 0.01,
    target: str = "target",
) -> pd.DataFrame:
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
        if problem == "regression":
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
                n_classes=n_classes,
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


def fingerprint(table: pd.DataFrame) -> str:
    """Return the sha256 of the table's content (column names, dtypes and values)."""
    digest = hashlib.sha256()
    for name in table.columns:
        digest.update(f"{name}\0{table[name].dtype}\0".encode())
    hashed = pd.util.hash_pandas_object(table, index=False).to_numpy()
    digest.update(hashed.tobytes())
    return digest.hexdigest()


def is_number(column: pd.Series) -> bool:
    """Numeric and not boolean: what the pipelines scale, and what regression can predict."""
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def summarize(table: pd.DataFrame) -> pd.DataFrame:
    """One row per column: dtype, missing values, distinct values and numeric statistics."""
    rows = []
    for name in table.columns:
        column = table[name]
        row: dict[str, Any] = {
            "column": name,
            "dtype": str(column.dtype),
            "missing": int(column.isna().sum()),
            "unique": int(column.nunique()),
        }
        if is_number(column) and column.notna().any():
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


def load(
    config: dict[str, Any], seed: int, shipped: bytes | None, url: str, name: str = ""
) -> tuple[pd.DataFrame, str, dict[str, Any] | None]:
    """The run's table, a name for its source, and the mock settings (None for a real table).

    `shipped` is the `--data` file Metaflow uploaded with the run (`name`: the path it was
    given as; empty bytes without a name: none given), `url` an `s3://` URL; neither means
    mock data from the config.
    """
    data = config["data"]
    # The flow's `--data` default is an empty file: empty bytes and no name mean "not given".
    given = bool(shipped) or bool(name)
    if given and url:
        raise DataError("--data and --data_url", "give one of them, not both")
    if given:
        source = name or "the --data file"
        return read_table(source, shipped or b""), source, None
    if url:
        if not url.startswith("s3://"):
            raise DataError(url, "--data_url takes an s3:// URL (use --data for a local file)")
        return read_table(url), url, None
    mock = {"problem": data["problem"], "target": data["target"], "settings": data["mock"]}
    try:
        table = make_mock(data["problem"], seed, target=data["target"], **data["mock"])
    except ValueError as error:  # scikit-learn's generators refuse impossible settings
        from .config import ConfigError

        reason = f"cannot make mock data: {str(error).strip().splitlines()[0]}"
        raise ConfigError(config.get("source", "<config>"), "data.mock", reason) from None
    return table, f"mock data (seed {seed})", mock

"""Tables: the reader, the atomic writer, mock data, fingerprints and column summaries."""

import os

import numpy as np
import pandas as pd
import pytest
from tables import messy, wine

from {{ cookiecutter.package_name }}.data import (
    CATEGORY_COLUMN,
    DataError,
    fingerprint,
    load,
    make_mock,
    read_table,
    summarize,
    write_table,
)


@pytest.mark.parametrize("problem", ["regression", "classification"])
def test_mock_shape_and_categorical_column(problem):
    table = make_mock(problem, seed=1, n_samples=301, n_features=5, n_informative=3, n_categories=3)
    assert list(table.columns) == [CATEGORY_COLUMN, "x0", "x1", "x2", "x3", "x4", "target"]
    assert len(table) == 301
    # 301 rows over 3 categories: the first gets the extra row.
    assert table[CATEGORY_COLUMN].value_counts().sort_index().to_dict() == {
        "c0": 101,
        "c1": 100,
        "c2": 100,
    }
    if problem == "classification":
        assert set(table["target"].unique()) == {0, 1}


def test_mock_classes_follow_n_classes():
    table = make_mock("classification", seed=0, n_samples=300, n_informative=4, n_classes=3)
    assert set(table["target"].unique()) == {0, 1, 2}


def test_categories_have_independent_coefficients():
    table = make_mock(
        "regression", seed=0, n_samples=2000, n_features=3, n_informative=3, noise=0.0
    )
    slopes = []
    for _, part in table.groupby(CATEGORY_COLUMN):
        X = part[["x0", "x1", "x2"]].to_numpy()
        coefficients, *_ = np.linalg.lstsq(X, part["target"].to_numpy(), rcond=None)
        slopes.append(coefficients)
    assert not np.allclose(slopes[0], slopes[1], atol=1.0)


def test_mock_is_seeded():
    pd.testing.assert_frame_equal(
        make_mock("regression", seed=5, n_samples=100),
        make_mock("regression", seed=5, n_samples=100),
    )
    assert not make_mock("regression", seed=5, n_samples=100).equals(
        make_mock("regression", seed=6, n_samples=100)
    )


def test_fingerprint_is_stable_and_sees_every_change():
    table = messy("classification")
    assert fingerprint(table) == fingerprint(table.copy())
    assert len(fingerprint(table)) == 64
    changed = table.copy()
    changed.loc[0, "income"] += 0.01
    renamed = table.rename(columns={"age": "years"})
    retyped = table.assign(member=table["member"].astype(int))
    reordered = table.iloc[::-1]
    for other in (changed, renamed, retyped, reordered):
        assert fingerprint(other) != fingerprint(table)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".pq", ".CSV"])
def test_tables_round_trip(tmp_path, suffix):
    table = messy("classification")
    path = write_table(table, tmp_path / "nested" / f"customers{suffix}")
    assert path == tmp_path / "nested" / f"customers{suffix}"
    pd.testing.assert_frame_equal(read_table(path), table, check_dtype=False)
    assert read_table(str(path)).shape == table.shape


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_shipped_bytes_are_read_by_their_content(tmp_path, kind):
    table = wine()
    path = write_table(table, tmp_path / f"wine.{kind}")
    pd.testing.assert_frame_equal(read_table("--data file", path.read_bytes()), table)


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("customers.xlsx", None, "expected a .csv or .parquet (.pq) file"),
        ("customers.parquet", b"PAR1 not really", "cannot be read as Parquet: "),
        ("customers.csv", b"a,b\n1,2\n3,4,5,6\n", "cannot be read as CSV: "),
        ("customers.csv", b"a,b\n\xff\xfe,\xfa\n", "cannot be read as CSV: "),
    ],
)
def test_unreadable_files_are_one_line_naming_them(tmp_path, name, content, problem):
    path = tmp_path / name
    path.write_bytes(content or b"x")
    with pytest.raises(DataError) as caught:
        read_table(path)
    assert str(caught.value).startswith(f"{path}: {problem}")
    assert "\n" not in str(caught.value)


def test_write_is_all_or_nothing(tmp_path, monkeypatch):
    path = write_table(pd.DataFrame({"a": [1, 2]}), tmp_path / "out.csv")
    before = path.read_bytes()

    def fail_halfway(self, target, **kwargs):
        with open(target, "w") as handle:
            handle.write("a\n1\n")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", fail_halfway)
    with pytest.raises(OSError, match="disk full"):
        write_table(pd.DataFrame({"a": [7, 8, 9]}), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["out.csv"]


def test_summary_counts_by_hand():
    table = pd.DataFrame({"n": [1.0, 2.0, np.nan, 5.0], "c": ["a", "b", "a", None]})
    rows = summarize(table).set_index("column")
    assert rows.loc["n", "missing"] == 1
    assert rows.loc["n", "unique"] == 3
    assert rows.loc["n", "mean"] == pytest.approx(8 / 3)
    assert rows.loc["n", "std"] == pytest.approx(
        np.sqrt(((1 - 8 / 3) ** 2 + (2 - 8 / 3) ** 2 + (5 - 8 / 3) ** 2) / 2)
    )
    assert (rows.loc["n", "min"], rows.loc["n", "max"]) == (1.0, 5.0)
    assert rows.loc["c", "missing"] == 1
    assert rows.loc["c", "unique"] == 2
    assert rows.loc["c", "top"] == "a (2), b (1)"


def config(problem="regression", mock=None):
    return {"data": {"problem": problem, "target": "y", "mock": mock or {"n_samples": 60}}}


def test_load_reads_a_shipped_file(tmp_path):
    path = write_table(wine(), tmp_path / "wine.csv")
    content = path.read_bytes()
    table, source, mock = load(config("classification"), 0, content, "", "data/wine.csv")
    pd.testing.assert_frame_equal(table, wine())
    assert source == "data/wine.csv"
    assert mock is None
    assert load(config("classification"), 0, content, "")[1] == "the --data file"


def test_load_treats_the_empty_default_file_as_no_data_but_an_empty_named_file_as_empty():
    _, source, mock = load(config("classification"), 0, b"", "")
    assert source == "mock data (seed 0)"
    assert mock is not None
    with pytest.raises(DataError, match=r"^empty\.csv: the file is empty$"):
        load(config("classification"), 0, b"", "", "empty.csv")


def test_load_without_data_makes_the_configured_mock():
    table, source, mock = load(
        config("classification", {"n_samples": 80, "n_features": 6}), 4, None, ""
    )
    assert table.shape == (80, 1 + 6 + 1)
    assert "y" in table.columns
    assert source == "mock data (seed 4)"
    assert mock == {
        "problem": "classification",
        "target": "y",
        "settings": {"n_samples": 80, "n_features": 6},
    }


@pytest.mark.parametrize(
    ("shipped", "url", "message"),
    [
        (b"a\n1\n", "s3://bucket/t.csv", "--data and --data_url: give one of them, not both"),
        (None, "/home/me/t.csv", "/home/me/t.csv: --data_url takes an s3:// URL"),
    ],
)
def test_load_refuses_ambiguous_sources(shipped, url, message):
    with pytest.raises(DataError) as caught:
        load(config(), 0, shipped, url)
    assert str(caught.value).startswith(message)

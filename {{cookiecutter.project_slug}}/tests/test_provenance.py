"""Provenance: the version and source hash a run records name exactly the code that ran."""

import hashlib
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

import {{ cookiecutter.package_name }}
from {{ cookiecutter.package_name }} import provenance

PROJECT_DIR = Path(__file__).resolve().parents[1]
PACKAGE_DIR = PROJECT_DIR / "src" / "{{ cookiecutter.package_name }}"


@pytest.fixture
def package_copy(tmp_path):
    """A copy of the package's source folder to edit."""
    return Path(shutil.copytree(PACKAGE_DIR, tmp_path / PACKAGE_DIR.name))


def test_describe_names_the_installed_source():
    described = provenance.describe()
    pyproject = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())
    assert described["package"] == "{{ cookiecutter.package_name }}"
    assert described["version"] == pyproject["project"]["version"]
    assert Path(described["location"]) == PACKAGE_DIR
    assert described["files"] == len(list(PACKAGE_DIR.rglob("*.py")))
    assert described["source_sha256"] == provenance.source_sha256(PACKAGE_DIR)


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="needs GNU coreutils' sha256sum")
def test_hash_is_the_documented_sha256sum_listing():
    """The module docstring's shell command gives the same hash."""
    command = (
        f"find {PACKAGE_DIR.name} -name '*.py' -not -path '*/.*' | LC_ALL=C sort "
        "| xargs sha256sum | sha256sum"
    )
    documented = " ".join(provenance.__doc__.replace("\\\n", " ").split())
    assert command in documented
    listing = subprocess.run(
        command, shell=True, cwd=PACKAGE_DIR.parent, capture_output=True, text=True, check=True
    )
    assert listing.stdout.split()[0] == provenance.source_sha256()


def test_hash_follows_every_source_change(package_copy):
    before = provenance.source_sha256(package_copy)
    module = package_copy / "config.py"
    module.write_bytes(module.read_bytes() + b"\n")
    edited = provenance.source_sha256(package_copy)
    assert edited != before

    (package_copy / "extra.py").write_text("VALUE = 1\n")
    added = provenance.source_sha256(package_copy)
    assert added != edited

    (package_copy / "extra.py").rename(package_copy / "models" / "extra.py")
    assert provenance.source_sha256(package_copy) != added


def test_hash_ignores_what_the_code_package_leaves_out(package_copy):
    """Bytecode, data files and hidden folders are not shipped: they must not move the hash."""
    before = provenance.source_sha256(package_copy)
    (package_copy / "__pycache__").mkdir(exist_ok=True)
    (package_copy / "__pycache__" / "config.cpython-311.pyc").write_bytes(b"\0" * 16)
    (package_copy / "notes.txt").write_text("not code\n")
    (package_copy / ".scratch").mkdir()
    (package_copy / ".scratch" / "draft.py").write_text("print('draft')\n")
    assert provenance.source_sha256(package_copy) == before


def test_hash_is_independent_of_the_folder_it_sits_in(package_copy):
    """A remote task's copy, unpacked anywhere, hashes like src/."""
    assert provenance.source_sha256(package_copy) == provenance.source_sha256(PACKAGE_DIR)


def test_hash_matches_an_independent_listing(package_copy):
    root = package_copy.parent
    files = sorted(path.relative_to(root).as_posix() for path in package_copy.rglob("*.py"))
    listing = "".join(
        f"{hashlib.sha256((root / name).read_bytes()).hexdigest()}  {name}\n" for name in files
    )
    assert provenance.source_files(package_copy) == files
    assert provenance.source_sha256(package_copy) == hashlib.sha256(listing.encode()).hexdigest()


def test_version_falls_back_to_the_package_when_not_installed(monkeypatch):
    """A remote task imports the package from its code package, where nothing is installed."""
    monkeypatch.setattr(provenance, "DISTRIBUTION", "not-an-installed-distribution")
    assert provenance.version() == {{ cookiecutter.package_name }}.__version__


def test_summary_is_one_line_naming_version_hash_and_place():
    described = provenance.describe()
    line = provenance.summary()
    assert "\n" not in line
    assert described["version"] in line
    assert described["source_sha256"][:12] in line
    assert described["location"] in line


def test_summary_of_a_recorded_description():
    recorded = {
        "package": "pkg",
        "version": "9.9.9",
        "source_sha256": "ab" * 32,
        "files": 3,
        "location": "/home/task/metaflow/pkg",
    }
    assert provenance.summary(recorded) == (
        "pkg 9.9.9, source sha256 abababababab (3 files) from /home/task/metaflow/pkg"
    )

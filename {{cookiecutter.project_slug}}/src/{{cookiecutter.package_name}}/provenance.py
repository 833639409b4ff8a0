r"""Which code produced a run: the package's version and a hash of its source files.

Remote tasks import this package from the run's code package (the flows'
`@package_sources`), not from the image, so the version alone cannot tell two edits apart:
the hash can. It covers exactly what the code package ships, every `.py` file under the
package folder, so a local run and its remote tasks record the same hash for the same code.
Reproduce it by hand from `src/`:

    find {{ cookiecutter.package_name }} -name '*.py' -not -path '*/.*' \
        | LC_ALL=C sort | xargs sha256sum | sha256sum

Standard library only, and cheap to import: every Metaflow task imports it.
"""

import hashlib
from pathlib import Path

DISTRIBUTION = "{{ cookiecutter.project_slug }}"
PACKAGE_DIR = Path(__file__).resolve().parent


def source_files(package_dir: Path = PACKAGE_DIR) -> list[str]:
    """Return the package's source files as sorted paths starting with the package folder.

    Hidden files and folders are left out, as Metaflow's code packager leaves them out.
    """
    package_dir = Path(package_dir)
    names = []
    for path in package_dir.rglob("*.py"):
        relative = path.relative_to(package_dir.parent)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            names.append(relative.as_posix())
    return sorted(names)


def source_sha256(package_dir: Path = PACKAGE_DIR) -> str:
    """Return the sha256 of a `sha256sum` listing of the package's source files."""
    package_dir = Path(package_dir)
    listing = hashlib.sha256()
    for name in source_files(package_dir):
        digest = hashlib.sha256((package_dir.parent / name).read_bytes()).hexdigest()
        listing.update(f"{digest}  {name}\n".encode())
    return listing.hexdigest()


def version() -> str:
    """Return the installed distribution's version, else the package's `__version__`.

    A remote task runs the package from the code package: it is not installed there.
    """
    # Imported here: importlib.metadata costs more to import than the rest of this module.
    import importlib.metadata

    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        from . import __version__

        return __version__


def describe() -> dict[str, object]:
    """Return the package's name, version, source hash and file count, and where it runs from.

    A plain dict: it stays readable as an artifact where the package cannot be imported.
    """
    return {
        "package": PACKAGE_DIR.name,
        "version": version(),
        "source_sha256": source_sha256(),
        "files": len(source_files()),
        "location": str(PACKAGE_DIR),
    }


def summary(described: dict[str, object] | None = None) -> str:
    """Return one line for the card and summary.txt, from describe() or a recorded copy."""
    info = describe() if described is None else described
    return (
        f"{info['package']} {info['version']}, source sha256 "
        f"{str(info['source_sha256'])[:12]} ({info['files']} files) from {info['location']}"
    )

"""Flow-side glue both flows share: the project name, the tournament config (its default file
and parser), one-line refusals, and a quick exit for every task.

Flows import it as `common`: Python puts a script's own folder first on sys.path, locally and
in a remote task alike. Kept free of heavy imports: every task re-imports the flow and this.
"""

import atexit
import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from metaflow.exception import MetaflowException

from {{ cookiecutter.package_name }}.config import ConfigError, check, parse_text

PROJECT = "{{ cookiecutter.package_name }}"
# The `--data` default: an empty file means "no file given" (mock data). IncludeFile needs a
# file, and Airflow refuses to deploy a parameter without a default.
NO_DATA = os.devnull
CONFIG_NAME = "tournament"
CONFIGS = Path(__file__).resolve().parent.parent / "configs"
DEFAULT_CONFIG = CONFIGS / "default.toml"

# Every step is a process that imports this file, and the next step starts once it has exited.
# Python's last garbage collection walks every live object, most of them made by importing
# scikit-learn, SciPy and pandas: 0.3-0.5 s a task. It skips frozen ones; the OS frees them.
atexit.register(gc.freeze)


class Refused(MetaflowException):
    """A problem the user fixes (config, data, a run to load): one line, no traceback."""

    headline = "Refused"


@contextmanager
def refusals(*errors: type[BaseException]) -> Iterator[None]:
    """Turn the package's one-line errors into a clean Metaflow failure of the step."""
    try:
        yield
    except errors as error:
        raise Refused(str(error)) from None


def default_config_path(_context: Any = None) -> str:
    """The default config, found from this file so any working directory works."""
    return str(DEFAULT_CONFIG)


def data_argument(_context: Any = None) -> str:
    """The path given with `--data` on the command line that launched the run, else "".

    Metaflow ships the `--data` file's bytes with the run but not its name; this default of the
    `data_name` parameter, evaluated where the run is launched, keeps the name for messages.
    """
    argv = sys.argv
    for index, arg in enumerate(argv[:-1]):
        if arg == "--data":
            return argv[index + 1]
        if arg.startswith("--data="):
            return arg.split("=", 1)[1]
    return ""


def config_source(text: str, argv: list[str] | None = None) -> str:
    """Name the config being parsed: the file the command line gives, else the shipped config
    holding exactly this text, else `--config-value tournament` or the config's name."""
    argv = sys.argv if argv is None else argv
    for index, arg in enumerate(argv[:-2]):
        if argv[index + 1] == CONFIG_NAME and arg in ("--config", "--config-value"):
            return argv[index + 2] if arg == "--config" else f"--config-value {CONFIG_NAME}"
    for path in sorted(CONFIGS.glob("*.toml")):
        if path.read_text(encoding="utf-8") == text:
            return str(path.relative_to(CONFIGS.parent))
    return f"config {CONFIG_NAME!r}"


def parse_config(text: str) -> dict[str, Any]:
    """Metaflow Config parser: TOML or JSON text -> the checked config, or one error line."""
    source = config_source(text)
    try:
        return check(parse_text(text, source), source)
    except ConfigError as error:
        raise Refused(str(error)) from None

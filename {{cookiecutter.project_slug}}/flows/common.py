"""Flow-side utilities: where configs and results live, and the config parser.

Kept free of heavy imports: every Metaflow task re-imports the flow file and this module.
"""

import os
import sys
from pathlib import Path

from metaflow.exception import MetaflowException

from {{ cookiecutter.package_name }}.config import ConfigError, check, parse_text

FLOWS_DIR = Path(__file__).resolve().parent
PROJECT_DIR = FLOWS_DIR.parent
CONFIGS_DIR = PROJECT_DIR / "configs"
DEFAULT_CONFIG = CONFIGS_DIR / "default.toml"
RESULTS_ENV = "TOURNAMENT_RESULTS_DIR"


class TournamentConfigError(MetaflowException):
    headline = "Invalid tournament configuration"


def default_config_path(_context=None):
    """The default config, found from this file so any working directory works."""
    return str(DEFAULT_CONFIG)


def _runner_config_file(name):
    """What was given to `Runner(config=[(name, path)])` or `Runner(config_value=...)`.

    The Runner parses configs in the calling process, where sys.argv is not the flow's
    command line: the options are only known to the Runner's own frame, so look there.
    """
    frame = sys._getframe(1)
    while frame is not None:
        options = frame.f_locals.get("opts")
        if isinstance(options, dict) and ("config" in options or "config-value" in options):
            for key, label in (("config", None), ("config-value", f"config_value {name}")):
                try:
                    given = dict(options.get(key) or ())
                except (TypeError, ValueError):
                    continue
                if name in given:
                    return label or str(given[name])
        frame = frame.f_back
    return None


def config_source(name, argv=None):
    """Name what was given for config `name`: the file path, `--config-value`, or the default."""
    argv = sys.argv if argv is None else argv
    for index, arg in enumerate(argv[:-2]):
        if arg == "--config" and argv[index + 1] == name:
            return argv[index + 2]
        if arg == "--config-value" and argv[index + 1] == name:
            return f"--config-value {name}"
    given = _runner_config_file(name)
    if given:
        return given
    return os.path.relpath(DEFAULT_CONFIG) if DEFAULT_CONFIG.exists() else str(DEFAULT_CONFIG)


def parse_config(text):
    """Metaflow Config parser: TOML or JSON text -> checked dict, or ONE clean error line."""
    source = config_source("tournament")
    try:
        return check(parse_text(text, source), source)
    except ConfigError as error:
        raise TournamentConfigError(str(error)) from None


def results_root():
    """`results/` under the working directory, unless TOURNAMENT_RESULTS_DIR names another."""
    return Path(os.environ.get(RESULTS_ENV) or "results")

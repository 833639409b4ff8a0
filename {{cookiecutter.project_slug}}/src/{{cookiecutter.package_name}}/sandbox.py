"""Keep a run's Metaflow state in one folder: for tests, smoke runs and benchmarks.

Standard library only: the noxfile loads this file by path, outside the project's venv.
"""

import os
from collections.abc import Mapping
from pathlib import Path

# Inherited settings kept: who runs, and how many tasks at once. Every other METAFLOW_*
# variable (a profile, an S3 datastore, a metadata service) would point a sandboxed run at
# state outside the sandbox.
KEPT_PREFIXES = ("METAFLOW_USER", "METAFLOW_RUN_")


def metaflow_env(root: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return a copy of base (default: os.environ) whose Metaflow state lives under root.

    Set it before the first `import metaflow` of a process: Metaflow reads it at import.
    """
    # Absolute: Metaflow records the datastore root in every artifact's location.
    root = Path(root).resolve()
    env = {
        key: value
        for key, value in (os.environ if base is None else base).items()
        if not key.startswith("METAFLOW_") or key.startswith(KEPT_PREFIXES)
    }
    env.update(
        METAFLOW_DATASTORE_SYSROOT_LOCAL=str(root / "datastore"),
        METAFLOW_CLIENT_CACHE_PATH=str(root / "client-cache"),
        # Deploy tokens and profiles (~/.metaflowconfig otherwise).
        METAFLOW_HOME=str(root / "metaflow-home"),
        # Cards do not follow the datastore root: without this they land in ./.metaflow.
        METAFLOW_CARD_LOCALROOT=str(root / "cards"),
        TOURNAMENT_RESULTS_DIR=str(root / "results"),
    )
    if not env.get("METAFLOW_USER") and env.get("USERNAME", env.get("USER", "root")) == "root":
        # Metaflow refuses to run without a user name, and refuses `root` (containers, CI).
        env["USERNAME"] = "sandbox"
    # Every Metaflow task re-imports the flow and its libraries: cached bytecode makes that
    # about three times faster.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env

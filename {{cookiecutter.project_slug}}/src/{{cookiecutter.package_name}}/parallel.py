"""Run a step's independent jobs side by side in forked processes (the refits, the ensemble's
folds), so one Metaflow task uses the cores it asked for even when a job holds the GIL."""

import contextlib
import os
import pickle
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any


def run(jobs: Sequence[Callable[[], Any]], workers: int) -> list[Any]:
    """Return `[job() for job in jobs]`, running up to `workers` of them at once.

    Each job runs in a forked child that sends its result back pickled, so a child sees the
    parent's data without copying it in. The parent only waits: it never starts an OpenMP
    thread pool or JAX, whose runtimes do not survive a fork. Where one may already run (JAX
    imported, as in a test process after a Keras fit) and off Linux (macOS frameworks are not
    fork-safe), the jobs run one after another.
    """
    fork_safe = sys.platform.startswith("linux") and "jax" not in sys.modules
    if workers <= 1 or len(jobs) <= 1 or not fork_safe:
        return [job() for job in jobs]
    results: list[Any] = [None] * len(jobs)
    running: list[tuple[int, tuple[int, int]]] = []
    try:
        for index, job in enumerate(jobs):
            if len(running) == workers:
                done, child = running.pop(0)
                results[done] = _collect(*child)
            running.append((index, _fork(job)))
        while running:
            done, child = running.pop(0)
            results[done] = _collect(*child)
    finally:
        for _, child in running:  # a job failed: leave no child behind
            with contextlib.suppress(Exception):
                _collect(*child)
    return results


def _fork(job: Callable[[], Any]) -> tuple[int, int]:
    reader, writer = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns about forking a process with threads (BLAS keeps idle ones).
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: do the job, send the result or the error, leave at once
        os.close(reader)
        try:
            payload = pickle.dumps((True, job()))
        except BaseException as error:  # noqa: BLE001 - every failure goes back to the parent
            payload = pickle.dumps((False, RuntimeError(f"{type(error).__name__}: {error}")))
        with os.fdopen(writer, "wb") as stream:
            stream.write(payload)
        os._exit(0)
    os.close(writer)
    return pid, reader


def _collect(pid: int, reader: int) -> Any:
    with os.fdopen(reader, "rb") as stream:
        payload = stream.read()
    _, status = os.waitpid(pid, 0)
    if not payload:
        raise RuntimeError(f"a side-by-side job died (wait status {status})")
    succeeded, value = pickle.loads(payload)
    if not succeeded:
        raise value
    return value

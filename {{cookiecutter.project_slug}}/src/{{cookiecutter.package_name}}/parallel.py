"""Run a step's independent jobs side by side in forked processes (a fit task's fits, the
refits, the ensemble's folds), so one Metaflow task uses the cores it asked for even when a job
holds the GIL."""

import contextlib
import os
import pickle
import selectors
import signal
import sys
import warnings
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

_STOP = 2**32 - 1  # the index that tells a child to leave


def cores(requested: int) -> int:
    """Cores a step may use: what it asked for, capped by this machine (a laptop, or a pod
    whose os.cpu_count() is the whole node's)."""
    return max(1, min(int(requested), os.cpu_count() or 1))


def fork_safe() -> bool:
    """Whether this process may fork workers: on Linux, before JAX starts its threads.

    The parent only hands out work: it never starts an OpenMP thread pool or JAX, whose
    runtimes do not survive a fork. Where one may already run (JAX imported, as in a test
    process after a Keras fit) and off Linux (macOS frameworks are not fork-safe), work runs
    here, one item after another.
    """
    return sys.platform.startswith("linux") and "jax" not in sys.modules


def run(jobs: Sequence[Callable[[], Any]], workers: int) -> list[Any]:
    """Return `[job() for job in jobs]`, running up to `workers` of them at once."""
    return map_items(lambda job: job(), jobs, workers)


def map_items(
    work: Callable[[Any], Any],
    items: Iterable[Any],
    workers: int,
    group: Callable[[Any], Hashable] | None = None,
) -> list[Any]:
    """Return `[work(item) for item in items]`, up to `workers` items at once.

    `workers` forked children share the items: each takes the next one, in the order given,
    as soon as it finishes the last, so a slow item never holds up a queue behind it (order
    the costly items first). A child keeps what it imported or cached between items. With
    `group`, a child keeps to the items of one group (those sharing a cache entry, say) and
    moves on to a group no other child holds; only when none is left does it help another.
    Results come back pickled, in item order; a failed item is raised here as a RuntimeError
    naming the error's type, once the children are gone.
    """
    items = list(items)
    workers = min(int(workers), len(items))
    if workers <= 1 or not fork_safe():
        return [work(item) for item in items]
    results: list[Any] = [None] * len(items)
    queues: dict[Hashable, deque[int]] = {}
    for index, item in enumerate(items):
        queues.setdefault(group(item) if group else index, deque()).append(index)
    children = _fork_children(work, items, workers)
    try:
        _share(children, results, queues)
    finally:
        for child in children:
            child.close()
    return results


class _Child:
    """A forked worker: a pipe to send it item indices, one to read back framed results."""

    def __init__(self, pid: int, tasks: int, answers: int) -> None:
        self.pid, self.tasks, self.answers = pid, tasks, answers
        self.buffer = b""
        self.index: int | None = None  # the item it works on
        self.group: Hashable = None  # the group of the items it took last

    def give(self, index: int) -> None:
        self.index = index
        os.write(self.tasks, index.to_bytes(4, "little"))

    def read(self) -> list[bytes] | None:
        """The payloads completed by what the pipe holds now; None once the child has gone."""
        chunk = os.read(self.answers, 1 << 20)
        if not chunk:
            return None
        self.buffer += chunk
        payloads = []
        while len(self.buffer) >= 8:
            size = int.from_bytes(self.buffer[:8], "little")
            if len(self.buffer) < 8 + size:
                break
            payloads.append(self.buffer[8 : 8 + size])
            self.buffer = self.buffer[8 + size :]
        return payloads

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self.tasks, _STOP.to_bytes(4, "little"))
        if self.index is not None:  # still busy: the step has failed, do not wait for it
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
        for fd in (self.tasks, self.answers):
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _fork_children(work: Callable[[Any], Any], items: list[Any], workers: int) -> list[_Child]:
    children: list[_Child] = []
    for stream in (sys.stdout, sys.stderr):  # or the children would print it again
        stream.flush()
    for _ in range(workers):
        task_reader, task_writer = os.pipe()
        answer_reader, answer_writer = os.pipe()
        with warnings.catch_warnings():
            # Python 3.12+ warns about forking a process with threads (BLAS keeps idle ones).
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the child: serve items until told to stop, then leave at once
            for fd in (task_writer, answer_reader):
                os.close(fd)
            for sibling in children:
                for fd in (sibling.tasks, sibling.answers):
                    os.close(fd)
            try:
                _serve(work, items, task_reader, answer_writer)
            finally:
                for stream in (sys.stdout, sys.stderr):
                    with contextlib.suppress(Exception):
                        stream.flush()
                os._exit(0)
        os.close(task_reader)
        os.close(answer_writer)
        children.append(_Child(pid, task_writer, answer_reader))
    return children


def _serve(work: Callable[[Any], Any], items: list[Any], tasks: int, answers: int) -> None:
    with os.fdopen(tasks, "rb") as incoming, os.fdopen(answers, "wb") as outgoing:
        while len(header := incoming.read(4)) == 4:
            index = int.from_bytes(header, "little")
            if index == _STOP:
                break
            try:
                payload = pickle.dumps((True, work(items[index])))
            except BaseException as error:  # noqa: BLE001 - every failure goes back
                payload = pickle.dumps((False, f"{type(error).__name__}: {error}"))
            outgoing.write(len(payload).to_bytes(8, "little") + payload)
            outgoing.flush()


def _share(children: list[_Child], results: list[Any], queues: dict[Hashable, deque[int]]) -> None:
    """Hand out the items one at a time to whichever child is free; collect the results."""
    with selectors.DefaultSelector() as selector:
        for child in children:
            _give_next(child, children, queues)
            selector.register(child.answers, selectors.EVENT_READ, child)
        while any(child.index is not None for child in children):
            for key, _ in selector.select():
                child = key.data
                payloads = child.read()
                if payloads is None:
                    _, status = os.waitpid(child.pid, 0)
                    child.index = None
                    raise RuntimeError(f"a side-by-side job died (wait status {status})")
                for payload in payloads:
                    succeeded, value = pickle.loads(payload)
                    if not succeeded:
                        child.index = None
                        raise RuntimeError(value)
                    results[child.index] = value
                    child.index = None
                    _give_next(child, children, queues)


def _give_next(child: _Child, children: list[_Child], queues: dict[Hashable, deque[int]]) -> None:
    """Give the child the next item of its group, else of the first group no other child
    holds, else of the first group with items left; nothing once every item is given."""
    held = {other.group for other in children if other is not child}
    ordered = [child.group, *(key for key in queues if key not in held), *queues]
    key = next((key for key in ordered if queues.get(key)), None)
    if key is not None:
        child.group = key
        child.give(queues[key].popleft())
        if not queues[key]:
            del queues[key]

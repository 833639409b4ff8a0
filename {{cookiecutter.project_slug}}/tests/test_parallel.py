"""Side-by-side jobs: results in order, errors brought home, and the jobs really overlap."""

import os
import sys
import time
import warnings

import pytest

from {{ cookiecutter.package_name }}.parallel import cores, map_items, run

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux only")


@pytest.fixture(autouse=True)
def _forks_allowed(monkeypatch):
    """Run as a fresh step process would, even after another test imported JAX here.

    The jobs below never touch JAX, so its warning about forking a process it runs threads
    in does not apply to them.
    """
    monkeypatch.delitem(sys.modules, "jax", raising=False)
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r"os\.fork\(\) was called", category=RuntimeWarning
        )
        yield


def test_results_come_back_in_job_order():
    jobs = [lambda value=value: value * value for value in range(7)]
    for workers in (1, 2, 3, 10):
        assert run(jobs, workers) == [0, 1, 4, 9, 16, 25, 36]


def test_no_jobs_no_results():
    assert run([], 4) == []


@linux_only
def test_every_job_runs_in_a_child_process():
    pids = run([os.getpid] * 3, workers=3)
    assert os.getpid() not in pids
    assert len(set(pids)) == 3


def test_jobs_run_here_one_after_another_once_jax_is_loaded(monkeypatch):
    # JAX's threads do not survive a fork: a process that loaded it must not fork.
    monkeypatch.setitem(sys.modules, "jax", object())
    assert run([os.getpid] * 3, workers=3) == [os.getpid()] * 3


@linux_only
def test_jobs_overlap(tmp_path):
    # The first job waits for a file the second writes: only side by side can it see it
    # before its deadline.
    signal = tmp_path / "started"

    def wait_for_the_other():
        deadline = time.monotonic() + 30
        while not signal.exists():
            if time.monotonic() > deadline:
                return "timed out"
            time.sleep(0.01)
        return "met"

    def write_the_file():
        signal.write_text("here")
        return "wrote"

    assert run([wait_for_the_other, write_the_file], workers=2) == ["met", "wrote"]


def test_one_worker_runs_jobs_here_one_after_another():
    order = []
    run([lambda: order.append(1), lambda: order.append(2)], workers=1)
    assert order == [1, 2]


@linux_only
def test_a_child_error_is_raised_here_with_its_type():
    def fail():
        raise KeyError("missing column")

    with pytest.raises(RuntimeError, match=r"^KeyError: 'missing column'$"):
        run([lambda: 1, fail], workers=2)


@linux_only
def test_a_child_that_dies_is_reported():
    with pytest.raises(RuntimeError, match="a side-by-side job died"):
        run([lambda: 1, lambda: os._exit(3)], workers=2)


@linux_only
def test_large_results_travel_back():
    size = 5_000_000  # larger than a pipe's buffer
    first, second = run([lambda: b"a" * 10, lambda: b"b" * size], workers=2)
    assert first == b"a" * 10
    assert second == b"b" * size


def test_cores_are_capped_by_the_machine(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    assert (cores(1), cores(4), cores(16), cores(0)) == (1, 4, 4, 1)
    monkeypatch.setattr("os.cpu_count", lambda: None)
    assert cores(8) == 1


@linux_only
def test_a_free_child_takes_the_next_item_and_keeps_its_state(tmp_path):
    # Item 0 holds its child until the last item has run: the other child, free after each
    # item, must take items 1, 2 and 3 in turn, keeping what it held between them.
    signal = tmp_path / "last item ran"
    seen = []

    def work(item):
        if item == 0:
            deadline = time.monotonic() + 30
            while not signal.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
        seen.append(item)
        if item == 3:
            signal.write_text("done")
        return os.getpid(), list(seen)

    results = map_items(work, range(4), workers=2)
    pids = [pid for pid, _ in results]
    assert pids[1] == pids[2] == pids[3] != pids[0]
    assert [held for _, held in results] == [[0], [1], [1, 2], [1, 2, 3]]
    assert signal.exists()


@linux_only
def test_a_child_keeps_to_its_group_while_another_group_is_free(tmp_path):
    # Each item waits, by deadline, for a signal its order makes certain: a0 and b0 start
    # together, a1 waits until b1 has started, so no child is ever free to take the other's.
    def signal(name):
        return tmp_path / name

    def work(item):
        waits = {("b", 0): "a1", ("a", 1): "b1"}
        if item == ("a", 1) or item == ("b", 1):
            signal(f"{item[0]}{item[1]}").write_text("started")
        if item in waits:
            deadline = time.monotonic() + 30
            while not signal(waits[item]).exists() and time.monotonic() < deadline:
                time.sleep(0.01)
        return os.getpid()

    items = [("a", 0), ("a", 1), ("b", 0), ("b", 1)]
    a0, a1, b0, b1 = map_items(work, items, workers=2, group=lambda item: item[0])
    assert a0 == a1 != b0 == b1

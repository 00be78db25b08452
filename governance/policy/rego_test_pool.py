"""The Rego tests of a reload candidate, run in test processes. regorus holds the GIL while it
evaluates, so in the serving process the tests would stall request handling and, on a busy
machine, get one core's share at most; split by package over a few processes they finish
about as many times sooner as there are cores, and a policy that crashes its engine ends a
test process, not the gateway. The processes are started by the first run (most gateways never
see a change, so none start with it; starting them costs ~0.1 s of CPU each) and kept until
close()."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from governance.policy.rego_test import TestCase, TestResult, discover, run_tests
from governance.policy.source import PolicySource

MAX_PROCESSES = 4


def default_processes() -> int:
    """One per core this process may run on, at most MAX_PROCESSES (measured on a busy 2-core
    machine: two per core were no faster, and each extra process compiles the tree again)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_PROCESSES))


class TestRun:
    """The tests of one candidate, under way in the pool."""

    __test__ = False  # not a pytest class

    def __init__(self, pool: RegoTestPool, futures: list[Future[list[TestResult]]]) -> None:
        self._pool = pool
        self._futures = futures

    def results(self) -> list[TestResult]:
        """Waits for every group; a process that died raises RegoTestsCrashed."""
        try:
            return [result for future in self._futures for result in future.result()]
        except BrokenProcessPool as exc:
            self._pool.close()  # the next run starts fresh processes
            raise RegoTestsCrashed(f"a test process died: {exc}") from None

    def cancel(self) -> None:
        """Drops the groups not started yet (the candidate was refused meanwhile)."""
        for future in self._futures:
            future.cancel()


class RegoTestsCrashed(RuntimeError):
    """A test process died while running the tests (the candidate may have crashed it)."""


class RegoTestPool:
    __test__ = False  # not a pytest class

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._executor: ProcessPoolExecutor | None = None

    def run(self, source: PolicySource, engine: str, strategy: str | None) -> list[TestResult]:
        """Every test of `source` on `engine`, the packages spread over the processes."""
        return self.start(source, engine, strategy).results()

    def start(self, source: PolicySource, engine: str, strategy: str | None) -> TestRun:
        """Starts the tests and returns at once; TestRun.results() waits for them."""
        groups = split_packages(discover(source), self.processes)
        executor = self._start()
        try:  # a pool whose process died refuses new work too
            futures = [executor.submit(_run_group, source, engine, strategy, g) for g in groups]
        except BrokenProcessPool as exc:
            self.close()
            raise RegoTestsCrashed(f"a test process died: {exc}") from None
        return TestRun(self, futures)

    def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _start(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # spawn, not fork: the gateway has threads (and engines pinned to them) to not copy
            context = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(
                self.processes,
                mp_context=context,
                initializer=_die_with_parent,
                initargs=(os.getpid(),),
            )
        return self._executor


def split_packages(cases: list[TestCase], parts: int) -> list[frozenset[str]]:
    """The test packages in at most `parts` groups of about equal test counts (largest
    first, each to the group with the fewest tests so far)."""
    counts: dict[str, int] = {}
    for case in cases:
        counts[case.package] = counts.get(case.package, 0) + 1
    groups: list[tuple[int, set[str]]] = [(0, set()) for _ in range(max(1, parts))]
    for package in sorted(counts, key=lambda p: (-counts[p], p)):
        index = min(range(len(groups)), key=lambda i: groups[i][0])
        size, members = groups[index]
        members.add(package)
        groups[index] = (size + counts[package], members)
    return [frozenset(members) for _, members in groups if members]


def _die_with_parent(parent: int) -> None:
    """A gateway killed with SIGKILL cannot close its test processes: on Linux the kernel sends
    each SIGTERM when the thread that started it (the reload thread) ends."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() != parent:  # it died before the line above
        os._exit(0)


def _run_group(
    source: PolicySource, engine: str, strategy: str | None, group: frozenset[str]
) -> list[TestResult]:
    return run_tests(source, engine, strategy=strategy, packages=frozenset(group))

"""The Rego tests of a reload candidate, run in test processes. regorus holds the GIL while it
evaluates, so in the serving process the tests would stall request handling and, on a busy
machine, get one core's share at most; split by package over a few processes they finish
about as many times sooner as there are cores, and a policy that crashes its engine ends a
test process, not the gateway. The processes are started by warm() or the first run and kept
until close()."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from governance.policy.rego_test import TestCase, TestResult, discover, run_tests
from governance.policy.source import PolicySource

MAX_PROCESSES = 4  # past the machine's cores more processes only add compiles


def default_processes() -> int:
    """The cores this process may run on, at most MAX_PROCESSES."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_PROCESSES))


class RegoTestsCrashed(RuntimeError):
    """A test process died while running the tests (the candidate may have crashed it)."""


class RegoTestPool:
    __test__ = False  # not a pytest class

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._executor: ProcessPoolExecutor | None = None

    def run(self, source: PolicySource, engine: str, strategy: str | None) -> list[TestResult]:
        """Every test of `source` on `engine`, the packages spread over the processes."""
        groups = split_packages(discover(source), self.processes)
        executor = self._start()
        try:  # a pool whose process died refuses new work too
            futures = [executor.submit(_run_group, source, engine, strategy, g) for g in groups]
            return [result for future in futures for result in future.result()]
        except BrokenProcessPool as exc:
            self.close()  # the next run starts fresh processes
            raise RegoTestsCrashed(f"a test process died: {exc}") from None

    def warm(self) -> None:
        """Starts the processes and loads the engine in each, so that the first run after a
        save does not wait for them."""
        executor = self._start()
        for _ in range(self.processes):
            executor.submit(_ready)

    def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _start(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # spawn, not fork: the gateway has threads (and engines pinned to them) to not copy
            context = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(self.processes, mp_context=context)
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


def _ready() -> None:
    import regorus  # noqa: F401


def _run_group(source: PolicySource, engine: str, strategy: str | None, group: Any) -> Any:
    return run_tests(source, engine, strategy=strategy, packages=frozenset(group))

"""The reload's Rego tests in worker processes: the same results as in the serving process, the
packages spread evenly, and a worker that dies fails the run (never a pass) without breaking
the next one."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
from collections.abc import Iterator

import pytest

from governance.policy.rego_test import TestResult, discover, run_tests
from governance.policy.rego_test_pool import RegoTestPool, RegoTestsCrashed, split_packages
from governance.policy.source import PolicySource, load_policy_source
from tests.conftest import ROOT


@pytest.fixture
def pool() -> Iterator[RegoTestPool]:
    tests = RegoTestPool(2)
    yield tests
    tests.close()


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> PolicySource:
    """The shipped tree with a rate that fails some of its tests."""
    root = tmp_path_factory.mktemp("pool") / "policies"
    shutil.copytree(ROOT / "policies", root)
    rates = root / "data" / "rates.json"
    rates.write_text(rates.read_text().replace('"USD": 1.0', '"USD": 10.0'), encoding="utf-8")
    return load_policy_source(root)


def outcomes(results: list[TestResult]) -> dict[str, bool]:
    return {r.rule: r.passed for r in results}


def test_same_results_as_in_process(pool: RegoTestPool, broken: PolicySource) -> None:
    pooled = outcomes(pool.run(broken, "regorus", "package"))
    assert pooled == outcomes(run_tests(broken, "regorus", strategy="direct"))
    assert 0 < list(pooled.values()).count(False) < len(pooled) / 2


def test_packages_split_evenly(broken: PolicySource) -> None:
    cases = discover(broken)
    groups = split_packages(cases, 2)
    assert len(groups) == 2 and groups[0].isdisjoint(groups[1])
    assert groups[0] | groups[1] == {c.package for c in cases}
    sizes = [sum(c.package in g for c in cases) for g in groups]
    assert abs(sizes[0] - sizes[1]) <= max(sizes) // 10, sizes


def test_a_dead_worker_fails_the_run_and_the_next_run_works(
    pool: RegoTestPool, broken: PolicySource
) -> None:
    pool.run(broken, "regorus", "package")  # starts the processes
    before = set(multiprocessing.active_children())
    assert before, "the run started no process"
    for process in before:
        assert process.pid is not None
        os.kill(process.pid, signal.SIGKILL)
    with pytest.raises(RegoTestsCrashed):
        pool.run(broken, "regorus", "package")
    assert len(pool.run(broken, "regorus", "package")) == len(discover(broken))

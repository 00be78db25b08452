"""The reload's Rego tests in worker processes: the same results as in the serving process, the
packages spread evenly, and a worker that dies fails the run (never a pass) without breaking
the next one."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from governance.policy.rego_test import TestResult, discover, run_tests
from governance.policy.rego_test_pool import RegoTestPool, RegoTestsCrashed, split_packages
from governance.policy.source import PolicySource, load_policy_source
from tests.conftest import ROOT, wait_for


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


def test_test_processes_end_with_a_killed_gateway(tmp_path: Path) -> None:
    """SIGKILL leaves the pool no chance to close them: the test processes end by themselves."""
    script = tmp_path / "gateway.py"
    script.write_text(
        "import multiprocessing, sys, time\n"
        "from pathlib import Path\n"
        "from governance.policy.rego_test_pool import RegoTestPool\n"
        "from governance.policy.source import load_policy_source\n"
        "if __name__ == '__main__':\n"
        "    pool = RegoTestPool(2)\n"
        "    pool.run(load_policy_source(Path(sys.argv[1])), 'regorus', 'package')\n"
        "    print(*[p.pid for p in multiprocessing.active_children()], flush=True)\n"
        "    time.sleep(60)\n"
    )
    gateway = subprocess.Popen(
        [sys.executable, str(script), str(ROOT / "policies")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # the killed process's resource tracker complains
        text=True,
    )
    try:
        assert gateway.stdout is not None
        children = [int(pid) for pid in gateway.stdout.readline().split()]
        assert len(children) >= 2 and all(alive(pid) for pid in children), children
    finally:
        gateway.kill()
        gateway.wait()
    wait_for(lambda: not any(alive(pid) for pid in children), timeout=10)


def alive(pid: int) -> bool:
    """Running, not a zombie left for its new parent to reap."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"

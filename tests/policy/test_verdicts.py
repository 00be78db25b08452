"""A save tested once for the workers of `serve --workers N`: the first worker to reach a
content runs its tests, the others take its verdict (a pass or the same refusal), and a
verdict that cannot be read is not taken."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from governance.metrics import Metrics
from governance.policy.engine import EmbeddedEngine, decide_sync
from governance.policy.reloader import PolicyReloader
from governance.policy.source import load_policy_source
from governance.policy.verdicts import MAX_AGE_S, SharedVerdicts, Verdict
from tests.policy.conftest import write_policy_tree

WRITE_5000 = {
    "subject": {"kyc": "verified", "jurisdiction": "US"},
    "parties": {},
    "tx": {"amount_usd": 5000.0},
}
FAILING_TEST = "\ntest_always_fails if {\n\tfalse\n}\n"


@pytest.fixture
async def workers(tmp_path: Path) -> AsyncIterator[tuple[Path, list[PolicyReloader]]]:
    """Two workers' reloaders on one tree, sharing their verdicts."""
    tree = write_policy_tree(tmp_path / "policies", max_usd=10_000.0)
    shared = tmp_path / "verdicts"
    shared.mkdir()
    reloaders = [
        PolicyReloader(
            EmbeddedEngine("regorus", load_policy_source(tree)),
            tree,
            None,
            0,
            Metrics(),
            verdicts=SharedVerdicts(shared),
        )
        for _ in range(2)
    ]
    for reloader in reloaders:
        await reloader.start()
    yield tree, reloaders
    for reloader in reloaders:
        await reloader.stop()


def allowed(reloader: PolicyReloader, policy_input: dict[str, Any]) -> bool:
    return decide_sync(reloader.engine.snapshot(), policy_input).allow


async def test_the_second_worker_takes_the_first_workers_verdict(workers: Any) -> None:
    tree, (first, second) = workers
    write_policy_tree(tree, max_usd=1_000.0)
    ran = await first.reload_now(force=False)
    taken = await second.reload_now(force=False)
    assert ran.ok and taken.ok and ran.revision == taken.revision
    assert "tests" in dict(ran.phases_ms) and "shared_wait" not in dict(ran.phases_ms)
    assert "shared_wait" in dict(taken.phases_ms) and "tests" not in dict(taken.phases_ms)
    assert taken.tests == ran.tests == 2
    assert not allowed(first, WRITE_5000) and not allowed(second, WRITE_5000)


async def test_a_refusal_is_shared_and_the_last_good_revision_serves(workers: Any) -> None:
    tree, (first, second) = workers
    serving = second.engine.snapshot()
    write_policy_tree(tree, max_usd=1_000.0, extra_test=FAILING_TEST)
    refused = [await r.reload_now(force=False) for r in (first, second)]
    assert [r.result for r in refused] == ["test_failed", "test_failed"]
    assert "test_always_fails" in (refused[1].error or "")
    assert refused[0].error == refused[1].error
    assert second.engine.snapshot() is serving and allowed(second, WRITE_5000)
    assert second.refused is not None


def test_one_validation_for_concurrent_workers(tmp_path: Path) -> None:
    calls: list[int] = []

    def validate() -> Verdict:
        calls.append(1)
        time.sleep(0.2)  # the others arrive meanwhile and wait on the lock
        return Verdict(True, 7)

    answers: list[tuple[Verdict, bool]] = []
    threads = [
        threading.Thread(
            target=lambda: answers.append(SharedVerdicts(tmp_path).decide_once("k", validate))
        )
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert sorted(shared for _, shared in answers) == [False, True, True]
    assert {verdict for verdict, _ in answers} == {Verdict(True, 7)}


@pytest.mark.parametrize("stored", ["{not json", '{"ok": "yes", "tests": 1}', '{"ok": true}x'])
def test_an_unreadable_verdict_is_not_taken(tmp_path: Path, stored: str) -> None:
    verdicts = SharedVerdicts(tmp_path)
    verdicts.decide_once("k", lambda: Verdict(False, 0, "test_failed", "1 of 2 failed"))
    (stored_at,) = tmp_path.glob("*.json")
    stored_at.write_text(stored)
    verdict, shared = verdicts.decide_once("k", lambda: Verdict(True, 2))
    assert verdict == Verdict(True, 2) and not shared


def test_an_old_verdict_is_not_taken(tmp_path: Path) -> None:
    verdicts = SharedVerdicts(tmp_path)
    verdicts.decide_once("k", lambda: Verdict(True, 2))
    (stored_at,) = tmp_path.glob("*.json")
    assert verdicts.decide_once("k", lambda: Verdict(True, 3)) == (Verdict(True, 2), True)
    old = time.time() - MAX_AGE_S - 1
    os.utime(stored_at, (old, old))
    assert verdicts.decide_once("k", lambda: Verdict(True, 3)) == (Verdict(True, 3), False)

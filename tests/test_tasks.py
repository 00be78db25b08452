"""The periodic background round: runs every interval after the first, once per start, and
stops for good when stopped. The bounded set of one-off tasks: never more than its limit,
and none left running once stopped."""

from __future__ import annotations

import asyncio
import itertools

from governance.tasks import Background, Periodic
from tests.conftest import wait_for_async


async def test_rounds_repeat_until_stopped() -> None:
    rounds: list[float] = []

    async def round_() -> None:
        rounds.append(asyncio.get_running_loop().time())

    periodic = Periodic(0.01, round_)
    assert not periodic.running
    periodic.start()
    periodic.start()  # a second start does not add a second loop
    await wait_for_async(lambda: len(rounds) >= 5, timeout=5)
    assert periodic.running
    await periodic.stop()
    assert not periodic.running
    stopped_at = len(rounds)
    await asyncio.sleep(0.05)
    assert len(rounds) == stopped_at
    gaps = [b - a for a, b in itertools.pairwise(rounds)]
    assert min(gaps) >= 0.009  # one interval between rounds, never two rounds at once


async def test_nothing_runs_before_the_first_interval() -> None:
    rounds: list[int] = []

    async def round_() -> None:
        rounds.append(1)

    periodic = Periodic(3600, round_)
    periodic.start()
    await asyncio.sleep(0.05)
    await periodic.stop()
    assert rounds == []


async def test_background_tasks_stay_within_their_limit_and_end_at_stop() -> None:
    started: list[int] = []
    release = asyncio.Event()

    async def work(n: int) -> None:
        started.append(n)
        await release.wait()

    tasks = Background(limit=3)
    results = [tasks.start(lambda n=n: work(n)) for n in range(5)]
    assert results == [True, True, True, False, False] and tasks.full
    await asyncio.sleep(0)
    assert started == [0, 1, 2] and len(tasks) == 3  # the refused work was never created
    await tasks.stop()
    assert len(tasks) == 0 and not tasks.full


async def test_a_finished_background_task_frees_its_place() -> None:
    tasks = Background(limit=1)

    async def quick() -> None:
        return None

    assert tasks.start(quick)
    await wait_for_async(lambda: len(tasks) == 0, timeout=5)
    assert tasks.start(quick)
    await tasks.stop()

"""Work in the background of the serving event loop, started with the app's services and
cancelled and awaited when they stop: a round repeated (checkpoint signing, reconciliation),
and a bounded set of one-off tasks (writes whose outcome is being settled)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any


class Periodic:
    """Awaits `round_` every `interval_s` seconds, the first after one interval. A round handles
    its own errors: one that escapes ends the loop, as it would have ended a bare task."""

    def __init__(self, interval_s: float, round_: Callable[[], Awaitable[None]]) -> None:
        self.interval_s = interval_s
        self._round = round_
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """On the running loop; a second start while running does nothing."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            await self._round()


class Background:
    """One-off tasks nobody awaits, at most `limit` at once (memory stays bounded whatever the
    callers do); `stop` cancels and awaits those still running."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    @property
    def full(self) -> bool:
        return len(self._tasks) >= self.limit

    def start(self, work: Callable[[], Coroutine[Any, Any, None]]) -> bool:
        """Runs `work()` on the running loop; False (and nothing started) when full."""
        if self.full:
            return False
        task = asyncio.get_running_loop().create_task(work())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

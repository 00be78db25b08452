"""A background round repeated on the serving event loop (checkpoint signing, reconciliation):
started with the app's services, cancelled and awaited when they stop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable


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

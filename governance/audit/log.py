"""The async decision log: group commit on top of SqlLog.

Records queue up while the previous batch commits, and the next batch takes all of them in one
transaction (one fsync). A write's caller awaits its batch's commit before forwarding; a read's
caller does not wait, but a read is refused while the log is failing, and `close()` flushes
everything queued (graceful stop loses nothing)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from governance.audit.sqlstore import SqlLog
from governance.domain.records import DecisionRecord
from governance.errors import LogUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")
_MAX_BATCH = 2000


class DecisionLog:
    def __init__(self, store: SqlLog, read_window_s: float = 0.002) -> None:
        self.store = store
        # Reads wait this long for company before a commit (nobody awaits them); a durable
        # record cuts the wait short. Fewer, larger transactions cost far less per record.
        self.read_window_s = read_window_s
        self._queue: list[tuple[DecisionRecord, asyncio.Future[int] | None]] = []
        self._wakeup = asyncio.Event()
        self._urgent = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        # One thread for appends keeps commit order equal to queue order.
        self._append_pool = ThreadPoolExecutor(1, thread_name_prefix="log-append")
        self._query_pool = ThreadPoolExecutor(4, thread_name_prefix="log-query")
        self.healthy = True
        self.last_error: str | None = None
        self.appended = 0
        self._closing = False

    def start(self) -> None:
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._run())

    async def record(self, record: DecisionRecord, *, durable: bool) -> None:
        """Queues a record; with durable=True returns only after it is committed."""
        if self._closing:
            raise LogUnavailable("decision log is shutting down")
        if not self.healthy and not durable:
            raise LogUnavailable(f"decision log unavailable: {self.last_error}")
        future = asyncio.get_running_loop().create_future() if durable else None
        self._queue.append((record, future))
        self._wakeup.set()
        if future is not None:
            self._urgent.set()
            await future

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            if not self._closing and not self._urgent.is_set() and self.read_window_s > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._urgent.wait(), self.read_window_s)
            self._wakeup.clear()
            self._urgent.clear()
            failures = 0
            while self._queue:
                batch, self._queue = self._queue[:_MAX_BATCH], self._queue[_MAX_BATCH:]
                await self._commit(batch)
                if not self.healthy:
                    failures += 1
                    if self._closing and failures >= 3:
                        log.error("dropping %d unrecorded read records at stop", len(self._queue))
                        return
                    await asyncio.sleep(min(0.1 * 2**failures, 2.0))  # back off while failing
            if self._closing:
                return

    async def _commit(self, batch: list[tuple[DecisionRecord, asyncio.Future[int] | None]]) -> None:
        loop = asyncio.get_running_loop()
        records = [r for r, _ in batch]
        try:
            indices = await loop.run_in_executor(
                self._append_pool, self.store.append_batch, records
            )
        except Exception as exc:
            # Clients and /status see the kind of failure; the details (hosts, paths, SQL) stay
            # in the server log.
            self.healthy, self.last_error = False, type(exc).__name__
            log.error("decision log append failed: %s: %s", self.last_error, exc)
            self._fail(batch, exc)
            return
        self.healthy, self.last_error = True, None
        self.appended += len(batch)
        for (_, future), index in zip(batch, indices, strict=True):
            if future is not None and not future.done():
                future.set_result(index)

    def _fail(
        self, batch: list[tuple[DecisionRecord, asyncio.Future[int] | None]], exc: Exception
    ) -> None:
        for record, future in batch:
            if future is not None:
                if not future.done():
                    future.set_exception(
                        LogUnavailable(f"decision log unavailable: {type(exc).__name__}")
                    )
            else:
                # A read record was already answered; keep it for the next batch.
                self._queue.append((record, None))

    async def run(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._query_pool, fn, *args)

    async def writable(self) -> bool:
        return self.healthy and bool(await self.run(self.store.writable))

    async def close(self) -> None:
        self._closing = True
        self._wakeup.set()
        self._urgent.set()
        if self._writer is not None:
            await self._writer
        self._append_pool.shutdown(wait=True)
        self._query_pool.shutdown(wait=True)
        self.store.close()

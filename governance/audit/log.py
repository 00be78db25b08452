"""The async decision log: group commit on top of SqlLog.

Records queue up while the previous batch commits, and the next batch takes all of them in one
transaction (one fsync). A write's caller awaits its batch's commit before forwarding; a read's
caller does not wait, but a read is refused while the log is failing, and `close()` flushes
everything queued (graceful stop loses nothing).

Every wait is bounded. A write waits at most `append_timeout_s` for its commit; an append that
has not finished by then marks the log stalled (unhealthy), and while it is, every record is
refused at once instead of queueing behind it. Read records waiting for their commit are
bounded too (`max_queued_reads`): beyond that, reads are refused, never dropped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from governance.audit.sqlstore import SqlLog
from governance.domain.records import DecisionRecord
from governance.errors import LogUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")
_MAX_BATCH = 2000
_PROBE_S = 0.5  # while failing with nothing queued, how often the database is tried again
_MAX_REFUSED = 10_000  # refused durable records whose outcome is kept for stored_after_refusal

Entry = tuple[DecisionRecord, "asyncio.Future[int] | None"]


class DecisionLog:
    def __init__(
        self,
        store: SqlLog,
        read_window_s: float = 0.002,
        *,
        append_timeout_s: float = 5.0,
        max_queued_reads: int = 10_000,
    ) -> None:
        self.store = store
        # Reads wait this long for company before a commit (nobody awaits them); a durable
        # record cuts the wait short. Fewer, larger transactions cost far less per record.
        self.read_window_s = read_window_s
        self.append_timeout_s = append_timeout_s
        self.max_queued_reads = max_queued_reads
        self._queue: list[Entry] = []
        self._wakeup = asyncio.Event()
        self._urgent = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        # One thread for appends keeps commit order equal to queue order.
        self._append_pool = ThreadPoolExecutor(1, thread_name_prefix="log-append")
        self._query_pool = ThreadPoolExecutor(4, thread_name_prefix="log-query")
        self._error: str | None = None  # the kind of the last append failure, until one succeeds
        # Records of failed appends queued again: a connection lost during COMMIT leaves it
        # unknown whether they were stored, so the next append skips those that were.
        self._unsure: set[str] = set()
        self._appending_since: float | None = None
        # Durable records whose caller was refused -> their append, if one was under way
        self._refused: dict[str, asyncio.Future[int] | None] = {}
        self.appended = 0
        self._closing = False

    @property
    def stalled(self) -> bool:
        """An append has been running longer than a write may wait (a hung database)."""
        since = self._appending_since
        return since is not None and time.monotonic() - since > self.append_timeout_s

    @property
    def healthy(self) -> bool:
        return self._error is None and not self.stalled

    @property
    def last_error(self) -> str | None:
        """The kind of failure only: hosts, paths and SQL stay in the server log."""
        return "append stalled" if self.stalled else self._error

    def start(self) -> None:
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._run())

    def ensure_available(self, *, durable: bool) -> None:
        """Raises LogUnavailable when a record of this kind would be refused now (checked
        again by `record`; callers check first to spare the work a refusal would waste)."""
        if self._closing:
            raise LogUnavailable("decision log is shutting down")
        if self.stalled:
            raise LogUnavailable(
                f"decision log unavailable: an append has not finished in {self.append_timeout_s} s"
            )
        if durable:
            return  # a write tries the database itself: its commit is what recovers the log
        if self._error is not None:
            raise LogUnavailable(f"decision log unavailable: {self._error}")
        if len(self._queue) >= self.max_queued_reads:
            raise LogUnavailable(
                f"decision log unavailable: {len(self._queue)} records await their commit"
            )

    async def record(self, record: DecisionRecord, *, durable: bool) -> None:
        """Queues a record; with durable=True returns only after it is committed. A durable
        record refused here may still have been stored: `stored_after_refusal` tells."""
        self.ensure_available(durable=durable)
        future = asyncio.get_running_loop().create_future() if durable else None
        entry: Entry = (record, future)
        self._queue.append(entry)
        self._wakeup.set()
        if future is None:
            return
        self._urgent.set()
        try:
            await asyncio.wait_for(asyncio.shield(future), self.append_timeout_s)
        except TimeoutError:
            self._refused_now(record.id, future if self._withdraw(entry) else None)
            raise LogUnavailable(
                f"decision log unavailable: no commit within {self.append_timeout_s} s"
            ) from None
        except LogUnavailable:
            self._refused_now(record.id, future)  # the append failed, perhaps after COMMIT
            raise

    def _withdraw(self, entry: Entry) -> bool:
        """A write whose caller stopped waiting: still queued, it is never committed (False);
        already in an append, it commits or fails there (True; its caller was refused either
        way)."""
        record, future = entry
        for at, queued in enumerate(self._queue):
            if queued is entry:
                del self._queue[at]
                return False
        assert future is not None
        future.add_done_callback(lambda f: _late_commit(record, f))
        return True

    def _refused_now(self, record_id: str, append: asyncio.Future[int] | None) -> None:
        self._refused[record_id] = append
        if len(self._refused) > _MAX_REFUSED:  # nobody asked about the oldest
            del self._refused[next(iter(self._refused))]

    async def stored_after_refusal(self, record_id: str, within_s: float = 600.0) -> bool:
        """Whether a durable record whose caller was refused was stored after all: its append
        committed after the caller stopped waiting, or failed in a way that may have followed
        its COMMIT (then the store is asked once the log is healthy again). Raises
        LogUnavailable when that cannot be known within `within_s`."""
        append = self._refused.pop(record_id, None)
        if append is None:
            return False  # withdrawn from the queue (or never refused): never appended
        try:
            await asyncio.shield(append)
            return True
        except LogUnavailable:
            pass
        deadline = time.monotonic() + within_s
        pause = 0.1
        while True:
            if self.healthy:
                with contextlib.suppress(Exception):  # failing again: wait for the next turn
                    return bool(await self.run(self.store.stored_ids, [record_id]))
            if time.monotonic() + pause > deadline:
                raise LogUnavailable(f"decision log unavailable: {record_id} not settled")
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)

    async def _run(self) -> None:
        while True:
            if self._error is not None and not self._queue and not self._closing:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), _PROBE_S)
                if not self._queue and not self._closing:
                    await self._probe()
                    continue
            await self._wakeup.wait()
            if not self._closing and not self._urgent.is_set() and self.read_window_s > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._urgent.wait(), self.read_window_s)
            self._wakeup.clear()
            self._urgent.clear()
            if await self._drain():
                return

    async def _drain(self) -> bool:
        """Commits everything queued; True when the writer should stop."""
        failures = 0
        while self._queue:
            batch, self._queue = self._queue[:_MAX_BATCH], self._queue[_MAX_BATCH:]
            await self._commit(batch)
            if self._error is not None:
                failures += 1
                if self._closing and failures >= 3:
                    log.error("dropping %d unrecorded read records at stop", len(self._queue))
                    return True
                await asyncio.sleep(min(0.1 * 2**failures, 2.0))  # back off while failing
        return self._closing

    async def _in_append_thread(self, fn: Any, *args: Any) -> Any:
        self._appending_since = time.monotonic()
        try:
            return await asyncio.get_running_loop().run_in_executor(self._append_pool, fn, *args)
        finally:
            self._appending_since = None

    async def _probe(self) -> None:
        """Nothing is queued while the log is failing: try the database so that reads (which
        are refused meanwhile) come back when it does."""
        if await self._in_append_thread(self.store.writable):
            log.info("decision log writable again")
            self._error = None

    async def _commit(self, batch: list[Entry]) -> None:
        records = [r for r, _ in batch]
        unsure = [r.id for r in records if r.id in self._unsure]
        try:
            indices = await self._in_append_thread(self.store.append_batch, records, unsure)
        except Exception as exc:
            self._error = type(exc).__name__
            log.error("decision log append failed: %s: %s", self._error, exc)
            self._fail(batch, exc)
            return
        self._error = None
        self._unsure.difference_update(unsure)
        self.appended += len(batch)
        for (_, future), index in zip(batch, indices, strict=True):
            if future is not None and not future.done():
                future.set_result(index)

    def _fail(self, batch: list[Entry], exc: Exception) -> None:
        for record, future in batch:
            if future is not None:
                if not future.done():
                    future.set_exception(
                        LogUnavailable(f"decision log unavailable: {type(exc).__name__}")
                    )
            else:
                # A read record was already answered; keep it for the next batch.
                self._queue.append((record, None))
                self._unsure.add(record.id)

    async def run(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._query_pool, fn, *args)

    async def writable(self) -> bool:
        """For readiness: healthy, and the database answers within the append timeout."""
        if not self.healthy:
            return False
        try:
            probe = self.run(self.store.writable)
            return bool(await asyncio.wait_for(probe, self.append_timeout_s))
        except TimeoutError:
            return False

    async def close(self) -> None:
        self._closing = True
        self._wakeup.set()
        self._urgent.set()
        if self._writer is not None:
            await self._writer
        self._append_pool.shutdown(wait=True)
        self._query_pool.shutdown(wait=True)
        self.store.close()


def _late_commit(record: DecisionRecord, future: asyncio.Future[int]) -> None:
    if future.cancelled() or future.exception() is not None:
        return  # retrieved: nothing was committed
    log.warning(
        "decision %s committed after its caller was refused -32006; it was not forwarded",
        record.id,
    )

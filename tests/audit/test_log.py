"""The decision log's writer (governance/audit/log.py) over a real store on both backends:
what it does when an append fails after its COMMIT reached the database or outlasts its
caller, and what it then knows of the refused records."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection, Iterator, Sequence

import pytest
from sqlalchemy.exc import OperationalError

from governance.audit.log import DecisionLog
from governance.audit.sqlstore import SqlLog
from governance.domain.records import DecisionRecord
from governance.errors import LogUnavailable
from tests.audit.conftest import sample_record


class LostAfterCommit(SqlLog):
    """A store whose first append commits and then loses its connection, as a database
    stopped between the COMMIT and its acknowledgement does."""

    lost = False

    def append_batch(
        self, records: Sequence[DecisionRecord], unsure: Collection[str] = ()
    ) -> list[int]:
        indices = super().append_batch(records, unsure)
        if not self.lost:
            self.lost = True
            raise OperationalError("COMMIT", {}, Exception("server closed the connection"))
        return indices


@pytest.fixture
def store(store_url: str) -> Iterator[LostAfterCommit]:
    log = LostAfterCommit(store_url)
    yield log
    log.close()


async def test_reads_of_an_append_lost_after_commit_are_stored_once(
    store: LostAfterCommit,
) -> None:
    """The reads were answered, so they are appended again; those the lost COMMIT stored are
    not appended twice (a second copy of an id failed every later append, and the log never
    became writable again)."""
    log = DecisionLog(store, read_window_s=0)
    log.start()
    reads = [sample_record(i) for i in range(3)]
    for record in reads:
        await log.record(record, durable=False)
    for _ in range(1000):  # the writer runs on this loop
        if store.lost:
            break
        await asyncio.sleep(0.01)
    assert store.lost and not log.healthy
    write = sample_record(3)
    await log.record(write, durable=True)  # commits the reads queued again, then this
    assert log.healthy
    assert [i for i, _, _ in store.leaves()] == [0, 1, 2, 3]
    assert [body for _, body, _ in store.leaves()] == [
        r.canonical_bytes().decode() for r in [*reads, write]
    ]
    await log.close()


async def test_a_write_in_a_lost_append_is_refused(store: LostAfterCommit) -> None:
    """Its caller cannot know whether the write was recorded, so it is not forwarded."""
    log = DecisionLog(store, read_window_s=0)
    log.start()
    with pytest.raises(LogUnavailable, match="OperationalError"):
        await log.record(sample_record(0), durable=True)
    await log.record(sample_record(1), durable=True)
    assert log.healthy
    assert [i for i, _, _ in store.leaves()] == [0, 1]
    await log.close()


async def test_a_write_refused_by_a_lost_commit_is_known_stored(store: LostAfterCommit) -> None:
    """Its caller was refused, but the COMMIT reached the database: once the log is healthy
    again, it says the record is there (the gateway then releases what the write spends)."""
    log = DecisionLog(store, read_window_s=0)
    log.start()
    write = sample_record(0)
    with pytest.raises(LogUnavailable):
        await log.record(write, durable=True)
    assert await asyncio.wait_for(log.stored_after_refusal(write.id), 30) is True
    assert await log.stored_after_refusal("never-refused") is False
    await log.close()


class SlowAppends(SqlLog):
    """Each append takes `delay_s` before it touches the database."""

    delay_s = 0.6

    def append_batch(
        self, records: Sequence[DecisionRecord], unsure: Collection[str] = ()
    ) -> list[int]:
        time.sleep(self.delay_s)
        return super().append_batch(records, unsure)


async def test_writes_refused_on_timeout_are_known_stored_or_not(store_url: str) -> None:
    """One write times out inside its append, which commits later: stored. One times out
    still queued behind it: withdrawn, never stored."""
    store = SlowAppends(store_url)
    log = DecisionLog(store, read_window_s=0, append_timeout_s=0.2)
    log.start()
    first, second = sample_record(0), sample_record(1)
    in_append = asyncio.create_task(log.record(first, durable=True))
    await asyncio.sleep(0.05)  # the first is in its append now
    queued = asyncio.create_task(log.record(second, durable=True))
    for task in (in_append, queued):
        with pytest.raises(LogUnavailable, match="no commit within"):
            await task
    assert await asyncio.wait_for(log.stored_after_refusal(first.id), 30) is True
    assert await log.stored_after_refusal(second.id) is False
    assert [i for i, _, _ in store.leaves()] == [0]
    await log.close()
    store.close()

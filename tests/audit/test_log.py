"""The decision log's writer (governance/audit/log.py) over a real store on both backends:
what it does when an append fails after its COMMIT reached the database."""

from __future__ import annotations

import asyncio
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

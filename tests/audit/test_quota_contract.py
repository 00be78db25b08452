"""One contract for the quota store, run against every adapter (SQLite and PostgreSQL,
`store_url`): spend rows commit with their decisions and count until released, unreadable
spending fails closed, and one subject's limits are guarded at a time (across store instances
on every backend)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from governance.audit.factory import open_stores
from governance.audit.quota import PostgresQuota, SqliteQuota, SqlQuota
from governance.audit.sqlstore import SqlLog
from governance.domain.records import DecisionRecord
from governance.errors import LogUnavailable
from tests.audit.conftest import sample_record

DAY, YEAR = "2026-01-01", "2026"


@pytest.fixture
def stores(store_url: str) -> Iterator[tuple[SqlLog, SqlQuota]]:
    log, quota = open_stores(store_url)
    yield log, quota
    quota.close()
    log.close()


def write(i: int, usd: float, **kw: Any) -> DecisionRecord:
    kw.setdefault("outcome", "allow")
    return sample_record(i, sub="trader1", amount_usd=usd, **kw)


def test_the_factory_picks_the_adapter_of_the_database(
    store_url: str, stores: tuple[SqlLog, SqlQuota]
) -> None:
    expected = PostgresQuota if store_url.startswith("postgresql") else SqliteQuota
    assert type(stores[1]) is expected


async def test_aggregates_count_allowed_writes_until_released(
    stores: tuple[SqlLog, SqlQuota],
) -> None:
    log, quota = stores
    domestic = write(1, 100.0, jurisdictions=["US"])
    cross_border = write(3, 50.0, jurisdictions=["US", "CN"])
    denied = write(5, 7.0, outcome="deny")  # a denial spends nothing
    next_month = write(7, 1.0, jurisdictions=["US"], minute=60 * 24 * 40)  # 2026-02-10
    read = sample_record(2, sub="trader1", amount_usd=999.0)  # a read never spends
    assert read.kind == "read" and cross_border.cross_border and not domestic.cross_border
    log.append_batch([domestic, cross_border, denied, next_month, read])
    assert await quota.aggregates("trader1", DAY, YEAR) == {
        "subject_daily_usd": 150.0,
        "subject_annual_usd": 151.0,
        "subject_daily_cross_border_usd": 50.0,
        "subject_annual_cross_border_usd": 50.0,
    }
    await quota.release(cross_border.id)  # the node rejected it
    totals = await quota.aggregates("trader1", DAY, YEAR)
    assert totals["subject_daily_usd"] == 100.0
    assert totals["subject_annual_cross_border_usd"] == 0.0
    assert quota.totals("trader1", DAY, YEAR) == totals  # the console's synchronous read
    assert (await quota.aggregates("trader1", "2026-02-10", YEAR))["subject_daily_usd"] == 1.0
    assert (await quota.aggregates("trader1", "2026-02-10", "2027"))["subject_annual_usd"] == 0.0
    assert (await quota.aggregates("someone-else", DAY, YEAR))["subject_daily_usd"] == 0.0


async def test_a_failed_append_spends_nothing(stores: tuple[SqlLog, SqlQuota]) -> None:
    """The spend rows are written in the log's append transaction: no decision, no spending."""
    log, quota = stores
    first = write(1, 100.0)
    log.append_batch([first])
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        log.append_batch([write(3, 50.0), first])  # first is already stored
    assert (await quota.aggregates("trader1", DAY, YEAR))["subject_annual_usd"] == 100.0
    assert log.size() == 1


async def test_unreadable_spending_fails_closed(stores: tuple[SqlLog, SqlQuota]) -> None:
    _, quota = stores
    with quota.engine.begin() as conn:
        conn.execute(text("DROP TABLE spend"))
    with pytest.raises(LogUnavailable, match="quota store unavailable"):
        await quota.aggregates("trader1", DAY, YEAR)


async def test_subject_guard_serialises_one_subject_only(stores: tuple[SqlLog, SqlQuota]) -> None:
    _, quota = stores
    order: list[str] = []
    alice_held, bob_done = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with quota.subject_guard("alice"):
            alice_held.set()
            await asyncio.wait_for(bob_done.wait(), 30)  # bob is not blocked by alice
            order.append("first alice out")

    async def second() -> None:
        await alice_held.wait()
        async with quota.subject_guard("alice"):
            order.append("second alice in")

    async def bob() -> None:
        await alice_held.wait()
        async with quota.subject_guard("bob"):
            order.append("bob")
        bob_done.set()

    await asyncio.gather(first(), second(), bob())
    assert order == ["bob", "first alice out", "second alice in"]


async def test_subject_guard_across_instances(
    store_url: str, stores: tuple[SqlLog, SqlQuota]
) -> None:
    """A second instance on the same database (another replica, another worker) is kept out of
    a guarded subject: an advisory lock on PostgreSQL, a lock file beside a SQLite database."""
    _, quota = stores
    other_log, other = open_stores(store_url)

    async def enter(sub: str) -> None:
        async with other.subject_guard(sub):
            pass

    try:
        async with quota.subject_guard("alice"):
            contended = asyncio.create_task(enter("alice"))
            await asyncio.wait_for(enter("bob"), 30)  # other subjects are not blocked
            await asyncio.sleep(0.2)
            assert not contended.done()
        await asyncio.wait_for(contended, 30)  # released: the other instance gets in
    finally:
        other.close()
        other_log.close()

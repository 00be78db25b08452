"""One contract for the quota store, run against every adapter (SQLite and PostgreSQL,
`store_url`): spend rows commit with their decisions and count until released, unreadable
spending fails closed, and one person's limits are guarded at a time (across store instances
on every backend). Spend is keyed by the legal person and cut by each jurisdiction's local day
and year."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from governance.audit.factory import open_stores
from governance.audit.quota import PostgresQuota, SqliteQuota, SqlQuota
from governance.audit.spend_upgrade import upgrade_spend
from governance.audit.sqlstore import SqlLog
from governance.domain.records import DecisionRecord
from governance.errors import LogUnavailable
from tests.audit.conftest import sample_record

# Local days and years: 2026-01-01T00:00Z is 08:00 in Shanghai and 19:00 on 31 Dec in New York.
ZONES = {"CN": "Asia/Shanghai", "US": "America/New_York"}
MOMENT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai, 07:00 in New York
PERSON = "li-wei"


def write(i: int, usd: float, person: str | None = PERSON, **kw: Any) -> DecisionRecord:
    """An allowed write of `usd` spent for `person` (as the gateway records it in the input's
    aggregates), by a login that varies with `i`."""
    kw.setdefault("outcome", "allow")
    record = sample_record(i, sub=f"login{i % 2}", amount_usd=usd, **kw)
    extra = {} if person is None else {"aggregates": {"person": person}}
    return replace(record, input={**record.input, **extra})


def at(moment: str, usd: float, i: int = 1, **kw: Any) -> DecisionRecord:
    """An allowed write at `moment` (UTC)."""
    record = write(i, usd, **kw)
    return replace(record, time=moment)


def cn(doc: dict[str, Any]) -> dict[str, Any]:
    figures: dict[str, Any] = doc["by_jurisdiction"]["CN"]
    return figures


def test_the_factory_picks_the_adapter_of_the_database(
    store_url: str, log_and_quota: tuple[SqlLog, SqlQuota]
) -> None:
    expected = PostgresQuota if store_url.startswith("postgresql") else SqliteQuota
    assert type(log_and_quota[1]) is expected


async def test_aggregates_count_allowed_writes_until_released(
    log_and_quota: tuple[SqlLog, SqlQuota],
) -> None:
    log, quota = log_and_quota
    domestic = write(1, 100.0, jurisdictions=["US"])
    cross_border = write(3, 50.0, jurisdictions=["US", "CN"])
    denied = write(5, 7.0, outcome="deny")  # a denial spends nothing
    next_month = write(7, 1.0, jurisdictions=["US"], minute=60 * 24 * 40)  # 2026-02-10
    read = sample_record(2, sub="login0", amount_usd=999.0)  # a read never spends
    assert read.kind == "read" and cross_border.cross_border and not domestic.cross_border
    log.append_batch([domestic, cross_border, denied, next_month, read])
    totals = await quota.aggregates(PERSON, MOMENT, ZONES)
    assert totals["person"] == PERSON
    assert cn(totals) == {
        "day": "2026-01-01",
        "year": "2026",
        "person_daily_usd": 150.0,
        "person_annual_usd": 151.0,
        "person_daily_cross_border_usd": 50.0,
        "person_annual_cross_border_usd": 50.0,
    }
    assert totals["person_30d_usd"] == 151.0  # the rolling window has no end
    await quota.release(cross_border.id)  # the node rejected it
    totals = await quota.aggregates(PERSON, MOMENT, ZONES)
    assert cn(totals)["person_daily_usd"] == 100.0
    assert cn(totals)["person_annual_cross_border_usd"] == 0.0
    assert quota.totals(PERSON, MOMENT, ZONES) == totals  # the console's synchronous read
    feb = datetime(2026, 2, 10, 12, tzinfo=UTC)
    assert cn(await quota.aggregates(PERSON, feb, ZONES))["person_daily_usd"] == 1.0
    next_year = datetime(2027, 1, 5, tzinfo=UTC)
    assert cn(await quota.aggregates(PERSON, next_year, ZONES))["person_annual_usd"] == 0.0
    assert cn(await quota.aggregates("someone-else", MOMENT, ZONES))["person_daily_usd"] == 0.0


async def test_two_logins_of_one_person_share_its_spend(
    log_and_quota: tuple[SqlLog, SqlQuota],
) -> None:
    log, quota = log_and_quota
    first, second = write(1, 10.0), write(2, 20.0, method="eth_sendRawTransaction")
    other = write(3, 40.0, person="wang-fang")
    assert first.subject["sub"] != second.subject["sub"]
    log.append_batch([first, second, other])
    assert cn(await quota.aggregates(PERSON, MOMENT, ZONES))["person_daily_usd"] == 30.0
    assert cn(await quota.aggregates("wang-fang", MOMENT, ZONES))["person_daily_usd"] == 40.0
    assert cn(await quota.aggregates("login1", MOMENT, ZONES))["person_daily_usd"] == 0.0


async def test_days_are_cut_in_each_jurisdictions_time_zone(
    log_and_quota: tuple[SqlLog, SqlQuota],
) -> None:
    """23:30 in Shanghai on 26 Nov is 15:30 UTC; an hour later it is 27 Nov there, still
    26 Nov in New York (and in UTC)."""
    log, quota = log_and_quota
    log.append_batch([at("2026-11-26T15:30:00.000000Z", 80.0)])
    totals = await quota.aggregates(PERSON, datetime(2026, 11, 26, 16, 30, tzinfo=UTC), ZONES)
    assert cn(totals)["day"] == "2026-11-27" and cn(totals)["person_daily_usd"] == 0.0
    assert cn(totals)["person_annual_usd"] == 80.0
    us = totals["by_jurisdiction"]["US"]
    assert us["day"] == "2026-11-26" and us["person_daily_usd"] == 80.0


async def test_years_are_cut_in_each_jurisdictions_time_zone(
    log_and_quota: tuple[SqlLog, SqlQuota],
) -> None:
    log, quota = log_and_quota
    log.append_batch([at("2026-12-31T15:30:00.000000Z", 80.0)])  # 23:30 on 31 Dec in Shanghai
    totals = await quota.aggregates(PERSON, datetime(2026, 12, 31, 16, 30, tzinfo=UTC), ZONES)
    assert cn(totals)["year"] == "2027" and cn(totals)["person_annual_usd"] == 0.0
    assert totals["by_jurisdiction"]["US"]["person_annual_usd"] == 80.0


async def test_the_rolling_window_is_the_last_30_days(
    log_and_quota: tuple[SqlLog, SqlQuota],
) -> None:
    log, quota = log_and_quota
    moment = datetime(2026, 6, 30, 12, tzinfo=UTC)
    inside = at("2026-05-31T12:00:00.000001Z", 5.0, i=1)  # 29 days 23:59:59.999999 before
    outside = at("2026-05-31T11:59:59.999999Z", 7.0, i=3)  # just over 30 days before
    log.append_batch([inside, outside])
    assert (await quota.aggregates(PERSON, moment, ZONES))["person_30d_usd"] == 5.0


async def test_spend_without_a_person_counts_for_the_sending_address(
    log_and_quota: tuple[SqlLog, SqlQuota],
) -> None:
    log, quota = log_and_quota
    sender = "0xA0Ee7A142d267C1f36714E4a8F75612F20a79720"
    record = write(1, 9.0, person=None)
    log.append_batch([replace(record, input={**record.input, "tx": {"from": sender}})])
    assert cn(await quota.aggregates(sender.lower(), MOMENT, ZONES))["person_daily_usd"] == 9.0
    with pytest.raises(ValueError, match="names no person"):
        log.append_batch([write(3, 9.0, person=None)])  # cannot be attributed: not recorded
    assert log.size() == 1


async def test_an_unknown_time_zone_gives_no_figures(
    log_and_quota: tuple[SqlLog, SqlQuota],
) -> None:
    """The jurisdiction is left out; the policy then refuses the write (lib/validate.rego)."""
    _, quota = log_and_quota
    totals = await quota.aggregates(PERSON, MOMENT, {"CN": "Asia/Shanghai", "XX": "Mars/Base"})
    assert set(totals["by_jurisdiction"]) == {"CN"}


async def test_a_failed_append_spends_nothing(log_and_quota: tuple[SqlLog, SqlQuota]) -> None:
    """The spend rows are written in the log's append transaction: no decision, no spending."""
    log, quota = log_and_quota
    first = write(1, 100.0)
    log.append_batch([first])
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        log.append_batch([write(3, 50.0), first])  # first is already stored
    assert cn(await quota.aggregates(PERSON, MOMENT, ZONES))["person_annual_usd"] == 100.0
    assert log.size() == 1


async def test_a_log_kept_by_subject_and_utc_day_is_upgraded(
    log_and_quota: tuple[SqlLog, SqlQuota],
) -> None:
    """Spend rows of an earlier version (sub, day, year) are rebuilt once, keyed by the person
    of each decision's sending address, with their amounts and releases."""
    log, quota = log_and_quota
    phone, laptop = "0x" + "aa" * 20, "0x" + "bb" * 20
    a, b, c = (write(i, usd, person=None) for i, usd in ((1, 10.0), (3, 20.0), (5, 40.0)))
    a, b, c = (replace(r, input={**r.input, "tx": {"from": s}}) for r, s in zip(
        (a, b, c), (phone, laptop, phone), strict=True))  # fmt: skip
    log.append_batch([a, b, c])
    await quota.release(c.id)
    with quota.engine.begin() as conn:
        kept = conn.execute(
            text("SELECT decision_id, amount_usd, cross_border, released FROM spend")
        )
        rows = [dict(zip(("d", "usd", "cb", "rel"), r, strict=True)) for r in kept.all()]
        conn.execute(text("DROP TABLE spend"))
        conn.execute(text(
            "CREATE TABLE spend (decision_id VARCHAR(26) PRIMARY KEY, sub VARCHAR NOT NULL,"
            " day VARCHAR NOT NULL, year VARCHAR NOT NULL, amount_usd FLOAT NOT NULL,"
            " cross_border BOOLEAN NOT NULL, released BOOLEAN NOT NULL)"
        ))  # fmt: skip
        conn.execute(text("CREATE INDEX ix_spend_sub_year ON spend (sub, year, day)"))
        conn.execute(
            text("INSERT INTO spend VALUES (:d, 'login1', '2026-01-01', '2026', :usd, :cb, :rel)"),
            rows,
        )
    directory = {phone: PERSON, laptop: PERSON}
    assert upgrade_spend(quota.engine, lambda a: directory.get(a, a)) == 3
    assert upgrade_spend(quota.engine, lambda a: directory.get(a, a)) == 0  # once
    assert cn(await quota.aggregates(PERSON, MOMENT, ZONES))["person_daily_usd"] == 30.0
    log.append_batch([write(7, 5.0)])  # the upgraded table takes new spend
    assert cn(await quota.aggregates(PERSON, MOMENT, ZONES))["person_daily_usd"] == 35.0


async def test_unreadable_spending_fails_closed(log_and_quota: tuple[SqlLog, SqlQuota]) -> None:
    _, quota = log_and_quota
    with quota.engine.begin() as conn:
        conn.execute(text("DROP TABLE spend"))
    with pytest.raises(LogUnavailable, match="quota store unavailable"):
        await quota.aggregates(PERSON, MOMENT, ZONES)


async def test_person_guard_serialises_one_person_only(
    log_and_quota: tuple[SqlLog, SqlQuota],
) -> None:
    _, quota = log_and_quota
    order: list[str] = []
    alice_held, bob_done = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with quota.person_guard("alice"):
            alice_held.set()
            await asyncio.wait_for(bob_done.wait(), 30)  # bob is not blocked by alice
            order.append("first alice out")

    async def second() -> None:
        await alice_held.wait()
        async with quota.person_guard("alice"):
            order.append("second alice in")

    async def bob() -> None:
        await alice_held.wait()
        async with quota.person_guard("bob"):
            order.append("bob")
        bob_done.set()

    await asyncio.gather(first(), second(), bob())
    assert order == ["bob", "first alice out", "second alice in"]


async def test_person_locks_are_kept_only_while_held_or_awaited(
    log_and_quota: tuple[SqlLog, SqlQuota],
) -> None:
    """Every new sending address is a person of its own: the in-process locks of persons no
    one is writing for are dropped, so minting addresses does not grow the gateway's memory."""
    _, quota = log_and_quota
    for i in range(200):
        async with quota.person_guard(f"0x{i:040x}"):
            pass
    assert len(quota._person_locks) == 0
    entered = asyncio.Event()

    async def waiter() -> None:
        async with quota.person_guard("alice"):
            entered.set()

    async with quota.person_guard("alice"):
        task = asyncio.create_task(waiter())
        await asyncio.sleep(0.05)
        assert len(quota._person_locks) == 1  # held, and awaited: the same lock
        assert not entered.is_set()
    await asyncio.wait_for(task, 30)
    assert entered.is_set()
    del task
    assert len(quota._person_locks) == 0


async def test_person_guard_across_instances(
    store_url: str, log_and_quota: tuple[SqlLog, SqlQuota]
) -> None:
    """A second instance on the same database (another replica, another worker) is kept out of
    a guarded person: an advisory lock on PostgreSQL, a lock file beside a SQLite database."""
    _, quota = log_and_quota
    other_log, other = open_stores(store_url)

    async def enter(person: str) -> None:
        async with other.person_guard(person):
            pass

    try:
        async with quota.person_guard("alice"):
            contended = asyncio.create_task(enter("alice"))
            await asyncio.wait_for(enter("bob"), 30)  # other persons are not blocked
            await asyncio.sleep(0.2)
            assert not contended.done()
        await asyncio.wait_for(contended, 30)  # released: the other instance gets in
    finally:
        other.close()
        other_log.close()

"""The export store's contract on SQLite and PostgreSQL (`store_url`): rows commit with their
decisions, each (org, year, person) counts once whoever records it, counts are read without
scanning, remembered people are not looked up, and an unreadable count fails closed."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from governance.audit.exports import SqlExports
from governance.audit.factory import open_all
from governance.audit.quota import SqlQuota
from governance.audit.sqlstore import SqlLog
from governance.domain.records import DecisionRecord, Export, new_ulid
from governance.errors import LogUnavailable
from tests.audit.conftest import sample_record

WANG, LI, ZHAO = "0x" + "a1" * 20, "0x" + "b2" * 20, "0x" + "c3" * 20

Stores = tuple[SqlLog, SqlQuota, SqlExports]
SUBSCRIPTION = new_ulid()  # the decision that allowed a subscription


@pytest.fixture
def stores(store_url: str) -> Iterator[Stores]:
    log, quota, exports = open_all(store_url)
    yield log, quota, exports
    exports.close()
    quota.close()
    log.close()


def exporting(i: int, *exports: Export) -> DecisionRecord:
    return dataclasses.replace(sample_record(i, outcome="allow"), exports=exports)


def ex(person: str, org: str = "acme-us", year: str = "2026", sensitive: bool = False) -> Export:
    return Export(org, year, person, sensitive)


async def test_each_person_counts_once_per_org_and_year(stores: Stores) -> None:
    log, _, exports = stores
    log.append_batch([exporting(1, ex(WANG), ex(LI, sensitive=True)), exporting(2, ex(WANG))])
    log.append_batch([exporting(3, ex(WANG), ex(LI, sensitive=True))])  # already counted
    log.append_batch([exporting(4, ex(WANG, org="lion-sg"), ex(WANG, year="2027"))])
    volume = await exports.count("acme-us", "2026", [WANG, ZHAO])
    assert (volume.individuals, volume.sensitive) == (2, 1)
    assert volume.recorded == frozenset({WANG})
    assert (await exports.count("lion-sg", "2026", [])).individuals == 1
    assert (await exports.count("acme-us", "2027", [])).individuals == 1
    assert (await exports.count("nobody", "2026", [WANG])).individuals == 0
    assert exports.people("acme-us", "2026") == sorted([(WANG, False), (LI, True)])


async def test_the_log_format_leaves_exports_out(stores: Stores) -> None:
    """The people are table rows, not part of the hashed record."""
    log, _, _ = stores
    record = exporting(1, ex(WANG))
    log.append_batch([record])
    stored = log.decision(record.id)
    assert stored is not None and "exports" not in stored.record()
    assert dataclasses.replace(record, exports=()).canonical_bytes() == record.canonical_bytes()


async def test_a_failed_append_exports_nothing(stores: Stores) -> None:
    log, _, exports = stores
    first = exporting(1, ex(WANG))
    log.append_batch([first])
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        log.append_batch([exporting(3, ex(LI)), first])  # first is already stored
    assert (await exports.count("acme-us", "2026", [LI])).individuals == 1
    assert exports.people("acme-us", "2026") == [(WANG, False)]


async def test_replicas_count_a_person_once(store_url: str, stores: Stores) -> None:
    """Two gateways on one database, neither knowing the other recorded someone."""
    log, _, exports = stores
    other_log, other_quota, other = open_all(store_url)
    try:
        log.append_batch([exporting(1, ex(WANG))])
        assert other.unrecorded("acme-us", "2026", [WANG]) == [WANG]  # not in its memory
        other_log.append_batch([exporting(2, ex(WANG), ex(LI))])
        volume = await other.count("acme-us", "2026", [WANG, LI])
        assert volume.individuals == 2
        assert volume.recorded == frozenset({WANG, LI})
        assert other.unrecorded("acme-us", "2026", [WANG, LI, ZHAO]) == [ZHAO]  # now known
        assert (await exports.count("acme-us", "2026", [])).individuals == 2
    finally:
        other.close()
        other_quota.close()
        other_log.close()


async def test_remembered_people_are_not_looked_up(stores: Stores) -> None:
    log, _, exports = stores
    log.append_batch([exporting(1, ex(WANG))])
    exports.remember([ex(WANG)])
    with exports.engine.begin() as conn:  # were it asked, the database would now say no
        conn.execute(text("DELETE FROM pipl_exports"))
    assert (await exports.count("acme-us", "2026", [WANG])).recorded == frozenset({WANG})
    small = SqlExports(exports.engine, remembered=2)
    small.remember([ex(WANG), ex(LI)])
    small.remember([ex(ZHAO)])  # past the bound: forgotten wholesale, looked up again
    assert small.unrecorded("acme-us", "2026", [WANG, ZHAO]) == [WANG]
    small.close()


async def test_pushes_record_under_their_subscription(stores: Stores) -> None:
    """A subscription's pushes have no record of their own: their people are written alone,
    and count once with everything else."""
    log, _, exports = stores
    log.append_batch([exporting(1, ex(WANG))])
    await exports.record([ex(WANG), ex(LI, sensitive=True)], SUBSCRIPTION)
    await exports.record([ex(LI, sensitive=True)], SUBSCRIPTION)
    volume = await exports.count("acme-us", "2026", [])
    assert (volume.individuals, volume.sensitive) == (2, 1)
    assert exports.unrecorded("acme-us", "2026", [WANG, LI, ZHAO]) == [ZHAO]


async def test_preload_adds_exports_made_elsewhere(stores: Stores) -> None:
    log, _, exports = stores
    exports.preload("acme-us", "2026", 999_999, 9_999)
    log.append_batch([exporting(1, ex(WANG, sensitive=True))])
    volume = await exports.count("acme-us", "2026", [WANG])
    assert (volume.individuals, volume.sensitive) == (1_000_000, 10_000)


async def test_an_unreadable_count_fails_closed(stores: Stores) -> None:
    _, _, exports = stores
    with exports.engine.begin() as conn:
        conn.execute(text("DROP TABLE pipl_export_counts"))
    with pytest.raises(LogUnavailable, match="export counts unavailable"):
        await exports.count("acme-us", "2026", [WANG])

"""Quota store: what each legal person's allowed writes have spent, and one person's limits at
a time.

Spend rows live in the log's database and are written inside the log's append transaction
(`write_spends`), so a decision and what it spends commit together or not at all. Two adapters,
chosen by `make_quota_store` from the database: on SQLite one gateway process owns the file and
the workers of one gateway share the file and a lock file per person keeps them apart; on
PostgreSQL replicas share the log, so a session advisory lock per person does.

Spend is keyed by the legal person whose funds move (governance/domain/reference.py
`Reference.person`), so two logins of one person, or an institution moving a customer's funds,
count against the same figures. Days and years are cut when read, in each jurisdiction's time
zone (governance/domain/periods.py)."""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import AsyncIterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text, update
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from governance.audit import spend_totals
from governance.audit.db import insert_rows, lock_appends, make_engine
from governance.audit.file_lock import FileLock, person_lock, sqlite_path
from governance.audit.tables import SpendRow, SpendTotalRow
from governance.domain.periods import (
    END_OF_TIME,
    LocalPeriods,
    jurisdiction_periods,
    rolling_start,
)
from governance.domain.records import DecisionRecord
from governance.errors import LogUnavailable

log = logging.getLogger(__name__)
S = SpendRow.__table__  # type: ignore[attr-defined]
T = SpendTotalRow.__table__  # type: ignore[attr-defined]

SPEND_COLUMNS = ("decision_id", "person", "time", "amount_usd", "cross_border", "released")


class SqlQuota:
    """The spend table, on either backend; the subclasses lock persons across processes."""

    def __init__(self, engine: Engine, wait_s: float = 10.0) -> None:
        self.engine = engine
        self.wait_s = wait_s  # the longest a request waits for any one quota query
        self.is_postgres = engine.dialect.name == "postgresql"
        SQLModel.metadata.create_all(engine, tables=[S, T])
        self._pool = ThreadPoolExecutor(4, thread_name_prefix="quota")
        # A lock lives while someone holds or awaits it: a table of every person ever seen
        # would grow with each new sending address, which any caller can mint.
        self._person_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._totals_built = False  # once seen built, they stay built

    # ---- spending ------------------------------------------------------------------------

    def write_spends(self, conn: Connection, records: Sequence[DecisionRecord]) -> None:
        """Runs inside the log's append transaction: what the allowed writes spend."""
        rows = [_spend(r) for r in records]
        self.insert_spends(conn, [row for row in rows if row is not None])

    def insert_spends(self, conn: Connection, spends: Sequence[tuple[Any, ...]]) -> None:
        """Spend rows (SPEND_COLUMNS, unreleased) and what they add to the running totals."""
        if spends:
            insert_rows(conn, "spend", SPEND_COLUMNS, self.is_postgres, spends)
            spend_totals.add(conn, (r[1:5] for r in spends), self.is_postgres)

    def build_totals(self) -> None:
        """Builds the running totals from the spend rows, once per database (a log written
        before they were kept would otherwise read as nothing spent); under the append lock,
        so no append slips between."""
        if self._totals_built:
            return
        with self.engine.begin() as conn:
            lock_appends(conn, self.is_postgres)
            if not spend_totals.built(conn):
                count = spend_totals.rebuild(conn, self.is_postgres)
                log.warning("spend totals built from %d spend rows", count)
        self._totals_built = True

    def totals(self, person: str, moment: datetime, zones: Mapping[str, str]) -> dict[str, Any]:
        """What the person's allowed, unreleased writes add up to: per jurisdiction in its local
        day and year, and over the rolling 30 days before `moment` (docs/policy-input.md,
        `aggregates`). Every window is cut into segments at the windows' bounds, and each
        segment summed from the running totals (governance/audit/spend_totals.py) in three
        statements whatever the person's history; plain SQL on the driver: this runs before
        every write, and building the query through the ORM layer cost more than the query."""
        periods = jurisdiction_periods(moment, zones)
        rolling = (rolling_start(moment), END_OF_TIME)
        windows = sorted(
            {rolling}
            | {(p.day_start, p.day_end) for p in periods.values()}
            | {(p.year_start, p.year_end) for p in periods.values()}
        )
        bounds = sorted({t for window in windows for t in window})
        self.build_totals()
        with self.engine.connect() as conn:  # closed: the next read sees new commits
            per_segment = spend_totals.segment_sums(conn, person, bounds, self.is_postgres)
        sums = {w: _window_sum(w, bounds, per_segment) for w in windows}
        return {
            "person": person,
            "person_30d_usd": sums[rolling][0],
            "by_jurisdiction": {code: _figures(p, sums) for code, p in sorted(periods.items())},
        }

    def unspend(self, decision_id: str) -> None:
        """Releases a write's spend, and takes it off the totals once (a second release of
        the same decision finds it released already)."""
        with self.engine.begin() as conn:
            lock_appends(conn, self.is_postgres)  # apart from appends and building the totals
            released = conn.execute(
                update(S)
                .where(S.c.decision_id == decision_id, S.c.released.is_(False))
                .values(released=True)
                .returning(S.c.person, S.c.time, S.c.amount_usd, S.c.cross_border)
            ).all()
            spends = [(str(r[0]), str(r[1]), float(r[2]), bool(r[3])) for r in released]
            spend_totals.add(conn, spends, self.is_postgres, sign=-1.0)

    # ---- the quota port ------------------------------------------------------------------

    async def aggregates(
        self, person: str, moment: datetime, zones: Mapping[str, str]
    ) -> dict[str, Any]:
        try:
            result: dict[str, Any] = await self._run(self.totals, person, moment, zones)
        except LogUnavailable as exc:
            raise LogUnavailable(f"aggregates unavailable: {exc.message}") from exc
        return result

    async def release(self, decision_id: str) -> None:
        """The node refused an allowed write: its amount no longer counts."""
        await self._run(self.unspend, decision_id)

    @asynccontextmanager
    async def person_guard(self, person: str) -> AsyncIterator[None]:
        """Serialises read-aggregates -> decide -> record for one person (the key the
        aggregates are read for), so two requests cannot both spend the last of a quota."""
        async with self._person_lock(person), self._across_processes(person):
            yield

    def _person_lock(self, person: str) -> asyncio.Lock:
        lock = self._person_locks.get(person)
        if lock is None:
            lock = self._person_locks[person] = asyncio.Lock()
        return lock

    @asynccontextmanager
    async def _across_processes(self, person: str) -> AsyncIterator[None]:
        yield

    async def _run(self, fn: Any, *args: Any) -> Any:
        """One query in the pool, within `wait_s`; any failure is the log's (-32006). The
        client learns the kind of failure; hosts, paths and SQL stay in the server log."""
        work = asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
        try:
            return await asyncio.wait_for(work, self.wait_s)
        except TimeoutError:
            raise LogUnavailable(f"quota store: no answer within {self.wait_s} s") from None
        except Exception as exc:
            log.error("quota store %s failed: %s: %s", fn.__name__, type(exc).__name__, exc)
            raise LogUnavailable(f"quota store unavailable: {type(exc).__name__}") from exc

    def close(self) -> None:
        self._pool.shutdown(wait=True)


class SqliteQuota(SqlQuota):
    """The workers of one gateway share a SQLite log: besides the lock per person in each
    process, a lock file per person (hashed onto governance/audit/file_lock.py's files)
    keeps the workers apart, taken without holding a thread, like PostgreSQL's advisory lock."""

    def __init__(self, engine: Engine, url: str, wait_s: float = 10.0) -> None:
        super().__init__(engine, wait_s)
        self.database = sqlite_path(url)

    @asynccontextmanager
    async def _across_processes(self, person: str) -> AsyncIterator[None]:
        if self.database is None:
            yield
            return
        lock = person_lock(self.database, person)
        deadline = time.monotonic() + self.wait_s
        fd = lock.try_acquire()
        while fd is None:  # another worker holds it
            if time.monotonic() > deadline:
                raise LogUnavailable(f"quota store: person lock not free within {self.wait_s} s")
            await asyncio.sleep(0.002)
            fd = lock.try_acquire()
        try:
            yield
        finally:
            FileLock.release(fd)


class PostgresQuota(SqlQuota):
    """Replicas share the log: a session advisory lock per person keeps them apart too."""

    def __init__(self, engine: Engine, url: str, wait_s: float = 10.0) -> None:
        super().__init__(engine, wait_s)
        self.url = url
        self._locks: Engine | None = None

    @asynccontextmanager
    async def _across_processes(self, person: str) -> AsyncIterator[None]:
        deadline = time.monotonic() + self.wait_s
        handle = await self._run(self.try_person_lock, person)
        while handle is None:  # another replica holds it: wait without holding a thread
            if time.monotonic() > deadline:
                raise LogUnavailable(f"quota store: person lock not free within {self.wait_s} s")
            await asyncio.sleep(0.002)
            handle = await self._run(self.try_person_lock, person)
        try:
            yield
        finally:
            await self._run(self.person_unlock, handle, person)

    def try_person_lock(self, person: str) -> Connection | None:
        """The person's advisory lock, taken without waiting (the caller retries without
        holding a thread), on a connection of its own pool so lock holders never starve the
        queries they go on to make. None while another session holds it."""
        conn = self._lock_engine().connect()
        try:
            got = conn.execute(text("SELECT pg_try_advisory_lock(hashtext(:s))"), {"s": person})
            if got.scalar():
                return conn
        except Exception:
            conn.close()
            raise
        conn.close()
        return None

    def person_unlock(self, handle: Connection, person: str) -> None:
        try:
            handle.execute(text("SELECT pg_advisory_unlock(hashtext(:s))"), {"s": person})
            handle.commit()
        finally:
            handle.close()

    def _lock_engine(self) -> Engine:
        if self._locks is None:
            self._locks = make_engine(self.url, pool_size=32)
        return self._locks

    def close(self) -> None:
        super().close()
        if self._locks is not None:
            self._locks.dispose()


def make_quota_store(url: str, engine: Engine, wait_s: float = 10.0) -> SqlQuota:
    """The adapter for the log's database (`engine` opened on `url`)."""
    if engine.dialect.name == "postgresql":
        return PostgresQuota(engine, url, wait_s)
    if engine.dialect.name == "sqlite":
        return SqliteQuota(engine, url, wait_s)
    raise ValueError(f"no quota store for {engine.dialect.name} databases")


def _window_sum(
    window: tuple[str, str], bounds: list[str], per_segment: Mapping[int, tuple[float, float]]
) -> tuple[float, float]:
    """(all, cross-border) of the segments inside [start, end): both ends are bounds."""
    first, stop = bounds.index(window[0]), bounds.index(window[1])
    inside = [per_segment.get(i, (0.0, 0.0)) for i in range(first, stop)]
    return sum(x[0] for x in inside), sum(x[1] for x in inside)


def _figures(
    p: LocalPeriods, sums: Mapping[tuple[str, str], tuple[float, float]]
) -> dict[str, Any]:
    day, year = sums[(p.day_start, p.day_end)], sums[(p.year_start, p.year_end)]
    return {
        "day": p.day,
        "year": p.year,
        "person_daily_usd": day[0],
        "person_annual_usd": year[0],
        "person_daily_cross_border_usd": day[1],
        "person_annual_cross_border_usd": year[1],
    }


def _spend(record: DecisionRecord) -> tuple[Any, ...] | None:
    if record.kind != "write" or record.outcome != "allow" or not record.amount_usd:
        return None
    return (
        record.id,
        spend_person(record),
        record.time,
        record.amount_usd,
        record.cross_border,
        False,
    )


def spend_person(record: DecisionRecord) -> str:
    """The person key the gateway read the aggregates for (`input.aggregates.person`), else the
    sending address. A spending record with neither cannot be attributed: the append fails,
    so the write is refused rather than counted against nobody."""
    aggregates = record.input.get("aggregates")
    person = aggregates.get("person") if isinstance(aggregates, dict) else None
    if isinstance(person, str) and person:
        return person
    tx = record.input.get("tx")
    sender = tx.get("from") if isinstance(tx, dict) else None
    if isinstance(sender, str) and sender:
        return sender.lower()
    raise ValueError(f"decision {record.id}: spending that names no person")

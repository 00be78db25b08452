"""Export store: the individuals whose personal data each organisation sent out of China through
the gateway, per calendar year (governance/policy/exports.py says which), and their count.

Rows are keyed (org, year, person) and inserted or ignored inside the log's append transaction
(`write_exports`, beside the quota store's spends), so a decision and what it exports commit
together or not at all, and a person is counted once per organisation and year whichever
worker or replica recorded it first. A count row per (org, year) grows by what each append
actually inserted, so reading a count is one primary-key lookup, not a scan of a million rows.
`preload` adds exports made outside the gateway (declared by the operator) to a count.

The hot path stays cheap: every (org, year, person) known to be recorded is remembered, so a
repeated read of the same people asks the database for the count only and records nothing."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from governance.audit.tables import ExportCountRow, ExportRow
from governance.domain.records import DecisionRecord, Export, ExportVolume
from governance.errors import LogUnavailable

log = logging.getLogger(__name__)
E = ExportRow.__table__  # type: ignore[attr-defined]
K = ExportCountRow.__table__  # type: ignore[attr-defined]

_INSERT = (
    "INSERT INTO pipl_exports (org, year, person, sensitive, decision_id) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (org, year, person) DO NOTHING"
)
_ADD = (
    "INSERT INTO pipl_export_counts (org, year, individuals, sensitive) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (org, year) DO UPDATE SET"
    " individuals = pipl_export_counts.individuals + excluded.individuals,"
    " sensitive = pipl_export_counts.sensitive + excluded.sensitive"
)
_COUNT = "SELECT individuals, sensitive FROM pipl_export_counts WHERE org = ? AND year = ?"
_FOUND = "SELECT person FROM pipl_exports WHERE org = ? AND year = ? AND person IN ({marks})"


class SqlExports:
    """The export tables, on SQLite or PostgreSQL (the log's engine)."""

    def __init__(self, engine: Engine, wait_s: float = 10.0, remembered: int = 500_000) -> None:
        self.engine = engine
        self.wait_s = wait_s
        self.postgres = engine.dialect.name == "postgresql"
        SQLModel.metadata.create_all(engine, tables=[E, K])
        self._pool = ThreadPoolExecutor(2, thread_name_prefix="exports")
        # (org, year, person) known to be recorded; forgotten wholesale past `remembered`
        # entries (a forgotten one is looked up again, never counted twice: the key is unique).
        self._known: set[tuple[str, str, str]] = set()
        self._remembered = remembered

    # ---- inside the log's append transaction ---------------------------------------------

    def write_exports(self, conn: Connection, records: Sequence[DecisionRecord]) -> None:
        self._insert(conn, [(e, r.id) for r in records for e in r.exports])

    def _insert(self, conn: Connection, rows: Sequence[tuple[Export, str]]) -> None:
        """Inserts or ignores each row; the counts grow by what was inserted."""
        added: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        insert = self._sql(_INSERT)
        for e, decision_id in rows:
            row = (e.org, e.year, e.person, e.sensitive, decision_id)
            if conn.exec_driver_sql(insert, row).rowcount == 1:
                total = added[(e.org, e.year)]
                total[0] += 1
                total[1] += int(e.sensitive)
        if added:
            counts = [(org, year, n, s) for (org, year), (n, s) in added.items()]
            conn.exec_driver_sql(self._sql(_ADD), counts)

    def insert(self, exports: Sequence[Export], decision_id: str) -> None:
        """Exports that no new decision record carries (a subscription's pushes, under the
        subscription's decision), in a transaction of their own."""
        with self.engine.begin() as conn:
            self._insert(conn, [(e, decision_id) for e in exports])

    # ---- the hot path --------------------------------------------------------------------

    def unrecorded(self, org: str, year: str, people: Sequence[str]) -> list[str]:
        """The people not known to be recorded for (org, year) (may still be, by a peer)."""
        return [p for p in people if (org, year, p) not in self._known]

    def remember(self, exports: Sequence[Export]) -> None:
        """Called once the exports are committed."""
        if len(self._known) + len(exports) > self._remembered:
            self._known.clear()
        self._known.update((e.org, e.year, e.person) for e in exports)

    def volume(self, org: str, year: str, people: Sequence[str]) -> ExportVolume:
        """The count of (org, year) and which of `people` are recorded (only those not
        remembered are looked up)."""
        ask = self.unrecorded(org, year, people)
        with self.engine.connect() as conn:
            row = conn.exec_driver_sql(self._sql(_COUNT), (org, year)).first()
            found: set[str] = set()
            if ask:
                marks = ", ".join(["?"] * len(ask))
                query = self._sql(_FOUND.format(marks=marks))
                found = {r[0] for r in conn.exec_driver_sql(query, (org, year, *ask))}
        self._known.update((org, year, p) for p in found)
        recorded = frozenset(p for p in people if p not in ask or p in found)
        individuals, sensitive = (int(row[0]), int(row[1])) if row is not None else (0, 0)
        return ExportVolume(individuals, sensitive, recorded)

    async def count(self, org: str, year: str, people: Sequence[str]) -> ExportVolume:
        """`volume` in the pool, within `wait_s`; any failure is the log's (-32006)."""
        result: ExportVolume = await self._run(self.volume, org, year, list(people))
        return result

    async def record(self, exports: Sequence[Export], decision_id: str) -> None:
        """`insert` in the pool, then remembered; any failure is the log's (-32006)."""
        await self._run(self.insert, list(exports), decision_id)
        self.remember(exports)

    async def _run(self, fn: Any, *args: Any) -> Any:
        work = asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
        try:
            return await asyncio.wait_for(work, self.wait_s)
        except TimeoutError:
            raise LogUnavailable(f"export counts: no answer within {self.wait_s} s") from None
        except Exception as exc:
            log.error("export counts failed: %s: %s", type(exc).__name__, exc)
            raise LogUnavailable(f"export counts unavailable: {type(exc).__name__}") from exc

    # ---- operators -----------------------------------------------------------------------

    def preload(self, org: str, year: str, individuals: int, sensitive: int = 0) -> None:
        """Adds exports the organisation made outside the gateway to its count."""
        with self.engine.begin() as conn:
            conn.exec_driver_sql(self._sql(_ADD), (org, year, individuals, sensitive))

    def people(self, org: str, year: str) -> list[tuple[str, bool]]:
        """The recorded individuals of (org, year), for audits and tests."""
        query = "SELECT person, sensitive FROM pipl_exports WHERE org = ? AND year = ?"
        with self.engine.connect() as conn:
            rows = conn.exec_driver_sql(self._sql(query + " ORDER BY person"), (org, year))
            return [(str(r[0]), bool(r[1])) for r in rows]

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def _sql(self, query: str) -> str:
        return query.replace("?", "%s") if self.postgres else query

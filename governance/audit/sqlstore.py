"""SQL decision log (SQLite by default, PostgreSQL by URL): synchronous core.

Appends assign gap-free leaf indices and store the Merkle nodes that each append completes, in
one transaction; whatever else must commit with a decision (the quota store's spend rows) joins
that transaction through `on_append`. On PostgreSQL a transaction-level advisory lock serialises
appenders across processes, so leaf order is one total order.

Roots and proofs read the O(log n) stored nodes that merkle.py's plans name, in one query."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Engine,
    and_,
    false,
    func,
    insert,
    or_,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from governance.audit import merkle
from governance.audit.db import insert_rows, lock_appends, make_engine
from governance.audit.file_lock import FileLock, beside, sqlite_path
from governance.audit.tables import CheckpointRow, DecisionRow, MerkleNodeRow
from governance.audit.views import (
    COLUMN_NAMES,
    AuditScope,
    DecisionFilter,
    columns_of,
    jurisdiction_forms,
)
from governance.domain.records import LOG_FIELDS, DecisionRecord, canonical_json

SIGNER_LOCK_KEY = 0x60F0_0002  # advisory lock: one checkpoint signer at a time

D = DecisionRow.__table__  # type: ignore[attr-defined]
N = MerkleNodeRow.__table__  # type: ignore[attr-defined]
C = CheckpointRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str
    time: str


@dataclass(frozen=True)
class StoredDecision:
    """One decisions row: `body` is the canonical JSON hashed into leaf `leaf_index`."""

    leaf_index: int
    leaf_hash: bytes
    body: str

    def record(self) -> dict[str, Any]:
        doc: dict[str, Any] = orjson.loads(self.body)
        return doc


@dataclass(frozen=True)
class StoredRow:
    """Everything stored about one leaf, for offline verification."""

    leaf_index: int
    leaf_hash: bytes
    body: str
    columns: dict[str, str]
    node: bytes | None  # the level-0 Merkle node stored for this index


# Runs inside each append transaction with the records appended (the quota store's spends).
AppendHook = Callable[[Connection, Sequence[DecisionRecord]], None]


class SqlLog:
    def __init__(
        self, url: str, *, engine: Engine | None = None, on_append: AppendHook | None = None
    ) -> None:
        """A log on `url` (or on `engine`, opened on it). Without `on_append` appends record
        no spending: readers and tools; the gateway opens its log with governance.audit.factory."""
        self.url = url
        self.engine = engine or make_engine(url)
        self.is_postgres = self.engine.dialect.name == "postgresql"
        self.on_append = on_append
        SQLModel.metadata.create_all(self.engine, tables=[D, N, C])
        # The right edge of the tree (root_plan(size).nodes): the only stored nodes the next
        # append reads. Trusted only while the size is the one this process last wrote.
        self._edge: dict[merkle.NodeId, bytes] = {}
        self._edge_size = -1
        self._lock = threading.Lock()
        # Workers of one gateway on a SQLite file: the append (read the size, write the
        # records) is one critical section across processes; PostgreSQL uses its own lock.
        database = sqlite_path(url)
        self._append_lock = None if database is None else beside(database, "append")
        self._signer_lock = None if database is None else beside(database, "signer")

    # ---- appends -------------------------------------------------------------------------

    def append_batch(
        self, records: Sequence[DecisionRecord], unsure: Collection[str] = ()
    ) -> list[int]:
        """The leaf index of each record. `unsure`: ids of records whose earlier append failed
        in a way that may have committed (the connection lost during COMMIT); those already
        stored are not appended again and answer their stored index."""
        if not records:
            return []
        with self._lock, self._across_processes():
            with self.engine.begin() as conn:
                lock_appends(conn, self.is_postgres)
                stored = self._stored(conn, unsure)
                fresh = [r for r in records if r.id not in stored]
                start = self._size(conn)
                edge = self._edge if start == self._edge_size else self._edge_nodes(conn, start)
                created = self._insert(conn, start, fresh, edge) if fresh else []
            end = start + len(fresh)
            known = {**edge, **{(lv, ix): h for lv, ix, h in created}}
            self._edge = {node: known[node] for node in merkle.root_plan(end).nodes}
            self._edge_size = end
        appended = dict(zip((r.id for r in fresh), range(start, end), strict=True))
        return [stored[r.id] if r.id in stored else appended[r.id] for r in records]

    def stored_ids(self, ids: Collection[str]) -> dict[str, int]:
        """The leaf indices of those of `ids` the log holds."""
        with self.engine.connect() as conn:
            return self._stored(conn, ids)

    def _stored(self, conn: Connection, ids: Collection[str]) -> dict[str, int]:
        """The leaf indices of those of `ids` the log holds."""
        if not ids:
            return {}
        rows = conn.execute(select(D.c.id, D.c.leaf_index).where(D.c.id.in_(list(ids)))).all()
        return {str(r[0]): int(r[1]) for r in rows}

    @contextmanager
    def _across_processes(self) -> Iterator[None]:
        if self._append_lock is None:
            yield
            return
        with self._append_lock.held():
            yield

    def _insert(
        self,
        conn: Connection,
        start: int,
        records: Sequence[DecisionRecord],
        edge: dict[merkle.NodeId, bytes],
    ) -> list[merkle.StoredNode]:
        rows: list[tuple[Any, ...]] = []
        leaves: list[bytes] = []
        for offset, record in enumerate(records):
            body = canonical_json(_fields(record))
            leaves.append(merkle.leaf_hash(body))
            rows.append(_row(start + offset, record, body, leaves[-1]))
        created = merkle.nodes_to_store_many(start, leaves, lambda lv, ix: edge[(lv, ix)])
        insert_rows(conn, "decisions", DECISION_COLUMNS, self.is_postgres, rows)
        insert_rows(conn, "merkle_nodes", NODE_COLUMNS, self.is_postgres, created)
        if self.on_append is not None:
            self.on_append(conn, records)
        return created

    def _size(self, conn: Connection) -> int:
        # Plain SQL: runs in every append, where building the expression cost more than it.
        value = conn.exec_driver_sql("SELECT MAX(leaf_index) FROM decisions").scalar()
        return 0 if value is None else int(value) + 1

    def _edge_nodes(self, conn: Connection, size: int) -> dict[merkle.NodeId, bytes]:
        # Another process may have appended (PostgreSQL replicas, a second SQLite writer).
        needed = merkle.required_nodes_for_append(size)
        found = self._fetch(conn, needed)
        missing = [node for node in needed if node not in found]
        if missing:
            raise LookupError(f"merkle nodes {missing} missing: the node table is damaged")
        return found

    def _fetch(self, conn: Connection, keys: Sequence[merkle.NodeId]) -> dict[merkle.NodeId, bytes]:
        """The stored hashes of `keys`, in one query (proofs need O(log n) of them). Plain SQL
        cached per key count: building the expression each time cost more than the query."""
        if not keys:
            return {}
        sql = _node_query(len(keys), self.is_postgres)
        params = tuple(value for key in keys for value in key)
        rows = conn.exec_driver_sql(sql, params).all()
        return {(int(r[0]), int(r[1])): bytes(r[2]) for r in rows}

    # ---- tree ----------------------------------------------------------------------------

    def size(self) -> int:
        with self.engine.connect() as conn:
            return self._size(conn)

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first `size` leaves (default: all), from popcount(size) stored nodes."""
        if size is None:
            size = self.size()
        return self._resolve(merkle.root_plan(size))[0] if size else merkle.EMPTY_ROOT

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        return self._resolve(merkle.inclusion_plan(index, size))

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        return self._resolve(merkle.consistency_plan(first, second))

    def _resolve(self, plan: merkle.ProofPlan) -> list[bytes]:
        hashes = self.nodes(plan.nodes)
        if len(hashes) != len(plan.nodes):
            missing = [n for n in plan.nodes if n not in hashes]
            raise LookupError(f"merkle nodes {missing[:3]} are not stored: tree size too large?")
        return plan.assemble(hashes)

    def nodes(self, keys: Sequence[merkle.NodeId]) -> dict[merkle.NodeId, bytes]:
        found: dict[merkle.NodeId, bytes] = {}
        with self.engine.connect() as conn:
            for at in range(0, len(keys), _MAX_KEYS):  # a proof is one chunk; bulk callers more
                found.update(self._fetch(conn, keys[at : at + _MAX_KEYS]))
        return found

    # ---- reads ---------------------------------------------------------------------------

    def record(self, decision_id: str) -> tuple[int, dict[str, Any]] | None:
        found = self.decision(decision_id)
        return None if found is None else (found.leaf_index, found.record())

    def decision(self, decision_id: str) -> StoredDecision | None:
        query = select(D.c.leaf_index, D.c.leaf_hash, D.c.record).where(D.c.id == decision_id)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else StoredDecision(int(row[0]), bytes(row[1]), str(row[2]))

    def decisions(
        self,
        where: Any = None,
        after: int = -1,
        limit: int = 100,
        before: int | None = None,
        newest_first: bool = False,
    ) -> list[StoredDecision]:
        """Rows with after < leaf_index (< before), in leaf order (or newest first): keyset
        pagination."""
        query = select(D.c.leaf_index, D.c.leaf_hash, D.c.record).where(D.c.leaf_index > after)
        if before is not None:
            query = query.where(D.c.leaf_index < before)
        if where is not None:
            query = query.where(where)
        order = D.c.leaf_index.desc() if newest_first else D.c.leaf_index
        query = query.order_by(order).limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [StoredDecision(int(r[0]), bytes(r[1]), str(r[2])) for r in rows]

    def records(self, where: Any = None, after: int = -1, limit: int = 100) -> list[dict[str, Any]]:
        return [
            {"leaf_index": d.leaf_index, **d.record()} for d in self.decisions(where, after, limit)
        ]

    def leaves(self, after: int = -1, limit: int = 10_000) -> list[tuple[int, str, bytes]]:
        return [(d.leaf_index, d.body, d.leaf_hash) for d in self.decisions(None, after, limit)]

    def leaf_id(self, index: int) -> str | None:
        with self.engine.connect() as conn:
            value = conn.execute(select(D.c.id).where(D.c.leaf_index == index)).scalar()
        return None if value is None else str(value)

    # ---- verification scans --------------------------------------------------------------

    def iter_rows(self, page: int = 5000) -> Iterator[StoredRow]:
        """Every decisions row with its level-0 node, in leaf order, a page per query."""
        leaf = N.alias("leaf")
        cols = [D.c[name] for name in COLUMN_NAMES]
        query = select(D.c.leaf_index, D.c.leaf_hash, D.c.record, leaf.c.hash, *cols).outerjoin(
            leaf, and_(leaf.c.level == 0, leaf.c.idx == D.c.leaf_index)
        )
        after = -1
        while True:
            with self.engine.connect() as conn:
                batch = conn.execute(
                    query.where(D.c.leaf_index > after).order_by(D.c.leaf_index).limit(page)
                ).all()
            for r in batch:
                node = None if r[3] is None else bytes(r[3])
                columns = {name: str(r[4 + i]) for i, name in enumerate(COLUMN_NAMES)}
                yield StoredRow(int(r[0]), bytes(r[1]), str(r[2]), columns, node)
            if len(batch) < page:
                return
            after = int(batch[-1][0])

    def iter_level(self, level: int, page: int = 20_000) -> Iterator[tuple[int, bytes]]:
        """Stored nodes of one level, by index."""
        after = -1
        while True:
            query = (
                select(N.c.idx, N.c.hash)
                .where(N.c.level == level, N.c.idx > after)
                .order_by(N.c.idx)
                .limit(page)
            )
            with self.engine.connect() as conn:
                batch = [(int(r[0]), bytes(r[1])) for r in conn.execute(query)]
            yield from batch
            if len(batch) < page:
                return
            after = batch[-1][0]

    # ---- checkpoints ---------------------------------------------------------------------

    def add_checkpoint(self, cp: StoredCheckpoint) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(C), [{"size": cp.size, "root": cp.root, "note": cp.note, "time": cp.time}]
            )

    def checkpoints(self, up_to: int | None = None) -> list[StoredCheckpoint]:
        query = select(C).order_by(C.c.size)
        if up_to is not None:
            query = query.where(C.c.size <= up_to)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [StoredCheckpoint(int(r.size), bytes(r.root), r.note, r.time) for r in rows]

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(C).order_by(C.c.size.desc()).limit(1)).first()
        return None if r is None else StoredCheckpoint(int(r.size), bytes(r.root), r.note, r.time)

    @contextmanager
    def signer_lock(self) -> Iterator[bool]:
        """Yields True when this process may sign checkpoints now (PostgreSQL advisory lock;
        on SQLite a lock file beside the database, so one worker signs at a time)."""
        if not self.is_postgres:
            fd = None if self._signer_lock is None else self._signer_lock.try_acquire()
            try:
                yield self._signer_lock is None or fd is not None
            finally:
                if fd is not None:
                    FileLock.release(fd)
            return
        with self.engine.connect() as conn:
            got = bool(
                conn.execute(
                    text("SELECT pg_try_advisory_lock(:k)"), {"k": SIGNER_LOCK_KEY}
                ).scalar()
            )
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": SIGNER_LOCK_KEY})
                    conn.commit()

    def writable(self) -> bool:
        try:
            with self.engine.begin() as conn:
                conn.execute(select(func.count()).select_from(C))
            return True
        except Exception:
            return False

    def close(self) -> None:
        self.engine.dispose()


_MAX_KEYS = 256  # per node query: far above a proof's O(log n), far below SQL parameter limits


@functools.cache
def _node_query(count: int, postgres: bool) -> str:
    # SQLite scans for a row-value IN; an OR of key lookups uses the primary key instead.
    if postgres:
        keys = ", ".join(["(%s, %s)"] * count)
        return f"SELECT level, idx, hash FROM merkle_nodes WHERE (level, idx) IN ({keys})"
    terms = " OR ".join(["(level = ? AND idx = ?)"] * count)
    return f"SELECT level, idx, hash FROM merkle_nodes WHERE {terms}"


def filter_clause(flt: DecisionFilter, scope: AuditScope) -> ColumnElement[bool] | None:
    """SQL for a reader's scope and filters over the decisions table's copied columns."""
    terms: list[ColumnElement[bool]] = []
    if not scope.everything:
        terms.append(_scope_clause(scope))
    for column, value in (
        (D.c.sub, flt.subject),
        (D.c.org, flt.org),
        (D.c.outcome, flt.outcome),
        (D.c.method, flt.method),
    ):
        if value is not None:
            terms.append(column == value)
    if flt.jurisdiction is not None:
        terms.append(_has_jurisdiction(flt.jurisdiction))
    if flt.reason is not None:
        terms.append(D.c.reason_codes.contains(f",{flt.reason},", autoescape=True))
    if flt.since is not None:
        terms.append(D.c.time >= flt.since)
    if flt.until is not None:
        terms.append(D.c.time < flt.until)
    return and_(*terms) if terms else None


def _scope_clause(scope: AuditScope) -> ColumnElement[bool]:
    options: list[ColumnElement[bool]] = []
    if scope.orgs:
        options.append(D.c.org.in_(scope.orgs))
    options.extend(_has_jurisdiction(code) for code in scope.jurisdictions)
    return or_(*options) if options else false()


def _has_jurisdiction(code: str) -> ColumnElement[bool]:
    # The column is ",CN,US,": one LIKE per spelling, wildcards in the code escaped.
    spellings = jurisdiction_forms(code)
    return or_(*(D.c.jurisdictions.contains(f",{f},", autoescape=True) for f in spellings))


def _fields(record: DecisionRecord) -> dict[str, Any]:
    """The record's fields as a dict without asdict's deep copy (its values are plain JSON
    already), so its canonical JSON equals record.canonical_bytes() at a fraction of the cost."""
    return {name: getattr(record, name) for name in _FIELD_NAMES}


_FIELD_NAMES = LOG_FIELDS


DECISION_COLUMNS = ("leaf_index", *COLUMN_NAMES, "record", "leaf_hash")
NODE_COLUMNS = ("level", "idx", "hash")


def _row(index: int, record: DecisionRecord, body: bytes, leaf: bytes) -> tuple[Any, ...]:
    return (index, *columns_of(record).values(), body.decode(), leaf)

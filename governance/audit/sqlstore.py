"""SQL decision log (SQLite by default, PostgreSQL by URL): synchronous core.

Appends assign gap-free leaf indices, store the Merkle nodes that each append completes, and
the spend rows that limits depend on, all in one transaction. On PostgreSQL a transaction-level
advisory lock serialises appenders across processes, so leaf order is one total order."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event, func, insert, select, text, update
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from governance.audit import merkle
from governance.audit.tables import CheckpointRow, DecisionRow, MerkleNodeRow, SpendRow
from governance.domain.records import DecisionRecord

APPEND_LOCK_KEY = 0x60F0_0001  # advisory lock: one appender at a time across replicas
SIGNER_LOCK_KEY = 0x60F0_0002  # advisory lock: one checkpoint signer at a time

D = DecisionRow.__table__  # type: ignore[attr-defined]
N = MerkleNodeRow.__table__  # type: ignore[attr-defined]
S = SpendRow.__table__  # type: ignore[attr-defined]
C = CheckpointRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str
    time: str


def make_engine(url: str) -> Engine:
    """Explicit factory for both backends; SQLite gets WAL and full fsync on commit."""
    if url.startswith("sqlite:///"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return create_engine(url, pool_size=4, max_overflow=4, pool_pre_ping=True)
    raise ValueError(f"unsupported database URL {url!r}")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


class SqlLog:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.is_postgres = self.engine.dialect.name == "postgresql"
        SQLModel.metadata.create_all(self.engine, tables=[D, N, S, C])
        # Nodes on the right edge of the tree: the only left siblings future appends need.
        self._edge: dict[tuple[int, int], bytes] = {}
        self._lock = threading.Lock()

    # ---- appends -------------------------------------------------------------------------

    def append_batch(self, records: Sequence[DecisionRecord]) -> list[int]:
        with self._lock, self.engine.begin() as conn:
            if self.is_postgres:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": APPEND_LOCK_KEY})
                self._edge.clear()  # another replica may have appended since
            start = self._size(conn)
            rows: list[dict[str, Any]] = []
            nodes: dict[tuple[int, int], bytes] = {}
            spends: list[dict[str, Any]] = []
            for offset, record in enumerate(records):
                index = start + offset
                body = record.canonical_bytes()
                leaf = merkle.leaf_hash(body)
                for level, idx, digest in merkle.nodes_to_store(
                    index, leaf, lambda lv, ix: self._node(conn, nodes, lv, ix)
                ):
                    nodes[(level, idx)] = digest
                rows.append(_row(index, record, body, leaf))
                if record.kind == "write" and record.outcome == "allow" and record.amount_usd:
                    spends.append(_spend(record))
            conn.execute(insert(D), rows)
            conn.execute(
                insert(N), [{"level": lv, "idx": ix, "hash": h} for (lv, ix), h in nodes.items()]
            )
            if spends:
                conn.execute(insert(S), spends)
        self._keep_edge(nodes)
        return [start + i for i in range(len(records))]

    def _size(self, conn: Connection) -> int:
        value = conn.execute(select(func.max(D.c.leaf_index))).scalar()
        return 0 if value is None else int(value) + 1

    def _node(
        self, conn: Connection, batch: dict[tuple[int, int], bytes], level: int, idx: int
    ) -> bytes:
        key = (level, idx)
        found = batch.get(key) or self._edge.get(key)
        if found is None:
            found = conn.execute(
                select(N.c.hash).where(N.c.level == level, N.c.idx == idx)
            ).scalar_one()
        return bytes(found)

    def _keep_edge(self, nodes: dict[tuple[int, int], bytes]) -> None:
        self._edge.update(nodes)
        if len(self._edge) > 4096:
            # Only the newest node per level can still be a left sibling.
            newest: dict[int, tuple[int, int]] = {}
            for level, idx in self._edge:
                if idx > newest.get(level, (level, -1))[1]:
                    newest[level] = (level, idx)
            self._edge = {k: self._edge[k] for k in newest.values()}

    # ---- limits --------------------------------------------------------------------------

    def aggregates(self, sub: str, day: str, year: str) -> dict[str, float]:
        live = (S.c.sub == sub) & (S.c.year == year) & (S.c.released == False)  # noqa: E712
        day_total = func.sum(S.c.amount_usd).filter(S.c.day == day)
        cb = S.c.cross_border == True  # noqa: E712
        query = select(
            func.coalesce(day_total, 0.0),
            func.coalesce(func.sum(S.c.amount_usd), 0.0),
            func.coalesce(func.sum(S.c.amount_usd).filter((S.c.day == day) & cb), 0.0),
            func.coalesce(func.sum(S.c.amount_usd).filter(cb), 0.0),
        ).where(live)
        with self.engine.connect() as conn:
            row = conn.execute(query).one()
        return {
            "subject_daily_usd": float(row[0]),
            "subject_annual_usd": float(row[1]),
            "subject_daily_cross_border_usd": float(row[2]),
            "subject_annual_cross_border_usd": float(row[3]),
        }

    def release(self, decision_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(S).where(S.c.decision_id == decision_id).values(released=True))

    @contextmanager
    def subject_lock(self, sub: str) -> Iterator[None]:
        """Cross-replica lock on one subject's limits (PostgreSQL); a no-op on SQLite, where
        one gateway process owns the file and an in-process lock suffices."""
        if not self.is_postgres:
            yield
            return
        with self.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(hashtext(:s))"), {"s": sub})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(hashtext(:s))"), {"s": sub})
                conn.commit()

    # ---- reads ---------------------------------------------------------------------------

    def size(self) -> int:
        with self.engine.connect() as conn:
            return self._size(conn)

    def record(self, decision_id: str) -> tuple[int, dict[str, Any]] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(D.c.leaf_index, D.c.record).where(D.c.id == decision_id)
            ).first()
        return None if row is None else (int(row[0]), orjson.loads(row[1]))

    def records(self, where: Any = None, after: int = -1, limit: int = 100) -> list[dict[str, Any]]:
        query = select(D.c.leaf_index, D.c.record).where(D.c.leaf_index > after)
        if where is not None:
            query = query.where(where)
        query = query.order_by(D.c.leaf_index).limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [{"leaf_index": int(r[0]), **orjson.loads(r[1])} for r in rows]

    def leaves(self, after: int = -1, limit: int = 10_000) -> list[tuple[int, str, bytes]]:
        query = (
            select(D.c.leaf_index, D.c.record, D.c.leaf_hash)
            .where(D.c.leaf_index > after)
            .order_by(D.c.leaf_index)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [(int(r[0]), str(r[1]), bytes(r[2])) for r in conn.execute(query).all()]

    def nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        if not keys:
            return {}
        with self.engine.connect() as conn:
            out: dict[tuple[int, int], bytes] = {}
            for level, idx in keys:
                value = conn.execute(
                    select(N.c.hash).where(N.c.level == level, N.c.idx == idx)
                ).scalar()
                if value is not None:
                    out[(level, idx)] = bytes(value)
            return out

    def node_getter(self) -> merkle.NodeGetter:
        def get(level: int, idx: int) -> bytes:
            found = self.nodes([(level, idx)])
            if not found:
                raise LookupError(f"merkle node ({level}, {idx}) missing")
            return found[(level, idx)]

        return get

    # ---- checkpoints ---------------------------------------------------------------------

    def add_checkpoint(self, cp: StoredCheckpoint) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(C), [{"size": cp.size, "root": cp.root, "note": cp.note, "time": cp.time}]
            )

    def checkpoints(self) -> list[StoredCheckpoint]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(C).order_by(C.c.size)).all()
        return [StoredCheckpoint(int(r.size), bytes(r.root), r.note, r.time) for r in rows]

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(C).order_by(C.c.size.desc()).limit(1)).first()
        return None if r is None else StoredCheckpoint(int(r.size), bytes(r.root), r.note, r.time)

    @contextmanager
    def signer_lock(self) -> Iterator[bool]:
        """Yields True when this process may sign checkpoints now (PostgreSQL advisory lock;
        always True on SQLite)."""
        if not self.is_postgres:
            yield True
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


def _row(index: int, record: DecisionRecord, body: bytes, leaf: bytes) -> dict[str, Any]:
    return {
        "leaf_index": index,
        "id": record.id,
        "time": record.time,
        "ledger": record.ledger,
        "method": record.method,
        "kind": record.kind,
        "sub": str(record.subject.get("sub", "")),
        "org": record.org,
        "subject_jurisdiction": str(record.subject.get("jurisdiction", "")),
        "outcome": record.outcome,
        "revision": record.revision,
        "jurisdictions": "," + ",".join(record.jurisdictions) + ",",
        "reason_codes": "," + ",".join(record.reason_codes) + ",",
        "record": body.decode(),
        "leaf_hash": leaf,
    }


def _spend(record: DecisionRecord) -> dict[str, Any]:
    return {
        "decision_id": record.id,
        "sub": str(record.subject.get("sub", "")),
        "day": record.time[:10],
        "year": record.time[:4],
        "amount_usd": record.amount_usd,
        "cross_border": record.cross_border,
        "released": False,
    }

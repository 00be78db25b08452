"""Connections to the log's database: one engine factory for SQLite and PostgreSQL, shared by
the decision log and the quota store."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection

APPEND_LOCK_KEY = 0x60F0_0001  # advisory lock: one appender at a time across replicas
# Parameters per multi-row INSERT: under SQLite's (32,766) and PostgreSQL's (65,535) limits.
_MAX_PARAMETERS = 8_000


def make_engine(
    url: str,
    pool_size: int = 8,
    *,
    connect_timeout_s: float = 5.0,
    statement_timeout_s: float = 10.0,
) -> Engine:
    """Explicit factory for both backends; SQLite gets WAL and full fsync on commit. Every wait
    is bounded: connecting (and waiting for a pooled connection), and each statement (on SQLite
    the wait for another writer's lock), so a database that hangs yields errors, not stalls."""
    if url.startswith("sqlite:///"):
        sqlite_args: dict[str, Any] = {"check_same_thread": False, "timeout": statement_timeout_s}
        engine = create_engine(url, connect_args=sqlite_args)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
        ms = max(1, int(statement_timeout_s * 1000))
        args: dict[str, Any] = {
            "connect_timeout": max(1, round(connect_timeout_s)),
            "options": f"-c statement_timeout={ms}",
            # A peer that vanished (host down, cable cut) is noticed in seconds, not hours.
            "keepalives": 1,
            "keepalives_idle": 5,
            "keepalives_interval": 2,
            "keepalives_count": 3,
        }
        return create_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,
            pool_timeout=connect_timeout_s,
            connect_args=args,
        )
    raise ValueError(f"unsupported database URL {url!r}")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def lock_appends(conn: Connection, postgres: bool) -> None:
    """On PostgreSQL, holds the log's append lock until `conn`'s transaction ends: appends,
    spend releases and the building of the spend totals exclude each other across replicas.
    SQLite serialises its writers itself (and the workers of one gateway take a lock file)."""
    if postgres:
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({APPEND_LOCK_KEY})")


@functools.cache
def insert_sql(
    table: str, columns: tuple[str, ...], postgres: bool, rows: int = 1, suffix: str = ""
) -> str:
    """Plain INSERT of `rows` rows (then `suffix`, an ON CONFLICT clause): SQLAlchemy's per-row
    parameter handling cost more than the inserts themselves at group-commit batch sizes."""
    marks = "(" + ", ".join(["%s" if postgres else "?"] * len(columns)) + ")"
    values = ", ".join([marks] * rows)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}{suffix}"


def insert_rows(
    conn: Connection,
    table: str,
    columns: tuple[str, ...],
    postgres: bool,
    rows: Sequence[tuple[Any, ...]],
    suffix: str = "",
) -> None:
    """Inserts `rows` in a few multi-row statements, of power-of-two sizes (so a connection
    prepares at most a dozen shapes per table), each under the parameter limits. Not
    executemany: SQLite's driver gives up the GIL around every row and waits up to the
    interpreter's switch interval (5 ms) to take it back while the event loop runs, so an
    append thread inserting row by row fell behind a busy gateway (about 500 rows/s)."""
    most = 1 << (max(1, _MAX_PARAMETERS // len(columns)).bit_length() - 1)
    start = 0
    while start < len(rows):
        size = min(most, 1 << ((len(rows) - start).bit_length() - 1))
        chunk = rows[start : start + size]
        sql = insert_sql(table, columns, postgres, size, suffix)
        conn.exec_driver_sql(sql, tuple(value for row in chunk for value in row))
        start += size

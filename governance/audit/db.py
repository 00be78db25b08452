"""Connections to the log's database: one engine factory for SQLite and PostgreSQL, shared by
the decision log and the quota store."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Engine, create_engine, event


def make_engine(url: str, pool_size: int = 8) -> Engine:
    """Explicit factory for both backends; SQLite gets WAL and full fsync on commit."""
    if url.startswith("sqlite:///"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
    raise ValueError(f"unsupported database URL {url!r}")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


@functools.cache
def insert_sql(table: str, columns: tuple[str, ...], postgres: bool) -> str:
    """Plain INSERT for the driver's executemany: SQLAlchemy's per-row parameter handling
    cost more than the inserts themselves at group-commit batch sizes."""
    marks = ", ".join(["%s" if postgres else "?"] * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"

"""governance/audit/db.py: multi-row inserts on both backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, event, text

from governance.audit.db import insert_rows, make_engine

COLUMNS = ("k", "a", "b")


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    engine = make_engine(store_url)
    blob = "BYTEA" if engine.dialect.name == "postgresql" else "BLOB"
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE t (k INTEGER PRIMARY KEY, a TEXT, b {blob})"))
    yield engine
    engine.dispose()


def _statements(engine: Engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


@pytest.mark.parametrize("count", [0, 1, 2, 3, 7, 255, 256, 257, 3000])
def test_every_row_is_inserted_once_in_order(engine: Engine, count: int) -> None:
    rows = [(i, f"row {i}", bytes([i % 256])) for i in range(count)]
    statements = _statements(engine)
    with engine.begin() as conn:
        insert_rows(conn, "t", COLUMNS, engine.dialect.name == "postgresql", rows)
    inserts = len(statements)
    with engine.connect() as conn:
        stored = [tuple(r) for r in conn.execute(text("SELECT k, a, b FROM t ORDER BY k"))]
    assert [(k, a, bytes(b)) for k, a, b in stored] == rows
    # A statement per set bit of the count below the chunk size (2,048 rows of 3 columns),
    # never one per row.
    assert inserts == bin(count % 2048).count("1") + count // 2048


def test_a_failing_row_fails_the_whole_transaction(engine: Engine) -> None:
    rows = [(1, "a", b"x"), (2, "b", b"y"), (1, "dup", b"z")]
    with pytest.raises(Exception), engine.begin() as conn:  # noqa: B017
        insert_rows(conn, "t", COLUMNS, engine.dialect.name == "postgresql", rows)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM t")).scalar() == 0

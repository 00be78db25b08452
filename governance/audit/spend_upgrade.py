"""A log written before spend was counted per legal person keeps its spend rows by token
subject and UTC day (columns sub, day, year). They are rebuilt once, when the gateway opens the
log: each row keeps its amount, cross-border flag and release, and takes its decision's time
and the legal person of the decision's sending address, so quotas carry over the upgrade
instead of starting from nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import Engine, inspect
from sqlalchemy.engine import Connection

from governance.audit import spend_totals
from governance.audit.db import insert_rows
from governance.audit.quota import SPEND_COLUMNS, S

log = logging.getLogger(__name__)
LEGACY = "spend_by_subject"


def upgrade_spend(engine: Engine, person: Callable[[str], str]) -> int:
    """Rebuilds a legacy spend table (`person` maps a sending address to its person key);
    the number of rows carried over, 0 when there was nothing to upgrade."""
    if not _legacy(engine):
        return 0
    try:
        with engine.begin() as conn:
            count = _rebuild(conn, person, engine.dialect.name == "postgresql")
    except Exception:
        if _legacy(engine):
            raise
        return 0  # another worker or replica upgraded it meanwhile
    log.warning("spend table upgraded to legal persons and local calendars: %d rows", count)
    return count


def _legacy(engine: Engine) -> bool:
    found = inspect(engine)
    if not found.has_table("spend"):
        return False
    return "person" not in {c["name"] for c in found.get_columns("spend")}


def _rebuild(conn: Connection, person: Callable[[str], str], postgres: bool) -> int:
    conn.exec_driver_sql(f"ALTER TABLE spend RENAME TO {LEGACY}")
    for index in inspect(conn).get_indexes(LEGACY):  # its name would clash on PostgreSQL
        conn.exec_driver_sql(f"DROP INDEX {index['name']}")
    S.create(conn)
    old = conn.exec_driver_sql(
        "SELECT s.decision_id, s.sub, s.amount_usd, s.cross_border, s.released, d.time,"
        f" d.record FROM {LEGACY} s JOIN decisions d ON d.id = s.decision_id"
    ).all()
    rows = [
        (row[0], _person(row[6], row[1], person), row[5], row[2], bool(row[3]), bool(row[4]))
        for row in old
    ]
    if rows:
        insert_rows(conn, "spend", SPEND_COLUMNS, postgres, rows)
    conn.exec_driver_sql(f"DROP TABLE {LEGACY}")
    spend_totals.rebuild(conn, postgres)
    return len(rows)


def _person(record: Any, sub: str, person: Callable[[str], str]) -> str:
    """The person of the decision's sending address; a record that names none (it could not
    have been an allowed transfer) stays under its subject."""
    doc = orjson.loads(record)
    tx = (doc.get("input") or {}).get("tx") or {}
    sender = tx.get("from")
    return person(sender) if isinstance(sender, str) and sender else sub

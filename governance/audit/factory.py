"""Opens the gateway's stores on one database: the decision log, the quota store and the export
store, sharing one engine, with the spend and export rows written in the log's append
transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from governance.audit.db import make_engine
from governance.audit.exports import SqlExports
from governance.audit.quota import SqlQuota, make_quota_store
from governance.audit.sqlstore import SqlLog
from governance.domain.records import DecisionRecord
from governance.errors import ConfigError


def open_stores(
    url: str, *, connect_timeout_s: float = 5.0, statement_timeout_s: float = 10.0
) -> tuple[SqlLog, SqlQuota]:
    log, quota, _ = open_all(
        url, connect_timeout_s=connect_timeout_s, statement_timeout_s=statement_timeout_s
    )
    return log, quota


def open_all(
    url: str, *, connect_timeout_s: float = 5.0, statement_timeout_s: float = 10.0
) -> tuple[SqlLog, SqlQuota, SqlExports]:
    engine = make_engine(
        url, connect_timeout_s=connect_timeout_s, statement_timeout_s=statement_timeout_s
    )
    try:
        quota = make_quota_store(url, engine, wait_s=statement_timeout_s)
        exports = SqlExports(engine, wait_s=statement_timeout_s)

        def on_append(conn: Connection, records: Sequence[DecisionRecord]) -> None:
            quota.write_spends(conn, records)
            exports.write_exports(conn, records)

        return SqlLog(url, engine=engine, on_append=on_append), quota, exports
    except SQLAlchemyError as exc:  # e.g. a read-only file system: nothing could be recorded
        engine.dispose()
        cause = getattr(exc, "orig", None) or exc
        raise ConfigError(
            f"audit.database_url: the decision log cannot be opened for writing "
            f"({type(cause).__name__}: {cause})"
        ) from exc

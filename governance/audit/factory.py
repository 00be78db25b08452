"""Opens the gateway's stores on one database: the decision log and the quota store, sharing
one engine, with the spend rows written in the log's append transaction."""

from __future__ import annotations

from governance.audit.db import make_engine
from governance.audit.quota import SqlQuota, make_quota_store
from governance.audit.sqlstore import SqlLog


def open_stores(url: str) -> tuple[SqlLog, SqlQuota]:
    engine = make_engine(url)
    quota = make_quota_store(url, engine)
    return SqlLog(url, engine=engine, on_append=quota.write_spends), quota

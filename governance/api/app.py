"""Application assembly: FastAPI serves the API; `/rpc` goes to the lean ASGI endpoint."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from governance.api.admin_routes import admin_router
from governance.api.audit_live import stream_router
from governance.api.audit_routes import audit_router
from governance.api.auth import Authenticator, AuthSettings
from governance.api.boundary import install_rest_errors, limited_receive
from governance.api.console import console_router, static_files
from governance.api.overview_routes import overview_router
from governance.api.routes import ops_router
from governance.api.rpc import RpcEndpoint
from governance.api.ws import ws_router
from governance.audit.checkpointer import Checkpointer
from governance.audit.exports import SqlExports
from governance.audit.factory import open_all
from governance.audit.log import DecisionLog
from governance.audit.quota import SqlQuota
from governance.audit.reconcile_store import ReconcileStore
from governance.audit.spend_upgrade import upgrade_spend
from governance.audit.sqlstore import SqlLog
from governance.config import Settings, engine_warnings, native_asset_warnings
from governance.domain.ports import PolicyEngine
from governance.domain.records import DecisionRecord
from governance.domain.snapshot import Memo
from governance.gateway import Gateway
from governance.ledger.evm import EvmNode
from governance.metrics import Metrics
from governance.metrics_shared import PUBLISH_INTERVAL_S, SharedMetrics
from governance.policy.factory import make_policy_engine, make_reloader
from governance.policy.reloader import PolicyReloader
from governance.reconciliation import ReconcileLoop, Reconciler
from governance.tasks import Periodic

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    engine: PolicyEngine
    decision_log: DecisionLog
    quota: SqlQuota
    exports: SqlExports
    nodes: dict[str, EvmNode]
    auth: Authenticator
    metrics: Metrics
    gateway: Gateway
    checkpointer: Checkpointer
    reconciler: Reconciler
    reconcile_loop: ReconcileLoop
    reloader: PolicyReloader | None = None
    _replay_store: SqlLog | None = None
    _publisher: Periodic | None = None

    def replay_store(self) -> SqlLog:
        """A second connection pool on the log, for replays only (opened on first use)."""
        if self._replay_store is None:
            self._replay_store = SqlLog(self.settings.audit.database_url)
        return self._replay_store

    @property
    def last_reload(self) -> dict[str, Any] | None:
        return None if self.reloader is None else self.reloader.last_reload

    @classmethod
    def build(cls, settings: Settings) -> Services:
        """Everything that can fail on bad configuration fails here, before serving."""
        shared = settings.metrics_dir
        metrics = Metrics(None if shared is None else SharedMetrics(shared, settings.worker))
        engine = make_policy_engine(settings)
        metrics.policy_info.labels(engine.snapshot().revision).set(1)
        metrics.watch_memo(
            "read_cache", "Read decisions", lambda: _counts(engine.snapshot().read_cache)
        )
        metrics.watch_memo(
            "shape_cache", "Input shapes validated", lambda: _counts(engine.snapshot().shapes)
        )
        audit = settings.audit
        store, quota, exports = open_all(
            audit.database_url,
            connect_timeout_s=audit.connect_timeout_s,
            statement_timeout_s=audit.statement_timeout_s,
        )
        upgrade_spend(quota.engine, engine.snapshot().reference.person)  # a log of before
        quota.build_totals()  # a log of before the running totals
        decision_log = DecisionLog(
            store,
            read_window_s=audit.group_commit_ms / 1000,
            append_timeout_s=audit.append_timeout_s,
            max_queued_reads=audit.max_queued_reads,
        )
        checkpointer = Checkpointer(
            store, settings.audit, settings.resolve(settings.audit.signing_key_file)
        )
        nodes = {x.name: EvmNode(x) for x in settings.ledgers}
        auth = Authenticator(
            AuthSettings(
                jwt_secret=settings.auth.active_secret,
                public_key_pem=settings.auth.public_key_pem,
                jwks_url=settings.auth.jwks_url,
                issuer=settings.auth.issuer,
                audience=settings.auth.audience,
            )
        )
        gateway = Gateway(settings, engine, decision_log, quota, nodes, metrics, exports)
        reloader = make_reloader(settings, engine, metrics)
        reconciler = _reconciler(settings, engine, decision_log, nodes, metrics)
        loop = ReconcileLoop(
            reconciler, [x.name for x in settings.ledgers], settings.audit.reconcile_seconds
        )
        return cls(
            settings,
            engine,
            decision_log,
            quota,
            exports,
            nodes,
            auth,
            metrics,
            gateway,
            checkpointer,
            reconciler,
            loop,
            reloader,
        )

    async def start(self) -> None:
        self.decision_log.start()
        await self.checkpointer.start()
        if self.reloader is not None:
            await self.reloader.start()
        await self.gateway.probe_simulation()
        self.reconcile_loop.start()
        if self.metrics.shared is not None:
            self._publisher = Periodic(PUBLISH_INTERVAL_S, self.metrics.publish)
            await self.metrics.publish()
            self._publisher.start()

    async def stop(self) -> None:
        if self._publisher is not None:
            await self._publisher.stop()
        await self.reconcile_loop.stop()
        if self.reloader is not None:
            await self.reloader.stop()
        await self.gateway.close()  # unsettled writes keep counting
        await self.decision_log.close()  # flushes queued read records
        self.quota.close()
        self.exports.close()
        await self.checkpointer.stop()  # the final checkpoint covers everything flushed
        self.decision_log.store.close()  # the final checkpoint reopened the connection pool
        if self._replay_store is not None:
            self._replay_store.close()
        await asyncio.gather(*(n.close() for n in self.nodes.values()))
        await self.engine.close()


def _reconciler(
    settings: Settings,
    engine: PolicyEngine,
    decision_log: DecisionLog,
    nodes: dict[str, EvmNode],
    metrics: Metrics,
) -> Reconciler:
    async def append(record: DecisionRecord) -> None:
        await decision_log.record(record, durable=True)

    return Reconciler(
        ReconcileStore(decision_log.store.engine),
        nodes,
        lambda: engine.snapshot().reference,
        append,
        metrics,
        settings.audit.reconcile_from_block,
    )


class Dispatcher:
    """Routes `/rpc` and `/rpc/{ledger}` to the raw endpoint, everything else to FastAPI."""

    def __init__(self, api: FastAPI, rpc: RpcEndpoint, max_body_bytes: int) -> None:
        self.api = api
        self.rpc = rpc
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http":  # one body limit for every route, enforced while reading
            receive = limited_receive(scope, receive, self.max_body_bytes)
        if scope["type"] == "http" and (path == "/rpc" or path.startswith("/rpc/")):
            await self.rpc(scope, receive, send)
            return
        await self.api(scope, receive, send)


def create_app(settings: Settings, services: Services | None = None) -> Dispatcher:
    for warning in native_asset_warnings(settings) + engine_warnings(settings):
        log.warning("%s", warning)
    svc = services or Services.build(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await svc.start()
        try:
            yield
        finally:
            await svc.stop()

    api = FastAPI(title="governance", lifespan=lifespan)
    api.state.services = svc
    install_rest_errors(api)
    api.include_router(ops_router)
    api.include_router(admin_router)
    api.include_router(audit_router)
    api.include_router(stream_router)
    api.include_router(overview_router)
    api.include_router(console_router)
    api.mount("/console/static", static_files, name="console-static")
    api.include_router(ws_router)
    rpc = RpcEndpoint(svc.gateway, svc.auth, settings)
    return Dispatcher(api, rpc, settings.server.max_body_bytes)


def _counts(memo: Memo[Any]) -> tuple[int, int, int]:
    return memo.hits, memo.misses, len(memo)

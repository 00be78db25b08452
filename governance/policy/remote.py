"""The PolicyEngine port on a remote OPA (a sidecar, or `governance pdp`), for stateless
replicas (docs/design.md section 8).

Each decision is `POST /v1/data/governance/main/decision {"input": ...}` through
opa-python-client's async client on a small keep-alive pool, bounded by policy.opa_timeout_ms.
Anything but a well-formed decision (refused connection, timeout, HTTP error, undefined
result, malformed document) is EngineUnavailable: the gateway fails closed. Reference data for
enrichment still comes from the local policy source, so the remote must serve the same bundle.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from opa_client import AsyncOpaClient

from governance.domain.models import Decision
from governance.domain.reference import Reference
from governance.domain.snapshot import PolicySnapshot
from governance.errors import EngineUnavailable
from governance.policy.source import PolicySource

DECISION_PACKAGE = "governance.main"
DECISION_NAME = "decision"
DEFAULT_POOL_SIZE = 8
KEEPALIVE_S = 4.0  # below common server idle timeouts (uvicorn: 5 s), so few stale reuses


class _PooledOpaClient(AsyncOpaClient):  # type: ignore[misc]  # the client ships no types
    """The library's async client with a bounded keep-alive pool instead of its default
    100-connection connector."""

    def __init__(self, *, pool_size: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pool_size = pool_size

    async def _init_session(self) -> None:
        context = ssl.create_default_context() if self.ssl else None
        self._connector = aiohttp.TCPConnector(
            limit=self._pool_size, keepalive_timeout=KEEPALIVE_S, ssl=context if context else True
        )
        self._session = aiohttp.ClientSession(
            headers=self.headers,
            connector=self._connector,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
        )


class RemoteEngine:
    name = "remote"

    def __init__(
        self,
        source: PolicySource,
        opa_url: str,
        timeout_ms: int,
        *,
        pool_size: int = DEFAULT_POOL_SIZE,
        token: str | None = None,
    ) -> None:
        parts = urlsplit(opa_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"policy.opa_url {opa_url!r} must be an http(s) URL")
        if parts.path not in ("", "/"):
            raise ValueError(f"policy.opa_url {opa_url!r}: OPA is addressed by host and port only")
        if timeout_ms <= 0:
            raise ValueError("policy.opa_timeout_ms must be positive")
        self.url = opa_url
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._tls = parts.scheme == "https"
        self._timeout_s = timeout_ms / 1000
        self._pool_size = pool_size
        self._token = token
        self._client: _PooledOpaClient | None = None
        self._client_lock: asyncio.Lock | None = None
        self._snapshot = self.compile(source)

    def compile(self, source: PolicySource) -> PolicySnapshot:
        return PolicySnapshot(
            revision=source.revision, reference=Reference.from_data(source.data), evaluator=None
        )

    def snapshot(self) -> PolicySnapshot:
        return self._snapshot

    def swap(self, snapshot: PolicySnapshot) -> None:
        self._snapshot = snapshot

    async def decide(self, snapshot: PolicySnapshot, policy_input: dict[str, Any]) -> Decision:
        doc = await self._query(policy_input)
        if not isinstance(doc, dict) or "result" not in doc:
            raise EngineUnavailable("remote policy engine: decision is undefined")
        try:
            return Decision.from_json(doc["result"])
        except ValueError as exc:
            raise EngineUnavailable(f"remote policy engine: {exc}") from exc

    async def ready(self) -> bool:
        try:
            client = await self._get_client()
            async with asyncio.timeout(self._timeout_s * 5):
                return bool(await client.check_health())
        except Exception:
            return False

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close_connection()

    async def _query(self, policy_input: dict[str, Any]) -> Any:
        """The one place where the remote's failures become EngineUnavailable."""
        try:
            client = await self._get_client()
            async with asyncio.timeout(self._timeout_s):
                try:
                    return await client.query_rule(policy_input, DECISION_PACKAGE, DECISION_NAME)
                except aiohttp.ServerDisconnectedError:
                    # A pooled connection the server had already closed: retry once, now.
                    return await client.query_rule(policy_input, DECISION_PACKAGE, DECISION_NAME)
        except TimeoutError as exc:
            raise EngineUnavailable(
                f"remote policy engine timed out after {self._timeout_s * 1000:.0f} ms"
            ) from exc
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # connection, HTTP status, JSON: all fail closed
            detail = f"{type(exc).__name__}: {exc}"
            raise EngineUnavailable(f"remote policy engine failed: {detail}") from exc

    async def _get_client(self) -> _PooledOpaClient:
        # Built lazily on the serving loop: aiohttp sessions belong to the loop that made them.
        if self._client is not None:
            return self._client
        if self._client_lock is None:
            self._client_lock = asyncio.Lock()
        async with self._client_lock:
            if self._client is None:
                client = _PooledOpaClient(
                    pool_size=self._pool_size,
                    host=self._host,
                    port=self._port,
                    ssl=self._tls,
                    token=self._token,
                    retries=0,
                    timeout=self._timeout_s,
                )
                await client._init_session()
                self._client = client
        return self._client

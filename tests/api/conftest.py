"""What the API tests share: the auditor API (the real app, a SQLite log holding known records
appended to the gateway's own store, a one-rule stand-in policy), called in process or served
over real HTTP, and the tokens of its readers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from governance.config import AuditConfig, Settings
from governance.domain.records import DecisionRecord
from tests.audit.conftest import sample_record
from tests.conftest import (
    GatewayServer,
    InProcessGateway,
    in_process_gateway,
    make_settings,
    token,
)

ORIGIN = "governance.test/decisions"
TRAVEL = {"originator": {"name": "Jane Doe"}, "beneficiary": {"name": "Wang Fang"}}
POLICY = """package governance.main

import rego.v1

decision := {"allow": true, "reasons": [], "jurisdictions": [], "mask": [],
  "obligations": {"redact": [], "report": [], "require_travel_rule": false}}
"""


RECORDS: list[DecisionRecord] = [
    sample_record(i, travel_rule=TRAVEL if i % 4 == 1 else None) for i in range(40)
] + [
    sample_record(40, org="euro-de", jurisdictions=["DE", "eu"], travel_rule=TRAVEL),
    sample_record(41, org="acme-us", method='=HYPERLINK("http://x")'),  # CSV formula bait
]


ADMIN = token(sub="root", org="ops", jurisdiction="US", roles=("admin",))
AUDITOR = token(sub="ann", org="acme-us", jurisdiction="US", roles=("auditor",))
TRADER = token(sub="tom", org="acme-us", jurisdiction="US", roles=("trader",))


class AuditApi:
    """The auditor API in process (httpx's ASGI transport), its services started by the app's
    lifespan; `checkpointer` and `store` are the app's own."""

    def __init__(self, gateway: InProcessGateway) -> None:
        self.client = gateway.client
        self.checkpointer = gateway.services.checkpointer
        self.store = gateway.services.decision_log.store

    async def get(self, path: str, bearer: str | None = ADMIN, **params: Any) -> httpx.Response:
        return await self.client.get(path, params=params, headers=bearer_header(bearer))

    async def ok(self, path: str, bearer: str = ADMIN, **params: Any) -> Any:
        response = await self.get(path, bearer, **params)
        assert response.status_code == 200, response.text
        return response.json()

    async def all_items(self, bearer: str, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = await self.ok("/audit/decisions", bearer, limit=7, **params, **_cursor(cursor))
            items += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return items


def bearer_header(bearer: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {bearer}"} if bearer else {}


def _cursor(cursor: str | None) -> dict[str, str]:
    return {} if cursor is None else {"cursor": cursor}


def audit_settings(tmp_path: Path) -> Settings:
    """The stand-in policy tree and a log under `tmp_path`; checkpoints only when a test signs
    one."""
    policy = tmp_path / "policies"
    (policy / "governance").mkdir(parents=True)
    (policy / "governance" / "main.rego").write_text(POLICY)
    settings = make_settings("http://127.0.0.1:9", policy, tmp_path / "log.db")
    audit = AuditConfig(
        database_url=settings.audit.database_url,
        signing_key_file=str(tmp_path / "signing.key"),
        origin=ORIGIN,
        checkpoint_every=10**9,
        checkpoint_seconds=3600,
    )
    return replace(settings, audit=audit)


@pytest_asyncio.fixture(loop_scope="function")  # the app's services run on the test's loop
async def api(tmp_path: Path) -> AsyncIterator[AuditApi]:
    async with in_process_gateway(audit_settings(tmp_path)) as gateway:
        gateway.services.decision_log.store.append_batch(RECORDS)
        yield AuditApi(gateway)


@pytest.fixture
def served_api(tmp_path: Path) -> Iterator[GatewayServer]:
    """The same app and records over real HTTP (uvicorn): for what needs a socket, such as
    the decision stream, which never ends."""
    server = GatewayServer(audit_settings(tmp_path))
    server.services.decision_log.store.append_batch(RECORDS)
    with server:
        yield server


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]

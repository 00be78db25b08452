"""What the API tests share: the auditor API over real HTTP (the real app, a SQLite log holding
known records appended to the gateway's own store, a one-rule stand-in policy) and the tokens
of its readers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from governance.api.audit_routes import audit_router
from governance.audit.checkpointer import Checkpointer
from governance.config import AuditConfig
from governance.domain.records import DecisionRecord
from tests.audit.conftest import sample_record
from tests.conftest import GatewayServer, make_settings, token

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
    def __init__(self, server: GatewayServer, checkpointer: Checkpointer) -> None:
        self.server = server
        self.checkpointer = checkpointer
        self.store = server.services.decision_log.store

    def get(self, path: str, bearer: str | None = ADMIN, **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        return httpx.get(f"{self.server.url}{path}", params=params, headers=headers, timeout=30)

    def ok(self, path: str, bearer: str = ADMIN, **params: Any) -> Any:
        response = self.get(path, bearer, **params)
        assert response.status_code == 200, response.text
        return response.json()

    def all_items(self, bearer: str, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = self.ok("/audit/decisions", bearer, limit=7, **params, **_cursor(cursor))
            items += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return items


def _cursor(cursor: str | None) -> dict[str, str]:
    return {} if cursor is None else {"cursor": cursor}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[AuditApi]:
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
    settings = replace(settings, audit=audit)
    server = GatewayServer(settings)
    app: Any = getattr(server.server.config.app, "api")  # noqa: B009 (the Dispatcher's FastAPI)
    if not any(getattr(r, "path", "") == "/audit/decisions" for r in app.routes):
        app.include_router(audit_router)  # until governance/api/app.py includes it
    checkpointer = getattr(server.services, "checkpointer", None) or Checkpointer(
        server.services.decision_log.store, audit, Path(audit.signing_key_file)
    )
    server.services.decision_log.store.append_batch(RECORDS)
    with server:
        yield AuditApi(server, checkpointer)


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]

"""JSON-RPC edge cases through a real gateway and anvil: notifications are decided, recorded and
answered HTTP 204 with no body (single, or a batch of only notifications)."""

from __future__ import annotations

import json
import sqlite3
import time

import httpx

from tests.conftest import GatewayServer, token


def post(gw: GatewayServer, body: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token()}", "Content-Type": "application/json"}
    return httpx.post(gw.rpc_url(), content=json.dumps(body), headers=headers, timeout=30)


def note(method: str = "eth_blockNumber") -> dict[str, object]:
    return {"jsonrpc": "2.0", "method": method, "params": []}


def recorded(gw: GatewayServer, decision_ids: str) -> int:
    path = gw.settings.audit.database_url.removeprefix("sqlite:///")
    ids = decision_ids.split(",")
    with sqlite3.connect(path) as conn:
        marks = ",".join("?" * len(ids))
        return int(
            conn.execute(f"SELECT COUNT(*) FROM decisions WHERE id IN ({marks})", ids).fetchone()[0]
        )


def test_single_notification_is_204_without_body(gateway: GatewayServer) -> None:
    resp = post(gateway, note())
    assert resp.status_code == 204 and resp.content == b""
    deadline = time.monotonic() + 5  # reads are group-committed
    while recorded(gateway, resp.headers["x-decision-id"]) == 0:
        assert time.monotonic() < deadline, "notification was not recorded"
        time.sleep(0.05)


def test_batch_of_only_notifications_is_204(gateway: GatewayServer) -> None:
    resp = post(gateway, [note(), note("eth_chainId")])
    assert resp.status_code == 204 and resp.content == b""
    assert len(resp.headers["x-decision-id"].split(",")) == 2


def test_mixed_batch_answers_only_the_calls(gateway: GatewayServer) -> None:
    resp = post(gateway, [note(), {**note("eth_chainId"), "id": 7}])
    assert resp.status_code == 200
    doc = resp.json()
    assert [d["id"] for d in doc] == [7] and doc[0]["result"] == "0x7a69"


def test_denied_notification_is_204_too(gateway: GatewayServer) -> None:
    resp = post(gateway, note("admin_peers"))  # a trader may not call admin methods
    assert resp.status_code == 204 and resp.content == b""

"""JSON-RPC edge cases through a real gateway and anvil: notifications are decided, recorded and
answered HTTP 204 with no body (single, or a batch of only notifications); every id the
specification allows is echoed exactly as sent, in answers, denials and errors."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import httpx

from tests.conftest import ACCOUNTS, Anvil, GatewayServer, signed_transfer, token, wait_for


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
    decision_id = resp.headers["x-decision-id"]  # reads are group-committed
    wait_for(lambda: recorded(gateway, decision_id), timeout=5, what="the notification's record")


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


# ---- ids: every value JSON-RPC allows comes back exactly as it was sent -------------------------

# As written in the body: beyond 64 bits, fractional, beyond a double, zero, negative, strings.
IDS = [
    "9223372036854775808",  # 2**63
    "1180591620717411303424",  # 2**70
    "-1180591620717411303424",
    "1.5",
    "2.50",
    "1e400",
    "0",
    "-7",
    '""',
    '"ünïcødé ✓ 𝄞"',
]


def exact(text: str) -> Any:
    """A JSON document whose ids are kept as their text, so 2.50 and 2.5 differ."""
    as_text = json.loads(text, parse_int=lambda s: ("n", s), parse_float=lambda s: ("n", s))
    doc = json.loads(text)
    if isinstance(doc, list):
        return [{**d, "id": t["id"]} for d, t in zip(doc, as_text, strict=True)]
    return {**doc, "id": as_text["id"]} if isinstance(doc, dict) else as_text


def id_of(literal: str) -> Any:
    return exact(f'{{"id": {literal}}}')["id"]


def call_text(method: str, params: list[object], rid: str) -> str:
    head = json.dumps({"jsonrpc": "2.0", "method": method, "params": params})
    return head[:-1] + f', "id": {rid}}}'


def post_text(gw: GatewayServer, text: str, bearer: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {bearer or token()}", "Content-Type": "application/json"}
    return httpx.post(gw.rpc_url(), content=text.encode(), headers=headers, timeout=30)


def test_allowed_read_echoes_every_id(gateway: GatewayServer) -> None:
    for rid in IDS:
        resp = post_text(gateway, call_text("eth_chainId", [], rid))
        doc = exact(resp.text)
        assert resp.status_code == 200 and doc["result"] == "0x7a69", (rid, resp.text)
        assert doc["id"] == id_of(rid), (rid, resp.text)


def test_denied_node_error_and_invalid_echo_every_id(gateway: GatewayServer) -> None:
    for rid in IDS:
        denied = exact(post_text(gateway, call_text("admin_peers", [], rid)).text)
        assert denied["error"]["code"] == -32003 and denied["id"] == id_of(rid)
        node_error = exact(post_text(gateway, call_text("eth_getBalance", ["0x12"], rid)).text)
        assert node_error["error"]["code"] not in (-32003, -32005, -32600), node_error
        assert node_error["id"] == id_of(rid)
        invalid = post_text(gateway, call_text("eth_chainId", [], rid).replace('"2.0"', '"1.0"'))
        assert invalid.status_code == 400
        assert exact(invalid.text)["error"]["code"] == -32600
        assert exact(invalid.text)["id"] == id_of(rid)


def test_batch_echoes_every_id_in_order(gateway: GatewayServer) -> None:
    methods = ["eth_chainId", "admin_peers", "eth_blockNumber"]
    calls = [call_text(methods[i % 3], [], rid) for i, rid in enumerate(IDS)]
    resp = post_text(gateway, "[" + ",".join(calls) + "]")
    assert resp.status_code == 200
    answers = exact(resp.text)
    assert [a["id"] for a in answers] == [exact(rid) for rid in IDS]
    for i, answer in enumerate(answers):
        assert ("error" in answer) == (methods[i % 3] == "admin_peers"), answer


def test_writes_echo_ids_allowed_and_denied(gateway: GatewayServer, anvil: Anvil) -> None:
    for rid in ("1180591620717411303424", "1.5", '"w-ü"'):
        raw = signed_transfer(anvil, 0, ACCOUNTS[1].address, 1000)
        allowed = exact(post_text(gateway, call_text("eth_sendRawTransaction", [raw], rid)).text)
        assert "result" in allowed and allowed["id"] == id_of(rid), allowed
        foreign = signed_transfer(anvil, 2, ACCOUNTS[3].address, 1000)  # not the caller's address
        denied = exact(post_text(gateway, call_text("eth_sendRawTransaction", [foreign], rid)).text)
        assert denied["error"]["code"] == -32003 and denied["id"] == id_of(rid), denied


def test_a_string_that_is_not_unicode_is_a_parse_error(gateway: GatewayServer) -> None:
    """An unpaired surrogate escape is JSON to a lenient parser but not Unicode text: the call
    is refused -32700 at the door, and the gateway goes on answering."""
    for text in (
        '{"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": ["\\ud800", "latest"]}',
        '{"jsonrpc": "2.0", "id": "\\udfff", "method": "eth_blockNumber", "params": []}',
    ):
        resp = post_text(gateway, text)
        assert resp.status_code == 400, resp.text
        assert resp.json()["error"]["code"] == -32700
    assert "result" in post_text(gateway, call_text("eth_blockNumber", [], "7")).json()

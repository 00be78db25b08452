"""WebSocket subscriptions end to end on anvil: pending-transaction pushes filtered, the token
from the subprotocol header, token expiry closing the socket, and a policy reload that ends a
subscription it now denies."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import (
    ACCOUNTS,
    ROOT,
    Anvil,
    GatewayServer,
    make_settings,
    start_anvil,
    token,
)

INDIVIDUAL = ACCOUNTS[2].address.lower()[2:]  # CN individual
UK = dict(sub="olly", org="thames-uk", jurisdiction="GB")
US_REGULATOR = dict(sub="fincen", org="fincen", jurisdiction="US", roles=("regulator",))


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Anvil, GatewayServer, Path]]:
    node = start_anvil()
    policies = tmp_path_factory.mktemp("ws") / "policies"
    shutil.copytree(ROOT / "policies", policies)
    db = tmp_path_factory.mktemp("ws-db") / "log.db"
    gateway = GatewayServer(make_settings(node.url, policies, db, reload_seconds=0.2)).__enter__()
    yield node, gateway, policies
    gateway.__exit__()
    node.stop()


def _send_native(node: Anvil, key: int, to: int) -> None:
    acct = ACCOUNTS[key]
    tx = {
        "chainId": 31337,
        "nonce": int(node.rpc("eth_getTransactionCount", [acct.address, "pending"]), 16),
        "gas": 21000,
        "maxFeePerGas": 2 * 10**9,
        "maxPriorityFeePerGas": 10**9,
        "to": ACCOUNTS[to].address,
        "value": 12345,
        "type": 2,
    }
    raw = acct.sign_transaction(tx).raw_transaction.hex()
    node.rpc("eth_sendRawTransaction", ["0x" + raw.removeprefix("0x")])


def _ws_url(gateway: GatewayServer) -> str:
    return gateway.url.replace("http://", "ws://") + "/ws"


async def _subscribe(ws: aiohttp.ClientWebSocketResponse, params: list[Any]) -> str:
    await ws.send_str(
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": params})
    )
    ack = json.loads((await ws.receive(timeout=10)).data)
    assert isinstance(ack.get("result"), str), ack
    return str(ack["result"])


async def _pushes(ws: aiohttp.ClientWebSocketResponse, count: int) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    while len(got) < count:
        doc = json.loads((await ws.receive(timeout=10)).data)
        if doc.get("method") == "eth_subscription":
            got.append(doc["params"])
    return got


def test_pending_transaction_pushes_are_filtered(setup: Any) -> None:
    node, gateway, _ = setup

    async def scenario() -> list[dict[str, Any]]:
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(_ws_url(gateway), protocols=("bearer", token(**UK))) as ws,
        ):  # type: ignore[arg-type]
            assert ws.protocol == "bearer"
            await _subscribe(ws, ["newPendingTransactions", True])
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, _send_native, node, 2, 4)  # the individual's
            await loop.run_in_executor(None, _send_native, node, 3, 5)  # institutions only
            return await _pushes(ws, 2)

    first, second = asyncio.run(scenario())
    assert INDIVIDUAL not in json.dumps(first).lower()
    assert first["result"]["value"] == "0x0" and "hash" in first["result"]
    assert second["result"]["from"].lower() == ACCOUNTS[3].address.lower()


def test_token_expiry_closes_the_socket(setup: Any) -> None:
    _, gateway, _ = setup

    async def scenario() -> tuple[int | None, str]:
        bearer = token(**UK, ttl_s=1)  # type: ignore[arg-type]
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(_ws_url(gateway), headers={"Authorization": f"Bearer {bearer}"}) as ws,
        ):
            msg = await ws.receive(timeout=10)
            return ws.close_code, str(msg.extra)

    code, reason = asyncio.run(scenario())
    assert code == 4401 and reason == "token expired"


@pytest.mark.parametrize("query", ["", "?access_token="])
def test_missing_or_query_string_token_is_refused(setup: Any, query: str) -> None:
    _, gateway, _ = setup

    async def scenario() -> int | None:
        url = _ws_url(gateway) + (query + token(**UK) if query else "")  # type: ignore[arg-type]
        async with aiohttp.ClientSession() as http:
            try:
                async with http.ws_connect(url) as ws:
                    await ws.receive(timeout=5)
                    return ws.close_code
            except aiohttp.WSServerHandshakeError as exc:
                return exc.status

    assert asyncio.run(scenario()) in (1008, 403)


def test_reload_that_denies_a_subscription_ends_it(setup: Any) -> None:
    _, gateway, policies = setup
    path = policies / "jurisdictions" / "uk" / "data_scope.rego"
    original = path.read_text()
    # A new rule: UK readers may no longer subscribe (reloaded while the socket is open).
    denying = original + (
        '\ndeny contains reasons.make("DATA_SCOPE_FORBIDDEN", J, "test rule") if {\n'
        '\tdata.governance.lib.ctx.method == "eth_subscribe"\n}\n'
    )

    async def wait_revision(changed_from: str) -> None:
        for _ in range(300):  # validation runs the tree's whole Rego suite: slow under load
            if gateway.services.engine.snapshot().revision != changed_from:
                return
            await asyncio.sleep(0.1)
        raise AssertionError("policy not reloaded")

    async def scenario() -> dict[str, Any]:
        bearer = token(**UK)  # type: ignore[arg-type]
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(_ws_url(gateway), headers={"Authorization": f"Bearer {bearer}"}) as ws,
        ):
            sub = await _subscribe(ws, ["logs", {}])
            before = gateway.services.engine.snapshot().revision
            path.write_text(denying)
            await wait_revision(before)
            [ended] = await _pushes(ws, 1)
            assert ended["subscription"] == sub
            return ended

    try:
        ended = asyncio.run(scenario())
    finally:
        path.write_text(original)
    assert ended["error"]["data"]["reasons"][0]["code"] == "DATA_SCOPE_FORBIDDEN"


def test_binary_frames_are_json_rpc_too_and_garbage_is_answered(setup: Any) -> None:
    """A binary frame carries JSON-RPC as a node takes it; one that is not UTF-8 JSON is a
    parse error, answered, and the socket stays open (it ended the session, unanswered)."""
    _, gateway, _ = setup

    async def run() -> list[dict[str, Any]]:
        headers = {"Authorization": f"Bearer {token()}"}
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(_ws_url(gateway), headers=headers) as ws,
        ):
            answers = []
            for frame in (b"\xff\xfe\x00garbage", b"{not json"):
                await ws.send_bytes(frame)
                answers.append(json.loads((await ws.receive(timeout=10)).data))
            call = {"jsonrpc": "2.0", "id": 7, "method": "eth_blockNumber", "params": []}
            await ws.send_bytes(json.dumps(call).encode())
            answers.append(json.loads((await ws.receive(timeout=10)).data))
            await ws.send_str(json.dumps({**call, "id": 8}))
            answers.append(json.loads((await ws.receive(timeout=10)).data))
            return answers

    bad_bytes, bad_json, binary, text = asyncio.run(run())
    assert bad_bytes["error"]["code"] == -32700 and bad_json["error"]["code"] == -32700
    assert binary["id"] == 7 and "result" in binary, binary
    assert text["id"] == 8 and "result" in text, text

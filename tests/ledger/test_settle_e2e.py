"""A write whose forward times out has an unknown outcome, through the real gateway and anvil
behind a slow proxy: its amount keeps counting until the gateway has asked the node for the
transaction hash and found it absent (twice); a transaction the node has keeps counting."""

from __future__ import annotations

import http.server
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import pytest

from governance.ledger.settle import ASK_AFTER_S
from tests.conftest import (
    ACCOUNTS,
    WEI,
    Anvil,
    GatewayServer,
    make_settings,
    rpc,
    signed_transfer,
    token,
    wait_for,
)
from tests.ledger.conftest import ForwardingNode

NODE_TIMEOUT_S = 1.0


class SlowWrites(ForwardingNode):
    """Forwards to anvil; eth_sendRawTransaction is answered too late for the gateway, after
    passing it on ("late") or without ever passing it on ("lost")."""

    mode: ClassVar[str] = "late"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        doc = json.loads(body)
        is_send = isinstance(doc, dict) and doc.get("method") == "eth_sendRawTransaction"
        if is_send and self.mode == "lost":
            time.sleep(NODE_TIMEOUT_S + 1)
            self.close_connection = True
            return
        if is_send:
            time.sleep(NODE_TIMEOUT_S + 0.5)
        self.forward(body)


@pytest.fixture
def gateway_behind_proxy(
    tmp_path: Path, policy_dir: Path, fresh_anvil: Anvil
) -> Iterator[GatewayServer]:
    SlowWrites.upstream = fresh_anvil.url
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowWrites)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{proxy.server_address[1]}"
    settings = make_settings(url, policy_dir, tmp_path / "log.db")
    ledger = replace(settings.ledgers[0], timeout_s=NODE_TIMEOUT_S)
    gw = GatewayServer(replace(settings, ledgers=(ledger,))).__enter__()
    yield gw
    gw.__exit__()
    proxy.shutdown()


def spend(gw: GatewayServer, decision_id: str) -> tuple[float, bool]:
    path = gw.settings.audit.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        row = conn.execute(
            "SELECT amount_usd, released FROM spend WHERE decision_id = ?", (decision_id,)
        ).fetchone()
    assert row is not None, "an allowed write with an amount has a spend row"
    return float(row[0]), bool(row[1])


def timed_out_write(gw: GatewayServer, node: Anvil) -> tuple[str, dict[str, Any]]:
    # To an account outside every directory org: the amount leaves acme-us and counts.
    raw = signed_transfer(node, 0, ACCOUNTS[9].address, WEI // 100)
    resp = rpc(gw.rpc_url(), "eth_sendRawTransaction", [raw], bearer=token())
    doc = resp.json()
    assert resp.status_code == 502 and doc["error"]["code"] == -32005, doc
    return resp.headers["x-decision-id"], doc


def test_write_the_node_got_keeps_counting(
    gateway_behind_proxy: GatewayServer, fresh_anvil: Anvil
) -> None:
    SlowWrites.mode = "late"
    decision_id, _ = timed_out_write(gateway_behind_proxy, fresh_anvil)
    amount, released = spend(gateway_behind_proxy, decision_id)
    assert amount > 0 and not released  # not released at once
    time.sleep(sum(ASK_AFTER_S[:2]) + 1)  # asked twice by now: the node has it every time
    assert spend(gateway_behind_proxy, decision_id) == (amount, False)
    nonce = fresh_anvil.rpc("eth_getTransactionCount", [ACCOUNTS[0].address, "pending"])
    assert int(nonce, 16) >= 1


def test_write_the_node_never_got_is_released_after_asking(
    gateway_behind_proxy: GatewayServer, fresh_anvil: Anvil
) -> None:
    SlowWrites.mode = "lost"
    decision_id, _ = timed_out_write(gateway_behind_proxy, fresh_anvil)
    assert spend(gateway_behind_proxy, decision_id)[1] is False  # unknown: still counted
    released = lambda: spend(gateway_behind_proxy, decision_id)[1]  # noqa: E731
    # two "absent" answers
    wait_for(released, timeout=sum(ASK_AFTER_S[:2]) + 5, what="the release of a lost write")
    nonce = fresh_anvil.rpc("eth_getTransactionCount", [ACCOUNTS[0].address, "pending"])
    assert int(nonce, 16) == 0

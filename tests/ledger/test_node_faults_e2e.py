"""Node faults through the real gateway: a node restarted on the same address with a new chain
is refused (chain id check) until the configured chain is back, nothing reaching it; a slow
node makes every call time out within the ledger's timeout, with no backlog once it is fast."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from tests.conftest import (
    ACCOUNTS,
    Anvil,
    GatewayServer,
    free_port,
    make_settings,
    rpc,
    signed_transfer,
    start_anvil,
    token,
    wait_for,
)
from tests.ledger.conftest import ForwardingNode

NODE_TIMEOUT_S = 1.0


def anvil_on(port: int, chain_id: int) -> Anvil:
    return start_anvil(port=port, chain_id=chain_id)


@pytest.fixture
def restartable(tmp_path: Path, policy_dir: Path) -> Iterator[tuple[GatewayServer, list[Anvil]]]:
    port = free_port()
    nodes = [anvil_on(port, 31337)]
    gw = GatewayServer(make_settings(nodes[0].url, policy_dir, tmp_path / "log.db")).__enter__()
    yield gw, nodes
    gw.__exit__()
    for node in nodes:
        node.stop()


def test_node_restarted_on_a_new_chain_is_refused(
    restartable: tuple[GatewayServer, list[Anvil]],
) -> None:
    gw, nodes = restartable
    assert rpc(gw.rpc_url(), "eth_chainId", bearer=token()).json()["result"] == "0x7a69"
    nodes[0].stop()
    nodes.append(anvil_on(nodes[0].port, 999))  # same address, another chain

    def refused() -> bool:
        doc = rpc(gw.rpc_url(), "eth_blockNumber", bearer=token()).json()
        return bool(doc.get("error", {}).get("data", {}).get("detail") == "wrong chain")

    wait_for(refused, timeout=5.0, interval=0.1)
    raw = signed_transfer(nodes[1], 0, ACCOUNTS[1].address, 1000)
    resp = rpc(gw.rpc_url(), "eth_sendRawTransaction", [raw], bearer=token())
    assert resp.status_code == 502 and resp.json()["error"]["code"] == -32005
    assert "chain 999" in resp.json()["error"]["message"]
    assert nodes[1].rpc("eth_getTransactionCount", [ACCOUNTS[0].address, "pending"]) == "0x0"
    assert httpx.get(f"{gw.url}/readyz", timeout=10).status_code == 503
    ledgers = httpx.get(f"{gw.url}/status", timeout=10).json()["ledgers"]
    assert ledgers == [{"name": "main", "chain_id": 31337, "healthy": False}]
    nodes[1].stop()
    nodes.append(anvil_on(nodes[0].port, 31337))  # the configured chain is back
    answers = lambda: "result" in rpc(gw.rpc_url(), "eth_blockNumber", bearer=token()).json()  # noqa: E731
    wait_for(answers, timeout=5.0, interval=0.1)
    assert httpx.get(f"{gw.url}/readyz", timeout=10).status_code == 200


class SlowNode(ForwardingNode):
    """Passes every call on to anvil, after `delay` seconds (eth_chainId at once)."""

    delay: ClassVar[float] = 0.0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if b"eth_chainId" not in body:
            time.sleep(self.delay)
        self.forward(body)


@pytest.fixture
def slow_gateway(tmp_path: Path, policy_dir: Path, fresh_anvil: Anvil) -> Iterator[GatewayServer]:
    SlowNode.upstream, SlowNode.delay = fresh_anvil.url, 0.0
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowNode)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    settings = make_settings(
        f"http://127.0.0.1:{proxy.server_address[1]}", policy_dir, tmp_path / "log.db"
    )
    ledger = replace(settings.ledgers[0], timeout_s=NODE_TIMEOUT_S)
    gw = GatewayServer(replace(settings, ledgers=(ledger,))).__enter__()
    yield gw
    gw.__exit__()
    proxy.shutdown()


def timed_read(gw: GatewayServer) -> tuple[float, dict[str, object]]:
    started = time.monotonic()
    doc = rpc(gw.rpc_url(), "eth_blockNumber", bearer=token()).json()
    return time.monotonic() - started, doc


def test_slow_node_times_out_every_call_and_leaves_no_backlog(slow_gateway: GatewayServer) -> None:
    gw = slow_gateway
    assert "result" in timed_read(gw)[1]
    SlowNode.delay = 8.0
    with ThreadPoolExecutor(40) as pool:
        results = list(pool.map(lambda _: timed_read(gw), range(40)))
    slowest = max(took for took, _ in results)
    print(f"40 concurrent reads on an 8 s node with a 1 s timeout: slowest answer {slowest:.2f} s")
    assert all(doc["error"]["code"] == -32005 for _, doc in results)  # type: ignore[index]
    assert slowest < NODE_TIMEOUT_S + 4.0  # bounded by the timeout, not by the node's 8 s
    SlowNode.delay = 0.0
    took, doc = timed_read(gw)
    assert "result" in doc and took < 1.0, (took, doc)  # nothing queued behind the slow calls
    assert httpx.get(f"{gw.url}/status", timeout=10).json()["log"]["healthy"] is True

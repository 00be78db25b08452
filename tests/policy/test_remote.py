"""RemoteEngine: the PolicyEngine port over OPA's REST API. Fail-closed on every kind of
remote failure, bounded pool, factory selection, and the real gateway deciding through
`governance pdp` (and refusing with -32004 once it is gone)."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import pytest

from governance.config import PolicyConfig
from governance.errors import EngineUnavailable
from governance.policy.engine import decide_sync
from governance.policy.factory import make_policy_engine
from governance.policy.remote import RemoteEngine
from governance.policy.source import PolicySource, load_policy_source
from tests.conftest import (
    SECRET,
    Anvil,
    GatewayServer,
    PdpServer,
    free_port,
    make_settings,
    rpc,
    token,
)
from tests.policy.conftest import allowed_then_denied, recorded, write_policy_tree

READ = {"subject": {"kyc": "verified", "jurisdiction": "US"}, "parties": {}, "tx": None}
DENY = {"subject": {"kyc": "none", "jurisdiction": "US"}, "parties": {}, "tx": None}


class _Fake(http.server.BaseHTTPRequestHandler):
    """An OPA stand-in that misbehaves on purpose."""

    protocol_version = "HTTP/1.1"
    mode: ClassVar[str] = "ok"
    delay: ClassVar[float] = 0.0
    active: ClassVar[int] = 0
    peak: ClassVar[int] = 0
    peers: ClassVar[set[int]] = set()
    lock: ClassVar[threading.Lock] = threading.Lock()

    def do_GET(self) -> None:  # /health
        self.send_response(200 if self.path == "/health" else 404)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def do_POST(self) -> None:
        cls = type(self)
        with cls.lock:
            cls.active += 1
            cls.peak = max(cls.peak, cls.active)
            cls.peers.add(self.client_address[1])
        try:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            time.sleep(cls.delay)
            self._answer(cls.mode)
        finally:
            with cls.lock:
                cls.active -= 1

    def _answer(self, mode: str) -> None:
        status, body = {
            "ok": (200, json.dumps({"result": {"allow": True, "reasons": []}})),
            "undefined": (200, "{}"),
            "no_allow": (200, json.dumps({"result": {"reasons": []}})),
            "garbage": (200, "<html>"),
            "error": (500, json.dumps({"code": "internal_error", "message": "boom"})),
        }[mode]
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def fake_opa() -> Iterator[str]:
    _Fake.mode, _Fake.delay, _Fake.active, _Fake.peak = "ok", 0.0, 0, 0
    _Fake.peers = set()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def source(tmp_path: Path) -> PolicySource:
    return load_policy_source(write_policy_tree(tmp_path / "policies"))


async def test_decides_through_the_fake(source: PolicySource, fake_opa: str) -> None:
    engine = RemoteEngine(source, fake_opa, timeout_ms=2000)
    try:
        decision = await engine.decide(engine.snapshot(), READ)
        assert decision.allow
        assert await engine.ready()
    finally:
        await engine.close()


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("undefined", "undefined"),
        ("no_allow", "boolean 'allow'"),
        ("garbage", "failed"),
        ("error", "failed"),
    ],
)
async def test_bad_answers_fail_closed(
    source: PolicySource, fake_opa: str, mode: str, message: str
) -> None:
    _Fake.mode = mode
    engine = RemoteEngine(source, fake_opa, timeout_ms=2000)
    try:
        with pytest.raises(EngineUnavailable, match=message):
            await engine.decide(engine.snapshot(), READ)
    finally:
        await engine.close()


async def test_timeout_fails_closed_within_budget(source: PolicySource, fake_opa: str) -> None:
    _Fake.delay = 1.0
    engine = RemoteEngine(source, fake_opa, timeout_ms=150)
    try:
        started = time.perf_counter()
        with pytest.raises(EngineUnavailable, match="timed out after 150 ms"):
            await engine.decide(engine.snapshot(), READ)
        assert time.perf_counter() - started < 0.6
    finally:
        await engine.close()


async def test_refused_connection_fails_closed(source: PolicySource) -> None:
    engine = RemoteEngine(source, f"http://127.0.0.1:{free_port()}", timeout_ms=500)
    try:
        with pytest.raises(EngineUnavailable, match="failed"):
            await engine.decide(engine.snapshot(), READ)
        assert not await engine.ready()
    finally:
        await engine.close()


async def test_pool_bounds_concurrent_connections(source: PolicySource, fake_opa: str) -> None:
    _Fake.delay = 0.1
    engine = RemoteEngine(source, fake_opa, timeout_ms=5000, pool_size=3)
    try:
        decisions = await asyncio.gather(
            *(engine.decide(engine.snapshot(), READ) for _ in range(12))
        )
        assert all(d.allow for d in decisions)
        assert 2 <= _Fake.peak <= 3
        assert len(_Fake.peers) <= 3  # keep-alive: connections are reused
    finally:
        await engine.close()


def test_bad_urls_are_refused(source: PolicySource) -> None:
    with pytest.raises(ValueError, match="http"):
        RemoteEngine(source, "ftp://x", timeout_ms=100)
    with pytest.raises(ValueError, match="host and port"):
        RemoteEngine(source, "http://opa:8181/v1/data", timeout_ms=100)


async def test_reference_and_revision_come_from_local_source(
    source: PolicySource, fake_opa: str
) -> None:
    engine = RemoteEngine(source, fake_opa, timeout_ms=500)
    snap = engine.snapshot()
    assert snap.revision == source.revision and snap.evaluator is None
    assert snap.reference.entity("0x8589427373d6d84e98730d7795d8f6f8731fda16").sanctioned
    with pytest.raises(EngineUnavailable):
        decide_sync(snap, READ)  # no local evaluator: the remote decides
    await engine.close()


def test_factory_picks_remote(tmp_path: Path, source: PolicySource) -> None:
    tree = Path(source.root)
    settings = make_settings("http://127.0.0.1:8545", tree, tmp_path / "x.db")
    remote = replace(
        settings,
        policy=PolicyConfig(
            path=str(tree), engine="remote", opa_url="http://127.0.0.1:9", opa_timeout_ms=50
        ),
    )
    engine = make_policy_engine(remote)
    assert isinstance(engine, RemoteEngine)
    assert engine.snapshot().revision == source.revision
    assert type(make_policy_engine(settings)).__name__ == "EmbeddedEngine"


# ---- through the gateway -------------------------------------------------------------------


@pytest.mark.slow
def test_gateway_decides_remotely_and_fails_closed_when_pdp_stops(
    gateway_factory: Callable[..., GatewayServer], policy_dir: Path, anvil: Anvil
) -> None:
    assert SECRET  # the shared dev secret signs the tokens below
    pdp = PdpServer(load_policy_source(policy_dir), "opa").__enter__()  # as `governance pdp`
    policy = PolicyConfig(
        path=str(policy_dir), engine="remote", opa_url=pdp.url, opa_timeout_ms=2000
    )
    gw = gateway_factory(policy=policy)
    try:
        allowed_then_denied(gw, anvil)
    finally:
        pdp.__exit__()
    gone = rpc(gw.rpc_url(), "eth_blockNumber", [], bearer=token())
    assert gone.status_code == 503
    assert gone.json()["error"]["code"] == -32004
    records = recorded(gw)
    assert {r["revision"] for r in records} == {load_policy_source(policy_dir).revision}
    assert [r["outcome"] for r in records][:2] == ["allow", "deny"]

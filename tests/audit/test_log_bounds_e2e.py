"""Bounded waits on the decision log through the real gateway (HTTP, anvil, SQLite): a hung
database (another connection holds the write lock) flips the log to unhealthy within the append
timeout, and from then on writes and reads are refused -32006 at once, nothing is forwarded,
/readyz is 503; the queue of read records is bounded (refused, never dropped); a database
error on the request path is -32006, never HTTP 500; /status names no database detail."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import (
    ACCOUNTS,
    Anvil,
    GatewayServer,
    make_settings,
    rpc,
    signed_transfer,
    token,
    wait_for,
)


@pytest.fixture
def serve(tmp_path: Path, policy_dir: Path, fresh_anvil: Anvil) -> Iterator[Any]:
    started: list[GatewayServer] = []

    def make(**audit: Any) -> GatewayServer:
        settings = make_settings(fresh_anvil.url, policy_dir, tmp_path / "log.db")
        settings = replace(settings, audit=replace(settings.audit, **audit))
        started.append(GatewayServer(settings).__enter__())
        return started[-1]

    yield make
    for gw in started:
        gw.__exit__()


def db_path(gw: GatewayServer) -> Path:
    return Path(gw.settings.audit.database_url.removeprefix("sqlite:///"))


def hold_write_lock(gw: GatewayServer) -> sqlite3.Connection:
    """Another writer takes the database and does not let go: to the gateway, a hung log."""
    conn = sqlite3.connect(db_path(gw), isolation_level=None, timeout=30)
    conn.execute("BEGIN EXCLUSIVE")
    return conn


def count(gw: GatewayServer, where: str = "1=1") -> int:
    with sqlite3.connect(db_path(gw), timeout=30) as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM decisions WHERE {where}").fetchone()[0])


def write(gw: GatewayServer, node: Anvil) -> tuple[httpx.Response, float]:
    raw = signed_transfer(node, 0, ACCOUNTS[1].address, 1000)
    started = time.monotonic()
    resp = rpc(gw.rpc_url(), "eth_sendRawTransaction", [raw], bearer=token())
    return resp, time.monotonic() - started


def pending_nonce(node: Anvil) -> str:
    return str(node.rpc("eth_getTransactionCount", [ACCOUNTS[0].address, "pending"]))


def test_hung_database_refuses_at_once_and_recovers(serve: Any, fresh_anvil: Anvil) -> None:
    gw = serve(append_timeout_s=1.0, statement_timeout_s=60.0)
    assert write(gw, fresh_anvil)[0].json().get("result")
    nonce = pending_nonce(fresh_anvil)
    lock = hold_write_lock(gw)
    try:
        first, waited = write(gw, fresh_anvil)
        assert first.status_code == 503 and first.json()["error"]["code"] == -32006
        assert waited < 3.0, f"a write waited {waited:.1f} s for a hung log"
        later, waited = write(gw, fresh_anvil)
        assert later.json()["error"]["code"] == -32006 and waited < 0.5, waited
        read = rpc(gw.rpc_url(), "eth_blockNumber", bearer=token())
        assert read.status_code == 503 and read.json()["error"]["code"] == -32006
        assert httpx.get(f"{gw.url}/readyz", timeout=10).status_code == 503
        status = httpx.get(f"{gw.url}/status", timeout=10).json()["log"]
        assert status == {"healthy": False, "last_error": "append stalled"}
        assert pending_nonce(fresh_anvil) == nonce  # nothing was forwarded
    finally:
        lock.rollback()
        lock.close()
    ready = lambda: httpx.get(f"{gw.url}/readyz", timeout=10).status_code == 200  # noqa: E731
    wait_for(ready, timeout=15, interval=0.1, what="the log to recover")
    assert write(gw, fresh_anvil)[0].json().get("result")
    assert httpx.get(f"{gw.url}/status", timeout=10).json()["log"]["healthy"] is True


def test_read_queue_is_bounded_and_nothing_dropped(serve: Any) -> None:
    gw = serve(append_timeout_s=60.0, statement_timeout_s=60.0, max_queued_reads=5)
    before = count(gw)
    lock = hold_write_lock(gw)
    try:
        answers = [rpc(gw.rpc_url(), "eth_blockNumber", bearer=token()) for _ in range(12)]
    finally:
        lock.rollback()
        lock.close()
    served = [a for a in answers if a.status_code == 200 and "result" in a.json()]
    refused = [a for a in answers if a.status_code == 503]
    assert 5 <= len(served) <= 6 and len(served) + len(refused) == 12
    assert all(a.json()["error"]["code"] == -32006 for a in refused)
    # every answered read is recorded
    wait_for(lambda: count(gw) >= before + len(served), timeout=15, what="the answered reads")
    assert count(gw) == before + len(served)


def test_database_error_on_the_request_path_is_32006_not_500(
    serve: Any, fresh_anvil: Anvil
) -> None:
    gw = serve()
    with sqlite3.connect(db_path(gw)) as conn:
        conn.execute("DROP TABLE spend")  # the quota store's table: every write reads it
    nonce = pending_nonce(fresh_anvil)
    resp, _ = write(gw, fresh_anvil)
    assert resp.status_code == 503 and resp.json()["error"]["code"] == -32006
    message = resp.json()["error"]["message"]
    assert "spend" not in message and "SELECT" not in message and str(db_path(gw)) not in message
    assert pending_nonce(fresh_anvil) == nonce


def test_unauthenticated_status_shows_no_database_detail(serve: Any, fresh_anvil: Anvil) -> None:
    gw = serve()
    with sqlite3.connect(db_path(gw)) as conn:
        conn.execute(
            "CREATE TRIGGER no_more BEFORE INSERT ON decisions "
            "BEGIN SELECT RAISE(ABORT, 'disk /var/secret/path says no'); END"
        )
    assert write(gw, fresh_anvil)[0].json()["error"]["code"] == -32006
    body = httpx.get(f"{gw.url}/status", timeout=10).text  # no credentials
    assert '"healthy":false' in body.replace(" ", "")
    for detail in ("secret", "says no", "INSERT", "decisions", str(db_path(gw)), "sqlite"):
        assert detail not in body, detail

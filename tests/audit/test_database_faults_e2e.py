"""Database faults through the real gateway and anvil. PostgreSQL stopped in the middle of a
load: every write after the stop is refused -32006 and nothing reaches the node unrecorded;
when the server is back the gateway recovers by itself and no answered call's record is lost.
A SQLite log on a read-only file system: the gateway refuses to start, saying so."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
import jwt
import pytest

from governance.audit.sqlstore import SqlLog
from tests.audit.conftest import PgCluster, start_cluster
from tests.conftest import (
    ACCOUNTS,
    ROOT,
    SECRET,
    Anvil,
    GatewayServer,
    free_port,
    make_settings,
    rpc,
    signed_transfer,
    token,
    wait_for,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def own_cluster() -> Iterator[PgCluster]:
    """A server of its own: this test stops and starts it. Durable commits (fsync on, the
    shared test cluster turns it off): an immediate stop must not lose what was committed."""
    try:
        cluster = start_cluster(fsync=True)
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    yield cluster
    cluster.stop()


@dataclass
class Load:
    """One writer (sequential nonces) and two readers, until stopped."""

    gw: GatewayServer
    node: Anvil
    stop: threading.Event = field(default_factory=threading.Event)
    halted_at: float | None = None
    answered: list[str] = field(default_factory=list)  # decision ids of answered calls
    writes_after_halt: list[int] = field(default_factory=list)  # their HTTP statuses
    forwarded: int = 0

    def run(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._writes)]
        threads += [threading.Thread(target=self._reads) for _ in range(2)]
        for t in threads:
            t.start()
        return threads

    def _writes(self) -> None:
        while not self.stop.is_set():
            raw = signed_transfer(self.node, 0, ACCOUNTS[1].address, 1)
            sent = time.monotonic()
            resp = rpc(self.gw.rpc_url(), "eth_sendRawTransaction", [raw], bearer=token())
            if self.halted_at is not None and sent > self.halted_at:
                self.writes_after_halt.append(resp.status_code)
            if resp.status_code == 200:
                self.answered.append(resp.headers["x-decision-id"])
                self.forwarded += "result" in resp.json()
            else:
                time.sleep(0.05)

    def _reads(self) -> None:
        while not self.stop.is_set():
            resp = rpc(self.gw.rpc_url(), "eth_blockNumber", bearer=token())
            if resp.status_code == 200:
                self.answered.append(resp.headers["x-decision-id"])
            else:
                time.sleep(0.05)


def ready(gw: GatewayServer) -> bool:
    return httpx.get(f"{gw.url}/readyz", timeout=30).status_code == 200


def test_postgres_stopped_mid_load(
    own_cluster: PgCluster, policy_dir: Path, fresh_anvil: Anvil, tmp_path: Path
) -> None:
    url = own_cluster.database()
    settings = make_settings(fresh_anvil.url, policy_dir, tmp_path / "unused.db")
    audit = replace(
        settings.audit,
        database_url=url,
        connect_timeout_s=2.0,
        statement_timeout_s=5.0,
        append_timeout_s=3.0,
    )
    gw = GatewayServer(replace(settings, audit=audit)).__enter__()
    load = Load(gw, fresh_anvil)
    threads = load.run()
    try:
        wait_for(lambda: load.forwarded >= 10, timeout=60, what="the load to get going")
        own_cluster.stop_server()  # mid-load, calls in flight
        load.halted_at = time.monotonic()
        nonce_at_halt = fresh_anvil.rpc("eth_getTransactionCount", [ACCOUNTS[0].address, "pending"])
        time.sleep(3)
        assert not ready(gw)
        # Nothing reached the node while the log was down (one write may have been committed
        # just before the stop and forwarded right after).
        now = fresh_anvil.rpc("eth_getTransactionCount", [ACCOUNTS[0].address, "pending"])
        assert int(now, 16) - int(nonce_at_halt, 16) <= 1
        refused = load.writes_after_halt
        assert refused and set(refused) == {503}, refused
        own_cluster.start_server()
        wait_for(lambda: ready(gw), timeout=30, interval=0.2, what="the gateway to recover")
        forwarded = load.forwarded
        # writes go through again
        wait_for(lambda: load.forwarded >= forwarded + 5, timeout=30, what="writes to resume")
    finally:
        load.stop.set()
        for t in threads:
            t.join(60)
        gw.__exit__()  # a graceful stop flushes the queued read records
    store = SqlLog(url)
    try:
        recorded = {r["id"] for r in store.records(limit=1_000_000)}
    finally:
        store.close()
    print(
        f"PostgreSQL stopped mid-load: {len(refused)} writes refused while down, "
        f"{len(load.answered)} answered calls, {len(recorded)} records"
    )
    missing = set(load.answered) - recorded
    assert not missing, f"{len(missing)} answered calls have no record"
    accepted = int(fresh_anvil.rpc("eth_getTransactionCount", [ACCOUNTS[0].address, "latest"]), 16)
    assert accepted <= sum(1 for _ in recorded)  # every accepted write has a record (and more)


def test_a_nul_in_a_call_cannot_stop_the_log(
    pg_url: str, policy_dir: Path, fresh_anvil: Anvil, tmp_path: Path
) -> None:
    """PostgreSQL refuses a NUL in a text column, and the method, the caller's `sub` and `org`
    are copied into the log's. A read is answered before its record is stored and its record
    is retried until it is: a token whose `sub` held a NUL stopped the log for good with one
    read, and a method with one was refused -32006. Both are refused before any decision."""
    settings = make_settings(fresh_anvil.url, policy_dir, tmp_path / "unused.db")
    audit = replace(settings.audit, database_url=pg_url, append_timeout_s=3.0)
    with GatewayServer(replace(settings, audit=audit)) as gw:
        body = {"jsonrpc": "2.0", "id": 1, "method": "eth_get\x00Balance", "params": []}
        headers = {"Authorization": f"Bearer {token()}"}
        answer = httpx.post(gw.rpc_url(), json=body, headers=headers, timeout=10).json()
        assert answer["error"]["code"] == -32600, answer
        assert "printable" in answer["error"]["message"]
        claims = jwt.decode(token(), SECRET, algorithms=["HS256"]) | {"sub": "ali\x00ce"}
        nul_sub = jwt.encode(claims, SECRET, algorithm="HS256")  # mint_token refuses it
        refused = rpc(gw.rpc_url(), "eth_blockNumber", [], bearer=nul_sub)
        assert refused.status_code == 401, refused.text
        for _ in range(3):
            assert "result" in rpc(gw.rpc_url(), "eth_blockNumber", [], bearer=token()).json()
        assert ready(gw)


# ---- SQLite on a read-only file system -----------------------------------------------------


@pytest.fixture
def read_only_mount(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A folder and a read-only view of it (a bind mount): the log is created in the folder,
    then served from the read-only view, as after a disk was remounted read-only."""
    source, view = tmp_path / "disk", tmp_path / "ro"
    source.mkdir()
    view.mkdir()
    done = subprocess.run(["mount", "--bind", str(source), str(view)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"bind mounts not permitted here: {done.stderr.decode().strip()}")
    try:
        remount = ["mount", "-o", "remount,ro,bind", str(view)]
        subprocess.run(remount, check=True, capture_output=True)
        yield source, view
    finally:
        subprocess.run(["umount", str(view)], check=False, capture_output=True)


def test_sqlite_on_a_read_only_file_system_refuses_to_serve(
    read_only_mount: tuple[Path, Path], policy_dir: Path, tmp_path: Path
) -> None:
    source, view = read_only_mount
    writable = make_settings("http://127.0.0.1:9", policy_dir, source / "log.db")
    SqlLog(writable.audit.database_url).close()  # a log with its tables, as on a used disk
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "GOVERNANCE_JWT_SECRET": SECRET,
        "GOVERNANCE_POLICY_PATH": str(policy_dir),
        "GOVERNANCE_DATABASE_URL": f"sqlite:///{view / 'log.db'}",
        "GOVERNANCE_SIGNING_KEY_FILE": str(tmp_path / "signing.key"),
        "GOVERNANCE_LEDGER_URL": "http://127.0.0.1:9",
    }
    command = [sys.executable, "-m", "governance.cli", "serve", "--port", str(free_port())]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "audit.database_url: the decision log cannot be opened for writing" in done.stderr
    assert "Traceback" not in done.stderr

"""Crash durability: the gateway runs as its own process (`governance serve`) in front of anvil
with the shipped policies; several senders write concurrently; the gateway is SIGKILLed in the
middle of the load. Afterwards every transaction the node accepted from those senders must have
an `allow` write record in the log (a write is recorded durably before it is forwarded), and
the log must still verify."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account

from governance import cli
from governance.audit.sqlstore import SqlLog
from tests.conftest import KEYS, ROOT, SECRET, Anvil, free_port, serving, token, wait_for

pytestmark = pytest.mark.slow

VALUE_WEI = 1  # tiny domestic transfers: no threshold or travel-rule obligation applies
KILL_AFTER_ALLOWED = 60  # forwarded writes before the SIGKILL lands mid-load


@dataclass(frozen=True)
class Sender:
    key: str
    address: str
    recipient: str
    bearer: str


Gateway = tuple[subprocess.Popen[bytes], str, str]


def start_gateway(
    tmp_path: Path, policy_dir: Path, node: Anvil, config: Path | None = None
) -> Gateway:
    port = free_port()
    db = f"sqlite:///{tmp_path / 'log.db'}"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "GOVERNANCE_JWT_SECRET": SECRET,
        "GOVERNANCE_POLICY_PATH": str(policy_dir),
        "GOVERNANCE_DATABASE_URL": db,
        "GOVERNANCE_LEDGER_URL": node.url,
        "GOVERNANCE_SIGNING_KEY_FILE": str(tmp_path / "signing.key"),
        **({"GOVERNANCE_CONFIG": str(config)} if config else {}),
    }
    command = [sys.executable, "-m", "governance.cli", "serve", "--port", str(port)]
    with (tmp_path / "gateway.err").open("wb") as errors:  # the child keeps its own handle
        proc = subprocess.Popen(
            [*command, "--log-level", "warning"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        if serving(proc, f"{url}/healthz", timeout=60):
            return proc, url, db
    except AssertionError:
        proc.kill()
        raise
    raise RuntimeError((tmp_path / "gateway.err").read_text()[-3000:])


def candidate_senders(policy_dir: Path) -> list[Sender]:
    """Anvil accounts the shipped entity directory gives a verified org, each paying another
    address of its own org (or itself): domestic, so the load is made of allowed writes."""
    entities: dict[str, Any] = json.loads((policy_dir / "data" / "entities.json").read_text())
    senders = []
    for key in KEYS:
        address = Account.from_key(key).address.lower()
        entity = entities.get(address)
        if not isinstance(entity, dict) or entity.get("kyc") != "verified" or not entity.get("org"):
            continue
        peers = [a for a, e in entities.items() if isinstance(e, dict) and a != address
                 and e.get("org") == entity["org"] and e.get("kyc") == "verified"]  # fmt: skip
        bearer = token(
            sub=f"durable-{address[2:8]}", org=entity["org"], jurisdiction=entity["jurisdiction"],
            entity_kind=entity["entity_kind"],
        )  # fmt: skip
        senders.append(Sender(key, address, peers[0] if peers else address, bearer))
    return senders


def send(client: httpx.Client, url: str, sender: Sender, seq: int) -> dict[str, Any]:
    tx = {
        "type": 2, "chainId": 31337, "nonce": seq, "to": _checksum(sender.recipient),
        "value": VALUE_WEI, "gas": 21000, "maxFeePerGas": 2 * 10**9, "maxPriorityFeePerGas": 10**9,
    }  # fmt: skip
    raw = Account.from_key(sender.key).sign_transaction(tx).raw_transaction.hex()
    body = {"jsonrpc": "2.0", "id": seq, "method": "eth_sendRawTransaction",
            "params": ["0x" + raw.removeprefix("0x")]}  # fmt: skip
    headers = {"Authorization": f"Bearer {sender.bearer}"}
    doc: dict[str, Any] = client.post(f"{url}/rpc", json=body, headers=headers, timeout=30).json()
    return doc


def _checksum(address: str) -> str:
    from web3 import Web3

    return Web3.to_checksum_address(address)


class Load:
    """One thread per sender, each sending its nonces in order until the gateway dies."""

    def __init__(self, url: str, senders: list[Sender], node: Anvil) -> None:
        self.url = url
        self.senders = senders
        self.node = node
        self.allowed = 0
        self.lock = threading.Lock()
        self.enough = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(s,)) for s in senders]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join(60)

    def _run(self, sender: Sender) -> None:
        next_nonce = nonce(self.node, sender.address)
        with httpx.Client() as client:
            while True:
                try:
                    doc = send(client, self.url, sender, next_nonce)
                except (httpx.HTTPError, ValueError):
                    return  # the gateway is gone
                if "result" not in doc:
                    return  # denied or refused: this sender stops, the others go on
                next_nonce += 1
                with self.lock:
                    self.allowed += 1
                    if self.allowed >= KILL_AFTER_ALLOWED:
                        self.enough.set()


def allowed_senders(url: str, senders: list[Sender], node: Anvil) -> list[Sender]:
    """The senders whose first write the shipped policy allows (that write counts too)."""
    keep = []
    with httpx.Client() as client:
        for sender in senders:
            if "result" in send(client, url, sender, nonce(node, sender.address)):
                keep.append(sender)
    return keep


def nonce(node: Anvil, address: str) -> int:
    """Transactions the node took from `address` (anvil mines each at once)."""
    return int(node.rpc("eth_getTransactionCount", [address, "pending"]), 16)


def allowed_write_keys(db: str) -> set[tuple[str, int]]:
    """(sender, nonce) of every allowed write in the log."""
    store = SqlLog(db)
    try:
        keys = set()
        for row in store.iter_rows():
            if row.columns["kind"] == "write" and row.columns["outcome"] == "allow":
                tx = json.loads(row.body)["input"]["tx"]
                keys.add((str(tx["from"]).lower(), int(tx["nonce"])))
        return keys
    finally:
        store.close()


def sigkill_under_load(
    gateway: Gateway, policy_dir: Path, node: Anvil, loaded: Callable[[], None] = lambda: None
) -> list[Sender]:
    """Drives the load through the gateway process and SIGKILLs it once the load is going
    (and `loaded` has checked what it checks): requests are in flight. The senders used."""
    proc, url, _ = gateway
    try:
        senders = allowed_senders(url, candidate_senders(policy_dir), node)
        assert len(senders) >= 2, "the shipped policies allow too few senders for a load"
        load = Load(url, senders, node)
        load.start()
        assert load.enough.wait(120), "the load never got going"
        loaded()
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        load.join()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    return senders


def verifies(capsys: pytest.CaptureFixture[str], db: str, public_key: str) -> None:
    capsys.readouterr()
    code = cli.main(["audit", "verify", "--db", db, "--public-key", public_key])
    assert code == 0, capsys.readouterr().err


def test_every_write_the_node_accepted_is_in_the_log_after_sigkill(
    tmp_path: Path, policy_dir: Path, fresh_anvil: Anvil, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway = start_gateway(tmp_path, policy_dir, fresh_anvil)
    db = gateway[2]
    senders = sigkill_under_load(gateway, policy_dir, fresh_anvil)
    accepted = {(s.address, n) for s in senders for n in range(nonce(fresh_anvil, s.address))}
    assert len(accepted) >= KILL_AFTER_ALLOWED
    recorded = allowed_write_keys(db)
    assert accepted - recorded == set(), "writes reached the node without a record"
    # A write may be recorded and then lost with the process before it was forwarded.
    assert len(recorded) >= len(accepted)
    key = tmp_path / "signing.key.pub"
    if not key.exists():  # the gateway did not sign (no checkpointer wired): verify the tree
        key.write_text(_throwaway_public_key())
    verifies(capsys, db, str(key))


def test_sigkill_while_checkpoints_are_signed_then_restart(
    tmp_path: Path, policy_dir: Path, fresh_anvil: Anvil, capsys: pytest.CaptureFixture[str]
) -> None:
    """Checkpoints signed after every record, so the kill lands while one is being signed (or
    stored): the log still verifies, and a restarted gateway accepts its own history and signs
    on from there."""
    config = tmp_path / "governance.toml"
    config.write_text("[audit]\ncheckpoint_every = 1\ncheckpoint_seconds = 0.05\n")
    gateway = start_gateway(tmp_path, policy_dir, fresh_anvil, config)
    db = gateway[2]

    def signing() -> None:
        assert checkpoint_sizes(db), "no checkpoint signed under load"

    senders = sigkill_under_load(gateway, policy_dir, fresh_anvil, signing)
    at_kill = max(checkpoint_sizes(db))
    key = str(tmp_path / "signing.key.pub")
    verifies(capsys, db, key)
    proc, url, db = start_gateway(tmp_path, policy_dir, fresh_anvil, config)
    try:
        with httpx.Client() as client:
            for sender in senders[:2]:
                # A write in flight at the kill may still be landing in the node's pool, so the
                # pending nonce is read again until a fresh one is taken.
                def accepted(s: Any = sender) -> bool:
                    return "result" in send(client, url, s, nonce(fresh_anvil, s.address))

                wait_for(accepted, timeout=15, what="a write through the restarted gateway")
        # signing goes on after the restart
        wait_for(lambda: max(checkpoint_sizes(db)) > at_kill, timeout=30, what="a new checkpoint")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    verifies(capsys, db, key)


def checkpoint_sizes(db: str) -> list[int]:
    store = SqlLog(db)
    try:
        return [cp.size for cp in store.checkpoints()]
    finally:
        store.close()


def _throwaway_public_key() -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    public = Ed25519PrivateKey.generate().public_key()
    return public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()

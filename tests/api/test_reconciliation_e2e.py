"""Reconciliation of the decision log with what a real anvil node mined, through a real gateway
over HTTP: effects that changed between the decision and the block get one follow-up record,
transactions of governed addresses that went around the gateway are reported by `governance
audit reconcile` and by GET /audit/reconciliation, each reader sees its own scope."""

from __future__ import annotations

import itertools
import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from web3 import Web3

from governance import cli
from governance.audit.reconcile import EFFECTS_DIFFER, Finding
from governance.audit.reconcile_store import ReconcileStore
from governance.audit.sqlstore import SqlLog
from governance.domain.records import new_ulid
from tests.conftest import (
    ACCOUNTS,
    Anvil,
    GatewayServer,
    make_settings,
    rpc,
    start_anvil,
    token,
    wait_for,
)
from tests.contracts import deploy, register_asset, send_direct, web3_for

OWNER = ACCOUNTS[0]  # acme-us treasury (entities.json)
ACME_OPS = Web3.to_checksum_address("0xd72b31eebd9ddff8648cdfe3951706f18b86cc6e")  # acme-us
HANSE = ACCOUNTS[4].address  # hanse-de
USDC = 10**6
FINNEY = 10**15
ACME_AUDITOR = token(sub="audrey", org="acme-us", roles=("auditor",))
PANDA_AUDITOR = token(sub="wei", org="panda-cn", jurisdiction="CN", roles=("auditor",))
US_REGULATOR = token(sub="reg", org="fincen", roles=("regulator",))


@pytest.fixture
def node() -> Iterator[Anvil]:
    anvil = start_anvil()
    yield anvil
    anvil.stop()


Serve = Callable[..., GatewayServer]


@pytest.fixture
def serve(node: Anvil, policy_dir: Path, tmp_path: Path) -> Serve:
    """A gateway in front of `node` (or `node_url`), each with its own log, reconciling in the
    background every `every` seconds (0: never); start it with `with`."""
    logs = itertools.count()

    def make(every: float = 0.0, node_url: str | None = None) -> GatewayServer:
        db = tmp_path / f"log{next(logs)}.db"
        settings = make_settings(node_url or node.url, policy_dir, db)
        settings = replace(settings, audit=replace(settings.audit, reconcile_seconds=every))
        return GatewayServer(settings)

    return make


Reconcile = Callable[..., tuple[int, dict[str, Any]]]


@pytest.fixture
def reconcile(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Reconcile:
    """`governance audit reconcile` on a gateway's log and node; (exit code, JSON)."""

    def run(gw: GatewayServer, *extra: str) -> tuple[int, dict[str, Any]]:
        monkeypatch.delenv("GOVERNANCE_CONFIG", raising=False)
        monkeypatch.setenv("GOVERNANCE_DATABASE_URL", gw.settings.audit.database_url)
        monkeypatch.setenv("GOVERNANCE_LEDGER_URL", gw.settings.default_ledger.url)
        monkeypatch.setenv("GOVERNANCE_POLICY_PATH", gw.settings.policy.path)
        code = cli.main(["audit", "reconcile", "--ledger", "main", *extra])
        return code, json.loads(capsys.readouterr().out)

    return run


def demo_usdc(node: Anvil, policy_dir: Path) -> tuple[Web3, Any]:
    """A USDC stand-in deployed straight to the node, all 100 to OWNER, registered as a
    stablecoin in the policy tree; (web3, the contract)."""
    w3 = web3_for(node)
    usdc = deploy(w3, "DemoToken", "Demo Dollar", "USDC", 6, 100 * USDC)
    register_asset(policy_dir, usdc.address, "USDC", "stablecoin", 6)
    return w3, usdc


def signed(w3: Web3, tx: dict[str, Any], nonce: int, key: Any = OWNER) -> str:
    full = {
        "chainId": 31337,
        "nonce": nonce,
        "gas": 200_000,
        "maxFeePerGas": 2 * 10**9,
        "maxPriorityFeePerGas": 10**9,
        "value": 0,
        **tx,
    }
    return "0x" + bytes(Account.sign_transaction(full, key.key).raw_transaction).hex()


def send_raw(gw: GatewayServer, raw: str) -> tuple[str, str]:
    """(transaction hash, decision id) of a write the gateway allowed."""
    resp = rpc(gw.rpc_url(), "eth_sendRawTransaction", [raw], bearer=token())
    assert "result" in resp.json(), resp.text
    return resp.json()["result"], resp.headers["x-decision-id"]


def log_records(gw: GatewayServer, kind: str) -> list[dict[str, Any]]:
    db = gw.settings.audit.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT record FROM decisions WHERE kind = ? ORDER BY leaf_index", [kind]
        )
        return [json.loads(r[0]) for r in rows]


def stored_finding(
    gw: GatewayServer, tx_hash: str, receipt: Any, decision_id: str, detail: dict[str, Any]
) -> str:
    """Stores an effects_differ finding of `tx_hash` the way a run does before it appends
    the follow-up record; returns the record id it names."""
    log = SqlLog(gw.settings.audit.database_url)
    try:
        record_id = new_ulid()
        finding = Finding(
            "main", tx_hash, receipt["blockNumber"], EFFECTS_DIFFER, "acme-us", ("US",),
            OWNER.address.lower(), decision_id, record_id, detail, "2026-12-02T00:00:00.000000Z",
        )  # fmt: skip
        assert ReconcileStore(log.engine).add_finding(finding)
    finally:
        log.close()
    return record_id


def reconciliation(gw: GatewayServer, bearer: str | None, **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    return httpx.get(f"{gw.url}/audit/reconciliation", params=params, headers=headers, timeout=10)


def findings(gw: GatewayServer, bearer: str, **params: Any) -> list[dict[str, Any]]:
    resp = reconciliation(gw, bearer, **params)
    assert resp.status_code == 200, resp.text
    items: list[dict[str, Any]] = resp.json()["items"]
    return items


def competing_transfers(node: Anvil, gw: GatewayServer, usdc: Any) -> tuple[str, str]:
    """Two allowed transfers of 60 from a balance of 100, mined in one block: the one with the
    later nonce is decided first, while the earlier one does not exist yet, so each is
    simulated on 100; mined second, it reverts. (its hash, its decision id)"""
    w3 = web3_for(node)
    transfer = usdc.functions.transfer(ACME_OPS, 60 * USDC)._encode_transaction_data()
    nonce = w3.eth.get_transaction_count(OWNER.address)
    node.rpc("evm_setAutomine", [False])
    later, later_id = send_raw(gw, signed(w3, {"to": usdc.address, "data": transfer}, nonce + 1))
    earlier, _ = send_raw(gw, signed(w3, {"to": usdc.address, "data": transfer}, nonce))
    node.rpc("evm_mine")
    assert w3.eth.get_transaction_receipt(earlier)["status"] == 1
    assert w3.eth.get_transaction_receipt(later)["status"] == 0  # 40 left
    return later, later_id


@pytest.mark.parametrize("interrupted", [False, True])
def test_effects_changed_before_mining_get_exactly_one_followup_record(
    interrupted: bool,
    caplog: pytest.LogCaptureFixture,
    node: Anvil,
    policy_dir: Path,
    serve: Serve,
    reconcile: Reconcile,
) -> None:
    w3, usdc = demo_usdc(node, policy_dir)
    first_block = w3.eth.block_number + 1  # the deployment went straight to the node
    with serve() as gw:
        later, later_id = competing_transfers(node, gw, usdc)

        missing = [
            {
                "kind": "erc20",
                "contract": usdc.address.lower(),
                "from": OWNER.address.lower(),
                "to": ACME_OPS.lower(),
                "value": str(60 * USDC),
                "token_id": None,
            }
        ]
        if interrupted:  # an earlier run stored the finding and stopped before its record
            stopped = stored_finding(
                gw,
                later,
                w3.eth.get_transaction_receipt(later),
                later_id,
                {"status": "reverted", "missing": missing, "unexpected": []},
            )
        code, doc = reconcile(gw, "--from-block", str(first_block))
        assert code == 1
        [found] = doc["findings"]
        if interrupted:
            assert found["record_id"] == stopped
        assert found["finding"] == "effects_differ" and found["tx_hash"] == later
        assert found["decision_id"] == later_id and found["org"] == "acme-us"
        assert found["detail"]["status"] == "reverted"
        assert found["detail"]["missing"] == missing
        assert doc["compared"] == 2 and doc["new_findings"] == 1
        [warning] = [r for r in caplog.records if r.name == "governance.reconciliation"]
        assert warning.levelname == "WARNING" and later in warning.getMessage()
        assert found["record_id"] in warning.getMessage()

        again, doc = reconcile(gw, "--from-block", str(first_block))
        assert again == 1 and doc["new_findings"] == 0 and len(doc["findings"]) == 1
        [followup] = log_records(gw, "reconciliation")  # one record, not one per run
        assert followup["id"] == found["record_id"] and followup["outcome"] == "mismatch"
        assert followup["input"]["decision_id"] == later_id
        assert followup["input"]["tx"]["hash"] == later
        assert followup["input"]["tx"]["status"] == "reverted"
        assert followup["input"]["mined"] == [] and followup["input"]["source"] == "trace"
        assert followup["result"]["missing"] == found["detail"]["missing"]
        assert followup["subject"]["org"] == "acme-us"

        [seen] = findings(gw, ACME_AUDITOR)
        assert seen["record_id"] == followup["id"]
        assert findings(gw, PANDA_AUDITOR) == []
        decision = httpx.get(
            f"{gw.url}/audit/decisions/{followup['id']}",
            headers={"Authorization": f"Bearer {ACME_AUDITOR}"},
            timeout=10,
        )
        assert decision.status_code == 200 and decision.json()["kind"] == "reconciliation"


def test_the_background_reconciler_follows_up_once_and_counts(
    node: Anvil, policy_dir: Path, serve: Serve
) -> None:
    w3, usdc = demo_usdc(node, policy_dir)
    with serve(every=0.2) as gw:
        later, later_id = competing_transfers(node, gw, usdc)
        wait_for(lambda: findings(gw, ACME_AUDITOR, finding="effects_differ"), timeout=20)
        time.sleep(1.0)  # several more rounds
        [found] = findings(gw, ACME_AUDITOR, finding="effects_differ")
        assert (found["tx_hash"], found["decision_id"]) == (later, later_id)
        [followup] = log_records(gw, "reconciliation")
        assert followup["id"] == found["record_id"]
        metrics = httpx.get(f"{gw.url}/metrics", timeout=10).text
        counted = 'governance_reconciliation_findings_total{finding="effects_differ",ledger="main"}'
        assert f"{counted} 1.0" in metrics
        assert f'governance_reconciled_block{{ledger="main"}} {w3.eth.block_number}.0' in metrics


def test_a_transfer_around_the_gateway_is_reported_to_its_readers_only(
    node: Anvil, serve: Serve, reconcile: Reconcile
) -> None:
    w3 = web3_for(node)
    with serve(every=0.2) as gw:  # the background reconciler
        nonce = w3.eth.get_transaction_count(OWNER.address)
        allowed, _ = send_raw(gw, signed(w3, {"to": ACME_OPS, "value": FINNEY}, nonce))
        around = send_direct(w3, 0, {"to": ACME_OPS, "value": 2 * FINNEY})  # straight to the node
        bypass = "0x" + bytes(around["transactionHash"]).hex()
        wait_for(lambda: findings(gw, ACME_AUDITOR), timeout=20, what="the bypass finding")
        [seen] = findings(gw, ACME_AUDITOR)
        assert seen["finding"] == "bypass" and seen["tx_hash"] == bypass
        assert seen["sender"] == OWNER.address.lower() and seen["block"] == around["blockNumber"]
        assert seen["detail"] == {
            "to": ACME_OPS.lower(),
            "nonce": nonce + 1,
            "value": str(2 * FINNEY),
        }
        assert [f["tx_hash"] for f in findings(gw, US_REGULATOR)] == [bypass]
        assert findings(gw, PANDA_AUDITOR) == []  # another org's auditor
        assert findings(gw, ACME_AUDITOR, finding="effects_differ") == []
        metrics = httpx.get(f"{gw.url}/metrics", timeout=10).text
        assert (
            'governance_reconciliation_findings_total{finding="bypass",ledger="main"} 1.0'
            in metrics
        )

        code, doc = reconcile(gw)
        assert code == 1
        assert [(f["finding"], f["tx_hash"]) for f in doc["findings"]] == [("bypass", bypass)]
        assert allowed not in {f["tx_hash"] for f in doc["findings"]}
        assert log_records(gw, "reconciliation") == []  # a bypass has no decision to follow up

        # A second one, from another org: pages of one finding each, in order.
        hanse = send_direct(w3, 4, {"to": ACME_OPS, "value": FINNEY})
        second = "0x" + bytes(hanse["transactionHash"]).hex()
        code, doc = reconcile(gw)
        assert code == 1 and [f["tx_hash"] for f in doc["findings"]] == [bypass, second]
        admin = token(roles=("admin",))
        first = reconciliation(gw, admin, limit=1).json()
        assert [f["tx_hash"] for f in first["items"]] == [bypass] and first["next_cursor"]
        rest = reconciliation(gw, admin, limit=1, cursor=first["next_cursor"]).json()
        assert [f["tx_hash"] for f in rest["items"]] == [second] and rest["next_cursor"] is None
        assert [f["tx_hash"] for f in findings(gw, ACME_AUDITOR)] == [bypass]


def test_a_clean_run_exits_0(node: Anvil, serve: Serve, reconcile: Reconcile) -> None:
    w3 = web3_for(node)
    with serve() as gw:
        nonce = w3.eth.get_transaction_count(OWNER.address)
        send_raw(gw, signed(w3, {"to": ACME_OPS, "value": FINNEY}, nonce))
        # A write from an account the node holds: the node picks its hash.
        resp = rpc(
            gw.rpc_url(),
            "eth_sendTransaction",
            [
                {
                    "from": OWNER.address,
                    "to": ACME_OPS,
                    "value": hex(3 * FINNEY),
                    "nonce": hex(nonce + 1),
                }
            ],
            bearer=token(),
        )
        assert "result" in resp.json(), resp.text
        code, doc = reconcile(gw)
        assert (code, doc["findings"], doc["compared"]) == (0, [], 2)
        assert doc["from_block"] == 0 and doc["to_block"] == w3.eth.block_number
        code, doc = reconcile(gw)  # nothing new to scan, still clean
        assert (code, doc["findings"], doc["blocks"]) == (0, [], 0)


def test_the_endpoint_is_for_audit_roles_and_checks_its_parameters(
    gateway_factory: Any,
) -> None:
    gw = gateway_factory()
    assert reconciliation(gw, None).status_code == 401
    trader = reconciliation(gw, token())
    assert trader.status_code == 403 and trader.json()["error"]["code"]
    assert reconciliation(gw, ACME_AUDITOR).json() == {"items": [], "next_cursor": None}
    decisions_cursor = "bGVhZjox"
    assert reconciliation(gw, ACME_AUDITOR, cursor=decisions_cursor).status_code == 400
    assert reconciliation(gw, ACME_AUDITOR, finding="other").status_code == 422
    assert reconciliation(gw, ACME_AUDITOR, from_block=-1).status_code == 422


def test_a_failing_round_is_named_in_status_and_retried(serve: Serve) -> None:
    with serve(every=0.1, node_url="http://127.0.0.1:9") as gw:
        status = lambda: httpx.get(f"{gw.url}/status", timeout=10).json()["reconciliation"]  # noqa: E731
        state = wait_for(lambda: (s := status())["last_error"] and s, timeout=20)
        assert state == {"every_s": 0.1, "last_error": "ledger main: LedgerUnavailable"}
    with serve(every=0.1) as gw:
        time.sleep(0.5)  # a few rounds on a reachable node
        state = httpx.get(f"{gw.url}/status", timeout=10).json()["reconciliation"]
        assert state == {"every_s": 0.1, "last_error": None}

"""Writes decided on their simulated effects, through a real gateway in front of a real anvil
node with the test contracts deployed: what the policy sees (input.simulation, effects,
approvals, contracts), what the log keeps (tx hash, effects, spend), and the denials."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_utils import keccak
from web3 import Web3

from governance.config import LedgerConfig
from governance.policy.source import parse_sdn_csv
from tests.conftest import ACCOUNTS, ROOT, GatewayServer, rpc, token
from tests.contracts import Deployed, deploy, transact_direct

SANCTIONED = sorted(parse_sdn_csv((ROOT / "policies/data/sdn.csv").read_text()))[0]
CHECKSUMMED = Web3.to_checksum_address(SANCTIONED)
OWNER = ACCOUNTS[0].address.lower()
HANSE = ACCOUNTS[4].address  # hanse-de (entities.json)
# Two institutions whose jurisdictions ask for travel-rule data only above thresholds far
# higher than the amounts below (entities.json).
HARBOUR = Web3.to_checksum_address("0x4c49f1ec95ef36efd8d2d67a36dc8616208be5da")  # harbour-hk
FALCON = Web3.to_checksum_address("0xe72680f3db9bce2a89bfb2201248045576fc8e04")  # falcon-ae
FINNEY = 10**15


def signed(chain: Deployed, call: Any, value: int = 0, key: int = 0) -> str:
    acct = ACCOUNTS[key]
    tx = {
        "chainId": 31337,
        "nonce": chain.w3.eth.get_transaction_count(acct.address, "pending"),
        "gas": 500_000,
        "maxFeePerGas": 2 * 10**9,
        "maxPriorityFeePerGas": 10**9,
        "to": call.address,
        "data": call._encode_transaction_data(),
        "value": value,
    }
    return "0x" + bytes(Account.sign_transaction(tx, acct.key).raw_transaction).hex()


def send(gw: GatewayServer, raw: str) -> dict[str, Any]:
    resp = rpc(gw.rpc_url(), "eth_sendRawTransaction", [raw], bearer=token())
    return {"doc": resp.json(), "id": resp.headers["x-decision-id"]}


def record(gw: GatewayServer, decision_id: str) -> dict[str, Any]:
    db = gw.settings.audit.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        [row] = conn.execute("SELECT record FROM decisions WHERE id = ?", [decision_id])
        spend = conn.execute("SELECT amount_usd FROM spend WHERE decision_id = ?", [decision_id])
        doc = json.loads(row[0])
        doc["spend"] = [r[0] for r in spend]
    return dict(doc)


def codes(answer: dict[str, Any]) -> list[str]:
    return [r["code"] for r in answer["doc"]["error"]["data"]["reasons"]]


@pytest.fixture
def gw(chain: Deployed, gateway_factory: Callable[..., GatewayServer]) -> GatewayServer:
    return gateway_factory(node_url=chain.node.url)


def test_multisend_effects_are_in_the_input_and_the_log(chain: Deployed, gw: GatewayServer) -> None:
    call = chain.multisend.functions.sendEther([HARBOUR, FALCON], [FINNEY, 2 * FINNEY])
    raw = signed(chain, call, value=3 * FINNEY)
    answer = send(gw, raw)
    assert "result" in answer["doc"], json.dumps(answer["doc"])
    rec = record(gw, answer["id"])
    doc = rec["input"]
    assert doc["simulation"] == {"mode": "simulate_v1", "status": "ok", "reason": None}
    assert doc["tx"]["hash"] == "0x" + keccak(hexstr=raw).hex()
    multisend = chain.multisend.address.lower()
    assert [
        (e["kind"], e["from"]["address"], e["to"]["address"], e["value"], e["depth"])
        for e in doc["effects"]
    ] == [
        ("native", OWNER, multisend, "0.003", 0),
        ("native", multisend, HARBOUR.lower(), "0.001", 1),
        ("native", multisend, FALCON.lower(), "0.002", 1),
    ]
    harbour = doc["effects"][1]
    assert harbour["to"]["org"] == "harbour-hk" and harbour["to"]["jurisdiction"] == "HK"
    assert harbour["asset"]["symbol"] == "ETH" and harbour["asset"]["known"] is True
    assert harbour["amount_usd"] == pytest.approx(2.5)
    assert doc["contracts"] == [
        {
            "address": multisend,
            "registered": False,
            "name": None,
            "kind": None,
            "org": None,
            "jurisdiction": None,
        }
    ]
    # What leaves the caller's org counts once, not again when the contract forwards it.
    assert rec["spend"] == [pytest.approx(7.5)]
    assert chain.w3.eth.get_transaction_receipt(doc["tx"]["hash"])["status"] == 1


def test_an_approval_is_recorded_and_is_not_spend(chain: Deployed, gw: GatewayServer) -> None:
    call = chain.erc20.functions.approve(chain.multisend.address, 5_000 * 10**6)
    answer = send(gw, signed(chain, call))
    assert "result" in answer["doc"], json.dumps(answer["doc"])
    rec = record(gw, answer["id"])
    [approval] = rec["input"]["approvals"]
    assert approval["kind"] == "erc20" and approval["amount"] == "5000"
    assert approval["spender"]["address"] == chain.multisend.address.lower()
    assert approval["asset"]["symbol"] == "USDC" and approval["approved"] is True
    assert rec["input"]["effects"] == [] and sum(rec["spend"]) == 0  # no row, or 0


def test_transfer_from_inside_a_contract_is_an_effect(chain: Deployed, gw: GatewayServer) -> None:
    transact_direct(chain.w3, 0, chain.erc20.functions.approve(chain.multisend.address, 10**9))
    call = chain.multisend.functions.sendTokens(chain.erc20.address, [CHECKSUMMED], [100 * 10**6])
    nonce = chain.w3.eth.get_transaction_count(ACCOUNTS[0].address)
    answer = send(gw, signed(chain, call))
    effects = record(gw, answer["id"])["input"]["effects"]
    assert [
        (e["kind"], e["to"]["address"], e["to"]["sanctioned"], e["value"], e["amount_usd"])
        for e in effects
    ] == [("erc20", SANCTIONED, True, "100", 100.0)]
    assert "SANCTIONED_PARTY" in codes(answer)
    assert chain.w3.eth.get_transaction_count(ACCOUNTS[0].address) == nonce


def test_ether_to_a_sanctioned_address_through_multisend_is_denied(
    chain: Deployed, gw: GatewayServer
) -> None:
    nonce = chain.w3.eth.get_transaction_count(ACCOUNTS[0].address)
    call = chain.multisend.functions.sendEther([CHECKSUMMED], [10 * FINNEY])
    answer = send(gw, signed(chain, call, value=10 * FINNEY))
    assert answer["doc"]["error"]["code"] == -32003 and "SANCTIONED_PARTY" in codes(answer)
    assert chain.w3.eth.get_transaction_count(ACCOUNTS[0].address) == nonce


def test_unknown_token_has_no_value(chain: Deployed, gw: GatewayServer) -> None:
    # Deployed by account 1: account 0's first addresses are the demo assets' placeholders.
    unknown = deploy(chain.w3, "DemoToken", "Mystery", "MYST", 18, 10**24, key=1)
    transact_direct(chain.w3, 1, unknown.functions.transfer(ACCOUNTS[0].address, 10**20))
    answer = send(gw, signed(chain, unknown.functions.transfer(HANSE, 10**18)))
    [effect] = record(gw, answer["id"])["input"]["effects"]
    assert effect["asset"] == {
        "symbol": None,
        "class": None,
        "decimals": None,
        "contract": unknown.address.lower(),
        "known": False,
    }
    assert effect["amount_usd"] is None and effect["value"] == str(10**18)
    assert "UNKNOWN_ASSET" in codes(answer)


def test_simulated_revert_carries_the_reason(chain: Deployed, gw: GatewayServer) -> None:
    call = chain.multisend.functions.sendEther([HANSE], [FINNEY])  # sends 5 wei, not 1 finney
    answer = send(gw, signed(chain, call, value=5))
    doc = record(gw, answer["id"])["input"]
    assert doc["simulation"]["status"] == "reverted"
    assert doc["simulation"]["reason"] == "ether transfer failed" and doc["effects"] == []
    assert "SIMULATION_REVERTED" in codes(answer)


def test_simulation_timeout_is_unavailable(
    chain: Deployed, gateway_factory: Callable[..., GatewayServer], tmp_path: Path
) -> None:
    ledger = LedgerConfig(
        name="main",
        url=chain.node.url,
        chain_id=31337,
        default=True,
        simulation="trace_call",
        simulation_timeout_s=1e-6,
    )
    gw = gateway_factory(ledgers=(ledger,))
    nonce = chain.w3.eth.get_transaction_count(ACCOUNTS[0].address)
    answer = send(gw, signed(chain, chain.multisend.functions.sendEther([HANSE], [1]), value=1))
    sim = record(gw, answer["id"])["input"]["simulation"]
    assert sim["mode"] == "trace_call" and sim["status"] == "unavailable"
    assert "timed out" in sim["reason"]
    assert answer["doc"]["error"]["code"] == -32003
    assert "SIMULATION_UNAVAILABLE" in codes(answer)
    assert chain.w3.eth.get_transaction_count(ACCOUNTS[0].address) == nonce


def test_node_down_is_502_not_a_decision(
    chain: Deployed, gateway_factory: Callable[..., GatewayServer]
) -> None:
    gw = gateway_factory(node_url="http://127.0.0.1:9")
    raw = signed(chain, chain.multisend.functions.sendEther([HANSE], [1]), value=1)
    resp = rpc(gw.rpc_url(), "eth_sendRawTransaction", [raw], bearer=token())
    assert resp.status_code == 502 and resp.json()["error"]["code"] == -32005


def send_transaction(gw: GatewayServer, chain: Deployed, call: Any, value: int) -> dict[str, Any]:
    """eth_sendTransaction from dev account 0, which the node holds (anvil unlocks it); with
    its nonce, which the policy input requires."""
    tx = {
        "from": ACCOUNTS[0].address,
        "nonce": hex(chain.w3.eth.get_transaction_count(ACCOUNTS[0].address, "pending")),
        "to": call.address,
        "value": hex(value),
        "data": call._encode_transaction_data(),
    }
    resp = rpc(gw.rpc_url(), "eth_sendTransaction", [tx], bearer=token())
    return {"doc": resp.json(), "id": resp.headers["x-decision-id"]}


def test_node_held_account_is_simulated_and_denied_on_a_bypass(
    chain: Deployed, gw: GatewayServer
) -> None:
    nonce = chain.w3.eth.get_transaction_count(ACCOUNTS[0].address)
    call = chain.multisend.functions.sendEther([CHECKSUMMED], [10 * FINNEY])
    answer = send_transaction(gw, chain, call, 10 * FINNEY)
    assert answer["doc"]["error"]["code"] == -32003 and "SANCTIONED_PARTY" in codes(answer)
    doc = record(gw, answer["id"])["input"]
    assert doc["tx"]["hash"] is None and doc["simulation"]["status"] == "ok"
    multisend = chain.multisend.address.lower()
    assert [(e["from"]["address"], e["to"]["address"], e["value"]) for e in doc["effects"]] == [
        (OWNER, multisend, "0.01"),
        (multisend, SANCTIONED, "0.01"),
    ]
    assert doc["effects"][1]["to"]["sanctioned"] is True
    assert chain.w3.eth.get_transaction_count(ACCOUNTS[0].address) == nonce


def test_node_held_account_is_simulated_and_allowed(chain: Deployed, gw: GatewayServer) -> None:
    call = chain.multisend.functions.sendEther([HARBOUR], [FINNEY])
    answer = send_transaction(gw, chain, call, FINNEY)
    assert "result" in answer["doc"], json.dumps(answer["doc"])
    doc = record(gw, answer["id"])["input"]
    assert doc["simulation"]["status"] == "ok"
    assert [(e["to"]["address"], e["depth"]) for e in doc["effects"]] == [
        (chain.multisend.address.lower(), 0),
        (HARBOUR.lower(), 1),
    ]
    assert chain.w3.eth.get_transaction_receipt(answer["doc"]["result"])["status"] == 1

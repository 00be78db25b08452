"""Licences and the travel rule's VASP fields end to end: real gateway, real anvil, signed
transactions, the shipped policies and demo directory, plus two VASPs whose licence ends
yesterday and today (added to a test copy of the directory, since the request day is the
gateway's clock)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from web3 import Web3

from governance.policy.travel_rule import travel_rule_header
from tests.conftest import KEYS, Anvil, GatewayServer, legal, rpc, shipped_tree_copy, token

ACME = Account.from_key(KEYS[0])  # acme-us institution, anvil account 0
UNLICENSED = "0x5e1a7c0ffee0000000000000000000000000a002"  # gulch-us: no licence
LICENSED = "0x5e1a7c0ffee0000000000000000000000000a001"  # prairie-us: FinCEN MSB
EXPIRED = "0x5e1a7c0ffee0000000000000000000000000b001"  # added below: ended yesterday
LAST_DAY = "0x5e1a7c0ffee0000000000000000000000000b002"  # added below: ends today


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    today = datetime.now(UTC).date()

    def add_licensed_msbs(entities: dict[str, Any]) -> None:
        for address, until in ((EXPIRED, today - timedelta(days=1)), (LAST_DAY, today)):
            entities[address] = {
                "org": f"msb-{address[-4:]}",
                "jurisdiction": "US",
                "entity_kind": "vasp",
                "kyc": "verified",
                "self_hosted": False,
                "licences": [
                    {
                        "regime": "US FinCEN MSB",
                        "licence_id": "31000000000099",
                        "status": "active",
                        "valid_until": until.isoformat(),
                    }
                ],
            }

    return shipped_tree_copy(tmp_path_factory.mktemp("licensing"), entities=add_licensed_msbs)


@pytest.fixture
def gw(gateway_factory: Any, policies: Path) -> GatewayServer:
    return gateway_factory(policy_path=policies)


def send_finney(
    gw: GatewayServer, anvil: Anvil, to: str, value: int = 10**15, headers: Any = None
) -> httpx.Response:
    nonce = int(anvil.rpc("eth_getTransactionCount", [ACME.address, "pending"]), 16)
    tx = {
        "type": 2,
        "chainId": 31337,
        "nonce": nonce,
        "to": Web3.to_checksum_address(to),
        "value": value,
        "gas": 21_000,
        "maxFeePerGas": 2 * 10**9,
        "maxPriorityFeePerGas": 10**9,
    }
    raw = "0x" + ACME.sign_transaction(tx).raw_transaction.hex().removeprefix("0x")
    return rpc(gw.rpc_url(), "eth_sendRawTransaction", [raw], bearer=token(), headers=headers)


def reasons(resp: httpx.Response) -> list[dict[str, Any]]:
    doc = resp.json()
    if "result" in doc:
        return []
    assert doc["error"]["code"] == -32003, doc
    return list(doc["error"]["data"]["reasons"])


def test_transfer_to_unlicensed_vasp_refused(gw: GatewayServer, anvil: Anvil) -> None:
    [reason] = reasons(send_finney(gw, anvil, UNLICENSED))
    assert (reason["code"], reason["jurisdiction"]) == ("COUNTERPARTY_UNLICENSED", "US")
    assert reason["regulation"].startswith("31 U.S.C. 5330; 31 CFR 1022.380")
    assert UNLICENSED in reason["message"]


def test_transfer_to_licensed_vasp_allowed(gw: GatewayServer, anvil: Anvil) -> None:
    resp = send_finney(gw, anvil, LICENSED)
    assert resp.json()["result"].startswith("0x"), resp.json()
    assert anvil.rpc("eth_getBalance", [LICENSED, "pending"]) != "0x0"


def test_licence_counts_through_its_last_day(gw: GatewayServer, anvil: Anvil) -> None:
    assert reasons(send_finney(gw, anvil, LAST_DAY)) == []
    assert [r["code"] for r in reasons(send_finney(gw, anvil, EXPIRED))] == [
        "COUNTERPARTY_UNLICENSED"
    ]


def test_travel_rule_names_the_beneficiary_vasp(
    gw: GatewayServer, anvil: Anvil, policies: Path
) -> None:
    """Above the US travel-rule threshold (USD 3,000) the payload must name prairie-us, the
    recipient's VASP in the directory, and no other."""
    eth_usd = json.loads((policies / "data" / "rates.json").read_text())["ETH"]
    value = int(5000 / eth_usd * 10**18)
    payload = {
        "originator": {
            "originatorPersons": [legal("Acme Trading Inc.", "US")],
            "accountNumber": [ACME.address],
        },
        "beneficiary": {
            "beneficiaryPersons": [legal("Prairie Coin Exchange LLC", "US")],
            "accountNumber": [LICENSED],
        },
    }

    def naming(lei: str | None) -> dict[str, str]:
        doc = dict(payload)
        if lei:
            nid = {"nationalIdentifier": lei, "nationalIdentifierType": "LEIX"}
            doc["beneficiaryVASP"] = {
                "beneficiaryVASP": {"legalPerson": {"nationalIdentification": nid}}
            }
        return {"X-Travel-Rule": travel_rule_header(doc)}

    for lei in (None, "5493001GULCHSWAP0033", "5493009UNKNOWNVA0099"):
        resp = send_finney(gw, anvil, LICENSED, value, naming(lei))
        assert [r["code"] for r in reasons(resp)] == ["TRAVEL_RULE_INVALID"], lei
    resp = send_finney(gw, anvil, LICENSED, value, naming("5493001PRAIRIECE0022"))
    assert resp.json()["result"].startswith("0x"), resp.json()

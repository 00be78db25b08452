"""Sanctions lists end to end: real gateway, real anvil, the shipped lists (OFAC SDN and EU
consolidated samples). A listed address is refused citing the list that names it; a travel-rule
name matching a listed name is refused; the stored decision names the lists and their digests
and never holds the screened names; the node never sees a refused transaction."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
from eth_account import Account

from tests.conftest import (
    KEYS,
    ROOT,
    Anvil,
    GatewayServer,
    legal,
    natural,
    nonce_of,
    raw_tx,
    rpc,
    token,
    travel_rule,
)

ACCT = [Account.from_key(k) for k in KEYS]
EU_LISTED = "0x00000000000000000000000000000000000e0f5f"  # data/eu_fsf.csv, entity 990002
EU_REGULATION = (
    "EU consolidated list of persons, groups and entities subject to EU financial sanctions "
    "(asset freeze under the CFSP restrictive-measures regulations, e.g. Council Regulation "
    "(EU) No 269/2014); FATF Recommendation 6"
)
USD_5000_IN_WEI = 2 * 10**18  # above the US travel-rule threshold (USD 3,000) at ETH >= 1,500


def stored(gw: GatewayServer, decision_id: str) -> dict[str, Any]:
    admin = token(sub="root", org="gateway", roles=("admin",))
    resp = httpx.get(
        f"{gw.url}/audit/decisions/{decision_id}",
        headers={"Authorization": f"Bearer {admin}"},
        timeout=30,
    )
    resp.raise_for_status()
    doc: dict[str, Any] = resp.json()
    return doc


def refusal(resp: httpx.Response) -> dict[str, Any]:
    doc = resp.json()
    assert doc["error"]["code"] == -32003, doc
    data: dict[str, Any] = doc["error"]["data"]
    return data


def test_eu_listed_address_refused_citing_the_eu_list(gateway: GatewayServer, anvil: Anvil) -> None:
    before = nonce_of(anvil, 0)
    raw = raw_tx(0, EU_LISTED, 10**15, before)
    data = refusal(rpc(gateway.rpc_url(), "eth_sendRawTransaction", [raw], bearer=token()))
    [reason] = [r for r in data["reasons"] if r["code"] == "SANCTIONED_PARTY"]
    assert reason["regulation"] == EU_REGULATION
    assert "EU consolidated financial sanctions list" in reason["message"]
    assert nonce_of(anvil, 0) == before  # never forwarded


def test_travel_rule_name_on_the_eu_list_refused(gateway: GatewayServer, anvil: Anvil) -> None:
    sender, recipient = ACCT[0].address, ACCT[5].address  # acme-us -> lion-sg
    listed = travel_rule(
        legal("Acme Corp", "US"), sender, natural("Dmitry SAMPLEVITCH", "SG"), recipient
    )
    before = nonce_of(anvil, 0)
    raw = raw_tx(0, recipient, USD_5000_IN_WEI, before)
    resp = rpc(gateway.rpc_url(), "eth_sendRawTransaction", [raw], bearer=token(), headers=listed)
    data = refusal(resp)
    [reason] = [r for r in data["reasons"] if r["code"] == "SANCTIONED_NAME_MATCH"]
    assert reason["regulation"] == EU_REGULATION
    assert "Dmitry SAMPLEVICH" in reason["message"] and "threshold 90" in reason["message"]
    assert nonce_of(anvil, 0) == before

    record = stored(gateway, data["decision_id"])
    screening = record["input"]["screening"]
    # The screened names are masked before storage; the match itself stays for replays.
    [match] = screening["matches"]
    assert "name" not in match and match["listed_name"] == "Dmitry SAMPLEVICH"
    assert "/screening/matches/0/name" in record["masked"]
    digests = {entry["id"]: entry["digest"] for entry in screening["lists"]}
    on_disk = {
        "ofac_sdn": (ROOT / "policies" / "data" / "sdn.csv").read_bytes(),
        "eu_fsf": (ROOT / "policies" / "data" / "eu_fsf.csv").read_bytes(),
    }
    assert digests == {k: hashlib.sha256(v).hexdigest() for k, v in on_disk.items()}


def test_unrelated_names_pass_screening(gateway: GatewayServer, anvil: Anvil) -> None:
    sender, recipient = ACCT[0].address, ACCT[5].address
    clean = travel_rule(legal("Acme Corp", "US"), sender, natural("Dmitri Ivanov", "SG"), recipient)
    raw = raw_tx(0, recipient, USD_5000_IN_WEI, nonce_of(anvil, 0))
    resp = rpc(gateway.rpc_url(), "eth_sendRawTransaction", [raw], bearer=token(), headers=clean)
    assert "result" in resp.json(), resp.text

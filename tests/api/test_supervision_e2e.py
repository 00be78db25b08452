"""Jurisdiction rules end to end: real gateway, real anvil, signed transactions, shipped
policies (with rates pinned in a test copy so USD amounts are exact)."""

from __future__ import annotations

import base64
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (
    ACCOUNTS,
    Anvil,
    GatewayServer,
    legal,
    natural,
    nonce_of,
    outcome,
    raw_tx,
    rpc,
    token,
    travel_rule,
    wei_for_usd,
)

WBTC = "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512"  # virtual_currency in assets.json


@pytest.fixture
def gw(gateway_factory: Any, pinned_policies: Path) -> GatewayServer:
    return gateway_factory(policy_path=pinned_policies)


@pytest.mark.parametrize("round_", [1, 2])
def test_cn_individual_fx_quota_race_gives_exactly_five(
    gw: GatewayServer, anvil: Anvil, round_: int
) -> None:
    """Twenty concurrent USD 10,000 cross-border transfers against a fresh USD 50,000 quota."""
    sender, recipient = ACCOUNTS[2].address, ACCOUNTS[4].address  # panda-cn individual -> hanse-de
    bearer = token(
        sub=f"li-wei-{round_}", org="panda-cn", jurisdiction="CN", entity_kind="individual"
    )
    headers = travel_rule(natural("Li Wei", "CN"), sender, legal("Hanse Bank AG", "DE"), recipient)
    # Denied nonces leave gaps, so each round takes a fresh nonce range the node will queue.
    start = nonce_of(anvil, 2) + 100 * round_
    bodies = [raw_tx(2, recipient, wei_for_usd(Decimal(10_000)), start + i) for i in range(20)]

    def send(raw: str) -> tuple[str, list[str]]:
        return outcome(
            rpc(gw.rpc_url(), "eth_sendRawTransaction", [raw], bearer=bearer, headers=headers)
        )

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(send, bodies))
    counts = Counter(o for o, _ in results)
    assert counts["allow"] == 5, results
    assert all("FX_QUOTA_EXCEEDED" in codes for o, codes in results if o == "deny"), results


@pytest.mark.parametrize(
    ("usd", "with_header", "expected"),
    [
        (Decimal(2999), False, ("allow", [])),
        (Decimal(3000), False, ("deny", ["TRAVEL_RULE_MISSING"])),
        (Decimal(3001), False, ("deny", ["TRAVEL_RULE_MISSING"])),
        (Decimal(3000), True, ("allow", [])),
        (Decimal(3001), True, ("allow", [])),
    ],
)
def test_us_travel_rule_threshold(
    gw: GatewayServer,
    anvil: Anvil,
    usd: Decimal,
    with_header: bool,
    expected: tuple[str, list[str]],
) -> None:
    sender, recipient = (
        ACCOUNTS[0].address,
        ACCOUNTS[1].address,
    )  # acme-us institution -> US individual
    headers = (
        travel_rule(legal("Acme Corp", "US"), sender, natural("Ann Lee", "US"), recipient)
        if with_header
        else {}
    )
    raw = raw_tx(0, recipient, wei_for_usd(usd), nonce_of(anvil, 0))
    resp = rpc(gw.rpc_url(), "eth_sendRawTransaction", [raw], bearer=token(), headers=headers)
    assert outcome(resp) == expected


def test_us_travel_rule_header_not_matching_the_transaction(
    gw: GatewayServer, anvil: Anvil
) -> None:
    sender, recipient = ACCOUNTS[0].address, ACCOUNTS[1].address
    wrong = travel_rule(
        legal("Acme Corp", "US"), sender, natural("Ann Lee", "US"), ACCOUNTS[5].address
    )  # beneficiary account is not the recipient
    raw = raw_tx(0, recipient, wei_for_usd(Decimal(5000)), nonce_of(anvil, 0))
    resp = rpc(gw.rpc_url(), "eth_sendRawTransaction", [raw], bearer=token(), headers=wrong)
    assert outcome(resp) == ("deny", ["TRAVEL_RULE_INVALID"])
    garbage = {"X-Travel-Rule": "%%%not-base64%%%"}
    resp = rpc(gw.rpc_url(), "eth_sendRawTransaction", [raw], bearer=token(), headers=garbage)
    assert outcome(resp) == ("deny", ["TRAVEL_RULE_INVALID"])
    # JSON the engine cannot take (an unpaired surrogate, an integer beyond 64 bits): denied
    # with the reason like any bad payload, never a server error
    for body in (b'{"originator": {"x": "\\ud800"}}', b'{"originator": 1180591620717411303424}'):
        bad = {"X-Travel-Rule": base64.urlsafe_b64encode(body).decode().rstrip("=")}
        resp = rpc(gw.rpc_url(), "eth_sendRawTransaction", [raw], bearer=token(), headers=bad)
        assert outcome(resp) == ("deny", ["TRAVEL_RULE_INVALID"]), resp.text


def test_eu_transfer_to_self_hosted_wallet(gw: GatewayServer, anvil: Anvil) -> None:
    sender, wallet = (
        ACCOUNTS[4].address,
        ACCOUNTS[7].address,
    )  # hanse-de -> self-hosted wallet in DE
    bearer = token(sub="hanse-ops", org="hanse-de", jurisdiction="DE")
    base = {
        "originator": legal("Hanse Bank AG", "DE"),
        "sender": sender,
        "beneficiary": natural("Max Muster", "DE"),
        "recipient": wallet,
    }
    plain = travel_rule(base["originator"], sender, base["beneficiary"], wallet)
    raw = raw_tx(4, wallet, wei_for_usd(Decimal(2000)), nonce_of(anvil, 4))  # > EUR 1,000
    denied = rpc(gw.rpc_url(), "eth_sendRawTransaction", [raw], bearer=bearer, headers=plain)
    assert outcome(denied) == ("deny", ["SELF_HOSTED_UNVERIFIED"])
    attested = travel_rule(
        base["originator"],
        sender,
        base["beneficiary"],
        wallet,
        selfHostedVerification={
            "method": "signature",
            "address": wallet,
            "verifiedAt": "2026-11-01",
        },
    )
    allowed = rpc(gw.rpc_url(), "eth_sendRawTransaction", [raw], bearer=bearer, headers=attested)
    assert outcome(allowed) == ("allow", [])
    small = raw_tx(4, wallet, wei_for_usd(Decimal(500)), nonce_of(anvil, 4))  # < EUR 1,000
    resp = rpc(gw.rpc_url(), "eth_sendRawTransaction", [small], bearer=bearer, headers=plain)
    assert outcome(resp) == ("allow", [])


def test_cn_individual_cannot_move_virtual_currency(gw: GatewayServer, anvil: Anvil) -> None:
    transfer = (
        bytes.fromhex("a9059cbb")
        + bytes(12)
        + bytes.fromhex(ACCOUNTS[3].address[2:])
        + (10**8).to_bytes(32, "big")
    )
    raw = raw_tx(2, WBTC, 0, nonce_of(anvil, 2), data=transfer)
    bearer = token(sub="li-wei-vc", org="panda-cn", jurisdiction="CN", entity_kind="individual")
    state, codes = outcome(rpc(gw.rpc_url(), "eth_sendRawTransaction", [raw], bearer=bearer))
    assert state == "deny" and "VIRTUAL_CURRENCY_BANNED" in codes

"""The effects part of the policy input: valuation, unknown assets, contract registry and the
amount a write commits against limits."""

from __future__ import annotations

from typing import Any

from governance.config import LedgerConfig
from governance.domain.reference import Reference
from governance.ledger.evm import WriteFacts
from governance.ledger.simulation import Approval, Movement, Simulation
from governance.policy.effects import effects_input, outgoing_usd

USDC, ROUTER, MYST = "0x" + "aa" * 20, "0x" + "bb" * 20, "0x" + "cc" * 20
ME, MINE, THEM = "0x" + "01" * 20, "0x" + "02" * 20, "0x" + "03" * 20
REF = Reference(
    entities={MINE: {"org": "acme"}, THEM: {"org": "other", "jurisdiction": "DE"}},
    assets={USDC: {"symbol": "USDC", "class": "stablecoin", "decimals": 6}},
    rates={"ETH": 2000.0, "USDC": 1.0},
    sanctions={},
    contracts={ROUTER: {"name": "Router", "kind": "router", "org": None, "jurisdiction": "CH"}},
)
LEDGER = LedgerConfig(name="main", url="http://x", chain_id=1)
WRITE = WriteFacts(ME, ROUTER, 0, 1, 0, b"\x01", None, "0x" + "ff" * 32)


def build(*items: Movement | Approval, status: str = "ok") -> dict[str, Any]:
    moves = tuple(i for i in items if isinstance(i, Movement))
    approvals = tuple(i for i in items if isinstance(i, Approval))
    sim = Simulation("simulate_v1", status, None, moves, approvals, (ROUTER, USDC, MYST))
    doc = effects_input(sim, WRITE, LEDGER, REF)
    return {**doc, "subject": {"org": "acme"}, "tx": {"from": ME}}


def test_values_and_unknown_assets() -> None:
    doc = build(
        Movement("erc20", USDC, ME, ROUTER, 2_500_000, None, 0),
        Movement("erc20", MYST, ROUTER, THEM, 10**18, None, 1),
        Movement("native", None, ME, THEM, 10**17, None, 1),
    )
    usdc, myst, eth = doc["effects"]
    assert (usdc["value"], usdc["amount_usd"], usdc["asset"]["known"]) == ("2.5", 2.5, True)
    assert (myst["value"], myst["amount_usd"], myst["asset"]["known"]) == (str(10**18), None, False)
    assert (eth["value"], eth["amount_usd"], eth["to"]["org"]) == ("0.1", 200.0, "other")
    assert [(c["address"], c["registered"], c["kind"]) for c in doc["contracts"]] == [
        (ROUTER, True, "router"),
        (USDC, False, None),
        (MYST, False, None),
    ]


def test_spend_is_what_leaves_the_org_once_and_approvals_never_count() -> None:
    doc = build(
        Movement("native", None, ME, ROUTER, 10**18, None, 0),  # leaves: 2000
        Movement("native", None, ROUTER, THEM, 10**18, None, 1),  # forwarded: not again
        Movement("erc20", USDC, ME, MINE, 10**6, None, 1),  # stays in the org
        Movement("erc20", USDC, MINE, THEM, 3 * 10**6, None, 1),  # leaves from the org: 3
        Approval("erc20", USDC, ME, THEM, 10**12, True),
    )
    assert outgoing_usd(doc) == 2003.0
    assert doc["approvals"][0]["amount"] == "1000000"
    assert outgoing_usd(build(status="reverted")) is None

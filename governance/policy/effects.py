"""The simulated effects of a write as policy input (docs/policy-input.md): `simulation`,
`effects` (every value movement, valued and with both parties enriched), `approvals` (never
spend) and `contracts` (tx.to and every contract touched, from the contract registry)."""

from __future__ import annotations

from typing import Any

from governance.config import LedgerConfig
from governance.domain.reference import Reference, format_units, to_units
from governance.ledger.evm import WriteFacts
from governance.ledger.simulation import Approval, Movement, Simulation


def effects_input(
    sim: Simulation, write: WriteFacts | None, ledger: LedgerConfig, reference: Reference
) -> dict[str, Any]:
    return {
        "simulation": {"mode": sim.mode, "status": sim.status, "reason": sim.reason},
        "effects": [_effect(m, ledger, reference) for m in sim.movements],
        "approvals": [_approval(a, reference) for a in sim.approvals],
        "contracts": _contracts(sim, write, reference),
    }


def _asset(contract: str | None, ledger: LedgerConfig, reference: Reference) -> dict[str, Any]:
    if contract is None:
        return {**ledger.native_asset.to_input(), "contract": None, "known": True}
    asset = reference.asset(contract)
    if asset is None:
        return {
            "symbol": None,
            "class": None,
            "contract": contract,
            "decimals": None,
            "known": False,
        }
    return {**asset.to_input(), "known": True}


def _effect(m: Movement, ledger: LedgerConfig, reference: Reference) -> dict[str, Any]:
    asset = _asset(m.contract, ledger, reference)
    decimals = asset["decimals"] if m.kind in ("native", "erc20") else 0
    if decimals is None:  # unknown token: raw units, and no value in USD
        value, usd = str(m.value), None
    else:
        value = format_units(m.value, decimals)
        usd = reference.usd(asset["symbol"], to_units(m.value, decimals))
    return {
        "kind": m.kind,
        "asset": asset,
        "from": reference.entity(m.sender).to_input(),
        "to": reference.entity(m.recipient).to_input(),
        "value": value,
        "token_id": None if m.token_id is None else str(m.token_id),
        "amount_usd": usd,
        "depth": m.depth,
    }


def _approval(a: Approval, reference: Reference) -> dict[str, Any]:
    asset = reference.asset(a.contract)
    amount: str | None = None
    if a.amount is not None:
        decimals = asset.decimals if asset is not None and a.kind == "erc20" else 0
        amount = format_units(a.amount, decimals)
    return {
        "kind": a.kind,
        "owner": reference.entity(a.owner).to_input(),
        "spender": reference.entity(a.spender).to_input(),
        "asset": {**asset.to_input(), "known": True}
        if asset is not None
        else {
            "symbol": None,
            "class": None,
            "contract": a.contract,
            "decimals": None,
            "known": False,
        },
        "amount": amount,
        "approved": a.approved,
    }


def _contracts(
    sim: Simulation, write: WriteFacts | None, reference: Reference
) -> list[dict[str, Any]]:
    addresses = list(sim.touched)
    if write is not None and write.to is not None and write.data:
        target = write.to.lower()
        addresses = [target, *(a for a in addresses if a != target)]
    out = []
    for address in addresses:
        doc = reference.contracts.get(address)
        out.append(
            {
                "address": address,
                "registered": doc is not None,
                "name": None if doc is None else doc.get("name"),
                "kind": None if doc is None else doc.get("kind"),
                "org": None if doc is None else doc.get("org"),
                "jurisdiction": None if doc is None else doc.get("jurisdiction"),
            }
        )
    return out


def outgoing_usd(policy_input: dict[str, Any]) -> float | None:
    """What the write moves out of the caller's org in USD: the sum of the effects from the
    sending address or another address of the caller's org to anyone outside it. None when
    the write was not simulated (the calldata's amount stands). Approvals never count."""
    if (policy_input.get("simulation") or {}).get("status") != "ok":
        return None
    org = policy_input["subject"]["org"]
    sender = ((policy_input.get("tx") or {}).get("from") or "").lower()
    total = 0.0
    for effect in policy_input.get("effects") or []:
        src, dst = effect["from"], effect["to"]
        ours = src["address"] == sender or (org is not None and src["org"] == org)
        leaves = dst["address"] != sender and (org is None or dst["org"] != org)
        if ours and leaves and effect["amount_usd"] is not None:
            total += float(effect["amount_usd"])
    return total

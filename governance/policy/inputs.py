"""Builds the policy input document (docs/policy-input.md) from what the gateway knows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from governance.config import LedgerConfig
from governance.domain.models import Asset, Subject
from governance.domain.reference import Reference, format_units, to_units
from governance.ledger.evm import CallFacts, WriteFacts
from governance.ledger.methods import CALLS, RAW_STATE, raw_state_contract
from governance.ledger.rpc import RpcRequest
from governance.ledger.scan import scan
from governance.ledger.simulation import Simulation
from governance.ledger.transactions import selector
from governance.policy.effects import effects_input
from governance.policy.screening import screening_input

# Calls that spend nothing read no aggregates (docs/policy-input.md, `aggregates`).
NO_AGGREGATES: dict[str, Any] = {"person": None, "person_30d_usd": 0.0, "by_jurisdiction": {}}

NO_EFFECTS: dict[str, Any] = {"simulation": None, "effects": [], "approvals": [], "contracts": []}


@dataclass(frozen=True)
class Envelope:
    """Everything about one JSON-RPC element that is known before the decision."""

    decision_id: str
    received_at: str  # RFC 3339 UTC
    started: float  # perf_counter() at arrival, for the recorded latency
    ledger: LedgerConfig
    request: RpcRequest
    subject: Subject
    facts: CallFacts
    travel_rule: dict[str, Any] | None
    travel_rule_errors: tuple[str, ...]


def build_input(
    envelope: Envelope,
    reference: Reference,
    aggregates: dict[str, Any] | None = None,
    simulation: Simulation | None = None,
) -> dict[str, Any]:
    """`simulation` is None for calls that are not writes (then `input.simulation` is null)."""
    facts = envelope.facts
    tx: dict[str, Any] | None = None
    parties: dict[str, Any] = {}
    if facts.write is not None:
        tx, parties = _write_input(facts.write, envelope, reference)
    effects = (
        effects_input(simulation, facts.write, envelope.ledger, reference)
        if simulation is not None
        else NO_EFFECTS
    )
    return {
        "request": {
            "id": envelope.decision_id,
            "ledger": envelope.ledger.name,
            "chain_id": envelope.ledger.chain_id,
            "method": envelope.request.method,
            "kind": facts.kind,
            "received_at": envelope.received_at,
            "day": envelope.received_at[:10],
            "year": envelope.received_at[:4],
            "decode_error": facts.decode_error,
        },
        "subject": envelope.subject.to_input(),
        "tx": tx,
        "parties": parties,
        "travel_rule": envelope.travel_rule,
        "travel_rule_errors": list(envelope.travel_rule_errors),
        "screening": screening_input(envelope.travel_rule, reference)
        if facts.kind == "write"
        else None,
        "aggregates": dict(aggregates or NO_AGGREGATES),
        "exports": None,  # set by governance/export_volume.py when data would leave China
        "read": _read_input(envelope, reference) if facts.kind in ("read", "unknown") else None,
        **effects,
    }


def _write_input(
    w: WriteFacts, envelope: Envelope, reference: Reference
) -> tuple[dict[str, Any], dict[str, Any]]:
    asset, raw_amount, holder, beneficiary = _movement(w, envelope.ledger, reference)
    units = to_units(raw_amount, asset.decimals)
    usd = reference.usd(asset.symbol, units)
    sender = reference.entity(holder)
    recipient = reference.entity(beneficiary)
    tx = {
        "hash": w.tx_hash,
        "from": w.sender,
        "to": w.to,
        "nonce": w.nonce,
        "chain_id": w.chain_id,
        "value": format_units(raw_amount, asset.decimals),
        "asset": asset.to_input(),
        "amount_usd": usd or 0.0,
        "rate_known": usd is not None,
        "selector": selector(w.data),
        "token_transfer": w.token is not None and w.token.call != "approve",
        "token_call": None if w.token is None else w.token.call,
        "cross_border": recipient.jurisdiction != envelope.subject.jurisdiction,
    }
    return tx, {"sender": sender.to_input(), "recipient": recipient.to_input()}


def funds_owner(envelope: Envelope, reference: Reference) -> str | None:
    """The address whose funds a write moves (the signer, or the `from` of transferFrom);
    None when the write could not be decoded."""
    w = envelope.facts.write
    if envelope.facts.kind != "write" or w is None:
        return None
    return _movement(w, envelope.ledger, reference)[2].lower()


def _movement(
    w: WriteFacts, ledger: LedgerConfig, reference: Reference
) -> tuple[Asset, int, str, str | None]:
    """(asset moved, raw amount, holder whose funds move, beneficiary)."""
    if w.token is None:
        return ledger.native_asset, w.value, w.sender, w.to
    asset = reference.asset(w.token.token) or Asset(
        symbol="UNKNOWN", asset_class="unknown", decimals=18, contract=w.token.token
    )
    return asset, w.token.amount, w.token.holder, w.token.recipient


def _read_input(envelope: Envelope, reference: Reference) -> dict[str, Any]:
    method = envelope.request.method
    params = envelope.request.params if envelope.request.params is not None else []
    addresses = envelope.facts.read_addresses
    if method in CALLS:  # any directory address anywhere in the calldata is a party
        addresses = tuple(dict.fromkeys(addresses + scan(params, reference.address_index)))
    parties = [reference.entity(a) for a in addresses]
    residency = sorted({p.jurisdiction for p in parties if p.jurisdiction})
    read: dict[str, Any] = {
        "params": params,
        "parties": [p.to_input() for p in parties],
        "residency": residency,
        "raw_state": method in RAW_STATE,  # always sent: a missing field is refused
        "contract": None,
    }
    if method in RAW_STATE:
        contract = raw_state_contract(method, params)
        read["contract"] = None if contract is None else reference.entity(contract).to_input()
    return read

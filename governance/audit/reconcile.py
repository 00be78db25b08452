"""Reconciliation of decisions with what was mined: pure values and comparisons (docs/audit.md,
"Reconciliation"). The reading of blocks and the storage live elsewhere
(governance/ledger/mined.py, governance/audit/reconcile_store.py, governance/reconciliation.py).

Two findings:
- `effects_differ`: an allowed write was mined, and the value movements it made are not the
  ones its simulation showed (the state changed between the decision and the block). A
  follow-up record is appended to the decision log.
- `bypass`: a mined transaction sent from an address of a governed org (an entity of the
  directory with an org) that no allow decision explains: it went around the gateway.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from governance.domain.records import DecisionRecord

EFFECTS_DIFFER = "effects_differ"
BYPASS = "bypass"
FINDINGS = (EFFECTS_DIFFER, BYPASS)
RECORD_KIND = "reconciliation"  # `kind` of a follow-up record; never a decision
RECORD_METHOD = "reconcile"
RECORD_OUTCOME = "mismatch"


@dataclass(frozen=True, order=True)
class Effect:
    """One value movement in raw units; depth is left out on purpose: eth_simulateV1 only
    approximates it, and the same movement at another depth is the same movement."""

    kind: str
    contract: str | None
    sender: str
    recipient: str
    value: int
    token_id: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "contract": self.contract,
            "from": self.sender,
            "to": self.recipient,
            "value": str(self.value),
            "token_id": None if self.token_id is None else str(self.token_id),
        }


@dataclass(frozen=True)
class Expected:
    """What an allow decision for a write said would happen, from its record."""

    decision_id: str
    ledger: str
    tx_hash: str | None  # null for eth_sendTransaction: the node picks the hash
    sender: str
    nonce: int | None
    to: str | None
    effects: tuple[Effect, ...] | None  # None: not simulated, or masked in the record
    # Internal ether moves are lost to a receipt; the comparison then leaves them out.
    internal_native: tuple[bool, ...] = ()


@dataclass(frozen=True)
class Difference:
    missing: tuple[Effect, ...]  # simulated, not mined
    unexpected: tuple[Effect, ...]  # mined, not simulated

    def __bool__(self) -> bool:
        return bool(self.missing or self.unexpected)


@dataclass(frozen=True)
class Finding:
    ledger: str
    tx_hash: str
    block: int
    finding: str  # effects_differ | bypass
    org: str | None
    jurisdictions: tuple[str, ...]
    sender: str
    decision_id: str | None  # the allow decision (effects_differ)
    record_id: str | None  # the follow-up record (effects_differ)
    detail: dict[str, Any]
    time: str

    def to_json(self) -> dict[str, Any]:
        return {
            "ledger": self.ledger,
            "tx_hash": self.tx_hash,
            "block": self.block,
            "finding": self.finding,
            "org": self.org,
            "jurisdictions": list(self.jurisdictions),
            "sender": self.sender,
            "decision_id": self.decision_id,
            "record_id": self.record_id,
            "detail": self.detail,
            "time": self.time,
        }


# ---- reading the record --------------------------------------------------------------------


def expected_of(record: Mapping[str, Any]) -> Expected | None:
    """The expectation of an allowed write's record; None for anything else (reads, denials,
    undecodable writes)."""
    if record.get("kind") != "write" or record.get("outcome") != "allow":
        return None
    doc = record.get("input") or {}
    tx = doc.get("tx") if isinstance(doc, dict) else None
    if not isinstance(tx, dict) or not isinstance(tx.get("from"), str):
        return None
    simulated = _recorded_effects(doc)
    return Expected(
        decision_id=str(record["id"]),
        ledger=str(record.get("ledger", "")),
        tx_hash=_lower(tx.get("hash")),
        sender=tx["from"].lower(),
        nonce=tx["nonce"] if isinstance(tx.get("nonce"), int) else None,
        to=_lower(tx.get("to")),
        effects=None if simulated is None else tuple(e for e, _ in simulated),
        internal_native=() if simulated is None else tuple(i for _, i in simulated),
    )


def _recorded_effects(doc: Mapping[str, Any]) -> list[tuple[Effect, bool]] | None:
    if (doc.get("simulation") or {}).get("status") != "ok":
        return None
    effects = doc.get("effects")
    if not isinstance(effects, list):
        return None  # masked before storage: nothing to compare with
    try:
        return [_recorded_effect(e) for e in effects]
    except (KeyError, TypeError, ValueError, InvalidOperation):
        return None


def _recorded_effect(e: Mapping[str, Any]) -> tuple[Effect, bool]:
    """The stored effect (whole units, enriched parties) back in raw units."""
    asset = e["asset"]
    decimals = asset.get("decimals") if e["kind"] in ("native", "erc20") else 0
    raw = Decimal(str(e["value"])).scaleb(int(decimals or 0))
    if raw != raw.to_integral_value():
        raise ValueError(f"effect value {e['value']} is not a whole number of raw units")
    token_id = e.get("token_id")
    effect = Effect(
        kind=str(e["kind"]),
        contract=_lower(asset.get("contract")),
        sender=str(e["from"]["address"]).lower(),
        recipient=str(e["to"]["address"]).lower(),
        value=int(raw),
        token_id=None if token_id is None else int(token_id),
    )
    return effect, effect.kind == "native" and int(e.get("depth") or 0) > 0


def _lower(value: Any) -> str | None:
    return value.lower() if isinstance(value, str) else None


# ---- comparing -----------------------------------------------------------------------------


def compare(expected: Expected, mined: Iterable[Effect], *, internal_visible: bool) -> Difference:
    """Multiset difference, order aside. Without a trace (`internal_visible` false) internal
    ether moves are left out of the simulated side: a receipt cannot show them."""
    simulated = list(expected.effects or ())
    if not internal_visible:
        flags = expected.internal_native or (False,) * len(simulated)
        simulated = [e for e, internal in zip(simulated, flags, strict=True) if not internal]
    want, got = Counter(simulated), Counter(mined)
    return Difference(
        missing=tuple(sorted((want - got).elements(), key=_sort_key)),
        unexpected=tuple(sorted((got - want).elements(), key=_sort_key)),
    )


def _sort_key(e: Effect) -> tuple[str, str, str, str, int, int]:
    return (e.kind, e.contract or "", e.sender, e.recipient, e.value, e.token_id or 0)


# ---- who is governed -----------------------------------------------------------------------


def governed_addresses(
    entities: Mapping[str, Mapping[str, Any]],
) -> dict[str, tuple[str, str | None]]:
    """address -> (org, jurisdiction) for every directory address that belongs to an org."""
    out: dict[str, tuple[str, str | None]] = {}
    for address, doc in entities.items():
        org = doc.get("org")
        if isinstance(org, str) and org:
            jurisdiction = doc.get("jurisdiction")
            out[address.lower()] = (org, jurisdiction if isinstance(jurisdiction, str) else None)
    return out


# ---- the follow-up record ------------------------------------------------------------------


@dataclass(frozen=True)
class Mined:
    """The mined side of one allowed write."""

    tx_hash: str
    block: int
    sender: str
    to: str | None
    nonce: int
    status: str  # ok | reverted
    source: str  # trace | receipt
    effects: tuple[Effect, ...]


def followup_record(
    decision: Mapping[str, Any], mined: Mined, diff: Difference, record_id: str, now: str
) -> DecisionRecord:
    """The record appended when an allowed write's mined effects differ from its simulated
    ones (docs/design.md section 6, "Follow-up records"). It carries the decision's subject,
    ledger and applied jurisdictions, so the readers of the decision read it too."""
    result = decision.get("result") or {}
    simulated = ((decision.get("input") or {}).get("effects")) or []
    return DecisionRecord(
        id=record_id,
        time=now,
        ledger=str(decision.get("ledger", "")),
        method=RECORD_METHOD,
        kind=RECORD_KIND,
        subject=dict(decision.get("subject") or {}),
        input={
            "decision_id": decision["id"],
            "tx": {
                "hash": mined.tx_hash,
                "block": mined.block,
                "from": mined.sender,
                "to": mined.to,
                "nonce": mined.nonce,
                "status": mined.status,
            },
            "source": mined.source,
            "simulated": simulated,
            "mined": [e.to_json() for e in mined.effects],
        },
        result={
            "finding": EFFECTS_DIFFER,
            "jurisdictions": list(result.get("jurisdictions") or []),
            "reasons": [],
            "missing": [e.to_json() for e in diff.missing],
            "unexpected": [e.to_json() for e in diff.unexpected],
        },
        outcome=RECORD_OUTCOME,
        revision=str(decision.get("revision", "")),
        latency_us=0,
    )


def differ_finding(
    decision: Mapping[str, Any], mined: Mined, diff: Difference, record_id: str, now: str
) -> Finding:
    subject = decision.get("subject") or {}
    jurisdictions = (decision.get("result") or {}).get("jurisdictions") or []
    return Finding(
        ledger=str(decision.get("ledger", "")),
        tx_hash=mined.tx_hash,
        block=mined.block,
        finding=EFFECTS_DIFFER,
        org=_text(subject.get("org")),
        jurisdictions=tuple(str(j) for j in jurisdictions),
        sender=mined.sender,
        decision_id=str(decision["id"]),
        record_id=record_id,
        detail={
            "status": mined.status,
            "missing": [e.to_json() for e in diff.missing],
            "unexpected": [e.to_json() for e in diff.unexpected],
        },
        time=now,
    )


def bypass_finding(
    ledger: str, tx_hash: str, block: int, sender: str, to: str | None, nonce: int, value: int,
    owner: tuple[str, str | None], now: str,
) -> Finding:  # fmt: skip
    org, jurisdiction = owner
    return Finding(
        ledger=ledger,
        tx_hash=tx_hash,
        block=block,
        finding=BYPASS,
        org=org,
        jurisdictions=() if jurisdiction is None else (jurisdiction,),
        sender=sender,
        decision_id=None,
        record_id=None,
        detail={"to": to, "nonce": nonce, "value": str(value)},
        time=now,
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None

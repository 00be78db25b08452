"""Core value types shared by every layer. Frozen: a decision or a subject never changes after
it is made, which is what lets the log hash it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["read", "write", "admin", "unknown"]
ROLES = ("trader", "auditor", "compliance_officer", "regulator", "admin")
ENTITY_KINDS = ("individual", "institution", "vasp")
KYC_LEVELS = ("verified", "pending", "none")


@dataclass(frozen=True)
class Subject:
    """The authenticated caller, from the JWT claims (docs/design.md section 3)."""

    sub: str
    org: str
    jurisdiction: str
    roles: tuple[str, ...]
    entity_kind: str
    kyc: str

    def to_input(self) -> dict[str, Any]:
        return {
            "sub": self.sub,
            "org": self.org,
            "jurisdiction": self.jurisdiction,
            "roles": list(self.roles),
            "entity_kind": self.entity_kind,
            "kyc": self.kyc,
        }


@dataclass(frozen=True)
class Asset:
    symbol: str
    asset_class: str
    decimals: int
    contract: str | None = None

    def to_input(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "class": self.asset_class,
            "contract": self.contract,
            "decimals": self.decimals,
        }


@dataclass(frozen=True)
class Licence:
    """A licence or registration of a VASP as the directory records it; the policy reads the
    regime, the status and the last valid day (None: no expiry), not the licence number."""

    regime: str
    licence_id: str
    status: str
    valid_until: str | None

    def to_input(self) -> dict[str, Any]:
        return {"regime": self.regime, "status": self.status, "valid_until": self.valid_until}


@dataclass(frozen=True)
class Entity:
    """A party as the entity directory and the sanctions list know it."""

    address: str
    org: str | None
    jurisdiction: str | None
    entity_kind: str | None
    kyc: str | None
    sanctioned: bool
    self_hosted: bool
    known: bool
    licences: tuple[Licence, ...] = ()
    clients_abroad_only: bool = False

    def to_input(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "org": self.org,
            "jurisdiction": self.jurisdiction,
            "entity_kind": self.entity_kind,
            "kyc": self.kyc,
            "sanctioned": self.sanctioned,
            "self_hosted": self.self_hosted,
            "known": self.known,
            "licences": [licence.to_input() for licence in self.licences],
            "clients_abroad_only": self.clients_abroad_only,
        }


@dataclass(frozen=True)
class Reason:
    code: str
    jurisdiction: str
    regulation: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {
            "code": self.code,
            "jurisdiction": self.jurisdiction,
            "regulation": self.regulation,
            "message": self.message,
        }


@dataclass(frozen=True)
class Decision:
    """`data.governance.main.decision` as a value (docs/design.md section 4)."""

    allow: bool
    reasons: tuple[Reason, ...] = ()
    redact: tuple[str, ...] = ()
    report: tuple[dict[str, Any], ...] = ()
    require_travel_rule: bool = False
    mask: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def outcome(self) -> str:
        return "allow" if self.allow else "deny"

    @classmethod
    def from_json(cls, doc: Any) -> Decision:
        """Builds a decision from the policy's output; anything malformed raises ValueError so
        the caller fails closed rather than guessing."""
        if not isinstance(doc, dict) or not isinstance(doc.get("allow"), bool):
            raise ValueError("policy result has no boolean 'allow'")
        reasons = tuple(
            Reason(
                code=str(r.get("code", "")),
                jurisdiction=str(r.get("jurisdiction", "")),
                regulation=str(r.get("regulation", "")),
                message=str(r.get("message", "")),
            )
            for r in _list(doc.get("reasons"))
            if isinstance(r, dict)
        )
        obligations = doc.get("obligations") or {}
        if not isinstance(obligations, dict):
            raise ValueError("policy result 'obligations' is not an object")
        allow = doc["allow"] and not reasons  # deny-overrides, even if a policy forgets it
        return cls(
            allow=allow,
            reasons=tuple(sorted(reasons, key=lambda r: (r.code, r.jurisdiction))),
            redact=tuple(str(p) for p in _list(obligations.get("redact"))),
            report=tuple(r for r in _list(obligations.get("report")) if isinstance(r, dict)),
            require_travel_rule=bool(obligations.get("require_travel_rule", False)),
            mask=tuple(str(p) for p in _list(doc.get("mask"))),
            jurisdictions=tuple(str(j) for j in _list(doc.get("jurisdictions"))),
            raw=doc,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "allow": self.allow,
            "reasons": [r.to_json() for r in self.reasons],
            "obligations": {
                "redact": list(self.redact),
                "report": list(self.report),
                "require_travel_rule": self.require_travel_rule,
            },
            "jurisdictions": list(self.jurisdictions),
        }


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []

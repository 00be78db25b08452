"""Which individuals' personal data a decision sends out of China (PIPL arts. 38-40; the export
volumes of the CAC Provisions of 22 Mar 2024, policies/lib/volume.rego).

A decision *carries* the data of a CN individual (a directory entity of kind `individual` in
jurisdiction CN) abroad when:

- a read names the individual (in its params or in an item of the node's answer) and the caller
  is outside CN, and the call's decision allowed it, or the answer's item naming the
  individual was allowed, redacted or not (a redacted item keeps the person's amounts and
  times: pseudonymised data is still personal information, PIPL art. 4; a denied item is
  withheld or blanked);
- an allowed write has the individual as sender, recipient or a party of any effect, and a
  party (caller, sender, recipient, effect party) is outside CN or unknown to the directory.

Every individual is counted; those the directory flags `sensitive_personal_data` are counted as
sensitive too. The organisation is the caller's (the one whose transfer bases the policy
checks), the year China's calendar year of the request's arrival."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from governance.domain.models import Entity

PIPL_JURISDICTION = "CN"
_CHINA = ZoneInfo("Asia/Shanghai")


def china_year(received_at: str) -> str:
    """The calendar year in China of an RFC 3339 UTC time: 2026-12-31T16:00:00Z is 2027."""
    moment = datetime.fromisoformat(received_at.replace("Z", "+00:00"))
    return str(moment.astimezone(_CHINA).year)


def is_protected(entity: Entity | dict[str, Any]) -> bool:
    """A CN individual, whose personal data the counts are about."""
    if isinstance(entity, Entity):
        kind, jurisdiction = entity.entity_kind, entity.jurisdiction
    else:
        kind, jurisdiction = entity.get("entity_kind"), entity.get("jurisdiction")
    return kind == "individual" and str(jurisdiction or "").upper() == PIPL_JURISDICTION


def caller_abroad(policy_input: dict[str, Any]) -> bool:
    subject = policy_input.get("subject") or {}
    return str(subject.get("jurisdiction") or "").upper() != PIPL_JURISDICTION


def read_people(
    policy_input: dict[str, Any], parties: Iterable[Entity | dict[str, Any]]
) -> list[str]:
    """The CN individuals among a read's parties whose data would go abroad (sorted)."""
    if not caller_abroad(policy_input):
        return []
    found = {_address(p) for p in parties if is_protected(p)}
    return sorted(a for a in found if a)


def write_people(policy_input: dict[str, Any]) -> list[str]:
    """The CN individuals a write would carry abroad (sorted): none when every party is in CN."""
    parties = _write_parties(policy_input)
    foreign = caller_abroad(policy_input) or any(
        str(p.get("jurisdiction") or "").upper() != PIPL_JURISDICTION for p in parties
    )
    if not foreign:
        return []
    return sorted({str(p.get("address") or "") for p in parties if is_protected(p)} - {""})


def exports_input(org: str, year: str, individuals: int, sensitive: int) -> dict[str, Any]:
    """`input.exports` (docs/policy-input.md)."""
    return {"org": org, "year": year, "individuals": individuals, "sensitive": sensitive}


def _write_parties(policy_input: dict[str, Any]) -> list[dict[str, Any]]:
    parties = policy_input.get("parties") or {}
    out = [p for p in (parties.get("sender"), parties.get("recipient")) if isinstance(p, dict)]
    for effect in policy_input.get("effects") or []:
        out.extend(p for p in (effect.get("from"), effect.get("to")) if isinstance(p, dict))
    return out


def _address(party: Entity | dict[str, Any]) -> str:
    if isinstance(party, Entity):
        return party.address
    return str(party.get("address") or "").lower()

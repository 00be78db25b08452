"""The `X-Travel-Rule` header: base64url (padding optional) of a JSON object holding the
IVMS101 `originator` and `beneficiary` of a transfer (docs/policies.md, "Travel rule payload").

The originating and beneficiary VASP (IVMS101 `originatingVASP`, `beneficiaryVASP`) are
optional here; policy requires them where the directory knows a VASP for the address and
checks them against the directory.

Parsing never raises: a hostile or broken header yields a list of structural errors, which the
gateway passes to policy as `input.travel_rule_errors` (any error makes a required travel-rule
payload TRAVEL_RULE_INVALID). Policy checks the business rules (thresholds, that the account
numbers name the transacting addresses, the fields a jurisdiction requires)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from typing import Any

import orjson

MAX_HEADER_BYTES = 16 * 1024
MAX_ERRORS = 20
MAX_DEPTH = 32
MAX_NAME = 100
MAX_ACCOUNT = 100
MAX_CUSTOMER_ID = 50

NATURAL_NAME_TYPES = frozenset({"ALIA", "BIRT", "MAID", "LEGL", "MISC"})
LEGAL_NAME_TYPES = frozenset({"LEGL", "SHRT", "TRAD"})
ADDRESS_TYPES = frozenset({"HOME", "BIZZ", "GEOG"})
NATIONAL_ID_TYPES = frozenset(
    {"ARNU", "CCPT", "RAID", "DRLC", "FIIN", "TXID", "SOCS", "IDCD", "LEIX", "MISC"}
)
SELF_HOSTED_METHODS = frozenset({"signature", "micro_payment", "attestation"})
SELF_HOSTED_FIELD = "selfHostedVerification"
# IVMS101 names each VASP twice: {"originatingVASP": {"originatingVASP": {"legalPerson": ...}}}.
VASP_FIELDS = ("originatingVASP", "beneficiaryVASP")

_B64URL = re.compile(r"^[A-Za-z0-9_-]*={0,2}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")

Payload = dict[str, Any]


class _Errors:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, message: str) -> None:
        if len(self.items) < MAX_ERRORS:
            self.items.append(f"{path}: {message}")
        elif len(self.items) == MAX_ERRORS:
            self.items.append("...: too many errors, rest omitted")


def parse_travel_rule_header(value: str | None) -> tuple[dict[str, Any] | None, list[str]]:
    """Decodes and structurally validates an `X-Travel-Rule` header value.

    Returns `(None, [])` when the header is absent or blank, `(None, [error])` when it cannot
    be decoded into a JSON object, and `(payload, errors)` otherwise (errors empty when the
    payload is structurally sound)."""
    if value is None or not isinstance(value, str) or not value.strip():
        return None, []
    text = value.strip()
    if len(text) > MAX_HEADER_BYTES:
        return None, [f"X-Travel-Rule: header exceeds {MAX_HEADER_BYTES} bytes"]
    if not _B64URL.match(text):
        return None, ["X-Travel-Rule: not base64url"]
    try:
        raw = base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        return None, ["X-Travel-Rule: not base64url"]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, ["X-Travel-Rule: not a UTF-8 JSON document"]
    if _depth(text) > MAX_DEPTH:
        return None, [f"X-Travel-Rule: JSON nested deeper than {MAX_DEPTH} levels"]
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None, ["X-Travel-Rule: not a UTF-8 JSON document"]
    if not isinstance(doc, dict):
        return None, ["X-Travel-Rule: JSON value is not an object"]
    try:  # an unpaired surrogate escape ("\ud800"), an integer beyond 64 bits
        orjson.dumps(doc)
    except TypeError as exc:
        return None, [f"X-Travel-Rule: not JSON the policy engine can read ({exc})"]
    errors = _Errors()
    _check_party(doc, "originator", "originatorPersons", errors)
    _check_party(doc, "beneficiary", "beneficiaryPersons", errors)
    for vasp in VASP_FIELDS:
        if vasp in doc:
            _check_vasp(doc[vasp], vasp, errors)
    return doc, errors.items


def travel_rule_header(payload: dict[str, Any]) -> str:
    """Encodes a payload as an `X-Travel-Rule` header value (compact JSON, base64url, no
    padding)."""
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _depth(text: str) -> int:
    """Deepest bracket nesting outside strings (checked before parsing, so the parser's own
    recursion limit never decides the outcome)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check_party(doc: Payload, key: str, persons_key: str, errors: _Errors) -> None:
    party = doc.get(key)
    if not isinstance(party, dict):
        errors.add(key, "required object")
        return
    persons = party.get(persons_key)
    if not isinstance(persons, list) or not persons:
        errors.add(f"{key}.{persons_key}", "needs at least one person")
    else:
        for i, person in enumerate(persons[:8]):
            _check_person(person, f"{key}.{persons_key}[{i}]", errors)
        if len(persons) > 8:
            errors.add(f"{key}.{persons_key}", "at most 8 persons")
    accounts = party.get("accountNumber")
    if not isinstance(accounts, list) or not accounts:
        errors.add(f"{key}.accountNumber", "needs at least one account number (the address)")
    else:
        for i, account in enumerate(accounts[:8]):
            if not isinstance(account, str) or not account or len(account) > MAX_ACCOUNT:
                errors.add(f"{key}.accountNumber[{i}]", f"must be a string of 1..{MAX_ACCOUNT}")
    if SELF_HOSTED_FIELD in party:
        _check_self_hosted(party[SELF_HOSTED_FIELD], f"{key}.{SELF_HOSTED_FIELD}", errors)


def _check_person(person: Any, path: str, errors: _Errors) -> None:
    if not isinstance(person, dict):
        errors.add(path, "must be an object")
        return
    natural, legal = person.get("naturalPerson"), person.get("legalPerson")
    if natural is None and legal is None:
        errors.add(path, "needs naturalPerson or legalPerson")
    elif natural is not None and legal is not None:
        errors.add(path, "has both naturalPerson and legalPerson")
    elif natural is not None:
        _check_natural(natural, f"{path}.naturalPerson", errors)
    else:
        _check_legal(legal, f"{path}.legalPerson", errors)


def _check_natural(p: Any, path: str, errors: _Errors) -> None:
    if not isinstance(p, dict):
        errors.add(path, "must be an object")
        return
    for sub, n in _name_objects(p, path, errors):
        if not _short_str(n.get("primaryIdentifier"), MAX_NAME):
            errors.add(f"{sub}.primaryIdentifier", f"required string of 1..{MAX_NAME}")
        if "secondaryIdentifier" in n and not _short_str(n["secondaryIdentifier"], MAX_NAME):
            errors.add(f"{sub}.secondaryIdentifier", f"must be a string of 1..{MAX_NAME}")
        if n.get("nameIdentifierType", "LEGL") not in NATURAL_NAME_TYPES:
            errors.add(f"{sub}.nameIdentifierType", "must be one of ALIA, BIRT, MAID, LEGL, MISC")
    _check_common(p, path, errors, natural=True)
    dob = p.get("dateAndPlaceOfBirth")
    if dob is not None:
        if not isinstance(dob, dict):
            errors.add(f"{path}.dateAndPlaceOfBirth", "must be an object")
        else:
            if not (isinstance(dob.get("dateOfBirth"), str) and _DATE.match(dob["dateOfBirth"])):
                errors.add(f"{path}.dateAndPlaceOfBirth.dateOfBirth", "must be YYYY-MM-DD")
            if not _short_str(dob.get("placeOfBirth"), MAX_NAME):
                errors.add(f"{path}.dateAndPlaceOfBirth.placeOfBirth", "required string")
    _check_country(p, "countryOfResidence", path, errors)


def _check_legal(p: Any, path: str, errors: _Errors) -> None:
    if not isinstance(p, dict):
        errors.add(path, "must be an object")
        return
    for sub, n in _name_objects(p, path, errors):
        if not _short_str(n.get("legalPersonName"), MAX_NAME):
            errors.add(f"{sub}.legalPersonName", f"required string of 1..{MAX_NAME}")
        if n.get("legalPersonNameIdentifierType", "LEGL") not in LEGAL_NAME_TYPES:
            errors.add(f"{sub}.legalPersonNameIdentifierType", "must be one of LEGL, SHRT, TRAD")
    _check_common(p, path, errors, natural=False)
    _check_country(p, "countryOfRegistration", path, errors)


def _name_identifiers(p: dict[str, Any], path: str, errors: _Errors) -> list[Any]:
    name = p.get("name")
    ids = name.get("nameIdentifier") if isinstance(name, dict) else None
    if not isinstance(ids, list) or not ids:
        errors.add(f"{path}.name.nameIdentifier", "needs at least one name")
        return []
    return ids[:8]


def _name_objects(
    p: dict[str, Any], path: str, errors: _Errors
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The person's name identifiers that are objects, each with its path; the others are
    reported as they come, so errors keep the order of the payload."""
    for i, n in enumerate(_name_identifiers(p, path, errors)):
        sub = f"{path}.name.nameIdentifier[{i}]"
        if isinstance(n, dict):
            yield sub, n
        else:
            errors.add(sub, "must be an object")


def _check_common(p: dict[str, Any], path: str, errors: _Errors, *, natural: bool) -> None:
    addresses = p.get("geographicAddress")
    if addresses is not None:
        if not isinstance(addresses, list):
            errors.add(f"{path}.geographicAddress", "must be a list")
        else:
            for i, a in enumerate(addresses[:8]):
                _check_address(a, f"{path}.geographicAddress[{i}]", errors)
    nid = p.get("nationalIdentification")
    if nid is not None:
        _check_national_id(nid, f"{path}.nationalIdentification", errors, natural=natural)
    cid = p.get("customerIdentification")
    if cid is not None and not _short_str(cid, MAX_CUSTOMER_ID):
        errors.add(f"{path}.customerIdentification", f"must be a string of 1..{MAX_CUSTOMER_ID}")


def _check_address(a: Any, path: str, errors: _Errors) -> None:
    if not isinstance(a, dict):
        errors.add(path, "must be an object")
        return
    if a.get("addressType", "GEOG") not in ADDRESS_TYPES:
        errors.add(f"{path}.addressType", "must be one of HOME, BIZZ, GEOG")
    if not (isinstance(a.get("country"), str) and _COUNTRY.match(a["country"])):
        errors.add(f"{path}.country", "required ISO 3166-1 alpha-2 code")
    lines = a.get("addressLine")
    has_lines = isinstance(lines, list) and any(_short_str(x, 70) for x in lines)
    if not has_lines and not _short_str(a.get("townName"), 35):
        errors.add(path, "needs addressLine or townName")


def _check_national_id(nid: Any, path: str, errors: _Errors, *, natural: bool) -> None:
    if not isinstance(nid, dict):
        errors.add(path, "must be an object")
        return
    if not _short_str(nid.get("nationalIdentifier"), 35):
        errors.add(f"{path}.nationalIdentifier", "required string of 1..35")
    kind = nid.get("nationalIdentifierType")
    if kind not in NATIONAL_ID_TYPES:
        errors.add(f"{path}.nationalIdentifierType", "unknown identifier type")
    if "countryOfIssue" in nid:
        if not natural:
            errors.add(f"{path}.countryOfIssue", "only for natural persons")
        elif not (isinstance(nid["countryOfIssue"], str) and _COUNTRY.match(nid["countryOfIssue"])):
            errors.add(f"{path}.countryOfIssue", "must be an ISO 3166-1 alpha-2 code")
    if not natural:
        authority = nid.get("registrationAuthority")
        if kind == "LEIX" and authority:
            errors.add(f"{path}.registrationAuthority", "must be empty for an LEI")
        elif kind != "LEIX" and not _short_str(authority, 8):
            errors.add(f"{path}.registrationAuthority", "required unless the identifier is an LEI")


def _check_country(p: dict[str, Any], key: str, path: str, errors: _Errors) -> None:
    if key in p and not (isinstance(p[key], str) and _COUNTRY.match(p[key])):
        errors.add(f"{path}.{key}", "must be an ISO 3166-1 alpha-2 code")


def _check_vasp(v: Any, key: str, errors: _Errors) -> None:
    """`<key>.<key>.legalPerson` naming the VASP by legal person name, by LEI
    (`nationalIdentification` of type LEIX), or both."""
    inner = v.get(key) if isinstance(v, dict) else None
    legal = inner.get("legalPerson") if isinstance(inner, dict) else None
    path = f"{key}.{key}.legalPerson"
    if not isinstance(legal, dict):
        errors.add(path, "required object (the VASP as an IVMS101 legal person)")
        return
    nid = legal.get("nationalIdentification")
    if "name" not in legal and not (
        isinstance(nid, dict) and nid.get("nationalIdentifierType") == "LEIX"
    ):
        errors.add(path, "needs a name or an LEI (nationalIdentification of type LEIX)")
        return
    if "name" in legal:
        for i, n in enumerate(_name_identifiers(legal, path, errors)):
            if not (isinstance(n, dict) and _short_str(n.get("legalPersonName"), MAX_NAME)):
                errors.add(f"{path}.name.nameIdentifier[{i}].legalPersonName", "required string")
    if nid is not None:
        _check_national_id(nid, f"{path}.nationalIdentification", errors, natural=False)


def _check_self_hosted(v: Any, path: str, errors: _Errors) -> None:
    if not isinstance(v, dict):
        errors.add(path, "must be an object")
        return
    if v.get("method") not in SELF_HOSTED_METHODS:
        errors.add(f"{path}.method", "must be one of " + ", ".join(sorted(SELF_HOSTED_METHODS)))
    if not (isinstance(v.get("address"), str) and _ADDRESS.match(v["address"])):
        errors.add(f"{path}.address", "required 0x address of the self-hosted wallet")
    if not (isinstance(v.get("verifiedAt"), str) and _DATE.match(v["verifiedAt"])):
        errors.add(f"{path}.verifiedAt", "required YYYY-MM-DD")


def _short_str(v: Any, limit: int) -> bool:
    return isinstance(v, str) and len(v.strip()) > 0 and len(v) <= limit

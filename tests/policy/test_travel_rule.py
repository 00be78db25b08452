"""X-Travel-Rule header parsing: never raises, names every structural problem."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from governance.policy.travel_rule import (
    MAX_HEADER_BYTES,
    parse_travel_rule_header,
    travel_rule_header,
)
from tests.conftest import legal, natural

SENDER = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
RECIPIENT = "0x9965507d1a55bcc2695c58ba16fb37d819b0a4dc"


def payload() -> dict[str, Any]:
    """A fresh document each call (tests edit it)."""
    person = natural("Doe", "US", born=("1980-01-01", "Springfield"))
    company = legal("Lion Commodities Pte. Ltd.", "SG", lei="5493001KJTIIGC8Y1R12")
    return {
        "originator": {"originatorPersons": [person], "accountNumber": [SENDER]},
        "beneficiary": {"beneficiaryPersons": [company], "accountNumber": [RECIPIENT]},
    }


def encode(raw: bytes, *, pad: bool = False) -> str:
    text = base64.urlsafe_b64encode(raw).decode()
    return text if pad else text.rstrip("=")


def test_round_trip() -> None:
    doc = payload()
    parsed, errors = parse_travel_rule_header(travel_rule_header(doc))
    assert errors == []
    assert parsed == doc


def test_header_has_no_padding_and_padding_is_optional() -> None:
    header = travel_rule_header(payload())
    assert "=" not in header
    raw = json.dumps(payload()).encode()
    assert parse_travel_rule_header(encode(raw, pad=True)) == (payload(), [])
    assert parse_travel_rule_header(encode(raw)) == (payload(), [])


@pytest.mark.parametrize("value", [None, "", "   "])
def test_absent_header(value: str | None) -> None:
    assert parse_travel_rule_header(value) == (None, [])


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("not base64!", "X-Travel-Rule: not base64url"),
        ("a", "X-Travel-Rule: not base64url"),
        (encode(b"\xff\xfe\x00"), "X-Travel-Rule: not a UTF-8 JSON document"),
        (encode(b"{not json"), "X-Travel-Rule: not a UTF-8 JSON document"),
        (encode(b"[1, 2]"), "X-Travel-Rule: JSON value is not an object"),
        (encode(b'{"originator": NaN}'), "X-Travel-Rule: not a UTF-8 JSON document"),
        (encode(b"[" * 5000 + b"]" * 5000), "X-Travel-Rule: JSON nested deeper than 32 levels"),
        # what the gateway could not pass on to the engine or the log
        (
            encode(b'{"originator": {"x": "\\ud800"}}'),
            "X-Travel-Rule: not JSON the policy engine can read"
            " (str is not valid UTF-8: surrogates not allowed)",
        ),
        (
            encode(b'{"originator": {"x": 1180591620717411303424}}'),
            "X-Travel-Rule: not JSON the policy engine can read (Integer exceeds 64-bit range)",
        ),
        (
            encode(
                b'{"originator": {"originatorPersons": [{"naturalPerson": {"name":'
                b' {"nameIdentifier": [{"primaryIdentifier": 1' + b"0" * 400 + b"}]}}}]}}"
            ),
            "X-Travel-Rule: not JSON the policy engine can read (Integer exceeds 64-bit range)",
        ),
    ],
)
def test_undecodable_headers(value: str, error: str) -> None:
    assert parse_travel_rule_header(value) == (None, [error])


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    doc = payload()
    doc["originator"]["originatorPersons"][0]["naturalPerson"]["customerIdentification"] = (
        "[{" * 20 + '\\"'
    )
    assert parse_travel_rule_header(travel_rule_header(doc)) == (doc, [])


def test_size_cap() -> None:
    value = "A" * (MAX_HEADER_BYTES + 1)
    assert parse_travel_rule_header(value) == (
        None,
        [f"X-Travel-Rule: header exceeds {MAX_HEADER_BYTES} bytes"],
    )


def test_person_needs_a_kind() -> None:
    doc = payload()
    doc["originator"]["originatorPersons"] = [{"somethingElse": {}}]
    parsed, errors = parse_travel_rule_header(travel_rule_header(doc))
    assert parsed == doc
    assert errors == ["originator.originatorPersons[0]: needs naturalPerson or legalPerson"]


def test_missing_parties_and_accounts() -> None:
    _, errors = parse_travel_rule_header(
        travel_rule_header({"originator": {"originatorPersons": []}})
    )
    assert errors == [
        "originator.originatorPersons: needs at least one person",
        "originator.accountNumber: needs at least one account number (the address)",
        "beneficiary: required object",
    ]


def test_field_level_errors_name_the_path() -> None:
    doc = payload()
    person = doc["originator"]["originatorPersons"][0]["naturalPerson"]
    person["name"]["nameIdentifier"][0]["primaryIdentifier"] = ""
    person["geographicAddress"][0]["country"] = "usa"
    person["dateAndPlaceOfBirth"]["dateOfBirth"] = "01/01/1980"
    doc["beneficiary"]["beneficiaryPersons"][0]["legalPerson"]["nationalIdentification"][
        "countryOfIssue"
    ] = "SG"
    _, errors = parse_travel_rule_header(travel_rule_header(doc))
    prefix = "originator.originatorPersons[0].naturalPerson"
    assert errors == [
        f"{prefix}.name.nameIdentifier[0].primaryIdentifier: required string of 1..100",
        f"{prefix}.geographicAddress[0].country: required ISO 3166-1 alpha-2 code",
        f"{prefix}.dateAndPlaceOfBirth.dateOfBirth: must be YYYY-MM-DD",
        "beneficiary.beneficiaryPersons[0].legalPerson.nationalIdentification.countryOfIssue: "
        "only for natural persons",
    ]


def test_legal_person_registration_authority() -> None:
    doc = payload()
    nid = doc["beneficiary"]["beneficiaryPersons"][0]["legalPerson"]["nationalIdentification"]
    nid["nationalIdentifierType"] = "RAID"
    _, errors = parse_travel_rule_header(travel_rule_header(doc))
    assert errors == [
        "beneficiary.beneficiaryPersons[0].legalPerson.nationalIdentification"
        ".registrationAuthority: required unless the identifier is an LEI"
    ]


def test_self_hosted_verification() -> None:
    doc = payload()
    doc["beneficiary"]["selfHostedVerification"] = {
        "method": "signature",
        "address": RECIPIENT,
        "verifiedAt": "2026-01-15",
    }
    assert parse_travel_rule_header(travel_rule_header(doc))[1] == []
    doc["beneficiary"]["selfHostedVerification"] = {"method": "trust me", "address": "x"}
    _, errors = parse_travel_rule_header(travel_rule_header(doc))
    assert errors == [
        "beneficiary.selfHostedVerification.method: "
        "must be one of attestation, micro_payment, signature",
        "beneficiary.selfHostedVerification.address: required 0x address of the self-hosted wallet",
        "beneficiary.selfHostedVerification.verifiedAt: required YYYY-MM-DD",
    ]


def vasp(key: str, legal_person: Any) -> dict[str, Any]:
    return {key: {key: {"legalPerson": legal_person}}}


LEI = {"nationalIdentifier": "5493001HARBOURVA0011", "nationalIdentifierType": "LEIX"}


@pytest.mark.parametrize(
    "legal_person",
    [
        {"name": {"nameIdentifier": [{"legalPersonName": "Harbour Virtual Assets Ltd"}]}},
        {"nationalIdentification": LEI},
        {
            "name": {"nameIdentifier": [{"legalPersonName": "Harbour Virtual Assets Ltd"}]},
            "nationalIdentification": LEI,
        },
    ],
)
def test_vasp_named_by_name_or_lei(legal_person: dict[str, Any]) -> None:
    doc = payload() | vasp("originatingVASP", legal_person) | vasp("beneficiaryVASP", legal_person)
    assert parse_travel_rule_header(travel_rule_header(doc)) == (doc, [])


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ([], "originatingVASP.originatingVASP.legalPerson: required object"),
        ({"legalPerson": {}}, "originatingVASP.originatingVASP.legalPerson: required object"),
        (
            {"originatingVASP": {"legalPerson": {"customerIdentification": "x"}}},
            "originatingVASP.originatingVASP.legalPerson: needs a name or an LEI",
        ),
        (
            {"originatingVASP": {"legalPerson": {"name": {"nameIdentifier": [{}]}}}},
            "originatingVASP.originatingVASP.legalPerson.name.nameIdentifier[0].legalPersonName:"
            " required string",
        ),
        (
            {
                "originatingVASP": {
                    "legalPerson": {
                        "nationalIdentification": {**LEI, "registrationAuthority": "RA000001"}
                    }
                }
            },
            "originatingVASP.originatingVASP.legalPerson.nationalIdentification"
            ".registrationAuthority: must be empty for an LEI",
        ),
    ],
)
def test_vasp_shape_errors(value: Any, error: str) -> None:
    _, errors = parse_travel_rule_header(travel_rule_header(payload() | {"originatingVASP": value}))
    assert len(errors) == 1 and errors[0].startswith(error), errors


def test_error_list_is_capped() -> None:
    doc = payload()
    for side, key in (("originator", "originatorPersons"), ("beneficiary", "beneficiaryPersons")):
        doc[side][key] = [{} for _ in range(9)]
        doc[side]["accountNumber"] = [1] * 30
    _, errors = parse_travel_rule_header(travel_rule_header(doc))
    assert len(errors) == 21
    assert errors[-1] == "...: too many errors, rest omitted"


@pytest.mark.parametrize(
    "doc",
    [
        {"originator": None, "beneficiary": 1},
        {"originator": {"originatorPersons": "x", "accountNumber": "y"}, "beneficiary": []},
        {"originator": {"originatorPersons": [None, 1, "s", []], "accountNumber": [None]}},
        {"originator": {"originatorPersons": [{"naturalPerson": 1, "legalPerson": 2}]}},
        {
            "originator": {
                "originatorPersons": [{"naturalPerson": {"name": 1, "geographicAddress": {}}}]
            }
        },
        {
            "originator": {
                "originatorPersons": [
                    {"legalPerson": {"name": {"nameIdentifier": [1]}, "nationalIdentification": 5}}
                ]
            }
        },
        {"originatingVASP": [], "beneficiaryVASP": "x"},
    ],
)
def test_hostile_shapes_never_raise(doc: dict[str, Any]) -> None:
    parsed, errors = parse_travel_rule_header(travel_rule_header(doc))
    assert parsed == doc
    assert errors and all(isinstance(e, str) for e in errors)


def test_non_string_header_is_absent() -> None:
    assert parse_travel_rule_header(b"abc") == (None, [])  # type: ignore[arg-type]

"""Entity enrichment from the directory: what the policy input gets of an entity's licences."""

from __future__ import annotations

from typing import Any

from governance.domain.reference import Reference

VASP = "0x5e1a7c0ffee0000000000000000000000000a001"


def reference(licences: Any, **extra: Any) -> Reference:
    entry = {
        "org": "prairie-us",
        "jurisdiction": "US",
        "entity_kind": "vasp",
        "kyc": "verified",
        "self_hosted": False,
        "licences": licences,
        **extra,
    }
    return Reference.from_data({"reference": {"entities": {VASP: entry}}})


def test_licences_reach_the_input_without_their_numbers() -> None:
    licence = {
        "regime": "US FinCEN MSB",
        "licence_id": "31000000000001",
        "status": "active",
        "valid_until": "2027-12-31",
    }
    doc = reference([licence], clients_abroad_only=True).entity(VASP.upper()).to_input()
    assert doc["licences"] == [
        {"regime": "US FinCEN MSB", "status": "active", "valid_until": "2027-12-31"}
    ]
    assert doc["clients_abroad_only"] is True


def test_a_licence_whose_expiry_cannot_be_read_licenses_nothing() -> None:
    """A number, or no `valid_until` at all, must not read as "never expires" (null)."""
    broken = [
        {"regime": "US FinCEN MSB", "licence_id": "1", "status": "active", "valid_until": 2027},
        {"regime": "US FinCEN MSB", "licence_id": "2", "status": "active"},
        "US FinCEN MSB",
    ]
    assert reference(broken).entity(VASP).to_input()["licences"] == []
    assert reference("active").entity(VASP).to_input()["licences"] == []


def test_unknown_address_has_no_licences() -> None:
    doc = reference([]).entity("0x" + "00" * 20).to_input()
    assert (doc["known"], doc["licences"], doc["clients_abroad_only"]) == (False, [], False)


def test_addresses_of_one_person_share_its_key_and_others_are_their_own() -> None:
    ref = Reference.from_data(
        {
            "reference": {
                "entities": {
                    "0xAA00000000000000000000000000000000000001": {"person": "li-wei"},
                    "0xaa00000000000000000000000000000000000002": {"person": "li-wei"},
                    "0xaa00000000000000000000000000000000000003": {"person": ""},
                }
            }
        }
    )
    assert ref.person("0xaa00000000000000000000000000000000000001") == "li-wei"
    assert ref.person("0xAA00000000000000000000000000000000000002") == "li-wei"
    blank = "0xaa00000000000000000000000000000000000003"
    assert ref.person(blank.upper().replace("0X", "0x")) == blank
    stranger = "0xBB00000000000000000000000000000000000009"
    assert ref.person(stranger) == stranger.lower()


def test_time_zones_come_from_the_jurisdictions() -> None:
    ref = Reference.from_data(
        {
            "reference": {
                "jurisdictions": {
                    "_comment": "not a jurisdiction",
                    "CN": {"time_zone": "Asia/Shanghai"},
                    "XX": {"currency": "XXX"},
                }
            }
        }
    )
    assert ref.time_zones == {"CN": "Asia/Shanghai"}

"""Name screening of travel-rule names against the lists' names."""

from __future__ import annotations

from pathlib import Path

from governance.domain.reference import Reference, fold_name
from governance.policy.screening import REPORT_FLOOR, screening_input, travel_rule_names
from governance.policy.source import load_policy_source
from tests.conftest import ROOT, legal, natural

REFERENCE = Reference.from_data(load_policy_source(ROOT / "policies").data)


def payload(originator: dict[str, object], beneficiary: dict[str, object]) -> dict[str, object]:
    return {
        "originator": {"originatorPersons": [originator]},
        "beneficiary": {"beneficiaryPersons": [beneficiary]},
    }


def test_names_of_natural_and_legal_persons() -> None:
    person = natural("SAMPLEVICH", "RU")
    person["naturalPerson"]["name"]["nameIdentifier"][0]["secondaryIdentifier"] = "Dmitry"  # type: ignore[index]
    names = list(travel_rule_names(payload(person, legal("Example Bridge", "RU"))))
    assert names == [("originator", "Dmitry SAMPLEVICH"), ("beneficiary", "Example Bridge")]
    assert (
        list(travel_rule_names({"originator": "junk", "beneficiary": {"beneficiaryPersons": 3}}))
        == []
    )


def test_folding_ignores_case_accents_and_punctuation() -> None:
    assert fold_name("  Dmítry   SAMPLEVICH, Jr. ") == "dmitry samplevich jr"


def test_best_match_per_name_with_list_entry_and_score() -> None:
    doc = payload(legal("Acme Corp", "US"), natural("Samplevich Dmitry", "SG"))
    out = screening_input(doc, REFERENCE)
    [match] = out["matches"]
    assert match == {
        "role": "beneficiary",
        "name": "Samplevich Dmitry",
        "list": "eu_fsf",
        "entry": "990001",
        "listed_name": "Dmitry SAMPLEVICH",
        "score": 100.0,
    }
    assert {entry["id"] for entry in out["lists"]} == {"ofac_sdn", "eu_fsf"}
    assert all(len(entry["digest"]) == 64 for entry in out["lists"])


def test_spelling_variant_scores_between_floor_and_exact_and_strangers_are_not_reported() -> None:
    doc = payload(natural("Dmitri Samplevitch", "RU"), natural("Ann Lee", "US"))
    [match] = screening_input(doc, REFERENCE)["matches"]
    assert match["role"] == "originator" and REPORT_FLOOR <= match["score"] < 100


def test_no_payload_or_no_names_means_no_matches(tmp_path: Path) -> None:
    assert screening_input(None, REFERENCE)["matches"] == []
    empty = Reference.from_data({"reference": {}})
    assert screening_input(payload(natural("X", "US"), natural("Y", "US")), empty) == {
        "lists": [],
        "matches": [],
    }

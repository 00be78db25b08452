"""Name screening: the travel-rule originator's and beneficiary's names against every name and
alias of the sanctions lists (docs/policies.md, "Sanctions lists").

The gateway scores; the policy decides. Each name of the payload gets its best match among the
listed names when it scores at least `REPORT_FLOOR`; `data.reference.screening
.name_match_threshold` (policies/data/screening.json) says which scores are
SANCTIONED_NAME_MATCH. The score is rapidfuzz's token-sort ratio (0-100) of the names folded
to lower-case ASCII letters and digits: word order, case, accents and punctuation do not
count, spelling does."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from rapidfuzz import fuzz, process

from governance.domain.reference import Reference, fold_name

REPORT_FLOOR: Final = 70.0
_ROLES = (("originator", "originatorPersons"), ("beneficiary", "beneficiaryPersons"))


def screening_input(travel_rule: Mapping[str, Any] | None, reference: Reference) -> dict[str, Any]:
    """`input.screening`: the lists screened (with their digests) and the best match of each
    travel-rule name."""
    lists = [
        {k: meta.get(k) for k in ("name", "digest", "entries")} | {"id": list_id}
        for list_id, meta in sorted(reference.sanction_lists.items())
    ]
    matches = []
    if travel_rule is not None and reference.sanctioned_names:
        for role, name in travel_rule_names(travel_rule):
            found = _best(name, reference)
            if found is not None:
                matches.append({"role": role, "name": name, **found})
    return {"lists": lists, "matches": matches}


def travel_rule_names(payload: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(role, full name) of every natural and legal person named in an IVMS101 payload."""
    for role, persons_key in _ROLES:
        party = payload.get(role)
        persons = party.get(persons_key) if isinstance(party, Mapping) else None
        for person in persons if isinstance(persons, list) else []:
            if isinstance(person, Mapping):
                yield from ((role, n) for n in _person_names(person))


def _person_names(person: Mapping[str, Any]) -> Iterator[str]:
    natural, legal = person.get("naturalPerson"), person.get("legalPerson")
    if isinstance(natural, Mapping):
        for n in _identifiers(natural):
            parts = (n.get("secondaryIdentifier"), n.get("primaryIdentifier"))
            full = " ".join(p for p in parts if isinstance(p, str) and p.strip())
            if full:
                yield full
    if isinstance(legal, Mapping):
        for n in _identifiers(legal):
            if isinstance(n.get("legalPersonName"), str) and n["legalPersonName"].strip():
                yield n["legalPersonName"]


def _identifiers(person: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    name = person.get("name")
    ids = name.get("nameIdentifier") if isinstance(name, Mapping) else None
    return [n for n in ids if isinstance(n, Mapping)] if isinstance(ids, list) else []


def _best(name: str, reference: Reference) -> dict[str, Any] | None:
    folded = fold_name(name)
    if not folded:
        return None
    hit = process.extractOne(
        folded,
        reference.sanctioned_name_keys,
        scorer=fuzz.token_sort_ratio,
        score_cutoff=REPORT_FLOOR,
    )
    if hit is None:
        return None
    _, score, index = hit
    entry = reference.sanctioned_names[index]
    return {
        "list": entry.get("list"),
        "entry": entry.get("entry"),
        "listed_name": entry["name"],
        "score": round(float(score), 1),
    }

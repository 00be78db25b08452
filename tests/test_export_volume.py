"""Export counting counts individuals, not addresses: the directory's `person` joins the
addresses of one individual, and a sensitive flag on any of them makes the person sensitive."""

from __future__ import annotations

from governance.domain.reference import Reference
from governance.export_volume import persons

MAIN, SPARE, ALONE = "0x" + "a1" * 20, "0x" + "a2" * 20, "0x" + "b1" * 20


def reference() -> Reference:
    individual = {"org": "panda-cn", "jurisdiction": "CN", "entity_kind": "individual"}
    entities = {
        MAIN: {**individual, "person": "wang-fang"},
        SPARE: {**individual, "person": "wang-fang", "sensitive_personal_data": True},
        ALONE: individual,
    }
    return Reference.from_data({"reference": {"entities": entities}})


def test_the_addresses_of_one_person_count_once() -> None:
    assert persons([MAIN, SPARE, ALONE], reference()) == {"wang-fang": True, ALONE: False}
    assert persons([MAIN], reference()) == {"wang-fang": False}

"""Whose data a decision would carry out of China, and in which year in China it counts."""

from __future__ import annotations

from typing import Any

import pytest

from governance.policy.exports import china_year, read_people, write_people

WANG, LI, ACME, PANDA = "0x" + "a1" * 20, "0x" + "b2" * 20, "0x" + "c3" * 20, "0x" + "d4" * 20


def party(
    address: str, jurisdiction: str | None, kind: str | None = "individual"
) -> dict[str, Any]:
    return {"address": address, "jurisdiction": jurisdiction, "entity_kind": kind}


def doc(caller: str, sender: dict[str, Any], recipient: dict[str, Any], *effects: Any) -> Any:
    return {
        "subject": {"jurisdiction": caller},
        "parties": {"sender": sender, "recipient": recipient},
        "effects": [{"from": f, "to": t} for f, t in effects],
    }


@pytest.mark.parametrize(
    ("utc", "year"),
    [
        ("2026-12-31T15:59:59.999999Z", "2026"),  # 23:59:59 in Beijing
        ("2026-12-31T16:00:00.000000Z", "2027"),  # midnight in Beijing
        ("2026-01-01T00:00:00.000000Z", "2026"),
    ],
)
def test_the_year_is_china_s_calendar_year(utc: str, year: str) -> None:
    assert china_year(utc) == year


def test_a_write_with_a_foreign_party_carries_its_cn_individuals() -> None:
    wang, li = party(WANG, "CN"), party(LI, "CN")
    acme, panda = party(ACME, "US", "institution"), party(PANDA, "CN", "institution")
    assert write_people(doc("CN", wang, acme)) == [WANG]
    assert write_people(doc("CN", panda, panda, (li, acme))) == [LI]  # an effect abroad
    assert write_people(doc("US", acme, wang)) == [WANG]  # the caller is abroad
    assert write_people(doc("CN", wang, party(ACME, None, None))) == [WANG]  # unknown: abroad
    assert write_people(doc("CN", wang, li, (wang, panda))) == []  # nothing leaves China
    assert write_people(doc("US", acme, acme)) == []  # no CN individual


def test_a_read_carries_cn_individuals_to_a_caller_abroad() -> None:
    parties = [party(WANG, "CN"), party(PANDA, "CN", "institution"), party(LI, "HK")]
    assert read_people({"subject": {"jurisdiction": "US"}}, parties) == [WANG]
    assert read_people({"subject": {"jurisdiction": "CN"}}, parties) == []

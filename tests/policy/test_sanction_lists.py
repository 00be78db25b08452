"""Sanctions lists in their official layouts, read into the reference data."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from governance.policy.check import check_policies
from governance.policy.sanction_lists import (
    SanctionListError,
    load_sanction_lists,
    parse_eu_fsf_csv,
)
from governance.policy.source import PolicySourceError, load_policy_source
from tests.conftest import ROOT

HEADER = (
    "fileGenerationDate;Entity_LogicalId;Entity_Remark;Entity_SubjectType_ClassificationCode;"
    "Entity_Regulation_Programme;NameAlias_LastName;NameAlias_FirstName;NameAlias_MiddleName;"
    "NameAlias_WholeName\n"
)
ADDRESS = "0x1111111111111111111111111111111111111111"


def test_eu_rows_grouped_by_entity_with_aliases_and_remark_addresses() -> None:
    text = (
        HEADER
        + "2026-11-30;7;;person;IRN;Doe;Jane;Q;Jane Q DOE\n"
        + "2026-11-30;7;;person;IRN;Doe;Janet;;\n"  # no whole name: first + last
        + f"2026-11-30;8;wallet ETH {ADDRESS.upper().replace('0X', '0x')};enterprise;RUS;;;;ACME\n"
        + ";;;;;;;;\n"
    )
    jane, acme = parse_eu_fsf_csv(text, "eu.csv")
    assert (jane.id, jane.type, jane.program) == ("7", "person", "IRN")
    assert jane.names == ["Jane Q DOE", "Janet Doe"] and jane.addresses == []
    assert acme.names == ["ACME"] and acme.addresses == [ADDRESS]


def test_eu_layout_errors_name_file_and_line() -> None:
    with pytest.raises(SanctionListError, match=r"eu\.csv:1: missing column NameAlias_WholeName"):
        parse_eu_fsf_csv("Entity_LogicalId;Other\n1;x\n", "eu.csv")
    with pytest.raises(SanctionListError, match=r"eu\.csv:3: 2 columns"):
        parse_eu_fsf_csv(HEADER + "2026;1;;person;X;;;;A\n" + "2026;2\n", "eu.csv")
    with pytest.raises(SanctionListError, match=r"eu\.csv:2: empty Entity_LogicalId"):
        parse_eu_fsf_csv(HEADER + "2026;;;person;X;;;;A\n", "eu.csv")


def _tree(tmp_path: Path, registry: object | None, files: dict[str, str]) -> Path:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    if registry is not None:
        (data / "sanction_lists.json").write_text(json.dumps(registry))
    for name, text in files.items():
        (data / name).write_text(text)
    return data


def _list(file: str, fmt: str) -> dict[str, str]:
    return {"name": f"{file} list", "file": file, "format": fmt, "regulation": "Reg. 1"}


def test_every_list_counted_with_its_digest_and_an_address_on_two_lists(tmp_path: Path) -> None:
    eu = HEADER + f"2026;9;ETH {ADDRESS};enterprise;RUS;;;;ACME\n"
    sdn = (
        f'1,"ACME",-0-,"X",-0-,-0-,-0-,-0-,-0-,-0-,-0-,"Digital Currency Address - ETH {ADDRESS}"\n'
    )
    registry = {
        "_comment": "c",
        "a": _list("sdn.csv", "ofac_sdn_csv"),
        "b": _list("eu.csv", "eu_fsf_csv"),
    }
    data = _tree(tmp_path, registry, {"sdn.csv": sdn, "eu.csv": eu})
    doc, read = load_sanction_lists(data, registry)
    assert doc["sanctions"][ADDRESS]["list"] == "a" and doc["sanctions"][ADDRESS]["lists"] == [
        "a",
        "b",
    ]
    assert doc["sanction_lists"]["b"]["digest"] == hashlib.sha256(eu.encode()).hexdigest()
    assert (doc["sanction_lists"]["b"]["entries"], doc["sanction_lists"]["b"]["addresses"]) == (
        1,
        1,
    )
    assert [n["name"] for n in doc["sanctioned_names"]] == ["ACME", "ACME"]
    assert [name for name, _ in read] == ["sdn.csv", "eu.csv"]


@pytest.mark.parametrize(
    ("registry", "message"),
    [
        ({"x": _list("absent.csv", "eu_fsf_csv")}, r"absent\.csv: cannot read"),
        ({"x": _list("eu.csv", "xml")}, r"eu\.csv: unknown list format 'xml'"),
        ({"x": _list("../eu.csv", "eu_fsf_csv")}, "must lie in data/"),
        ({"x": {"name": "n", "file": "eu.csv"}}, r"needs \['format', 'regulation'\]"),
        ({"_comment": "only a comment"}, "names no list"),
    ],
)
def test_registry_errors_are_load_errors(tmp_path: Path, registry: object, message: str) -> None:
    data = _tree(tmp_path, registry, {"eu.csv": HEADER})
    with pytest.raises(SanctionListError, match=message):
        load_sanction_lists(data, registry)  # type: ignore[arg-type]


def test_a_tree_without_a_registry_screens_sdn_csv_alone(tmp_path: Path) -> None:
    data = _tree(tmp_path, None, {})
    assert load_sanction_lists(data, None)[0]["sanction_lists"] == {}
    (data / "sdn.csv").write_text('1,"X",-0-,"P",-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\n')
    assert list(load_sanction_lists(data, None)[0]["sanction_lists"]) == ["ofac_sdn"]


def test_a_changed_list_changes_the_revision_and_a_broken_one_fails_the_load(
    tmp_path: Path,
) -> None:
    tree = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", tree)
    first = load_policy_source(tree).revision
    eu = tree / "data" / "eu_fsf.csv"
    row = ["2026-12-01", "990003", "", "", "", "P", "person", "", "X", "", "", "", "Extra ONE", ""]
    eu.write_text(eu.read_text() + ";".join(row) + "\n")
    assert load_policy_source(tree).revision != first
    eu.write_text("Entity_LogicalId;Nothing\n")
    with pytest.raises(PolicySourceError, match=r"eu_fsf\.csv:1: missing column"):
        load_policy_source(tree)
    problems = check_policies(tree)
    assert any(p.file == "data/eu_fsf.csv" and p.line == 1 for p in problems), problems

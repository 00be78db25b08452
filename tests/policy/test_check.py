"""`governance policy check` on the shipped tree and on broken copies of it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from governance.policy.check import Problem, check_policies

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    return tmp_path / "policies"


def messages(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


def test_shipped_tree_is_clean() -> None:
    assert messages(check_policies(ROOT / "policies")) == []


def test_syntax_error_names_file_and_line(tree: Path) -> None:
    path = tree / "jurisdictions/us/supervision.rego"
    lines = path.read_text().splitlines()
    lines[20] = "deny contains x if {{ broken"
    path.write_text("\n".join(lines) + "\n")
    problems = check_policies(tree)
    assert [(p.file, p.line) for p in problems if "compile" in p.message] == [
        ("jurisdictions/us/supervision.rego", 21)
    ]


def test_unknown_function_names_file_and_line(tree: Path) -> None:
    path = tree / "jurisdictions/hk/data_scope.rego"
    path.write_text(path.read_text() + "\nbroken if not_a_builtin(1)\n")
    line = len(path.read_text().splitlines())
    problems = [p for p in check_policies(tree) if "compile" in p.message]
    assert [(p.file, p.line) for p in problems] == [("jurisdictions/hk/data_scope.rego", line)]


def test_unknown_reason_code(tree: Path) -> None:
    path = tree / "jurisdictions/jp/supervision.rego"
    path.write_text(
        path.read_text()
        + '\ndeny contains reasons.make("NO_SUCH_CODE", J, "x") if travel.required(J)\n'
    )
    line = len(path.read_text().splitlines())
    assert messages(check_policies(tree)) == [
        f"jurisdictions/jp/supervision.rego:{line}: unknown reason code NO_SUCH_CODE "
        "(not in lib/reasons.rego)"
    ]


def test_undocumented_reason_code(tree: Path) -> None:
    doc = tree.parent / "docs/policies.md"
    doc.write_text(doc.read_text().replace("`FX_QUOTA_EXCEEDED`", "FX quota"))
    assert any(
        "reason code FX_QUOTA_EXCEEDED is not documented" in m
        for m in messages(check_policies(tree))
    )


def test_data_violating_schema(tree: Path) -> None:
    path = tree / "data/entities.json"
    doc = json.loads(path.read_text())
    doc["0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"]["kyc"] = "maybe"
    doc["0xNOT-AN-ADDRESS"] = {"org": "x"}
    path.write_text(json.dumps(doc, indent=2))
    found = [p for p in check_policies(tree) if p.file == "data/entities.json"]
    assert any(
        "/0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266/kyc: 'maybe' is not one of" in p.message
        and p.line > 1
        for p in found
    )
    assert any("0xNOT-AN-ADDRESS" in p.message for p in found)


def test_threshold_currency_without_rate(tree: Path) -> None:
    path = tree / "data/rates.json"
    doc = json.loads(path.read_text())
    del doc["HKD"]
    path.write_text(json.dumps(doc))
    assert "data/jurisdictions.json:0: HK: currency HKD has no rate in data/rates.json" in messages(
        check_policies(tree)
    )


def test_unknown_time_zone(tree: Path) -> None:
    path = tree / "data/jurisdictions.json"
    doc = json.loads(path.read_text())
    doc["CN"]["time_zone"] = "Asia/Peking_Old"
    path.write_text(json.dumps(doc))
    assert "data/jurisdictions.json:0: CN: unknown time zone 'Asia/Peking_Old'" in messages(
        check_policies(tree)
    )


def test_jurisdiction_without_time_zone(tree: Path) -> None:
    path = tree / "data/jurisdictions.json"
    doc = json.loads(path.read_text())
    del doc["JP"]["time_zone"]
    path.write_text(json.dumps(doc))
    assert any("'time_zone' is a required property" in m for m in messages(check_policies(tree)))


def test_invalid_json(tree: Path) -> None:
    (tree / "data/assets.json").write_text('{\n  "x": \n}\n')
    assert next(p for p in check_policies(tree) if p.file == "data/assets.json").line == 3


def test_bad_sdn_row(tree: Path) -> None:
    path = tree / "data/sdn.csv"
    path.write_text(path.read_text() + '90004,"SHORT ROW","-0-"\n')
    assert any(p.file == "data/sdn.csv" and p.line == 4 for p in check_policies(tree))


def test_whole_input_with_is_reported(tree: Path) -> None:
    (tree / "lib/extra_test.rego").write_text(
        "package tests.extra\n\nimport rego.v1\n\n"
        "test_x if data.governance.main.decision.allow with input as {}\n"
    )
    assert messages(check_policies(tree)) == [
        "lib/extra_test.rego:5: `with input as` crashes regopy; use "
        "`with data.governance.lib.ctx.doc as`"
    ]


def test_direct_input_and_alias_in_function_reported(tree: Path) -> None:
    (tree / "lib/extra.rego").write_text(
        "package governance.lib.extra\n\nimport rego.v1\n\nimport data.governance.lib.ctx\n\n"
        "f(x) := ctx.obj(x)\n\nkind := input.request.kind\n"
    )
    assert messages(check_policies(tree)) == [
        "lib/extra.rego:7: import alias `ctx` inside a function: regorus resolves it against "
        "the caller; use the full data path",
        "lib/extra.rego:9: reads `input` directly; use lib/ctx.rego accessors",
    ]


def test_unwired_jurisdiction_package(tree: Path) -> None:
    (tree / "jurisdictions/kr").mkdir()
    (tree / "jurisdictions/kr/supervision.rego").write_text(
        "package governance.jurisdictions.kr.supervision\n\nimport rego.v1\n\ndeny := set()\n"
    )
    assert messages(check_policies(tree)) == [
        "jurisdictions/kr/supervision.rego:1: package governance.jurisdictions.kr.supervision "
        "is not listed in governance/main.rego"
    ]

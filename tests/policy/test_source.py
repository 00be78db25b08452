from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from governance.policy.evaluator import make_evaluator
from governance.policy.source import (
    DECISION_RULE,
    DIRECTORY_VASPS,
    PolicySource,
    PolicySourceError,
    add_derived,
    load_policy_source,
    parse_sdn_csv,
)
from tests.policy.decision_table import CASES, POLICIES

VASPS_RULE = "data.governance.lib.ctx.directory_vasps"

ROW = (
    '36216,"LAZARUS GROUP",-0-,"CYBER2] [DPRK3",-0-,-0-,-0-,-0-,-0-,-0-,-0-,'
    '"Digital Currency Address - ETH 0x098B716B8Aaf21512996dC57EB0615e2383E2f96; '
    "Digital Currency Address - XBT 1abc; Digital Currency Address - ETH "
    '0xa0e1c89Ef1a489c9C7dE96311eD5Ce5D32c20E4B."\n'
)


def test_sdn_layout_extracts_eth_addresses_lowercase() -> None:
    out = parse_sdn_csv(ROW + '123,"NOBODY",individual,"SDGT",-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\n')
    assert set(out) == {
        "0x098b716b8aaf21512996dc57eb0615e2383e2f96",
        "0xa0e1c89ef1a489c9c7de96311ed5ce5d32c20e4b",
    }
    entry = out["0x098b716b8aaf21512996dc57eb0615e2383e2f96"]
    assert entry["name"] == "LAZARUS GROUP" and entry["type"] == "" and entry["ent_num"] == "36216"


def test_sdn_short_row_names_line() -> None:
    with pytest.raises(PolicySourceError, match=r"sdn\.csv:2"):
        parse_sdn_csv(ROW + "1,2,3\n")


def test_tree_loading_revision_and_errors(tmp_path: Path) -> None:
    (tmp_path / "governance").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "governance" / "main.rego").write_text("package governance.main\n")
    (tmp_path / "governance" / "main_test.rego").write_text("package governance.main_test\n")
    (tmp_path / "data" / "rates.json").write_text('{"ETH": 1}')
    (tmp_path / "data" / "sdn.csv").write_text(ROW)
    src = load_policy_source(tmp_path)
    assert [m for m, _ in src.modules] == ["governance/main.rego"]
    assert [m for m, _ in src.tests] == ["governance/main_test.rego"]
    assert src.data["reference"]["rates"] == {"ETH": 1}
    assert len(src.data["reference"]["sanctions"]) == 2
    first = src.revision
    (tmp_path / "data" / "rates.json").write_text('{"ETH": 2}')
    assert load_policy_source(tmp_path).revision != first
    (tmp_path / "data" / "rates.json").write_text('{"ETH": ')
    with pytest.raises(PolicySourceError, match=r"rates\.json:1"):
        load_policy_source(tmp_path)
    with pytest.raises(PolicySourceError, match="not a directory"):
        load_policy_source(tmp_path / "absent")


def test_directory_vasps_are_the_directorys_vasp_entries_in_address_order() -> None:
    reference: dict[str, object] = {
        "entities": {
            "_comment": "not an entry",
            "0x02": {"org": "b", "entity_kind": "vasp"},
            "0x01": {"org": "a", "entity_kind": "vasp"},
            "0x03": {"org": "a", "entity_kind": "institution"},
        },
        DIRECTORY_VASPS: [{"org": "forged", "entity_kind": "vasp"}],
    }
    add_derived(reference)
    assert reference[DIRECTORY_VASPS] == [
        {"org": "a", "entity_kind": "vasp"},
        {"org": "b", "entity_kind": "vasp"},
    ]
    broken: dict[str, object] = {"entities": ["not", "an", "object"], DIRECTORY_VASPS: []}
    add_derived(broken)
    assert DIRECTORY_VASPS not in broken  # the policy walks (and refuses) what it finds


def test_the_loaders_list_is_what_the_policy_walk_finds(rego_engine: str) -> None:
    """lib/ctx.rego walks the directory when the list is missing: both give one answer."""
    source = load_policy_source(POLICIES)
    listed = make_evaluator(rego_engine, source).eval_json(VASPS_RULE, "{}")
    walked = make_evaluator(rego_engine, _without_list(source)).eval_json(VASPS_RULE, "{}")
    assert listed == walked == source.data["reference"][DIRECTORY_VASPS]
    assert len(listed) >= 3


def test_the_table_decides_alike_with_and_without_the_list() -> None:
    """The travel rule's VASP checks and the caller's firm (licensing) read the list."""
    source = load_policy_source(POLICIES)
    listed, walked = (make_evaluator("regorus", s) for s in (source, _without_list(source)))
    for case in CASES:
        doc = json.dumps(case.input)
        assert listed.eval_json(DECISION_RULE, doc) == walked.eval_json(DECISION_RULE, doc)


def _without_list(source: PolicySource) -> PolicySource:
    reference = {k: v for k, v in source.data["reference"].items() if k != DIRECTORY_VASPS}
    return dataclasses.replace(source, data={**source.data, "reference": reference})

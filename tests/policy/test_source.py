from __future__ import annotations

from pathlib import Path

import pytest

from governance.policy.source import PolicySourceError, load_policy_source, parse_sdn_csv

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

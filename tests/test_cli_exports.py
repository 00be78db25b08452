"""`governance audit pipl-exports`: an org's count for China's year, the persons recorded, and
exports made outside the gateway added to the count the gateway decides with."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from governance import cli
from governance.audit.factory import open_all
from governance.domain.records import Export
from tests.audit.conftest import sample_record


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    log, quota, exports = open_all(url)
    record = sample_record(1, org="acme-us", outcome="allow")
    people = (
        Export("acme-us", "2026", "wang-fang", False),
        Export("acme-us", "2026", "li-wei", True),
    )
    log.append_batch([dataclasses.replace(record, exports=people)])
    for store in (exports, quota, log):
        store.close()
    return url


def run(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert cli.main(["audit", "pipl-exports", *args]) == 0
    doc: dict[str, object] = json.loads(capsys.readouterr().out)
    return doc


def test_the_count_and_the_people(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    doc = run(capsys, "--db", db, "--org", "acme-us", "--year", "2026", "--people")
    assert doc == {
        "org": "acme-us",
        "year": "2026",
        "individuals": 2,
        "sensitive": 1,
        "people": [
            {"person": "li-wei", "sensitive": True},
            {"person": "wang-fang", "sensitive": False},
        ],
    }


def test_declared_exports_add_to_the_count(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ("--db", db, "--org", "acme-us", "--year", "2026")
    assert (
        run(capsys, *args, "--add", "999998", "--add-sensitive", "9999")["individuals"] == 1_000_000
    )
    assert run(capsys, *args)["sensitive"] == 10_000
    assert cli.main(["audit", "pipl-exports", *args, "--add", "1", "--add-sensitive", "2"]) == 2


def test_no_database_is_created(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing.db'}"
    assert cli.main(["audit", "pipl-exports", "--db", url, "--org", "acme-us"]) == 2
    assert not (tmp_path / "missing.db").exists()

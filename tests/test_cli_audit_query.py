"""`governance audit query`: JSON in pipes and with --json, a readable table on a terminal;
progress of long commands on a terminal only."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from governance import cli
from governance.audit.sqlstore import SqlLog
from tests.audit.conftest import sample_record

RECORDS = [sample_record(i) for i in range(6)]


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    store = SqlLog(url)
    store.append_batch(RECORDS)
    store.close()
    return url


def test_pipes_get_json(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["audit", "query", "--db", db, "--limit", "4"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [i["id"] for i in doc["items"]] == [r.id for r in RECORDS[:4]]
    assert doc["next_cursor"]


def test_terminal_gets_a_table_unless_json_is_asked(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv("COLUMNS", "200")  # a wide terminal: no cell folds
    assert cli.main(["audit", "query", "--db", db, "--outcome", "deny"]) == 0
    out = capsys.readouterr().out
    denied = [r for r in RECORDS if r.outcome == "deny"]
    assert denied
    for record in denied:
        sub, org = record.subject["sub"], record.subject["org"]
        assert f"{sub}@{org}" in out and record.method in out
    assert "outcome" in out and "deny" in out and "allow" not in out
    assert f"{len(denied)} decisions" in out
    assert cli.main(["audit", "query", "--db", db, "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["items"]) == len(RECORDS)


def _run_with_stderr(args: list[str], terminal: bool) -> str:
    """Runs the CLI in a child process with stderr on a pseudo-terminal or a pipe."""
    master, slave = pty.openpty()
    stderr = slave if terminal else subprocess.PIPE
    env = {**os.environ, "COLUMNS": "120"}
    proc = subprocess.run(
        [sys.executable, "-m", "governance.cli", *args],
        stdout=subprocess.DEVNULL, stderr=stderr, env=env, timeout=60, check=True,
    )  # fmt: skip
    os.close(slave)
    if not terminal:
        os.close(master)
        return proc.stderr.decode()
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the terminal's other side is closed and drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return b"".join(chunks).decode(errors="replace")


def test_export_and_verify_show_progress_on_a_terminal_only(db: str, tmp_path: Path) -> None:
    args = ["audit", "export", "--db", db, "--out", str(tmp_path / "out.jsonl")]
    shown = _run_with_stderr(args, terminal=True)
    assert "exporting records" in shown and f"{len(RECORDS)}/{len(RECORDS)}" in shown
    assert _run_with_stderr(args, terminal=False) == ""

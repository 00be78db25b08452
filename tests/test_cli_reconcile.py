"""`governance audit reconcile` on a real anvil node: a table on a terminal, JSON in pipes,
progress on a terminal only, exit 1 when a transaction is unexplained and 2 when it cannot
run."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import Web3

from governance import cli
from governance.audit.sqlstore import SqlLog
from tests.conftest import ACCOUNTS, ROOT, Anvil, start_anvil
from tests.contracts import send_direct, web3_for

ACME_OPS = Web3.to_checksum_address("0xd72b31eebd9ddff8648cdfe3951706f18b86cc6e")
UNKNOWN = ACCOUNTS[9]  # in no directory: not governed


@pytest.fixture
def around(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Anvil, str]]:
    """A node with one transfer that went around the gateway (from acme-us's treasury), one
    from an ungoverned account, an empty decision log, and the environment pointing at them."""
    node = start_anvil()
    url = f"sqlite:///{tmp_path / 'log.db'}"
    SqlLog(url).close()
    w3 = web3_for(node)
    receipt = send_direct(w3, 0, {"to": ACME_OPS, "value": 10**15})
    send_direct(w3, 9, {"to": ACME_OPS, "value": 10**15})
    env = {
        "GOVERNANCE_DATABASE_URL": url,
        "GOVERNANCE_LEDGER_URL": node.url,
        "GOVERNANCE_POLICY_PATH": str(ROOT / "policies"),
    }
    monkeypatch.delenv("GOVERNANCE_CONFIG", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    try:
        yield node, "0x" + bytes(receipt["transactionHash"]).hex()
    finally:
        node.stop()


def test_pipes_get_json_and_exit_1(
    around: tuple[Anvil, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, bypass = around
    assert cli.main(["audit", "reconcile", "--ledger", "main"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [(f["finding"], f["tx_hash"], f["org"]) for f in doc["findings"]] == [
        ("bypass", bypass, "acme-us")
    ]
    assert (doc["blocks"], doc["transactions"], doc["new_findings"]) == (3, 2, 1)
    # Already scanned: nothing new, but the finding is still unexplained.
    assert cli.main(["audit", "reconcile", "--ledger", "main"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert (doc["blocks"], doc["new_findings"], len(doc["findings"])) == (0, 0, 1)
    assert cli.main(["audit", "reconcile", "--ledger", "main", "--from-block", "2"]) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []


def test_terminal_gets_a_table_unless_json_is_asked(
    around: tuple[Anvil, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, bypass = around
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv("COLUMNS", "250")
    assert cli.main(["audit", "reconcile", "--ledger", "main"]) == 1
    out = capsys.readouterr().out
    assert bypass in out and "bypass" in out and "acme-us" in out
    assert "3 blocks, 2 transactions" in out and "1 unexplained (1 new)" in out
    assert cli.main(["audit", "reconcile", "--ledger", "main", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["findings"][0]["tx_hash"] == bypass


def _stderr(terminal: bool) -> tuple[int, str]:
    master, slave = pty.openpty()
    proc = subprocess.run(
        [sys.executable, "-m", "governance.cli", "audit", "reconcile", "--ledger", "main"],
        stdout=subprocess.DEVNULL, stderr=slave if terminal else subprocess.PIPE,
        env={**os.environ, "COLUMNS": "120"}, timeout=120, check=False,
    )  # fmt: skip
    os.close(slave)
    if not terminal:
        os.close(master)
        return proc.returncode, proc.stderr.decode()
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side is closed and drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return proc.returncode, b"".join(chunks).decode(errors="replace")


def test_progress_on_a_terminal_only(around: tuple[Anvil, str]) -> None:
    code, shown = _stderr(terminal=True)
    assert code == 1 and "reconciling blocks" in shown and "3/3" in shown
    code, piped = _stderr(terminal=False)
    assert code == 1 and piped == ""


def test_it_cannot_run_without_its_ledger(
    around: tuple[Anvil, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli.main(["audit", "reconcile", "--ledger", "nope"]) == 2
    assert "no ledger 'nope'" in capsys.readouterr().err
    monkeypatch.setenv("GOVERNANCE_LEDGER_URL", "http://127.0.0.1:9")
    assert cli.main(["audit", "reconcile", "--ledger", "main"]) == 2
    assert "reconciliation failed" in capsys.readouterr().err

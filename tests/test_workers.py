"""`governance serve --workers 2`: one socket, two processes, one SQLite log. Quotas stay exact
across the workers (the race of tests/api/test_supervision_e2e.py, through two processes) and
the log stays one verifiable chain of records."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from governance.audit.sqlstore import SqlLog
from tests.api.test_supervision_e2e import ACCT, outcome, pinned_policies, wei_for_usd
from tests.conftest import (
    ROOT,
    SECRET,
    Anvil,
    free_port,
    legal,
    natural,
    nonce_of,
    raw_tx,
    rpc,
    token,
    travel_rule,
)

__all__ = ["pinned_policies"]  # the module fixture, shared with the supervision suite


@pytest.fixture
def two_workers(tmp_path: Path, anvil: Anvil, pinned_policies: Path) -> object:
    port = free_port()
    cfg = tmp_path / "governance.toml"
    cfg.write_text(
        f'[auth]\njwt_secret = "{SECRET}"\n[policy]\npath = "{pinned_policies}"\n'
        f'[audit]\ndatabase_url = "sqlite:///{tmp_path / "log.db"}"\n'
        f'signing_key_file = "{tmp_path / "cp.key"}"\n'
        f'[[ledgers]]\nname = "main"\nurl = "{anvil.url}"\nchain_id = 31337\ndefault = true\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVERNANCE_")}
    serve = ("serve", "--config", str(cfg), "--port", str(port), "--workers", "2")
    proc = subprocess.Popen(
        [sys.executable, "-m", "governance.cli", *serve, "--log-level", "warning"],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code < 500:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, "gateway did not start"
        time.sleep(0.2)
    yield url, proc, tmp_path / "log.db"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0


@pytest.mark.parametrize("round_", [1, 2, 3])
def test_quota_race_across_two_workers_gives_exactly_five(
    two_workers: tuple[str, subprocess.Popen[bytes], Path], anvil: Anvil, round_: int
) -> None:
    """Without the lock across workers this allows six about every other round."""
    url, proc, db = two_workers
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    assert len(children) == 2  # two worker processes behind the one port
    sender, recipient = ACCT[2].address, ACCT[4].address  # panda-cn individual -> hanse-de
    bearer = token(
        sub="li-wei-workers", org="panda-cn", jurisdiction="CN", entity_kind="individual"
    )
    headers = travel_rule(natural("Li Wei", "CN"), sender, legal("Hanse Bank AG", "DE"), recipient)
    start = nonce_of(anvil, 2) + 1000 * round_
    bodies = [raw_tx(2, recipient, wei_for_usd(Decimal(10_000)), start + i) for i in range(20)]

    def send(raw: str) -> tuple[str, list[str]]:
        answer = rpc(f"{url}/rpc", "eth_sendRawTransaction", [raw], bearer=bearer, headers=headers)
        return outcome(answer)

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(send, bodies))
    counts = Counter(o for o, _ in results)
    assert counts["allow"] == 5, results
    assert all("FX_QUOTA_EXCEEDED" in codes for o, codes in results if o == "deny"), results
    log = SqlLog(f"sqlite:///{db}")
    try:  # both workers appended to one chain: 20 records, indices 0..19, one root
        rows = log.leaves()
        assert [index for index, _, _ in rows] == list(range(len(rows))) and len(rows) >= 20
        assert len(log.root()) == 32
    finally:
        log.close()

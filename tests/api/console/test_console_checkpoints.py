"""The checkpoints page in a real browser: every signed checkpoint's signature and its
consistency with the previous one, checked by the browser; a forged checkpoint (validly signed
over a root the log never had) is shown inconsistent, an altered signature invalid."""

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from governance.audit.checkpoint import Checkpoint, load_private_key, sign_checkpoint
from tests.api.console.conftest import AUDITOR, log_db, read, sign_in, table
from tests.conftest import GatewayServer, wait_for


def signed_sizes(gw: GatewayServer) -> list[int]:
    headers = {"Authorization": f"Bearer {AUDITOR}"}
    items = httpx.get(f"{gw.url}/audit/checkpoints", headers=headers, timeout=10).json()["items"]
    return [int(cp["size"]) for cp in items]


def settled(browser: Any, count: int) -> list[list[str]]:
    return wait_for(
        lambda: (t := table(browser)) and len(t) == count and "checking…" not in str(t) and t,
        what="every checkpoint checked",
    )


@pytest.mark.slow
def test_checkpoint_history_signatures_and_consistency(
    fast_gateway: GatewayServer, browser: Any, screenshots: Path
) -> None:
    gw, db = fast_gateway, log_db(fast_gateway)
    logged = 0
    for round_ in range(3):  # at least three checkpoints of growing size
        for n in range(round_ + 1):
            read(gw, f"r{round_}n{n}", "acme-us")
        logged += round_ + 1
        # Reads are group committed: wait for a checkpoint over all of them.
        wait_for(lambda n=logged: signed_sizes(gw)[:1] == [n], what=f"a checkpoint of {logged}")
    sizes = signed_sizes(gw)
    assert len(sizes) >= 3
    sign_in(browser, gw.url, AUDITOR, page="checkpoints")
    rows = settled(browser, len(sizes))
    assert [int(r[0]) for r in rows] == sizes == sorted(sizes, reverse=True)
    assert all(r[3] == "valid" for r in rows), rows
    assert [r[4] for r in rows[:-1]] == [f"consistent with {s}" for s in sizes[1:]]
    assert rows[-1][4] == "first checkpoint"
    browser.save_screenshot(str(screenshots / "checkpoints.png"))

    middle = sizes[1]
    key = load_private_key(db.with_suffix(".key"))
    forged_root = bytes(32)
    forged = sign_checkpoint(Checkpoint(gw.settings.audit.origin, middle, forged_root),
                             gw.settings.audit.origin, key)  # fmt: skip
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE checkpoints SET note = ?, root = ? WHERE size = ?",
            (forged, forged_root, middle),
        )
        oldest = conn.execute("SELECT note FROM checkpoints WHERE size = ?", (sizes[2],)).fetchone()
        blob = oldest[0].rsplit(" ", 1)
        broken = base64.b64decode(blob[1])
        altered = base64.b64encode(broken[:-1] + bytes([broken[-1] ^ 1])).decode()
        conn.execute(
            "UPDATE checkpoints SET note = ? WHERE size = ?",
            (f"{blob[0]} {altered}\n", sizes[2]),
        )
    browser.refresh()
    rows = settled(browser, len(sizes))
    by_size = {int(r[0]): r for r in rows}
    assert by_size[middle][3] == "valid"  # signed by the log's key, yet never its tree
    assert by_size[sizes[0]][4].startswith(f"inconsistent with {middle}:"), by_size[sizes[0]]
    assert "signed root" in by_size[sizes[0]][4]
    assert by_size[sizes[2]][3].startswith("invalid:") and "signature" in by_size[sizes[2]][3]
    assert by_size[middle][4] == "not checked: a signature is invalid"
    browser.save_screenshot(str(screenshots / "checkpoints-forged.png"))

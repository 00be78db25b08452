"""One decision's page in a real browser: what was decided and why, and its inclusion proof
checked by the browser (WebCrypto SHA-256 and Ed25519) against the latest signed checkpoint;
a record edited in the database afterwards shows the first mismatch."""

from __future__ import annotations

import base64
import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from tests.api.console.pages import fast_checkpoints, sign_in, table, text, traffic, wait_for
from tests.conftest import Anvil, GatewayServer, token

STATUS = "proof-status"


def status(browser: Any) -> str:
    """The proof's final status: "verified" or a mismatch (not "checking…" or "waiting…")."""
    return wait_for(
        lambda: (
            (s := text(browser, STATUS)).startswith(("verified", "mismatch", "not checked")) and s
        ),
        what="the proof",
    )


@pytest.mark.slow
def test_decision_page_verifies_then_shows_the_tampered_record(
    gateway_factory: Callable[..., GatewayServer],
    anvil: Anvil,
    browser: Any,
    screenshots: Path,
    tmp_path: Path,
) -> None:
    db = tmp_path / "tamper.db"
    gw = fast_checkpoints(gateway_factory, db)
    traffic(gw, anvil)
    sign_in(browser, gw.url, token(sub="ann", org="acme-us", roles=("auditor",)))
    rows = wait_for(lambda: (t := table(browser)) and any(r[2] == "nokyc@acme-us" for r in t) and t)
    leaf = next(r[0] for r in rows if r[2] == "nokyc@acme-us")
    browser.find_element(By.LINK_TEXT, leaf).click()

    assert status(browser) == "verified", text(browser, "proof-steps")
    page = text(browser, "decision")
    assert "nokyc@acme-us" in page and "eth_sendRawTransaction" in page
    reasons = browser.execute_script(TABLE_JS, "reason-table")
    assert reasons[0][:2] == ["KYC_REQUIRED", "US"]
    assert "31 CFR 1020.220" in reasons[0][2]  # the regulation's text
    effects = browser.execute_script(TABLE_JS, "effect-table")
    assert effects and effects[0][:3] == ["native", "ETH", "0.001"]
    assert "travel rule required" in text(browser, "obligations")
    assert "Nothing is masked" in text(browser, "masking")
    assert '"tx"' in text(browser, "input")
    browser.save_screenshot(str(screenshots / "decision-verified.png"))

    # The stored record edited in place: its bytes no longer hash to its leaf.
    with sqlite3.connect(db) as conn:
        edit = "UPDATE decisions SET record = replace(record, ?, ?) WHERE leaf_index = ?"
        conn.execute(edit, ('"sub":"nokyc"', '"sub":"n0kyc"', int(leaf)))
    browser.refresh()
    found = status(browser)
    assert found.startswith("mismatch:") and "is not its leaf hash" in found, found
    assert "n0kyc@acme-us" in text(browser, "summary")
    browser.save_screenshot(str(screenshots / "decision-tampered.png"))

    # The leaf hash rewritten to match: the inclusion proof no longer leads to the signed root.
    with sqlite3.connect(db) as conn:
        (body,) = conn.execute(
            "SELECT record FROM decisions WHERE leaf_index = ?", (int(leaf),)
        ).fetchone()
        forged = hashlib.sha256(b"\x00" + body.encode()).digest()
        conn.execute("UPDATE decisions SET leaf_hash = ? WHERE leaf_index = ?", (forged, int(leaf)))
    browser.refresh()
    found = status(browser)
    assert found.startswith("mismatch:") and "is not the signed root" in found, found
    assert base64.b64encode(forged).decode() in text(browser, "proof-steps")


TABLE_JS = """return [...document.querySelectorAll('#' + arguments[0] + ' tbody tr')]
  .map((tr) => [...tr.cells].map((td) => td.textContent));"""

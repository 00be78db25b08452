"""One decision's page in a real browser: what was decided and why, and its inclusion proof
checked by the browser (WebCrypto SHA-256 and Ed25519) against the latest signed checkpoint;
a record edited in the database afterwards shows the first mismatch; a viewer who may not see
travel-rule data gets the leaf hash proven and is told so."""

from __future__ import annotations

import base64
import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from tests.api.console.conftest import (
    AUDITOR,
    lion_sg_transfer,
    log_db,
    logged,
    sign_in,
    table,
    text,
    traffic,
)
from tests.conftest import Anvil, GatewayServer, token, wait_for

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
    fast_gateway: GatewayServer, anvil: Anvil, browser: Any, screenshots: Path
) -> None:
    gw, db = fast_gateway, log_db(fast_gateway)
    traffic(gw, anvil)
    sign_in(browser, gw.url, AUDITOR)
    rows = wait_for(lambda: (t := table(browser)) and any(r[2] == "nokyc@acme-us" for r in t) and t)
    leaf = next(r[0] for r in rows if r[2] == "nokyc@acme-us")
    browser.find_element(By.LINK_TEXT, leaf).click()

    assert status(browser) == "verified", text(browser, "proof-steps")
    page = text(browser, "decision")
    assert "nokyc@acme-us" in page and "eth_sendRawTransaction" in page
    reasons = table(browser, "#reason-table tbody tr")
    assert reasons[0][:2] == ["KYC_REQUIRED", "US"]
    assert "31 CFR 1020.220" in reasons[0][2]  # the regulation's text
    effects = table(browser, "#effect-table tbody tr")
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


@pytest.mark.slow
def test_masked_view_proves_the_leaf_hash_and_says_so(
    fast_gateway: GatewayServer, anvil: Anvil, browser: Any, screenshots: Path
) -> None:
    gw = fast_gateway
    sent = lion_sg_transfer(gw, anvil)
    decision = sent.json().get("result") and logged(gw, order="desc", limit=1)[0]["id"]
    assert decision, sent.text

    # An auditor of the org may not see travel-rule personal data: the leaf hash is proven.
    sign_in(
        browser, gw.url, token(sub="al", org="lion-sg", roles=("auditor",)), DECISION + decision
    )
    assert status(browser) == "verified", text(browser, "proof-steps")
    assert "Hidden from your role" in text(browser, "masking")
    assert "/input/travel_rule" in text(browser, "masking")
    assert '"travel_rule": "masked"' in text(browser, "input")
    assert "the record's bytes are not recomputed" in text(browser, "proof-steps")
    browser.save_screenshot(str(screenshots / "decision-masked.png"))

    # A regulator of a jurisdiction that applied sees it all: the record's bytes are checked.
    regulator = token(sub="mas", org="mas", jurisdiction="SG", roles=("regulator",))
    sign_in(browser, gw.url, regulator, DECISION + decision)
    assert status(browser) == "verified", text(browser, "proof-steps")
    # The policy erased the travel-rule persons before logging; nothing more is hidden.
    assert '"travel_rule": {}' in text(browser, "input")
    masking = text(browser, "masking")
    assert "Erased before logging (policy mask): /travel_rule/beneficiary" in masking
    assert "Hidden from your role" not in masking
    assert "Leaf hash recomputed from the logged record" in text(browser, "proof-steps")


DECISION = "decisions/"

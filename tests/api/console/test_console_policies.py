"""The policies page in a real browser: what serves, rules and reason codes per jurisdiction,
and a replay of an uploaded draft that tightens a threshold, showing the affected decision of
the viewer's scope only."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By

from governance.policy.bundle import build_bundle_from_dir
from tests.api.console.conftest import (
    ADMIN,
    AUDITOR,
    lion_sg_transfer,
    sign_in,
    table,
    text,
    traffic,
)
from tests.conftest import ROOT, Anvil, GatewayServer, token, wait_for

OFFICER = token(sub="cora", org="acme-us", roles=("compliance_officer",))


def tightened_draft(tmp_path: Path) -> Path:
    """The shipped policies with the US and SG institutions' daily limit cut to 1 (in the
    limit's currency): every allowed write of a few dollars by an institution there would be
    denied."""
    tree = tmp_path / "draft"
    shutil.copytree(ROOT / "policies", tree)
    path = tree / "data" / "jurisdictions.json"
    doc = json.loads(path.read_text())
    for code in ("US", "SG"):
        doc[code]["daily_limit"]["limits"]["institution"] = 1
    path.write_text(json.dumps(doc, indent=2))
    bundle = tmp_path / "draft.tar.gz"
    build_bundle_from_dir(tree, bundle)
    return bundle


@pytest.mark.slow
def test_policy_page_and_replay_of_a_tightened_draft(
    gateway: GatewayServer, anvil: Anvil, browser: Any, screenshots: Path, tmp_path: Path
) -> None:
    traffic(gateway, anvil)  # alice@acme-us's transfer is allowed
    other = lion_sg_transfer(gateway, anvil)
    assert "result" in other.json(), other.text  # another org's allowed write
    bundle = tightened_draft(tmp_path)
    body = {"bundle_base64": base64.b64encode(bundle.read_bytes()).decode()}
    everyone = httpx.post(f"{gateway.url}/admin/replay", json=body, headers=ADMIN, timeout=60)
    assert everyone.json()["allow_to_deny"] == 2, everyone.text  # both orgs' writes

    sign_in(browser, gateway.url, OFFICER, page="policies")
    serving = wait_for(lambda: text(browser, "serving"), what="the serving policy")
    revision = gateway.services.engine.snapshot().revision
    assert f"serving revision{revision}" in serving
    assert "signed bundlesnot required" in serving
    assert "last reloadnone since the gateway started" in serving
    us = table(browser, "#jurisdiction-US tr")
    assert any("KYC_REQUIRED" in row[3] for row in us[1:]), us
    assert any("DAILY_LIMIT_EXCEEDED" in row[3] for row in us[1:]), us

    browser.find_element(By.NAME, "bundle").send_keys(str(bundle))
    browser.find_element(By.CSS_SELECTOR, "#replay button").click()
    summary = wait_for(lambda: text(browser, "replay-summary"), timeout=60, what="the replay")
    assert "allow to deny1" in summary and "deny to allow0" in summary, summary
    # The denied write without KYC also gains the code: reasons changed, still denied.
    assert "reasons changed1" in summary and "+DAILY_LIMIT_EXCEEDED 2" in summary
    examples = table(browser, "#examples tr")[1:]
    # lee@lion-sg's write is outside a compliance officer of acme-us's scope.
    assert sorted(row[3] for row in examples) == ["alice@acme-us (US)", "nokyc@acme-us (US)"]
    change, decision, _, subject, method, before, after = examples[0]
    assert (change, subject, method) == (
        "allow to deny",
        "alice@acme-us (US)",
        "eth_sendRawTransaction",
    )
    assert before.startswith("allow") and after == "deny DAILY_LIMIT_EXCEEDED@US"
    link = browser.find_element(By.LINK_TEXT, decision).get_attribute("href")
    assert link == f"{gateway.url}/console/decisions/{decision}"
    browser.save_screenshot(str(screenshots / "policies-replay.png"))


@pytest.mark.slow
def test_replay_needs_an_officer_or_admin(gateway: GatewayServer, browser: Any) -> None:
    sign_in(browser, gateway.url, AUDITOR, "policies")
    note = wait_for(lambda: text(browser, "replay-note"), what="the replay note")
    assert "needs the compliance_officer or admin role" in note
    assert browser.execute_script("return document.getElementById('replay').hidden") is True

"""The decisions page in a real browser (Debian's chromium driven by selenium) against a real
gateway with real traffic on anvil: sign-in and scopes, a trader refused, a filter by reason
code, decisions made after the page loaded appearing live, a regulator's jurisdiction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from tests.api.console.conftest import AUDITOR, logged, read, sign_in, table, text, traffic
from tests.conftest import Anvil, GatewayServer, token, wait_for


@pytest.mark.slow
def test_scopes_refusal_and_reason_filter(
    gateway: GatewayServer, anvil: Anvil, browser: Any, screenshots: Path
) -> None:
    traffic(gateway, anvil)
    sign_in(browser, gateway.url, AUDITOR)
    # Reads are group committed: wait until the denied write and both reads by acme-us show.
    rows = wait_for(lambda: (t := table(browser)) and len(t) >= 3 and t, what="the table")
    subjects = {r[2] for r in rows}
    assert subjects and all(s.endswith("@acme-us") for s in subjects), subjects
    assert "nokyc@acme-us" in subjects
    browser.save_screenshot(str(screenshots / "decisions-auditor.png"))

    browser.find_element(By.NAME, "reason").send_keys("KYC_REQUIRED")
    browser.find_element(By.CSS_SELECTOR, "#filters button").click()
    filtered = wait_for(lambda: (t := table(browser)) and len(t) < len(rows) and t)
    assert all("KYC_REQUIRED" in r[5] and r[4] == "deny" for r in filtered)

    browser.delete_all_cookies()
    sign_in(browser, gateway.url, token(sub="tom", org="acme-us", roles=("trader",)))
    message = wait_for(lambda: text(browser, "message"))
    assert "Not allowed" in message
    assert not table(browser)
    browser.save_screenshot(str(screenshots / "signin-trader.png"))


@pytest.mark.slow
def test_decision_made_after_the_page_loaded_appears_without_reload(
    gateway: GatewayServer, anvil: Anvil, browser: Any, screenshots: Path
) -> None:
    read(gateway, "alice", "acme-us")
    sign_in(browser, gateway.url, AUDITOR)
    before = wait_for(lambda: table(browser), what="the first decision")
    wait_for(lambda: text(browser, "live") == "live", what="the stream to connect")
    browser.execute_script("window.sameDocument = true")  # gone if the page reloads

    read(gateway, "later", "acme-us")
    read(gateway, "other", "beta-us")  # another org: outside an auditor's scope
    rows = wait_for(lambda: (t := table(browser)) and t[0][2] == "later@acme-us" and t)
    assert browser.execute_script("return window.sameDocument") is True
    assert len(rows) == len(before) + 1
    assert all(not r[2].endswith("@beta-us") for r in rows)
    first_row = "return document.querySelector('#table tbody tr').className"
    assert browser.execute_script(first_row) == "new"
    # Each row links to its decision page.
    href = browser.execute_script("return document.querySelector('#table tbody tr a').href")
    assert href.startswith(f"{gateway.url}/console/decisions/")
    browser.save_screenshot(str(screenshots / "decisions-live.png"))


@pytest.mark.slow
def test_regulator_sees_only_their_jurisdiction(
    gateway: GatewayServer, anvil: Anvil, browser: Any, screenshots: Path
) -> None:
    traffic(gateway, anvil)  # US subjects
    read(gateway, "hana", "kowloon-hk", jurisdiction="HK")
    read(gateway, "hiro", "kowloon-hk", jurisdiction="HK")
    everything = wait_for(
        lambda: (items := logged(gateway)) and len(items) >= 6 and items, what="the log"
    )
    in_hk = [i for i in everything if "HK" in i["result"]["jurisdictions"]]
    assert in_hk and len(in_hk) < len(everything)  # the log holds records outside HK

    regulator = token(sub="reg", org="hkma", jurisdiction="HK", roles=("regulator",))
    sign_in(browser, gateway.url, regulator)
    rows = wait_for(lambda: (t := table(browser)) and len(t) == len(in_hk) and t)
    assert {r[0] for r in rows} == {str(i["leaf_index"]) for i in in_hk}
    assert all("HK" in r[6].split(", ") for r in rows), rows
    assert {r[2] for r in rows} == {"hana@kowloon-hk", "hiro@kowloon-hk"}
    browser.save_screenshot(str(screenshots / "decisions-regulator.png"))

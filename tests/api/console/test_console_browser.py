"""The console in a real browser (Debian's chromium driven by selenium) against a real gateway
with real traffic on anvil: sign-in and scopes, a trader refused, a filter by reason code."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.test_rpc_e2e import ACCT, signed_transfer
from tests.conftest import ROOT, Anvil, GatewayServer, rpc, token

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run",
)  # fmt: skip


@pytest.fixture(scope="module")
def driver_path() -> str:
    found = subprocess.run(
        [str(ROOT / "scripts" / "ensure-chromium")], capture_output=True, text=True, check=False
    )
    if found.returncode != 0:
        pytest.fail(f"no Chromium: {found.stderr}")
    return found.stdout.strip()


@pytest.fixture
def browser(driver_path: str) -> Iterator[object]:
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="console-chromium-")
    options = webdriver.ChromeOptions()
    for flag in (*FLAGS, f"--user-data-dir={profile}", "--window-size=1400,1000"):
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def traffic(gw: GatewayServer, anvil: Anvil) -> None:
    """Reads by two orgs, a denied write (no KYC) by acme-us, an allowed transfer."""
    for sub, org in (("alice", "acme-us"), ("bert", "beta-us")):
        bearer = token(sub=sub, org=org)
        assert rpc(gw.rpc_url(), "eth_blockNumber", [], bearer=bearer).status_code == 200
    denied = rpc(gw.rpc_url(), "eth_sendRawTransaction",
                 [signed_transfer(anvil, 0, ACCT[0].address, 10**15)],
                 bearer=token(sub="nokyc", org="acme-us", kyc="none"))  # fmt: skip
    assert denied.json()["error"]["code"] == -32003
    allowed = rpc(gw.rpc_url(), "eth_sendRawTransaction",
                  [signed_transfer(anvil, 0, ACCT[9].address, 10**15)],
                  bearer=token(sub="alice", org="acme-us"))  # fmt: skip
    assert "result" in allowed.json(), allowed.text


def sign_in(driver: object, url: str, bearer: str) -> None:
    d: object = driver
    d.get(f"{url}/console")  # type: ignore[attr-defined]
    d.find_element(By.ID, "token").send_keys(bearer)  # type: ignore[attr-defined]
    d.find_element(By.ID, "signin-button").click()  # type: ignore[attr-defined]


def wait_for(predicate: object, timeout: float = 15.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()  # type: ignore[operator]
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting in the browser")


TABLE_JS = """return [...document.querySelectorAll('#table tbody tr')]
  .map((tr) => [...tr.cells].map((td) => td.textContent));"""


def table(driver: object) -> list[list[str]]:
    """The table's cells in one script call, so a re-render cannot leave stale elements."""
    rows: list[list[str]] = driver.execute_script(TABLE_JS)  # type: ignore[attr-defined]
    return rows


@pytest.mark.slow
def test_scopes_refusal_and_reason_filter(
    gateway: GatewayServer, anvil: Anvil, browser: object, tmp_path: Path
) -> None:
    traffic(gateway, anvil)
    time.sleep(0.2)  # reads are group committed
    sign_in(browser, gateway.url, token(sub="ann", org="acme-us", roles=("auditor",)))
    rows = wait_for(lambda: table(browser))
    assert isinstance(rows, list)
    subjects = {r[2] for r in rows}
    assert subjects and all(s.endswith("@acme-us") for s in subjects), subjects
    assert "nokyc@acme-us" in subjects
    browser.save_screenshot(str(tmp_path / "decisions-auditor.png"))  # type: ignore[attr-defined]

    browser.find_element(By.NAME, "reason").send_keys("KYC_REQUIRED")  # type: ignore[attr-defined]
    browser.find_element(By.CSS_SELECTOR, "#filters button").click()  # type: ignore[attr-defined]
    filtered = wait_for(lambda: (t := table(browser)) and len(t) < len(rows) and t)
    assert isinstance(filtered, list)
    assert all("KYC_REQUIRED" in r[5] and r[4] == "deny" for r in filtered)

    browser.delete_all_cookies()  # type: ignore[attr-defined]
    browser.execute_script("sessionStorage.clear()")  # type: ignore[attr-defined]
    sign_in(browser, gateway.url, token(sub="tom", org="acme-us", roles=("trader",)))
    message = wait_for(lambda: browser.find_element(By.ID, "message").text)  # type: ignore[attr-defined]
    assert "Not allowed" in str(message)
    assert not table(browser)
    browser.save_screenshot(str(tmp_path / "signin-trader.png"))  # type: ignore[attr-defined]

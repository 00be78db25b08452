"""What the console's browser tests share: Debian's chromium driven by selenium, traffic
through the gateway, the log as an admin reads it, sign-in, and reading tables in one script
call (no stale elements while a page re-renders)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import (
    ACCOUNTS,
    ROOT,
    Anvil,
    GatewayServer,
    legal,
    rpc,
    signed_transfer,
    token,
    travel_rule,
)

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run",
)  # fmt: skip


@pytest.fixture(scope="session")
def driver_path() -> str:
    found = subprocess.run(
        [str(ROOT / "scripts" / "ensure-chromium")], capture_output=True, text=True, check=False
    )
    if found.returncode != 0:
        pytest.fail(f"no Chromium: {found.stderr}")
    return found.stdout.strip()


@pytest.fixture
def browser(driver_path: str) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="console-chromium-")
    options = webdriver.ChromeOptions()
    for flag in (*FLAGS, f"--user-data-dir={profile}", "--window-size=1400,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console errors, CSP
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One temporary directory for every page's screenshot in this run."""
    return tmp_path_factory.mktemp("console-screenshots")


AUDITOR = token(sub="ann", org="acme-us", roles=("auditor",))
ADMIN = {"Authorization": "Bearer " + token(sub="root", org="ops", roles=("admin",))}
CHECKPOINT_SECONDS = 0.3  # checkpoints signed quickly, so proofs are available at once


@pytest.fixture
def fast_gateway(gateway_factory: Callable[..., GatewayServer], tmp_path: Path) -> GatewayServer:
    """A gateway that signs a checkpoint every CHECKPOINT_SECONDS, its log at `log_db(gw)`."""
    from governance.config import AuditConfig

    db = tmp_path / "console.db"
    audit = AuditConfig(
        database_url=f"sqlite:///{db}",
        signing_key_file=str(db.with_suffix(".key")),
        checkpoint_seconds=CHECKPOINT_SECONDS,
    )
    gw: GatewayServer = gateway_factory(audit=audit)
    return gw


def log_db(gw: GatewayServer) -> Path:
    """The SQLite file of the gateway's log, for tests that tamper with it."""
    return Path(gw.settings.audit.database_url.removeprefix("sqlite:///"))


def logged(gw: GatewayServer, **params: Any) -> list[dict[str, Any]]:
    """The log's decisions as an admin reads them."""
    page = httpx.get(f"{gw.url}/audit/decisions", params=params, headers=ADMIN, timeout=10)
    items: list[dict[str, Any]] = page.json()["items"]
    return items


def read(gw: GatewayServer, sub: str, org: str, jurisdiction: str = "US") -> None:
    bearer = token(sub=sub, org=org, jurisdiction=jurisdiction)
    assert rpc(gw.rpc_url(), "eth_blockNumber", [], bearer=bearer).status_code == 200


def traffic(gw: GatewayServer, anvil: Anvil) -> None:
    """Reads by two orgs, a denied write (no KYC) by acme-us, an allowed transfer."""
    for sub, org in (("alice", "acme-us"), ("bert", "beta-us")):
        read(gw, sub, org)
    denied = rpc(gw.rpc_url(), "eth_sendRawTransaction",
                 [signed_transfer(anvil, 0, ACCOUNTS[0].address, 10**15)],
                 bearer=token(sub="nokyc", org="acme-us", kyc="none"))  # fmt: skip
    assert denied.json()["error"]["code"] == -32003
    allowed = rpc(gw.rpc_url(), "eth_sendRawTransaction",
                  [signed_transfer(anvil, 0, ACCOUNTS[9].address, 10**15)],
                  bearer=token(sub="alice", org="acme-us"))  # fmt: skip
    assert "result" in allowed.json(), allowed.text


def lion_sg_transfer(gw: GatewayServer, anvil: Anvil) -> httpx.Response:
    """An allowed write by lion-sg (SG) to itself, with its travel-rule data: another org's."""
    lion, account = legal("Lion Commodities Pte. Ltd.", "SG"), ACCOUNTS[5].address
    return rpc(gw.rpc_url(), "eth_sendRawTransaction",
               [signed_transfer(anvil, 5, account, 10**15)],
               bearer=token(sub="lee", org="lion-sg", jurisdiction="SG"),
               headers=travel_rule(lion, account, lion, account))  # fmt: skip


def sign_in(driver: Any, url: str, bearer: str, page: str = "decisions") -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{url}/console/{page}")
    if driver.execute_script("return sessionStorage.length"):
        driver.execute_script("sessionStorage.clear()")  # a fresh sign-in, not the last one's
        driver.refresh()
    driver.find_element(By.ID, "token").send_keys(bearer)
    driver.find_element(By.ID, "signin-button").click()


ROWS_JS = """return [...document.querySelectorAll(arguments[0])]
  .map((tr) => [...tr.cells].map((td) => td.textContent));"""


def table(driver: Any, rows: str = "#table tbody tr") -> list[list[str]]:
    """The cells of the `rows` (a CSS selector) in one script call, so a re-render cannot
    leave stale elements; by default the page's main table."""
    cells: list[list[str]] = driver.execute_script(ROWS_JS, rows)
    return cells


def text(driver: Any, element_id: str) -> str:
    value: str = driver.execute_script(
        "const e = document.getElementById(arguments[0]); return e ? e.textContent : '';",
        element_id,
    )
    return value


def console_errors(driver: Any) -> list[str]:
    """Errors the page logged (script errors, Content-Security-Policy refusals)."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]

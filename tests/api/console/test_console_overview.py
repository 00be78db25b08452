"""The overview page in a real browser: the data each chart is given matches the decisions
made through the gateway, the chart library is served by the gateway (no refusal under the
page's Content-Security-Policy), and a scope without decisions says what to do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.api.console.conftest import (
    console_errors,
    logged,
    read,
    sign_in,
    text,
    traffic,
)
from tests.conftest import ROOT, Anvil, GatewayServer, token, wait_for

CHARTS = ("outcomes", "reasons", "denials", "usage")
CHART_DATA_JS = """const charts = window.consoleCharts || {};
return Object.fromEntries(Object.entries(charts).map(([name, c]) => [name, {
  type: c.config.type, labels: c.data.labels,
  datasets: c.data.datasets.map((d) => ({label: d.label, data: d.data}))}]));"""


def chart_data(browser: Any) -> dict[str, Any]:
    data: dict[str, Any] = browser.execute_script(CHART_DATA_JS)
    return data


@pytest.mark.slow
def test_chart_data_matches_the_log(
    gateway: GatewayServer, anvil: Anvil, browser: Any, screenshots: Path
) -> None:
    traffic(gateway, anvil)
    read(gateway, "hana", "kowloon-hk", jurisdiction="HK")
    items = wait_for(lambda: (i := logged(gateway)) and len(i) == 5 and i, what="the log")
    sign_in(browser, gateway.url, token(sub="root", org="ops", roles=("admin",)), "overview")
    charts = wait_for(lambda: (c := chart_data(browser)) and len(c) == len(CHARTS) and c)

    outcomes = {d["label"]: sum(d["data"]) for d in charts["outcomes"]["datasets"]}
    assert outcomes == {o: sum(i["outcome"] == o for i in items) for o in ("allow", "deny")}
    # The last hour per minute: 60 buckets, or 61 when the hour starts within a minute.
    assert len(charts["outcomes"]["labels"]) in (60, 61)
    assert browser.execute_script("return document.querySelector('.step').textContent") == "minute"
    assert items[-1]["time"][11:16] in charts["outcomes"]["labels"]
    assert charts["reasons"]["labels"] == ["US"]
    assert charts["reasons"]["datasets"] == [{"label": "KYC_REQUIRED", "data": [1]}]
    assert [(d["label"], sum(d["data"])) for d in charts["denials"]["datasets"]] == [("US", 1)]

    usage = charts["usage"]
    assert usage["labels"] == ["alice@acme-us (US, institution)"]  # the one allowed write
    daily, fx = usage["datasets"]
    limits = json.loads((ROOT / "policies" / "data" / "jurisdictions.json").read_text())
    limit = limits["US"]["daily_limit"]["limits"]["institution"]  # in USD
    spent = next(i["amount_usd"] for i in items if i["kind"] == "write" and i["outcome"] == "allow")
    assert daily["data"] == [pytest.approx(spent / limit * 100)]
    assert fx["data"] == [None]  # institutions have no annual FX quota: no bar, not zero
    assert not console_errors(browser)
    assert all(text(browser, f"empty-{name}") == "" for name in CHARTS)
    browser.save_screenshot(str(screenshots / "overview.png"))


@pytest.mark.slow
def test_empty_scope_says_what_to_do(
    gateway: GatewayServer, browser: Any, screenshots: Path
) -> None:
    sign_in(browser, gateway.url, token(sub="ann", org="quiet-org", roles=("auditor",)), "overview")
    wait_for(lambda: text(browser, "empty-outcomes"), what="the empty state")
    assert chart_data(browser) == {}
    assert "Send traffic through /rpc" in text(browser, "empty-outcomes")
    assert "after transfers through /rpc" in text(browser, "empty-usage")
    assert all(text(browser, f"empty-{name}") for name in CHARTS)
    browser.save_screenshot(str(screenshots / "overview-empty.png"))

"""Aggregates end to end: real gateway, real anvil, signed transfers, shipped policies (ETH
pinned at USD 2,500). Spend counts against the legal person whose funds move (not the login),
and days are cut in each jurisdiction's time zone, with the gateway's clock set by the test."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import (
    ACCOUNTS,
    Anvil,
    GatewayServer,
    legal,
    natural,
    nonce_of,
    outcome,
    raw_tx,
    rpc,
    token,
    travel_rule,
    wei_for_usd,
)

WANG, PANDA = 2, 3  # anvil accounts: Wang Fang (panda-cn individual), Panda's own (institution)
ABROAD = ACCOUNTS[4].address  # hanse-de, Germany
ADMIN = {"Authorization": "Bearer " + token(sub="root", org="ops", roles=("admin",))}
CN_REPORT = "large_value_cross_border_individual"


class Clock:
    """The gateway's clock, set by the test."""

    def __init__(self, now: str) -> None:
        self.set(now)

    def set(self, now: str) -> None:
        self.now = datetime.fromisoformat(now).replace(tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock("2026-06-01T04:00:00")


@pytest.fixture
def gw(gateway_factory: Any, pinned_policies: Path, clock: Clock) -> GatewayServer:
    server: GatewayServer = gateway_factory(policy_path=pinned_policies)
    server.services.gateway.clock = clock
    return server


def wang(sub: str) -> str:
    return token(sub=sub, org="panda-cn", jurisdiction="CN", entity_kind="individual")


PANDA_DESK = token(sub="panda-desk", org="panda-cn", jurisdiction="CN")


def send(gw: GatewayServer, anvil: Anvil, key: int, usd: int, bearer: str) -> httpx.Response:
    """`usd` worth of ETH from anvil account `key` to Germany."""
    sender = ACCOUNTS[key].address
    originator = natural("Wang Fang", "CN") if key == WANG else legal("Panda Import", "CN")
    headers = travel_rule(originator, sender, legal("Hanse Logistik GmbH", "DE"), ABROAD)
    raw = raw_tx(key, ABROAD, wei_for_usd(usd), nonce_of(anvil, key))
    return rpc(gw.rpc_url(), "eth_sendRawTransaction", [raw], bearer=bearer, headers=headers)


def record(gw: GatewayServer, resp: httpx.Response) -> dict[str, Any]:
    decision_id = resp.headers["x-decision-id"]
    item = httpx.get(f"{gw.url}/audit/decisions/{decision_id}", headers=ADMIN, timeout=10)
    assert item.status_code == 200, item.text
    doc: dict[str, Any] = item.json()
    return doc


def reports(gw: GatewayServer, resp: httpx.Response) -> list[str]:
    obligations = record(gw, resp)["result"]["obligations"]
    return sorted(f"{r['kind']}@{r['jurisdiction']}" for r in obligations["report"])


def test_two_logins_and_an_institution_share_the_individuals_fx_quota(
    gw: GatewayServer, anvil: Anvil
) -> None:
    """USD 50,000 a year: Wang's two logins spend it together, and Panda's desk moving Wang's
    funds abroad hits Wang's quota; Panda's own funds are not Wang's."""
    assert outcome(send(gw, anvil, WANG, 20_000, wang("wang-phone"))) == ("allow", [])
    assert outcome(send(gw, anvil, WANG, 20_000, wang("wang-laptop"))) == ("allow", [])
    assert outcome(send(gw, anvil, WANG, 9_000, wang("wang-phone"))) == ("allow", [])
    over = ("deny", ["FX_QUOTA_EXCEEDED"])
    assert outcome(send(gw, anvil, WANG, 1_001, wang("wang-laptop"))) == over
    assert outcome(send(gw, anvil, WANG, 1_001, PANDA_DESK)) == over
    assert outcome(send(gw, anvil, PANDA, 1_001, PANDA_DESK)) == ("allow", [])
    assert outcome(send(gw, anvil, WANG, 999, PANDA_DESK)) == ("allow", [])  # up to the quota
    assert outcome(send(gw, anvil, WANG, 2, wang("wang-new-device"))) == over


def test_split_transfers_report_within_the_cn_day(
    gw: GatewayServer, anvil: Anvil, clock: Clock
) -> None:
    """PBOC: USD 10,000 a day, single or cumulative. The CN day starts at 16:00 UTC, so a
    transfer at 16:30 UTC starts a new cumulative total on the same UTC day."""
    clock.set("2026-06-01T15:00:00")  # 23:00 in Beijing
    first = send(gw, anvil, WANG, 6_000, wang("wang-phone"))
    assert outcome(first) == ("allow", []) and reports(gw, first) == []
    clock.set("2026-06-01T15:30:00")
    second = send(gw, anvil, WANG, 4_001, wang("wang-laptop"))  # 10,001 that CN day
    assert outcome(second) == ("allow", []) and reports(gw, second) == [f"{CN_REPORT}@CN"]
    clock.set("2026-06-01T16:30:00")  # 00:30 on 2 June in Beijing, still 1 June in UTC
    third = send(gw, anvil, WANG, 4_001, wang("wang-phone"))
    assert outcome(third) == ("allow", []) and reports(gw, third) == []
    figures = record(gw, third)["input"]["aggregates"]
    assert figures["person"] == "wang-fang"
    assert figures["by_jurisdiction"]["CN"]["day"] == "2026-06-02"
    assert figures["by_jurisdiction"]["CN"]["person_daily_usd"] == 0.0
    assert figures["by_jurisdiction"]["EU"]["day"] == "2026-06-01"  # 18:30 in Brussels
    assert figures["by_jurisdiction"]["EU"]["person_daily_usd"] == pytest.approx(10_001, 1e-6)
    assert figures["person_30d_usd"] == pytest.approx(10_001, 1e-6)

"""PIPL export volumes end to end: real gateway over HTTP, real anvil, the shipped policies.
Foreign readers of CN individuals raise their organisation's count once per individual and
year; an organisation whose count reaches a tier without that tier's basis is refused."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text

from governance.policy.exports import china_year
from tests.conftest import (
    ACCOUNTS,
    Anvil,
    GatewayServer,
    legal,
    natural,
    nonce_of,
    raw_tx,
    rpc,
    token,
    travel_rule,
)

WANG = ACCOUNTS[2].address.lower()  # Wang Fang, panda-cn individual (CN)
LI = "0xdaf14ac383c1b26b5aad7b3164e58ddda74122dd"  # Li Wei, panda-cn individual (CN)
PANDA = ACCOUNTS[3].address.lower()  # Panda Import & Export, an institution (CN)
WANG_FANG, LI_WEI = "wang-fang", "li-wei"  # their persons in the directory: what is counted
ACME = token(sub="ann", org="acme-us", jurisdiction="US")  # standard contract CN -> US
HANSE = token(sub="hans", org="hanse-de", jurisdiction="DE")  # security assessment CN -> DE
SAKURA = token(sub="sato", org="sakura-jp", jurisdiction="JP")  # no basis
PANDA_READER = token(sub="pan", org="panda-cn", jurisdiction="CN")


@pytest.fixture
def gw(gateway_factory: Any) -> GatewayServer:
    return gateway_factory()


def year() -> str:
    return china_year(datetime.now(UTC).isoformat().replace("+00:00", "Z"))


def counted(gw: GatewayServer, org: str) -> list[str]:
    return [person for person, _ in gw.services.exports.people(org, year())]


def balance(gw: GatewayServer, bearer: str, address: str) -> dict[str, Any]:
    doc: dict[str, Any] = rpc(
        gw.rpc_url(), "eth_getBalance", [address, "latest"], bearer=bearer
    ).json()
    return doc


def codes(doc: dict[str, Any]) -> list[str]:
    assert "error" in doc, doc
    return sorted(r["code"] for r in doc["error"]["data"]["reasons"])


def test_foreign_reads_count_each_cn_individual_once(gw: GatewayServer, anvil: Anvil) -> None:
    tx = anvil.rpc(
        "eth_sendTransaction", [{"from": WANG, "to": ACCOUNTS[4].address, "value": hex(10**15)}]
    )
    for _ in range(3):  # repeated reads of the same person (the second ones from the cache)
        assert "result" in balance(gw, ACME, WANG)
    assert counted(gw, "acme-us") == [WANG_FANG]
    assert "result" in balance(gw, ACME, LI)
    assert "result" in balance(gw, ACME, PANDA)  # an institution: not personal data
    got = rpc(gw.rpc_url(), "eth_getTransactionByHash", [tx], bearer=ACME).json()
    assert got["result"]["from"] == WANG  # Wang again, from the answer's item: counted once
    assert counted(gw, "acme-us") == sorted([WANG_FANG, LI_WEI])
    assert gw.services.exports.volume("acme-us", year(), []).individuals == 2
    # Data that does not leave, or does not go abroad, is not counted.
    assert codes(balance(gw, SAKURA, WANG)) == ["CROSS_BORDER_TRANSFER_RESTRICTED"]
    assert "result" in balance(gw, PANDA_READER, WANG)
    assert counted(gw, "sakura-jp") == [] and counted(gw, "panda-cn") == []
    # A redacted answer still carries Wang's transaction (value, time): counted.
    redacted = rpc(gw.rpc_url(), "eth_getTransactionByHash", [tx], bearer=SAKURA).json()
    assert redacted["result"]["from"] == "0x" + "00" * 20
    assert counted(gw, "sakura-jp") == [WANG_FANG]


@pytest.mark.parametrize(
    ("preloaded", "refused"), [(999_998, False), (999_999, True), (1_000_000, True)]
)
def test_a_count_at_the_assessment_tier_needs_an_assessment(
    gw: GatewayServer, preloaded: int, refused: bool
) -> None:
    """With this read's individual added the count is 999,999, 1,000,000 or 1,000,001: from
    1,000,000 a standard contract is not enough (CAC 2024 Provisions art. 7(2))."""
    assert "result" in balance(gw, ACME, LI)  # counted before the preload: not new any more
    gw.services.exports.preload("acme-us", year(), preloaded - 1)
    doc = balance(gw, ACME, WANG)  # Wang is new: the count is preloaded + 1
    if not refused:
        assert "result" in doc, doc
    else:
        assert codes(doc) == ["PIPL_SECURITY_ASSESSMENT_REQUIRED"]
        reason = doc["error"]["data"]["reasons"][0]
        assert "art. 7(2)" in reason["regulation"] and reason["jurisdiction"] == "CN"
        assert counted(gw, "acme-us") == [LI_WEI]  # refused: Wang's data did not leave
    gw.services.exports.preload("hanse-de", year(), preloaded)
    assert "result" in balance(gw, HANSE, WANG)  # a security assessment covers any volume


def test_a_payment_abroad_counts_but_is_exempt_from_the_tiers(
    gw: GatewayServer, anvil: Anvil
) -> None:
    """A payment is necessary to perform the individual's contract (art. 5(1) of the CAC 2024
    Provisions): counted, never refused for the volume, even past the assessment tier."""
    sender, recipient = ACCOUNTS[2].address, ACCOUNTS[4].address  # Wang -> hanse-de
    bearer = token(sub="wang", org="panda-cn", jurisdiction="CN", entity_kind="individual")
    headers = travel_rule(
        natural("Wang Fang", "CN"), sender, legal("Hanse Bank AG", "DE"), recipient
    )
    start = nonce_of(anvil, 2)

    def pay(nonce: int) -> dict[str, Any]:
        raw = raw_tx(2, recipient, int(Decimal("0.001") * 10**18), nonce)
        response = rpc(
            gw.rpc_url(), "eth_sendRawTransaction", [raw], bearer=bearer, headers=headers
        )
        doc: dict[str, Any] = response.json()
        return doc

    assert "result" in pay(start)
    assert counted(gw, "panda-cn") == [WANG_FANG]
    gw.services.exports.preload("panda-cn", year(), 1_000_000)
    assert "result" in pay(start + 1)


def test_an_unfiled_standard_contract_is_not_enough_from_100000(gw: GatewayServer) -> None:
    """jade-hk's CN -> HK standard contract is not filed: enough below 100,000 individuals,
    not from there on (art. 8)."""
    jade = token(sub="jin", org="jade-hk", jurisdiction="HK")
    assert "result" in balance(gw, jade, LI)
    gw.services.exports.preload("jade-hk", year(), 99_998)  # 100,000 with Wang
    doc = balance(gw, jade, WANG)
    assert codes(doc) == ["PIPL_STANDARD_CONTRACT_REQUIRED"]
    assert "art. 8" in doc["error"]["data"]["reasons"][0]["regulation"]


def test_an_unreadable_count_refuses(gw: GatewayServer) -> None:
    with gw.services.exports.engine.begin() as conn:
        conn.execute(text("DROP TABLE pipl_export_counts"))
    doc = balance(gw, ACME, WANG)
    assert doc["error"]["code"] == -32006, doc
    assert "result" in balance(gw, ACME, PANDA)  # no CN individual: no count needed


def test_subscription_pushes_count_what_they_carry(gw: GatewayServer, anvil: Anvil) -> None:
    """A pending transaction of Wang's pushed to a subscriber abroad counts Wang once; one of
    institutions only counts nobody."""
    url = gw.url.replace("http://", "ws://") + "/ws"

    def send(key: int, to: int) -> None:
        tx = {"from": ACCOUNTS[key].address, "to": ACCOUNTS[to].address, "value": hex(12345)}
        anvil.rpc("eth_sendTransaction", [tx])

    async def scenario() -> list[dict[str, Any]]:
        headers = {"Authorization": f"Bearer {ACME}"}
        async with aiohttp.ClientSession() as http, http.ws_connect(url, headers=headers) as ws:
            subscribe = {"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe"}
            await ws.send_str(json.dumps({**subscribe, "params": ["newPendingTransactions", True]}))
            assert "result" in json.loads((await ws.receive(timeout=10)).data)
            loop = asyncio.get_running_loop()
            for key, to in ((3, 5), (2, 4), (2, 4)):  # institutions, then Wang twice
                await loop.run_in_executor(None, send, key, to)
            pushes: list[dict[str, Any]] = []
            while len(pushes) < 3:
                doc = json.loads((await ws.receive(timeout=10)).data)
                if doc.get("method") == "eth_subscription":
                    pushes.append(doc["params"]["result"])
            return pushes

    pushes = asyncio.run(scenario())
    assert sorted(p["from"].lower() for p in pushes) == sorted([PANDA, WANG, WANG])
    assert counted(gw, "acme-us") == [WANG_FANG]

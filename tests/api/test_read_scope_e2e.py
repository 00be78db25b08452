"""Read-side data scope end to end: a real ERC-20 token on anvil, two orgs in different
jurisdictions transacting, and readers from a third country, the counterparty and regulators
reading through the gateway with web3.py and a WebSocket subscription."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx
import pytest
from web3 import Web3

from tests.conftest import (
    ACCOUNTS,
    Anvil,
    GatewayServer,
    make_settings,
    rpc,
    shipped_tree_copy,
    start_anvil,
    token,
)
from tests.contracts import DEPLOYER, artifact, deploy, transact_direct

TOKEN = artifact("DemoToken")
ZERO = "0x" + "00" * 20
ZERO_WORD = "0x" + "00" * 32
APPROVED = 777_777  # the allowance the individual grants: a figure found nowhere else
NFT_ID = 7
MULTI_UNITS = 4242  # ERC-1155 units the individual holds: found nowhere else


@dataclass
class World:
    node: Anvil
    gateway: GatewayServer
    token: str
    tx_individual: str  # CN individual -> DE institution (personal data of a CN resident)
    tx_institutions: str  # CN institution -> SG institution (no personal data)
    block_individual: int
    token_to_individual: str  # ERC-20 transfer: the individual only inside `input`
    approval_block: int  # Approval by the individual (owner in topic 1)
    nft: str  # ERC-721: id NFT_ID minted to the individual
    multi: str  # ERC-1155: MULTI_UNITS of id 5 minted to the individual
    w3: Web3  # direct to the node, for setup


def send(w3: Web3, key: int, tx: dict[str, Any]) -> str:
    acct = ACCOUNTS[key]
    tx = {
        "chainId": 31337,
        "nonce": w3.eth.get_transaction_count(acct.address),
        "gas": 3_000_000,
        "maxFeePerGas": 2 * 10**9,
        "maxPriorityFeePerGas": 10**9,
        **tx,
    }
    tx_hash = w3.eth.send_raw_transaction(acct.sign_transaction(tx).raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt["status"] == 1
    return "0x" + bytes(tx_hash).hex()


def token_transfer(w3: Web3, contract: Any, key: int, to: str, amount: int) -> str:
    data = contract.encode_abi("transfer", [Web3.to_checksum_address(to), amount])
    return send(w3, key, {"to": contract.address, "data": data})


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    node = start_anvil()
    w3 = Web3(Web3.HTTPProvider(node.url))
    factory = w3.eth.contract(abi=TOKEN["abi"], bytecode=TOKEN["bytecode"])
    creation = factory.constructor("Demo USD", "USDC", 6, 10**15).build_transaction(
        {"from": ACCOUNTS[0].address, "nonce": 0, "gas": 3_000_000, "chainId": 31337}
    )
    send(w3, 0, {"data": creation["data"]})
    address = w3.eth.get_transaction_receipt(
        w3.eth.get_block(1, full_transactions=True)["transactions"][0]["hash"]
    )["contractAddress"]
    contract = w3.eth.contract(address=address, abi=TOKEN["abi"])
    to_individual = token_transfer(w3, contract, 0, ACCOUNTS[2].address, 10**9)  # -> CN individual
    token_transfer(w3, contract, 0, ACCOUNTS[3].address, 10**9)  # acme-us -> CN institution
    token_transfer(w3, contract, 2, ACCOUNTS[4].address, 10**8)  # CN individual -> DE
    token_transfer(w3, contract, 3, ACCOUNTS[5].address, 10**8)  # CN institution -> SG
    tx_ind = send(w3, 2, {"to": ACCOUNTS[4].address, "value": 10**18})
    tx_inst = send(w3, 3, {"to": ACCOUNTS[5].address, "value": 10**18})
    approve = contract.encode_abi("approve", [ACCOUNTS[5].address, APPROVED])
    approval = send(w3, 2, {"to": contract.address, "data": approve})

    usdc = {"symbol": "USDC", "class": "stablecoin", "decimals": 6}
    policies = shipped_tree_copy(
        tmp_path_factory.mktemp("scope"),
        assets=lambda assets: assets.update({address.lower(): usdc}),
    )
    db = tmp_path_factory.mktemp("scope-db") / "log.db"
    gateway = GatewayServer(make_settings(node.url, policies, db)).__enter__()
    block = w3.eth.get_transaction(tx_ind)["blockNumber"]
    approval_block = w3.eth.get_transaction(approval)["blockNumber"]
    nft = deploy(w3, "DemoNFT", "Demo Deed", "DEED", key=DEPLOYER)
    transact_direct(w3, DEPLOYER, nft.functions.mint(ACCOUNTS[2].address, NFT_ID))
    multi = deploy(w3, "DemoMultiToken", key=DEPLOYER)
    transact_direct(w3, DEPLOYER, multi.functions.mint(ACCOUNTS[2].address, 5, MULTI_UNITS))
    yield World(
        node,
        gateway,
        address.lower(),
        tx_ind,
        tx_inst,
        block,
        to_individual,
        approval_block,
        nft.address.lower(),
        multi.address.lower(),
        w3,
    )
    gateway.__exit__()
    node.stop()


READERS = {
    "uk": dict(sub="olly", org="thames-uk", jurisdiction="GB"),
    "counterparty": dict(sub="wang", org="panda-cn", jurisdiction="CN"),
    "cn_regulator": dict(sub="pboc", org="pboc", jurisdiction="CN", roles=("regulator",)),
    "us_regulator": dict(sub="fincen", org="fincen", jurisdiction="US", roles=("regulator",)),
    "admin": dict(sub="root", org="gateway-ops", jurisdiction="US", roles=("admin",)),
    "cn_admin": dict(sub="ops", org="panda-cn", jurisdiction="CN", roles=("admin",)),
}


def reader(world: World, who: str) -> Web3:
    bearer = token(**READERS[who])  # type: ignore[arg-type]
    return Web3(
        Web3.HTTPProvider(
            world.gateway.rpc_url(),
            request_kwargs={"headers": {"Authorization": f"Bearer {bearer}"}, "timeout": 30},
        )
    )


def test_third_country_reader_gets_individual_transactions_redacted(world: World) -> None:
    w3 = reader(world, "uk")
    tx = w3.eth.get_transaction(world.tx_individual)  # web3.py parses the redacted answer
    assert tx["from"] == ZERO and tx["to"] == ZERO and tx["value"] == 0
    assert tx["hash"].hex().removeprefix("0x") == world.tx_individual.removeprefix("0x")
    full = w3.eth.get_transaction(world.tx_institutions)
    assert full["from"].lower() == ACCOUNTS[3].address.lower() and full["value"] == 10**18
    receipt = w3.eth.get_transaction_receipt(world.tx_individual)
    assert receipt["from"] == ZERO and receipt["status"] == 1


@pytest.mark.parametrize("who", ["counterparty", "cn_regulator"])
def test_counterparty_and_home_regulator_see_everything(world: World, who: str) -> None:
    tx = reader(world, who).eth.get_transaction(world.tx_individual)
    assert tx["from"].lower() == ACCOUNTS[2].address.lower()
    assert tx["to"].lower() == ACCOUNTS[4].address.lower() and tx["value"] == 10**18


def _logs(world: World, who: str) -> list[Any]:
    return reader(world, who).eth.get_logs(
        {"address": Web3.to_checksum_address(world.token), "fromBlock": 0, "toBlock": "latest"}
    )


def _holders(log: Any) -> set[str]:
    return {"0x" + t.hex().removeprefix("0x")[-40:] for t in log["topics"][1:3]}


def test_get_logs_over_a_mixed_range(world: World) -> None:
    direct = world.w3.eth.get_logs(
        {"address": Web3.to_checksum_address(world.token), "fromBlock": 0, "toBlock": "latest"}
    )
    individual = ACCOUNTS[2].address.lower()
    touching = [lg for lg in direct if individual in _holders(lg)]
    assert len(touching) == 3 and len(direct) == 6  # two transfers and an approval

    uk = _logs(world, "uk")  # redacted in place, same count
    assert len(uk) == len(direct)
    for seen, real in zip(uk, direct, strict=True):
        if individual in _holders(real):
            assert ["0x" + t.hex().removeprefix("0x") for t in seen["topics"][1:]] == [
                ZERO_WORD,
                ZERO_WORD,
            ]
            assert seen["data"] in (b"", "0x") or bytes(seen["data"]) == b""
        else:
            assert seen["topics"] == real["topics"] and seen["data"] == real["data"]

    foreign = _logs(world, "us_regulator")  # a foreign authority: entries withheld
    assert len(foreign) == len(direct) - len(touching)
    assert all(individual not in _holders(lg) for lg in foreign)


def test_full_block_blanks_the_individual_transaction(world: World) -> None:
    block = reader(world, "uk").eth.get_block(world.block_individual, full_transactions=True)
    [tx] = [
        t
        for t in block["transactions"]
        if t["hash"].hex().removeprefix("0x") == world.tx_individual.removeprefix("0x")
    ]
    assert tx["from"] == ZERO and tx["to"] == ZERO


def test_read_records_say_what_was_withheld(world: World) -> None:
    _logs(world, "us_regulator")
    # Reads are group committed: poll briefly for the record.
    db = world.gateway.settings.audit.database_url.removeprefix("sqlite:///")
    for _ in range(50):
        with sqlite3.connect(db) as conn:
            rows = conn.execute(
                "SELECT record FROM decisions WHERE method = 'eth_getLogs' AND sub = 'fincen'"
            ).fetchall()
        if rows:
            break
        asyncio.run(asyncio.sleep(0.05))
    record = json.loads(rows[-1][0])
    assert record["filtering"]["withheld"] == 3  # two transfers and the approval
    assert ACCOUNTS[2].address.lower() not in json.dumps(record["filtering"])


def test_websocket_logs_subscription_is_filtered(world: World) -> None:
    async def collect(who: str, count: int, trigger: Any) -> list[dict[str, Any]]:
        bearer = token(**READERS[who])  # type: ignore[arg-type]
        url = world.gateway.url.replace("http://", "ws://") + "/ws"
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(url, headers={"Authorization": f"Bearer {bearer}"}) as ws,
        ):
            await ws.send_str(
                json.dumps(
                    {
                        "jsonrpc": "2.0",
                        "id": 1,
                        "method": "eth_subscribe",
                        "params": ["logs", {"address": world.token}],
                    }
                )
            )
            ack = json.loads((await ws.receive(timeout=10)).data)
            assert isinstance(ack.get("result"), str), ack
            await asyncio.get_running_loop().run_in_executor(None, trigger)
            got = []
            while len(got) < count:
                msg = await ws.receive(timeout=10)
                doc = json.loads(msg.data)
                if doc.get("method") == "eth_subscription":
                    got.append(doc["params"]["result"])
            with pytest.raises(asyncio.TimeoutError):
                await ws.receive(timeout=1.0)  # nothing more is pushed
            return got

    contract = world.w3.eth.contract(
        address=Web3.to_checksum_address(world.token), abi=TOKEN["abi"]
    )

    def two_transfers() -> None:
        token_transfer(world.w3, contract, 2, ACCOUNTS[4].address, 5)  # personal data
        token_transfer(world.w3, contract, 3, ACCOUNTS[5].address, 5)  # institutions only

    uk = asyncio.run(collect("uk", 2, two_transfers))
    assert uk[0]["topics"][1:] == [ZERO_WORD, ZERO_WORD] and uk[0]["data"] == "0x"
    assert uk[1]["topics"][1].endswith(ACCOUNTS[3].address.lower()[2:])
    foreign = asyncio.run(collect("us_regulator", 1, two_transfers))
    assert foreign[0]["topics"][1].endswith(ACCOUNTS[3].address.lower()[2:])


# ---- every leak, as raw bytes ----------------------------------------------------------------

INDIVIDUAL = ACCOUNTS[2].address.lower()[2:]


def _call(world: World, who: str, method: str, params: list[Any]) -> httpx.Response:
    bearer = token(**READERS[who])  # type: ignore[arg-type]
    return rpc(world.gateway.rpc_url(), method, params, bearer=bearer)


def _raw(world: World, who: str, method: str, params: list[Any]) -> bytes:
    return _call(world, who, method, params).content.lower()


def _traces(body: bytes, amount: int | None) -> list[str]:
    """The individual's address (with or without 0x, padded or not: the 40 digits are in all
    of them) and an amount only the individual's data carries, found in a raw body."""
    found = [INDIVIDUAL] if INDIVIDUAL.encode() in body else []
    if amount is not None:
        for form in (f"{amount:064x}", f'0x{amount:x}"'):
            if form.encode() in body:
                found.append(form)
    return found


def _logs_of(contract: str) -> list[Any]:
    return [{"address": contract, "fromBlock": "0x0", "toBlock": "latest"}]


def _owner_of(world: World) -> list[Any]:
    return [{"to": world.nft, "data": "0x6352211e" + f"{NFT_ID:064x}"}, "latest"]


def _multi_balance(world: World) -> list[Any]:
    selector = Web3.keccak(text="balanceOf(uint256,address)")[:4].hex().removeprefix("0x")
    data = "0x" + selector + f"{5:064x}" + "00" * 12 + INDIVIDUAL  # the mapping's getter
    return [{"to": world.multi, "data": data}, "latest"]


def _spend_of_individual(world: World) -> list[Any]:
    """Would the individual's balance cover a transfer? (the gas figure or revert says)"""
    data = "0xa9059cbb" + "00" * 12 + ACCOUNTS[4].address.lower()[2:] + f"{10**8:064x}"
    return [{"from": ACCOUNTS[2].address, "to": world.token, "data": data}]


def _simulated_balance(world: World) -> list[Any]:
    call = _balance_of_plus_one_byte(world)[0]
    return [{"blockStateCalls": [{"calls": [call]}]}, "latest"]


def _balance_of_plus_one_byte(world: World) -> list[Any]:
    data = "0x70a08231" + "00" * 12 + INDIVIDUAL + "ff"  # Solidity ignores the extra byte
    return [{"to": world.token, "data": data}, "latest"]


# (case, method, params, amount carried only by the individual's data, readers who must see
# no trace, readers who see it in full)
LEAKS: list[tuple[str, str, Any, int | None, tuple[str, ...], tuple[str, ...]]] = [
    (
        "erc20 transfer in input",
        "eth_getTransactionByHash",
        lambda w: [w.token_to_individual],
        None,
        ("uk",),
        ("counterparty", "cn_regulator"),
    ),
    (
        "erc20 transfer receipt",
        "eth_getTransactionReceipt",
        lambda w: [w.token_to_individual],
        None,
        ("uk",),
        ("counterparty", "cn_regulator"),
    ),
    (
        "full block with erc20 input",
        "eth_getBlockByNumber",
        lambda w: [hex(w.w3.eth.get_transaction(w.token_to_individual)["blockNumber"]), True],
        None,
        ("uk",),
        ("counterparty", "cn_regulator"),
    ),
    (
        "approval event",
        "eth_getLogs",
        lambda w: [{"fromBlock": hex(w.approval_block), "toBlock": hex(w.approval_block)}],
        APPROVED,
        ("uk", "us_regulator"),
        ("counterparty", "cn_regulator"),
    ),
    (
        "balanceOf with an extra byte",
        "eth_call",
        _balance_of_plus_one_byte,
        None,
        ("uk", "us_regulator"),
        ("counterparty", "cn_regulator"),
    ),
    (
        "block receipts, item denied",
        "eth_getBlockReceipts",
        lambda w: [hex(w.block_individual)],
        None,
        ("us_regulator",),
        ("counterparty", "cn_regulator"),
    ),
    (
        "erc721 mint to the individual",
        "eth_getLogs",
        lambda w: _logs_of(w.nft),
        None,
        ("uk", "us_regulator"),
        ("counterparty", "cn_regulator"),
    ),
    (
        "erc721 ownerOf return data",
        "eth_call",
        _owner_of,
        None,
        ("uk", "us_regulator"),
        ("counterparty", "cn_regulator"),
    ),
    (
        "erc1155 TransferSingle",
        "eth_getLogs",
        lambda w: _logs_of(w.multi),
        MULTI_UNITS,
        ("uk", "us_regulator"),
        ("counterparty", "cn_regulator"),
    ),
    (
        "erc1155 balanceOf",
        "eth_call",
        _multi_balance,
        MULTI_UNITS,
        ("uk", "us_regulator"),
        ("counterparty", "cn_regulator"),
    ),
    (
        "estimateGas of the individual's transfer",
        "eth_estimateGas",
        _spend_of_individual,
        None,
        ("uk", "us_regulator"),
        ("counterparty", "cn_regulator"),
    ),
    (
        "simulateV1 of balanceOf",
        "eth_simulateV1",
        _simulated_balance,
        None,
        ("uk", "us_regulator"),
        ("counterparty", "cn_regulator"),
    ),
    (
        "debug_traceCall of balanceOf",
        "debug_traceCall",
        lambda w: [*_balance_of_plus_one_byte(w), {}],
        None,
        ("uk", "counterparty", "cn_regulator", "admin"),
        ("cn_admin",),
    ),
    (
        "storage slot",
        "eth_getStorageAt",
        lambda w: [w.token, "0x0", "latest"],
        None,
        ("uk", "counterparty", "cn_regulator"),
        ("admin",),
    ),
]


@pytest.mark.parametrize("case", LEAKS, ids=[c[0] for c in LEAKS])
def test_no_trace_without_a_basis(world: World, case: Any) -> None:
    _, method, params, amount, hidden, shown = case
    args = params(world)
    direct = httpx.post(
        world.node.url,
        json={"jsonrpc": "2.0", "id": 1, "method": method, "params": args},
        timeout=10,
    ).json()
    assert "result" in direct, direct
    for who in hidden:
        body = _raw(world, who, method, args)
        assert _traces(body, amount) == [], who
        if method in ("eth_call", "eth_estimateGas"):  # the answer itself: a balance, an owner
            assert direct["result"][2:].lower().encode() not in body, who
    for who in shown:
        body = _raw(world, who, method, args)
        assert b'"result"' in body, (who, body[:300])
        if method == "eth_getLogs" or method.startswith("eth_getTransaction"):
            assert INDIVIDUAL.encode() in body, who
        if method == "eth_call":
            assert json.loads(body)["result"] == direct["result"].lower()


def test_storage_and_traces_refused_with_role_forbidden(world: World) -> None:
    body = _call(world, "uk", "eth_getProof", [world.token, [], "latest"]).json()
    assert body["error"]["data"]["reasons"][0]["code"] == "ROLE_FORBIDDEN"
    trace = _call(world, "counterparty", "debug_traceTransaction", [world.token_to_individual])
    assert trace.json()["error"]["data"]["reasons"][0]["code"] == "ROLE_FORBIDDEN"
    admin = _call(world, "admin", "debug_traceTransaction", [world.token_to_individual])
    assert "result" in admin.json(), admin.text[:300]

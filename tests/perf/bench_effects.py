"""Writes decided on simulated effects (part of scripts/bench): a direct ether transfer, an
ERC-20 transfer and a multisend to 3 recipients, each sent through the gateway as signed
transactions. Reports tx/s, p50, p99 and the simulation's share of the write latency (mean
simulation time from the gateway's metrics over the mean write latency seen by the client)."""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable
from typing import Any

import httpx
from eth_account import Account
from web3 import Web3

from governance.metrics_shared import PUBLISH_INTERVAL_S
from tests.conftest import Anvil
from tests.contracts import artifact

RECIPIENTS = [  # acme-us addresses (entities.json): no travel rule, no limit consumed
    Web3.to_checksum_address(a)
    for a in (
        "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
        "0xd72b31eebd9ddff8648cdfe3951706f18b86cc6e",
        "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
    )
]
OWNER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # anvil #0


def prepare(node: Anvil, keys: list[str]) -> dict[str, str]:
    """Deploys the ERC-20 (anvil account 0, nonce 0: the demo USDC of assets.json) and the
    multisend, mining each step's transactions at once, and funds every sender with tokens."""
    w3 = Web3()
    owner = Account.from_key(OWNER_KEY)
    nonce = int(node.rpc("eth_getTransactionCount", [owner.address, "pending"]), 16)
    if nonce != 0:
        raise RuntimeError("the benchmark needs a fresh node (account 0 at nonce 0)")
    token_art, multisend_art = artifact("DemoToken"), artifact("MultiSend")
    token_data = (
        w3.eth.contract(abi=token_art["abi"], bytecode=token_art["bytecode"])
        .constructor("Demo Dollar", "USDC", 6, 10**15)
        .data_in_transaction
    )
    multi_data = (
        w3.eth.contract(abi=multisend_art["abi"], bytecode=multisend_art["bytecode"])
        .constructor()
        .data_in_transaction
    )
    hashes = [
        _send(node, OWNER_KEY, 0, None, token_data, gas=3_000_000),
        _send(node, OWNER_KEY, 1, None, multi_data, gas=3_000_000),
    ]
    node.rpc("evm_mine")
    token, multisend = (
        node.rpc("eth_getTransactionReceipt", [h])["contractAddress"] for h in hashes
    )
    erc20 = w3.eth.contract(address=Web3.to_checksum_address(token), abi=token_art["abi"])
    for i, key in enumerate(keys):
        data = erc20.encode_abi("transfer", [Account.from_key(key).address, 10**12])
        _send(node, OWNER_KEY, 2 + i, token, data, gas=100_000)
    node.rpc("evm_mine")
    return {"erc20": token, "multisend": multisend}


def _send(node: Anvil, key: str, nonce: int, to: str | None, data: str, gas: int) -> str:
    tx = _tx(nonce, to, data, 0, gas)
    raw = Account.from_key(key).sign_transaction(tx).raw_transaction.hex()
    return str(node.rpc("eth_sendRawTransaction", ["0x" + raw.removeprefix("0x")]))


def _tx(nonce: int, to: str | None, data: str, value: int, gas: int) -> dict[str, Any]:
    tx: dict[str, Any] = {
        "type": 2,
        "chainId": 31337,
        "nonce": nonce,
        "value": value,
        "gas": gas,
        "data": data,
        "maxFeePerGas": 2 * 10**9,
        "maxPriorityFeePerGas": 10**9,
    }
    if to is not None:
        tx["to"] = Web3.to_checksum_address(to)
    return tx


def direct_transfer(n: int) -> tuple[str, str, int, int]:
    return RECIPIENTS[0], "0x", 1000, 21_000


def kinds(contracts: dict[str, str]) -> dict[str, Callable[[int], tuple[str, str, int, int]]]:
    """Write kind -> (n -> (to, data, value, gas))."""
    w3 = Web3()
    erc20 = w3.eth.contract(abi=artifact("DemoToken")["abi"])
    multi = w3.eth.contract(abi=artifact("MultiSend")["abi"])
    transfer = erc20.encode_abi("transfer", [RECIPIENTS[0], 1])
    multisend = multi.encode_abi("sendEther", [RECIPIENTS, [1000, 1000, 1000]])
    return {
        "direct transfer": direct_transfer,
        "ERC-20 transfer": lambda n: (contracts["erc20"], transfer, 0, 100_000),
        "multisend, 3 recipients": lambda n: (contracts["multisend"], multisend, 3000, 200_000),
    }


def signed(keys: list[str], count: int, first_nonce: int, make: Callable[[int], Any]) -> list[str]:
    """Transactions from key i go with token i (bodies and headers cycle together)."""
    accounts = [Account.from_key(k) for k in keys]
    bodies = []
    for n in range(count):
        to, data, value, gas = make(n)
        tx = _tx(first_nonce + n // len(accounts), to, data, value, gas)
        raw = accounts[n % len(accounts)].sign_transaction(tx).raw_transaction.hex()
        bodies.append(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": n,
                    "method": "eth_sendRawTransaction",
                    "params": ["0x" + raw.removeprefix("0x")],
                }
            )
        )
    return bodies


def simulation_seconds(metrics_url: str) -> tuple[float, float]:
    """(sum, count) of the gateway's simulation latency histogram, all ledgers and workers
    (each worker's series as last published: waited for here)."""
    time.sleep(PUBLISH_INTERVAL_S * 1.5)
    text = httpx.get(metrics_url, timeout=10).text
    total = count = 0.0
    for name, value in re.findall(
        r"^governance_simulation_seconds_(sum|count)\{[^}]*\} (\S+)$", text, re.M
    ):
        if name == "sum":
            total += float(value)
        else:
            count += float(value)
    return total, count


def measure(
    args: argparse.Namespace,
    gateway: str,
    keys: list[str],
    tokens: list[dict[str, str]],
    contracts: dict[str, str],
    first_nonce: int,
    load: Callable[..., dict[str, Any]],
) -> list[tuple[str, dict[str, Any]]]:
    """One row per write kind, with `sim_share` = mean simulation / mean write latency."""
    metrics = gateway.removesuffix("/rpc") + "/metrics"
    rows = []
    count = max(len(keys), args.writes // 3 // len(keys) * len(keys))
    for name, make in kinds(contracts).items():
        bodies = signed(keys, count, first_nonce, make)
        before = simulation_seconds(metrics)
        result = load(gateway, bodies, tokens, args, max_requests=len(bodies))
        after = simulation_seconds(metrics)
        sims = after[1] - before[1]
        # Every simulation was counted, or the row says it could not be measured.
        sent = result["requests"]  # the run may end (its seconds) before every body is sent
        measured = sent > 0 and abs(sims - sent) <= 0.05 * sent
        mean_sim_ms = (after[0] - before[0]) / sims * 1000 if measured else None
        result["sim_ms"] = mean_sim_ms
        result["sim_share"] = (
            mean_sim_ms / result["mean_ms"] if mean_sim_ms and result["mean_ms"] else None
        )
        rows.append((f"gateway write + simulation, {name}", result))
        first_nonce += -(-len(bodies) // len(keys))  # every key used this many nonces
    return rows

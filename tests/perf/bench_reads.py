"""Cost of read filtering (not a timed test): `eth_getLogs` over 1,000 ERC-20 transfers and
`eth_getBlockByNumber(full)` with 200 transactions, through the gateway (as a third-country
reader, so items are redacted) vs the bare pass-through, measured in the same run.

Run: scripts/bench-reads  (or: .venv/bin/python -m tests.perf.bench_reads)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from eth_account import Account
from web3 import Web3

from governance.api.auth import mint_token
from tests.conftest import KEYS, ROOT, start_anvil
from tests.contracts import artifact
from tests.perf.bench import SECRET, _serve_gateway, _serve_passthrough

TOKEN = artifact("DemoToken")
ACCT = [Account.from_key(k) for k in KEYS]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logs", type=int, default=1000)
    parser.add_argument("--block-txs", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="governance-bench-reads-"))
    procs: list[subprocess.Popen[bytes]] = []
    node = start_anvil()
    try:
        w3 = Web3(Web3.HTTPProvider(node.url))
        token = _deploy(w3)
        print(f"preparing {args.logs} token transfers and a block of {args.block_txs} ...")
        _transfers(node, w3, token, args.logs)
        block = _full_block(node, w3, args.block_txs)
        policies = work / "policies"
        shutil.copytree(ROOT / "policies", policies)
        assets_file = policies / "data" / "assets.json"
        assets = json.loads(assets_file.read_text())
        assets[token.lower()] = {"symbol": "USDC", "class": "stablecoin", "decimals": 6}
        assets_file.write_text(json.dumps(assets))
        bare = _serve_passthrough(procs, node.url)
        # One process, like the bare pass-through: this measures the filter's cost, not how
        # the gateway spreads over cores (scripts/bench --workers does that).
        gateway = _serve_gateway(procs, work, policies, node.url, workers=1)
        bearer = mint_token(
            SECRET, sub="olly", org="thames-uk", jurisdiction="GB", roles=["trader"]
        )
        calls = {
            f"eth_getLogs ({args.logs} transfers)": (
                "eth_getLogs",
                [{"address": token, "fromBlock": "0x0", "toBlock": "latest"}],
            ),
            f"eth_getBlockByNumber full ({args.block_txs} txs)": (
                "eth_getBlockByNumber",
                [hex(block), True],
            ),
        }
        print(
            f"\n{'call':<42} {'bare ms':>9} {'gateway ms':>11} {'ratio':>7} {'paired':>7} "
            f"{'items':>6} {'redacted':>9}"
        )
        headers = {"Authorization": f"Bearer {bearer}"}
        for name, (method, params) in calls.items():
            body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
            cpu = _cpu_seconds(procs[0].pid), _cpu_seconds(procs[1].pid)
            timed = _paired(bare, gateway, body, headers, args.repeat)
            cpu_bare = (_cpu_seconds(procs[0].pid) - cpu[0]) / (args.repeat + 1) * 1000
            cpu_gw = (_cpu_seconds(procs[1].pid) - cpu[1]) / (args.repeat + 1) * 1000
            items, redacted = _compare(timed.plain, timed.filtered)
            print(
                f"{name:<42} {timed.bare_ms:>9.2f} {timed.gateway_ms:>11.2f} "
                f"{timed.gateway_ms / timed.bare_ms:>6.2f}x {timed.paired_ratio:>6.2f}x "
                f"{items:>6} {redacted:>9}   cpu ms/call bare {cpu_bare:.2f} "
                f"gateway {cpu_gw:.2f}"
            )
        print(
            "targets: eth_getLogs <= 2x, full block <= 1.2x. ratio: of the medians; paired: "
            "median of each round's gateway/bare (the two calls of a round run back to back, "
            "so they see the same machine load)"
        )
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
        node.stop()
        shutil.rmtree(work, ignore_errors=True)


def _deploy(w3: Web3) -> str:
    contract = w3.eth.contract(abi=TOKEN["abi"], bytecode=TOKEN["bytecode"])
    tx_hash = contract.constructor("Demo USD", "USDC", 6, 10**15).transact(
        {"from": ACCT[0].address}
    )
    return str(w3.eth.wait_for_transaction_receipt(tx_hash)["contractAddress"]).lower()


def _transfers(node: object, w3: Web3, token: str, count: int) -> None:
    """Transfers from acme-us to a mix of holders (a CN individual among them)."""
    contract = w3.eth.contract(address=Web3.to_checksum_address(token), abi=TOKEN["abi"])
    holders = [ACCT[i].address for i in (2, 3, 4, 5, 6, 8)]
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    nonce = w3.eth.get_transaction_count(ACCT[0].address)
    for i in range(count):
        tx = contract.functions.transfer(holders[i % len(holders)], 1).build_transaction(
            {
                "from": ACCT[0].address,
                "nonce": nonce + i,
                "gas": 60_000,
                "chainId": 31337,
                "maxFeePerGas": 2 * 10**9,
                "maxPriorityFeePerGas": 10**9,
            }
        )
        w3.eth.send_raw_transaction(ACCT[0].sign_transaction(tx).raw_transaction)
        if i % 200 == 199:
            w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]


def _full_block(node: object, w3: Web3, count: int) -> int:
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    senders = [2, 3, 4, 5]
    nonces = {k: w3.eth.get_transaction_count(ACCT[k].address) for k in senders}
    for i in range(count):
        k = senders[i % len(senders)]
        tx = {
            "type": 2,
            "chainId": 31337,
            "nonce": nonces[k],
            "to": ACCT[(k + 1) % 10].address,
            "value": 1,
            "gas": 21000,
            "maxFeePerGas": 2 * 10**9,
            "maxPriorityFeePerGas": 10**9,
        }
        nonces[k] += 1
        w3.eth.send_raw_transaction(ACCT[k].sign_transaction(tx).raw_transaction)
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    return int(w3.eth.block_number)


@dataclass
class Paired:
    bare_ms: float  # median wall time
    gateway_ms: float
    paired_ratio: float  # median over rounds of gateway / bare
    plain: object  # the last answers' results (checked, not assumed)
    filtered: object


def _paired(
    bare: str, gateway: str, body: dict[str, object], headers: dict[str, str], repeat: int
) -> Paired:
    """Bare and gateway calls alternate, one of each per round: a busy machine slows both
    alike instead of whichever happened to run during a burst."""
    with httpx.Client(timeout=60) as client:

        def call(url: str, extra: dict[str, str]) -> tuple[float, object]:
            started = time.perf_counter()
            resp = client.post(url, json=body, headers=extra)
            elapsed = time.perf_counter() - started
            answer = resp.json()
            if "error" in answer:
                raise RuntimeError(resp.text[:300])
            return elapsed * 1000, answer["result"]

        call(bare, {}), call(gateway, headers)  # warm-up
        rounds = [(call(bare, {}), call(gateway, headers)) for _ in range(repeat)]
    bare_ms = [b for (b, _), _ in rounds]
    gateway_ms = [g for _, (g, _) in rounds]
    return Paired(
        statistics.median(bare_ms),
        statistics.median(gateway_ms),
        statistics.median(g / b for b, g in zip(bare_ms, gateway_ms, strict=True)),
        rounds[-1][0][1],
        rounds[-1][1][1],
    )


def _cpu_seconds(pid: int) -> float:
    """CPU time a server process has used: steadier than wall time on a busy machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _compare(plain: object, filtered: object) -> tuple[int, int]:
    """How many items both answers carry, and how many the gateway changed. A filtered
    answer with fewer items than the bare one would make the timing meaningless."""
    if isinstance(plain, dict):  # a full block: its transactions are the items
        plain, filtered = plain["transactions"], filtered["transactions"]  # type: ignore[index]
    assert isinstance(plain, list) and isinstance(filtered, list)
    if len(plain) != len(filtered):
        raise RuntimeError(f"gateway answered {len(filtered)} items, the node {len(plain)}")
    return len(plain), sum(a != b for a, b in zip(plain, filtered, strict=True))


if __name__ == "__main__":
    main()

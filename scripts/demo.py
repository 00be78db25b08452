"""A short scripted tour of the gateway: an allowed write, a denied write with its reasons,
an unauthenticated call, and where the decision log is. Run by scripts/demo."""

from __future__ import annotations

import json
import sqlite3
import sys

import httpx
from eth_account import Account
from web3 import Web3

from governance.api.auth import mint_token
from governance.config import load_settings

# anvil's first two dev accounts (public test keys; never use them on a real network)
ALICE_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
BOB = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def main(base: str) -> None:
    settings = load_settings()
    secret = settings.auth.jwt_secret or ""
    alice = mint_token(secret, sub="alice", org="acme-us", jurisdiction="US", roles=["trader"])
    rpc = f"{base}/rpc"
    headers = {"Authorization": f"Bearer {alice}"}
    w3 = Web3(Web3.HTTPProvider(rpc, request_kwargs={"headers": headers}))
    sender = Account.from_key(ALICE_KEY)

    step("1. Allowed write: acme-us (US) pays 0.01 ETH to its own account, signed with web3.py")
    tx = {
        "type": 2,
        "chainId": w3.eth.chain_id,
        "to": BOB,
        "value": Web3.to_wei(0.01, "ether"),
        "nonce": w3.eth.get_transaction_count(sender.address, "pending"),
        "gas": 21000,
        "maxFeePerGas": 2 * 10**9,
        "maxPriorityFeePerGas": 10**9,
    }
    raw = sender.sign_transaction(tx).raw_transaction
    tx_hash = w3.eth.send_raw_transaction(raw)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    block, status = receipt["blockNumber"], receipt["status"]
    print(f"   mined in block {block}, status {status}, tx {tx_hash.hex()}")

    step("2. Denied write: a caller from panda-cn (KYC pending) tries to move acme-us's funds")
    mallory = mint_token(
        secret,
        sub="mallory",
        org="panda-cn",
        jurisdiction="CN",
        roles=["trader"],
        kyc="pending",
        entity_kind="individual",
    )
    tx["nonce"] += 1
    body = {
        "jsonrpc": "2.0",
        "id": 2,
        "method": "eth_sendRawTransaction",
        "params": ["0x" + sender.sign_transaction(tx).raw_transaction.hex().removeprefix("0x")],
    }
    resp = httpx.post(rpc, json=body, headers={"Authorization": f"Bearer {mallory}"})
    error = resp.json()["error"]
    print(f"   HTTP {resp.status_code}, JSON-RPC error {error['code']}: {error['message']}")
    print(f"   decision {error['data']['decision_id']}; reasons:")
    for reason in error["data"]["reasons"]:
        print(f"     - {reason['code']} [{reason['jurisdiction']}] {reason['regulation']}")

    step("3. No token: the gateway answers 401 before anything is decided")
    resp = httpx.post(rpc, json={"jsonrpc": "2.0", "id": 3, "method": "eth_blockNumber"})
    print(f"   HTTP {resp.status_code}: {json.dumps(resp.json()['error'])}")

    step("4. The decision log")
    db = settings.resolve(settings.audit.database_url.removeprefix("sqlite:///"))
    print(f"   every decision above is a record in {db} (SQLite, WAL)")
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT leaf_index, id, method, outcome, reason_codes FROM decisions "
            "ORDER BY leaf_index DESC LIMIT 5"
        ).fetchall()
    for leaf, rid, method, outcome, codes in reversed(rows):
        print(f"   leaf {leaf:>4}  {rid}  {method:<24} {outcome:<5} {codes.strip(',')}")
    print(f"   metrics: {base}/metrics   status: {base}/status")


def step(title: str) -> None:
    print(f"\n{title}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080")

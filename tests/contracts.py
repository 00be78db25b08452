"""The Solidity test contracts (tests/fixtures/contracts/, rebuilt by scripts/build-contracts):
artifacts, deployment straight to a node, and registering a token in a policy tree."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.types import TxReceipt

from tests.conftest import ACCOUNTS, CONTRACTS, Anvil


@functools.cache
def artifact(name: str) -> dict[str, Any]:
    """The compiled artifact {compiler, source, contract, abi, bytecode} of a test contract."""
    return dict(json.loads((CONTRACTS / f"{name}.json").read_text()))


def web3_for(node: Anvil) -> Web3:
    """A web3 client talking to the node directly (setup and checks, not through the gateway)."""
    return Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 30}))


def send_direct(w3: Web3, key: int, tx: dict[str, Any], *, check: bool = True) -> TxReceipt:
    """Signs `tx` with dev account `key`, sends it straight to the node and waits for it."""
    acct = ACCOUNTS[key]
    tx = {
        "chainId": 31337,
        "nonce": w3.eth.get_transaction_count(acct.address, "pending"),
        "gas": 3_000_000,
        "maxFeePerGas": 2 * 10**9,
        "maxPriorityFeePerGas": 10**9,
        **tx,
    }
    tx_hash = w3.eth.send_raw_transaction(acct.sign_transaction(tx).raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    if check and receipt["status"] != 1:
        raise RuntimeError(f"transaction {tx_hash.hex()} reverted")
    return receipt


def transact_direct(w3: Web3, key: int, call: ContractFunction, value: int = 0) -> TxReceipt:
    """Sends a contract function call from dev account `key` straight to the node."""
    return send_direct(
        w3, key, {"to": call.address, "data": call._encode_transaction_data(), "value": value}
    )


def deploy(w3: Web3, name: str, *args: Any, key: int = 0) -> Contract:
    """Deploys test contract `name` from dev account `key` straight to the node."""
    art = artifact(name)
    factory = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
    data = factory.constructor(*args).data_in_transaction
    receipt = send_direct(w3, key, {"data": data})
    return w3.eth.contract(address=receipt["contractAddress"], abi=art["abi"])


# Deploys the contracts other than the ERC-20. Account 9 is in no directory (see entities.json),
# so none of these contracts sits at an address that the shipped reference data already names.
DEPLOYER = 9


@dataclass
class Deployed:
    """One of each test contract on a node. The ERC-20 (symbol USDC, 6 decimals, supply 10^9
    USDC) is deployed by dev account `owner`, who also holds NFT ids 1-3 of the ERC-721 and
    1000 units of id 1 and id 2 of the ERC-1155. No contract is registered in a policy tree:
    tests register what they need (register_asset)."""

    node: Anvil
    w3: Web3
    owner: int
    erc20: Contract
    erc721: Contract
    erc1155: Contract
    multisend: Contract
    router: Contract

    def addresses(self) -> dict[str, str]:
        """Lower-case address of each contract, by role."""
        return {
            role: getattr(self, role).address.lower()
            for role in ("erc20", "erc721", "erc1155", "multisend", "router")
        }


def deploy_all(node: Anvil, owner: int = 0) -> Deployed:
    """Deploys one of each test contract straight to `node` and hands the tokens to `owner`."""
    w3 = web3_for(node)
    erc20 = deploy(w3, "DemoToken", "Demo Dollar", "USDC", 6, 10**15, key=owner)
    erc721 = deploy(w3, "DemoNFT", "Demo Deed", "DEED", key=DEPLOYER)
    erc1155 = deploy(w3, "DemoMultiToken", key=DEPLOYER)
    holder = ACCOUNTS[owner].address
    for token_id in (1, 2, 3):
        transact_direct(w3, DEPLOYER, erc721.functions.mint(holder, token_id))
    for token_id in (1, 2):
        transact_direct(w3, DEPLOYER, erc1155.functions.mint(holder, token_id, 1000))
    return Deployed(
        node=node,
        w3=w3,
        owner=owner,
        erc20=erc20,
        erc721=erc721,
        erc1155=erc1155,
        multisend=deploy(w3, "MultiSend", key=DEPLOYER),
        router=deploy(w3, "Router", key=DEPLOYER),
    )


def register_asset(
    policy_path: Path, address: str, symbol: str, asset_class: str, decimals: int
) -> None:
    """Adds a token contract to a policy tree's assets.json (tests use a copy of the tree)."""
    path = policy_path / "data" / "assets.json"
    assets = json.loads(path.read_text())
    assets[address.lower()] = {"symbol": symbol, "class": asset_class, "decimals": decimals}
    path.write_text(json.dumps(assets, indent=2))

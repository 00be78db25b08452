"""Shared fixtures: a real anvil node, a copy of the policy tree, and a real gateway served over
HTTP by uvicorn on a free port."""

from __future__ import annotations

import asyncio
import functools
import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from eth_account import Account
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.types import TxReceipt

from governance.api.app import Services, create_app
from governance.api.auth import mint_token
from governance.config import AuditConfig, AuthConfig, LedgerConfig, PolicyConfig, Settings
from governance.policy.evaluator import CONFORMANCE_ENGINES, ENGINES
from governance.policy.travel_rule import travel_rule_header

ROOT = Path(__file__).resolve().parent.parent
ANVIL = ROOT / "node_modules" / ".bin" / "anvil"
CAST = ROOT / "node_modules" / ".bin" / "cast"
CONTRACTS = ROOT / "tests" / "fixtures" / "contracts"
SECRET = "test-secret-0123456789abcdef-0123456789"

# anvil's default dev accounts (mnemonic "test test ... junk"), index -> private key
KEYS = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
]
ACCOUNTS = [Account.from_key(k) for k in KEYS]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--rego-engines",
        default=",".join(CONFORMANCE_ENGINES),
        help="comma-separated embedded engines the policy tests run on and compare "
        f"(default: %(default)s; any of {', '.join(ENGINES)})",
    )


def rego_engines(config: pytest.Config) -> list[str]:
    names = [n.strip() for n in str(config.getoption("--rego-engines")).split(",") if n.strip()]
    unknown = set(names) - set(ENGINES)
    if unknown or not names:
        raise pytest.UsageError(f"--rego-engines: unknown {sorted(unknown)}; use {ENGINES}")
    return names


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`rego_engine`: each engine of --rego-engines; `rego_engines`: all of them at once."""
    if "rego_engine" in metafunc.fixturenames:
        metafunc.parametrize("rego_engine", rego_engines(metafunc.config))
    if "rego_engines" in metafunc.fixturenames:
        metafunc.parametrize("rego_engines", [tuple(rego_engines(metafunc.config))], ids=["all"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Anvil:
    url: str
    port: int
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def rpc(self, method: str, params: list[Any] | None = None) -> Any:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}
        doc = httpx.post(self.url, json=body, timeout=10).json()
        if "error" in doc:
            raise RuntimeError(doc["error"])
        return doc["result"]


def start_anvil(*extra: str) -> Anvil:
    if not ANVIL.exists():
        raise RuntimeError(f"{ANVIL} missing: run `npm ci` (the README's test command does)")
    port = free_port()
    proc = subprocess.Popen(
        [str(ANVIL), "--port", str(port), "--silent", "--chain-id", "31337", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    node = Anvil(f"http://127.0.0.1:{port}", port, proc)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            node.rpc("eth_chainId")
            return node
        except (httpx.HTTPError, RuntimeError):
            time.sleep(0.1)
    node.stop()
    raise RuntimeError("anvil did not start")


@pytest.fixture(scope="session")
def anvil() -> Iterator[Anvil]:
    node = start_anvil()
    yield node
    node.stop()


@pytest.fixture
def fresh_anvil() -> Iterator[Anvil]:
    node = start_anvil()
    yield node
    node.stop()


# ---- Solidity test contracts (tests/fixtures/contracts/, rebuilt by scripts/build-contracts) ---


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


@pytest.fixture(scope="module")
def chain() -> Iterator[Deployed]:
    """A fresh anvil node for the test module with the test contracts deployed on it."""
    node = start_anvil()
    try:
        yield deploy_all(node)
    finally:
        node.stop()


def register_asset(
    policy_path: Path, address: str, symbol: str, asset_class: str, decimals: int
) -> None:
    """Adds a token contract to a policy tree's assets.json (tests use a copy of the tree)."""
    path = policy_path / "data" / "assets.json"
    assets = json.loads(path.read_text())
    assets[address.lower()] = {"symbol": symbol, "class": asset_class, "decimals": decimals}
    path.write_text(json.dumps(assets, indent=2))


@pytest.fixture(scope="session")
def policy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped policy tree, so tests may register their own token contracts."""
    target = tmp_path_factory.mktemp("policies") / "policies"
    shutil.copytree(ROOT / "policies", target)
    return target


def make_settings(node_url: str, policy_path: Path, db_path: Path, **policy: Any) -> Settings:
    return Settings(
        auth=AuthConfig(jwt_secret=SECRET),
        policy=PolicyConfig(path=str(policy_path), **policy),
        audit=AuditConfig(
            database_url=f"sqlite:///{db_path}", signing_key_file=str(db_path.with_suffix(".key"))
        ),
        ledgers=(LedgerConfig(name="main", url=node_url, chain_id=31337, default=True),),
    )


class GatewayServer:
    """uvicorn serving the real app on a free port, in a thread with its own event loop."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.services = Services.build(settings)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(settings, self.services),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            loop="asyncio",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> GatewayServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("gateway did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(20)

    def rpc_url(self, ledger: str | None = None) -> str:
        return f"{self.url}/rpc" + (f"/{ledger}" if ledger else "")


def token(
    sub: str = "alice",
    org: str = "acme-us",
    jurisdiction: str = "US",
    roles: tuple[str, ...] = ("trader",),
    kyc: str = "verified",
    entity_kind: str = "institution",
    **kw: Any,
) -> str:
    return mint_token(
        SECRET,
        sub=sub,
        org=org,
        jurisdiction=jurisdiction,
        roles=list(roles),
        kyc=kyc,
        entity_kind=entity_kind,
        **kw,
    )


@pytest.fixture
def gateway_factory(
    tmp_path: Path, policy_dir: Path, anvil: Anvil
) -> Iterator[Callable[..., GatewayServer]]:
    started: list[GatewayServer] = []

    def make(
        node_url: str | None = None, policy_path: Path | None = None, **kw: Any
    ) -> GatewayServer:
        settings = make_settings(
            node_url or anvil.url, policy_path or policy_dir, tmp_path / f"log{len(started)}.db"
        )
        if kw:
            settings = replace(settings, **kw)
        server = GatewayServer(settings).__enter__()
        started.append(server)
        return server

    yield make
    for server in started:
        server.__exit__()


@pytest.fixture
def gateway(gateway_factory: Callable[..., GatewayServer]) -> GatewayServer:
    return gateway_factory()


def rpc(
    url: str,
    method: str,
    params: Any = None,
    *,
    bearer: str | None = None,
    rid: int = 1,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body = {"jsonrpc": "2.0", "id": rid, "method": method, "params": params or []}
    h = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    h.update(headers or {})
    return httpx.post(
        url, content=json.dumps(body), headers=h | {"Content-Type": "application/json"}, timeout=30
    )


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# ---- signed transactions -----------------------------------------------------------------


def raw_tx(key: int, to: str, value: int, nonce: int, data: bytes = b"") -> str:
    """An EIP-1559 transaction from anvil account `key`, signed, as `eth_sendRawTransaction`
    takes it."""
    tx = {
        "type": 2,
        "chainId": 31337,
        "nonce": nonce,
        "to": Web3.to_checksum_address(to),
        "value": value,
        "gas": 100_000,
        "maxFeePerGas": 2 * 10**9,
        "maxPriorityFeePerGas": 10**9,
        "data": data,
    }
    signed = Account.from_key(KEYS[key]).sign_transaction(tx)
    return "0x" + signed.raw_transaction.hex().removeprefix("0x")


def nonce_of(node: Anvil, key: int) -> int:
    """The next nonce of anvil account `key`, pending transactions included."""
    address = Account.from_key(KEYS[key]).address
    return int(node.rpc("eth_getTransactionCount", [address, "pending"]), 16)


# ---- IVMS101 travel-rule payloads (X-Travel-Rule) ------------------------------------------


def natural(name: str, country: str) -> dict[str, Any]:
    return {
        "naturalPerson": {
            "name": {"nameIdentifier": [{"primaryIdentifier": name, "nameIdentifierType": "LEGL"}]},
            "geographicAddress": [{"addressType": "HOME", "townName": "Town", "country": country}],
            "nationalIdentification": {
                "nationalIdentifier": "X1234567",
                "nationalIdentifierType": "CCPT",
                "countryOfIssue": country,
            },
        }
    }


def legal(name: str, country: str) -> dict[str, Any]:
    return {
        "legalPerson": {
            "name": {
                "nameIdentifier": [
                    {"legalPersonName": name, "legalPersonNameIdentifierType": "LEGL"}
                ]
            },
            "geographicAddress": [{"addressType": "BIZZ", "townName": "City", "country": country}],
        }
    }


def travel_rule(
    originator: dict[str, Any],
    sender: str,
    beneficiary: dict[str, Any],
    recipient: str,
    **beneficiary_extra: Any,
) -> dict[str, str]:
    payload = {
        "originator": {"originatorPersons": [originator], "accountNumber": [sender]},
        "beneficiary": {
            "beneficiaryPersons": [beneficiary],
            "accountNumber": [recipient],
            **beneficiary_extra,
        },
    }
    return {"X-Travel-Rule": travel_rule_header(payload)}

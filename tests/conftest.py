"""Shared fixtures: a real anvil node, a copy of the policy tree, a real gateway served over
HTTP by uvicorn on a free port, and the same app called in process where a socket adds nothing."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, TypeVar

import httpx
import pytest
import uvicorn
from eth_account import Account
from web3 import Web3

from governance.api.app import Services, create_app
from governance.api.auth import mint_token
from governance.api.pdp import create_pdp_app
from governance.config import AuditConfig, AuthConfig, LedgerConfig, PolicyConfig, Settings
from governance.policy.evaluator import CONFORMANCE_ENGINES, ENGINES
from governance.policy.source import PolicySource
from governance.policy.travel_rule import travel_rule_header

if TYPE_CHECKING:
    from tests.contracts import Deployed

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
WEI = 10**18  # per ETH
T = TypeVar("T")


# ---- waiting -------------------------------------------------------------------------------


def wait_for(
    probe: Callable[[], T],
    *,
    timeout: float = 15.0,
    interval: float = 0.05,
    what: str = "",
    ignoring: tuple[type[BaseException], ...] = (),
) -> T:
    """Polls `probe` until it returns something true and returns that. An exception in
    `ignoring` counts as "not yet"; anything else propagates. AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = probe()
            if value:
                return value
        except ignoring:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or probe}")
        time.sleep(interval)


async def wait_for_async(
    probe: Callable[[], T], *, timeout: float = 15.0, interval: float = 0.05, what: str = ""
) -> T:
    """wait_for for a test running on the event loop the awaited work runs on."""
    deadline = time.monotonic() + timeout
    while not (value := probe()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or probe}")
        await asyncio.sleep(interval)
    return value


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


def start_anvil(*extra: str, port: int | None = None, chain_id: int = 31337) -> Anvil:
    """An anvil node on `port` (default: a free one), answering once this returns."""
    if not ANVIL.exists():
        raise RuntimeError(f"{ANVIL} missing: run `npm ci` (the README's test command does)")
    port = port or free_port()
    proc = subprocess.Popen(
        [str(ANVIL), "--port", str(port), "--silent", "--chain-id", str(chain_id), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    node = Anvil(f"http://127.0.0.1:{port}", port, proc)
    try:
        started = lambda: node.rpc("eth_chainId")  # noqa: E731
        wait_for(started, timeout=30, interval=0.1, ignoring=(httpx.HTTPError, RuntimeError))
    except AssertionError:
        node.stop()
        raise RuntimeError("anvil did not start") from None
    return node


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


@pytest.fixture(scope="module")
def chain() -> Iterator[Deployed]:
    """A fresh anvil node for the test module with the test contracts deployed on it."""
    from tests.contracts import deploy_all

    node = start_anvil()
    try:
        yield deploy_all(node)
    finally:
        node.stop()


def shipped_tree_copy(parent: Path, **edits: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of the shipped policy tree at `parent`/policies; each keyword names a data
    document (`rates` is data/rates.json) and edits it in place before it is written back."""
    target = parent / "policies"
    shutil.copytree(ROOT / "policies", target)
    for name, edit in edits.items():
        path = target / "data" / f"{name}.json"
        doc = json.loads(path.read_text())
        edit(doc)
        path.write_text(json.dumps(doc, indent=1))
    return target


@pytest.fixture(scope="session")
def policy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped policy tree, so tests may register their own token contracts."""
    return shipped_tree_copy(tmp_path_factory.mktemp("policies"))


ETH_USD = Decimal(2500)  # the ETH rate of `pinned_policies`


@pytest.fixture(scope="module")
def pinned_policies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped policy tree with ETH at ETH_USD, so USD amounts are exact."""
    return shipped_tree_copy(
        tmp_path_factory.mktemp("pinned"), rates=lambda rates: rates.update(ETH=float(ETH_USD))
    )


def wei_for_usd(usd: Decimal | int) -> int:
    """The wei worth `usd` at ETH_USD."""
    return int(Decimal(usd) / ETH_USD * 10**18)


def outcome(resp: httpx.Response) -> tuple[str, list[str]]:
    """("allow", []) or ("deny", the reason codes) of a JSON-RPC answer the gateway decided."""
    doc = resp.json()
    if "result" in doc:
        return "allow", []
    assert doc["error"]["code"] == -32003 and "decision_id" in doc["error"].get("data", {}), doc
    return "deny", sorted(r["code"] for r in doc["error"]["data"]["reasons"])


def make_settings(node_url: str, policy_path: Path, db_path: Path, **policy: Any) -> Settings:
    return Settings(
        auth=AuthConfig(jwt_secret=SECRET),
        policy=PolicyConfig(path=str(policy_path), **policy),
        audit=AuditConfig(
            database_url=f"sqlite:///{db_path}", signing_key_file=str(db_path.with_suffix(".key"))
        ),
        ledgers=(LedgerConfig(name="main", url=node_url, chain_id=31337, default=True),),
    )


class AppServer:
    """uvicorn serving an ASGI app on a free port, in a thread with its own event loop."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on",
            loop="asyncio",
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        wait_for(lambda: self.server.started or not self.thread.is_alive(), timeout=20)
        if not self.server.started:
            raise RuntimeError(f"{type(self).__name__} did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(20)


class GatewayServer(AppServer):
    """The real gateway app."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.services = Services.build(settings)
        super().__init__(create_app(settings, self.services))

    def rpc_url(self, ledger: str | None = None) -> str:
        return f"{self.url}/rpc" + (f"/{ledger}" if ledger else "")


@asynccontextmanager
async def in_process(
    app: Any, base_url: str = "http://gateway"
) -> AsyncIterator[httpx.AsyncClient]:
    """A client calling `app` in this process, no socket, inside the app's own lifespan: its
    services start before the first request and stop after the last, as under uvicorn."""
    lifespan_app = getattr(app, "api", app)  # the gateway's Dispatcher: its FastAPI app's lifespan
    transport = httpx.ASGITransport(app=app)
    async with (
        lifespan_app.router.lifespan_context(lifespan_app),
        httpx.AsyncClient(transport=transport, base_url=base_url, timeout=30) as client,
    ):
        yield client


@dataclass
class InProcessGateway:
    """The real gateway app called in process: `client` reaches it, `services` are its own."""

    client: httpx.AsyncClient
    services: Services


@asynccontextmanager
async def in_process_gateway(settings: Settings) -> AsyncIterator[InProcessGateway]:
    services = Services.build(settings)
    async with in_process(create_app(settings, services)) as client:
        yield InProcessGateway(client, services)


PDP_WRITE_TOKEN = "pdp-write-token-0123456789abcdef-0123"


class PdpServer(AppServer):
    """`governance pdp`'s app (OPA's REST API) for `source`."""

    def __init__(
        self, source: PolicySource, engine: str, write_token: str | None = PDP_WRITE_TOKEN
    ) -> None:
        super().__init__(create_pdp_app(source, write_token=write_token, engine=engine))


def serving(proc: subprocess.Popen[Any], url: str, timeout: float = 30.0) -> bool:
    """Waits until `url` answers 200 (True) or `proc` exits first (False)."""
    answers = lambda: proc.poll() is not None or httpx.get(url, timeout=1).status_code == 200  # noqa: E731
    wait_for(answers, timeout=timeout, interval=0.1, ignoring=(httpx.HTTPError,), what=url)
    return proc.poll() is None


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


def raw_tx(
    key: int,
    to: str,
    value: int,
    nonce: int,
    data: bytes = b"",
    *,
    gas: int = 100_000,
    chain_id: int = 31337,
) -> str:
    """An EIP-1559 transaction from anvil account `key`, signed, as `eth_sendRawTransaction`
    takes it."""
    tx = {
        "type": 2,
        "chainId": chain_id,
        "nonce": nonce,
        "to": Web3.to_checksum_address(to),
        "value": value,
        "gas": gas,
        "maxFeePerGas": 2 * 10**9,
        "maxPriorityFeePerGas": 10**9,
        "data": data,
    }
    signed = ACCOUNTS[key].sign_transaction(tx)
    return "0x" + signed.raw_transaction.hex().removeprefix("0x")


def nonce_of(node: Anvil, key: int) -> int:
    """The next nonce of anvil account `key`, pending transactions included."""
    return int(node.rpc("eth_getTransactionCount", [ACCOUNTS[key].address, "pending"]), 16)


# ---- IVMS101 travel-rule payloads (X-Travel-Rule) ------------------------------------------


def natural(
    name: str,
    country: str,
    *,
    given: str | None = None,
    born: tuple[str, str] | None = None,
    customer_id: str | None = None,
) -> dict[str, Any]:
    """An IVMS101 natural person: legal name, home address and passport in `country`; the
    given name, (date, place) of birth and customer id when asked for."""
    name_id = {"primaryIdentifier": name, "nameIdentifierType": "LEGL"}
    if given is not None:
        name_id["secondaryIdentifier"] = given
    person: dict[str, Any] = {
        "name": {"nameIdentifier": [name_id]},
        "geographicAddress": [{"addressType": "HOME", "townName": "Town", "country": country}],
        "nationalIdentification": {
            "nationalIdentifier": "X1234567",
            "nationalIdentifierType": "CCPT",
            "countryOfIssue": country,
        },
    }
    if born is not None:
        person["dateAndPlaceOfBirth"] = {"dateOfBirth": born[0], "placeOfBirth": born[1]}
    if customer_id is not None:
        person["customerIdentification"] = customer_id
    return {"naturalPerson": person}


def legal(name: str, country: str, *, lei: str | None = None) -> dict[str, Any]:
    """An IVMS101 legal person with its business address in `country`; with `lei`, identified
    by that LEI and registered in `country`."""
    person: dict[str, Any] = {
        "name": {
            "nameIdentifier": [{"legalPersonName": name, "legalPersonNameIdentifierType": "LEGL"}]
        },
        "geographicAddress": [{"addressType": "BIZZ", "townName": "City", "country": country}],
    }
    if lei is not None:
        person["nationalIdentification"] = {
            "nationalIdentifier": lei,
            "nationalIdentifierType": "LEIX",
        }
        person["countryOfRegistration"] = country
    return {"legalPerson": person}


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


def signed_transfer(
    node: Anvil,
    key_index: int,
    to: str,
    value_wei: int,
    *,
    chain_id: int = 31337,
    nonce: int | None = None,
) -> str:
    """A plain value transfer (21,000 gas), at the sender's next nonce unless given."""
    nonce = nonce_of(node, key_index) if nonce is None else nonce
    return raw_tx(key_index, to, value_wei, nonce, gas=21_000, chain_id=chain_id)


# ---- policy inputs -----------------------------------------------------------------------


def aggregates_input(
    by: dict[str, dict[str, float]] | None = None,
    *,
    person: str = "test-person",
    person_30d_usd: float = 0.0,
) -> dict[str, Any]:
    """`input.aggregates` (docs/policy-input.md) with nothing spent in every jurisdiction of the
    shipped reference data, except the figures in `by` (jurisdiction -> figure -> USD)."""
    shipped = json.loads((ROOT / "policies" / "data" / "jurisdictions.json").read_text())
    zero = {
        "day": "2026-11-26",
        "year": "2026",
        "person_daily_usd": 0.0,
        "person_annual_usd": 0.0,
        "person_daily_cross_border_usd": 0.0,
        "person_annual_cross_border_usd": 0.0,
    }
    figures = {
        j: {**zero, **(by or {}).get(j, {})} for j, v in shipped.items() if isinstance(v, dict)
    }
    return {"person": person, "person_30d_usd": person_30d_usd, "by_jurisdiction": figures}


def write_config(tmp_path: Path, text: str) -> str:
    """`text` as tmp_path/governance.toml; its path."""
    path = tmp_path / "governance.toml"
    path.write_text(text)
    return str(path)


# Ledgers on public chain ids (mainnet, Base) beside a private one.
PUBLIC_LEDGERS = """
[auth]
jwt_secret = "file-secret-0123456789"
[[ledgers]]
name = "mainnet"
url = "http://127.0.0.1:9545"
chain_id = 1
[[ledgers]]
name = "base"
url = "http://127.0.0.1:9546"
chain_id = 8453
native_asset = { symbol = "ETH", class = "virtual_currency", decimals = 18 }
[[ledgers]]
name = "private"
url = "http://127.0.0.1:9547"
chain_id = 31337
"""

"""`governance pdp`: OPA's REST data and policy API from the embedded engine, over real HTTP,
and the decision table that the embedded engine and the remote adapter must agree on; every
test runs on each engine of --rego-engines (regorus and OPA by default)."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from governance.api.pdp import create_pdp_app
from governance.domain.models import Decision
from governance.domain.reference import Reference
from governance.policy.engine import EmbeddedEngine
from governance.policy.inputs import NO_EFFECTS
from governance.policy.remote import RemoteEngine
from governance.policy.screening import screening_input
from governance.policy.source import PolicySource, load_policy_source
from tests.conftest import (
    PDP_WRITE_TOKEN,
    PdpServer,
    aggregates_input,
    free_port,
    in_process,
    legal,
    serving,
)
from tests.policy.conftest import MAIN_REGO, write_policy_tree

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "policies"


WRITER = {"Authorization": f"Bearer {PDP_WRITE_TOKEN}"}


MODULE_IDS = ["governance/main.rego", "lib/checks.rego", "lib/ctx.rego"]


@pytest.fixture
def small_tree(tmp_path: Path) -> Path:
    return write_policy_tree(tmp_path / "policies", max_usd=1000.0)


@pytest.fixture
def pdp(small_tree: Path, rego_engine: str) -> Iterator[PdpServer]:
    with PdpServer(load_policy_source(small_tree), rego_engine) as server:
        yield server


@pytest.fixture
async def opa_api(small_tree: Path, rego_engine: str) -> AsyncIterator[httpx.AsyncClient]:
    source = load_policy_source(small_tree)
    async with in_process(
        create_pdp_app(source, write_token=PDP_WRITE_TOKEN, engine=rego_engine)
    ) as client:
        yield client


def shipped_source() -> PolicySource:
    if not (SHIPPED / "governance" / "main.rego").is_file():
        pytest.skip("shipped policy tree not present")
    return load_policy_source(SHIPPED)


# ---- OPA REST API --------------------------------------------------------------------------


async def test_health(opa_api: httpx.AsyncClient) -> None:
    resp = await opa_api.get("/health")
    assert resp.status_code == 200 and resp.json() == {}


async def test_post_data_decision_and_undefined(opa_api: httpx.AsyncClient) -> None:
    kyc_none = {"subject": {"kyc": "none", "jurisdiction": "US"}, "parties": {}, "tx": None}
    resp = await opa_api.post("/v1/data/governance/main/decision", json={"input": kyc_none})
    assert resp.status_code == 200
    result = resp.json()["result"]
    assert result["allow"] is False
    assert [r["code"] for r in result["reasons"]] == ["KYC_REQUIRED"]
    # Undefined documents answer 200 with no "result", as OPA does.
    resp = await opa_api.post("/v1/data/governance/main/nothing", json={"input": kyc_none})
    assert resp.status_code == 200 and resp.json() == {}


async def test_input_does_not_leak_between_requests(opa_api: httpx.AsyncClient) -> None:
    url = "/v1/data/governance/main/decision"
    await opa_api.post(
        url,
        json={
            "input": {"subject": {"kyc": "none", "jurisdiction": "US"}, "parties": {}, "tx": None}
        },
    )
    resp = await opa_api.post(url, json={})  # no input: rules reading input are undefined or empty
    assert "KYC_REQUIRED" not in resp.text


async def test_get_data_documents(opa_api: httpx.AsyncClient) -> None:
    resp = await opa_api.get("/v1/data/reference/rates")
    assert resp.json() == {"result": {"ETH": 3000.0, "USDC": 1.0}}
    assert (await opa_api.get("/v1/data/reference/nope")).json() == {}
    sanctions = (await opa_api.get("/v1/data/reference/sanctions")).json()["result"]
    assert len(sanctions) == 1


async def test_bad_body_is_400(opa_api: httpx.AsyncClient) -> None:
    resp = await opa_api.post("/v1/data/governance/main/decision", content=b"{nope")
    assert resp.status_code == 400 and resp.json()["code"] == "invalid_parameter"


async def test_policies_list_get_put_delete(opa_api: httpx.AsyncClient) -> None:
    listed = (await opa_api.get("/v1/policies")).json()["result"]
    ids = [p["id"] for p in listed]
    assert ids == MODULE_IDS
    main = (await opa_api.get("/v1/policies/governance/main.rego")).json()["result"]
    assert main["raw"] == MAIN_REGO
    assert [s["value"] for s in main["ast"]["package"]["path"]] == ["data", "governance", "main"]
    assert (await opa_api.get("/v1/policies/none.rego")).status_code == 404

    extra = "package governance.extra\n\nimport rego.v1\n\nanswer := 42\n"
    resp = await opa_api.put(
        "/v1/policies/extra.rego",
        content=extra,
        headers={"Content-Type": "text/plain", **WRITER},
    )
    assert resp.status_code == 200
    assert (await opa_api.get("/v1/data/governance/extra/answer")).json() == {"result": 42}
    assert (await opa_api.delete("/v1/policies/extra.rego", headers=WRITER)).status_code == 200
    assert (await opa_api.get("/v1/data/governance/extra/answer")).json() == {}


@pytest.mark.parametrize(
    ("text", "row", "codes"),
    [
        ("package governance.extra\n\nimport rego.v1\n\nanswer if {\n", 6, {}),
        (
            "package governance.extra\n\nimport rego.v1\n\nanswer if { y == 1 }\n",
            5,
            # OPA names the kind of compile error
            {"regorus": "rego_compile_error", "opa": "rego_unsafe_var_error"},
        ),
    ],
)
async def test_put_policy_compile_error_is_400_and_keeps_serving(
    opa_api: httpx.AsyncClient, rego_engine: str, text: str, row: int, codes: dict[str, str]
) -> None:
    code = codes.get(rego_engine, "rego_parse_error")
    before = (await opa_api.get("/v1/data/reference/rates")).json()
    resp = await opa_api.put("/v1/policies/extra.rego", content=text, headers=WRITER)
    assert resp.status_code == 400
    doc = resp.json()
    assert doc["code"] == "invalid_parameter"
    assert doc["message"] == "error(s) occurred while compiling module(s)"
    error = doc["errors"][0]
    assert error["code"] == code
    assert error["location"]["file"] == "extra.rego" and error["location"]["row"] == row
    assert (await opa_api.get("/v1/data/reference/rates")).json() == before
    listed = (await opa_api.get("/v1/policies")).json()["result"]
    assert "extra.rego" not in [p["id"] for p in listed]


def test_opa_python_client_talks_to_pdp(pdp: PdpServer) -> None:
    from opa_client import OpaClient

    client = OpaClient(host="127.0.0.1", port=pdp.port)
    try:
        assert client.check_health() is True
        assert sorted(client.get_policies_list()) == MODULE_IDS
        doc = client.query_rule(
            {"subject": {"kyc": "verified", "jurisdiction": "US"}, "parties": {}, "tx": None},
            "governance.main",
            "decision",
        )
        assert doc["result"]["allow"] is True
    finally:
        client.close_connection()


# ---- the agreement table -------------------------------------------------------------------

US_TREASURY = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"  # acme-us, institution, verified
US_PENDING = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"  # acme-us individual, KYC pending
CN_INDIVIDUAL = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc"
CN_INSTITUTION = "0x90f79bf6eb2c4f870365e785982e1f101e93b906"
DE_INSTITUTION = "0x15d34aaf54267db7d7c367839aaf71a00a2c6a65"
UNKNOWN = "0xa0ee7a142d267c1f36714e4a8f75612f20a79720"
SANCTIONED = "0xa79c58b0b11fb634112ccb08cccc3e29dd77d3d2"
USDC = {"symbol": "USDC", "class": "stablecoin", "contract": "0x" + "ab" * 20, "decimals": 6}
ETH = {"symbol": "ETH", "class": "tokenized_deposit", "contract": None, "decimals": 18}
TRAVEL_RULE = {
    "originator": {
        "originatorPersons": [legal("Acme Trading Inc.", "US")],
        "accountNumber": [US_TREASURY],
    },
    "beneficiary": {
        "beneficiaryPersons": [legal("Hanse Logistik GmbH", "DE")],
        "accountNumber": [DE_INSTITUTION],
    },
}


def subject(**kw: Any) -> dict[str, Any]:
    base = {
        "sub": "alice",
        "org": "acme-us",
        "jurisdiction": "US",
        "roles": ["trader"],
        "entity_kind": "institution",
        "kyc": "verified",
    }
    return base | kw


def request(method: str, kind: str) -> dict[str, Any]:
    return {
        "id": "01JTESTDECISION000000000000",
        "ledger": "main",
        "chain_id": 31337,
        "method": method,
        "kind": kind,
        "received_at": "2026-11-26T14:00:00.000000Z",
        "day": "2026-11-26",
        "year": "2026",
        "decode_error": None,
    }


def aggregates(daily: float = 0.0) -> dict[str, Any]:
    return aggregates_input({"US": {"person_daily_usd": daily, "person_annual_usd": daily}})


def read_input(
    ref: Reference, method: str, params: list[Any], addresses: list[str], **subj: Any
) -> dict[str, Any]:
    parties = [ref.entity(a).to_input() for a in addresses]
    residency = sorted({p["jurisdiction"] for p in parties if p["jurisdiction"]})
    kind = "read" if method.startswith("eth_") else "admin"
    return {
        "request": request(method, kind),
        "subject": subject(**subj),
        "tx": None,
        "parties": {},
        "travel_rule": None,
        "travel_rule_errors": [],
        "aggregates": aggregates(),
        "read": None
        if kind == "admin"
        else {
            "params": params,
            "parties": parties,
            "residency": residency,
            "raw_state": False,
            "contract": None,
        },
        **NO_EFFECTS,
    }


def write_input(
    ref: Reference,
    to: str,
    value: str,
    *,
    asset: dict[str, Any] = ETH,
    sender: str = US_TREASURY,
    daily: float = 0.0,
    travel_rule: dict[str, Any] | None = None,
    **subj: Any,
) -> dict[str, Any]:
    s = subject(**subj)
    recipient = ref.entity(to)
    usd = float(value) * {"ETH": 2500.0, "USDC": 1.0}[asset["symbol"]]
    token = asset["contract"] is not None
    tx = {
        "from": sender,
        "to": asset["contract"] or to,
        "nonce": 0,
        "chain_id": 31337,
        "value": value,
        "asset": copy.deepcopy(asset),
        "amount_usd": usd,
        "rate_known": True,
        "selector": "0xa9059cbb" if token else None,
        "token_transfer": token,
        "token_call": "transfer" if token else None,
        "cross_border": recipient.jurisdiction != s["jurisdiction"],
    }
    return {
        "request": request("eth_sendRawTransaction", "write"),
        "subject": s,
        "tx": tx,
        "parties": {"sender": ref.entity(sender).to_input(), "recipient": recipient.to_input()},
        "simulation": {"mode": "simulate_v1", "status": "ok", "reason": None},
        "travel_rule": travel_rule,
        "travel_rule_errors": [],
        "screening": screening_input(travel_rule, ref),
        "aggregates": aggregates(daily),
        "read": None,
        "effects": [],
        "approvals": [],
        "contracts": [],
    }


def decision_table(ref: Reference) -> dict[str, dict[str, Any]]:
    """Inputs shaped as docs/policy-input.md describes, across reads, writes and denials."""
    return {
        "read_block_number": read_input(ref, "eth_blockNumber", [], []),
        "read_cn_individual_balance": read_input(
            ref, "eth_getBalance", [CN_INDIVIDUAL, "latest"], [CN_INDIVIDUAL]
        ),
        "read_by_cn_subject": read_input(
            ref,
            "eth_getBalance",
            [US_PENDING, "latest"],
            [US_PENDING],
            org="panda-cn",
            jurisdiction="CN",
        ),
        "admin_method_by_trader": read_input(ref, "admin_addPeer", ["enode://x"], []),
        "write_domestic_small": write_input(ref, US_TREASURY, "0.1"),
        "write_cross_border_cn": write_input(ref, CN_INSTITUTION, "0.1"),
        "write_kyc_none": write_input(ref, US_TREASURY, "0.1", kyc="none"),
        "write_to_sanctioned": write_input(ref, SANCTIONED, "0.1"),
        "write_to_unknown": write_input(ref, UNKNOWN, "0.1"),
        "write_de_without_travel_rule": write_input(ref, DE_INSTITUTION, "2"),
        "write_de_with_travel_rule": write_input(ref, DE_INSTITUTION, "2", travel_rule=TRAVEL_RULE),
        "write_over_daily_limit": write_input(ref, US_TREASURY, "0.1", daily=4_999_900.0),
        "write_usdc_individual": write_input(
            ref, US_TREASURY, "500", asset=USDC, entity_kind="individual"
        ),
    }


async def test_embedded_and_remote_agree_on_the_table(rego_engine: str) -> None:
    source = shipped_source()
    embedded = EmbeddedEngine("regorus", source)
    table = decision_table(embedded.snapshot().reference)
    with PdpServer(source, rego_engine) as pdp:
        remote = RemoteEngine(source, pdp.url, timeout_ms=5000)
        try:
            outcomes: dict[str, Decision] = {}
            for name, policy_input in table.items():
                local = await embedded.decide(embedded.snapshot(), policy_input)
                over_http = await remote.decide(remote.snapshot(), policy_input)
                assert over_http == local, name
                assert over_http.raw == local.raw, name
                outcomes[name] = local
        finally:
            await remote.close()
    # The table is only worth agreeing on if it exercises both outcomes.
    assert outcomes["read_block_number"].allow
    assert outcomes["write_domestic_small"].allow
    assert not outcomes["write_kyc_none"].allow
    assert not outcomes["write_to_sanctioned"].allow
    assert len({d.outcome for d in outcomes.values()}) == 2
    assert len({r.code for d in outcomes.values() for r in d.reasons}) >= 3


# ---- the command ---------------------------------------------------------------------------


def test_pdp_command_serves_a_signed_bundle(small_tree: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    from governance.policy.bundle import build_bundle, sign_bundle
    from tests.policy.conftest import private_pem, public_pem, rsa_key

    key = rsa_key()
    bundle, pub = tmp_path / "b.tar.gz", tmp_path / "k.pub"
    bundle.write_bytes(
        sign_bundle(build_bundle(load_policy_source(small_tree), "cmd-1"), private_pem(key))
    )
    pub.write_text(public_pem(key))
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "governance.cli",
            "pdp",
            "--policy",
            str(bundle),
            "--verification-key",
            str(pub),
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        assert serving(proc, f"{url}/health"), "pdp did not start"
        body = {
            "input": {"subject": {"kyc": "none", "jurisdiction": "US"}, "parties": {}, "tx": None}
        }
        result = httpx.post(f"{url}/v1/data/governance/main/decision", json=body).json()
        assert result["result"]["allow"] is False
    finally:
        proc.terminate()
        proc.wait(10)
    # An unsigned bundle is refused before serving.
    bundle.write_bytes(build_bundle(load_policy_source(small_tree), "cmd-2"))
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "governance.cli",
            "pdp",
            "--policy",
            str(bundle),
            "--verification-key",
            str(pub),
            "--port",
            str(free_port()),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2 and "not signed" in refused.stderr


async def test_policy_writes_need_the_token(opa_api: httpx.AsyncClient) -> None:
    extra = "package governance.extra\n\nimport rego.v1\n\nanswer := 42\n"
    url = "/v1/policies/extra.rego"
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        assert (await opa_api.put(url, content=extra, headers=headers)).status_code == 401
        deleted = await opa_api.delete("/v1/policies/lib/ctx.rego", headers=headers)
        assert deleted.status_code == 401 and deleted.json()["code"] == "unauthorized"
    assert (await opa_api.get("/v1/data/governance/extra/answer")).json() == {}
    assert "lib/ctx.rego" in [p["id"] for p in (await opa_api.get("/v1/policies")).json()["result"]]


async def test_policy_writes_are_off_by_default(small_tree: Path, rego_engine: str) -> None:
    app = create_pdp_app(load_policy_source(small_tree), write_token=None, engine=rego_engine)
    async with in_process(app) as opa_api:
        resp = await opa_api.put("/v1/policies/x.rego", content="package x", headers=WRITER)
        assert resp.status_code == 403 and "--allow-policy-writes" in resp.json()["message"]
        big = await opa_api.post("/v1/data/x", content=b" " * (9 * 1024 * 1024))
        assert big.status_code == 413 and big.json()["code"] == "invalid_parameter"

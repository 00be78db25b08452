"""`governance pdp`: OPA's REST data and policy API from the embedded engine, over real HTTP,
and the decision table that the embedded engine and the remote adapter must agree on; every
test runs on each engine of --rego-engines (regorus and OPA by default)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from governance.api.pdp import create_pdp_app
from governance.domain.models import Decision
from governance.policy.engine import EmbeddedEngine
from governance.policy.remote import RemoteEngine
from governance.policy.source import PolicySource, load_policy_source
from tests.conftest import PDP_WRITE_TOKEN, PdpServer, free_port, in_process, serving
from tests.policy.conftest import MAIN_REGO, write_policy_tree
from tests.policy.decision_table import CASES

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
    # JSON that is not Unicode text (an unpaired surrogate escape) is the caller's error, not
    # the engine's; an integer beyond 64 bits is JSON and decided
    for key in (b"x", b"\\udfff"):
        body = b'{"input": {"' + key + b'": "\\ud800"}}'
        resp = await opa_api.post("/v1/data/governance/main/decision", content=body)
        assert resp.status_code == 400 and resp.json()["code"] == "invalid_parameter", body
    big = b'{"input": {"x": 1180591620717411303424}}'
    resp = await opa_api.post("/v1/data/governance/main/decision", content=big)
    assert resp.status_code == 200, resp.text


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


async def test_embedded_and_remote_agree_on_the_table(rego_engine: str) -> None:
    """Every input of the decision table (reads, writes, effects, denials; built as the
    gateway builds them) decided the same in process and through `governance pdp`."""
    source = shipped_source()
    embedded = EmbeddedEngine("regorus", source)
    with PdpServer(source, rego_engine) as pdp:
        remote = RemoteEngine(source, pdp.url, timeout_ms=5000)
        try:
            outcomes: dict[str, Decision] = {}
            for case in CASES:
                local = await embedded.decide(embedded.snapshot(), case.input)
                over_http = await remote.decide(remote.snapshot(), case.input)
                assert over_http == local, case.name
                assert over_http.raw == local.raw, case.name
                outcomes[case.name] = local
        finally:
            await remote.close()
    # The table is only worth agreeing on if it exercises both outcomes.
    assert outcomes["read_cn_individual_with_basis"].allow
    assert outcomes["us_domestic_small"].allow
    assert not outcomes["caller_kyc_pending"].allow
    assert not outcomes["sanctioned_recipient"].allow
    assert len({d.outcome for d in outcomes.values()}) == 2
    assert len({r.code for d in outcomes.values() for r in d.reasons}) >= 3


# ---- the command ---------------------------------------------------------------------------


def pdp_command(bundle: Path, public_key: Path, port: int) -> list[str]:
    """`governance pdp` serving `bundle`, verified with `public_key`, on `port`."""
    return [sys.executable, "-m", "governance.cli", "pdp", "--policy", str(bundle),
            "--verification-key", str(public_key), "--port", str(port)]  # fmt: skip


def test_pdp_command_serves_a_signed_bundle(small_tree: Path, tmp_path: Path) -> None:
    import subprocess

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
        [*pdp_command(bundle, pub, port), "--log-level", "warning"],
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
        pdp_command(bundle, pub, free_port()),
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

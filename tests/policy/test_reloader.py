"""Hot reload: change detection per location kind, refusal of broken revisions (syntax,
compile, failing tests, undefined decision, bad signature) while the old one keeps serving,
metrics and status, and atomic swaps under concurrent load through the real gateway."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from governance.audit.sqlstore import SqlLog
from governance.config import PolicyConfig
from governance.metrics import Metrics
from governance.policy.bundle import build_bundle, load_verification_key, sign_bundle
from governance.policy.engine import EmbeddedEngine, decide_sync
from governance.policy.factory import make_reloader
from governance.policy.reloader import PolicyReloader
from governance.policy.remote import RemoteEngine
from governance.policy.source import load_policy_source
from tests.conftest import Anvil, GatewayServer, make_settings, rpc, token, wait_for
from tests.policy.conftest import (
    CHECKS_REGO,
    BundleHost,
    private_pem,
    public_pem,
    rsa_key,
    write_policy_tree,
)

WRITE_5000 = {
    "subject": {"kyc": "verified", "jurisdiction": "US"},
    "parties": {},
    "tx": {"amount_usd": 5000.0},
}
FAILING_TEST = """
test_always_fails if {
\tfalse
}
"""


def reloads(metrics: Metrics, result: str) -> float:
    value = metrics.registry.get_sample_value("governance_policy_reloads_total", {"result": result})
    return value or 0.0


def atomic_write(path: Path, text: str) -> None:
    """How an editor or a deploy tool replaces a file: readers see old or new, never half."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return write_policy_tree(tmp_path / "policies", max_usd=10_000.0)


@pytest.fixture
async def dir_reloader(tree: Path) -> Any:
    engine = EmbeddedEngine("regorus", load_policy_source(tree))
    metrics = Metrics()
    reloader = PolicyReloader(engine, tree, None, 0, metrics)
    await reloader.start()
    yield engine, reloader, metrics
    await reloader.stop()


def allowed(engine: EmbeddedEngine, policy_input: dict[str, Any]) -> bool:
    return decide_sync(engine.snapshot(), policy_input).allow


# ---- directory -----------------------------------------------------------------------------


async def test_directory_change_is_swapped_in(dir_reloader: Any, tree: Path) -> None:
    engine, reloader, metrics = dir_reloader
    before = engine.snapshot().revision
    assert allowed(engine, WRITE_5000)
    write_policy_tree(tree, max_usd=1_000.0)
    result = await reloader.reload_now(force=False)
    assert result.ok and result.changed and result.result == "ok"
    assert result.revision == engine.snapshot().revision != before
    assert result.tests == 2
    assert not allowed(engine, WRITE_5000)
    assert reloads(metrics, "ok") == 1
    loaded = "governance_policy_loaded"
    assert metrics.registry.get_sample_value(loaded, {"revision": result.revision}) == 1
    assert metrics.registry.get_sample_value(loaded, {"revision": before}) is None
    assert reloader.last_reload is not None and reloader.last_reload["ok"] is True


async def test_unchanged_is_not_an_attempt(dir_reloader: Any) -> None:
    _, reloader, metrics = dir_reloader
    result = await reloader.reload_now(force=False)
    assert not result.changed and result.ok
    forced = await reloader.reload_now(force=True)  # same content: nothing to swap
    assert not forced.changed
    assert reloads(metrics, "ok") == 0 and reloader.last_reload is None


@pytest.mark.parametrize(
    ("breakage", "result", "message"),
    [
        ("syntax", "compile_error", "checks.rego"),
        ("unsafe", "compile_error", "unsafe"),
        ("failing_test", "test_failed", "test_always_fails"),
        ("undefined", "compile_error", "cannot decide a plain read"),
        ("bad_json", "load_error", "rates.json"),
    ],
)
async def test_broken_revision_is_refused_and_old_keeps_serving(
    dir_reloader: Any, tree: Path, breakage: str, result: str, message: str
) -> None:
    engine, reloader, metrics = dir_reloader
    serving = engine.snapshot()
    _break(tree, breakage)
    refused = await reloader.reload_now(force=False)
    assert not refused.ok and refused.changed
    assert refused.result == result
    assert message in (refused.error or "")
    assert "Stack backtrace" not in (refused.error or "")
    assert engine.snapshot() is serving
    assert allowed(engine, WRITE_5000)
    assert reloads(metrics, result) == 1 and reloads(metrics, "ok") == 0
    status = reloader.last_reload
    assert status is not None
    assert status["ok"] is False and status["serving"] == serving.revision
    assert status["error"] == refused.error
    # The same broken content is reported once, not on every poll...
    assert not (await reloader.reload_now(force=False)).changed
    # ...and a fix is picked up.
    write_policy_tree(tree, max_usd=1_000.0)
    fixed = await reloader.reload_now(force=False)
    assert fixed.ok and not allowed(engine, WRITE_5000)


def _break(tree: Path, breakage: str) -> None:
    checks = tree / "lib" / "checks.rego"
    if breakage == "syntax":
        checks.write_text(CHECKS_REGO + "\ndeny contains x if {\n")
    elif breakage == "unsafe":
        checks.write_text(CHECKS_REGO + "\nbroken if { y == 1 }\n")
    elif breakage == "failing_test":
        write_policy_tree(tree, max_usd=1_000.0, extra_test=FAILING_TEST)
    elif breakage == "undefined":
        main = tree / "governance" / "main.rego"
        undefined = "decision := {} if false\n\nx := {"
        main.write_text(main.read_text().replace("decision := {", undefined))
    elif breakage == "bad_json":
        (tree / "data" / "rates.json").write_text("{not json")


async def test_change_before_start_is_applied_at_start(tree: Path) -> None:
    engine = EmbeddedEngine("regorus", load_policy_source(tree))
    write_policy_tree(tree, max_usd=1_000.0)  # edited between start-up and reloader start
    reloader = PolicyReloader(engine, tree, None, 0, Metrics())
    await reloader.start()
    try:
        assert not allowed(engine, WRITE_5000)
        assert reloader.last_reload is not None and reloader.last_reload["ok"]
    finally:
        await reloader.stop()


def test_factory_config_errors(tmp_path: Path, tree: Path) -> None:
    from governance.errors import ConfigError
    from governance.policy.factory import make_policy_engine

    settings = make_settings("http://127.0.0.1:8545", tree, tmp_path / "x.db")
    missing = replace(
        settings, policy=PolicyConfig(path=str(tree), bundle_verification_key_file="nope.pem")
    )
    with pytest.raises(ConfigError, match=r"policy\.bundle_verification_key_file: cannot read"):
        make_policy_engine(missing)
    (tmp_path / "k.pem").write_text(public_pem(rsa_key()))
    keyed = replace(
        settings,
        policy=PolicyConfig(path=str(tree), bundle_verification_key_file=str(tmp_path / "k.pem")),
    )
    with pytest.raises(ConfigError, match=r"policy\.path: .* is a directory"):
        make_policy_engine(keyed)  # a key demands a signed bundle
    with pytest.raises(ConfigError, match=r"policy\.path"):
        make_policy_engine(replace(settings, policy=PolicyConfig(path=str(tmp_path / "no"))))
    reloader = make_reloader(settings, make_policy_engine(settings), Metrics())
    assert reloader.interval_s == 2.0 and reloader.location == str(tree)  # watched by default


async def test_polling_picks_up_changes(tree: Path) -> None:
    engine = EmbeddedEngine("regorus", load_policy_source(tree))
    reloader = PolicyReloader(engine, tree, None, 0.02, Metrics())
    await reloader.start()
    try:
        write_policy_tree(tree, max_usd=1_000.0)
        for _ in range(250):
            if not allowed(engine, WRITE_5000):
                break
            await asyncio.sleep(0.02)
        assert not allowed(engine, WRITE_5000)
    finally:
        await reloader.stop()


# ---- bundle file and URL -------------------------------------------------------------------


@pytest.fixture(scope="module")
def signer() -> rsa.RSAPrivateKey:
    return rsa_key()


def signed(tree: Path, revision: str, key: rsa.RSAPrivateKey) -> bytes:
    return sign_bundle(build_bundle(load_policy_source(tree), revision), private_pem(key))


async def test_signed_bundle_file_reload_and_refusals(
    tree: Path, tmp_path: Path, signer: rsa.RSAPrivateKey
) -> None:
    path = tmp_path / "bundle.tar.gz"
    path.write_bytes(signed(tree, "b1", signer))
    key = load_verification_key(public_pem(signer))
    from governance.policy.bundle import load_policy_source_any

    engine = EmbeddedEngine("regorus", load_policy_source_any(path, key))
    metrics = Metrics()
    reloader = PolicyReloader(engine, path, key, 0, metrics)
    await reloader.start()
    try:
        assert not (await reloader.reload_now(force=False)).changed
        write_policy_tree(tree, max_usd=1_000.0)
        path.write_bytes(build_bundle(load_policy_source(tree), "b2-unsigned"))
        refused = await reloader.reload_now(force=False)
        assert refused.result == "load_error" and "not signed" in (refused.error or "")
        path.write_bytes(signed(tree, "b2", rsa_key()))  # someone else's key
        refused = await reloader.reload_now(force=False)
        assert "signature invalid" in (refused.error or "")
        assert engine.snapshot().revision == "b1" and allowed(engine, WRITE_5000)
        path.write_bytes(signed(tree, "b2", signer))
        accepted = await reloader.reload_now(force=False)
        assert accepted.ok and engine.snapshot().revision == "b2"
        assert not allowed(engine, WRITE_5000)
        assert reloads(metrics, "load_error") == 2 and reloads(metrics, "ok") == 1
    finally:
        await reloader.stop()


async def test_url_reload_uses_etag(tree: Path, bundle_host: BundleHost) -> None:
    bundle_host.serve(build_bundle(load_policy_source(tree), "u1"), '"1"')
    from governance.policy.bundle import load_policy_source_any

    engine = EmbeddedEngine("regorus", load_policy_source_any(bundle_host.url))
    reloader = PolicyReloader(engine, bundle_host.url, None, 0, Metrics())
    await reloader.start()
    try:
        fetched = bundle_host.full
        assert not (await reloader.reload_now(force=False)).changed
        assert bundle_host.full == fetched  # answered 304: nothing downloaded
        write_policy_tree(tree, max_usd=1_000.0)
        bundle_host.serve(build_bundle(load_policy_source(tree), "u2"), '"2"')
        result = await reloader.reload_now(force=False)
        assert result.ok and engine.snapshot().revision == "u2"
    finally:
        await reloader.stop()


async def test_remote_engine_reload_validates_locally(tree: Path) -> None:
    engine = RemoteEngine(load_policy_source(tree), "http://127.0.0.1:9", timeout_ms=50)
    reloader = PolicyReloader(engine, tree, None, 0, Metrics())
    await reloader.start()
    try:
        _break(tree, "unsafe")
        assert (await reloader.reload_now(force=False)).result == "compile_error"
        write_policy_tree(tree, max_usd=1_000.0)
        ok = await reloader.reload_now(force=False)
        assert ok.ok and engine.snapshot().revision == ok.revision
        assert engine.snapshot().evaluator is None  # still decided remotely
    finally:
        await reloader.stop()
        await engine.close()


# ---- through the gateway, under load -------------------------------------------------------


@pytest.fixture
def reloading_gateway(
    tmp_path: Path, anvil: Anvil
) -> Iterator[tuple[GatewayServer, PolicyReloader, Path]]:
    tree = write_policy_tree(tmp_path / "live", blocked=("eth_chainId",))
    settings = make_settings(anvil.url, tree, tmp_path / "log.db")
    settings = replace(settings, policy=PolicyConfig(path=str(tree), reload_seconds=0.02))
    gw = GatewayServer(settings)
    reloader = gw.services.reloader
    assert reloader is not None  # built by Services from reload_seconds
    gw.__enter__()
    yield gw, reloader, tree
    gw.__exit__()


@pytest.mark.slow
def test_reload_under_concurrent_load_is_atomic(
    reloading_gateway: tuple[GatewayServer, PolicyReloader, Path],
) -> None:
    gw, reloader, tree = reloading_gateway
    rev_a = load_policy_source(tree).revision  # revision A blocks eth_chainId for US callers
    # Revision B blocks eth_gasPrice instead; built aside, the live tree only changes atomically.
    tree_b = write_policy_tree(tree.parent / "b", blocked=("eth_gasPrice",))
    rev_b = load_policy_source(tree_b).revision
    stop = threading.Event()
    bearer = token(sub="loader", org="acme-us", jurisdiction="US")

    def client() -> list[httpx.Response]:
        out = []
        with httpx.Client(timeout=30) as http:
            while not stop.is_set():
                for i, method in enumerate(("eth_chainId", "eth_gasPrice", "eth_blockNumber")):
                    body = {"jsonrpc": "2.0", "id": i, "method": method, "params": []}
                    out.append(
                        http.post(
                            gw.rpc_url(), json=body, headers={"Authorization": f"Bearer {bearer}"}
                        )
                    )
        return out

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(client) for _ in range(4)]
        for n in range(12):  # six full round trips A -> B -> A
            blocked = ("eth_gasPrice",) if n % 2 == 0 else ("eth_chainId",)
            _write_atomically(tree, blocked)
            want = rev_b if n % 2 == 0 else rev_a
            wait_for(lambda w=want: gw.services.engine.snapshot().revision == w)  # type: ignore[misc]
            time.sleep(0.05)
        stop.set()
        responses = [r for f in futures for r in f.result()]

    assert len(responses) > 100
    for resp in responses:
        assert resp.status_code == 200, resp.text
        error = resp.json().get("error")
        assert error is None or error["code"] == -32003, resp.text
    records = wait_for_records(gw, len(responses))  # reads are group-committed
    assert {r["revision"] for r in records} == {rev_a, rev_b}
    for r in records:  # each decision is wholly one revision's
        blocked_method = "eth_chainId" if r["revision"] == rev_a else "eth_gasPrice"
        assert (r["outcome"] == "deny") == (r["method"] == blocked_method), r
    assert reloads(gw.services.metrics, "ok") >= 12
    assert reloads(gw.services.metrics, "compile_error") == 0, reloader.last_reload


def wait_for_records(gw: GatewayServer, count: int) -> list[dict[str, Any]]:
    store = SqlLog(gw.settings.audit.database_url)
    try:
        wait_for(lambda: store.size() >= count)
        return store.records(limit=100_000)
    finally:
        store.close()


def _write_atomically(tree: Path, blocked: tuple[str, ...]) -> None:
    staging = tree.parent / "staging"
    write_policy_tree(staging, blocked=blocked)
    atomic_write(
        tree / "data" / "jurisdictions.json", (staging / "data" / "jurisdictions.json").read_text()
    )


@pytest.mark.slow
def test_broken_policy_refused_through_gateway(
    reloading_gateway: tuple[GatewayServer, PolicyReloader, Path],
) -> None:
    gw, reloader, tree = reloading_gateway
    serving = gw.services.engine.snapshot().revision
    bearer = token(sub="carol", org="acme-us", jurisdiction="US")
    atomic_write(tree / "lib" / "checks.rego", CHECKS_REGO + "\ndeny contains x if {\n")
    wait_for(lambda: reloader.last_reload is not None)
    assert reloader.last_reload is not None and reloader.last_reload["ok"] is False
    resp = rpc(gw.rpc_url(), "eth_chainId", [], bearer=bearer)
    assert resp.json()["error"]["code"] == -32003  # still revision A: eth_chainId blocked
    assert rpc(gw.rpc_url(), "eth_blockNumber", [], bearer=bearer).json().get("result")
    officer = token(sub="olga", org="acme-us", jurisdiction="US", roles=("compliance_officer",))
    headers = {"Authorization": f"Bearer {officer}"}
    status = httpx.get(f"{gw.url}/status", headers=headers).json()["policy"]
    assert status["revision"] == serving
    assert status["last_reload"]["ok"] is False
    assert status["last_reload"]["result"] == "compile_error"
    assert "checks.rego" in status["last_reload"]["error"]
    assert reloads(gw.services.metrics, "compile_error") == 1
    records = wait_for_records(gw, 2)
    assert {r["revision"] for r in records} == {serving}
    # Fixing the file brings the next revision in.
    write_policy_tree(tree, blocked=())
    wait_for(lambda: gw.services.engine.snapshot().revision != serving)
    assert "result" in rpc(gw.rpc_url(), "eth_chainId", [], bearer=bearer).json()
    assert json.loads(json.dumps(reloader.last_reload))["ok"] is True

"""The gateway deciding with the embedded OPA engine (`policy.engine = "opa"`), end to end:
real HTTP, a real node, the shipped tree, the decisions recorded as regorus would decide."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from governance.config import PolicyConfig
from governance.policy.engine import EmbeddedEngine, decide_sync
from governance.policy.source import load_policy_source
from tests.conftest import ACCOUNTS, Anvil, GatewayServer, rpc, signed_transfer, token, wait_for


def test_gateway_decides_with_opa_as_regorus_does(
    gateway_factory: Callable[..., GatewayServer], policy_dir: Path, anvil: Anvil
) -> None:
    gw = gateway_factory(policy=PolicyConfig(path=str(policy_dir), engine="opa"))
    bearer = token(sub="alice", org="acme-us", jurisdiction="US")
    ok = rpc(
        gw.rpc_url(),
        "eth_sendRawTransaction",
        [signed_transfer(anvil, 0, ACCOUNTS[0].address, 10**15)],
        bearer=bearer,
    )
    assert "result" in ok.json(), ok.text
    denied = rpc(
        gw.rpc_url(),
        "eth_sendRawTransaction",
        [signed_transfer(anvil, 0, ACCOUNTS[0].address, 10**15)],
        bearer=token(kyc="none"),
    )
    assert denied.json()["error"]["code"] == -32003 and "KYC_REQUIRED" in denied.text
    read = rpc(gw.rpc_url(), "eth_getBalance", [ACCOUNTS[0].address, "latest"], bearer=bearer)
    assert "result" in read.json(), read.text

    records = _records(gw, 3)
    assert [r["outcome"] for r in records] == ["allow", "deny", "allow"]
    # the recorded inputs decide the same on regorus
    regorus = EmbeddedEngine("regorus", load_policy_source(policy_dir))
    for record in records:
        again = decide_sync(regorus.snapshot(), record["input"])
        assert again.outcome == record["outcome"], record["method"]


def _records(gw: GatewayServer, count: int) -> list[dict[str, Any]]:
    """The log's records once `count` are there (reads are recorded without waiting)."""
    from governance.audit.sqlstore import SqlLog

    def stored() -> list[dict[str, Any]]:
        store = SqlLog(gw.settings.audit.database_url)
        try:
            return store.records(limit=100)
        finally:
            store.close()

    try:
        return wait_for(lambda: len(r := stored()) >= count and r, timeout=10)
    except AssertionError:
        return stored()

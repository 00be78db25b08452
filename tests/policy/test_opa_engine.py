"""The gateway deciding with the embedded OPA engine (`policy.engine = "opa"`), end to end:
real HTTP, a real node, the shipped tree, the decisions recorded as regorus would decide."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from governance.config import PolicyConfig
from governance.policy.engine import EmbeddedEngine, decide_sync
from governance.policy.source import load_policy_source
from tests.conftest import ACCOUNTS, Anvil, GatewayServer, rpc, token, wait_for
from tests.policy.conftest import allowed_then_denied, recorded


def test_gateway_decides_with_opa_as_regorus_does(
    gateway_factory: Callable[..., GatewayServer], policy_dir: Path, anvil: Anvil
) -> None:
    gw = gateway_factory(policy=PolicyConfig(path=str(policy_dir), engine="opa"))
    allowed_then_denied(gw, anvil)
    read = rpc(gw.rpc_url(), "eth_getBalance", [ACCOUNTS[0].address, "latest"], bearer=token())
    assert "result" in read.json(), read.text

    # Reads are recorded without waiting.
    records = wait_for(lambda: len(r := recorded(gw)) >= 3 and r, timeout=10)
    assert [r["outcome"] for r in records] == ["allow", "deny", "allow"]
    # the recorded inputs decide the same on regorus
    regorus = EmbeddedEngine("regorus", load_policy_source(policy_dir))
    for record in records:
        again = decide_sync(regorus.snapshot(), record["input"])
        assert again.outcome == record["outcome"], record["method"]

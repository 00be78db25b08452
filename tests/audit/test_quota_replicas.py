"""Aggregates across replicas: two gateways sharing one PostgreSQL log must not both spend the
last of a quota. Each gateway has its own process-local locks, so only the store's advisory
lock can keep them apart."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from web3 import Web3

from governance.config import AuditConfig
from tests.audit.conftest import PgCluster
from tests.conftest import (
    ACCOUNTS,
    Anvil,
    GatewayServer,
    legal,
    make_settings,
    natural,
    rpc,
    token,
    travel_rule,
)

pytestmark = pytest.mark.postgres


def test_two_replicas_share_one_quota(
    pg_cluster: PgCluster, pinned_policies: Path, anvil: Anvil, tmp_path: Path
) -> None:
    url = pg_cluster.database("quota")
    replicas = []
    for i in range(2):
        settings = make_settings(anvil.url, pinned_policies, tmp_path / f"unused{i}.db")
        audit = AuditConfig(database_url=url, signing_key_file=str(tmp_path / f"cp{i}.key"))
        replicas.append(GatewayServer(replace(settings, audit=audit)).__enter__())
    try:
        sender, recipient = (
            ACCOUNTS[2].address,
            ACCOUNTS[4].address,
        )  # CN individual -> DE institution
        bearer = token(
            sub="li-wei-replicas", org="panda-cn", jurisdiction="CN", entity_kind="individual"
        )
        headers = travel_rule(natural("Li Wei", "CN"), sender, legal("Hanse", "DE"), recipient)
        start = int(anvil.rpc("eth_getTransactionCount", [sender, "pending"]), 16) + 1000
        value = int(Decimal(10_000) / Decimal(2500) * 10**18)
        raws = []
        for i in range(20):
            tx = {
                "type": 2,
                "chainId": 31337,
                "nonce": start + i,
                "gas": 21000,
                "to": Web3.to_checksum_address(recipient),
                "value": value,
                "maxFeePerGas": 2 * 10**9,
                "maxPriorityFeePerGas": 10**9,
            }
            raws.append(
                "0x" + ACCOUNTS[2].sign_transaction(tx).raw_transaction.hex().removeprefix("0x")
            )

        def send(i: int) -> str:
            gw = replicas[i % 2]  # alternate replicas
            doc = rpc(
                gw.rpc_url(), "eth_sendRawTransaction", [raws[i]], bearer=bearer, headers=headers
            ).json()
            if "result" in doc:
                return "allow"
            codes = [r["code"] for r in doc["error"]["data"]["reasons"]]
            assert codes == ["FX_QUOTA_EXCEEDED"], doc
            return "deny"

        with ThreadPoolExecutor(20) as pool:
            results = Counter(pool.map(send, range(20)))
        assert results == {"allow": 5, "deny": 15}
    finally:
        for gw in replicas:
            gw.__exit__()

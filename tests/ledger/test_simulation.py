"""Write simulation: effects decoded from answers captured from anvil 1.7
(tests/fixtures/node_answers/simulation.json), and the simulator against a real node."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from governance.config import LedgerConfig
from governance.ledger.evm import EvmNode, WriteFacts
from governance.ledger.simulation import (
    Simulation,
    Simulator,
    decode_log,
    from_call_trace,
    from_simulate_v1,
)
from tests.conftest import ACCOUNTS, ROOT
from tests.contracts import Deployed, transact_direct

ANSWERS = json.loads((ROOT / "tests/fixtures/node_answers/simulation.json").read_text())
OWNER = ACCOUNTS[0].address.lower()
A, B = ACCOUNTS[4].address.lower(), ACCOUNTS[5].address.lower()
MULTISEND = ANSWERS["addresses"]["multisend"]
TOKEN = ANSWERS["addresses"]["erc20"]


def flows(sim: Simulation) -> list[tuple[Any, ...]]:
    return [(m.kind, m.contract, m.sender, m.recipient, m.value, m.depth) for m in sim.movements]


def test_simulate_v1_lists_native_transfers_inside_a_contract() -> None:
    sim = from_simulate_v1(ANSWERS["multisend_ether"], OWNER, MULTISEND)
    assert sim.status == "ok" and sim.touched == ()  # no contract emitted a log
    assert flows(sim) == [
        ("native", None, OWNER, MULTISEND, 3 * 10**15, 0),
        ("native", None, MULTISEND, A, 10**15, 1),
        ("native", None, MULTISEND, B, 2 * 10**15, 1),
    ]


def test_simulate_v1_lists_token_transfers_made_by_a_contract() -> None:
    sim = from_simulate_v1(ANSWERS["multisend_tokens"], OWNER, MULTISEND)
    assert flows(sim) == [
        ("erc20", TOKEN, OWNER, A, 100, 1),
        ("erc20", TOKEN, OWNER, B, 200, 1),
    ]
    assert sim.touched == (TOKEN,)


def test_trace_call_gives_the_same_movements_with_exact_depth() -> None:
    traced = from_call_trace(ANSWERS["trace_multisend_ether"])
    simulated = from_simulate_v1(ANSWERS["multisend_ether"], OWNER, MULTISEND)
    assert flows(traced) == flows(simulated)


@pytest.mark.parametrize("key", ["revert", "trace_revert"])
def test_a_revert_carries_its_reason_and_no_effects(key: str) -> None:
    answer = ANSWERS[key]
    sim = from_simulate_v1(answer, OWNER, MULTISEND) if key == "revert" else from_call_trace(answer)
    assert (sim.status, sim.reason, sim.movements) == ("reverted", "ether transfer failed", ())


def test_unrelated_and_malformed_logs() -> None:
    assert decode_log({"address": TOKEN, "topics": ["0x" + "11" * 32], "data": "0x"}, 0) == []
    log = ANSWERS["multisend_tokens"][0]["calls"][0]["logs"][0]
    with pytest.raises(ValueError):
        decode_log({**log, "data": "0x1234"}, 0)


def simulate(node_url: str, mode: str, call: Any, sender: int = 0, value: int = 0) -> Simulation:
    write = WriteFacts(
        sender=ACCOUNTS[sender].address.lower(),
        to=call.address.lower(),
        nonce=None,
        chain_id=31337,
        value=value,
        data=bytes.fromhex(call._encode_transaction_data()[2:]),
        token=None,
        tx_hash=None,
    )

    async def run() -> Simulation:
        node = EvmNode(LedgerConfig(name="main", url=node_url, chain_id=31337))
        try:
            return await Simulator(node, mode, 5.0).simulate(write)
        finally:
            await node.close()

    return asyncio.run(run())


@pytest.mark.parametrize("mode", ["simulate_v1", "trace_call", "auto"])
def test_real_node_every_kind_of_movement_and_approval(chain: Deployed, mode: str) -> None:
    owner = ACCOUNTS[0].address.lower()
    multi, router = (c.address.lower() for c in (chain.erc1155, chain.router))
    ca, cb = ACCOUNTS[4].address, ACCOUNTS[5].address  # checksummed, as web3 wants them
    transact_direct(chain.w3, 0, chain.erc20.functions.approve(chain.router.address, 10**6))
    sim = simulate(chain.node.url, mode, chain.router.functions.route(chain.erc20.address, ca, 7))
    assert sim.mode in ("simulate_v1", "trace_call") and sim.status == "ok"
    token = chain.erc20.address.lower()
    assert [(m.sender, m.recipient, m.value) for m in sim.movements] == [
        (owner, router, 7),
        (router, A, 7),
    ]
    assert token in sim.touched and OWNER not in sim.touched
    batch = chain.erc1155.functions.safeBatchTransferFrom(
        ACCOUNTS[0].address, ca, [1, 2], [3, 4], b""
    )
    sim = simulate(chain.node.url, mode, batch)
    assert [(m.kind, m.contract, m.token_id, m.value) for m in sim.movements] == [
        ("erc1155", multi, 1, 3),
        ("erc1155", multi, 2, 4),
    ]
    sim = simulate(
        chain.node.url, mode, chain.erc721.functions.transferFrom(ACCOUNTS[0].address, ca, 2)
    )
    assert [(m.kind, m.token_id, m.recipient) for m in sim.movements] == [("erc721", 2, A)]
    sim = simulate(chain.node.url, mode, chain.erc721.functions.setApprovalForAll(cb, True))
    assert sim.movements == () and [
        (a.kind, a.owner, a.spender, a.approved) for a in sim.approvals
    ] == [("erc721_all", owner, B, True)]
    sim = simulate(chain.node.url, mode, chain.erc20.functions.approve(cb, 5))
    assert [(a.kind, a.amount) for a in sim.approvals] == [("erc20", 5)]
    sim = simulate(chain.node.url, mode, chain.erc20.functions.transferFrom(ca, cb, 5))
    assert (sim.status, sim.reason) == ("reverted", "allowance")
    # Nothing simulated was mined.
    assert chain.erc721.functions.ownerOf(2).call().lower() == owner


def test_off_simulates_nothing_and_asks_no_node(chain: Deployed) -> None:
    call = chain.router.functions.route(chain.erc20.address, ACCOUNTS[4].address, 1)
    sim = simulate("http://127.0.0.1:9", "off", call)
    assert (sim.mode, sim.status, sim.movements) == ("off", "off", ())

"""Mined movements read from a real anvil node: the trace shows every depth, a receipt the
top-level ether and the logs; a reverted transaction moved nothing."""

from __future__ import annotations

import asyncio
from typing import Any

from governance.config import LedgerConfig
from governance.ledger.evm import EvmNode
from governance.ledger.mined import RECEIPT, TRACE, ChainReader, MinedEffects, receipt_effects
from governance.ledger.simulation import Movement
from tests.conftest import ACCOUNTS
from tests.contracts import Deployed, send_direct, transact_direct

OWNER = ACCOUNTS[0].address.lower()
PAYEE = ACCOUNTS[4].address
FINNEY = 10**15


def read(chain: Deployed, tx_hash: str) -> tuple[MinedEffects, MinedEffects]:
    """(what ChainReader reads, what the receipt alone shows) for a mined transaction."""

    async def go() -> tuple[MinedEffects, MinedEffects]:
        node = EvmNode(LedgerConfig(name="main", url=chain.node.url, chain_id=31337))
        try:
            reader = ChainReader(node, "main")
            number = int(
                (await node.call(_rpc("eth_getTransactionByHash", tx_hash)))["result"][
                    "blockNumber"
                ],
                16,
            )
            [tx] = [t for t in await reader.transactions(number) if t.hash == tx_hash]
            receipt = (await node.call(_rpc("eth_getTransactionReceipt", tx_hash)))["result"]
            return await reader.effects(tx), receipt_effects(receipt, tx)
        finally:
            await node.close()

    return asyncio.run(go())


def _rpc(method: str, *params: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}


def _hash(receipt: Any) -> str:
    return "0x" + bytes(receipt["transactionHash"]).hex()


def test_internal_ether_is_in_the_trace_not_in_the_receipt(chain: Deployed) -> None:
    call = chain.multisend.functions.sendEther([PAYEE], [FINNEY])
    traced, receipt = read(chain, _hash(transact_direct(chain.w3, 0, call, value=FINNEY)))
    multisend = chain.multisend.address.lower()
    top = Movement("native", None, OWNER, multisend, FINNEY, None, 0)
    inner = Movement("native", None, multisend, PAYEE.lower(), FINNEY, None, 1)
    assert (traced.status, traced.source, traced.movements) == ("ok", TRACE, (top, inner))
    assert (receipt.status, receipt.source, receipt.movements) == ("ok", RECEIPT, (top,))


def test_token_transfers_are_in_both(chain: Deployed) -> None:
    call = chain.erc20.functions.transfer(PAYEE, 5 * 10**6)
    traced, receipt = read(chain, _hash(transact_direct(chain.w3, 0, call)))
    moved = (chain.erc20.address.lower(), OWNER, PAYEE.lower(), 5 * 10**6)
    for seen in (traced, receipt):
        [m] = seen.movements
        assert (m.kind, m.contract, m.sender, m.recipient, m.value) == ("erc20", *moved)


def test_a_reverted_transaction_moved_nothing(chain: Deployed) -> None:
    data = chain.multisend.functions.sendEther([PAYEE], [FINNEY])._encode_transaction_data()
    tx = {"to": chain.multisend.address, "data": data, "value": 5}  # 5 wei, not a finney
    mined = send_direct(chain.w3, 0, tx, check=False)
    assert mined["status"] == 0
    traced, receipt = read(chain, _hash(mined))
    assert (traced.status, traced.movements) == ("reverted", ())
    assert (receipt.status, receipt.movements) == ("reverted", ())

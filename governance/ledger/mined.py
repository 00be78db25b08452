"""What was mined: the transactions of a block and the value movements a mined transaction
made, read from the node for reconciliation (docs/audit.md, "Reconciliation").

Movements come from `debug_traceTransaction` with the `callTracer` and its logs (every depth,
internal ether transfers included); a node that does not trace gives the receipt instead: its
Transfer-style logs and the top-level ether value, which is all a receipt can show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from governance.domain.ports import LedgerNode
from governance.errors import LedgerUnavailable
from governance.ledger.simulation import Approval, Movement, decode_log, from_call_trace

TRACE = "trace"  # every movement, at its depth
RECEIPT = "receipt"  # logs and the top-level ether value only


@dataclass(frozen=True)
class MinedTx:
    hash: str
    block: int
    sender: str
    to: str | None
    nonce: int
    value: int


@dataclass(frozen=True)
class MinedEffects:
    status: str  # ok | reverted
    movements: tuple[Movement, ...]
    source: str  # trace | receipt


class ChainReader:
    """Reads blocks, receipts and traces of one ledger's node."""

    def __init__(self, node: LedgerNode, name: str) -> None:
        self.node = node
        self.name = name
        self._traces = True  # until the node refuses debug_traceTransaction once

    async def head(self) -> int:
        return int(await self._call("eth_blockNumber", []), 16)

    async def transactions(self, number: int) -> list[MinedTx]:
        block = await self._call("eth_getBlockByNumber", [hex(number), True])
        if block is None:
            raise LedgerUnavailable(f"ledger node {self.name} has no block {number}")
        return [_mined_tx(tx, number) for tx in block.get("transactions") or []]

    async def effects(self, tx: MinedTx) -> MinedEffects:
        if self._traces:
            config = {"tracer": "callTracer", "tracerConfig": {"withLog": True}}
            doc = await self.node.call(_payload("debug_traceTransaction", [tx.hash, config]))
            if isinstance(doc, dict) and "result" in doc:
                sim = from_call_trace(doc["result"])
                status = "reverted" if sim.status == "reverted" else "ok"
                return MinedEffects(status, sim.movements, TRACE)
            self._traces = False  # the node does not trace: receipts from now on
        receipt = await self._call("eth_getTransactionReceipt", [tx.hash])
        if receipt is None:
            raise LedgerUnavailable(f"ledger node {self.name} has no receipt for {tx.hash}")
        return receipt_effects(receipt, tx)

    async def _call(self, method: str, params: list[Any]) -> Any:
        doc = await self.node.call(_payload(method, params))
        if not isinstance(doc, dict) or "result" not in doc:
            error = doc.get("error") if isinstance(doc, dict) else doc
            raise LedgerUnavailable(f"ledger node {self.name} refused {method}: {error}")
        return doc["result"]


def receipt_effects(receipt: dict[str, Any], tx: MinedTx) -> MinedEffects:
    """Movements a receipt shows: the ether the transaction itself carried, then its logs."""
    if int(receipt.get("status") or "0x0", 16) != 1:
        return MinedEffects("reverted", (), RECEIPT)
    movements: list[Movement] = []
    if tx.value and tx.to is not None:
        movements.append(Movement("native", None, tx.sender, tx.to, tx.value, None, 0))
    for log in receipt.get("logs") or []:
        movements.extend(m for m in decode_log(log, 0) if not isinstance(m, Approval))
    return MinedEffects("ok", tuple(movements), RECEIPT)


def _mined_tx(tx: dict[str, Any], number: int) -> MinedTx:
    to = tx.get("to")
    return MinedTx(
        hash=str(tx["hash"]).lower(),
        block=number,
        sender=str(tx["from"]).lower(),
        to=None if to is None else str(to).lower(),
        nonce=int(tx["nonce"], 16),
        value=int(tx.get("value") or "0x0", 16),
    )


def _payload(method: str, params: list[Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}

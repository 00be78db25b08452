"""Writes whose forward had no answer (a timeout, a dropped connection): the node may or may
not have the transaction, so its amount keeps counting against the subject until the node,
asked for the transaction hash, says twice in a row that it does not know it. A node that
knows it, or that never answers, leaves the amount counted (the safe side)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from governance.domain.ports import LedgerNode
from governance.errors import GovernanceError
from governance.tasks import Background

log = logging.getLogger(__name__)

# Seconds before each question to the node; two "absent" answers in a row settle it.
ASK_AFTER_S = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0)

# Writes awaiting an answer at once; beyond this (a node down for long under heavy writing)
# further unknown outcomes simply keep counting, so memory stays bounded.
MAX_PENDING = 10_000

Release = Callable[[], Awaitable[None]]


class Settler:
    def __init__(
        self, nodes: Mapping[str, LedgerNode], ask_after_s: tuple[float, ...] = ASK_AFTER_S
    ) -> None:
        self.nodes = nodes
        self.ask_after_s = ask_after_s
        self._tasks = Background(MAX_PENDING)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    def settle(self, ledger: str, decision_id: str, tx_hash: str | None, release: Release) -> None:
        if self._tasks.full:
            log.warning(
                "decision %s: %d unknown outcomes pending; its amount keeps counting",
                decision_id,
                len(self._tasks),
            )
            return
        if tx_hash is None:  # a node-signed write: nothing to ask for
            log.warning(
                "decision %s: write outcome unknown; its amount keeps counting", decision_id
            )
            return
        node = self.nodes[ledger]
        self._tasks.start(lambda: self._settle(node, decision_id, tx_hash, release))

    async def _settle(
        self, node: LedgerNode, decision_id: str, tx_hash: str, release: Release
    ) -> None:
        absent = 0
        for delay in self.ask_after_s:
            await asyncio.sleep(delay)
            known = await _knows(node, tx_hash)
            if known is True:
                log.info("decision %s: the node has %s; its amount counts", decision_id, tx_hash)
                return
            absent = absent + 1 if known is False else 0
            if absent == 2:
                log.info(
                    "decision %s: the node never got %s; amount released", decision_id, tx_hash
                )
                await release()
                return
        log.warning(
            "decision %s: the node never said whether it has %s; its amount keeps counting",
            decision_id,
            tx_hash,
        )

    async def close(self) -> None:
        """Pending questions end unanswered: their amounts keep counting."""
        await self._tasks.stop()


async def _knows(node: LedgerNode, tx_hash: str) -> bool | None:
    """True / False: the node has / does not have the transaction; None: no answer."""
    request = {"jsonrpc": "2.0", "id": 1, "method": "eth_getTransactionByHash", "params": [tx_hash]}
    try:
        doc = await node.call(request)
    except GovernanceError:
        return None
    if not isinstance(doc, dict) or "result" not in doc:
        return None
    return doc["result"] is not None

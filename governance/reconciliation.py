"""Reconciliation of the decision log with the ledger (docs/audit.md, "Reconciliation"): reads
the mined blocks of a ledger, matches each transaction with the allow decision that let it
through, compares the mined effects with the simulated ones, and reports the transactions of
governed addresses that no decision explains. Used by the background loop of `governance
serve` and by `governance audit reconcile`. The comparison itself is governance/audit/reconcile.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from governance.audit.reconcile import (
    BYPASS,
    Difference,
    Effect,
    Finding,
    Mined,
    bypass_finding,
    compare,
    differ_finding,
    expected_of,
    followup_record,
    governed_addresses,
)
from governance.audit.reconcile_store import FindingQuery, ReconcileStore
from governance.audit.views import EVERYTHING, TIME_FORMAT
from governance.domain.ports import LedgerNode
from governance.domain.records import DecisionRecord, new_ulid
from governance.domain.reference import Reference
from governance.ledger.mined import TRACE, ChainReader, MinedTx
from governance.ledger.simulation import Movement
from governance.metrics import Metrics
from governance.tasks import Periodic

log = logging.getLogger(__name__)
Append = Callable[[DecisionRecord], Awaitable[None]]
Advance = Callable[[int], None]
_CURSOR_EVERY = 100  # blocks between two cursor writes in a long run


@dataclass
class Report:
    ledger: str
    from_block: int
    to_block: int
    blocks: int = 0
    transactions: int = 0
    compared: int = 0
    new_findings: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def unexplained(self) -> bool:
        return bool(self.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "ledger": self.ledger,
            "from_block": self.from_block,
            "to_block": self.to_block,
            "blocks": self.blocks,
            "transactions": self.transactions,
            "compared": self.compared,
            "new_findings": self.new_findings,
            "findings": [f.to_json() for f in self.findings],
        }


class Reconciler:
    def __init__(
        self,
        store: ReconcileStore,
        nodes: Mapping[str, LedgerNode],
        reference: Callable[[], Reference],
        append: Append,
        metrics: Metrics,
        start_block: int = 0,
    ) -> None:
        self.store = store
        self.readers = {name: ChainReader(node, name) for name, node in nodes.items()}
        self.reference = reference
        self.append = append
        self.metrics = metrics
        self.start_block = start_block
        self._lock = asyncio.Lock()  # one run at a time in this process

    async def run(
        self,
        ledger: str,
        from_block: int | None = None,
        to_block: int | None = None,
        advance: Advance | None = None,
    ) -> Report:
        """Scans `from_block`..`to_block` (default: the blocks after the last one scanned, up
        to the head) and reports the findings of the range (default: since start_block),
        including those stored by earlier runs. Raises LedgerUnavailable."""
        reader = self.readers[ledger]
        async with self._lock:
            _, scanned = await asyncio.to_thread(self.store.cursor, ledger)
            first, last = await self.plan(ledger, from_block, to_block)
            # After reading the head: every write mined up to it was recorded before it was
            # forwarded, so it is indexed now and never mistaken for a bypass.
            await asyncio.to_thread(self.store.index_writes, ledger)
            report = Report(ledger, self.start_block if from_block is None else from_block, last)
            governed = governed_addresses(self.reference().entities)
            for number in range(first, last + 1):
                for tx in await reader.transactions(number):
                    await self._transaction(reader, ledger, tx, governed, report)
                report.blocks += 1
                if advance is not None:
                    advance(1)
                contiguous = first <= scanned + 1 and number > scanned
                if contiguous and (number == last or number % _CURSOR_EVERY == 0):
                    await asyncio.to_thread(self.store.set_block, ledger, number)
                    self.metrics.reconciled_block.labels(ledger).set(number)
            report.findings = await self._findings(ledger, report.from_block, last)
        return report

    async def plan(
        self, ledger: str, from_block: int | None = None, to_block: int | None = None
    ) -> tuple[int, int]:
        """The blocks `run` scans with these bounds: (first, last); empty when first > last."""
        _, scanned = await asyncio.to_thread(self.store.cursor, ledger)
        head = await self.readers[ledger].head()
        last = head if to_block is None else min(to_block, head)
        first = max(scanned + 1, self.start_block) if from_block is None else from_block
        return first, last

    async def _transaction(
        self,
        reader: ChainReader,
        ledger: str,
        tx: MinedTx,
        governed: Mapping[str, tuple[str, str | None]],
        report: Report,
    ) -> None:
        report.transactions += 1
        match = await asyncio.to_thread(
            self.store.match, ledger, tx.hash, tx.sender, tx.nonce, tx.to
        )
        if match is None:
            owner = governed.get(tx.sender)
            if owner is not None:
                found = bypass_finding(
                    ledger, tx.hash, tx.block, tx.sender, tx.to, tx.nonce, tx.value, owner, _now()
                )
                await self._bypass(found, report)
            return
        if match.reconciled:
            return
        decision = await asyncio.to_thread(self.store.decision, match.decision_id)
        expected = None if decision is None else expected_of(decision)
        if decision is not None and expected is not None and expected.effects is not None:
            effects = await reader.effects(tx)
            mined = Mined(
                tx.hash,
                tx.block,
                tx.sender,
                tx.to,
                tx.nonce,
                effects.status,
                effects.source,
                tuple(_effect(m) for m in effects.movements),
            )
            report.compared += 1
            diff = compare(expected, mined.effects, internal_visible=effects.source == TRACE)
            if diff:
                await self._differ(decision, mined, diff, report)
        await asyncio.to_thread(self.store.mark_reconciled, match.decision_id, tx.hash, tx.block)

    async def _bypass(self, found: Finding, report: Report) -> None:
        if not await asyncio.to_thread(self.store.add_finding, found):
            return  # reported by an earlier run
        report.new_findings += 1
        self.metrics.reconciliation_findings.labels(found.ledger, BYPASS).inc()
        log.warning(
            "ledger %s: transaction %s (block %d) from %s of %s has no allow decision",
            found.ledger,
            found.tx_hash,
            found.block,
            found.sender,
            found.org,
        )

    async def _differ(
        self, decision: dict[str, Any], mined: Mined, diff: Difference, report: Report
    ) -> None:
        now, record_id = _now(), new_ulid()
        found = differ_finding(decision, mined, diff, record_id, now)
        if not await asyncio.to_thread(self.store.add_finding, found):
            # Found by an earlier run; its follow-up record is appended unless that run was
            # stopped between the two steps.
            stored = await asyncio.to_thread(self.store.followup_id, found)
            if stored is None or await asyncio.to_thread(self.store.decision, stored) is not None:
                return
            record_id = stored
        try:
            await self.append(followup_record(decision, mined, diff, record_id, now))
        except BaseException:
            await asyncio.to_thread(self.store.remove_finding, found)  # retried next run
            raise
        report.new_findings += 1
        self.metrics.reconciliation_findings.labels(found.ledger, found.finding).inc()
        log.warning(
            "ledger %s: transaction %s (block %d) of decision %s did not do what was simulated: "
            "%d simulated movements missing, %d unexpected; follow-up record %s",
            found.ledger,
            mined.tx_hash,
            mined.block,
            decision["id"],
            len(diff.missing),
            len(diff.unexpected),
            record_id,
        )

    async def _findings(self, ledger: str, first: int, last: int) -> list[Finding]:
        query = FindingQuery(ledger=ledger, from_block=first, to_block=last)
        found: list[Finding] = []
        after = 0
        while True:
            page = await asyncio.to_thread(self.store.findings, query, EVERYTHING, after)
            found.extend(f for _, f in page)
            if len(page) < 1000:
                return found
            after = page[-1][0]


class ReconcileLoop:
    """Reconciles every ledger every `interval_s` seconds in `governance serve`."""

    def __init__(self, reconciler: Reconciler, ledgers: Sequence[str], interval_s: float) -> None:
        self.reconciler = reconciler
        self.ledgers = tuple(ledgers)
        self.interval_s = interval_s
        self.last_error: str | None = None
        self.periodic = Periodic(interval_s, self._round)

    def start(self) -> None:
        if self.interval_s > 0:  # 0 turns the loop off
            self.periodic.start()

    async def stop(self) -> None:
        await self.periodic.stop()

    async def _round(self) -> None:
        for ledger in self.ledgers:
            try:
                await self.reconciler.run(ledger)
                self.last_error = None
            except Exception as exc:  # node or database down: try again next round
                # /status shows the kind of failure; the details stay in the server log.
                self.last_error = f"ledger {ledger}: {type(exc).__name__}"
                log.error("reconciliation of ledger %s failed: %r", ledger, exc)


def _effect(m: Movement) -> Effect:
    return Effect(m.kind, m.contract, m.sender, m.recipient, m.value, m.token_id)


def _now() -> str:
    return datetime.now(UTC).strftime(TIME_FORMAT)

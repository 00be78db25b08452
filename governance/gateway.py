"""The hot path (docs/design.md section 2) for one JSON-RPC element of an authenticated call:
classify + decode, enrich, decide, record, then forward or deny."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from governance.audit.masking import mask_document
from governance.config import LedgerConfig, Settings
from governance.domain.models import Decision, Entity, Subject
from governance.domain.periods import parse_utc
from governance.domain.ports import (
    DecisionLogPort,
    ExportsPort,
    LedgerNode,
    PolicyEngine,
    QuotaPort,
)
from governance.domain.records import DecisionRecord, Export, new_ulid
from governance.domain.reference import Reference
from governance.domain.snapshot import PolicySnapshot
from governance.errors import DENIED, GovernanceError, LedgerOutcomeUnknown, LogUnavailable
from governance.export_volume import ExportCounter, Tally
from governance.ledger.evm import inspect_call
from governance.ledger.rpc import RpcRequest, error_response
from governance.ledger.settle import Settler
from governance.ledger.simulation import OFF, Simulation, Simulator
from governance.metrics import Metrics
from governance.policy.effects import outgoing_usd
from governance.policy.inputs import Envelope, build_input, funds_owner
from governance.read_filter import ExportsHook, FilterOutcome, ReadFilter
from governance.tasks import Background

logger = logging.getLogger(__name__)
# Refused writes whose record is being settled at once; beyond it their amounts keep counting.
MAX_SETTLING = 10_000


@dataclass(frozen=True)
class Call:
    """One element as the HTTP layer hands it over."""

    subject: Subject
    request: RpcRequest
    ledger: LedgerConfig
    travel_rule: dict[str, Any] | None
    travel_rule_errors: tuple[str, ...]


@dataclass(frozen=True)
class Admission:
    """A call that was decided, allowed and (for writes) recorded: ready to forward."""

    envelope: Envelope
    snapshot: PolicySnapshot
    policy_input: dict[str, Any]
    decision: Decision
    tally: Tally | None = None  # what it would export (governance/export_volume.py)

    def parts(self) -> tuple[Envelope, PolicySnapshot, dict[str, Any], Decision]:
        return self.envelope, self.snapshot, self.policy_input, self.decision


@dataclass(frozen=True)
class Answer:
    decision_id: str
    response: dict[str, Any]
    status: int = 200  # the HTTP status this element would have alone


class Gateway:
    def __init__(
        self,
        settings: Settings,
        engine: PolicyEngine,
        decision_log: DecisionLogPort,
        quota: QuotaPort,
        nodes: Mapping[str, LedgerNode],
        metrics: Metrics,
        exports: ExportsPort,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        # The time decisions are taken at (received_at, the days and years of the limits).
        self.clock = clock or _utc_now
        self.engine = engine
        self.decision_log = decision_log
        self.quota = quota
        self.nodes = nodes
        self.metrics = metrics
        self.read_filter = ReadFilter(engine)
        self.exports = ExportCounter(exports)
        self.settler = Settler(nodes)
        self._settling = Background(MAX_SETTLING)  # writes refused for want of a commit
        self.simulators = {
            x.name: Simulator(nodes[x.name], x.simulation, x.simulation_timeout_s)
            for x in settings.ledgers
        }

    async def probe_simulation(self) -> None:
        """Resolves `simulation = "auto"` for every ledger whose node answers now; a node that
        is down is probed again at its first write."""
        for name, simulator in self.simulators.items():
            try:
                mode = await simulator.probe()
            except GovernanceError:
                continue
            if mode == "off":
                logger.warning("ledger %s: the node simulates nothing; writes go unsimulated", name)

    async def handle(self, call: Call) -> Answer:
        admitted = await self.admit(call)  # decode, enrich, decide, record
        if isinstance(admitted, Answer):
            return admitted  # denied or refused
        if admitted.envelope.facts.kind == "read":
            return await self._read(admitted)  # forward, then filter for the reader
        return await self._forward(admitted.envelope)

    async def admit(self, call: Call, *, record_reads: bool = False) -> Admission | Answer:
        """Everything before forwarding. Writes, admin calls and denials are recorded here;
        an allowed read is recorded once its answer is filtered (or here, if asked)."""
        envelope = self._envelope(call)  # classify + decode (ledger adapter)
        snapshot = self.engine.snapshot()
        self.metrics.requests.labels(call.ledger.name, envelope.facts.kind).inc()
        try:
            # A log that cannot take the record refuses first: no simulation, no quota wait.
            self.decision_log.ensure_available(durable=envelope.facts.kind != "read")
            simulation = await self._simulate(envelope)  # the write's effects, at the pending state
            person = self._person(envelope, snapshot.reference)
            async with self._limits_guard(person):  # one person's quota at a time
                aggregates = await self._aggregates(envelope, snapshot.reference, person)
                policy_input = build_input(envelope, snapshot.reference, aggregates, simulation)
                tally = await self.exports.before(policy_input, snapshot.reference)  # the count
                decision = await self._decide(snapshot, policy_input)  # fail closed
                if record_reads or envelope.facts.kind != "read" or not decision.allow:
                    exports = (
                        ()
                        if envelope.facts.kind == "read"
                        else self._carried(tally, decision, policy_input, snapshot)
                    )
                    await self._record(envelope, snapshot, policy_input, decision, exports=exports)
        except GovernanceError as exc:
            return self._refuse(envelope, exc)
        if not decision.allow:
            return Answer(envelope.decision_id, _denial(envelope, decision))
        return Admission(envelope, snapshot, policy_input, decision, tally)

    async def _read(self, admitted: Admission) -> Answer:
        """Forward, filter the answer for this reader, then record what was withheld and whose
        data went abroad (durably before the answer, when someone's data went for the first
        time this year: what is not counted does not leave)."""
        envelope, snapshot, policy_input, decision = admitted.parts()
        answer = await self._forward(envelope)
        result = answer.response.get("result")
        try:
            if "result" in answer.response:
                filtered = await self.read_filter.apply(
                    snapshot,
                    policy_input,
                    decision,
                    envelope.request.method,
                    result,
                    self._items_hook(admitted),
                )
                answer, decision = self._filtered(envelope, answer, filtered, decision)
                exports = self._carried(
                    admitted.tally, decision, policy_input, snapshot, filtered.delivered
                )
                await self._record(
                    envelope, snapshot, policy_input, decision, filtered.summary, exports
                )
            else:
                await self._record(envelope, snapshot, policy_input, decision)
        except GovernanceError as exc:
            return self._refuse(envelope, exc)
        return answer

    async def filter_push(self, admitted: Admission, result: Any) -> FilterOutcome:
        """A subscription's push, filtered for its reader under the subscription's decision;
        the CN individuals it sends abroad for the first time are recorded before it is sent
        (a count or a record that fails raises: the push is dropped)."""
        envelope, snapshot, policy_input, decision = admitted.parts()
        filtered = await self.read_filter.apply(
            snapshot, policy_input, decision, "eth_subscription", result, self._items_hook(admitted)
        )
        if filtered.denial is None:
            exports = self._carried(
                admitted.tally, decision, policy_input, snapshot, filtered.delivered
            )
            await self.exports.record(exports, envelope.decision_id)
        return filtered

    def _items_hook(self, admitted: Admission) -> ExportsHook | None:
        tally = admitted.tally
        if tally is None:
            return None
        reference = admitted.snapshot.reference

        async def hook(parties: list[Entity]) -> dict[str, Any] | None:
            return await self.exports.for_items(tally, admitted.policy_input, parties, reference)

        return hook

    def _carried(
        self,
        tally: Tally | None,
        decision: Decision,
        policy_input: dict[str, Any],
        snapshot: PolicySnapshot,
        delivered: list[Any] | None = None,
    ) -> tuple[Export, ...]:
        return self.exports.carried(
            tally, decision, policy_input, delivered or [], snapshot.reference
        )

    def _filtered(
        self, envelope: Envelope, answer: Answer, filtered: FilterOutcome, decision: Decision
    ) -> tuple[Answer, Decision]:
        if filtered.denial is not None:
            return Answer(envelope.decision_id, _denial(envelope, filtered.denial)), filtered.denial
        response = {**answer.response, "result": filtered.result}
        return Answer(envelope.decision_id, response, answer.status), decision

    def _envelope(self, call: Call) -> Envelope:
        return Envelope(
            decision_id=new_ulid(),
            received_at=_rfc3339(self.clock()),
            started=time.perf_counter(),
            ledger=call.ledger,
            request=call.request,
            subject=call.subject,
            facts=inspect_call(call.request),
            travel_rule=call.travel_rule,
            travel_rule_errors=call.travel_rule_errors,
        )

    @staticmethod
    def _person(envelope: Envelope, reference: Reference) -> str | None:
        """Whose limits a write counts against: the legal person owning the sending address
        (never the token's subject: two logins of one person share its quotas)."""
        owner = funds_owner(envelope, reference)
        return None if owner is None else reference.person(owner)

    def _limits_guard(self, person: str | None) -> AbstractAsyncContextManager[Any]:
        if person is not None:
            return self.quota.person_guard(person)
        return nullcontext()

    async def _simulate(self, envelope: Envelope) -> Simulation | None:
        if envelope.facts.kind != "write":
            return None
        if envelope.facts.write is None:
            return OFF  # undecodable: refused on decode_error, nothing to simulate
        started = time.perf_counter()
        try:
            return await self.simulators[envelope.ledger.name].simulate(envelope.facts.write)
        finally:
            self.metrics.simulation_latency.labels(envelope.ledger.name).observe(
                time.perf_counter() - started
            )

    async def _aggregates(
        self, envelope: Envelope, reference: Reference, person: str | None
    ) -> dict[str, Any] | None:
        if person is None:
            return None  # not a write, or undecodable (refused): nothing is spent
        moment = parse_utc(envelope.received_at)
        return await self.quota.aggregates(person, moment, reference.time_zones)

    async def _decide(self, snapshot: PolicySnapshot, policy_input: dict[str, Any]) -> Decision:
        started = time.perf_counter()
        decision = await self.engine.decide(snapshot, policy_input)
        self.metrics.engine_latency.observe(time.perf_counter() - started)
        self.metrics.decisions.labels(decision.outcome).inc()
        for reason in decision.reasons:
            self.metrics.reasons.labels(reason.code, reason.jurisdiction).inc()
        return decision

    async def _record(
        self,
        envelope: Envelope,
        snapshot: PolicySnapshot,
        policy_input: dict[str, Any],
        decision: Decision,
        filtering: dict[str, Any] | None = None,
        exports: tuple[Export, ...] = (),
    ) -> None:
        stored_input, masked = mask_document(policy_input, decision.mask)
        tx = policy_input.get("tx") or {}
        record = DecisionRecord(
            id=envelope.decision_id,
            time=envelope.received_at,
            ledger=envelope.ledger.name,
            method=envelope.request.method,
            kind=envelope.facts.kind,
            subject=envelope.subject.to_input(),
            input=stored_input,
            result=decision.to_json(),
            outcome=decision.outcome,
            revision=snapshot.revision,
            latency_us=int((time.perf_counter() - envelope.started) * 1_000_000),
            masked=masked,
            amount_usd=_spent_usd(policy_input, tx),
            cross_border=_spend_cross_border(policy_input, tx),
            filtering=filtering,
            exports=exports,
        )
        # Anything that can change the ledger is committed before it is forwarded; a read that
        # sends someone's data abroad for the first time, before its answer is returned.
        durable = envelope.facts.kind != "read" or bool(exports)
        try:
            await self.decision_log.record(record, durable=durable)
        except LogUnavailable:
            if envelope.facts.kind == "write" and decision.allow:
                self._settle_unforwarded(envelope.decision_id)
            raise
        self.exports.recorded(exports)

    def _settle_unforwarded(self, decision_id: str) -> None:
        """An allowed write refused -32006 is never forwarded, but its record (and what it
        spends) may have been stored: its COMMIT lost on the way back, or come late. Once the
        log knows, the amount is released; until then it counts (the safe side)."""
        if not self._settling.start(lambda: self._release_if_stored(decision_id)):
            logger.error(
                "decision %s: refused unrecorded; its amount may keep counting", decision_id
            )

    async def close(self) -> None:
        """Writes still being settled end unsettled (their amounts keep counting), and so do
        the node's unknown outcomes."""
        await self._settling.stop()
        await self.settler.close()

    async def _release_if_stored(self, decision_id: str) -> None:
        try:
            if not await self.decision_log.stored_after_refusal(decision_id):
                return
            await self.quota.release(decision_id)
        except GovernanceError as exc:
            logger.error(
                "decision %s: refused -32006 and not forwarded, but its record could not be "
                "settled (%s): its amount may keep counting until an operator releases it",
                decision_id,
                exc,
            )
            return
        logger.warning(
            "decision %s: stored as allowed, but its caller was refused -32006 and the write "
            "was not forwarded: its amount is released",
            decision_id,
        )

    async def _forward(self, envelope: Envelope) -> Answer:
        node = self.nodes[envelope.ledger.name]
        started = time.perf_counter()
        # Forwarded under an id of ours: a node need not take every id JSON-RPC allows (a
        # fractional or 70-bit one), and a notification's answer (discarded: the client gets
        # 204) must still say whether the node refused, which decides the quota.
        payload = {**envelope.request.raw, "id": envelope.decision_id}
        try:
            response = await node.call(payload)
        except LedgerOutcomeUnknown as exc:
            # Released only once the node is known not to have the transaction.
            write = envelope.facts.write
            if envelope.facts.kind == "write" and write is not None:
                release = functools.partial(self._release, envelope)
                self.settler.settle(
                    envelope.ledger.name, envelope.decision_id, write.tx_hash, release
                )
            return self._refuse(envelope, exc)
        except GovernanceError as exc:
            await self._release(envelope)  # never reached the node
            return self._refuse(envelope, exc)
        finally:
            self.metrics.upstream_latency.labels(envelope.ledger.name).observe(
                time.perf_counter() - started
            )
        if "error" in response:
            await self._release(envelope)  # the node refused: the quota was not spent
        return Answer(envelope.decision_id, {**response, "id": envelope.request.id})

    async def _release(self, envelope: Envelope) -> None:
        if envelope.facts.kind != "write":
            return
        try:
            await self.quota.release(envelope.decision_id)
        except GovernanceError as exc:
            # The node's answer stands; the amount keeps counting (the safe side) until an
            # operator releases it.
            logger.error("decision %s: quota not released: %s", envelope.decision_id, exc)

    def _refuse(self, envelope: Envelope, exc: GovernanceError) -> Answer:
        self.metrics.errors.labels(str(exc.code)).inc()
        return Answer(
            envelope.decision_id, error_response(envelope.request.id, exc), exc.http_status
        )


def _denial(envelope: Envelope, decision: Decision) -> dict[str, Any]:
    first = decision.reasons[0].message if decision.reasons else "denied by policy"
    return {
        "jsonrpc": "2.0",
        "id": envelope.request.id,
        "error": {
            "code": DENIED,
            "message": f"denied by policy: {first}",
            "data": {
                "decision_id": envelope.decision_id,
                "reasons": [r.to_json() for r in decision.reasons],
            },
        },
    }


def _spent_usd(policy_input: dict[str, Any], tx: dict[str, Any]) -> float:
    """What limits and quotas count: the simulated effects leaving the caller's org, else the
    calldata's amount (a write that was not simulated)."""
    outgoing = outgoing_usd(policy_input)
    return outgoing if outgoing is not None else float(tx.get("amount_usd") or 0.0)


def _spend_cross_border(policy_input: dict[str, Any], tx: dict[str, Any]) -> bool:
    """Cross-border for the caller, or for the owner of the funds (an institution moving a
    customer's funds abroad spends the customer's FX quota even when it is abroad itself)."""
    if tx.get("cross_border", False):
        return True
    parties = policy_input.get("parties") or {}
    home = (parties.get("sender") or {}).get("jurisdiction")
    return home is not None and (parties.get("recipient") or {}).get("jurisdiction") != home


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _rfc3339(moment: datetime) -> str:
    """UTC with microseconds and a Z, e.g. 2026-11-26T14:00:00.000000Z (isoformat is several
    times cheaper than strftime on the hot path)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"

"""Ports: what the gateway needs from a policy engine, a decision log, a quota store and a
ledger node. Adapters live in governance/policy, governance/audit and governance/ledger, and
are chosen by explicit factories (governance.policy.factory, governance.audit.quota,
governance.audit.factory, governance.api.app)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol

from governance.domain.models import Decision
from governance.domain.records import DecisionRecord, Export, ExportVolume
from governance.domain.snapshot import PolicySnapshot


class PolicyEngine(Protocol):
    """Evaluates `data.governance.main.decision` for one input document against a snapshot
    (revision + reference data) taken before the input was built."""

    def snapshot(self) -> PolicySnapshot: ...

    def swap(self, snapshot: PolicySnapshot) -> None: ...

    def compile(self, source: Any) -> PolicySnapshot: ...

    async def decide(self, snapshot: PolicySnapshot, policy_input: dict[str, Any]) -> Decision: ...

    async def ready(self) -> bool: ...

    async def close(self) -> None: ...


class DecisionLogPort(Protocol):
    """Records decisions."""

    async def record(self, record: DecisionRecord, *, durable: bool) -> None:
        """With durable=True returns only once the record is committed (with what an allowed
        write spends, so the quota store counts it from then on)."""
        ...

    def ensure_available(self, *, durable: bool) -> None:
        """Raises LogUnavailable when such a record would be refused now."""
        ...

    async def stored_after_refusal(self, record_id: str) -> bool:
        """Whether a durable record whose `record` raised was stored after all (its COMMIT
        reached the database, or came late); raises LogUnavailable while that is unknown."""
        ...


class QuotaPort(Protocol):
    """Keeps each legal person's spending within its limits: what its allowed writes add up
    to, and one decision per person at a time between reading that and recording the
    decision."""

    def person_guard(self, person: str) -> AbstractAsyncContextManager[None]:
        """Held from reading a person's aggregates until its decision is recorded."""
        ...

    async def aggregates(
        self, person: str, moment: datetime, zones: Mapping[str, str]
    ) -> dict[str, Any]:
        """The person's figures at `moment` (docs/policy-input.md, `aggregates`); `zones`
        maps each jurisdiction to the IANA time zone its days and years are cut in."""
        ...

    async def release(self, decision_id: str) -> None:
        """The node refused an allowed write: its amount no longer counts."""
        ...


class ExportsPort(Protocol):
    """Counts, per organisation and year, the individuals whose personal data left China
    (governance/audit/exports.py); rows are written with the decision records."""

    def unrecorded(self, org: str, year: str, people: Sequence[str]) -> list[str]:
        """The people not known (in memory) to be recorded already."""
        ...

    def remember(self, exports: Sequence[Export]) -> None:
        """Called once the exports are committed."""
        ...

    async def count(self, org: str, year: str, people: Sequence[str]) -> ExportVolume:
        """Raises LogUnavailable when the count cannot be read."""
        ...

    async def record(self, exports: Sequence[Export], decision_id: str) -> None:
        """Records exports no new decision record carries (a subscription's pushes)."""
        ...


class LedgerNode(Protocol):
    """Forwards one JSON-RPC element to the ledger node and returns its answer."""

    async def call(self, payload: dict[str, Any]) -> Any: ...

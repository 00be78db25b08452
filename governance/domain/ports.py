"""Ports: what the gateway needs from a policy engine and from a decision store. Adapters live
in governance/policy and governance/audit and are chosen by explicit factories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from governance.domain.models import Decision
from governance.domain.records import DecisionRecord


class PolicyEngine(Protocol):
    """Evaluates `data.governance.main.decision` for one input document."""

    @property
    def revision(self) -> str: ...

    async def decide(self, policy_input: dict[str, Any]) -> Decision: ...

    async def close(self) -> None: ...


class DecisionStore(Protocol):
    """Durable, append-only decision log. `append` returns once the records are committed."""

    async def append(self, records: Sequence[DecisionRecord]) -> list[int]: ...

    async def aggregates(self, subject: str, org: str, day: str, year: str) -> dict[str, float]: ...

    async def writable(self) -> bool: ...

    async def close(self) -> None: ...

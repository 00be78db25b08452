"""Ports: what the gateway needs from a policy engine. Adapters live in governance/policy and
are chosen by an explicit factory (governance.policy.factory)."""

from __future__ import annotations

from typing import Any, Protocol

from governance.domain.models import Decision
from governance.policy.engine import PolicySnapshot


class PolicyEngine(Protocol):
    """Evaluates `data.governance.main.decision` for one input document against a snapshot
    (revision + reference data) taken before the input was built."""

    def snapshot(self) -> PolicySnapshot: ...

    def swap(self, snapshot: PolicySnapshot) -> None: ...

    def compile(self, source: Any) -> PolicySnapshot: ...

    async def decide(self, snapshot: PolicySnapshot, policy_input: dict[str, Any]) -> Decision: ...

    async def ready(self) -> bool: ...

    async def close(self) -> None: ...

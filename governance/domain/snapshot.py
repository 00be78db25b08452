"""One loaded policy revision, as the gateway holds it while it decides a request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from governance.domain.models import Decision
from governance.domain.reference import Reference


class RegoEvaluator(Protocol):
    """A compiled policy set that evaluates one rule for one JSON input."""

    def eval_json(self, rule: str, input_json: str) -> Any: ...


@dataclass(frozen=True)
class PolicySnapshot:
    """One loaded revision: reference data for enrichment and the evaluator that decides.
    Swapped as one reference, so a request is decided entirely by one revision."""

    revision: str
    reference: Reference
    evaluator: RegoEvaluator | None  # None for the remote engine
    read_cache: dict[bytes, Decision] = field(default_factory=dict, compare=False, repr=False)

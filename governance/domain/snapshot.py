"""One loaded policy revision, as the gateway holds it while it decides a request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from governance.domain.models import Decision
from governance.domain.reference import Reference


class RegoEvaluator(Protocol):
    """A compiled policy set and data document (the port every embedded engine adapts to)."""

    name: str

    def eval_json(self, rule: str, input_json: str) -> Any:
        """The value of `rule` (a `data.` reference) for one JSON input; raises when the rule
        is undefined or the engine fails."""
        ...

    def query(self, ref: str, input_json: str) -> tuple[bool, Any]:
        """(defined, value) of the reference `ref` (`data`, `data.a["b-c"]`, ...)."""
        ...


@dataclass(frozen=True)
class PolicySnapshot:
    """One loaded revision: reference data for enrichment and the evaluator that decides.
    Swapped as one reference, so a request is decided entirely by one revision."""

    revision: str
    reference: Reference
    evaluator: RegoEvaluator | None  # None for the remote engine
    read_cache: dict[bytes, Decision] = field(default_factory=dict, compare=False, repr=False)

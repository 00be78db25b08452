"""One loaded policy revision, as the gateway holds it while it decides a request."""

from __future__ import annotations

from collections import OrderedDict
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


class ReadCache:
    """Read decisions of one revision by what the policy reads of the call (the key is built
    by governance/policy/engine.py `read_cache_key`), least recently used first out, with the
    hits and misses counted for /metrics."""

    def __init__(self, size: int = 8192) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[bytes, Decision] = OrderedDict()

    def get(self, key: bytes) -> Decision | None:
        found = self._entries.get(key)
        if found is None:
            self.misses += 1
            return None
        self.hits += 1
        self._entries.move_to_end(key)
        return found

    def put(self, key: bytes, decision: Decision) -> None:
        self._entries[key] = decision
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True)
class PolicySnapshot:
    """One loaded revision: reference data for enrichment and the evaluator that decides.
    Swapped as one reference, so a request is decided entirely by one revision."""

    revision: str
    reference: Reference
    evaluator: RegoEvaluator | None  # None for the remote engine
    read_cache: ReadCache = field(default_factory=lambda: ReadCache(), compare=False, repr=False)

"""One loaded policy revision, as the gateway holds it while it decides a request."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from governance.domain.models import Decision
from governance.domain.reference import Reference

V = TypeVar("V")


class RegoEvaluator(Protocol):
    """A compiled policy set and data document (the port every embedded engine adapts to)."""

    name: str
    # Whether the engine loaded governance/policy/input_shape.py's module, which replaces a
    # rule by a value (`with`): the input's validation is then decided once per shape. Only
    # the gateway's engines load it (the PDP answers for the tree as it is).
    validates_by_shape: bool

    def eval_json(self, rule: str, input_json: str) -> Any:
        """The value of `rule` (a `data.` reference) for one JSON input; raises when the rule
        is undefined or the engine fails."""
        ...

    def query(self, ref: str, input_json: str) -> tuple[bool, Any]:
        """(defined, value) of the reference `ref` (`data`, `data.a["b-c"]`, ...)."""
        ...


class Memo(Generic[V]):
    """Answers of one revision by key, least recently used first out, with the hits and
    misses counted for /metrics. Read decisions are kept by what the policy reads of the call
    (governance/policy/engine.py `read_cache_key`), the input validation's answers by the
    input's shape (governance/policy/input_shape.py)."""

    def __init__(self, size: int = 8192) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[bytes, V] = OrderedDict()

    def get(self, key: bytes) -> V | None:
        found = self._entries.get(key)
        if found is None:
            self.misses += 1
            return None
        self.hits += 1
        self._entries.move_to_end(key)
        return found

    def put(self, key: bytes, value: V) -> None:
        self._entries[key] = value
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
    read_cache: Memo[Decision] = field(default_factory=lambda: Memo(), compare=False, repr=False)
    # whether lib/validate.rego finds an input of the shape valid, by the input's shape
    shapes: Memo[bool] = field(default_factory=lambda: Memo(), compare=False, repr=False)

"""The PolicyEngine port on an embedded evaluator (governance/policy/evaluator.py picks the
adapter): compiles the policy tree and reference data once per revision and decides each
request on it."""

from __future__ import annotations

from typing import Any

import orjson

from governance.domain.models import Decision
from governance.domain.reference import Reference
from governance.domain.snapshot import PolicySnapshot, RegoEvaluator
from governance.errors import EngineUnavailable
from governance.policy.evaluator import make_evaluator
from governance.policy.source import DECISION_RULE, PolicySource

READ_CACHE_SIZE = 8192
_VOLATILE = ("id", "received_at")  # differ on every request; no rule may read them


def read_cache_key(policy_input: dict[str, Any]) -> bytes | None:
    """Reads are decided by a pure function of the input and the snapshot's policies and
    data, so identical reads (the same caller, method, params, parties and day) share one
    evaluation per snapshot. Writes are never cached: their aggregates and nonces differ and
    their decisions reserve quota. `governance policy check` refuses policies that read the
    volatile fields left out of the key."""
    request = policy_input.get("request")
    if not isinstance(request, dict) or request.get("kind") != "read":
        return None
    stable = {k: v for k, v in request.items() if k not in _VOLATILE}
    return orjson.dumps({**policy_input, "request": stable}, option=orjson.OPT_SORT_KEYS)


def decide_sync(snapshot: PolicySnapshot, policy_input: dict[str, Any]) -> Decision:
    """Decides on the snapshot's own evaluator; identical reads share one evaluation."""
    key = read_cache_key(policy_input)
    cached = snapshot.read_cache.get(key) if key is not None else None
    if cached is not None:
        return cached
    decision = _evaluate(snapshot.evaluator, policy_input)
    if key is not None:
        if len(snapshot.read_cache) >= READ_CACHE_SIZE:
            snapshot.read_cache.clear()  # bounded; a cold start costs what no cache costs
        snapshot.read_cache[key] = decision
    return decision


def _evaluate(evaluator: RegoEvaluator | None, policy_input: dict[str, Any]) -> Decision:
    if evaluator is None:
        raise EngineUnavailable("no embedded evaluator in this snapshot")
    try:
        doc = evaluator.eval_json(DECISION_RULE, orjson.dumps(policy_input).decode())
        return Decision.from_json(doc)
    except EngineUnavailable:
        raise
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # pyo3 panics are BaseExceptions; every failure fails closed
        raise EngineUnavailable(f"policy evaluation failed: {exc}") from exc


class EmbeddedEngine:
    """The PolicyEngine port on an embedded evaluator."""

    def __init__(self, name: str, source: PolicySource) -> None:
        self.name = name
        self._snapshot = self.compile(source)

    def compile(self, source: PolicySource) -> PolicySnapshot:
        return PolicySnapshot(
            revision=source.revision,
            reference=Reference.from_data(source.data),
            evaluator=make_evaluator(self.name, source),
        )

    def snapshot(self) -> PolicySnapshot:
        return self._snapshot

    def swap(self, snapshot: PolicySnapshot) -> None:
        self._snapshot = snapshot

    async def decide(self, snapshot: PolicySnapshot, policy_input: dict[str, Any]) -> Decision:
        return decide_sync(snapshot, policy_input)

    async def ready(self) -> bool:
        return self._snapshot.evaluator is not None

    async def close(self) -> None:
        return None

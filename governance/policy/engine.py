"""The PolicyEngine port on an embedded evaluator (governance/policy/evaluator.py picks the
adapter): compiles the policy tree and reference data once per revision and decides each
request on it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import orjson

from governance.domain.models import Decision
from governance.domain.reference import Reference
from governance.domain.snapshot import Memo, PolicySnapshot, RegoEvaluator
from governance.errors import EngineUnavailable
from governance.policy.evaluator import make_evaluator
from governance.policy.input_shape import DECISION_AND_VALIDATION, VALID_SHAPE_DECISION, shape_key
from governance.policy.source import DECISION_RULE, PolicySource

_VOLATILE = ("id", "received_at")  # differ on every request; no rule may read them


def read_cache_key(policy_input: dict[str, Any]) -> bytes | None:
    """Reads are decided by a pure function of what the policy reads of the input and of the
    snapshot's policies and data. The key is the input without what no read rule reads: the
    request id and arrival time, the params (only their JSON type), the addresses of the
    read's parties and contract (each replaced by the order of its first appearance, so equal
    addresses stay equal) and the caller's `sub` (only its JSON type; the caller's org,
    jurisdiction, roles, kind and KYC stay). Reads of different addresses whose parties have
    the same profiles (org, jurisdiction, kind, KYC, sanctioned, known, self-hosted) by
    callers with the same profile share one evaluation. Writes are never cached: their
    aggregates and nonces differ and their decisions reserve quota. `governance policy check`
    refuses policies that read the fields left out of the key (governance/policy/read_key.py)."""
    request = policy_input.get("request")
    if not isinstance(request, dict) or request.get("kind") != "read":
        return None
    stable = {k: v for k, v in request.items() if k not in _VOLATILE}
    keyed = {**policy_input, "request": stable}
    subject = policy_input.get("subject")
    if isinstance(subject, dict) and "sub" in subject:  # callers alike share decisions too
        keyed["subject"] = {**subject, "sub": type(subject["sub"]).__name__}
    read = policy_input.get("read")
    if isinstance(read, dict):
        keyed["read"] = _read_profile(read)
    # A digest: a caller chooses much of the key (a travel-rule header of up to 16 KiB rides
    # on every call), and the cache holds 8,192 keys per revision.
    return hashlib.sha256(orjson.dumps(keyed, option=orjson.OPT_SORT_KEYS)).digest()


def _read_profile(read: dict[str, Any]) -> dict[str, Any]:
    tokens: dict[str, str] = {}

    def anonymous(entity: Any) -> Any:
        if not isinstance(entity, dict) or not isinstance(entity.get("address"), str):
            return entity
        token = tokens.setdefault(entity["address"], f"#{len(tokens)}")
        return {**entity, "address": token}

    profile = dict(read)
    profile["params"] = type(read.get("params")).__name__ if "params" in read else None
    parties = read.get("parties")
    if isinstance(parties, list):
        profile["parties"] = [anonymous(p) for p in parties]
    if "contract" in read:
        profile["contract"] = anonymous(read["contract"])
    return profile


def decide_sync(snapshot: PolicySnapshot, policy_input: dict[str, Any]) -> Decision:
    """Decides on the snapshot's own evaluator; reads alike to the policy share one
    evaluation, and inputs of one shape one validation."""
    key = read_cache_key(policy_input)
    cached = snapshot.read_cache.get(key) if key is not None else None
    if cached is not None:
        return cached
    decision = _decided(snapshot, policy_input)
    if key is not None:
        snapshot.read_cache.put(key, decision)
    return decision


def _decided(snapshot: PolicySnapshot, policy_input: dict[str, Any]) -> Decision:
    evaluator = snapshot.evaluator
    if evaluator is None or not evaluator.validates_by_shape:
        return _evaluate(evaluator, policy_input)
    return _failing_closed(lambda: _by_shape(snapshot.shapes, evaluator, policy_input))


def _by_shape(shapes: Memo[bool], evaluator: RegoEvaluator, policy_input: dict[str, Any]) -> Any:
    """The decision; once the input's shape is known valid, without checking it again
    (governance/policy/input_shape.py)."""
    key = shape_key(policy_input)
    valid = shapes.get(key)
    input_json = orjson.dumps(policy_input).decode()
    if valid is None:
        doc, invalid = evaluator.eval_json(DECISION_AND_VALIDATION, input_json)
        shapes.put(key, not invalid)
        return doc
    return evaluator.eval_json(VALID_SHAPE_DECISION if valid else DECISION_RULE, input_json)


def _evaluate(evaluator: RegoEvaluator | None, policy_input: dict[str, Any]) -> Decision:
    if evaluator is None:
        raise EngineUnavailable("no embedded evaluator in this snapshot")
    input_json = orjson.dumps(policy_input).decode()
    return _failing_closed(lambda: evaluator.eval_json(DECISION_RULE, input_json))


def _failing_closed(evaluate: Callable[[], Any]) -> Decision:
    try:
        return Decision.from_json(evaluate())
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
            evaluator=make_evaluator(self.name, source, by_shape=True),
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

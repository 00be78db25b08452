"""Embedded Rego engines. Each compiles the policy tree and reference data once and evaluates
per request. regorus is the default (measured fastest on our policies, see tests/perf)."""

from __future__ import annotations

import json
import threading
from typing import Any

import orjson

from governance.domain.models import Decision
from governance.domain.reference import Reference
from governance.domain.snapshot import PolicySnapshot, RegoEvaluator
from governance.errors import EngineUnavailable
from governance.policy.source import DECISION_RULE, PolicySource

ENGINES = ("regorus", "regopy")


# Engines whose evaluator was discarded, by owning thread: a regorus engine may only be
# dropped on the thread that built it, so each thread frees its own on its next evaluation.
# Keyed by the Thread object, not its ident: idents are reused once a thread ends, while the
# engine stays bound to the thread that ended (an engine of an ended thread is never freed).
_RETIRED: dict[threading.Thread, list[Any]] = {}
_RETIRED_LOCK = threading.Lock()


class RegorusEvaluator:
    """regorus engines are pinned to the thread that built them (pyo3 "unsendable"), so each
    thread that evaluates gets its own compiled copy, built on first use."""

    def __init__(self, source: PolicySource, *, with_tests: bool = False) -> None:
        self._source = source
        self._with_tests = with_tests
        self._engines: dict[threading.Thread, Any] = {}
        self._engine()  # compile now, so a broken policy fails at load time

    def _engine(self) -> Any:
        thread = threading.current_thread()
        engine = self._engines.get(thread)
        if engine is None:
            import regorus

            engine = regorus.Engine()
            modules = self._source.modules + (self._source.tests if self._with_tests else ())
            for name, text in modules:
                engine.add_policy(name, text)
            engine.add_data_json(self._source.data_json)
            self._engines[thread] = engine
        if thread in _RETIRED:
            with _RETIRED_LOCK:
                _RETIRED.pop(thread, None)  # dropped here, on the owning thread
        return engine

    def eval_json(self, rule: str, input_json: str) -> Any:
        engine = self._engine()
        engine.set_input_json(input_json)
        return orjson.loads(engine.eval_rule_as_json(rule))

    def __del__(self) -> None:
        engines, self._engines = self._engines, {}
        with _RETIRED_LOCK:
            for thread, engine in engines.items():
                if thread is threading.current_thread():
                    continue  # dropped normally when `engines` goes out of scope
                _RETIRED.setdefault(thread, []).append(engine)


class RegopyEvaluator:
    def __init__(self, source: PolicySource, *, with_tests: bool = False) -> None:
        import regopy

        self._interpreter = regopy.Interpreter()
        for name, text in source.modules + (source.tests if with_tests else ()):
            self._interpreter.add_module(name, text)
        self._interpreter.add_data_json(source.data_json)
        self._lock = threading.Lock()

    def eval_json(self, rule: str, input_json: str) -> Any:
        with self._lock:
            self._interpreter.set_input_term(input_json)
            output = self._interpreter.query(rule)
        text = str(output)
        if not output.ok() or text == "undefined":
            raise EngineUnavailable(f"rule {rule} is undefined: {text[:200]}")
        return json.loads(text)["expressions"][0]


def make_evaluator(name: str, source: PolicySource, *, with_tests: bool = False) -> RegoEvaluator:
    """Explicit factory: the configured engine name picks the adapter."""
    if name == "regorus":
        return RegorusEvaluator(source, with_tests=with_tests)
    if name == "regopy":
        return RegopyEvaluator(source, with_tests=with_tests)
    raise ValueError(f"unknown policy engine {name!r}; expected one of {', '.join(ENGINES)}")


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

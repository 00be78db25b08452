"""Fail closed on every engine: a field of a real input dropped, nulled or given another type
never turns a refusal into an allow, and regorus and OPA decide the damaged input alike
(docs/policies.md, "Fail closed")."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance.policy.evaluator import CONFORMANCE_ENGINES, RegoError
from governance.policy.source import DECISION_RULE
from tests.policy.decision_table import CASES, evaluator

Path = tuple[str | int, ...]
REPLACEMENTS: list[Any] = [None, 0, 2.5, "", "x", True, False, [], ["x"], {}, {"x": 1}]
ENGINES = CONFORMANCE_ENGINES
# Fields whose null (or absence) is itself a complete input, not a damaged one: a write
# without calldata (`tx.selector` null) to an address moving no value does nothing.
NULL_IS_A_VALUE: set[Path] = {("tx", "selector")}
# The inputs the table builds as the gateway does, with every section the gateway fills.
INPUTS = [case.input for case in CASES]


def kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def paths(doc: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every field and array item of `doc` (not the document itself). Inside `travel_rule`
    (the caller's own IVMS101 payload, with optional parts such as the VASPs) only the
    payload as a whole is damaged: the travel-rule rules judge what it lacks."""
    if not isinstance(doc, dict | list) or prefix[:1] == ("travel_rule",):
        return
    items: Any = doc.items() if isinstance(doc, dict) else enumerate(doc)
    for key, value in items:
        yield (*prefix, key)
        yield from paths(value, (*prefix, key))


def mutated(doc: dict[str, Any], path: Path, replacement: Any, drop: bool) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    parent: Any = out
    for key in path[:-1]:
        parent = parent[key]
    if drop and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return out


def decide(engine: str, doc: dict[str, Any]) -> dict[str, Any] | None:
    """The decision, or None when the engine fails on the input (the gateway then refuses
    the call: EngineUnavailable)."""
    try:
        decision: dict[str, Any] = evaluator(engine).eval_json(DECISION_RULE, json.dumps(doc))
    except RegoError:
        return None
    return decision


def allows(decision: dict[str, Any] | None) -> bool:
    return decision is not None and decision["allow"] is True


@st.composite
def damage(draw: st.DrawFn) -> tuple[dict[str, Any], Path, str, Any]:
    doc = draw(st.sampled_from(INPUTS))
    path = draw(st.sampled_from(list(paths(doc))))
    original: Any = doc
    for key in path:
        original = original[key]
    how = draw(st.sampled_from(["drop", "null", "retype"]))
    if how == "drop" and isinstance(path[-1], int):
        how = "null"  # array items are nulled, not removed: the gateway sends every item
    if (how == "null" and original is None) or (how != "retype" and path in NULL_IS_A_VALUE):
        how = "retype"
    choices = [r for r in REPLACEMENTS if kind(r) != kind(original)]
    replacement = None if how == "null" else draw(st.sampled_from(choices))
    return doc, path, how, replacement


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(damage())
def test_damaged_input_never_allows_what_the_whole_input_refuses(
    sample: tuple[dict[str, Any], Path, str, Any],
) -> None:
    doc, path, how, replacement = sample
    damaged = mutated(doc, path, replacement, how == "drop")
    first, *others = [decide(engine, damaged) for engine in ENGINES]
    where = f"{how} {'.'.join(map(str, path))} -> {replacement!r}"
    for engine, decision in zip(ENGINES[1:], others, strict=True):
        assert decision == first, f"{engine} and {ENGINES[0]} disagree after {where}"
    if not allows(decide(ENGINES[0], doc)):
        assert not allows(first), f"allowed after {where}"


def test_the_inputs_reach_every_section_the_property_damages() -> None:
    reached = {path[0] for doc in INPUTS for path in paths(doc)}
    reached |= {".".join(map(str, p[:2])) for doc in INPUTS for p in paths(doc) if len(p) > 1}
    for section in (
        "effects",
        "approvals",
        "contracts",
        "simulation",
        "read.parties",
        "read.residency",
        "read.params",
        "parties.recipient",
        "tx.amount_usd",
    ):
        assert section in reached, section
    assert any(not allows(decide("regorus", doc)) for doc in INPUTS)
    assert any(allows(decide("regorus", doc)) for doc in INPUTS)


@pytest.mark.parametrize(
    "doc",
    [{}, {"request": None}, {"request": {"kind": "read"}}, {"subject": {"roles": "admin"}}],
    ids=["empty", "null_request", "bare_read", "roles_not_a_list"],
)
def test_incomplete_input_is_refused_as_invalid(doc: dict[str, Any], rego_engine: str) -> None:
    decision = decide(rego_engine, doc)
    assert decision is not None and decision["allow"] is False
    assert "INPUT_INVALID" in {r["code"] for r in decision["reasons"]}

"""The input's validation decided once per input shape (governance/policy/input_shape.py):
decisions by shape equal the whole rule's on every engine that decides by shape, for the
decision table, damaged inputs and inputs whose values change under an unchanged shape; the
policy check refuses a lib/validate.rego that reads more than the shape."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance.domain.models import Decision
from governance.domain.snapshot import PolicySnapshot
from governance.errors import EngineUnavailable
from governance.policy.check import check_policies
from governance.policy.engine import EmbeddedEngine, _decided
from governance.policy.evaluator import make_evaluator
from governance.policy.input_shape import VALIDATE_FILE, shape_key, shape_problems
from governance.policy.source import DECISION_RULE, load_policy_source
from tests.conftest import ROOT
from tests.policy.decision_table import CASES
from tests.policy.test_fail_closed import damage, mutated

INPUTS = [case.input for case in CASES]
# Each example is a few decisions on regorus: 150 of them take seconds.
EXAMPLES = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
VALIDATE = (ROOT / "policies" / VALIDATE_FILE).read_text()


@cache
def snapshot(engine: str) -> PolicySnapshot:
    return EmbeddedEngine(engine, load_policy_source(ROOT / "policies")).snapshot()


def whole_rule(engine: str, doc: dict[str, Any]) -> Decision | None:
    """The decision as one evaluation of the whole rule (None: the engine fails)."""
    import orjson

    evaluator = snapshot(engine).evaluator
    assert evaluator is not None
    try:
        return Decision.from_json(evaluator.eval_json(DECISION_RULE, orjson.dumps(doc).decode()))
    except Exception:
        return None


def by_shape(engine: str, doc: dict[str, Any]) -> Decision | None:
    try:
        return _decided(snapshot(engine), doc)
    except EngineUnavailable:
        return None


def test_the_engines_that_serve_decide_by_shape(rego_engine: str) -> None:
    evaluator = snapshot(rego_engine).evaluator
    assert evaluator is not None
    assert evaluator.validates_by_shape is (rego_engine != "regopy")


def test_only_the_gateways_engines_load_the_shape_module(rego_engine: str) -> None:
    """The PDP and the test runner answer for the tree as it is: no package of the gateway's
    own appears in `data`."""
    plain = make_evaluator(rego_engine, load_policy_source(ROOT / "policies"))
    assert not plain.validates_by_shape
    defined, governance = plain.query("data.governance", "{}")
    assert defined and "gateway" not in governance
    if rego_engine != "regopy":
        _, served = snapshot(rego_engine).evaluator.query("data.governance.gateway", "{}")
        assert "shape" in served


def test_the_table_decided_by_shape_as_by_the_whole_rule(rego_engine: str) -> None:
    if rego_engine == "regopy":
        pytest.skip("regopy decides every input by the whole rule")
    shapes = snapshot(rego_engine).shapes
    hits = shapes.hits
    for case in CASES:
        expected = whole_rule(rego_engine, case.input)
        assert by_shape(rego_engine, case.input) == expected, f"{case.name}: learning the shape"
        assert by_shape(rego_engine, case.input) == expected, f"{case.name}: by its shape"
    assert shapes.hits - hits >= len(CASES)
    refused = [c for c in CASES if any(x.startswith("INPUT_INVALID") for x in c.codes)]
    assert refused and not all(shapes.get(shape_key(c.input)) for c in refused)


def test_a_shape_learnt_is_used_for_every_input_of_it() -> None:
    shapes = snapshot("regorus").shapes
    first, second = copy.deepcopy(INPUTS[0]), copy.deepcopy(INPUTS[0])
    second["request"]["id"] = "another"
    by_shape("regorus", first)
    hits = shapes.hits
    by_shape("regorus", second)
    assert shapes.hits == hits + 1


def test_the_kind_of_call_is_part_of_the_shape() -> None:
    """A read's shape called a write lacks the write's transaction and screening."""
    read = next(doc for doc in INPUTS if doc["request"]["kind"] == "read")
    by_shape("regorus", read)
    as_write = copy.deepcopy(read)
    as_write["request"]["kind"] = "write"
    decision = by_shape("regorus", as_write)
    assert decision == whole_rule("regorus", as_write)
    assert decision is not None and "INPUT_INVALID" in {r.code for r in decision.reasons}


@EXAMPLES
@given(damage())
def test_damaged_inputs_decided_by_shape_as_by_the_whole_rule(
    sample: tuple[dict[str, Any], tuple[str | int, ...], str, Any],
) -> None:
    doc, path, how, replacement = sample
    damaged = mutated(doc, path, replacement, how == "drop")
    expected = whole_rule("regorus", damaged)
    for _ in range(2):  # learning the shape, then by it
        assert by_shape("regorus", damaged) == expected, f"{how} {path} -> {replacement!r}"


def scalars(doc: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Every string and number of `doc` except `request.kind`, which the shape keeps."""
    items: Any = doc.items() if isinstance(doc, dict) else enumerate(doc)
    for key, value in items:
        path = (*prefix, key)
        if isinstance(value, dict | list):
            yield from scalars(value, path)
        elif (isinstance(value, str | int | float) and not isinstance(value, bool)) and path != (
            "request",
            "kind",
        ):
            yield path


@st.composite
def revalued(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """An input, and the same input with some of its strings and numbers given other values
    of their types."""
    doc = draw(st.sampled_from(INPUTS))
    every = list(scalars(doc))
    chosen = draw(st.lists(st.sampled_from(every), min_size=1, max_size=12, unique=True))
    out = copy.deepcopy(doc)
    for path in chosen:
        parent: Any = out
        for key in path[:-1]:
            parent = parent[key]
        old = parent[path[-1]]
        parent[path[-1]] = draw(
            st.text(max_size=12)
            if isinstance(old, str)
            else st.integers(-(10**12), 10**12) | st.floats(-1e12, 1e12, allow_nan=False)
        )
    return doc, out


@EXAMPLES
@given(revalued())
def test_other_values_of_a_known_shape_are_decided_as_by_the_whole_rule(
    pair: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    """What the memo rests on: lib/validate.rego answers alike for inputs of one shape."""
    learnt, other = pair
    assert shape_key(learnt) == shape_key(other)
    by_shape("regorus", learnt)
    assert by_shape("regorus", other) == whole_rule("regorus", other)


def test_the_shape_keeps_types_booleans_positions_and_the_kind() -> None:
    doc = copy.deepcopy(INPUTS[0])
    same = copy.deepcopy(doc)
    same["request"]["method"] = "eth_somethingElse"
    same["tx"]["amount_usd"] = 12345.5
    assert shape_key(doc) == shape_key(same)
    changes = [
        ("request", "kind", "unknown"),
        ("tx", "amount_usd", "12"),
        ("tx", "rate_known", not doc["tx"]["rate_known"]),
        ("tx", "to", None),
    ]
    for section, name, value in changes:
        other = copy.deepcopy(doc)
        other[section][name] = value
        assert shape_key(other) != shape_key(doc), name
    assert len(shape_key(doc)) == 32  # a digest, whatever the input's size
    longer = copy.deepcopy(doc)
    longer["subject"]["roles"] = [*doc["subject"]["roles"], "auditor"]
    assert shape_key(longer) != shape_key(doc)
    with pytest.raises(TypeError):
        shape_key({**doc, "odd": object()})


def test_the_shipped_validation_reads_only_the_shape() -> None:
    assert shape_problems([(VALIDATE_FILE, VALIDATE)]) == []


@pytest.mark.parametrize(
    ("rule", "found"),
    [
        ("long if count(sections.request.method) > 8", "calls `count`"),
        ('call if sections.request.method == "eth_call"', "compares"),
        ("priced if sections.tx.amount_usd > 0", "compares"),
        ("write if data.governance.lib.ctx.call.write", "reads `data.governance.lib.ctx.call"),
        ('hex if startswith(sections.tx.from, "0x")', "calls `startswith`"),
        ('each if {\n\tsome r in arrays["subject.roles"]; r == "admin"\n}', "compares"),
    ],
    ids=["count", "string_compared", "number_compared", "ctx_fact", "builtin", "in_iteration"],
)
def test_the_check_refuses_a_validation_reading_values(
    tmp_path: Path, rule: str, found: str
) -> None:
    assert any(found in p[2] for p in shape_problems([(VALIDATE_FILE, VALIDATE + rule + "\n")]))
    tree = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", tree)
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    (tree / VALIDATE_FILE).write_text(VALIDATE + f"\n{rule}\n")
    problems = check_policies(tree)
    assert any(p.file == VALIDATE_FILE and found in p.message for p in problems)


def test_an_import_into_the_validation_is_refused() -> None:
    text = VALIDATE.replace("import rego.v1", "import rego.v1\nimport data.governance.lib.ctx")
    assert any("imports" in p[2] for p in shape_problems([(VALIDATE_FILE, text)]))


def test_a_tree_without_the_validation_is_decided_by_the_whole_rule(tmp_path: Path) -> None:
    tree = tmp_path / "policies"
    shutil.copytree(ROOT / "tests" / "perf" / "minimal_policies", tree)
    snap = EmbeddedEngine("regorus", load_policy_source(tree)).snapshot()
    assert snap.evaluator is not None and not snap.evaluator.validates_by_shape
    _decided(snap, INPUTS[0])
    assert len(snap.shapes) == 0

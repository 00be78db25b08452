"""Decision table (tests/policy/decision_table.py) -> expected outcome, on every engine of
--rego-engines (regorus and OPA by default), which must agree on the whole decision."""

from __future__ import annotations

import json
from typing import Any

import pytest

from governance.policy.source import DECISION_RULE
from tests.conftest import ROOT
from tests.policy.decision_table import ACCT, ACME, CASES, MULTISEND, Case, call, evaluator


def codes(decision: dict[str, Any]) -> set[str]:
    return {f"{r['code']}@{r['jurisdiction']}" for r in decision["reasons"]}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_decision(case: Case, rego_engine: str) -> None:
    decision = evaluator(rego_engine).eval_json(DECISION_RULE, json.dumps(case.input))
    assert codes(decision) == case.codes
    assert decision["allow"] is (not case.codes)
    for key, expected in case.checks.items():
        if key == "reports":
            actual = sorted(
                f"{r['kind']}@{r['jurisdiction']}" for r in decision["obligations"]["report"]
            )
            assert actual == sorted(expected)
        elif key in ("redact", "require_travel_rule"):
            assert decision["obligations"][key] == expected
        else:
            assert decision[key] == expected, key


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_engines_agree(case: Case, rego_engines: tuple[str, ...]) -> None:
    if len(rego_engines) < 2:
        pytest.skip("one engine selected: nothing to compare")
    doc = json.dumps(case.input)
    first, *others = [evaluator(engine).eval_json(DECISION_RULE, doc) for engine in rego_engines]
    for engine, decision in zip(rego_engines[1:], others, strict=True):
        assert decision == first, f"{engine} and {rego_engines[0]} disagree"


def test_every_reason_code_is_exercised() -> None:
    listed = set(evaluator("regorus").eval_json("data.governance.lib.reasons.codes", "{}"))
    seen = {code.split("@")[0] for case in CASES for code in case.codes}
    assert listed - seen == set()


def test_revert_reason_in_message(rego_engine: str) -> None:
    doc = call(ACME, ACCT[0], MULTISEND, [], status="reverted", reason="insufficient balance")
    decision = evaluator(rego_engine).eval_json(DECISION_RULE, json.dumps(doc))
    [reason] = decision["reasons"]
    assert reason["code"] == "SIMULATION_REVERTED"
    assert reason["message"].endswith(": insufficient balance")


def test_the_benchmark_sample_write_is_an_allowed_decision(rego_engine: str) -> None:
    """scripts/bench times the engine on tests/perf/sample_input.json (a write captured from the
    gateway): an input the policy refuses as invalid would time the refusal, not a decision."""
    sample = (ROOT / "tests" / "perf" / "sample_input.json").read_text()
    decision = evaluator(rego_engine).eval_json(DECISION_RULE, sample)
    assert decision["allow"] is True and decision["reasons"] == [], decision["reasons"]
    assert decision["jurisdictions"] == ["DE", "EU", "US"]


def test_regopy_decides_the_table_like_regorus() -> None:
    """regopy (rego-cpp) is the last-resort engine; some Rego constructs silently mean
    something else there (docs/policies.md, "Writing portable Rego"). One pass over the table
    keeps the tree portable without running every test on it."""
    reference, regopy = evaluator("regorus"), evaluator("regopy")
    differ = []
    for case in CASES:
        doc = json.dumps(case.input)
        if regopy.eval_json(DECISION_RULE, doc) != reference.eval_json(DECISION_RULE, doc):
            differ.append(case.name)
    assert differ == []

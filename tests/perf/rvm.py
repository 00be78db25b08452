"""regorus's compiled mode (its RVM: the policy compiled to a program for a virtual machine)
against the interpreter the gateway decides with (not a timed test): CPU per decision of the
sample write on both, then whether the RVM decides like the interpreter. The gateway does not
use the RVM while it does not: a faster engine that decides otherwise fails open.

Run: scripts/bench --rvm  (or: .venv/bin/python -m tests.perf.rvm --runs 300)
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import orjson

from governance.policy.source import DECISION_RULE, PolicySource, load_policy_source
from tests.conftest import ROOT

# Rego: an assignment from an undefined value fails the body, so `out` keeps its default.
UNDEFINED_ASSIGNMENT = (
    "package probe\nimport rego.v1\ndefault out := false\nout if { x := input.missing }\n",
    "data.probe.out",
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    source = load_policy_source(ROOT / "policies")
    sample = (ROOT / "tests" / "perf" / "sample_input.json").read_text()
    interpreter = interpreter_decider(source)
    try:
        rvm = rvm_decider(source)
    except Exception as exc:  # the compiler refuses constructs the interpreter takes
        print(f"the RVM does not compile the shipped tree: {_first_line(exc)}")
        differ = ["(the tree does not compile)"]
    else:
        print(f"sample write, CPU per decision (p50 of {args.runs}):")
        print(f"  interpreter {_p50(interpreter, sample, args.runs):8.0f} us")
        print(f"  RVM         {_p50(rvm, sample, args.runs):8.0f} us")
        differ = table_disagreements(rvm, interpreter)
        count = f"{len(differ)} cases otherwise: {', '.join(differ[:5])}"
        print(f"decision table: the RVM decides {count}")
    text, rule = UNDEFINED_ASSIGNMENT
    probe = rvm_decider(PolicySource("probe", (("probe.rego", text),), (), {}, "probe"), rule)
    found = probe("{}")
    print(f"`out if {{ x := input.missing }}` with default false: RVM says {found} (Rego: False)")
    usable = not differ and found is False
    print("verdict:", "decides like the interpreter" if usable else "not used")


def _first_line(exc: Exception) -> str:
    """regorus's message without its source excerpt and backtrace."""
    lines = [x.strip() for x in str(exc).splitlines() if x.strip()]
    where = next((x for x in lines if x.startswith("-->")), "")
    what = next((x for x in lines if x.startswith("error:")), lines[0] if lines else "")
    return f"{what} ({where.removeprefix('--> ')})" if where else what


def rvm_decider(source: PolicySource, rule: str = DECISION_RULE) -> Callable[[str], Any]:
    import regorus

    program = regorus.Program.compile_from_modules(source.data_json, list(source.modules), [rule])
    vm = regorus.Rvm()
    vm.load_program(program)
    vm.set_data_json(source.data_json)

    def decide(input_json: str) -> Any:
        vm.set_input_json(input_json)
        return orjson.loads(vm.execute())

    return decide


def interpreter_decider(source: PolicySource) -> Callable[[str], Any]:
    from governance.policy.evaluator import make_evaluator

    evaluator = make_evaluator("regorus", source)
    return lambda input_json: evaluator.eval_json(DECISION_RULE, input_json)


def table_disagreements(rvm: Callable[[str], Any], interpreter: Callable[[str], Any]) -> list[str]:
    from tests.policy.decision_table import CASES

    differ = []
    for case in CASES:
        doc = json.dumps(case.input)
        if _answer(rvm, doc) != _answer(interpreter, doc):
            differ.append(case.name)
    return differ


def _answer(decide: Callable[[str], Any], doc: str) -> Any:
    try:
        return decide(doc)
    except Exception as exc:  # an engine's error is an answer to compare too
        return f"error: {type(exc).__name__}"


def _p50(decide: Callable[[str], Any], doc: str, runs: int) -> float:
    decide(doc)
    times = []
    for _ in range(runs):
        started = time.thread_time()
        decide(doc)
        times.append(time.thread_time() - started)
    return sorted(times)[runs // 2] * 1e6


if __name__ == "__main__":
    main()

"""Where a decision's time goes (not a timed test): CPU time of one evaluation of each listed
rule of the shipped tree on regorus, for the sample write, with a fresh input each time, so
that each figure includes every rule the listed one depends on. p50 and p99 of the deciding
thread's CPU time (time.thread_time).

Then the same decision for several inputs in one engine call against one call per input.

Run: scripts/bench --rules  (or: .venv/bin/python -m tests.perf.rules --runs 200 --batch 1,4,16)
"""

from __future__ import annotations

import argparse
import contextlib
import json
from dataclasses import replace
from typing import Any

import orjson

from governance.policy.evaluator import RegoUndefined, make_evaluator
from governance.policy.source import DECISION_RULE, PolicySource, load_policy_source
from tests.conftest import ROOT
from tests.perf.growth import _cpu

RULES = (
    ("data.governance.main.decision", "all of it"),
    ("data.governance.lib.baseline.deny", "includes input validation"),
    ("data.governance.main.jurisdiction_reasons", "includes the ctx facts it shares"),
    ("data.governance.lib.validate.invalid", "input shape: every field and its type"),
    ("data.governance.lib.ctx.transfer", ""),
    ("data.governance.log.mask", ""),
    ("data.governance.main.applicable", ""),
    ("data.governance.lib.ctx.call", ""),
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--batch", default="1,4,16", help="inputs decided in one engine call")
    args = parser.parse_args()
    sample = json.loads((ROOT / "tests" / "perf" / "sample_input.json").read_text())
    source = load_policy_source(ROOT / "policies")
    evaluator = make_evaluator("regorus", source)
    text = orjson.dumps(sample).decode()

    def once(rule: str) -> None:
        # Setting the input starts the evaluation afresh: nothing is kept from the last. A rule
        # with no value for this input still costs its evaluation.
        with contextlib.suppress(RegoUndefined):
            evaluator.eval_json(rule, text)

    print(f"{'rule':80} {'p50 us':>8} {'p99 us':>8}")
    for rule, note in RULES:
        once(rule)
        p50, p99 = _cpu(lambda rule=rule: once(rule), args.runs)
        label = f"{rule} ({note})" if note else rule
        print(f"{label:80} {p50:>8.0f} {p99:>8.0f}")
    _batches(source, sample, [int(n) for n in args.batch.split(",") if n], args.runs // 10 or 1)


# Several inputs decided in one engine call (the "batch under load"), through a rule
# that evaluates the decision with each input in turn.
BATCH = """package governance.bench_batch

import rego.v1

decisions := [d | some x in input.batch; d := data.governance.main.decision with input as x]
"""


def _batches(source: PolicySource, sample: dict[str, Any], sizes: list[int], runs: int) -> None:
    batched = replace(source, modules=(*source.modules, ("bench_batch.rego", BATCH)))
    evaluator = make_evaluator("regorus", batched)
    one = orjson.dumps(sample).decode()
    alone = evaluator.eval_json(DECISION_RULE, one)
    print(f"\n{'inputs per engine call':24} {'one call, us each':>18} {'one call per input':>19}")
    for n in sizes:
        many = orjson.dumps({"batch": [sample] * n}).decode()
        decided = evaluator.eval_json(BATCH_RULE, many)
        if decided != [alone] * n:
            raise SystemExit(f"a batch of {n} decides otherwise than one input at a time")
        together, _ = _cpu(lambda many=many: evaluator.eval_json(BATCH_RULE, many), runs)
        apart, _ = _cpu(
            lambda n=n: [evaluator.eval_json(DECISION_RULE, one) for _ in range(n)], runs
        )
        print(f"{n:>24} {together / n:>18.0f} {apart / n:>19.0f}")


BATCH_RULE = "data.governance.bench_batch.decisions"


if __name__ == "__main__":
    main()

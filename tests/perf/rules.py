"""Where a decision's time goes (not a timed test): CPU time of one evaluation of each listed
rule of the shipped tree on regorus, for the sample write, with a fresh input each time, so
that each figure includes every rule the listed one depends on. p50 and p99 of the deciding
thread's CPU time (time.thread_time).

Run: scripts/bench --rules  (or: .venv/bin/python -m tests.perf.rules --runs 200)
"""

from __future__ import annotations

import argparse
import contextlib
import json

import orjson

from governance.policy.evaluator import RegoUndefined, make_evaluator
from governance.policy.source import load_policy_source
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
    args = parser.parse_args()
    sample = json.loads((ROOT / "tests" / "perf" / "sample_input.json").read_text())
    evaluator = make_evaluator("regorus", load_policy_source(ROOT / "policies"))
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


if __name__ == "__main__":
    main()

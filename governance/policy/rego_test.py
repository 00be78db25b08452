"""Runs the Rego unit tests of a policy tree (`governance policy test`).

Every rule named `test_*` in the package of a `*_test.rego` file is one test. Each is evaluated
on the chosen embedded engine with an empty input; it passes when it is exactly `true`.
Tests set their input with `with data.governance.lib.ctx.doc as {...}` (policies read the input
through that rule). `with input as {...}` is refused up front on every engine: replacing the
whole input crashes regopy 1.5.2 (segmentation fault) when the evaluated rules call builtins,
so a suite that used it could not run on both engines."""

from __future__ import annotations

import argparse
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from governance.policy.engine import ENGINES, make_evaluator
from governance.policy.source import PolicySource, load_policy_source

_PACKAGE = re.compile(r"^package\s+([A-Za-z_][\w.]*)", re.MULTILINE)
_TEST_RULE = re.compile(r"^(test_\w+)\s*(?:if\b|:=|=|\{|contains\b)")
_WHOLE_INPUT = re.compile(r"\bwith\s+input\s+as\b")
WHOLE_INPUT_ERROR = (
    "uses `with input as ...`, which crashes regopy 1.5.2; "
    "use `with data.governance.lib.ctx.doc as ...`"
)


@dataclass(frozen=True)
class TestCase:
    __test__ = False  # not a pytest class

    name: str
    package: str
    file: str
    line: int
    body: str

    @property
    def rule(self) -> str:
        return f"data.{self.package}.{self.name}"


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest class

    name: str
    package: str
    file: str
    passed: bool
    error: str | None = None
    duration_ms: float = 0.0

    @property
    def rule(self) -> str:
        return f"data.{self.package}.{self.name}"


def discover(source: PolicySource) -> list[TestCase]:
    """The `test_*` rules of every test module, in file order; a rule with several bodies is
    one test (it passes when any body holds, as in OPA)."""
    cases: list[TestCase] = []
    for file, text in source.tests:
        match = _PACKAGE.search(text)
        if match is None:
            continue
        package = match.group(1)
        lines = text.splitlines()
        seen: set[str] = set()
        for index, line in enumerate(lines):
            rule = _TEST_RULE.match(line)
            if rule is None or rule.group(1) in seen:
                continue
            seen.add(rule.group(1))
            cases.append(
                TestCase(rule.group(1), package, file, index + 1, _rule_text(lines, index))
            )
    return cases


def _rule_text(lines: list[str], start: int) -> str:
    """The text of the rule starting at `start`: up to the next line at column 0 that starts
    another statement."""
    end = start + 1
    while end < len(lines) and (
        not lines[end] or lines[end][0] in " \t}" or lines[end].startswith("else")
    ):
        end += 1
    return "\n".join(lines[start:end])


def run_tests(source: PolicySource, engine: str, *, match: str | None = None) -> list[TestResult]:
    """Evaluates every discovered test (optionally only those whose `data.<pkg>.<name>`
    contains `match`) on `engine` ("regorus" or "regopy")."""
    cases = [c for c in discover(source) if match is None or match in c.rule]
    try:
        evaluator = make_evaluator(engine, source, with_tests=True)
    except Exception as exc:  # a module that does not load fails every test
        error = "load: " + " ".join(str(exc).split())[:300]
        return [TestResult(c.name, c.package, c.file, False, error) for c in cases]
    results: list[TestResult] = []
    for case in cases:
        if _WHOLE_INPUT.search(case.body):
            results.append(TestResult(case.name, case.package, case.file, False, WHOLE_INPUT_ERROR))
            continue
        started = time.perf_counter()
        passed, error = False, None
        try:
            passed = evaluator.eval_json(case.rule, "{}") is True
        except Exception as exc:
            message = str(exc)
            # regopy reports an undefined test (a failed assertion) as an exception
            if "is undefined" not in message:
                error = " ".join(message.split())[:500]
        elapsed = (time.perf_counter() - started) * 1000
        results.append(TestResult(case.name, case.package, case.file, passed, error, elapsed))
    return results


def format_results(results: list[TestResult], *, verbose: bool = False) -> str:
    lines = []
    for r in results:
        if verbose or not r.passed:
            status = "PASS" if r.passed else ("ERROR" if r.error else "FAIL")
            detail = f": {r.error}" if r.error else ""
            lines.append(f"{status} {r.file}: {r.rule}{detail}")
    failed = sum(not r.passed for r in results)
    lines.append(f"{len(results) - failed} passed, {failed} failed")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the Rego tests of a policy tree.")
    parser.add_argument("path", nargs="?", default="policies", type=Path)
    parser.add_argument("--engine", choices=(*ENGINES, "all"), default="all")
    parser.add_argument("--run", help="only tests whose data.<package>.<name> contains this")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    source = load_policy_source(args.path)
    engines = ENGINES if args.engine == "all" else (args.engine,)
    ok = True
    for engine in engines:
        results = run_tests(source, engine, match=args.run)
        print(f"[{engine}]")
        print(format_results(results, verbose=args.verbose))
        ok = ok and bool(results) and all(r.passed for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

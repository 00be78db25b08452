"""Runs the Rego unit tests of a policy tree (`governance policy test`).

Every rule named `test_*` in the package of a `*_test.rego` file is one test; it passes when it
evaluates to exactly `true` (empty input). Two strategies, because the embedded engines differ:

- "direct" (regorus, and what OPA does): each test rule is evaluated as written. Decision tests
  read `test_x if harness.passes(cases.test_x)`, where `harness.passes` evaluates the decision
  `with data.governance.lib.ctx.doc as case.input` and checks `fixtures.verdict`.
- "tree" (OPA): the same assertions as "direct", evaluated as one document per top-level test
  package (`data.tests`): the embedded OPA compiles the whole tree for every distinct query
  (about a second each), so one query per test would take minutes. A test that is undefined
  is absent from the document (it fails); when the document cannot be evaluated (a test
  raises an error), each test is evaluated on its own so the error lands on its test.
- "package" (regorus, for a hot reload): the same assertions as "tree", one document per test
  package. regorus memoises what the tests of one package share within one evaluation, so
  this takes about a third of "direct", while one query still holds the interpreter for one
  package only. A package whose document cannot be evaluated has its tests evaluated one by
  one, as in "direct".
- "lift" (regopy): rego-cpp 1.5.2 spends seconds and gigabytes on every query once any module
  using `with` is loaded, and `with input as {...}` crashes it. The runner loads the tree
  without the case tests and without any module that uses `with`, then for each case test
  sets the case's input as the input document and evaluates
  `fixtures.verdict(<expectations>, data.governance.main.decision)`: the same assertion on the
  same input, without `with`. Other tests are evaluated as written (they must not use `with`).

`with input as {...}` is refused on every engine so the suite stays runnable on both."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

from governance.domain.snapshot import RegoEvaluator
from governance.policy.evaluator import make_evaluator
from governance.policy.source import PolicySource

STRATEGIES = {"regorus": "direct", "regopy": "lift", "opa": "tree"}
VERDICT = "data.tests.fixtures.verdict"
DECISION = "data.governance.main.decision"

_PACKAGE = re.compile(r"^package\s+([A-Za-z_][\w.]*)", re.MULTILINE)
_TEST_RULE = re.compile(r"^(test_\w+)\s*(?:if\b|:=|=|\{|contains\b)")
_WHOLE_INPUT = re.compile(r"\bwith\s+input\s+as\b")
_WITH = re.compile(r"\bwith\s+[\w.\[\]\"]+\s+as\b")
_CASE = re.compile(r"harness\.passes\(\s*cases(?:\.(\w+)|\[\"([^\"]+)\"\])\s*\)")
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
    end: int  # line after the rule's text

    @property
    def rule(self) -> str:
        return f"data.{self.package}.{self.name}"

    @property
    def case_key(self) -> str | None:
        """The key of `cases` this test checks through the harness, if it is a case test."""
        match = _CASE.search(self.body)
        return None if match is None else (match.group(1) or match.group(2))


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
            end = _rule_end(lines, index)
            body = "\n".join(lines[index:end])
            cases.append(TestCase(rule.group(1), package, file, index + 1, body, end))
    return cases


def _rule_end(lines: list[str], start: int) -> int:
    """The line after the rule starting at `start`: the next line at column 0 that starts
    another statement."""
    end = start + 1
    while end < len(lines) and (
        not lines[end] or lines[end][0] in " \t}" or lines[end].startswith("else")
    ):
        end += 1
    return end


def _uses_with(text: str) -> bool:
    code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    return _WITH.search(code) is not None


def lifted_source(source: PolicySource, cases: list[TestCase]) -> tuple[PolicySource, set[str]]:
    """The tree for the lift strategy: case tests removed from their modules, and test modules
    that still use `with` left out. Returns the source and the files left out."""
    by_file: dict[str, list[TestCase]] = {}
    for case in cases:
        if case.case_key is not None:
            by_file.setdefault(case.file, []).append(case)
    tests: list[tuple[str, str]] = []
    dropped: set[str] = set()
    for file, text in source.tests:
        lines = text.splitlines()
        for case in by_file.get(file, []):
            for i in range(case.line - 1, case.end):
                lines[i] = ""
        kept = "\n".join(lines) + "\n"
        if _uses_with(kept):
            dropped.add(file)
        else:
            tests.append((file, kept))
    lifted = PolicySource(source.root, source.modules, tuple(tests), source.data, source.revision)
    return lifted, dropped


def run_tests(
    source: PolicySource,
    engine: str,
    *,
    match: str | None = None,
    strategy: str | None = None,
    packages: frozenset[str] | None = None,
) -> list[TestResult]:
    """Evaluates every discovered test (optionally only those whose `data.<pkg>.<name>`
    contains `match`, and only those of `packages`) on `engine`
    (governance/policy/evaluator.py). `strategy` ("direct", "tree", "package" or "lift")
    defaults to the engine's (see the module doc)."""
    all_cases = discover(source)
    cases = [
        c
        for c in all_cases
        if (match is None or match in c.rule) and (packages is None or c.package in packages)
    ]
    strategy = strategy or STRATEGIES.get(engine, "direct")
    if strategy not in ("direct", "tree", "package", "lift"):
        raise ValueError(f"unknown test strategy {strategy!r}")
    dropped: set[str] = set()
    if strategy == "lift":
        source, dropped = lifted_source(source, all_cases)
    try:
        evaluator = make_evaluator(engine, source, with_tests=True)
    except Exception as exc:  # a module that does not load fails every test
        load_error = "load: " + _squash(str(exc))[:300]
        return [TestResult(c.name, c.package, c.file, False, load_error) for c in cases]
    case_docs: dict[str, Any] = {}
    tree = _tree_values(evaluator, cases) if strategy == "tree" else None
    documents = _package_values(evaluator, cases) if strategy == "package" else {}
    results: list[TestResult] = []
    for case in cases:
        started = time.perf_counter()
        passed: bool = False
        error: str | None = None
        try:
            if _WHOLE_INPUT.search(case.body):
                error = WHOLE_INPUT_ERROR
            elif tree is not None:
                passed = _in_tree(tree, case)
            elif case.package in documents:
                document = documents[case.package]
                passed = isinstance(document, dict) and document.get(case.name) is True
            elif strategy == "lift" and case.case_key is not None:
                passed = _lifted_case(evaluator, case, case_docs)
            elif strategy == "lift" and case.file in dropped:
                error = f"{case.file} uses `with`, which this engine cannot load; write a case"
            else:
                passed = evaluator.eval_json(case.rule, "{}") is True
        except Exception as exc:
            message = str(exc)
            # regopy reports an undefined test (a failed assertion) as an exception
            if "is undefined" not in message:
                error = _squash(message)[:500]
        elapsed = (time.perf_counter() - started) * 1000
        results.append(TestResult(case.name, case.package, case.file, passed, error, elapsed))
    return results


def _tree_values(evaluator: RegoEvaluator, cases: list[TestCase]) -> dict[str, Any] | None:
    """The documents of the top-level packages holding the tests, or None when one of them
    cannot be evaluated (the runner then evaluates test by test)."""
    packages = {case.package for case in cases}
    if len(packages) > 3:  # one query for the whole test tree costs less than many
        packages = {package.split(".", 1)[0] for package in packages}
    values: dict[str, Any] = {}
    for root in sorted(packages):
        try:
            defined, value = evaluator.query(f"data.{root}", "{}")
        except Exception:
            return None
        node = values
        *parents, last = root.split(".")
        for segment in parents:
            node = node.setdefault(segment, {})
        node[last] = value if defined else {}
    return values


def _package_values(evaluator: RegoEvaluator, cases: list[TestCase]) -> dict[str, Any]:
    """The document of each package holding tests; a package that cannot be evaluated is left
    out (its tests are then evaluated one by one)."""
    values: dict[str, Any] = {}
    for package in sorted({case.package for case in cases}):
        try:
            defined, value = evaluator.query(f"data.{package}", "{}")
        except Exception:
            continue
        values[package] = value if defined else {}
    return values


def _in_tree(tree: dict[str, Any], case: TestCase) -> bool:
    node: Any = tree
    for segment in [*case.package.split("."), case.name]:
        if not isinstance(node, dict) or segment not in node:
            return False
        node = node[segment]
    return node is True


def _lifted_case(evaluator: RegoEvaluator, case: TestCase, case_docs: dict[str, Any]) -> bool:
    if case.package not in case_docs:
        case_docs[case.package] = evaluator.eval_json(f"data.{case.package}.cases", "{}")
    docs = case_docs[case.package]
    doc = docs.get(case.case_key) if isinstance(docs, dict) else None
    if not isinstance(doc, dict) or "input" not in doc:
        raise ValueError(f"cases.{case.case_key} is not a test case with an input")
    expectations = {k: v for k, v in doc.items() if k != "input"}
    query = f"{VERDICT}({json.dumps(expectations)}, {DECISION})"
    try:
        holds = evaluator.eval_json(query, json.dumps(doc["input"])) is True
    except Exception as exc:
        if "is undefined" not in str(exc):
            raise
        holds = False
    return holds != (doc.get("fails") is True)


def _squash(text: str) -> str:
    return " ".join(text.split())


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

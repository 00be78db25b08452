"""Every rule of the tree is pinned by a test: deleting any one rule (one definition of `deny`,
`report`, `redact` or `require_travel_rule` in a jurisdiction package or the baseline, the
rules docs/policies.md lists) makes at least one Rego test fail.

Each deletion reruns on regorus the tests of the rule's own jurisdiction, then those of lib/,
then the whole suite, stopping at the first failure, which keeps the sweep to about a minute."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from governance.policy.rego_test import format_results, run_tests
from governance.policy.source import PolicySource, load_policy_source

POLICIES = Path(__file__).resolve().parents[2] / "policies"
_RULE_HEAD = re.compile(r"^(deny|report|redact)\s+contains\b|^require_travel_rule\s+if\b")


@dataclass(frozen=True)
class Rule:
    file: str
    line: int  # 1-based first line
    end: int  # 0-based index of the line after the rule

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


def _statement_end(lines: list[str], start: int) -> int:
    end = start + 1
    while end < len(lines) and (
        not lines[end] or lines[end][0] in " \t})]" or lines[end].startswith("else")
    ):
        end += 1
    return end


def _rules(source: PolicySource) -> list[Rule]:
    found: list[Rule] = []
    for file, text in source.modules:
        if not (file.startswith("jurisdictions/") or file == "lib/baseline.rego"):
            continue
        lines = text.splitlines()
        for index, line in enumerate(lines):
            if _RULE_HEAD.match(line):
                found.append(Rule(file, index + 1, _statement_end(lines, index)))
    return found


def _without(source: PolicySource, rule: Rule) -> PolicySource:
    modules = []
    for file, text in source.modules:
        if file == rule.file:
            lines = text.splitlines()
            del lines[rule.line - 1 : rule.end]
            text = "\n".join(lines) + "\n"
        modules.append((file, text))
    return PolicySource(source.root, tuple(modules), source.tests, source.data, source.revision)


def _tests_of(rule: Rule) -> str:
    parts = rule.file.split("/")
    if parts[0] == "jurisdictions":
        return f"tests.jurisdictions.{parts[1]}."
    return "tests.lib."


_SOURCE = load_policy_source(POLICIES)
RULES = _rules(_SOURCE)


def test_the_sweep_finds_the_rules() -> None:
    files = {rule.file for rule in RULES}
    assert "lib/baseline.rego" in files
    for code in ("us", "eu", "cn", "uk", "sg", "hk", "jp", "ch", "ae"):
        assert f"jurisdictions/{code}/supervision.rego" in files, code
    assert len(RULES) > 60


@pytest.mark.parametrize("rule", RULES, ids=str)
def test_deleting_the_rule_fails_a_test(rule: Rule) -> None:
    mutated = _without(_SOURCE, rule)
    for match in (_tests_of(rule), "tests.lib.", None):
        results = run_tests(mutated, "regorus", match=match)
        if not all(r.passed for r in results):
            break
    assert not any(r.error and r.error.startswith("load:") for r in results), format_results(
        results
    )
    failed = [r for r in results if not r.passed]
    assert failed, f"deleting {rule} fails none of the {len(results)} Rego tests"

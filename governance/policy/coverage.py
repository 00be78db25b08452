"""Which rules of a policy tree the Rego tests exercise (`governance policy test --coverage`),
and which rules one decision fired (`governance decide --explain`), from OPA's coverage report
and evaluation trace. OPA marks a rule's head covered when the rule produced a value."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from governance.policy.engine_opa import OpaEvaluator
from governance.policy.source import DECISION_RULE, PolicySource

# A rule (or function) definition starts at column 0 with its name; `else` continues one.
_RULE_HEAD = re.compile(r"^(?!package\b|import\b|default\b|else\b)([a-z_][A-Za-z0-9_]*)\b")
_LOCATION = re.compile(r"^(?P<file>[^:]+\.rego):(?P<row>\d+)$")
# The rules whose values make up a decision: what an officer asks about when one fires.
DECISION_PARTS = ("deny", "redact", "report", "require_travel_rule", "mask")


@dataclass(frozen=True)
class Rule:
    file: str
    row: int
    name: str
    text: str  # the first line of its definition

    def __str__(self) -> str:
        return f"{self.file}:{self.row}: {self.text}"


@dataclass(frozen=True)
class FileCoverage:
    file: str
    rules: tuple[Rule, ...]
    uncovered: tuple[Rule, ...]

    @property
    def covered(self) -> int:
        return len(self.rules) - len(self.uncovered)


def rules_of(file: str, text: str) -> list[Rule]:
    rules = []
    for row, line in enumerate(text.splitlines(), start=1):
        match = _RULE_HEAD.match(line)
        if match is not None:
            rules.append(Rule(file, row, match.group(1), line.strip()[:120]))
    return rules


def _covered_rows(report: dict[str, Any], file: str) -> set[int]:
    entry = report.get("files", {}).get(file, {})
    rows: set[int] = set()
    for span in entry.get("covered", []):
        rows.update(range(span["start"]["row"], span["end"]["row"] + 1))
    return rows


def rule_coverage(source: PolicySource) -> list[FileCoverage]:
    """Per policy module (tests left out), its rules and those no test made produce a value.
    Runs every Rego test once on OPA, as one query over the test packages."""
    evaluator = OpaEvaluator(source, with_tests=True)
    try:
        roots = sorted({_package_root(text) for _, text in source.tests} - {""})
        report: dict[str, Any] = {"files": {}}
        for root in roots:
            found = evaluator.coverage(f"data.{root}", "{}")
            _merge(report, found)
    finally:
        evaluator.close()
    out = []
    for file, text in source.modules:
        rules = rules_of(file, text)
        rows = _covered_rows(report, file)
        uncovered = tuple(r for r in rules if r.row not in rows)
        out.append(FileCoverage(file, tuple(rules), uncovered))
    return out


def _package_root(text: str) -> str:
    match = re.search(r"^package\s+([A-Za-z_]\w*)", text, re.MULTILINE)
    return match.group(1) if match else ""


def _merge(report: dict[str, Any], found: dict[str, Any]) -> None:
    for file, entry in found.get("files", {}).items():
        target = report["files"].setdefault(file, {"covered": []})
        target["covered"].extend(entry.get("covered", []))


def fired_rules(source: PolicySource, input_json: str) -> list[Rule]:
    """The decision parts (deny, redact, report, ...) that produced a value for this input,
    in the order OPA evaluated them."""
    evaluator = OpaEvaluator(source)
    try:
        events = evaluator.trace(DECISION_RULE, input_json)
    finally:
        evaluator.close()
    heads = {(r.file, r.row): r for file, text in source.modules for r in rules_of(file, text)}
    fired: list[Rule] = []
    for event in events:
        match = _LOCATION.match(str(event.get("location", "")))
        if event.get("op") != "Exit" or match is None:
            continue
        rule = heads.get((match["file"], int(match["row"])))
        if rule is not None and rule.name in DECISION_PARTS and rule not in fired:
            fired.append(rule)
    return fired

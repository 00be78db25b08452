"""The Rego test suite of the shipped policy tree, on every engine of --rego-engines (regorus
and OPA by default): every test passes on each."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from governance.policy.rego_test import (
    WHOLE_INPUT_ERROR,
    TestResult,
    discover,
    format_results,
    run_tests,
)
from governance.policy.source import PolicySource, load_policy_source

POLICIES = Path(__file__).resolve().parents[2] / "policies"
_RESULTS: dict[str, list[TestResult]] = {}


@pytest.fixture(scope="module")
def source() -> PolicySource:
    return load_policy_source(POLICIES)


def _results(source: PolicySource, engine: str) -> list[TestResult]:
    if engine not in _RESULTS:
        _RESULTS[engine] = run_tests(source, engine)
    return _RESULTS[engine]


def test_every_rego_test_passes(source: PolicySource, rego_engine: str) -> None:
    results = _results(source, rego_engine)
    assert results, "no Rego tests found"
    failed = [r for r in results if not r.passed]
    assert not failed, format_results(failed)


def test_every_engine_runs_the_same_tests(
    source: PolicySource, rego_engines: tuple[str, ...]
) -> None:
    names = {engine: sorted(r.rule for r in _results(source, engine)) for engine in rego_engines}
    assert len(discover(source)) > 100
    for engine in rego_engines:
        assert names[engine] == sorted(c.rule for c in discover(source)), engine


def test_every_jurisdiction_has_tests(source: PolicySource) -> None:
    packages = {case.package for case in discover(source)}
    for code in ("cn", "eu", "us", "uk", "sg", "hk", "jp", "ch", "ae"):
        assert f"tests.jurisdictions.{code}.supervision" in packages, code


def _copy_with(tmp_path: Path, name: str, text: str) -> PolicySource:
    root = tmp_path / "policies"
    shutil.copytree(POLICIES, root)
    (root / name).write_text(text, encoding="utf-8")
    return load_policy_source(root)


def test_whole_input_mocking_is_refused_not_run(tmp_path: Path, rego_engine: str) -> None:
    # `with input as` would crash regopy; the runner reports it instead of evaluating it
    text = (
        "package tests.extra\n\nimport rego.v1\n\n"
        "test_whole_input if {\n"
        '\tdata.governance.main.decision.allow with input as {"request": {"kind": "read"}}\n}\n'
    )
    source = _copy_with(tmp_path, "lib/extra_test.rego", text)
    results = run_tests(source, rego_engine, match="tests.extra")
    assert [(r.name, r.passed, r.error) for r in results] == [
        ("test_whole_input", False, WHOLE_INPUT_ERROR)
    ]


def test_failing_case_is_reported(tmp_path: Path, rego_engine: str) -> None:
    text = (
        "package tests.extra\n\nimport rego.v1\n\nimport data.tests.harness\n\n"
        'cases := {"test_wrong": {"input": {}, "allow": true}}\n\n'
        "test_wrong if harness.passes(cases.test_wrong)\n\n"
        "test_plain if 1 == 1\n"
    )
    source = _copy_with(tmp_path, "lib/extra_test.rego", text)
    results = {r.name: r for r in run_tests(source, rego_engine, match="tests.extra")}
    assert results["test_plain"].passed
    assert not results["test_wrong"].passed
    assert results["test_wrong"].error is None

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


def test_package_strategy_agrees_with_direct(tmp_path: Path) -> None:
    """The hot reload runs regorus one package at a time (strategy "package"): on a tree whose
    rates fail some tests, and with a test that errors and one that is undefined, every test
    passes or fails exactly as when evaluated one by one."""
    text = (
        "package tests.extra\n\nimport rego.v1\n\n"
        "test_plain if 1 == 1\n\n"
        'test_errors if to_number("not a number") == 1\n\n'
        "test_undefined if data.nothing.here\n"
    )
    _copy_with(tmp_path, "lib/extra_test.rego", text)
    rates = tmp_path / "policies" / "data" / "rates.json"
    rates.write_text(rates.read_text().replace('"USD": 1.0', '"USD": 10.0'), encoding="utf-8")
    source = load_policy_source(tmp_path / "policies")
    direct = {r.rule: r.passed for r in run_tests(source, "regorus", strategy="direct")}
    package = {r.rule: r.passed for r in run_tests(source, "regorus", strategy="package")}
    assert package == direct
    failed = sorted(rule for rule, passed in direct.items() if not passed)
    assert "data.tests.extra.test_errors" in failed and "data.tests.extra.test_undefined" in failed
    assert len(failed) > 5, failed  # the rates broke tests outside tests.extra too
    assert package["data.tests.extra.test_plain"]

"""The `governance` command as an officer or integrator uses it, run as a real subprocess."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jwt

from tests.conftest import ROOT, SECRET


def governance(
    *args: str, env: dict[str, str] | None = None, clean: bool = False
) -> subprocess.CompletedProcess[str]:
    """Runs the command with `env` over this process's environment (`clean`: without its
    GOVERNANCE_* variables, as on a machine where nothing is configured)."""
    inherited = {k: v for k, v in os.environ.items() if not (clean and k.startswith("GOVERNANCE_"))}
    full_env = {**inherited, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "governance.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=full_env,
    )


def test_token_mints_claims_the_gateway_accepts() -> None:
    out = governance(
        "token",
        "--sub",
        "alice",
        "--org",
        "acme-us",
        "--jurisdiction",
        "US",
        "--roles",
        "trader,auditor",
        "--kyc",
        "pending",
        "--entity-kind",
        "individual",
        "--ttl",
        "120",
        env={"GOVERNANCE_JWT_SECRET": SECRET},
    )
    assert out.returncode == 0, out.stderr
    claims = jwt.decode(out.stdout.strip(), SECRET, algorithms=["HS256"])
    assert claims["sub"] == "alice" and claims["roles"] == ["trader", "auditor"]
    assert claims["kyc"] == "pending" and claims["entity_kind"] == "individual"
    assert claims["exp"] > 0


def test_token_refuses_bad_values_and_missing_secret() -> None:
    bad = governance(
        "token",
        "--sub",
        "a",
        "--org",
        "o",
        "--jurisdiction",
        "usa",
        env={"GOVERNANCE_JWT_SECRET": SECRET},
    )
    assert bad.returncode == 2 and bad.stderr.startswith("error: invalid jurisdiction 'usa'")
    missing = governance("token", "--sub", "a", "--org", "o", "--jurisdiction", "US", clean=True)
    assert missing.returncode == 2 and "auth.jwt_secret" in missing.stderr


def test_decide_prints_decision_and_explains(tmp_path: Path) -> None:
    doc = json.loads((ROOT / "tests" / "perf" / "sample_input.json").read_text())
    doc["subject"]["kyc"] = "pending"
    path = tmp_path / "input.json"
    path.write_text(json.dumps({"input": doc}))
    out = governance("decide", str(path), "--policy", str(ROOT / "policies"))
    assert out.returncode == 1  # denied
    decision = json.loads(out.stdout)
    codes = {r["code"] for r in decision["reasons"]}
    assert "KYC_REQUIRED" in codes and decision["allow"] is False
    assert "jurisdictions applied: DE, EU, US" in out.stderr
    assert "DENY KYC_REQUIRED" in out.stderr


def test_decide_reports_unreadable_input(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{")
    out = governance("decide", str(path), "--policy", str(ROOT / "policies"))
    assert out.returncode == 2 and "cannot read input document" in out.stderr


def test_bad_config_names_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "governance.toml"
    cfg.write_text('[auth]\njwt_secret = "0123456789abcdef"\n[policy]\nengine = "nope"\n')
    out = governance("serve", "--config", str(cfg))
    assert out.returncode == 2 and "policy.engine" in out.stderr


def test_decide_needs_no_auth_configuration(tmp_path: Path) -> None:
    """An officer trying a document has no gateway secrets: neither env nor [auth]."""
    config = tmp_path / "governance.toml"
    config.write_text(f'[policy]\npath = "{ROOT / "policies"}"\n')
    path = tmp_path / "input.json"
    path.write_text((ROOT / "tests" / "perf" / "sample_input.json").read_text())
    out = governance("decide", str(path), "--config", str(config), clean=True)
    assert out.returncode in (0, 1), out.stderr
    assert "auth" not in out.stderr and "allow" in json.loads(out.stdout)


def test_serve_refuses_example_and_short_secrets_unless_dev(tmp_path: Path) -> None:
    cfg = tmp_path / "governance.toml"
    cfg.write_text('[policy]\npath = "no-such-policy-dir"\n')
    for secret, why in (
        ("dev-only-secret-change-me-0123456789", "example or placeholder"),
        ("0123456789abcdef0123456789", "shorter than 32 bytes"),
    ):
        with_secret = {"GOVERNANCE_JWT_SECRET": secret}
        out = governance("serve", "--config", str(cfg), env=with_secret, clean=True)
        assert out.returncode == 2 and why in out.stderr and "--dev" in out.stderr, out.stderr
        dev = governance("serve", "--dev", "--config", str(cfg), env=with_secret, clean=True)
        # Past the secret check: it stops at the missing policy directory instead.
        assert dev.returncode != 0 and why not in dev.stderr and "no-such-policy-dir" in dev.stderr


# ---- policy commands -----------------------------------------------------------------------

UNKNOWN_CODE = '\ndeny contains reasons.make("NO_SUCH_CODE", J, "x") if travel.required(J)\n'


def test_policy_check_passes_the_shipped_tree_and_names_a_problem(tmp_path: Path) -> None:
    ok = governance("policy", "check", "policies")
    assert (ok.returncode, ok.stdout) == (0, "policies OK\n"), ok.stderr
    tree = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", tree)
    path = tree / "jurisdictions/jp/supervision.rego"
    path.write_text(path.read_text() + UNKNOWN_CODE)
    line = len(path.read_text().splitlines())
    bad = governance("policy", "check", str(tree), "--docs", str(ROOT / "docs"))
    assert bad.returncode == 1
    assert bad.stdout.splitlines() == [
        f"jurisdictions/jp/supervision.rego:{line}: unknown reason code NO_SUCH_CODE "
        "(not in lib/reasons.rego)"
    ]
    assert bad.stderr == "1 problem(s)\n"
    undocumented = governance("policy", "check", str(tree))  # PATH/../docs does not exist
    assert undocumented.returncode == 1 and "docs/policies.md" in undocumented.stdout


def test_policy_test_runs_the_selected_tests_and_fails_a_failing_one(tmp_path: Path) -> None:
    ok = governance("policy", "test", "policies", "--run", "test_cn_fx_quota", "-v")
    lines = ok.stdout.splitlines()
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert len(lines) > 1 and lines[-1] == f"{len(lines) - 1} passed, 0 failed"
    assert all(
        x.startswith(("PASS [regorus] ", "PASS [opa] ")) and "test_cn_fx_quota" in x
        for x in lines[:-1]
    )
    assert {x.split("]")[0] for x in lines[:-1]} == {"PASS [regorus", "PASS [opa"}
    tree = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", tree)
    path = tree / "governance/main_test.rego"
    path.write_text(path.read_text() + "\ntest_cli_sees_this_fail if 1 == 2\n")
    bad = governance("policy", "test", str(tree), "--engine", "all", "--run", "this_fail")
    assert bad.returncode == 1
    assert bad.stdout.splitlines() == [
        f"FAIL [{engine}] tests.main.test_cli_sees_this_fail (governance/main_test.rego)"
        for engine in ("regorus", "opa")
    ] + ["0 passed, 2 failed"]
    nothing = governance("policy", "test", "policies", "--run", "no_test_is_named_this")
    assert (nothing.returncode, nothing.stdout) == (1, "0 passed, 0 failed\n")


def kyc_pending_input(tmp_path: Path) -> Path:
    """The sample input with the caller's KYC pending and no travel-rule payload (two
    denials, of the baseline and of the EU), as a file."""
    doc = json.loads((ROOT / "tests" / "perf" / "sample_input.json").read_text())
    doc["subject"]["kyc"] = "pending"
    doc["travel_rule"] = None
    path = tmp_path / "input.json"
    path.write_text(json.dumps(doc))
    return path


def test_decide_json_prints_only_the_decision(tmp_path: Path) -> None:
    path = kyc_pending_input(tmp_path)
    out = governance("decide", str(path), "--policy", str(ROOT / "policies"), "--json")
    assert out.returncode == 1, out.stderr
    decision = json.loads(out.stdout)
    assert decision["allow"] is False
    assert "KYC_REQUIRED" in {r["code"] for r in decision["reasons"]}
    assert out.stderr == ""


def test_decide_explain_names_the_rules_that_fired(tmp_path: Path) -> None:
    path = kyc_pending_input(tmp_path)
    out = governance("decide", str(path), "--policy", str(ROOT / "policies"), "--explain")
    assert out.returncode == 1, out.stderr
    fired = out.stderr.split("rules that fired", 1)[1]
    # the caller's KYC rule of the baseline, and the EU travel rule (a US -> DE write)
    assert "lib/baseline.rego:" in fired and 'deny contains reason("KYC_REQUIRED"' in fired
    assert "jurisdictions/eu/supervision.rego:" in fired and "TRAVEL_RULE_MISSING" in fired
    assert "lib/counterparty.rego" not in fired  # a known recipient: no counterparty rule


def test_policy_test_coverage_lists_rules_no_test_covers(tmp_path: Path) -> None:
    root = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", root)
    extra = "package governance.lib.extra\n\nimport rego.v1\n\nnever_tested if input.x == 1\n"
    (root / "lib" / "extra.rego").write_text(extra)
    out = governance("policy", "test", str(root), "--engine", "opa", "--coverage")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "lib/extra.rego: 0/1" in out.stdout
    assert "not covered: lib/extra.rego:5: never_tested if input.x == 1" in out.stdout
    assert "jurisdictions/cn/supervision.rego: 11/11" in out.stdout
    # docs/policies.md names every rule of the shipped tree that no test covers
    docs = (ROOT / "docs" / "policies.md").read_text()
    listed = docs.split("## Rule coverage", 1)[1].split("\n## ", 1)[0]
    uncovered = re.findall(r"not covered: (\S+?):\d+: (\w+)", out.stdout)
    assert ("lib/extra.rego", "never_tested") in uncovered
    for file, name in uncovered:
        if file != "lib/extra.rego":
            assert f"`{file}:" in listed and f"`{name}" in listed, (file, name)

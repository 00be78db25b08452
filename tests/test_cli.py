"""The `governance` command as an officer or integrator uses it, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jwt

from tests.conftest import ROOT, SECRET


def governance(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
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
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVERNANCE_")}
    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "governance.cli",
            "token",
            "--sub",
            "a",
            "--org",
            "o",
            "--jurisdiction",
            "US",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
    )
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
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVERNANCE_")}
    out = subprocess.run(
        [sys.executable, "-m", "governance.cli", "decide", str(path), "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode in (0, 1), out.stderr
    assert "auth" not in out.stderr and "allow" in json.loads(out.stdout)


def test_serve_refuses_example_and_short_secrets_unless_dev(tmp_path: Path) -> None:
    cfg = tmp_path / "governance.toml"
    cfg.write_text('[policy]\npath = "no-such-policy-dir"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVERNANCE_")}
    for secret, why in (
        ("dev-only-secret-change-me-0123456789", "example or placeholder"),
        ("0123456789abcdef0123456789", "shorter than 32 bytes"),
    ):
        with_secret = {**env, "GOVERNANCE_JWT_SECRET": secret}
        out = governance("serve", "--config", str(cfg), env=with_secret)
        assert out.returncode == 2 and why in out.stderr and "--dev" in out.stderr, out.stderr
        dev = governance("serve", "--dev", "--config", str(cfg), env=with_secret)
        # Past the secret check: it stops at the missing policy directory instead.
        assert dev.returncode != 0 and why not in dev.stderr and "no-such-policy-dir" in dev.stderr

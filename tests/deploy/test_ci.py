"""CI runs the style and type checks, not only the tests, and stops at the first failure."""

from __future__ import annotations

from pathlib import Path

CI = Path(__file__).resolve().parents[2] / ".ci" / "run"
CHECKS = (
    ".venv/bin/ruff check governance tests",
    ".venv/bin/ruff format --check governance tests",
    ".venv/bin/mypy --strict governance",
)


def _commands() -> list[str]:
    lines = CI.read_text(encoding="utf-8").splitlines()
    return [line.split("#", 1)[0].strip() for line in lines if line.strip()[:1] not in ("", "#")]


def test_ci_runs_the_checks_before_the_tests() -> None:
    commands = _commands()
    assert "set -euo pipefail" in commands
    setup, tests = commands.index("scripts/setup"), commands.index("exec scripts/test -q")
    for check in CHECKS:
        assert setup < commands.index(check) < tests, check

"""The embedded Rego engines behind one port (`RegoEvaluator`, governance/domain/snapshot.py):
the configured name picks the adapter, and every adapter reports a policy that does not compile,
or a query that fails, as a `RegoError` carrying the file and line the engine names.

- "regorus" (governance/policy/engine_regorus.py): the default, measured fastest (tests/perf);
- "opa" (engine_opa.py): OPA itself, embedded as a Go library; the reference the other engines
  are held to (tests/policy run every decision on both);
- "regopy" (engine_regopy.py): rego-cpp, selectable, not in the default test run (slow)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from governance.domain.snapshot import RegoEvaluator
from governance.policy.source import PolicySource

ENGINES = ("regorus", "opa", "regopy")
# The engines every decision and Rego test runs on in the default test run; they must agree.
CONFORMANCE_ENGINES = ("regorus", "opa")

_REGORUS_AT = re.compile(r"-->\s*(?P<file>[^\n]*?):(?P<row>\d+):(?P<col>\d+)")
_REGORUS_MSG = re.compile(r"^error:\s*(.+)$", re.MULTILINE)
_OPA_ERROR = re.compile(
    r"(?P<file>[^\s:]+):(?P<row>\d+): (?P<code>rego_\w+): (?P<message>[^\n]*(?:\n\t[^\n]*)*)"
)


@dataclass(frozen=True)
class RegoProblem:
    """One error as OPA's REST API reports it: code, message and, when known, where."""

    code: str  # rego_parse_error, rego_compile_error, rego_type_error, ...
    message: str
    file: str = ""
    row: int = 0
    col: int = 0

    def __str__(self) -> str:
        where = f"{self.file}:{self.row}: " if self.file else ""
        return f"{where}{self.message}"


class RegoError(Exception):
    """A policy that does not compile, or an evaluation the engine refused."""

    def __init__(self, problems: Iterable[RegoProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class RegoUndefined(RegoError):
    """The queried rule has no value for this input."""

    def __init__(self, rule: str) -> None:
        super().__init__((RegoProblem("undefined", f"rule {rule} is undefined"),))


def defined_value(rule: str, answer: tuple[bool, Any]) -> Any:
    """The value of a `query` answer; RegoUndefined when `rule` has none."""
    defined, value = answer
    if not defined:
        raise RegoUndefined(rule)
    return value


def regorus_problem(text: str, default_file: str = "") -> RegoProblem:
    """regorus's error text (a caret diagnostic and a native stack trace) as one problem."""
    text = text.split("Stack backtrace:", 1)[0].strip()
    found = _REGORUS_MSG.search(text)
    message = found.group(1).strip() if found else " ".join(text.split())[:2000]
    code = "rego_parse_error" if "expect" in message else "rego_compile_error"
    at = _REGORUS_AT.search(text)
    if at is None:
        return RegoProblem(code, message, default_file)
    return RegoProblem(code, message, at["file"], int(at["row"]), int(at["col"]))


def opa_problems(text: str) -> tuple[RegoProblem, ...]:
    """OPA's "N errors occurred: file:row: code: message" as problems (one when unparsed)."""
    found = [
        RegoProblem(m["code"], m["message"].split("\n", 1)[0], m["file"], int(m["row"]))
        for m in _OPA_ERROR.finditer(text)
    ]
    return tuple(found) or (RegoProblem("rego_compile_error", text.strip()[:2000]),)


def make_evaluator(
    name: str, source: PolicySource, *, with_tests: bool = False, by_shape: bool = False
) -> RegoEvaluator:
    """Explicit factory: the configured engine name picks the adapter. Compiles now, so a
    broken policy fails here (RegoError), not on its first decision. `by_shape`: for the
    gateway's decisions, with the module that memoises the input's validation
    (governance/policy/input_shape.py), where the engine can take it."""
    if name == "regorus":
        from governance.policy.engine_regorus import RegorusEvaluator

        return RegorusEvaluator(source, with_tests=with_tests, by_shape=by_shape)
    if name == "opa":
        from governance.policy.engine_opa import OpaEvaluator

        return OpaEvaluator(source, with_tests=with_tests, by_shape=by_shape)
    if name == "regopy":
        from governance.policy.engine_regopy import RegopyEvaluator

        return RegopyEvaluator(source, with_tests=with_tests)
    raise ValueError(f"unknown policy engine {name!r}; expected one of {', '.join(ENGINES)}")


def opa_available() -> bool:
    """The OPA library is installed by scripts/setup (see docs/configuration.md)."""
    try:
        import opa_bindings  # noqa: F401
    except (ImportError, OSError):
        return False
    return True

"""The regopy (rego-cpp) adapter of the RegoEvaluator port: selectable, and a second opinion
in tests, but slow once a module uses `with` (see governance/policy/rego_test.py)."""

from __future__ import annotations

import json
import threading
from typing import Any

from governance.policy.evaluator import RegoError, RegoProblem, defined_value
from governance.policy.source import PolicySource


class RegopyEvaluator:
    name = "regopy"
    # rego-cpp spends seconds on every query once a loaded module uses `with`
    # (docs/policies.md, "Writing portable Rego"): no shape module here
    validates_by_shape = False

    def __init__(self, source: PolicySource, *, with_tests: bool = False) -> None:
        import regopy

        self._interpreter = regopy.Interpreter()
        for name, text in source.modules + (source.tests if with_tests else ()):
            self._interpreter.add_module(name, text)
        self._interpreter.add_data_json(source.data_json)
        self._lock = threading.Lock()

    def eval_json(self, rule: str, input_json: str) -> Any:
        return defined_value(rule, self.query(rule, input_json))

    def query(self, ref: str, input_json: str) -> tuple[bool, Any]:
        with self._lock:
            self._interpreter.set_input_term(input_json)
            output = self._interpreter.query(ref)
        text = str(output)
        if text == "undefined":
            return False, None
        if not output.ok():
            # reported as undefined, as rego-cpp reports a failed assertion in a test
            message = f"rule {ref} is undefined: {text[:200]}"
            raise RegoError((RegoProblem("rego_compile_error", message),))
        return True, json.loads(text)["expressions"][0]

"""The OPA adapter of the RegoEvaluator port: OPA's own Go evaluator, embedded through the
`opa-golib-python-bindings` library (installed by scripts/setup; docs/configuration.md says
why outside the package's dependencies). One engine serves every thread (the library
serialises evaluations on it) and keeps each distinct query prepared, so the fixed decision
rule is compiled once per revision."""

from __future__ import annotations

import re
from typing import Any

import orjson

from governance.policy.evaluator import RegoError, defined_value, opa_problems
from governance.policy.input_shape import shape_modules
from governance.policy.source import PolicySource

_PLAIN_REF = re.compile(r"data(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_VAR = "query_value"


class OpaEvaluator:
    name = "opa"

    def __init__(
        self, source: PolicySource, *, with_tests: bool = False, by_shape: bool = False
    ) -> None:
        from opa_bindings import OpaEngine

        self._engine = OpaEngine()
        shapes = shape_modules(source.modules) if by_shape else ()
        self.validates_by_shape = bool(shapes)
        self._engine.print_handler = _ignore_print  # print() in a policy never reaches stdout
        for module, text in (*source.modules, *shapes, *(source.tests if with_tests else ())):
            self._call(self._engine.add_policy, module, text)
        self._call(self._engine.add_data, dict(source.data))
        self._call(self._engine.eval_query, "true")  # OPA compiles every module here

    def _call(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        from opa_bindings import OpaError, OpaUndefinedError

        try:
            return method(*args, **kwargs)
        except OpaUndefinedError:
            raise
        except OpaError as exc:
            raise RegoError(opa_problems(exc.message)) from None

    def eval_json(self, rule: str, input_json: str) -> Any:
        return defined_value(rule, self.query(rule, input_json))

    def query(self, ref: str, input_json: str) -> tuple[bool, Any]:
        """A plain reference is evaluated as a document (OPA prepares it once); anything
        else (a function call, a comparison) as a query bound to one variable."""
        from opa_bindings import OpaUndefinedError

        doc = orjson.loads(input_json)
        if _PLAIN_REF.fullmatch(ref):
            try:
                return True, self._call(self._engine.eval_document, ref[5:], doc)
            except OpaUndefinedError:
                return False, None
        rows = self._call(self._engine.eval_query, f"{_VAR} = {ref}", doc)
        return (True, rows[0][_VAR]) if rows else (False, None)

    def coverage(self, rule: str, input_json: str) -> dict[str, Any]:
        """OPA's coverage report of one evaluation: per file, the lines evaluated and not."""
        self._call(
            self._engine.eval_query, f"{_VAR} = {rule}", orjson.loads(input_json), coverage=True
        )
        return dict(self._engine.last_coverage or {})

    def trace(self, rule: str, input_json: str) -> list[dict[str, Any]]:
        """OPA's evaluation trace of `rule` (events in order, with their locations)."""
        self._call(
            self._engine.eval_query, f"{_VAR} = {rule}", orjson.loads(input_json), trace=True
        )
        return list(self._engine.last_trace or [])

    def close(self) -> None:
        self._engine.close()


def _ignore_print(message: str, location: str) -> None:
    return None

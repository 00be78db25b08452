"""A policy module set that can be edited one module at a time (what OPA's policy API does),
compiled on the configured embedded engine. `governance pdp` serves it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from governance.policy.evaluator import make_evaluator
from governance.policy.source import PolicySource


class ModuleSet:
    """Compiled on creation: a module set that does not compile raises RegoError, and the
    previous set (another ModuleSet) keeps serving."""

    def __init__(self, engine: str, modules: Mapping[str, str], data: Mapping[str, Any]) -> None:
        self.engine = engine
        self.modules = dict(modules)
        self.data = data
        source = PolicySource("pdp", tuple(self.modules.items()), (), data, "pdp")
        self._evaluator = make_evaluator(engine, source)

    @classmethod
    def of(cls, engine: str, source: PolicySource) -> ModuleSet:
        return cls(engine, dict(source.modules), source.data)

    def replaced(self, policy_id: str, text: str | None) -> ModuleSet:
        """A new set with one module replaced (or removed when text is None)."""
        modules = dict(self.modules)
        if text is None:
            modules.pop(policy_id, None)
        else:
            modules[policy_id] = text
        return ModuleSet(self.engine, modules, self.data)

    def query(self, ref: str, input_json: str) -> tuple[bool, Any]:
        """(defined, value) of `ref` for one input."""
        return self._evaluator.query(ref, input_json)

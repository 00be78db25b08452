"""Explicit factory: the configured engine name picks the PolicyEngine adapter."""

from __future__ import annotations

from governance.config import Settings
from governance.domain.ports import PolicyEngine
from governance.policy.engine import EmbeddedEngine
from governance.policy.source import load_policy_source


def make_policy_engine(settings: Settings) -> PolicyEngine:
    source = load_policy_source(settings.resolve(settings.policy.path))
    if settings.policy.engine in ("regorus", "regopy"):
        return EmbeddedEngine(settings.policy.engine, source)
    raise ValueError(f"policy.engine {settings.policy.engine!r} is not available")

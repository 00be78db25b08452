"""Explicit factories: the configured engine name picks the PolicyEngine adapter, and the
configured location (directory, bundle file or URL) and verification key feed both the engine
and its reloader."""

from __future__ import annotations

from pathlib import Path

from governance.config import Settings, read_text_file
from governance.domain.ports import PolicyEngine
from governance.errors import ConfigError
from governance.keys import VerificationKey
from governance.metrics import Metrics
from governance.policy.bundle import is_url, load_policy_source_any, load_verification_key
from governance.policy.engine import EmbeddedEngine
from governance.policy.evaluator import ENGINES, opa_available
from governance.policy.reloader import PolicyReloader
from governance.policy.remote import RemoteEngine
from governance.policy.source import PolicySource, PolicySourceError
from governance.policy.verdicts import SharedVerdicts


def policy_location(settings: Settings) -> str:
    path = settings.policy.path
    return path if is_url(path) else str(settings.resolve(path))


def bundle_verification_key(settings: Settings) -> VerificationKey | None:
    name = settings.policy.bundle_verification_key_file
    if not name:
        return None
    key = "policy.bundle_verification_key_file"
    path = settings.resolve(name)
    try:
        return load_verification_key(read_text_file(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{key}: cannot read {path}: {exc}") from exc
    except PolicySourceError as exc:
        raise ConfigError(f"{key}: {exc}") from exc


def load_configured_source(settings: Settings) -> PolicySource:
    """The policy at start-up; a policy that cannot be loaded or verified stops start-up."""
    try:
        return load_policy_source_any(policy_location(settings), bundle_verification_key(settings))
    except PolicySourceError as exc:
        raise ConfigError(f"policy.path: {exc}") from exc


def make_policy_engine(settings: Settings) -> PolicyEngine:
    source = load_configured_source(settings)
    name = settings.policy.engine
    if name == "opa" and not opa_available():
        raise ConfigError(
            "policy.engine = opa needs the opa-golib-python-bindings library "
            "(scripts/setup installs it; docs/configuration.md)"
        )
    if name in ENGINES:
        return EmbeddedEngine(name, source)
    if name == "remote":
        try:
            return RemoteEngine(source, settings.policy.opa_url, settings.policy.opa_timeout_ms)
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
    raise ConfigError(f"policy.engine {name!r} is not available")


def make_reloader(settings: Settings, engine: PolicyEngine, metrics: Metrics) -> PolicyReloader:
    """Watches the location (policy.reload_seconds = 0: never; reload_now() still works)."""
    shared = settings.reload_verdicts_dir
    return PolicyReloader(
        engine,
        policy_location(settings),
        bundle_verification_key(settings),
        settings.policy.reload_interval_s,
        metrics,
        verdicts=None if shared is None else SharedVerdicts(Path(shared)),
    )

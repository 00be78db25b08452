"""Configuration: one TOML file plus GOVERNANCE_* environment variables (environment wins).

This is the only module that reads the environment or configuration files. Bad configuration
raises ConfigError naming the key, and start-up stops."""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from governance.domain.models import Asset
from governance.errors import ConfigError

ENGINE_NAMES = ("regorus", "opa", "regopy", "remote")
SIMULATION_MODES = ("simulate_v1", "trace_call", "off", "auto")
DEFAULT_NATIVE = Asset(symbol="ETH", asset_class="tokenized_deposit", decimals=18)

# Chain ids of public chains: their native coin is a virtual currency (e.g. under the CN ban),
# whatever a ledger's configuration calls it.
PUBLIC_CHAINS = {
    1: "Ethereum",
    10: "OP Mainnet",
    56: "BNB Smart Chain",
    100: "Gnosis",
    137: "Polygon PoS",
    8453: "Base",
    17000: "Holesky",
    42161: "Arbitrum One",
    43114: "Avalanche C-Chain",
    11155111: "Sepolia",
}


@dataclass(frozen=True)
class LedgerConfig:
    name: str
    url: str
    chain_id: int
    kind: str = "evm"
    default: bool = False
    native_asset: Asset = DEFAULT_NATIVE
    timeout_s: float = 10.0
    simulation: str = "auto"  # simulate_v1 | trace_call | off | auto (probed at first use)
    simulation_timeout_s: float = 5.0


@dataclass(frozen=True)
class AuthConfig:
    jwt_secret: str | None = None
    jwt_secret_file: str | None = None  # for container secrets mounted as files
    public_key_file: str | None = None
    public_key_pem: str | None = None
    jwks_url: str | None = None
    issuer: str | None = None
    audience: str | None = None
    # With a public key or JWKS the HS256 secret is off unless this says both, on purpose.
    shared_secret_with_keys: bool = False

    @property
    def active_secret(self) -> str | None:
        """The HS256 secret the gateway verifies with, if any."""
        asymmetric = bool(self.public_key_pem or self.jwks_url)
        if asymmetric and not self.shared_secret_with_keys:
            return None
        return self.jwt_secret


# Secrets shipped in examples and docs: anyone can mint admin tokens with them.
EXAMPLE_SECRETS = frozenset(
    {
        "dev-only-secret-change-me-0123456789",
        "0123456789abcdef",
        "change-me",
        "changeme",
        "secret",
    }
)
PLACEHOLDER_MARKS = ("change-me", "changeme", "change_me", "placeholder", "example")
MIN_SERVE_SECRET_BYTES = 32


def weak_secret_reason(secret: str) -> str | None:
    """Why `governance serve` refuses this HS256 secret outside --dev, or None."""
    lowered = secret.lower()
    if secret in EXAMPLE_SECRETS or any(mark in lowered for mark in PLACEHOLDER_MARKS):
        return "auth.jwt_secret is an example or placeholder value"
    if len(secret.encode()) < MIN_SERVE_SECRET_BYTES:
        return f"auth.jwt_secret is shorter than {MIN_SERVE_SECRET_BYTES} bytes"
    return None


@dataclass(frozen=True)
class PolicyConfig:
    path: str = "policies"
    engine: str = "regorus"
    opa_url: str = "http://127.0.0.1:8181"
    opa_timeout_ms: int = 200
    bundle_verification_key_file: str | None = None
    # How often the location is checked (0: never); unset: 2 s for a directory or bundle file
    # (file events wake it sooner), 30 s for a URL (asked with If-None-Match).
    reload_seconds: float | None = None
    allow_unsigned: bool = False  # a bundle URL without a verification key needs this
    drafts_dir: str | None = None  # where POST /admin/replay may read `bundle_path` drafts

    @property
    def reload_interval_s(self) -> float:
        if self.reload_seconds is not None:
            return float(self.reload_seconds)
        return 30.0 if self.path.startswith(("http://", "https://")) else 2.0


@dataclass(frozen=True)
class AuditConfig:
    database_url: str = "sqlite:///governance.db"
    signing_key_file: str = "checkpoint.key"
    checkpoint_every: int = 1000
    checkpoint_seconds: float = 10.0
    origin: str = "governance.example/decisions"
    group_commit_ms: float = 2.0
    # Bounded waits on the log's database: connecting, one statement, a write's append.
    connect_timeout_s: float = 5.0
    statement_timeout_s: float = 10.0
    append_timeout_s: float = 5.0
    max_queued_reads: int = 10_000  # read records awaiting their commit; more are refused
    # Reconciliation of the log with mined blocks in `governance serve` (0: off).
    reconcile_seconds: float = 30.0
    reconcile_from_block: int = 0


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 1024 * 1024
    max_batch: int = 100


@dataclass(frozen=True)
class Settings:
    server: ServerConfig = field(default_factory=ServerConfig)
    auth: AuthConfig = field(default_factory=AuthConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    audit: AuditConfig = field(default_factory=AuditConfig)
    ledgers: tuple[LedgerConfig, ...] = (
        LedgerConfig(name="main", url="http://127.0.0.1:8545", chain_id=31337, default=True),
    )
    base_dir: str = "."
    # Not read from the file: `serve --workers N` sets it for its workers, so that a policy save
    # is tested once for all of them (governance/policy/verdicts.py).
    reload_verdicts_dir: str | None = None
    # Set the same way: where each worker publishes its metrics for the others
    # (governance/metrics_shared.py), and which worker this is.
    metrics_dir: str | None = None
    worker: int = 0

    @property
    def default_ledger(self) -> LedgerConfig:
        return next((x for x in self.ledgers if x.default), self.ledgers[0])

    def ledger(self, name: str | None) -> LedgerConfig | None:
        if name is None:
            return self.default_ledger
        return next((x for x in self.ledgers if x.name == name), None)

    def resolve(self, path: str) -> Path:
        """Relative paths in the config file are relative to the file's folder."""
        p = Path(path)
        return p if p.is_absolute() else Path(self.base_dir) / p


def load_settings(
    config_file: str | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    require_auth: bool = True,
) -> Settings:
    """`require_auth=False` for commands that serve nobody (e.g. `governance decide`)."""
    environ = os.environ if environ is None else environ
    path = config_file or environ.get("GOVERNANCE_CONFIG")
    doc: dict[str, Any] = {}
    base_dir = "."
    if path:
        try:
            doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"config file {path} not found") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path}: {exc}") from exc
        base_dir = str(Path(path).resolve().parent)
    settings = _from_document(doc, base_dir)
    settings = _read_key_files(_apply_env(settings, environ))
    _validate(settings, require_auth)
    return settings


def insecure_url(url: str) -> bool:
    """True unless https://, or http:// to this machine: policy or keys fetched over plain http
    from elsewhere could be swapped in transit."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return False
    if parts.scheme != "http":
        return True
    host = parts.hostname or ""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def native_asset_warnings(settings: Settings) -> list[str]:
    """One line per ledger on a public chain whose native asset is not `virtual_currency`:
    such a configuration would let the coin escape rules on virtual currencies."""
    return [
        f"ledger {x.name}: chain {x.chain_id} is {PUBLIC_CHAINS[x.chain_id]}, a public chain, "
        f"but its native asset {x.native_asset.symbol} is configured as "
        f"{x.native_asset.asset_class!r}, not 'virtual_currency'"
        for x in settings.ledgers
        if x.chain_id in PUBLIC_CHAINS and x.native_asset.asset_class != "virtual_currency"
    ]


# Engines measured more than ten times slower per decision than the default (regopy: about
# 90 ms against regorus's well under 1 ms): test oracles, not serving options.
ORACLE_ENGINES = {"regopy": "about 90 ms per decision, more than 10x the default regorus"}


def engine_warnings(settings: Settings) -> list[str]:
    """A line when the configured policy engine is a test oracle rather than a serving
    engine (docs/configuration.md, "Policy engines")."""
    engine = settings.policy.engine
    if engine not in ORACLE_ENGINES:
        return []
    return [
        f"policy.engine = {engine!r} is a test oracle, not a serving option "
        f"({ORACLE_ENGINES[engine]}): every request waits that long; serve with 'regorus'"
    ]


def _section(doc: dict[str, Any], name: str) -> dict[str, Any]:
    value = doc.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table")
    return value


def _build(cls: Any, section: dict[str, Any], prefix: str) -> Any:
    known = cls.__dataclass_fields__
    for key in section:
        if key not in known:
            raise ConfigError(f"unknown key {prefix}.{key}")
    values: dict[str, Any] = {}
    for key, value in section.items():
        expected = type(getattr(cls(), key)) if key in _defaults(cls) else None
        values[key] = _coerce(f"{prefix}.{key}", value, expected)
    return cls(**values)


def _defaults(cls: Any) -> set[str]:
    instance = cls()
    return {k for k in cls.__dataclass_fields__ if getattr(instance, k) is not None}


def _coerce(key: str, value: Any, expected: type | None) -> Any:
    if expected is None or isinstance(value, expected):
        return value
    try:
        if expected is bool and isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        if expected in (int, float) and not isinstance(value, bool):
            return expected(value)
        if expected is str:
            return str(value)
    except (TypeError, ValueError):
        pass
    raise ConfigError(f"{key} must be {expected.__name__}, got {value!r}")


def _from_document(doc: dict[str, Any], base_dir: str) -> Settings:
    for key in doc:
        if key not in ("server", "auth", "policy", "audit", "ledgers"):
            raise ConfigError(f"unknown section [{key}]")
    ledgers_doc = doc.get("ledgers")
    ledgers = Settings().ledgers
    if ledgers_doc is not None:
        if not isinstance(ledgers_doc, list) or not ledgers_doc:
            raise ConfigError("[[ledgers]] must be a non-empty array of tables")
        ledgers = tuple(_ledger(i, entry) for i, entry in enumerate(ledgers_doc))
    return Settings(
        server=_build(ServerConfig, _section(doc, "server"), "server"),
        auth=_build(AuthConfig, _section(doc, "auth"), "auth"),
        policy=_build(PolicyConfig, _section(doc, "policy"), "policy"),
        audit=_build(AuditConfig, _section(doc, "audit"), "audit"),
        ledgers=ledgers,
        base_dir=base_dir,
    )


def _ledger(index: int, entry: Any) -> LedgerConfig:
    prefix = f"ledgers[{index}]"
    if not isinstance(entry, dict):
        raise ConfigError(f"{prefix} must be a table")
    entry = dict(entry)
    for key in ("name", "url", "chain_id"):
        if key not in entry:
            raise ConfigError(f"{prefix}.{key} is required")
    native = entry.pop("native_asset", None)
    ledger: LedgerConfig = _build(_LedgerDefaults, entry, prefix).to_config()
    if native is not None:
        ledger = replace(ledger, native_asset=_asset(f"{prefix}.native_asset", native))
    return ledger


@dataclass(frozen=True)
class _LedgerDefaults:
    name: str = "main"
    url: str = "http://127.0.0.1:8545"
    chain_id: int = 31337
    kind: str = "evm"
    default: bool = False
    timeout_s: float = 10.0
    simulation: str = "auto"
    simulation_timeout_s: float = 5.0

    def to_config(self) -> LedgerConfig:
        return LedgerConfig(
            name=self.name,
            url=self.url,
            chain_id=self.chain_id,
            kind=self.kind,
            default=self.default,
            timeout_s=self.timeout_s,
            simulation=self.simulation,
            simulation_timeout_s=self.simulation_timeout_s,
        )


def _asset(key: str, doc: Any) -> Asset:
    if not isinstance(doc, dict) or not {"symbol", "class", "decimals"} <= set(doc):
        raise ConfigError(f"{key} needs symbol, class and decimals")
    return Asset(
        symbol=str(doc["symbol"]),
        asset_class=str(doc["class"]),
        decimals=_coerce(f"{key}.decimals", doc["decimals"], int),
    )


_ENV: dict[str, tuple[str, str]] = {
    "GOVERNANCE_JWT_SECRET": ("auth", "jwt_secret"),
    "GOVERNANCE_JWT_SECRET_FILE": ("auth", "jwt_secret_file"),
    "GOVERNANCE_JWT_PUBLIC_KEY_FILE": ("auth", "public_key_file"),
    "GOVERNANCE_JWKS_URL": ("auth", "jwks_url"),
    "GOVERNANCE_POLICY_PATH": ("policy", "path"),
    "GOVERNANCE_POLICY_ENGINE": ("policy", "engine"),
    "GOVERNANCE_OPA_URL": ("policy", "opa_url"),
    "GOVERNANCE_DATABASE_URL": ("audit", "database_url"),
    "GOVERNANCE_SIGNING_KEY_FILE": ("audit", "signing_key_file"),
    "GOVERNANCE_HOST": ("server", "host"),
    "GOVERNANCE_PORT": ("server", "port"),
}


def _apply_env(settings: Settings, environ: Mapping[str, str]) -> Settings:
    for var, (section, key) in _ENV.items():
        if var in environ:
            current = getattr(settings, section)
            expected = type(getattr(current, key)) if getattr(current, key) is not None else None
            value = _coerce(var, environ[var], expected)
            settings = replace(settings, **{section: replace(current, **{key: value})})
    ledger = settings.default_ledger
    if "GOVERNANCE_LEDGER_URL" in environ:
        ledger = replace(ledger, url=environ["GOVERNANCE_LEDGER_URL"])
    if "GOVERNANCE_CHAIN_ID" in environ:
        ledger = replace(
            ledger, chain_id=_coerce("GOVERNANCE_CHAIN_ID", environ["GOVERNANCE_CHAIN_ID"], int)
        )
    ledgers = tuple(ledger if x.name == ledger.name else x for x in settings.ledgers)
    return replace(settings, ledgers=ledgers)


def _validate_audit(a: AuditConfig) -> None:
    for key in ("connect_timeout_s", "statement_timeout_s", "append_timeout_s"):
        if getattr(a, key) <= 0:
            raise ConfigError(f"audit.{key} must be positive")
    if a.max_queued_reads <= 0:
        raise ConfigError("audit.max_queued_reads must be positive")


def _validate_fetched(s: Settings) -> None:
    """What is fetched over the network: policy bundles and the JWK set."""
    if s.auth.jwks_url and insecure_url(s.auth.jwks_url):
        raise ConfigError("auth.jwks_url must be https:// (plain http:// only to loopback)")
    if not s.policy.path.startswith(("http://", "https://")):
        return
    if insecure_url(s.policy.path):
        raise ConfigError("policy.path must be https:// (plain http:// only to loopback)")
    if not s.policy.bundle_verification_key_file and not s.policy.allow_unsigned:
        raise ConfigError(
            "policy.path is a bundle URL but policy.bundle_verification_key_file is not set: "
            "set the key, or policy.allow_unsigned = true to serve an unsigned bundle"
        )


def _validate(s: Settings, require_auth: bool = True) -> None:
    if require_auth and not (s.auth.jwt_secret or s.auth.public_key_pem or s.auth.jwks_url):
        raise ConfigError(
            "auth: set one of auth.jwt_secret (GOVERNANCE_JWT_SECRET), auth.public_key_file "
            "or auth.jwks_url"
        )
    if s.auth.jwt_secret is not None and len(s.auth.jwt_secret) < 16:
        raise ConfigError("auth.jwt_secret must be at least 16 characters")
    if s.policy.engine not in ENGINE_NAMES:
        raise ConfigError(f"policy.engine must be one of {', '.join(ENGINE_NAMES)}")
    _validate_fetched(s)
    _validate_audit(s.audit)
    reload = s.policy.reload_seconds
    if reload is not None and (type(reload) not in (int, float) or reload < 0):
        raise ConfigError("policy.reload_seconds must be a number of seconds, 0 or more")
    if not s.audit.database_url.startswith(("sqlite:///", "postgresql://", "postgres://")):
        raise ConfigError("audit.database_url must start with sqlite:/// or postgresql://")
    if s.audit.reconcile_seconds < 0 or s.audit.reconcile_from_block < 0:
        raise ConfigError("audit.reconcile_seconds and audit.reconcile_from_block must be >= 0")
    if s.server.max_body_bytes <= 0 or s.server.max_batch <= 0:
        raise ConfigError("server.max_body_bytes and server.max_batch must be positive")
    names = [x.name for x in s.ledgers]
    if len(set(names)) != len(names):
        raise ConfigError("ledgers: names must be unique")
    if sum(1 for x in s.ledgers if x.default) > 1:
        raise ConfigError("ledgers: at most one ledger may be default = true")
    for x in s.ledgers:
        if not x.url.startswith(("http://", "https://")):
            raise ConfigError(f"ledgers.{x.name}.url must be an http(s) URL")
        if x.kind != "evm":
            raise ConfigError(f"ledgers.{x.name}.kind: only 'evm' is supported")
        if x.simulation not in SIMULATION_MODES:
            raise ConfigError(
                f"ledgers.{x.name}.simulation must be one of {', '.join(SIMULATION_MODES)}"
            )
        if x.simulation_timeout_s <= 0:
            raise ConfigError(f"ledgers.{x.name}.simulation_timeout_s must be positive")


def _read_key_files(s: Settings) -> Settings:
    auth = s.auth
    if auth.jwt_secret_file and not auth.jwt_secret:
        secret = _read_key(s, "auth.jwt_secret_file", auth.jwt_secret_file).strip()
        auth = replace(auth, jwt_secret=secret)
    if auth.public_key_file:
        pem = _read_key(s, "auth.public_key_file", auth.public_key_file)
        auth = replace(auth, public_key_pem=pem)
    return replace(s, auth=auth)


def _read_key(s: Settings, key: str, name: str) -> str:
    path = s.resolve(name)
    try:
        return path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{key}: cannot read {path}: {exc}") from exc


def read_text_file(path: Path) -> str:
    """For the CLI's input documents: config is the one place that opens files by name."""
    return path.read_text(encoding="utf-8")

"""Configuration: file + environment, environment wins, bad values name their key."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from governance.config import (
    AuditConfig,
    AuthConfig,
    LedgerConfig,
    PolicyConfig,
    ServerConfig,
    engine_warnings,
    load_settings,
    native_asset_warnings,
)
from governance.errors import ConfigError
from tests.conftest import PUBLIC_LEDGERS, write_config

GOOD = """
[auth]
jwt_secret = "file-secret-0123456789"
[policy]
path = "pol"
engine = "regopy"
[audit]
database_url = "sqlite:///x.db"
[[ledgers]]
name = "main"
url = "http://127.0.0.1:9545"
chain_id = 5
default = true
native_asset = { symbol = "EURC", class = "stablecoin", decimals = 6 }
[[ledgers]]
name = "second"
url = "http://127.0.0.1:9546"
chain_id = 7
"""


def test_file_values_and_relative_paths(tmp_path: Path) -> None:
    s = load_settings(write_config(tmp_path, GOOD), environ={})
    assert s.policy.engine == "regopy"
    assert s.resolve(s.policy.path) == tmp_path / "pol"
    assert s.default_ledger.name == "main" and s.default_ledger.chain_id == 5
    assert s.default_ledger.native_asset.symbol == "EURC"
    assert s.ledger("second") is not None and s.ledger("nope") is None


def test_environment_wins(tmp_path: Path) -> None:
    env = {
        "GOVERNANCE_JWT_SECRET": "env-secret-0123456789",
        "GOVERNANCE_POLICY_PATH": "/abs/policies",
        "GOVERNANCE_DATABASE_URL": "postgresql://u@h/db",
        "GOVERNANCE_LEDGER_URL": "http://10.0.0.1:8545",
        "GOVERNANCE_CHAIN_ID": "99",
        "GOVERNANCE_POLICY_ENGINE": "regorus",
    }
    s = load_settings(write_config(tmp_path, GOOD), environ=env)
    assert s.auth.jwt_secret == "env-secret-0123456789"
    assert s.policy.path == "/abs/policies" and s.policy.engine == "regorus"
    assert s.audit.database_url == "postgresql://u@h/db"
    assert s.default_ledger.url == "http://10.0.0.1:8545" and s.default_ledger.chain_id == 99
    assert s.ledger("second").chain_id == 7  # type: ignore[union-attr]


def test_defaults_with_environment_only() -> None:
    s = load_settings(None, environ={"GOVERNANCE_JWT_SECRET": "0123456789abcdef"})
    assert s.default_ledger.url == "http://127.0.0.1:8545"
    assert s.audit.database_url.startswith("sqlite:///")
    assert s.audit.reconcile_seconds == 30.0 and s.audit.reconcile_from_block == 0


@pytest.mark.parametrize(
    ("text", "env", "names"),
    [
        ("", {}, "auth.jwt_secret"),
        ('[auth]\njwt_secret = "short"', {}, "auth.jwt_secret"),
        ('[auth]\njwt_secret = "0123456789abcdef"\n[policy]\nengine = "opa9"', {}, "policy.engine"),
        ('[auth]\njwt_secret = "0123456789abcdef"\n[server]\nport = "eighty"', {}, "server.port"),
        ('[auth]\njwt_secret = "0123456789abcdef"\n[server]\nprot = 1', {}, "server.prot"),
        (
            '[auth]\njwt_secret = "0123456789abcdef"\n[audit]\ndatabase_url = "mysql://x"',
            {},
            "audit.database_url",
        ),
        ('[auth]\njwt_secret = "0123456789abcdef"\n[[ledgers]]\nname = "a"', {}, "ledgers[0].url"),
        (
            '[auth]\njwt_secret = "0123456789abcdef"',
            {"GOVERNANCE_CHAIN_ID": "x"},
            "GOVERNANCE_CHAIN_ID",
        ),
        (
            '[auth]\njwt_secret = "0123456789abcdef"\n[audit]\nreconcile_seconds = -1',
            {},
            "audit.reconcile_seconds",
        ),
        (
            '[auth]\njwt_secret = "0123456789abcdef"\n[audit]\nreconcile_from_block = -5',
            {},
            "audit.reconcile_from_block",
        ),
        ("[auth\n", {}, "governance.toml"),
        ('[auth]\njwt_secret = "0123456789abcdef"\n[nope]\n', {}, "[nope]"),
    ],
)
def test_bad_configuration_names_the_key(
    tmp_path: Path, text: str, env: dict[str, str], names: str
) -> None:
    with pytest.raises(ConfigError, match=names.replace("[", r"\[").replace("]", r"\]")):
        load_settings(write_config(tmp_path, text), environ=env)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(str(tmp_path / "absent.toml"), environ={})


def test_secret_and_public_key_files(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("from-a-file-0123456789\n")
    (tmp_path / "key.pem").write_text("-----BEGIN PUBLIC_LEDGERS KEY-----\n")
    env = {"GOVERNANCE_JWT_SECRET_FILE": str(tmp_path / "secret")}
    assert load_settings(None, environ=env).auth.jwt_secret == "from-a-file-0123456789"
    s = load_settings(write_config(tmp_path, '[auth]\npublic_key_file = "key.pem"'), environ={})
    assert s.auth.public_key_pem == "-----BEGIN PUBLIC_LEDGERS KEY-----\n"
    with pytest.raises(ConfigError, match=r"auth\.public_key_file"):
        load_settings(write_config(tmp_path, '[auth]\npublic_key_file = "absent.pem"'), environ={})


def test_public_chain_native_asset_not_virtual_currency_warns(tmp_path: Path) -> None:
    s = load_settings(write_config(tmp_path, PUBLIC_LEDGERS), environ={})
    warnings = native_asset_warnings(s)
    assert len(warnings) == 1
    assert "ledger mainnet" in warnings[0] and "'tokenized_deposit'" in warnings[0]


def test_a_test_oracle_engine_warns_and_the_default_does_not(tmp_path: Path) -> None:
    s = load_settings(
        write_config(tmp_path, PUBLIC_LEDGERS), environ={"GOVERNANCE_POLICY_ENGINE": "regopy"}
    )
    warnings = engine_warnings(s)
    assert len(warnings) == 1 and "test oracle" in warnings[0] and "regorus" in warnings[0]
    assert engine_warnings(load_settings(write_config(tmp_path, PUBLIC_LEDGERS), environ={})) == []


# ---- every key of the settings model is in docs/configuration.md, and nothing else ------------

CONFIG_DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def model_keys() -> set[str]:
    """The keys the configuration file accepts, as `section.key` (`ledgers.key` per ledger)."""
    sections = {"server": ServerConfig, "auth": AuthConfig, "policy": PolicyConfig}
    sections["audit"] = AuditConfig
    keys = {f"{name}.{f.name}" for name, cls in sections.items() for f in fields(cls)}
    ledger = {f.name for f in fields(LedgerConfig)}
    return keys | {f"ledgers.{k}" for k in ledger}


def documented_keys() -> set[str]:
    """The keys named in the first column of the documentation's key table."""
    keys: set[str] = set()
    for line in CONFIG_DOC.read_text().splitlines():
        cells = line.split("|")
        if len(cells) < 3 or not cells[1].strip().startswith("`"):
            continue
        first = cells[1].strip()
        if first.startswith("`[[ledgers]]`"):
            names = re.findall(r"`([^`]*)`", first.removeprefix("`[[ledgers]]`"))
            keys |= {f"ledgers.{k.strip()}" for n in names for k in n.split(",")}
        else:
            keys |= set(re.findall(r"`([a-z_]+\.[a-z_]+)`", first))
    return keys


def test_every_configuration_key_is_documented_and_every_documented_key_exists() -> None:
    model, documented = model_keys(), documented_keys()
    assert model - documented == set(), "keys missing from docs/configuration.md"
    assert documented - model == set(), "docs/configuration.md names keys that do not exist"

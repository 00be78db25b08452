"""`GET /status` of the real gateway (in process, its policy fetched from a bundle server over
HTTP): whether the serving policy is a verified signed bundle, for a signed bundle URL, an
unsigned one the configuration allows, and a directory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from governance.config import PolicyConfig, load_settings
from governance.errors import ConfigError
from governance.policy.bundle import build_bundle, sign_bundle
from governance.policy.source import load_policy_source
from tests.conftest import SECRET, in_process_gateway, make_settings
from tests.policy.conftest import BundleHost

SIGNER = ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def bundle_host() -> Iterator[BundleHost]:
    with BundleHost() as host:
        yield host


def public_key_file(tmp_path: Path) -> str:
    path = tmp_path / "release.pub.pem"
    path.write_bytes(
        SIGNER.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return str(path)


def signer_pem() -> bytes:
    return SIGNER.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def configured(tmp_path: Path, policy: str) -> str:
    path = tmp_path / "governance.toml"
    path.write_text(f'[auth]\njwt_secret = "{SECRET}"\n[policy]\n{policy}\n')
    return str(path)


async def status_policy(tmp_path: Path, policy: PolicyConfig) -> dict[str, object]:
    """The policy part of /status of a gateway serving `policy`."""
    settings = make_settings("http://127.0.0.1:9", tmp_path, tmp_path / "log.db")
    async with in_process_gateway(replace(settings, policy=policy)) as gw:
        doc = (await gw.client.get("/status")).json()
    return dict(doc["policy"])


async def test_signed_bundle_url_shows_signed(
    policy_dir: Path, bundle_host: BundleHost, tmp_path: Path
) -> None:
    bundle_host.serve(sign_bundle(build_bundle(load_policy_source(policy_dir), "s1"), signer_pem()))
    key = public_key_file(tmp_path)
    settings = load_settings(
        configured(tmp_path, f'path = "{bundle_host.url}"\nbundle_verification_key_file = "{key}"'),
        environ={},
    )
    assert await status_policy(tmp_path, settings.policy) | {"last_reload": None} == {
        "revision": "s1",
        "engine": "regorus",
        "signed": True,
        "refused": None,
        "last_reload": None,
    }


async def test_unsigned_bundle_url_needs_allow_unsigned_and_shows_unsigned(
    policy_dir: Path, bundle_host: BundleHost, tmp_path: Path
) -> None:
    bundle_host.serve(build_bundle(load_policy_source(policy_dir), "u1"))
    with pytest.raises(ConfigError, match="allow_unsigned"):
        load_settings(configured(tmp_path, f'path = "{bundle_host.url}"'), environ={})
    settings = load_settings(
        configured(tmp_path, f'path = "{bundle_host.url}"\nallow_unsigned = true'), environ={}
    )
    policy = await status_policy(tmp_path, settings.policy)
    assert policy["revision"] == "u1" and policy["signed"] is False


async def test_directory_shows_unsigned(policy_dir: Path, tmp_path: Path) -> None:
    policy = await status_policy(tmp_path, PolicyConfig(path=str(policy_dir)))
    assert policy["signed"] is False


@pytest.mark.parametrize(
    ("policy", "auth", "names"),
    [
        ('path = "http://bundles.example/governance.tar.gz"', "", "policy.path must be https"),
        ('path = "http://10.0.0.7/b.tar.gz"\nallow_unsigned = true', "", "policy.path"),
        ('path = "https://bundles.example/b.tar.gz"', "", "policy.allow_unsigned"),
        ("", 'jwks_url = "http://idp.example/jwks.json"', "auth.jwks_url must be https"),
        ("", 'jwks_url = "http://127.0.0.1.example/jwks.json"', "auth.jwks_url"),
    ],
)
def test_plain_http_and_unsigned_urls_refused(
    tmp_path: Path, policy: str, auth: str, names: str
) -> None:
    path = tmp_path / "governance.toml"
    path.write_text(f'[auth]\njwt_secret = "{SECRET}"\n{auth}\n[policy]\n{policy}\n')
    with pytest.raises(ConfigError, match=names):
        load_settings(str(path), environ={})


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/b.tar.gz",
        "http://127.8.0.1/b.tar.gz",
        "http://localhost:9/b.tar.gz",
        "http://[::1]:9/b.tar.gz",
        "https://bundles.example/b.tar.gz",
    ],
)
def test_loopback_http_and_https_accepted(tmp_path: Path, url: str) -> None:
    path = tmp_path / "governance.toml"
    jwks = url.replace("b.tar.gz", "jwks.json")
    path.write_text(
        f'[auth]\njwks_url = "{jwks}"\n[policy]\npath = "{url}"\nallow_unsigned = true\n'
    )
    settings = load_settings(str(path), environ={})
    assert settings.policy.path == url and settings.auth.jwks_url == jwks

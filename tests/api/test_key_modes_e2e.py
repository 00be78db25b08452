"""Key modes on the real server: a configured public key switches the HS256 secret off (an
HS256 admin token signed with a leaked secret is refused) unless the config says both."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from governance.config import AuthConfig
from tests.conftest import SECRET, GatewayServer, rpc

KEY = ec.generate_private_key(ec.SECP256R1())
PEM = (
    KEY.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)
CLAIMS: dict[str, Any] = {
    "sub": "root", "org": "acme-us", "jurisdiction": "US", "roles": ["admin"],
    "entity_kind": "institution", "kyc": "verified",
}  # fmt: skip


def signed(key: Any, alg: str) -> str:
    return jwt.encode({**CLAIMS, "exp": int(time.time()) + 60}, key, algorithm=alg)


@pytest.mark.parametrize("both", [False, True])
def test_public_key_switches_the_shared_secret_off(gateway_factory: Any, both: bool) -> None:
    auth = AuthConfig(jwt_secret=SECRET, public_key_pem=PEM, shared_secret_with_keys=both)
    gw: GatewayServer = gateway_factory(auth=auth)
    es = rpc(gw.rpc_url(), "eth_chainId", bearer=signed(KEY, "ES256"))
    assert es.status_code == 200 and "result" in es.json(), es.text
    hs = rpc(gw.rpc_url(), "eth_chainId", bearer=signed(SECRET, "HS256"))
    if both:
        assert hs.status_code == 200 and "result" in hs.json(), hs.text
    else:
        assert hs.status_code == 401 and hs.json()["error"]["code"] == -32001
        assert "HS256" in hs.json()["error"]["message"]

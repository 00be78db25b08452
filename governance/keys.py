"""Public keys that verify signatures: JWTs (governance.api.auth) and policy bundles
(governance.policy.bundle). Each key carries the one algorithm it may verify, inferred from
the key type, never taken from what it verifies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa


@dataclass(frozen=True)
class VerificationKey:
    """A key together with the only algorithm it may verify."""

    key: Any
    algorithm: str


def load_public_key(pem: str) -> VerificationKey:
    """Parses a PEM public key or certificate and infers its one algorithm."""
    data = pem.encode()
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            public: Any = x509.load_pem_x509_certificate(data).public_key()
        else:
            public = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as error:
        raise ValueError("public_key_pem: not a PEM public key or certificate") from error
    if isinstance(public, rsa.RSAPublicKey):
        if public.key_size < 2048:
            raise ValueError("public_key_pem: RSA keys must have at least 2048 bits")
        return VerificationKey(public, "RS256")
    if isinstance(public, ec.EllipticCurvePublicKey) and isinstance(public.curve, ec.SECP256R1):
        return VerificationKey(public, "ES256")
    if isinstance(public, ed25519.Ed25519PublicKey):
        return VerificationKey(public, "EdDSA")
    raise ValueError("public_key_pem: unsupported key type (use RSA, EC P-256 or Ed25519)")

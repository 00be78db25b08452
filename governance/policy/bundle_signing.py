"""Bundle signatures in OPA's format: `/.signatures.json` holds one JWT whose payload lists
every other file with its hash, JSON files hashed in OPA's canonical form, so
`opa run --verification-key` accepts what `governance policy sign` made, and a bundle verifies
only when the signature covers exactly its files."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from governance.keys import VerificationKey, load_public_key
from governance.policy.bundle_archive import (
    DATA_FILE,
    MANIFEST,
    SIGNATURES,
    BundleError,
    BundleFile,
    json_bytes,
    pack,
    unpack,
    utf8_text,
)

_HASHES = {"SHA-256": hashlib.sha256, "SHA-384": hashlib.sha384, "SHA-512": hashlib.sha512}


# ---- hashing (OPA's canonical form) --------------------------------------------------------


class _Number(str):
    """A JSON number kept as written: OPA hashes numbers by their literal text."""


def file_hash(f: BundleFile, algorithm: str = "SHA-256") -> str:
    """OPA's file digest: raw bytes, except JSON documents (data.json, .manifest), which are
    hashed in a key-sorted compact form so whitespace and key order do not matter."""
    factory = _HASHES.get(algorithm)
    if factory is None:
        raise BundleError(f"{f.name}: unsupported hash algorithm {algorithm!r}")
    digest = factory()
    if f.name.rsplit("/", 1)[-1] in (DATA_FILE, MANIFEST, SIGNATURES):
        try:
            value = json.loads(utf8_text(f), parse_int=_Number, parse_float=_Number)
        except json.JSONDecodeError as exc:
            raise BundleError(f"{f.name}: invalid JSON: {exc.msg}") from exc
        digest.update(_canonical(value))
    else:
        digest.update(f.data)
    return digest.hexdigest()


def _canonical(value: Any) -> bytes:
    if isinstance(value, dict):
        items = (_go_string(k) + b":" + _canonical(value[k]) for k in sorted(value))
        return b"{" + b",".join(items) + b"}"
    if isinstance(value, list):
        return b"[" + b",".join(_canonical(v) for v in value) + b"]"
    if isinstance(value, _Number):
        return str(value).encode()
    if isinstance(value, str):
        return _go_string(value)
    return json.dumps(value).encode()  # true, false, null


_GO_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def _go_string(text: str) -> bytes:
    """Go's encoding/json string form with HTML escaping off (what OPA's hasher writes)."""
    out = []
    for ch in text:
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ch < " ":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return ('"' + "".join(out) + '"').encode()


# ---- signing -------------------------------------------------------------------------------


def sign_bundle(
    raw: bytes,
    private_key_pem: bytes,
    algorithm: str | None = None,
    *,
    keyid: str | None = None,
    scope: str | None = None,
) -> bytes:
    """Returns the bundle with a fresh `/.signatures.json` covering all its other files."""
    key, alg = _signing_key(private_key_pem, algorithm)
    files = [f for f in unpack(raw) if f.name != SIGNATURES]
    payload: dict[str, Any] = {
        "files": [
            {"name": f.name, "hash": file_hash(f), "algorithm": "SHA-256"}
            for f in sorted(files, key=lambda x: x.name)
        ]
    }
    if keyid:
        payload["keyid"] = keyid
    if scope:
        payload["scope"] = scope
    headers = {"kid": keyid} if keyid else None
    token = jwt.encode(payload, key, algorithm=alg, headers=headers)
    signatures = BundleFile(SIGNATURES, json_bytes({"signatures": [token]}))
    return pack([*files, signatures])


def _signing_key(pem: bytes, algorithm: str | None) -> tuple[Any, str]:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise BundleError(f"signing key: not an unencrypted PEM private key: {exc}") from exc
    if isinstance(key, rsa.RSAPrivateKey):
        implied = "RS256"
    elif isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        implied = "ES256"
    else:
        raise BundleError("signing key: use an RSA or EC P-256 private key")
    if algorithm is not None and algorithm != implied:
        raise BundleError(f"signing key is for {implied}, not {algorithm}")
    return key, implied


def load_verification_key(pem: str) -> VerificationKey:
    try:
        return load_public_key(pem)
    except ValueError as exc:
        raise BundleError(f"bundle verification key: {exc}") from exc


def verify_signatures(files: list[BundleFile], signatures: bytes, key: VerificationKey) -> None:
    """Raises BundleError unless the one JWT verifies with `key` and lists exactly `files`
    with matching hashes (nothing added, removed or changed)."""
    payload = _verified_payload(signatures, key)
    signed = _signed_files(payload)
    for f in files:
        entry = signed.pop(f.name, None)
        if entry is None:
            raise BundleError(f"{f.name}: file not included in the bundle signature")
        if file_hash(f, entry[1]).lower() != entry[0].lower():
            raise BundleError(f"{f.name}: digest mismatch (file changed after signing)")
    if signed:
        raise BundleError(f"signed file(s) missing from the bundle: {', '.join(sorted(signed))}")


def _verified_payload(signatures: bytes, key: VerificationKey) -> dict[str, Any]:
    try:
        doc = json.loads(signatures)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BundleError(f"{SIGNATURES}: invalid JSON") from exc
    tokens = doc.get("signatures") if isinstance(doc, dict) else None
    if not isinstance(tokens, list) or len(tokens) != 1 or not isinstance(tokens[0], str):
        raise BundleError(f"{SIGNATURES}: expected exactly one JWT in 'signatures'")
    try:
        alg = jwt.get_unverified_header(tokens[0]).get("alg")
        if alg != key.algorithm:  # the key, not the token, decides the algorithm
            raise BundleError(f"bundle signed with {alg}, verification key is {key.algorithm}")
        payload = jwt.decode(
            tokens[0], key.key, algorithms=[key.algorithm], options={"verify_aud": False}
        )
    except jwt.PyJWTError as exc:
        raise BundleError(f"bundle signature invalid: {exc}") from exc
    return dict(payload)


def _signed_files(payload: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    entries = payload.get("files")
    if not isinstance(entries, list):
        raise BundleError("bundle signature payload has no 'files' list")
    out: dict[str, tuple[str, str]] = {}
    for e in entries:
        if not isinstance(e, dict) or not isinstance(e.get("name"), str):
            raise BundleError("bundle signature payload: malformed 'files' entry")
        name = e["name"].lstrip("/")
        if name in out:
            raise BundleError(f"bundle signature lists {name} twice")
        out[name] = (str(e.get("hash", "")), str(e.get("algorithm", "")))
    return out

"""Signed checkpoints: C2SP tlog-checkpoint bodies in C2SP signed-note envelopes, Ed25519 only.

    <origin>\\n<tree size>\\n<base64 root hash>\\n
    \\n
    U+2014 <key name> <base64(4-byte key ID || 64-byte Ed25519 signature)>\\n   (one or more)

Key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4]; the verifier key string
is "<name>+<hex key ID>+<base64(0x01 || public key)>", as in golang.org/x/mod/sumdb/note.
Signature lines from other keys are ignored (the spec requires it, so witnesses can cosign).
Extension lines are rejected: this log never writes them and they are not auditable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)

from governance.audit.merkle import HASH_SIZE, VerificationError

ED25519_SIGNATURE_TYPE = 0x01
KEY_ID_SIZE = 4
SIGNATURE_SIZE = 64
MAX_SIGNATURES = 100  # the spec requires accepting at least 16; bounds work on hostile notes
MAX_TREE_SIZE = 2**64 - 1

_SIG_PREFIX = "\u2014 "  # em dash, space
_SIZE_LINE = re.compile(r"0|[1-9][0-9]*")
_KEY_ID_HEX = re.compile(r"[0-9a-fA-F]{8}")


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head: origin, number of leaves and RFC 6962 root hash."""

    origin: str
    size: int
    root: bytes

    def __post_init__(self) -> None:
        if not self.origin or _has_control_chars(self.origin):
            raise ValueError("origin must be non-empty with no control characters or newlines")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise ValueError(f"tree size {self.size} is outside 0..2^64-1")
        if len(self.root) != HASH_SIZE:
            raise ValueError(f"root hash must be {HASH_SIZE} bytes, got {len(self.root)}")

    def body(self) -> str:
        """The note text that gets signed."""
        root = base64.b64encode(self.root).decode("ascii")
        return f"{self.origin}\n{self.size}\n{root}\n"

    @classmethod
    def from_body(cls, text: str) -> Checkpoint:
        """Parse note text produced by `body`; raises VerificationError on anything else."""
        if not text.endswith("\n"):
            raise VerificationError("checkpoint body must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise VerificationError("checkpoint body needs origin, size and root lines")
        if len(lines) > 3:
            raise VerificationError("checkpoint extension lines are not accepted")
        origin, size_line, root_line = lines
        if not _SIZE_LINE.fullmatch(size_line):
            raise VerificationError(f"tree size line {size_line!r} is not a canonical decimal")
        root = _b64decode(root_line, "root hash")
        try:
            return cls(origin, int(size_line), root)
        except ValueError as exc:
            raise VerificationError(str(exc)) from exc


# --- keys ------------------------------------------------------------------------------------


def key_id(key_name: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4-byte signed-note key ID of an Ed25519 key under `key_name`."""
    _check_key_name(key_name)
    material = key_name.encode() + b"\n" + _typed_public_key(public_key)
    return hashlib.sha256(material).digest()[:KEY_ID_SIZE]


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """Encode "<name>+<hex key ID>+<base64(0x01 || public key)>"."""
    encoded = base64.b64encode(_typed_public_key(public_key)).decode("ascii")
    return f"{name}+{key_id(name, public_key).hex()}+{encoded}"


def parse_verifier_key(vkey: str) -> tuple[str, Ed25519PublicKey]:
    """Decode a verifier key string; raises ValueError unless it is well formed and consistent."""
    parts = vkey.strip().split("+", 2)  # base64 may itself contain "+"
    if len(parts) != 3 or not _KEY_ID_HEX.fullmatch(parts[1]):
        raise ValueError("verifier key must look like <name>+<8 hex digits>+<base64 key>")
    name, id_hex, encoded = parts
    _check_key_name(name)
    raw = _b64decode(encoded, "verifier key")
    if len(raw) != 33 or raw[0] != ED25519_SIGNATURE_TYPE:
        raise ValueError("verifier key is not a 0x01-typed 32-byte Ed25519 public key")
    public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    if key_id(name, public_key) != bytes.fromhex(id_hex):
        raise ValueError("verifier key ID does not match its name and public key")
    return name, public_key


# --- notes -----------------------------------------------------------------------------------


def sign_note(text: str, key_name: str, private_key: Ed25519PrivateKey) -> str:
    """Sign `text` (which must end in a newline) and return the full signed note."""
    if not text.endswith("\n") or _has_control_chars(text.replace("\n", "")):
        raise ValueError("note text must end with a newline and hold no other control characters")
    ident = key_id(key_name, private_key.public_key())
    signature = private_key.sign(text.encode("utf-8"))
    blob = base64.b64encode(ident + signature).decode("ascii")
    return f"{text}\n{_SIG_PREFIX}{key_name} {blob}\n"


def verify_note(note: str | bytes, key_name: str, public_key: Ed25519PublicKey) -> str:
    """Return the note text if `public_key` under `key_name` signed it.

    Raises VerificationError for a malformed note, no signature by this key, or a signature by
    this key that does not verify.
    """
    text, lines = _split_note(_decode_note(note))
    expected_id = key_id(key_name, public_key)
    found = False
    for name, blob in map(_parse_signature_line, lines):
        if name != key_name or blob[:KEY_ID_SIZE] != expected_id:
            continue  # another key's signature, e.g. a witness cosignature
        _verify_signature(public_key, blob[KEY_ID_SIZE:], text, key_name)
        found = True
    if not found:
        raise VerificationError(f"note has no signature from key {key_name}+{expected_id.hex()}")
    return text


def sign_checkpoint(cp: Checkpoint, key_name: str, private_key: Ed25519PrivateKey) -> str:
    return sign_note(cp.body(), key_name, private_key)


def verify_checkpoint(
    note: str | bytes,
    key_name: str,
    public_key: Ed25519PublicKey,
    origin: str | None = None,
) -> Checkpoint:
    """Verify a signed checkpoint and return it; if `origin` is given the origin must match."""
    checkpoint = Checkpoint.from_body(verify_note(note, key_name, public_key))
    if origin is not None and checkpoint.origin != origin:
        raise VerificationError(
            f"checkpoint origin {checkpoint.origin!r} is not the expected {origin!r}"
        )
    return checkpoint


def _decode_note(note: str | bytes) -> str:
    try:
        text = note.decode("utf-8") if isinstance(note, bytes) else note
        text.encode("utf-8")  # rejects lone surrogates
    except UnicodeError as exc:
        raise VerificationError("note is not valid UTF-8") from exc
    if _has_control_chars(text.replace("\n", "")):
        raise VerificationError("note contains control characters other than newline")
    return text


def _split_note(note: str) -> tuple[str, list[str]]:
    """Split at the last blank line into (text including its newline, signature lines)."""
    split = note.rfind("\n\n")
    if split < 0:
        raise VerificationError("note has no blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise VerificationError("note must end with a newline-terminated signature line")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise VerificationError(f"note has more than {MAX_SIGNATURES} signatures")
    return text, lines


def _parse_signature_line(line: str) -> tuple[str, bytes]:
    if not line.startswith(_SIG_PREFIX):
        raise VerificationError(f"malformed signature line {line[:40]!r}")
    name, _, encoded = line[len(_SIG_PREFIX) :].partition(" ")
    if not _is_valid_key_name(name):
        raise VerificationError(f"malformed key name in signature line {line[:40]!r}")
    blob = _b64decode(encoded, f"signature of {name}")
    if len(blob) <= KEY_ID_SIZE:
        raise VerificationError(f"signature of {name} is too short")
    return name, blob


def _verify_signature(public_key: Ed25519PublicKey, signature: bytes, text: str, name: str) -> None:
    if len(signature) != SIGNATURE_SIZE:
        raise VerificationError(f"signature of {name} is not a 64-byte Ed25519 signature")
    try:
        public_key.verify(signature, text.encode("utf-8"))
    except InvalidSignature as exc:
        raise VerificationError(f"bad signature from key {name}") from exc


# --- key files -------------------------------------------------------------------------------


def generate_key_file(path: Path) -> None:
    """Write a new Ed25519 private key as PKCS#8 PEM, mode 0600; never overwrite a file."""
    pem = Ed25519PrivateKey.generate().private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    )
    _write_new_file(path, pem, 0o600)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except (TypeError, ValueError) as exc:  # TypeError: encrypted key
        raise ValueError(f"{path}: not an unencrypted PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 private key")
    return key


def read_public_key(path: Path) -> Ed25519PublicKey:
    """Read a PEM SubjectPublicKeyInfo file or a file holding a verifier key string."""
    text = path.read_text(encoding="utf-8").strip()
    if not text.startswith("-----BEGIN"):
        return parse_verifier_key(text)[1]
    try:
        key = load_pem_public_key(text.encode("ascii"))
    except ValueError as exc:
        raise ValueError(f"{path}: not a PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path}: not an Ed25519 public key")
    return key


def write_public_key(path: Path, key: Ed25519PublicKey) -> None:
    """Write `key` as PEM SubjectPublicKeyInfo, mode 0644; never overwrite a file."""
    pem = key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    _write_new_file(path, pem, 0o644)


def _write_new_file(path: Path, data: bytes, mode: int) -> None:
    # O_EXCL refuses existing files and symlinks; the mode applies from creation, so a private
    # key is never readable by others, even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)  # the umask may have cleared bits we want
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


# --- helpers ---------------------------------------------------------------------------------


def _typed_public_key(public_key: Ed25519PublicKey) -> bytes:
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return bytes([ED25519_SIGNATURE_TYPE]) + raw


def _is_valid_key_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def _check_key_name(name: str) -> None:
    if not _is_valid_key_name(name) or _has_control_chars(name):
        raise ValueError(f"key name {name!r} must be non-empty with no spaces or '+'")


def _has_control_chars(text: str) -> bool:
    return any(ch < " " for ch in text)


def _b64decode(text: str, what: str) -> bytes:
    """Strict standard base64: alphabet, padding and canonical trailing bits."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise VerificationError(f"{what} is not valid base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise VerificationError(f"{what} is not canonical base64")
    return raw

"""Signed checkpoint tests.

External vectors: the example key and notes in golang.org/x/mod/sumdb/note (note.go docs),
a real sum.golang.org checkpoint from transparency-dev/formats (log/note_test.go), and the
RFC 8032 section 7.1 TEST 1 Ed25519 key. Expected layouts are rebuilt here from hashlib and
cryptography primitives, not from the code under test.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from governance.audit.checkpoint import (
    Checkpoint,
    generate_key_file,
    key_id,
    load_private_key,
    parse_verifier_key,
    read_public_key,
    sign_checkpoint,
    sign_note,
    verifier_key,
    verify_checkpoint,
    verify_note,
    write_public_key,
)
from governance.audit.merkle import VerificationError

EM_DASH = "\u2014"

# golang.org/x/mod/sumdb/note documentation example.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIG = (
    f"{EM_DASH} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqf"
    "qdngotpRZb6KE6RyyBwJnAM=\n"
)
GO_ENOCH_SIG = (
    f"{EM_DASH} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOT"
    "GwnWLox33WWd1RvMc+QQ=\n"
)

# transparency-dev/formats log/note_test.go TestSumDBNoteParsing (the Go checksum database key).
SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_NOTE = (
    "go.sum database tree\n"
    "6476701\n"
    "mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=\n"
    "\n"
    f"{EM_DASH} sum.golang.org Az3grsLX85Gz+s1SiTbgkuqxgItqFq7gsMUEyVnrsa9LM7Us9S+1xbFIGu95949rj4nP"
    "RYfvimWEPWL+o3GeoWwOoAw=\n"
)

# RFC 8032 section 7.1, TEST 1.
RFC8032_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")

# Root of the 8-leaf RFC 6962 reference tree (see test_merkle.py).
ROOT8 = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
ORIGIN = "example.com/decisions"
KEY_NAME = "example.com/decisions"


def go_private_key() -> Ed25519PrivateKey:
    typed_seed = base64.b64decode(GO_SKEY.split("+", 4)[4])
    assert typed_seed[0] == 0x01 and len(typed_seed) == 33
    return Ed25519PrivateKey.from_private_bytes(typed_seed[1:])


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@pytest.fixture(scope="module")
def rfc_key() -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.from_private_bytes(RFC8032_SECRET)
    assert raw_public(key) == RFC8032_PUBLIC
    return key


@pytest.fixture(scope="module")
def signed(rfc_key: Ed25519PrivateKey) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, 8, ROOT8), KEY_NAME, rfc_key)


# --- external known answers ------------------------------------------------------------------


def test_go_example_key_id_and_verifier_key() -> None:
    key = go_private_key()
    assert key_id("PeterNeumann", key.public_key()) == bytes.fromhex("c74f20a3")
    assert verifier_key("PeterNeumann", key.public_key()) == GO_VKEY
    name, public = parse_verifier_key(GO_VKEY)
    assert name == "PeterNeumann"
    assert public.public_bytes(Encoding.Raw, PublicFormat.Raw) == raw_public(key)


def test_go_example_note_is_reproduced_byte_for_byte() -> None:
    assert sign_note(GO_TEXT, "PeterNeumann", go_private_key()) == GO_TEXT + "\n" + GO_SIG


def test_go_example_note_verifies_and_ignores_the_unknown_cosignature() -> None:
    _, public = parse_verifier_key(GO_VKEY)
    assert verify_note(GO_TEXT + "\n" + GO_SIG, "PeterNeumann", public) == GO_TEXT
    both = GO_TEXT + "\n" + GO_SIG + GO_ENOCH_SIG
    assert verify_note(both.encode(), "PeterNeumann", public) == GO_TEXT
    with pytest.raises(VerificationError, match="no signature from key EnochRoot"):
        verify_note(both, "EnochRoot", public)


def test_real_sum_golang_org_checkpoint_verifies() -> None:
    name, public = parse_verifier_key(SUMDB_VKEY)
    cp = verify_checkpoint(SUMDB_NOTE, name, public, origin="go.sum database tree")
    assert cp == Checkpoint(
        "go.sum database tree",
        6476701,
        base64.b64decode("mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk="),
    )
    with pytest.raises(VerificationError, match="origin"):
        verify_checkpoint(SUMDB_NOTE, name, public, origin="Go rocks but I might have the wrong ID")
    with pytest.raises(VerificationError, match="bad signature"):
        verify_checkpoint(SUMDB_NOTE.replace("6476701", "6476702"), name, public)


def test_checkpoint_note_layout_bytes(rfc_key: Ed25519PrivateKey, signed: str) -> None:
    body = b"example.com/decisions\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
    key_hash = hashlib.sha256(KEY_NAME.encode() + b"\n" + b"\x01" + RFC8032_PUBLIC).digest()[:4]
    signature = rfc_key.sign(body)  # Ed25519 is deterministic
    expected = (
        body
        + b"\n"
        + b"\xe2\x80\x94 "
        + KEY_NAME.encode()
        + b" "
        + base64.b64encode(key_hash + signature)
        + b"\n"
    )
    assert Checkpoint(ORIGIN, 8, ROOT8).body().encode() == body
    assert signed.encode("utf-8") == expected
    assert key_id(KEY_NAME, rfc_key.public_key()) == key_hash
    encoded_key = base64.b64encode(b"\x01" + RFC8032_PUBLIC).decode()
    assert verifier_key(KEY_NAME, rfc_key.public_key()) == (
        f"{KEY_NAME}+{key_hash.hex()}+{encoded_key}"
    )


# --- round trip and mutations ----------------------------------------------------------------


def test_round_trip_with_a_fresh_key() -> None:
    key = Ed25519PrivateKey.generate()
    cp = Checkpoint("log.example/eu", 123456789, hashlib.sha256(b"x").digest())
    note = sign_checkpoint(cp, "log.example/eu", key)
    assert verify_checkpoint(note, "log.example/eu", key.public_key(), origin=cp.origin) == cp
    _, public = parse_verifier_key(verifier_key("log.example/eu", key.public_key()))
    assert verify_checkpoint(note, "log.example/eu", public) == cp


def test_empty_tree_checkpoint_round_trips(rfc_key: Ed25519PrivateKey) -> None:
    cp = Checkpoint(ORIGIN, 0, hashlib.sha256(b"").digest())
    assert "\n0\n" in cp.body()
    assert (
        verify_checkpoint(sign_checkpoint(cp, KEY_NAME, rfc_key), KEY_NAME, rfc_key.public_key())
        == cp
    )


def _other_key_same_name(signed: str) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, 8, ROOT8), KEY_NAME, Ed25519PrivateKey.generate())


def _forged_key_id(signed: str) -> str:
    """Another key's signature presented under our key ID."""
    ours = signed.rsplit(" ", 1)[1]
    theirs = _other_key_same_name(signed).rsplit(" ", 1)[1]
    blob = base64.b64decode(ours)[:4] + base64.b64decode(theirs)[4:]
    return signed.replace(ours, base64.b64encode(blob).decode() + "\n")


def _body_and_sig(signed: str) -> tuple[str, str]:
    body, sig = signed.split("\n\n")
    return body + "\n", sig


MUTATIONS: dict[str, Callable[[str], str]] = {
    "altered size": lambda s: s.replace("\n8\n", "\n9\n"),
    "altered root": lambda s: s.replace("XcnaeacG", "YcnaeacG"),
    "altered origin": lambda s: s.replace("example.com/decisions\n", "example.com/decision\n", 1),
    "signature by other key": _other_key_same_name,
    "other key's signature under our key id": _forged_key_id,
    "missing signature line": lambda s: _body_and_sig(s)[0] + "\n",
    "missing signature block": lambda s: _body_and_sig(s)[0],
    "extra blank line before signatures": lambda s: s.replace("\n\n", "\n\n\n"),
    "extra blank line after signatures": lambda s: s + "\n",
    "leading blank line": lambda s: "\n" + s,
    "blank line inside body": lambda s: s.replace("\n8\n", "\n\n8\n"),
    "trailing garbage line": lambda s: s + "garbage\n",
    "trailing garbage": lambda s: s + "garbage",
    "garbage after signature": lambda s: s[:-1] + " extra\n",
    "missing final newline": lambda s: s[:-1],
    "CRLF line endings": lambda s: s.replace("\n", "\r\n"),
    "signature without em dash": lambda s: s.replace(EM_DASH, "-"),
    "truncated signature": lambda s: s[:-10] + "\n",
    "NUL in origin": lambda s: s.replace("example", "exa\x00mple", 1),
    # Without the final-newline rule the last character would be dropped, leaving a valid
    # unknown signature that is then ignored.
    "unterminated extra signature line": lambda s: s + f"{EM_DASH} other AAAAAAAAA",
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_mutated_checkpoints_fail(rfc_key: Ed25519PrivateKey, signed: str, name: str) -> None:
    mutated = MUTATIONS[name](signed)
    assert mutated != signed
    with pytest.raises(VerificationError):
        verify_checkpoint(mutated, KEY_NAME, rfc_key.public_key())


def test_control_characters_are_refused_even_when_signed(rfc_key: Ed25519PrivateKey) -> None:
    for body in [b"exa\x00mple\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n", b"o\r\n8\n"]:
        key_hash = hashlib.sha256(KEY_NAME.encode() + b"\n\x01" + RFC8032_PUBLIC).digest()[:4]
        blob = base64.b64encode(key_hash + rfc_key.sign(body)).decode()
        note = body.decode() + f"\n{EM_DASH} {KEY_NAME} {blob}\n"
        with pytest.raises(VerificationError, match="control characters"):
            verify_note(note, KEY_NAME, rfc_key.public_key())


def test_wrong_key_name_or_origin_fails(rfc_key: Ed25519PrivateKey, signed: str) -> None:
    with pytest.raises(VerificationError, match="no signature"):
        verify_checkpoint(signed, "example.com/other", rfc_key.public_key())
    with pytest.raises(VerificationError, match="origin"):
        verify_checkpoint(signed, KEY_NAME, rfc_key.public_key(), origin="example.com/other")
    with pytest.raises(VerificationError, match="no signature"):
        verify_checkpoint(signed, KEY_NAME, Ed25519PrivateKey.generate().public_key())


def test_other_signatures_are_ignored_up_to_the_limit(
    rfc_key: Ed25519PrivateKey, signed: str
) -> None:
    witness = Ed25519PrivateKey.generate()
    witness_line = sign_note(_body_and_sig(signed)[0], "witness.example", witness).split("\n\n")[1]
    cosigned = signed + witness_line * 16
    assert verify_checkpoint(cosigned, KEY_NAME, rfc_key.public_key()).size == 8
    with pytest.raises(VerificationError, match="more than 100"):
        verify_checkpoint(signed + witness_line * 100, KEY_NAME, rfc_key.public_key())


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("example.com/log\n08\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n", "canonical"),
        ("example.com/log\n+8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n", "canonical"),
        ("example.com/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\next\n", "extension"),
        ("example.com/log\n8\n", "origin, size and root"),
        ("example.com/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg\n", "base64"),
        ("example.com/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyh=\n", "canonical"),
        ("example.com/log\n8\nAAAA\n", "32 bytes"),
        ("\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n", "origin"),
        (
            f"example.com/log\n{2**64}\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
            "outside 0..",
        ),
    ],
)
def test_validly_signed_but_malformed_bodies_fail(
    rfc_key: Ed25519PrivateKey, body: str, problem: str
) -> None:
    note = sign_note(body, KEY_NAME, rfc_key)
    assert verify_note(note, KEY_NAME, rfc_key.public_key()) == body
    with pytest.raises(VerificationError, match=problem):
        verify_checkpoint(note, KEY_NAME, rfc_key.public_key())


def test_checkpoint_rejects_invalid_fields() -> None:
    with pytest.raises(ValueError, match="origin"):
        Checkpoint("two\nlines", 1, ROOT8)
    with pytest.raises(ValueError, match="tree size"):
        Checkpoint(ORIGIN, -1, ROOT8)
    with pytest.raises(ValueError, match="32 bytes"):
        Checkpoint(ORIGIN, 1, ROOT8[:31])


def test_invalid_key_names_are_refused(rfc_key: Ed25519PrivateKey) -> None:
    for name in ["", "has space", "has+plus", "tab\tname"]:
        with pytest.raises(ValueError, match="key name"):
            sign_checkpoint(Checkpoint(ORIGIN, 8, ROOT8), name, rfc_key)


# --- verifier key strings --------------------------------------------------------------------


def test_every_mangled_go_verifier_key_is_rejected() -> None:
    # Mirrors the mangling loops of the sumdb/note tests: every proper substring and every
    # single-character change must be refused.
    for i in range(len(GO_VKEY) + 1):
        for j in range(i + 1, len(GO_VKEY) + 1):
            if (i, j) != (0, len(GO_VKEY)):
                with pytest.raises(ValueError):
                    parse_verifier_key(GO_VKEY[i:j])
    for i, ch in enumerate(GO_VKEY):
        with pytest.raises(ValueError):
            parse_verifier_key(GO_VKEY[:i] + chr(ord(ch) + 1) + GO_VKEY[i + 1 :])


@pytest.mark.parametrize(
    ("vkey", "problem"),
    [
        # Both from the sumdb/note tests: the key hash is adjusted so only the key is wrong.
        # Wrong key length (its base64 is also non-canonical, which is refused first here).
        (
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
            "base64",
        ),
        # Unknown algorithm byte.
        ("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "0x01-typed"),
    ],
)
def test_verifier_key_with_consistent_hash_but_bad_key_is_rejected(vkey: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_verifier_key(vkey)


# --- key files -------------------------------------------------------------------------------


def test_generate_key_file_is_private_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.key"
    generate_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = path.read_bytes()
    assert before.startswith(b"-----BEGIN PRIVATE KEY-----")
    with pytest.raises(FileExistsError):
        generate_key_file(path)
    assert path.read_bytes() == before
    assert isinstance(load_private_key(path), Ed25519PrivateKey)


def test_generate_key_file_refuses_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    link = tmp_path / "checkpoint.key"
    os.symlink(target, link)
    with pytest.raises(FileExistsError):
        generate_key_file(link)
    assert not target.exists()


def test_public_key_files_round_trip_as_pem_and_vkey(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    pem_path = tmp_path / "checkpoint.pub"
    write_public_key(pem_path, key.public_key())
    with pytest.raises(FileExistsError):
        write_public_key(pem_path, key.public_key())
    vkey_path = tmp_path / "checkpoint.vkey"
    vkey_path.write_text(verifier_key("log.example", key.public_key()) + "\n")
    for path in (pem_path, vkey_path):
        loaded = read_public_key(path)
        assert loaded.public_bytes(Encoding.Raw, PublicFormat.Raw) == raw_public(key)


def test_non_ed25519_keys_are_refused(tmp_path: Path) -> None:
    ec_key = generate_private_key(SECP256R1())
    private = tmp_path / "ec.key"
    private.write_bytes(ec_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    public = tmp_path / "ec.pub"
    public.write_bytes(
        ec_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(ValueError, match="not an Ed25519 private key"):
        load_private_key(private)
    with pytest.raises(ValueError, match="not an Ed25519 public key"):
        read_public_key(public)
    garbage = tmp_path / "garbage.key"
    garbage.write_text("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    with pytest.raises(ValueError, match="not an unencrypted PEM private key"):
        load_private_key(garbage)

"""OPA bundles: build, sign, verify and load the policy tree as one `.tar.gz`.

Layout (OPA's bundle file format): `/.manifest` ({"revision", "roots"}), every `.rego` file at
its path in the tree, and each reference document as `/reference/<name>/data.json` (so
`data/entities.json` becomes `data.reference.entities`, and the SDN CSV ships already parsed as
`/reference/sanctions/data.json`). `/.signatures.json` follows OPA's signature format: one JWT
whose payload lists every other file with its SHA-256 hash, JSON files hashed in OPA's
canonical form, so `opa run --verification-key` accepts what `governance policy sign` made.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import tarfile
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from governance.config import insecure_url
from governance.keys import VerificationKey, load_public_key
from governance.policy.source import PolicySource, PolicySourceError, load_policy_source

MANIFEST = ".manifest"
SIGNATURES = ".signatures.json"
DATA_FILE = "data.json"
DEFAULT_ROOTS = ("governance", "reference")
MAX_BUNDLE_BYTES = 64 * 1024 * 1024  # compressed and uncompressed alike: refuses gzip bombs
MAX_FILES = 10_000
FETCH_TIMEOUT_S = 10.0
_HASHES = {"SHA-256": hashlib.sha256, "SHA-384": hashlib.sha384, "SHA-512": hashlib.sha512}
_PACKAGE = re.compile(r"^\s*package\s+([A-Za-z_][\w.]*)", re.MULTILINE)


class BundleError(PolicySourceError):
    """A bundle that cannot be read, or whose signature does not cover exactly its files."""


@dataclass(frozen=True)
class BundleFile:
    name: str  # path inside the bundle, no leading slash
    data: bytes


@dataclass(frozen=True)
class Fetched:
    """One poll of a bundle URL: `raw` is None when the server answered 304 Not Modified."""

    raw: bytes | None
    etag: str | None


# ---- build -------------------------------------------------------------------------------


def bundle_files(source: PolicySource, revision: str | None = None) -> list[BundleFile]:
    """The files of the bundle for `source`, manifest first."""
    modules = list(source.modules) + list(source.tests)
    roots = _roots(modules)
    manifest = {"revision": revision if revision is not None else source.revision, "roots": roots}
    files = [BundleFile(MANIFEST, _json_bytes(manifest))]
    files += [BundleFile(name, text.encode()) for name, text in sorted(modules)]
    files += [BundleFile(name, _json_bytes(doc)) for name, doc in _data_documents(source.data)]
    return files


def build_bundle(source: PolicySource, revision: str | None = None) -> bytes:
    return pack(bundle_files(source, revision))


def build_bundle_from_dir(root: Path, out: Path, revision: str | None = None) -> str:
    """Packs the policy tree at `root` into `out`; returns the bundle's revision."""
    files = bundle_files(load_policy_source(root), revision)
    out.write_bytes(pack(files))
    return str(json.loads(files[0].data)["revision"])


def pack(files: Iterable[BundleFile]) -> bytes:
    """Deterministic tar.gz (fixed times and owners): the same tree gives the same bytes."""
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for f in files:
            info = tarfile.TarInfo("/" + f.name)  # OPA's own bundles use absolute entry names
            info.size, info.mode, info.mtime = len(f.data), 0o644, 0
            tar.addfile(info, io.BytesIO(f.data))
    return buffer.getvalue()


def _roots(modules: Iterable[tuple[str, str]]) -> list[str]:
    # OPA refuses a bundle with a package outside its roots, so every package root is listed.
    roots = set(DEFAULT_ROOTS)
    for name, text in modules:
        match = _PACKAGE.search(text)
        if match is None:
            raise BundleError(f"{name}: no package declaration")
        roots.add(match.group(1).split(".")[0])
    return sorted(roots)


def _data_documents(data: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Each second-level document of `data` at `<root>/<name>/data.json`."""
    out: list[tuple[str, Any]] = []
    for root, doc in sorted(data.items()):
        if not isinstance(doc, dict):
            out.append((f"{_segment(root)}/{DATA_FILE}", doc))
            continue
        for name, value in sorted(doc.items()):
            out.append((f"{_segment(root)}/{_segment(name)}/{DATA_FILE}", value))
    return out


def _segment(name: str) -> str:
    if not name or "/" in name or name in (".", ".."):
        raise BundleError(f"data key {name!r} cannot be a bundle path segment")
    return name


def _json_bytes(doc: Any) -> bytes:
    return json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=False).encode() + b"\n"


# ---- read --------------------------------------------------------------------------------


def unpack(raw: bytes) -> list[BundleFile]:
    """Regular files of a tar.gz bundle, names normalised; anything odd is refused."""
    if len(raw) > MAX_BUNDLE_BYTES:
        raise BundleError(f"bundle exceeds {MAX_BUNDLE_BYTES} bytes")
    files: dict[str, BundleFile] = {}
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as tar:
            for member in tar:
                if member.isdir():
                    continue
                name = _member_name(member)
                total += member.size
                if total > MAX_BUNDLE_BYTES or len(files) >= MAX_FILES:
                    raise BundleError(f"bundle exceeds {MAX_BUNDLE_BYTES} B or {MAX_FILES} files")
                if name in files:  # a second copy could shadow the signed one
                    raise BundleError(f"bundle holds {name} twice")
                stream = tar.extractfile(member)
                files[name] = BundleFile(name, stream.read() if stream else b"")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BundleError(f"not a gzipped tar bundle: {exc}") from exc
    return list(files.values())


def _member_name(member: tarfile.TarInfo) -> str:
    if not member.isfile():
        raise BundleError(f"{member.name}: bundles may hold regular files only")
    parts = [p for p in member.name.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise BundleError(f"{member.name}: invalid path in bundle")
    return "/".join(parts)


def read_bundle(
    raw: bytes, verification_key: VerificationKey | None = None, origin: str = "bundle"
) -> PolicySource:
    """Parses (and, with a key, verifies) a bundle into a PolicySource; its revision is the
    manifest's revision (or a content hash when the manifest has none)."""
    files = unpack(raw)
    signatures = next((f for f in files if f.name == SIGNATURES), None)
    content = [f for f in files if f.name != SIGNATURES]
    if verification_key is not None:
        if signatures is None:
            raise BundleError(f"{origin}: bundle is not signed ({SIGNATURES} missing)")
        verify_signatures(content, signatures.data, verification_key)
    manifest = _manifest(content)
    modules, tests, data = _contents(content, manifest["roots"])
    revision = str(manifest.get("revision") or "") or _content_revision(content)
    signed = verification_key is not None  # verified above
    return PolicySource(origin, tuple(modules), tuple(tests), data, revision, signed)


def _manifest(files: list[BundleFile]) -> dict[str, Any]:
    found = next((f for f in files if f.name == MANIFEST), None)
    if found is None:
        return {"revision": "", "roots": [""]}
    doc = _parse_json(found)
    if not isinstance(doc, dict):
        raise BundleError(f"{MANIFEST}: not a JSON object")
    roots = doc.get("roots", [""])
    if not isinstance(roots, list) or not all(isinstance(r, str) for r in roots):
        raise BundleError(f"{MANIFEST}: roots must be a list of strings")
    if not isinstance(doc.get("revision", ""), str):
        raise BundleError(f"{MANIFEST}: revision must be a string")
    return {"revision": doc.get("revision", ""), "roots": roots}


def _contents(
    files: list[BundleFile], roots: list[str]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], dict[str, Any]]:
    modules: list[tuple[str, str]] = []
    tests: list[tuple[str, str]] = []
    data: dict[str, Any] = {}
    for f in sorted(files, key=lambda x: x.name):
        if f.name.endswith(".rego"):
            text = _text(f)
            _check_root(f.name, _package_path(f.name, text), roots)
            (tests if f.name.endswith("_test.rego") else modules).append((f.name, text))
        elif f.name.rsplit("/", 1)[-1] == DATA_FILE:
            path = f.name.split("/")[:-1]
            _check_root(f.name, path, roots)
            _insert(data, path, _parse_json(f), f.name)
    if not modules:
        raise BundleError("bundle holds no .rego modules")
    data.setdefault("reference", {})
    if isinstance(data["reference"], dict):
        data["reference"].setdefault("sanctions", {})  # same default as a directory tree
    return modules, tests, data


def _package_path(name: str, text: str) -> list[str]:
    match = _PACKAGE.search(text)
    if match is None:
        raise BundleError(f"{name}: no package declaration")
    return match.group(1).split(".")


def _check_root(name: str, path: list[str], roots: list[str]) -> None:
    if not any(r == "" or path[: len(r.split("/"))] == r.split("/") for r in roots):
        raise BundleError(f"{name}: {'/'.join(path)} is outside the manifest roots {roots}")


def _insert(data: dict[str, Any], path: list[str], value: Any, name: str) -> None:
    if not path:
        if not isinstance(value, dict):
            raise BundleError(f"{name}: the root data document must be an object")
        _merge(data, value, name)
        return
    node = data
    for segment in path[:-1]:
        node = node.setdefault(segment, {})
        if not isinstance(node, dict):
            raise BundleError(f"{name}: conflicts with another data document")
    if path[-1] in node:
        if not (isinstance(node[path[-1]], dict) and isinstance(value, dict)):
            raise BundleError(f"{name}: conflicts with another data document")
        _merge(node[path[-1]], value, name)
    else:
        node[path[-1]] = value


def _merge(target: dict[str, Any], value: dict[str, Any], name: str) -> None:
    for key, item in value.items():
        if key in target:
            raise BundleError(f"{name}: key {key!r} is defined twice")
        target[key] = item


def _content_revision(files: list[BundleFile]) -> str:
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda x: x.name):
        digest.update(f.name.encode() + b"\0" + hashlib.sha256(f.data).digest())
    return digest.hexdigest()[:16]


def _text(f: BundleFile) -> str:
    try:
        return f.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BundleError(f"{f.name}: not UTF-8") from exc


def _parse_json(f: BundleFile) -> Any:
    try:
        return json.loads(_text(f))
    except json.JSONDecodeError as exc:
        raise BundleError(f"{f.name}:{exc.lineno}: invalid JSON: {exc.msg}") from exc


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
            value = json.loads(_text(f), parse_int=_Number, parse_float=_Number)
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
    signatures = BundleFile(SIGNATURES, _json_bytes({"signatures": [token]}))
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


# ---- locations -----------------------------------------------------------------------------


def is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def load_policy_source_any(
    location: str | Path, verification_key: VerificationKey | None = None
) -> PolicySource:
    """A policy directory, a `.tar.gz` bundle file or an http(s) bundle URL."""
    text = str(location)
    if is_url(text):
        raw = fetch_bundle(text).raw
        if raw is None:  # only an If-None-Match request can get 304
            raise BundleError(f"{text}: server answered 304 to an unconditional GET")
        return read_bundle(raw, verification_key, text)
    path = Path(location)
    if path.is_dir():
        if verification_key is not None:
            raise BundleError(
                f"{path} is a directory, but a bundle verification key is configured: "
                "serve a signed bundle (governance policy build + sign) instead"
            )
        return load_policy_source(path)
    return read_bundle(read_bundle_file(path), verification_key, str(path))


def read_bundle_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BundleError(f"{path}: cannot read bundle: {exc}") from exc


def fetch_bundle(url: str, etag: str | None = None) -> Fetched:
    """GET with If-None-Match (stdlib client: fetching is not on the hot path); every
    transport failure becomes a BundleError."""
    if not is_url(url):
        raise BundleError(f"{url}: only http(s) bundle URLs are fetched")
    if insecure_url(url):
        raise BundleError(f"{url}: plain http:// is refused except to loopback; use https://")
    headers = {"If-None-Match": etag} if etag else {}
    try:
        request = urllib.request.Request(url, headers=headers)
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as resp:
            body: bytes = resp.read(MAX_BUNDLE_BYTES + 1)
            if len(body) > MAX_BUNDLE_BYTES:
                raise BundleError(f"{url}: bundle exceeds {MAX_BUNDLE_BYTES} bytes")
            return Fetched(body, resp.headers.get("ETag"))
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return Fetched(None, etag)
        raise BundleError(f"{url}: HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise BundleError(f"{url}: cannot fetch bundle: {exc}") from exc

"""OPA bundles: build, sign, verify and load the policy tree as one `.tar.gz`.

Layout (OPA's bundle file format): `/.manifest` ({"revision", "roots"}), every `.rego` file at
its path in the tree, and each reference document as `/reference/<name>/data.json` (so
`data/entities.json` becomes `data.reference.entities`, and the SDN CSV ships already parsed as
`/reference/sanctions/data.json`). `/.signatures.json` follows OPA's signature format: one JWT
whose payload lists every other file with its SHA-256 hash, JSON files hashed in OPA's
canonical form, so `opa run --verification-key` accepts what `governance policy sign` made.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from governance.config import insecure_url
from governance.keys import VerificationKey
from governance.policy.bundle_archive import (
    DATA_FILE,
    MANIFEST,
    MAX_BUNDLE_BYTES,
    SIGNATURES,
    BundleError,
    BundleFile,
    json_bytes,
    pack,
    unpack,
    utf8_text,
)
from governance.policy.bundle_signing import (
    file_hash,
    load_verification_key,
    sign_bundle,
    verify_signatures,
)
from governance.policy.source import PolicySource, add_derived, load_policy_source

__all__ = [
    "BundleError",
    "BundleFile",
    "Fetched",
    "build_bundle",
    "build_bundle_from_dir",
    "bundle_files",
    "fetch_bundle",
    "file_hash",
    "is_url",
    "load_policy_source_any",
    "load_verification_key",
    "pack",
    "read_bundle",
    "read_bundle_file",
    "sign_bundle",
    "unpack",
    "verify_signatures",
]

DEFAULT_ROOTS = ("governance", "reference")
FETCH_TIMEOUT_S = 10.0
_PACKAGE = re.compile(r"^\s*package\s+([A-Za-z_][\w.]*)", re.MULTILINE)


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
    files = [BundleFile(MANIFEST, json_bytes(manifest))]
    files += [BundleFile(name, text.encode()) for name, text in sorted(modules)]
    files += [BundleFile(name, json_bytes(doc)) for name, doc in _data_documents(source.data)]
    return files


def build_bundle(source: PolicySource, revision: str | None = None) -> bytes:
    return pack(bundle_files(source, revision))


def build_bundle_from_dir(root: Path, out: Path, revision: str | None = None) -> str:
    """Packs the policy tree at `root` into `out`; returns the bundle's revision."""
    files = bundle_files(load_policy_source(root), revision)
    out.write_bytes(pack(files))
    return str(json.loads(files[0].data)["revision"])


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


# ---- read --------------------------------------------------------------------------------


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
            text = utf8_text(f)
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
        add_derived(data["reference"])
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


def _parse_json(f: BundleFile) -> Any:
    try:
        return json.loads(utf8_text(f))
    except json.JSONDecodeError as exc:
        raise BundleError(f"{f.name}:{exc.lineno}: invalid JSON: {exc.msg}") from exc


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

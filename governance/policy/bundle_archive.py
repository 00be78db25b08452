"""The bundle archive: a deterministic `.tar.gz` of named files, read back with limits that
refuse gzip bombs, links and path tricks. What the files mean is bundle.py's business; their
signature is bundle_signing.py's."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from governance.policy.source import PolicySourceError

MANIFEST = ".manifest"
SIGNATURES = ".signatures.json"
DATA_FILE = "data.json"
MAX_BUNDLE_BYTES = 64 * 1024 * 1024  # compressed and uncompressed alike: refuses gzip bombs
MAX_FILES = 10_000


class BundleError(PolicySourceError):
    """A bundle that cannot be read, or whose signature does not cover exactly its files."""


@dataclass(frozen=True)
class BundleFile:
    name: str  # path inside the bundle, no leading slash
    data: bytes


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


def json_bytes(doc: Any) -> bytes:
    return json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=False).encode() + b"\n"


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


def utf8_text(f: BundleFile) -> str:
    try:
        return f.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BundleError(f"{f.name}: not UTF-8") from exc

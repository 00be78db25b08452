"""Reads a policy tree from disk into one immutable value: Rego modules, Rego tests and the
reference data document. Engines compile from this value, never from the disk, so what was
loaded, tested and hashed is exactly what decides."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DECISION_RULE = "data.governance.main.decision"
SDN_FILE = "sdn.csv"
_ETH_ADDRESS = re.compile(r"Digital Currency Address - ETH\s+(0x[0-9a-fA-F]{40})")


class PolicySourceError(ValueError):
    """A policy tree that cannot be read; the message names the file."""


@dataclass(frozen=True)
class PolicySource:
    root: str
    modules: tuple[tuple[str, str], ...]
    tests: tuple[tuple[str, str], ...]
    data: Mapping[str, Any]
    revision: str
    signed: bool = False  # a bundle whose signature was verified with the configured key

    @property
    def data_json(self) -> str:
        return json.dumps(self.data, separators=(",", ":"), sort_keys=True)


def load_policy_source(root: Path) -> PolicySource:
    """Loads `root/**/*.rego` and `root/data/*.json` (+ `root/data/sdn.csv`).

    Each `data/<name>.json` becomes `data.reference.<name>`; the SDN list becomes
    `data.reference.sanctions` (address -> entry)."""
    if not root.is_dir():
        raise PolicySourceError(f"policy path {root} is not a directory")
    digest = hashlib.sha256()
    modules: list[tuple[str, str]] = []
    tests: list[tuple[str, str]] = []
    for path in sorted(root.rglob("*.rego")):
        rel = path.relative_to(root).as_posix()
        text = _read_text(path)
        digest.update(rel.encode() + b"\0" + text.encode() + b"\0")
        (tests if path.name.endswith("_test.rego") else modules).append((rel, text))
    if not modules:
        raise PolicySourceError(f"no .rego modules under {root}")
    reference: dict[str, Any] = {}
    data_dir = root / "data"
    for path in sorted(data_dir.glob("*.json")) if data_dir.is_dir() else []:
        text = _read_text(path)
        digest.update(path.name.encode() + b"\0" + text.encode() + b"\0")
        try:
            reference[path.stem] = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PolicySourceError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
    sdn = data_dir / SDN_FILE
    if sdn.is_file():
        text = _read_text(sdn)
        digest.update(SDN_FILE.encode() + b"\0" + text.encode())
        reference["sanctions"] = parse_sdn_csv(text)
    else:
        reference.setdefault("sanctions", {})
    return PolicySource(
        root=str(root),
        modules=tuple(modules),
        tests=tuple(tests),
        data={"reference": reference},
        revision=digest.hexdigest()[:16],
    )


def parse_sdn_csv(text: str) -> dict[str, dict[str, Any]]:
    """Parses the OFAC SDN CSV layout (no header; ent_num, SDN_Name, SDN_Type, Program, ...,
    Remarks in column 12, "-0-" for empty) and returns every ETH address named in the remarks
    as `Digital Currency Address - ETH 0x...`, lower-cased."""
    out: dict[str, dict[str, Any]] = {}
    for line_no, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) < 12:
            raise PolicySourceError(
                f"{SDN_FILE}:{line_no}: expected 12 columns (OFAC SDN layout), got {len(row)}"
            )
        entry = {
            "ent_num": _sdn_cell(row[0]),
            "name": _sdn_cell(row[1]),
            "type": _sdn_cell(row[2]),
            "program": _sdn_cell(row[3]),
        }
        for address in _ETH_ADDRESS.findall(row[11]):
            out[address.lower()] = entry
    return out


def _sdn_cell(cell: str) -> str:
    cell = cell.strip()
    return "" if cell == "-0-" else cell


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicySourceError(f"{path}: cannot read: {exc}") from exc

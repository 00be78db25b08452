"""Reads a policy tree from disk into one immutable value: Rego modules, Rego tests and the
reference data document. Engines compile from this value, never from the disk, so what was
loaded, tested and hashed is exactly what decides."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from governance.policy.sanction_lists import (
    REGISTRY,
    SanctionListError,
    load_sanction_lists,
    parse_ofac_sdn_csv,
)

DECISION_RULE = "data.governance.main.decision"
DIRECTORY_VASPS = "directory_vasps"


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
    """Loads `root/**/*.rego`, `root/data/*.json` and the sanctions lists they name.

    Each `data/<name>.json` becomes `data.reference.<name>`; the sanctions lists
    (governance/policy/sanction_lists.py) become `data.reference.sanctions` (address ->
    listing), `sanctioned_names` and `sanction_lists` (each list with its digest)."""
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
    try:
        lists, files = load_sanction_lists(data_dir, reference.get(REGISTRY))
    except SanctionListError as exc:
        raise PolicySourceError(str(exc)) from exc
    except UnicodeDecodeError as exc:
        raise PolicySourceError(f"a sanctions list is not UTF-8: {exc}") from exc
    for name, raw in files:
        digest.update(name.encode() + b"\0" + raw)
    reference.update(lists)
    add_derived(reference)
    return PolicySource(
        root=str(root),
        modules=tuple(modules),
        tests=tuple(tests),
        data={"reference": reference},
        revision=digest.hexdigest()[:16],
    )


def add_derived(reference: dict[str, Any]) -> None:
    """Adds the indexes the policy reads instead of walking a whole reference document on every
    decision: `directory_vasps`, the entity directory's VASP entries in address order (the
    travel rule's VASP checks and the caller's firm, lib/ctx.rego). Derived for every source, a
    tree or a bundle, replacing any copy a bundle ships: it cannot disagree with the directory.
    A directory that is not an object gets no index (the policy then walks it, as before)."""
    reference.pop(DIRECTORY_VASPS, None)
    entities = reference.get("entities")
    if isinstance(entities, dict):
        entries = (entities[address] for address in sorted(entities))
        reference[DIRECTORY_VASPS] = [
            e for e in entries if isinstance(e, dict) and e.get("entity_kind") == "vasp"
        ]


def parse_sdn_csv(text: str) -> dict[str, dict[str, Any]]:
    """The addresses an OFAC SDN CSV names (lower-case) -> their listing."""
    try:
        lists = parse_ofac_sdn_csv(text)
    except SanctionListError as exc:
        raise PolicySourceError(str(exc)) from exc
    return {
        address: {"ent_num": e.id, "name": e.names[0], "type": e.type, "program": e.program}
        for e in lists
        for address in e.addresses
    }


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicySourceError(f"{path}: cannot read: {exc}") from exc

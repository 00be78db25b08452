"""Sanctions lists in their official formats, read into the reference data the policies and the
name screening use (docs/policies.md, "Sanctions lists").

`data/sanction_lists.json` names each list: its file under `data/`, its format, its legal
basis (cited by the reasons it gives) and where it is published. Without that document the
tree's `data/sdn.csv`, if present, is the one list (OFAC SDN). Each list contributes:
- addresses: every ETH address it names -> `data.reference.sanctions[address]`, with the list;
- names: every name and alias of every listed party -> `data.reference.sanctioned_names`;
- its digest (SHA-256 of the file) and counts -> `data.reference.sanction_lists[id]`, which
  every decision's input repeats (`input.screening.lists`), so a record says what was screened.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

REGISTRY = "sanction_lists"  # data/sanction_lists.json
SDN_FILE: Final = "sdn.csv"
DEFAULT_LISTS: Final[Mapping[str, Mapping[str, str]]] = {
    "ofac_sdn": {
        "name": "OFAC SDN List",
        "file": SDN_FILE,
        "format": "ofac_sdn_csv",
        "regulation": "OFAC SDN List, 31 CFR chapter V; FATF Recommendation 6",
    }
}
_ETH_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}(?![0-9a-fA-F])")
_SDN_ETH_ADDRESS = re.compile(r"Digital Currency Address - ETH\s+(0x[0-9a-fA-F]{40})")


class SanctionListError(ValueError):
    """A list that cannot be read; the message names the file and line."""


@dataclass
class Listing:
    """One listed party: its id on the list, names (first is the primary) and addresses."""

    id: str
    type: str
    program: str
    names: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)


def load_sanction_lists(
    data_dir: Path, registry: Mapping[str, Any] | None
) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    """The reference documents of every list (`sanctions`, `sanctioned_names`,
    `sanction_lists`) and the (file name, bytes) read, for the tree's revision digest."""
    lists = _registry(data_dir, registry)
    sanctions: dict[str, dict[str, Any]] = {}
    names: list[dict[str, str]] = []
    described: dict[str, dict[str, Any]] = {}
    read: list[tuple[str, bytes]] = []
    for list_id, meta in lists.items():
        raw = _read(data_dir, meta)
        read.append((meta["file"], raw))
        listings = parse_list(meta["format"], raw.decode("utf-8"), meta["file"])
        for entry in listings:
            _add(sanctions, names, list_id, entry)
        described[list_id] = {
            **meta,
            "digest": hashlib.sha256(raw).hexdigest(),
            "entries": len(listings),
            "addresses": sum(len(e.addresses) for e in listings),
        }
    doc = {"sanctions": sanctions, "sanctioned_names": names, REGISTRY: described}
    return doc, read


def parse_list(fmt: str, text: str, file: str) -> list[Listing]:
    parser = PARSERS.get(fmt)
    if parser is None:
        raise SanctionListError(f"{file}: unknown list format {fmt!r} (known: {sorted(PARSERS)})")
    return parser(text, file)


def parse_ofac_sdn_csv(text: str, file: str = SDN_FILE) -> list[Listing]:
    """The OFAC SDN CSV layout: no header; ent_num, SDN_Name, SDN_Type, Program, ..., Remarks
    in column 12, "-0-" for empty. ETH addresses are named in the remarks as `Digital
    Currency Address - ETH 0x...`."""
    out: list[Listing] = []
    for line_no, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) < 12:
            raise SanctionListError(
                f"{file}:{line_no}: expected 12 columns (OFAC SDN layout), got {len(row)}"
            )
        entry = Listing(_sdn_cell(row[0]), _sdn_cell(row[2]), _sdn_cell(row[3]))
        entry.names.append(_sdn_cell(row[1]))
        entry.addresses.extend(a.lower() for a in _SDN_ETH_ADDRESS.findall(row[11]))
        out.append(entry)
    return out


def parse_eu_fsf_csv(text: str, file: str) -> list[Listing]:
    """The EU consolidated financial sanctions list, CSV version 1.1 of the Financial Sanctions
    Files: `;`-separated, a header row, one row per name, address, birth date or identifier,
    each repeating the entity's columns. Columns used: Entity_LogicalId,
    Entity_SubjectType_ClassificationCode (or Entity_SubjectType), Entity_Regulation_Programme,
    NameAlias_WholeName (else first, middle and last name); an ETH address in any cell of a
    row (a remark) is listed for that entity."""
    rows = csv.reader(io.StringIO(text), delimiter=";")
    header = next(rows, None)
    if header is None:
        raise SanctionListError(f"{file}:1: empty file (EU FSF CSV needs a header row)")
    col = {name.strip().lstrip("\ufeff"): i for i, name in enumerate(header)}
    for required in ("Entity_LogicalId", "NameAlias_WholeName"):
        if required not in col:
            raise SanctionListError(f"{file}:1: missing column {required} (EU FSF CSV 1.1)")
    by_id: dict[str, Listing] = {}
    for line_no, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            raise SanctionListError(
                f"{file}:{line_no}: {len(row)} columns, the header has {len(header)}"
            )
        entity_id = row[col["Entity_LogicalId"]].strip()
        if not entity_id:
            raise SanctionListError(f"{file}:{line_no}: empty Entity_LogicalId")
        entry = by_id.get(entity_id)
        if entry is None:
            kind = _cell(row, col, "Entity_SubjectType_ClassificationCode") or _cell(
                row, col, "Entity_SubjectType"
            )
            program = _cell(row, col, "Entity_Regulation_Programme")
            entry = by_id[entity_id] = Listing(entity_id, kind, program)
        name = row[col["NameAlias_WholeName"]].strip() or " ".join(
            part
            for part in (_cell(row, col, f"NameAlias_{p}Name") for p in ("First", "Middle", "Last"))
            if part
        )
        if name and name not in entry.names:
            entry.names.append(name)
        for address in _ETH_ADDRESS.findall(" ".join(row)):
            if address.lower() not in entry.addresses:
                entry.addresses.append(address.lower())
    return list(by_id.values())


PARSERS: Final[Mapping[str, Callable[[str, str], list[Listing]]]] = {
    "ofac_sdn_csv": parse_ofac_sdn_csv,
    "eu_fsf_csv": parse_eu_fsf_csv,
}


def _registry(data_dir: Path, registry: Mapping[str, Any] | None) -> dict[str, dict[str, str]]:
    if registry is None:
        return {k: dict(v) for k, v in DEFAULT_LISTS.items() if (data_dir / v["file"]).is_file()}
    if not isinstance(registry, Mapping):
        raise SanctionListError(f"{REGISTRY}.json: must be an object of lists")
    out: dict[str, dict[str, str]] = {}
    for list_id, meta in registry.items():
        if list_id.startswith("_"):  # _comment
            continue
        missing = [k for k in ("name", "file", "format", "regulation") if not _text(meta, k)]
        if missing:
            raise SanctionListError(f"{REGISTRY}.json: list {list_id!r} needs {missing}")
        out[list_id] = {k: str(v) for k, v in meta.items() if isinstance(v, str)}
    if not out:
        raise SanctionListError(f"{REGISTRY}.json: names no list")
    return out


def _read(data_dir: Path, meta: Mapping[str, str]) -> bytes:
    path = data_dir / meta["file"]
    if path.parent != data_dir:
        raise SanctionListError(f"{REGISTRY}.json: file {meta['file']!r} must lie in data/")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SanctionListError(f"{meta['file']}: cannot read: {exc}") from exc


def _add(
    sanctions: dict[str, dict[str, Any]],
    names: list[dict[str, str]],
    list_id: str,
    entry: Listing,
) -> None:
    primary = entry.names[0] if entry.names else ""
    for address in entry.addresses:
        found = sanctions.get(address)
        if found is None:
            sanctions[address] = {
                "list": list_id,
                "lists": [list_id],
                "ent_num": entry.id,
                "name": primary,
                "type": entry.type,
                "program": entry.program,
            }
        elif list_id not in found["lists"]:
            found["lists"].append(list_id)
    for name in entry.names:
        names.append({"list": list_id, "entry": entry.id, "name": name, "type": entry.type})


def _text(meta: Any, key: str) -> bool:
    return isinstance(meta, Mapping) and isinstance(meta.get(key), str) and bool(meta[key])


def _cell(row: list[str], col: Mapping[str, int], name: str) -> str:
    i = col.get(name)
    return row[i].strip() if i is not None and i < len(row) else ""


def _sdn_cell(cell: str) -> str:
    cell = cell.strip()
    return "" if cell == "-0-" else cell

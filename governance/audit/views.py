"""What readers of the decision log see: role scopes, query filters, view masking, cursors and
export formats. Pure functions and values; the store turns filters and scopes into SQL.

A view item is the stored record plus three keys that are not part of it:

    {...stored record fields..., "leaf_index": n, "leaf_hash": base64, "view_masked": [...]}

Removing those three keys gives back the record whose canonical JSON is the Merkle leaf, unless
`view_masked` is non-empty: then the reader was not entitled to the listed parts (travel-rule
personal data), they read "masked", and only `leaf_hash` (which is over the stored record) can be
checked against a proof.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from governance.domain.records import DecisionRecord, canonical_json

AUDIT_ROLES = ("auditor", "compliance_officer", "regulator", "admin")
# The roles that edit policies, and so read why a save was refused (/status, /audit/policy).
POLICY_DETAIL_ROLES = frozenset({"admin", "compliance_officer"})
VIEW_KEYS = ("leaf_index", "leaf_hash", "view_masked")
TRAVEL_RULE_POINTER = "/input/travel_rule"
MASKED = "masked"
OPA_DECISION_PATH = "governance/main/decision"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # how records store `time`; sorts as text

CSV_COLUMNS = (
    "leaf_index", "id", "time", "ledger", "method", "kind", "sub", "org",
    "subject_jurisdiction", "outcome", "reason_codes", "jurisdictions", "revision",
    "latency_us", "amount_usd", "cross_border", "masked", "view_masked", "leaf_hash", "record",
)  # fmt: skip

_JURISDICTION = re.compile(r"[A-Za-z]{2,8}")
_REASON = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_CSV_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_MAX_TEXT = 256


class FilterError(ValueError):
    """A query parameter that cannot be used; the message says which and why."""


# ---- filters -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionFilter:
    """Conjunction of optional conditions; `since` is inclusive, `until` exclusive, both already
    normalised to TIME_FORMAT in UTC."""

    subject: str | None = None
    org: str | None = None
    jurisdiction: str | None = None
    outcome: str | None = None
    method: str | None = None
    reason: str | None = None
    since: str | None = None
    until: str | None = None


def parse_filter(params: Mapping[str, str | None]) -> DecisionFilter:
    """Validates raw query values (API and CLI share this); raises FilterError."""
    values = {k: (v.strip() if isinstance(v, str) else v) or None for k, v in params.items()}
    for key in ("subject", "org", "method"):
        _check_text(key, values.get(key))
    jurisdiction, reason, outcome = (values.get(k) for k in ("jurisdiction", "reason", "outcome"))
    if jurisdiction is not None and not _JURISDICTION.fullmatch(jurisdiction):
        raise FilterError(f"jurisdiction {jurisdiction!r} must be a code of 2-8 letters")
    if reason is not None and not _REASON.fullmatch(reason):
        raise FilterError(f"reason {reason!r} must be a reason code such as KYC_REQUIRED")
    if outcome is not None and outcome not in ("allow", "deny"):
        raise FilterError(f"outcome {outcome!r} must be allow or deny")
    since = parse_time("since", values.get("since"))
    until = parse_time("until", values.get("until"))
    if since is not None and until is not None and since >= until:
        raise FilterError("since must be earlier than until")
    return DecisionFilter(
        subject=values.get("subject"),
        org=values.get("org"),
        jurisdiction=jurisdiction,
        outcome=outcome,
        method=values.get("method"),
        reason=reason,
        since=since,
        until=until,
    )


def parse_time(name: str, value: str | None) -> str | None:
    """RFC 3339 with an offset -> the stored UTC text form, so comparisons are textual."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise FilterError(
            f"{name} {value!r} is not an RFC 3339 time such as 2026-01-31T00:00:00Z"
        ) from None
    if parsed.tzinfo is None:
        raise FilterError(f"{name} {value!r} needs a UTC offset or Z (RFC 3339)")
    return parsed.astimezone(UTC).strftime(TIME_FORMAT)


def _check_text(name: str, value: str | None) -> None:
    if value is not None and (len(value) > _MAX_TEXT or any(ch < " " for ch in value)):
        raise FilterError(f"{name} must be at most {_MAX_TEXT} printable characters")


# ---- scopes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditScope:
    """Which records a reader may see: all, or the union of some orgs' records and the records
    in which some jurisdictions applied (docs/design.md section 3)."""

    everything: bool = False
    orgs: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()  # a regulator's: records where these applied
    policy_errors: bool = False  # why a policy save was refused (its files and lines)

    @classmethod
    def for_roles(cls, roles: Iterable[str], org: str, jurisdiction: str) -> AuditScope | None:
        """None when no role grants access to the log."""
        granted = set(roles) & set(AUDIT_ROLES)
        if not granted:
            return None
        errors = not POLICY_DETAIL_ROLES.isdisjoint(granted)
        if "admin" in granted:
            return cls(everything=True, policy_errors=errors)
        orgs = (org,) if granted & {"auditor", "compliance_officer"} else ()
        regulated = (jurisdiction.upper(),) if "regulator" in granted else ()
        return cls(orgs=orgs, jurisdictions=regulated, policy_errors=errors)

    def admits(self, record: Mapping[str, Any]) -> bool:
        if self.everything:
            return True
        org = str((record.get("subject") or {}).get("org", ""))
        return org in self.orgs or self._regulates(record)

    def sees_travel_rule(self, record: Mapping[str, Any]) -> bool:
        """Travel-rule personal data is for admins and for regulators of a jurisdiction that
        applied to the decision; auditors of the org read "masked"."""
        return self.everything or self._regulates(record)

    def _regulates(self, record: Mapping[str, Any]) -> bool:
        applied = {str(j).upper() for j in (record.get("result") or {}).get("jurisdictions", [])}
        return any(j in applied for j in self.jurisdictions)


EVERYTHING = AuditScope(everything=True)


def jurisdiction_forms(code: str) -> tuple[str, ...]:
    """Policies write country codes upper case and unions (eu) lower case; match either."""
    return tuple(dict.fromkeys((code.upper(), code.lower())))


# ---- items ---------------------------------------------------------------------------------


def view_item(
    leaf_index: int, leaf_hash: bytes, record: dict[str, Any], scope: AuditScope
) -> dict[str, Any]:
    """The reader's view of one stored record (see the module docstring)."""
    view_masked: list[str] = []
    doc = record
    if (record.get("input") or {}).get("travel_rule") is not None and not scope.sees_travel_rule(
        record
    ):
        doc = {**record, "input": {**record["input"], "travel_rule": MASKED}}
        view_masked.append(TRAVEL_RULE_POINTER)
    return {
        **doc,
        "leaf_index": leaf_index,
        "leaf_hash": b64(leaf_hash),
        "view_masked": view_masked,
    }


def stored_record(item: Mapping[str, Any]) -> dict[str, Any]:
    """The record as stored (and hashed), from a view item that is not view-masked."""
    return {k: v for k, v in item.items() if k not in VIEW_KEYS}


def derived_columns(record: Mapping[str, Any]) -> dict[str, str]:
    """The decisions table's filter columns, as computed from the record itself."""
    return columns_of(DecisionRecord.from_json(dict(record)))


COLUMN_NAMES = (
    "id", "time", "ledger", "method", "kind", "sub", "org", "subject_jurisdiction",
    "outcome", "revision", "jurisdictions", "reason_codes",
)  # fmt: skip


def columns_of(rec: DecisionRecord) -> dict[str, str]:
    """The one definition of the decisions table's copies of record fields, in COLUMN_NAMES
    order (the store inserts the values positionally)."""
    return {
        "id": rec.id,
        "time": rec.time,
        "ledger": rec.ledger,
        "method": rec.method,
        "kind": rec.kind,
        "sub": str(rec.subject.get("sub", "")),
        "org": rec.org,
        "subject_jurisdiction": str(rec.subject.get("jurisdiction", "")),
        "outcome": rec.outcome,
        "revision": rec.revision,
        "jurisdictions": "," + ",".join(rec.jurisdictions) + ",",
        "reason_codes": "," + ",".join(rec.reason_codes) + ",",
    }


# ---- cursors -------------------------------------------------------------------------------


def encode_cursor(position: int, prefix: str = "leaf") -> str:
    text = f"{prefix}:{position}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, prefix: str = "leaf") -> int:
    """The last position (leaf index, or finding id) of the previous page; raises
    FilterError for anything else."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        found, _, number = text.partition(":")
        if found != prefix or not number.isdigit():
            raise ValueError(text)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise FilterError(f"cursor {cursor!r} is not a cursor this API returned") from None


# ---- export formats ------------------------------------------------------------------------

EXPORT_FORMATS = ("jsonl", "csv", "opa")
MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv", "opa": "application/x-ndjson"}


def renderer(fmt: str) -> tuple[bytes, Callable[[Mapping[str, Any]], bytes]]:
    """The header and the per-item line function of an export format."""
    if fmt not in EXPORT_FORMATS:
        raise FilterError(f"format {fmt!r} must be one of {', '.join(EXPORT_FORMATS)}")
    lines = {"jsonl": jsonl_line, "csv": csv_row, "opa": opa_line}
    return (csv_header() if fmt == "csv" else b""), lines[fmt]


class _Row(Protocol):
    @property
    def leaf_index(self) -> int: ...

    @property
    def leaf_hash(self) -> bytes: ...

    def record(self) -> dict[str, Any]: ...


class _Checkpoint(Protocol):
    @property
    def size(self) -> int: ...

    @property
    def root(self) -> bytes: ...

    @property
    def note(self) -> str: ...

    @property
    def time(self) -> str: ...


class ExportSource(Protocol):
    """The reads an export needs (SqlLog has them)."""

    def decisions(
        self, where: Any = None, after: int = -1, limit: int = 100, before: int | None = None
    ) -> Sequence[_Row]: ...

    def checkpoints(self, up_to: int | None = None) -> Sequence[_Checkpoint]: ...


def export_lines(
    source: ExportSource, where: Any, scope: AuditScope, fmt: str, size: int, page: int = 1000
) -> Iterator[bytes]:
    """An export of the first `size` leaves (one snapshot), a page of rows per read; a jsonl
    export ends with the checkpoints it covers so it can be verified on its own."""
    header, line = renderer(fmt)
    if header:
        yield header
    after = -1
    while True:
        rows = source.decisions(where, after, page, size)
        if rows:
            yield b"".join(
                line(view_item(r.leaf_index, r.leaf_hash, r.record(), scope)) for r in rows
            )
            after = rows[-1].leaf_index
        if len(rows) < page:
            break
    if fmt == "jsonl":
        for cp in source.checkpoints(size):
            yield checkpoint_line(cp.size, cp.root, cp.note, cp.time)


def jsonl_line(item: Mapping[str, Any]) -> bytes:
    return canonical_json(item) + b"\n"


def checkpoint_line(size: int, root: bytes, note: str, time: str) -> bytes:
    """Checkpoints close a jsonl export so `governance audit verify --export` is self-contained;
    records never have a "checkpoint" key."""
    doc = {"checkpoint": {"size": size, "root": b64(root), "note": note, "time": time}}
    return canonical_json(doc) + b"\n"


def opa_line(item: Mapping[str, Any]) -> bytes:
    """OPA decision-log event: erased = pointers removed before storage; masked = pointers this
    reader may not see (OPA's mask upsert)."""
    doc = {
        "decision_id": item["id"],
        "path": OPA_DECISION_PATH,
        "input": item.get("input"),
        "result": item.get("result"),
        "timestamp": item["time"],
        "bundles": {"governance": {"revision": item.get("revision", "")}},
        "labels": {"app": "governance", "ledger": item.get("ledger", "")},
        "metrics": {"timer_server_handler_ns": int(item.get("latency_us", 0)) * 1000},
        "erased": ["/input" + p for p in item.get("masked", [])],
        "masked": list(item.get("view_masked", [])),
    }
    return canonical_json(doc) + b"\n"


def csv_header() -> bytes:
    return _csv_bytes([list(CSV_COLUMNS)])


def csv_row(item: Mapping[str, Any]) -> bytes:
    """One flat row per record; `record` holds the record's JSON. Text cells that a spreadsheet
    would run as a formula get a leading quote (the JSON column stays exact)."""
    subject = item.get("subject") or {}
    result = item.get("result") or {}
    reasons = sorted({str(r.get("code")) for r in result.get("reasons", [])})
    cells: list[Any] = [
        item["leaf_index"], item["id"], item["time"], item.get("ledger", ""),
        _cell(item.get("method", "")), item.get("kind", ""), _cell(subject.get("sub", "")),
        _cell(subject.get("org", "")), _cell(subject.get("jurisdiction", "")),
        item.get("outcome", ""), ";".join(reasons),
        ";".join(str(j) for j in result.get("jurisdictions", [])), item.get("revision", ""),
        item.get("latency_us", 0), item.get("amount_usd", 0.0), item.get("cross_border", False),
        ";".join(item.get("masked", [])), ";".join(item.get("view_masked", [])),
        item["leaf_hash"], canonical_json(stored_record(item)).decode(),
    ]  # fmt: skip
    return _csv_bytes([cells])


def _cell(value: Any) -> str:
    text = str(value)
    return "'" + text if text.startswith(_CSV_FORMULA) else text


def _csv_bytes(rows: Sequence[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode()


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")

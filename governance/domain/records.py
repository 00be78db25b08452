"""The decision record: one per decision, allow or deny, read or write (docs/design.md section 6).
Its canonical JSON is the Merkle leaf, so the fields here are the log format."""

from __future__ import annotations

import base64
import os
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


_B32_STD = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_TO_CROCKFORD = bytes.maketrans(_B32_STD, _CROCKFORD.encode())


def new_ulid(now_ms: int | None = None) -> str:
    """A ULID: 48-bit millisecond time + 80 random bits, Crockford base32, sortable by time."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    value = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    # 26 base32 digits are 130 bits: the value shifted left by 6 fills 17 bytes whose first
    # 130 bits are the value with two leading zero bits. Then map onto Crockford's alphabet.
    encoded = base64.b32encode((value << 6).to_bytes(17, "big"))[:26]
    return encoded.translate(_TO_CROCKFORD).decode()


@dataclass(frozen=True)
class Export:
    """One individual whose personal data an organisation sent abroad in a calendar year."""

    org: str
    year: str  # the calendar year in China (Asia/Shanghai)
    person: str  # the directory's `person` of the individual's address, else the address
    sensitive: bool


@dataclass(frozen=True)
class ExportVolume:
    """An organisation's count of individuals for a year, and which of the people asked about
    are already recorded in it."""

    individuals: int
    sensitive: int
    recorded: frozenset[str]


@dataclass(frozen=True)
class DecisionRecord:
    id: str
    time: str  # RFC 3339, UTC, microseconds
    ledger: str
    method: str
    kind: str
    subject: dict[str, Any]
    input: dict[str, Any]  # masked per the policy's mask rules before it gets here
    result: dict[str, Any]
    outcome: str  # allow | deny
    revision: str
    latency_us: int
    masked: list[str] = field(default_factory=list)
    # Cross-border/total USD this write commits against its person's quotas (0 for reads).
    amount_usd: float = 0.0
    cross_border: bool = False
    # Reads: what the reader was not shown (paths blanked, entries withheld); no data itself.
    filtering: dict[str, Any] | None = None
    # Not part of the log format: the individuals whose data this decision sent abroad for the
    # first time (governance/audit/exports.py), written in the record's append transaction.
    exports: tuple[Export, ...] = field(default=(), compare=False)

    @property
    def org(self) -> str:
        return str(self.subject.get("org", ""))

    @property
    def jurisdictions(self) -> list[str]:
        return [str(j) for j in self.result.get("jurisdictions", [])]

    @property
    def reason_codes(self) -> list[str]:
        return sorted({str(r.get("code")) for r in self.result.get("reasons", [])})

    def to_json(self) -> dict[str, Any]:
        # Shallow on purpose: asdict() deep-copies the input document, on the log's hot path.
        return {name: getattr(self, name) for name in _FIELDS}

    def canonical_bytes(self) -> bytes:
        """Canonical JSON (sorted keys, no spaces, UTF-8): the bytes hashed into the leaf."""
        return canonical_json(self.to_json())

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> DecisionRecord:
        return cls(**{k: doc[k] for k in LOG_FIELDS if k in doc})


# The fields of the log format (hashed into the leaf).
LOG_FIELDS = tuple(f for f in DecisionRecord.__dataclass_fields__ if f != "exports")
_FIELDS = LOG_FIELDS


def canonical_json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)

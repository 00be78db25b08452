"""The decision record: one per decision, allow or deny, read or write (docs/design.md section 6).
Its canonical JSON is the Merkle leaf, so the fields here are the log format."""

from __future__ import annotations

import base64
import os
import threading
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
    return encode_ulid(ms, int.from_bytes(_ENTROPY.take(10), "big"))


def encode_ulid(ms: int, randomness: int) -> str:
    # 26 base32 digits are 130 bits: the value shifted left by 6 fills 17 bytes whose first
    # 130 bits are the value with two leading zero bits. Then map onto Crockford's alphabet.
    value = (ms << 80) | randomness
    encoded = base64.b32encode((value << 6).to_bytes(17, "big"))[:26]
    return encoded.translate(_TO_CROCKFORD).decode()


class Entropy:
    """The operating system's random bytes, drawn 4 KiB at a time. os.urandom gives up the
    GIL on every call, and the event loop that names every decision then waits to get it back
    behind the log's thread: about 30 us of CPU per decision under load, against one call
    per 409 ids here. A forked process starts with an empty pool, so that no two processes
    hand out the same bytes."""

    DRAW = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool = b""
        self._at = 0

    def take(self, n: int) -> bytes:
        with self._lock:
            if self._at + n > len(self._pool):
                self._pool, self._at = os.urandom(max(n, self.DRAW)), 0
            out = self._pool[self._at : self._at + n]
            self._at += n
            return out

    def forget(self) -> None:
        """Drops the bytes not handed out yet (in a forked child: the parent's)."""
        self._lock = threading.Lock()  # a lock held by another thread at fork stays held
        self._pool, self._at = b"", 0


_ENTROPY = Entropy()
os.register_at_fork(after_in_child=_ENTROPY.forget)


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

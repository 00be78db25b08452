"""Tables of the decision log (SQLModel): the same schema on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class DecisionRow(SQLModel, table=True):
    """One decision. `record` is the canonical JSON that was hashed into leaf `leaf_index`;
    the other columns are copies of its fields for filtering."""

    __tablename__ = "decisions"
    __table_args__ = (
        Index("ix_decisions_org_leaf", "org", "leaf_index"),
        Index("ix_decisions_sub_leaf", "sub", "leaf_index"),
        Index("ix_decisions_time", "time"),
    )

    leaf_index: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    id: str = Field(unique=True, max_length=26)
    time: str
    ledger: str
    method: str
    kind: str
    sub: str
    org: str
    subject_jurisdiction: str
    outcome: str
    revision: str
    # ",CN,EU," so a filter is one LIKE '%,CN,%' and a regulator's scope is one predicate.
    jurisdictions: str
    reason_codes: str
    record: str = Field(sa_column=Column(Text, nullable=False))
    leaf_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class MerkleNodeRow(SQLModel, table=True):
    """Hash of every complete subtree: level 0 are leaves; node (L, i) covers leaves
    [i*2^L, (i+1)*2^L). Lets proofs read O(log n) rows."""

    __tablename__ = "merkle_nodes"

    level: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    idx: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class SpendRow(SQLModel, table=True):
    """Amounts allowed writes commit against the limits of the legal person whose funds move
    (`person`: the directory's person of the sending address, else the address), at the
    decision's UTC time; released if the node rejects the transaction. Days and years are cut
    when read, in each jurisdiction's time zone."""

    __tablename__ = "spend"
    __table_args__ = (Index("ix_spend_person_time", "person", "time"),)

    decision_id: str = Field(primary_key=True, max_length=26)
    person: str
    time: str  # as the decision log writes it: RFC 3339 UTC, microseconds, Z
    amount_usd: float
    cross_border: bool
    released: bool = False


class SpendTotalRow(SQLModel, table=True):
    """What a person's unreleased spend adds up to per UTC day (`span` "d") and per quarter hour
    ("q") starting at `start` (governance/audit/spend_totals.py), written in the transactions
    that write and release spend rows."""

    __tablename__ = "spend_totals"

    person: str = Field(primary_key=True)
    span: str = Field(primary_key=True)
    start: str = Field(primary_key=True)
    usd: float
    cross_border_usd: float


class ExportRow(SQLModel, table=True):
    """An individual whose personal data an organisation sent out of China in a calendar year
    (governance/audit/exports.py): once per (org, year, person), by the first decision.
    `person` is the directory's `person` of the address, else the address."""

    __tablename__ = "pipl_exports"

    org: str = Field(primary_key=True)
    year: str = Field(primary_key=True)
    person: str = Field(primary_key=True)
    sensitive: bool
    decision_id: str = Field(max_length=26)


class ExportCountRow(SQLModel, table=True):
    """How many individuals (and sensitive ones) `pipl_exports` holds per (org, year), plus
    what the operator preloaded; kept in the same transactions as those rows."""

    __tablename__ = "pipl_export_counts"

    org: str = Field(primary_key=True)
    year: str = Field(primary_key=True)
    individuals: int = 0
    sensitive: int = 0


class CheckpointRow(SQLModel, table=True):
    __tablename__ = "checkpoints"

    size: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    root: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    note: str = Field(sa_column=Column(Text, nullable=False))
    time: str


class ReconcileWriteRow(SQLModel, table=True):
    """An allowed write awaiting (or matched to) its mined transaction. `mined_hash` and
    `block` are set once it was reconciled, so a second run does not compare it again."""

    __tablename__ = "reconcile_writes"
    __table_args__ = (
        Index("ix_reconcile_writes_hash", "ledger", "tx_hash"),
        Index("ix_reconcile_writes_sender", "ledger", "sender", "mined_hash"),
    )

    decision_id: str = Field(primary_key=True, max_length=26)
    ledger: str
    leaf_index: int
    tx_hash: str | None = None  # null for eth_sendTransaction: the node picked it
    sender: str
    nonce: int | None = None
    to: str | None = None
    mined_hash: str | None = None
    block: int | None = None


class ReconcileFindingRow(SQLModel, table=True):
    """A mined transaction the decisions do not explain: one row per transaction and finding,
    so running the reconciliation again adds nothing."""

    __tablename__ = "reconcile_findings"
    __table_args__ = (
        UniqueConstraint("ledger", "tx_hash", "finding", name="uq_reconcile_findings_tx"),
        Index("ix_reconcile_findings_block", "ledger", "block"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ledger: str
    tx_hash: str
    block: int
    finding: str
    org: str  # "" when the sender has none
    # ",CN,US," like the decisions table, so a regulator's scope is one LIKE.
    jurisdictions: str
    sender: str
    decision_id: str | None = None
    record_id: str | None = None
    detail: str = Field(sa_column=Column(Text, nullable=False))
    time: str


class ReconcileCursorRow(SQLModel, table=True):
    """How far one ledger was reconciled: the last decisions leaf read and the last block
    scanned (every block up to it)."""

    __tablename__ = "reconcile_cursor"

    ledger: str = Field(primary_key=True)
    leaf_index: int = -1
    block: int = -1

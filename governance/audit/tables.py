"""Tables of the decision log (SQLModel): the same schema on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Column, Index, LargeBinary, Text
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
    """Amounts allowed writes commit against the subject's limits; released if the node
    rejects the transaction."""

    __tablename__ = "spend"
    __table_args__ = (Index("ix_spend_sub_year", "sub", "year", "day"),)

    decision_id: str = Field(primary_key=True, max_length=26)
    sub: str
    day: str
    year: str
    amount_usd: float
    cross_border: bool
    released: bool = False


class CheckpointRow(SQLModel, table=True):
    __tablename__ = "checkpoints"

    size: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    root: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    note: str = Field(sa_column=Column(Text, nullable=False))
    time: str

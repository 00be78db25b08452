"""Storage of the reconciliation, beside the decision log in the same database: the allowed
writes still to be matched with a mined transaction, the findings, and how far each ledger
was reconciled. Synchronous; callers run it on a thread."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Engine,
    and_,
    delete,
    false,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from governance.audit.reconcile import Finding, expected_of
from governance.audit.tables import (
    DecisionRow,
    ReconcileCursorRow,
    ReconcileFindingRow,
    ReconcileWriteRow,
)
from governance.audit.views import AuditScope, jurisdiction_forms

D = DecisionRow.__table__  # type: ignore[attr-defined]
W = ReconcileWriteRow.__table__  # type: ignore[attr-defined]
F = ReconcileFindingRow.__table__  # type: ignore[attr-defined]
K = ReconcileCursorRow.__table__  # type: ignore[attr-defined]
_PAGE = 1000


@dataclass(frozen=True)
class Match:
    decision_id: str
    reconciled: bool  # compared already in an earlier run


@dataclass(frozen=True)
class FindingQuery:
    ledger: str | None = None
    finding: str | None = None
    from_block: int | None = None
    to_block: int | None = None


class ReconcileStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        SQLModel.metadata.create_all(engine, tables=[D, W, F, K])

    # ---- cursor --------------------------------------------------------------------------

    def cursor(self, ledger: str) -> tuple[int, int]:
        """(last decisions leaf read, last block scanned); -1 when none yet."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(K.c.leaf_index, K.c.block).where(K.c.ledger == ledger)
            ).first()
        return (-1, -1) if row is None else (int(row[0]), int(row[1]))

    def _set_cursor(self, ledger: str, **values: int) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(update(K).where(K.c.ledger == ledger).values(**values)).rowcount
        if done:
            return
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(K), [{"ledger": ledger, "leaf_index": -1, "block": -1, **values}]
                )
        except IntegrityError:  # another process created the row meanwhile
            with self.engine.begin() as conn:
                conn.execute(update(K).where(K.c.ledger == ledger).values(**values))

    def set_block(self, ledger: str, block: int) -> None:
        self._set_cursor(ledger, block=block)

    # ---- allowed writes ------------------------------------------------------------------

    def index_writes(self, ledger: str) -> int:
        """Reads the allowed writes recorded since the last call; returns how many."""
        after, _ = self.cursor(ledger)
        with self.engine.connect() as conn:
            last = conn.exec_driver_sql("SELECT MAX(leaf_index) FROM decisions").scalar()
        added, mark = 0, after
        while True:
            query = (
                select(D.c.leaf_index, D.c.record)
                .where(D.c.leaf_index > mark, D.c.ledger == ledger, D.c.kind == "write")
                .where(D.c.outcome == "allow")
                .order_by(D.c.leaf_index)
                .limit(_PAGE)
            )
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
            added += self._add_writes([(int(r[0]), orjson.loads(r[1])) for r in rows])
            if rows:
                mark = int(rows[-1][0])
            if len(rows) < _PAGE:
                break
        done = max(mark, -1 if last is None else int(last))
        if done > after:
            self._set_cursor(ledger, leaf_index=done)
        return added

    def _add_writes(self, rows: Sequence[tuple[int, dict[str, Any]]]) -> int:
        values = []
        for leaf, record in rows:
            expected = expected_of(record)
            if expected is not None:
                values.append(
                    {
                        "decision_id": expected.decision_id,
                        "ledger": expected.ledger,
                        "leaf_index": leaf,
                        "tx_hash": expected.tx_hash,
                        "sender": expected.sender,
                        "nonce": expected.nonce,
                        "to": expected.to,
                    }
                )
        if not values:
            return 0
        with self.engine.begin() as conn:
            known = set(
                conn.execute(
                    select(W.c.decision_id).where(
                        W.c.decision_id.in_([v["decision_id"] for v in values])
                    )
                ).scalars()
            )
            fresh = [v for v in values if v["decision_id"] not in known]
            if fresh:
                conn.execute(insert(W), fresh)
        return len(fresh)

    def match(
        self, ledger: str, tx_hash: str, sender: str, nonce: int, to: str | None
    ) -> Match | None:
        """The allowed write a mined transaction carries out: by its hash, else (a write whose
        hash the node chose) the oldest unmatched one of the sender with the same nonce, or
        without a nonce to the same address."""
        by_hash = select(W.c.decision_id, W.c.mined_hash).where(
            W.c.ledger == ledger, or_(W.c.tx_hash == tx_hash, W.c.mined_hash == tx_hash)
        )
        unmatched = (
            select(W.c.decision_id, W.c.mined_hash)
            .where(W.c.ledger == ledger, W.c.tx_hash.is_(None), W.c.mined_hash.is_(None))
            .where(W.c.sender == sender)
            .where(or_(W.c.nonce == nonce, and_(W.c.nonce.is_(None), _same_to(to))))
            .order_by(W.c.leaf_index)
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(by_hash.limit(1)).first() or conn.execute(unmatched).first()
        return None if row is None else Match(str(row[0]), row[1] is not None)

    def mark_reconciled(self, decision_id: str, tx_hash: str, block: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(W)
                .where(W.c.decision_id == decision_id)
                .values(mined_hash=tx_hash, block=block)
            )

    def decision(self, decision_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            body = conn.execute(select(D.c.record).where(D.c.id == decision_id)).scalar()
        return None if body is None else dict(orjson.loads(body))

    # ---- findings ------------------------------------------------------------------------

    def add_finding(self, f: Finding) -> bool:
        """False when this transaction's finding is stored already (an earlier run)."""
        row = {
            "ledger": f.ledger,
            "tx_hash": f.tx_hash,
            "block": f.block,
            "finding": f.finding,
            "org": f.org or "",
            "jurisdictions": "," + ",".join(f.jurisdictions) + ",",
            "sender": f.sender,
            "decision_id": f.decision_id,
            "record_id": f.record_id,
            "detail": orjson.dumps(f.detail).decode(),
            "time": f.time,
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(F), [row])
        except IntegrityError:
            return False
        return True

    def followup_id(self, f: Finding) -> str | None:
        """The follow-up record id stored with this transaction's finding."""
        query = select(F.c.record_id).where(
            F.c.ledger == f.ledger, F.c.tx_hash == f.tx_hash, F.c.finding == f.finding
        )
        with self.engine.connect() as conn:
            value = conn.execute(query).scalar()
        return None if value is None else str(value)

    def remove_finding(self, f: Finding) -> None:
        """Undoes add_finding when its follow-up record could not be appended."""
        with self.engine.begin() as conn:
            conn.execute(
                delete(F).where(
                    F.c.ledger == f.ledger, F.c.tx_hash == f.tx_hash, F.c.finding == f.finding
                )
            )

    def findings(
        self, query: FindingQuery, scope: AuditScope, after: int = 0, limit: int = 1000
    ) -> list[tuple[int, Finding]]:
        """Findings in the reader's scope, by id (keyset pagination: ids above `after`)."""
        sql = select(F).where(F.c.id > after, _scope_clause(scope)).order_by(F.c.id).limit(limit)
        if query.ledger is not None:
            sql = sql.where(F.c.ledger == query.ledger)
        if query.finding is not None:
            sql = sql.where(F.c.finding == query.finding)
        if query.from_block is not None:
            sql = sql.where(F.c.block >= query.from_block)
        if query.to_block is not None:
            sql = sql.where(F.c.block <= query.to_block)
        with self.engine.connect() as conn:
            rows = conn.execute(sql).all()
        return [(int(r.id), _finding(r)) for r in rows]


def _same_to(to: str | None) -> ColumnElement[bool]:
    clause: ColumnElement[bool] = W.c.to.is_(None) if to is None else W.c.to == to
    return clause


def _scope_clause(scope: AuditScope) -> ColumnElement[bool]:
    if scope.everything:
        return true()
    options: list[ColumnElement[bool]] = []
    if scope.orgs:
        options.append(F.c.org.in_(scope.orgs))
    for code in scope.jurisdictions:
        spellings = jurisdiction_forms(code)
        options.extend(F.c.jurisdictions.contains(f",{s},", autoescape=True) for s in spellings)
    return or_(*options) if options else false()


def _finding(r: Any) -> Finding:
    return Finding(
        ledger=r.ledger,
        tx_hash=r.tx_hash,
        block=int(r.block),
        finding=r.finding,
        org=r.org or None,
        jurisdictions=tuple(j for j in str(r.jurisdictions).split(",") if j),
        sender=r.sender,
        decision_id=r.decision_id,
        record_id=r.record_id,
        detail=orjson.loads(r.detail),
        time=r.time,
    )

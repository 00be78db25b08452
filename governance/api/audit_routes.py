"""Auditor API (docs/design.md sections 3 and 6): query, prove, export the decision log.

Every route needs `Authorization: Bearer <JWT>` (401 otherwise) and one of the roles auditor,
compliance_officer (own org's records), regulator (records in which their jurisdiction applied)
or admin (all); anyone else gets 403. A record outside the caller's scope is 404, as if absent.
Errors use the one REST body (governance.errors).

Travel-rule personal data (`input.travel_rule`) is shown to admins and to regulators of a
jurisdiction that applied; other readers see "masked" and the item's `view_masked` lists it.
Proofs are always over the stored record (`leaf_hash`), never over a view.

A record newer than the latest signed checkpoint has no proof yet: the proof route answers 409
with `Retry-After` (checkpoints are signed every audit.checkpoint_seconds) instead of signing on
demand, so only the elected signer ever signs and a reader cannot force signatures.
"""

from __future__ import annotations

import base64
import functools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.exc import SQLAlchemyError

from governance.api.security import require_roles, services
from governance.audit import views
from governance.audit.checkpointer import Signer, load_signer
from governance.audit.reconcile import Finding
from governance.audit.reconcile_store import FindingQuery
from governance.audit.sqlstore import SqlLog, StoredCheckpoint, StoredDecision, filter_clause
from governance.audit.views import AuditScope, DecisionFilter, FilterError
from governance.domain.models import Subject
from governance.errors import ApiError

if TYPE_CHECKING:
    from governance.api.app import Services

T = TypeVar("T")
PAGE = 1000  # rows per query while streaming an export
MAX_LIMIT = 1000
MAX_INDEX = 2**63 - 1  # leaf indices and block numbers: what the databases store

audit_router = APIRouter(prefix="/audit", tags=["audit"])


def _services(request: Request) -> Services:
    return services(request)


async def reader_scope(
    subject: Annotated[Subject, Depends(require_roles(*views.AUDIT_ROLES))],
) -> AuditScope:
    """The caller's scope; require_roles answered 401 or 403 already."""
    scope = AuditScope.for_roles(subject.roles, subject.org, subject.jurisdiction)
    assert scope is not None  # every audit role grants a scope
    return scope


ReaderScope = Annotated[AuditScope, Depends(reader_scope)]
Text = Annotated[str | None, Query(max_length=256)]


def decision_filter(
    subject: Text = None,
    org: Text = None,
    jurisdiction: Text = None,
    outcome: Text = None,
    method: Text = None,
    reason: Annotated[str | None, Query(max_length=256, description="reason code")] = None,
    since: Annotated[str | None, Query(description="RFC 3339, inclusive")] = None,
    until: Annotated[str | None, Query(description="RFC 3339, exclusive")] = None,
) -> DecisionFilter:
    raw = {"subject": subject, "org": org, "jurisdiction": jurisdiction, "outcome": outcome}
    raw |= {"method": method, "reason": reason, "since": since, "until": until}
    try:
        return views.parse_filter(raw)
    except FilterError as exc:
        raise ApiError(400, str(exc)) from exc


Filter = Annotated[DecisionFilter, Depends(decision_filter)]


async def store_call(request: Request, fn: Callable[..., T], *args: Any) -> T:
    """Runs a blocking store read on the log's query threads; database trouble is a 503."""
    try:
        result: T = await _services(request).decision_log.run(fn, *args)
    except SQLAlchemyError as exc:
        raise ApiError(503, f"decision log unavailable: {type(exc).__name__}") from exc
    return result


def store_of(request: Request) -> SqlLog:
    return _services(request).decision_log.store


# ---- records -------------------------------------------------------------------------------


@audit_router.get("/decisions")
async def list_decisions(
    request: Request,
    scope: ReaderScope,
    flt: Filter,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    order: Annotated[str, Query(pattern="^(asc|desc)$", description="leaf order")] = "asc",
) -> dict[str, Any]:
    try:
        mark = None if cursor is None else views.decode_cursor(cursor)
    except FilterError as exc:
        raise ApiError(400, str(exc)) from exc
    store = store_of(request)
    where = filter_clause(flt, scope)
    # A cursor is the last leaf of the previous page: later leaves follow it in ascending
    # order, earlier ones in descending order.
    if order == "desc":
        call = functools.partial(store.decisions, where, -1, limit + 1, mark, newest_first=True)
    else:
        call = functools.partial(store.decisions, where, -1 if mark is None else mark, limit + 1)
    rows: list[StoredDecision] = await store_call(request, call)
    items = [item_of(row, scope) for row in rows[:limit]]
    more = len(rows) > limit
    return {
        "items": items,
        "next_cursor": views.encode_cursor(rows[limit - 1].leaf_index) if more else None,
    }


@audit_router.get("/decisions/{decision_id}")
async def get_decision(request: Request, scope: ReaderScope, decision_id: str) -> dict[str, Any]:
    return item_of(await _scoped(request, scope, decision_id), scope)


@audit_router.get("/decisions/{decision_id}/proof")
async def decision_proof(request: Request, scope: ReaderScope, decision_id: str) -> dict[str, Any]:
    """Inclusion proof of the stored record under the latest signed checkpoint."""
    row = await _scoped(request, scope, decision_id)
    store = store_of(request)
    latest: StoredCheckpoint | None = await store_call(request, store.latest_checkpoint)
    if latest is None or row.leaf_index >= latest.size:
        _newer_than_checkpoint(request, row.leaf_index, latest)
    assert latest is not None  # _newer_than_checkpoint raised otherwise
    proof: list[bytes] = await store_call(
        request, store.inclusion_proof, row.leaf_index, latest.size
    )
    doc = {
        "id": decision_id,
        "leaf_index": row.leaf_index,
        "tree_size": latest.size,
        "leaf_hash": views.b64(row.leaf_hash),
        "proof": [views.b64(h) for h in proof],
        "root": views.b64(latest.root),
        "checkpoint": latest.note,
    }
    if not item_of(row, scope)["view_masked"]:
        # The exact bytes hashed into the leaf, so a browser can check them without having to
        # reproduce the server's JSON canonicalisation (number formatting differs); withheld
        # when the reader may not see all of the record.
        doc["leaf_data"] = base64.b64encode(row.body.encode()).decode("ascii")
    return doc


def _newer_than_checkpoint(request: Request, index: int, latest: StoredCheckpoint | None) -> None:
    seconds = _services(request).settings.audit.checkpoint_seconds
    signed = f"the latest checkpoint has size {latest.size}" if latest else "none is signed yet"
    raise ApiError(
        409,
        f"record is leaf {index} and not yet covered by a signed checkpoint ({signed}); "
        f"checkpoints are signed every {seconds:g} s, retry then",
        headers={"Retry-After": str(max(1, math.ceil(seconds)))},
    )


async def _scoped(request: Request, scope: AuditScope, decision_id: str) -> StoredDecision:
    row: StoredDecision | None = await store_call(request, store_of(request).decision, decision_id)
    if row is None or not scope.admits(row.record()):
        raise ApiError(404, f"no decision {decision_id!r} in your scope")
    return row


def item_of(row: StoredDecision, scope: AuditScope) -> dict[str, Any]:
    return views.view_item(row.leaf_index, row.leaf_hash, row.record(), scope)


# ---- reconciliation ------------------------------------------------------------------------


@audit_router.get("/reconciliation")
async def list_reconciliation(
    request: Request,
    scope: ReaderScope,
    ledger: Text = None,
    finding: Annotated[str | None, Query(pattern="^(effects_differ|bypass)$")] = None,
    from_block: Annotated[int | None, Query(ge=0, le=MAX_INDEX)] = None,
    to_block: Annotated[int | None, Query(ge=0, le=MAX_INDEX)] = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> dict[str, Any]:
    """Mined transactions the decisions do not explain, in the caller's scope: the sender's
    org for bypasses and the decision's subject org for effects that differ; a regulator's
    jurisdiction when it applied to the decision or is the sender's."""
    try:
        after = 0 if cursor is None else views.decode_cursor(cursor, FINDING_CURSOR)
    except FilterError as exc:
        raise ApiError(400, str(exc)) from exc
    svc = _services(request)
    query = FindingQuery(ledger, finding, from_block, to_block)
    rows: list[tuple[int, Finding]] = await store_call(
        request, svc.reconciler.store.findings, query, scope, after, limit + 1
    )
    more = len(rows) > limit
    return {
        "items": [f.to_json() for _, f in rows[:limit]],
        "next_cursor": views.encode_cursor(rows[limit - 1][0], FINDING_CURSOR) if more else None,
    }


FINDING_CURSOR = "finding"


# ---- tree ----------------------------------------------------------------------------------


@audit_router.get("/checkpoints/latest")
async def latest_checkpoint(request: Request, _scope: ReaderScope) -> dict[str, Any]:
    latest: StoredCheckpoint | None = await store_call(request, store_of(request).latest_checkpoint)
    if latest is None:
        raise ApiError(404, "no checkpoint has been signed yet")
    signer = _signer(request)
    return {
        "note": latest.note,
        "size": latest.size,
        "root": views.b64(latest.root),
        "time": latest.time,
        "origin": signer.name,
        "key_id": signer.key_id,
        "public_key": {"pem": signer.public_pem, "vkey": signer.vkey},
    }


def _signer(request: Request) -> Signer:
    """The checkpointer's key; a replica without one reads the configured key file."""
    svc = _services(request)
    checkpointer = getattr(svc, "checkpointer", None)
    if checkpointer is not None:
        return checkpointer.signer  # type: ignore[no-any-return]
    cached: Signer | None = getattr(request.app.state, "audit_signer", None)
    if cached is None:
        audit = svc.settings.audit
        try:
            cached = load_signer(
                svc.settings.resolve(audit.signing_key_file), audit.origin, create=False
            )
        except (OSError, ValueError) as exc:
            raise ApiError(503, f"checkpoint signing key unavailable: {exc}") from exc
        request.app.state.audit_signer = cached
    return cached


@audit_router.get("/consistency")
async def consistency(
    request: Request,
    _scope: ReaderScope,
    first: Annotated[int, Query(ge=0, le=MAX_INDEX)],
    second: Annotated[
        int | None, Query(ge=0, le=MAX_INDEX, description="default: latest checkpoint")
    ] = None,
) -> dict[str, Any]:
    store = store_of(request)
    if second is None:
        latest: StoredCheckpoint | None = await store_call(request, store.latest_checkpoint)
        if latest is None:
            raise ApiError(409, "no checkpoint has been signed yet; pass second")
        second = latest.size
    size: int = await store_call(request, store.size)
    if not first <= second <= size:
        raise ApiError(400, f"need first <= second <= {size} (the log size), got {first}, {second}")
    proof: list[bytes] = await store_call(request, store.consistency_proof, first, second)
    roots: list[bytes] = [await store_call(request, store.root, n) for n in (first, second)]
    return {
        "first": first,
        "second": second,
        "first_root": views.b64(roots[0]),
        "second_root": views.b64(roots[1]),
        "proof": [views.b64(h) for h in proof],
    }


# ---- export --------------------------------------------------------------------------------


@audit_router.get("/export")
async def export(
    request: Request,
    scope: ReaderScope,
    flt: Filter,
    fmt: Annotated[str, Query(alias="format", description="jsonl | csv | opa")] = "jsonl",
) -> StreamingResponse:
    try:
        views.renderer(fmt)
    except FilterError as exc:
        raise ApiError(400, str(exc)) from exc
    store = store_of(request)
    size: int = await store_call(request, store.size)  # one snapshot: later appends excluded
    # A sync generator: Starlette pulls it on a worker thread, one page per read.
    body = views.export_lines(store, filter_clause(flt, scope), scope, fmt, size, PAGE)
    filename = f"decisions.{'csv' if fmt == 'csv' else 'jsonl'}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return StreamingResponse(body, media_type=views.MEDIA_TYPES[fmt], headers=headers)

"""`GET /audit/stream`: new decisions as Server-Sent Events, with the scope and filters of
`GET /audit/decisions`.

    event: decisions
    id: <leaf index of the last item>
    data: {"items": [...view items, in leaf order...]}

`after` (a leaf index) says where to start; without it the stream starts at the end of the
log. A stream ends after STREAM_SECONDS so a stopping server is never held open by readers;
clients reconnect with `after` (or `Last-Event-ID`) set to the last leaf index they saw.
Browsers read it with fetch() because EventSource cannot send the Authorization header.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from governance.api.audit_routes import (
    MAX_INDEX,
    Filter,
    ReaderScope,
    item_of,
    store_call,
    store_of,
)
from governance.audit.sqlstore import StoredDecision, filter_clause
from governance.audit.views import AuditScope

POLL_SECONDS = 0.5
STREAM_SECONDS = 30.0
KEEPALIVE_SECONDS = 10.0
BATCH = 200

stream_router = APIRouter(prefix="/audit", tags=["audit"])


@stream_router.get("/stream")
async def stream_decisions(
    request: Request,
    scope: ReaderScope,
    flt: Filter,
    after: Annotated[
        int | None, Query(ge=-1, le=MAX_INDEX, description="last leaf index already seen")
    ] = None,
) -> StreamingResponse:
    start = after if after is not None else _last_event_id(request)
    if start is None:
        start = await store_call(request, store_of(request).size) - 1
    body = _events(request, scope, filter_clause(flt, scope), start)
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(body, media_type="text/event-stream", headers=headers)


def _last_event_id(request: Request) -> int | None:
    value = request.headers.get("last-event-id", "")
    return int(value) if value.isdigit() else None


async def _events(
    request: Request, scope: AuditScope, where: object, after: int
) -> AsyncIterator[bytes]:
    yield b"retry: 1000\n\n"
    started = last_sent = time.monotonic()
    store = store_of(request)
    while time.monotonic() - started < STREAM_SECONDS:
        rows: list[StoredDecision] = await store_call(request, store.decisions, where, after, BATCH)
        if rows:
            after = rows[-1].leaf_index
            items = [item_of(row, scope) for row in rows]
            data = orjson.dumps({"items": items}).decode()
            yield f"event: decisions\nid: {after}\ndata: {data}\n\n".encode()
            last_sent = time.monotonic()
            if len(rows) == BATCH:
                continue  # catching up: no pause
        elif time.monotonic() - last_sent > KEEPALIVE_SECONDS:
            yield b": keepalive\n\n"
            last_sent = time.monotonic()
        await asyncio.sleep(POLL_SECONDS)

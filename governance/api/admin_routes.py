"""`POST /admin/replay`: the impact of a draft policy on recorded traffic
(docs/design.md section 3).

Body (JSON), exactly one of the first two:

    bundle_path    a policy directory or .tar.gz bundle inside policy.drafts_dir (relative to it)
    bundle_base64  a .tar.gz bundle (as `governance policy build` makes it), base64
    since, until   UTC dates or RFC 3339 times ending in Z; since inclusive, until exclusive
    jurisdiction   only decisions in which this jurisdiction applied
    examples       examples kept per category (default 10), limit: records examined
                   (at most 1 000 000)

Callers need the `admin` or `compliance_officer` role, and replay only the records they may
read on the audit API (admin: all; compliance officer: their org), so examples come from their
scope only. A draft is not required to be signed: replay only reads the log and never changes
what serves. See docs/admin.md.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from governance.api.security import require_roles, services
from governance.audit.sqlstore import filter_clause
from governance.audit.views import AuditScope, DecisionFilter
from governance.domain.models import Subject
from governance.errors import ApiError
from governance.policy.bundle import is_url, load_policy_source_any, read_bundle
from governance.policy.replay import ReplayFilter, replay
from governance.policy.source import PolicySource

REPLAY_ROLES = ("admin", "compliance_officer")
MAX_LIMIT = 1_000_000  # records examined by one replay at most
# Replays run one at a time on their own thread and their own connection pool, so a long
# replay cannot take the query threads or connections the request path needs.
_REPLAY_THREAD = ThreadPoolExecutor(1, thread_name_prefix="replay")

admin_router = APIRouter()


class ReplayRequest(BaseModel):
    bundle_path: str | None = None
    bundle_base64: str | None = None
    since: str | None = None
    until: str | None = None
    jurisdiction: str | None = None
    examples: int = Field(default=10, ge=0, le=1000)
    limit: int = Field(default=100_000, ge=1, le=MAX_LIMIT)


async def replay_request(request: Request) -> ReplayRequest:
    """The body, read only after the role check (dependencies run in order) and within the
    server's body limit."""
    raw = await request.body()
    try:
        return ReplayRequest.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None


@admin_router.post(
    "/admin/replay",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ReplayRequest.model_json_schema()}},
        }
    },
)
async def admin_replay(
    request: Request,
    subject: Annotated[Subject, Depends(require_roles(*REPLAY_ROLES))],
) -> JSONResponse:
    body = await replay_request(request)
    svc = services(request)
    scope = AuditScope.for_roles(subject.roles, subject.org, subject.jurisdiction)
    assert scope is not None  # both replay roles read the log
    drafts = svc.settings.policy.drafts_dir
    drafts_dir = None if drafts is None else svc.settings.resolve(drafts)
    try:
        filters = ReplayFilter(
            body.since,
            body.until,
            body.jurisdiction,
            body.limit,
            scope=filter_clause(DecisionFilter(), scope),
        )
        loop = asyncio.get_running_loop()
        report = await loop.run_in_executor(
            _REPLAY_THREAD, _replay, svc.replay_store(), body, filters, drafts_dir
        )
    except ValueError as exc:  # bad filters, unreadable or uncompilable draft
        raise ApiError(422, str(exc)) from exc
    return JSONResponse(report)


def _load_draft(body: ReplayRequest, drafts_dir: Path | None) -> PolicySource:
    if (body.bundle_path is None) == (body.bundle_base64 is None):
        raise ValueError("give exactly one of bundle_path and bundle_base64")
    if body.bundle_base64 is not None:
        try:
            raw = base64.b64decode(body.bundle_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"bundle_base64 is not base64: {exc}") from exc
        return read_bundle(raw, None, "uploaded draft")
    if is_url(str(body.bundle_path)):
        raise ValueError("bundle_path must be a path on the gateway, not a URL")
    if drafts_dir is None:
        raise ValueError("bundle_path needs policy.drafts_dir configured; send bundle_base64")
    root = drafts_dir.resolve()
    path = (root / str(body.bundle_path)).resolve()  # absolute paths replace root here
    if not path.is_relative_to(root):
        raise ValueError(f"bundle_path must lie inside policy.drafts_dir ({root})")
    return load_policy_source_any(path)


def _replay(
    store: Any, body: ReplayRequest, filters: ReplayFilter, drafts_dir: Path | None
) -> dict[str, Any]:
    draft = _load_draft(body, drafts_dir)
    return replay(store, draft, filters, examples=body.examples).to_json()

"""`POST /admin/replay`: the impact of a draft policy on recorded traffic (DESIGN.md section 3).

Body (JSON), exactly one of the first two:

    bundle_path    a policy directory or .tar.gz bundle on the gateway's file system
    bundle_base64  a .tar.gz bundle (as `governance policy build` makes it), base64
    since, until   UTC dates or RFC 3339 times ending in Z; since inclusive, until exclusive
    jurisdiction   only decisions in which this jurisdiction applied
    examples       examples kept per category (default 10), limit: records examined

Callers need the `admin` or `compliance_officer` role. A draft is not required to be signed:
replay only reads the log and never changes what serves.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from governance.api.security import require_roles, services
from governance.domain.models import Subject
from governance.errors import ApiError
from governance.policy.bundle import is_url, load_policy_source_any, read_bundle
from governance.policy.replay import ReplayFilter, replay
from governance.policy.source import PolicySource

REPLAY_ROLES = ("admin", "compliance_officer")

admin_router = APIRouter()


class ReplayRequest(BaseModel):
    bundle_path: str | None = None
    bundle_base64: str | None = None
    since: str | None = None
    until: str | None = None
    jurisdiction: str | None = None
    examples: int = Field(default=10, ge=0, le=1000)
    limit: int = Field(default=100_000, ge=1, le=10_000_000)


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
    try:
        filters = ReplayFilter(body.since, body.until, body.jurisdiction, body.limit)
        # Loading, compiling and evaluating run in the log's query threads, off the loop.
        report = await svc.log.run(_replay, svc.log.store, body, filters)
    except ValueError as exc:  # bad filters, unreadable or uncompilable draft
        raise ApiError(422, str(exc)) from exc
    return JSONResponse(report)


def _load_draft(body: ReplayRequest) -> PolicySource:
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
    return load_policy_source_any(Path(str(body.bundle_path)))


def _replay(store: Any, body: ReplayRequest, filters: ReplayFilter) -> dict[str, Any]:
    draft = _load_draft(body)
    return replay(store, draft, filters, examples=body.examples).to_json()

"""The browser console at /console: server-rendered pages whose small scripts call the audit
API with the bearer token kept in sessionStorage (never in a URL).

Pages: decisions (live table), one decision with its inclusion proof checked in the browser,
checkpoints, overview charts and policies. Each page is the same shell (sign-in, navigation)
around its own section and script."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from governance.errors import ApiError

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
static_files = StaticFiles(directory=str(HERE / "static"))
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
# Decision ids are ULIDs (Crockford base32); anything else cannot name a record.
_DECISION_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")

console_router = APIRouter(prefix="/console", include_in_schema=False)


def _page(request: Request, name: str, **context: str) -> HTMLResponse:
    return templates.TemplateResponse(request, name, {"page": name, **context}, headers=HEADERS)


@console_router.get("")
async def console_root() -> RedirectResponse:
    return RedirectResponse("/console/decisions")


@console_router.get("/decisions", response_class=HTMLResponse)
async def decisions_page(request: Request) -> HTMLResponse:
    return _page(request, "decisions.html")


@console_router.get("/decisions/{decision_id}", response_class=HTMLResponse)
async def decision_page(request: Request, decision_id: str) -> HTMLResponse:
    if not _DECISION_ID.fullmatch(decision_id):
        raise ApiError(404, f"{decision_id!r} is not a decision id")
    return _page(request, "decision.html", decision_id=decision_id)


@console_router.get("/checkpoints", response_class=HTMLResponse)
async def checkpoints_page(request: Request) -> HTMLResponse:
    return _page(request, "checkpoints.html")


@console_router.get("/overview", response_class=HTMLResponse)
async def overview_page(request: Request) -> HTMLResponse:
    return _page(request, "overview.html")


@console_router.get("/policies", response_class=HTMLResponse)
async def policies_page(request: Request) -> HTMLResponse:
    return _page(request, "policies.html")

"""The browser console at /console: server-rendered pages whose small scripts call the audit
API with the bearer token kept in sessionStorage (never in a URL)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
static_files = StaticFiles(directory=str(HERE / "static"))
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

console_router = APIRouter(prefix="/console", include_in_schema=False)


@console_router.get("")
async def console_root() -> RedirectResponse:
    return RedirectResponse("/console/decisions")


@console_router.get("/decisions", response_class=HTMLResponse)
async def decisions_page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "decisions.html", {}, headers=HEADERS)

"""Operational routes: liveness, readiness, metrics, status.

`/status` answers anyone (monitoring has no token), so it shows states, never details: why a
policy save was refused names files and rules of the policy tree, which only a caller with a
token holding a role in POLICY_DETAIL_ROLES sees. Anyone else, a bad token included, sees that
it was refused and which revision serves."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from governance.audit.views import POLICY_DETAIL_ROLES
from governance.errors import AuthError

if TYPE_CHECKING:
    from governance.api.app import Services

ops_router = APIRouter()

WITHHELD = "withheld: the reason is shown to the admin and compliance_officer roles"


def _services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


@ops_router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process serves HTTP; no dependency is consulted."""
    return {"status": "ok"}


@ops_router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    svc = _services(request)
    names = list(svc.nodes)
    results = await asyncio.gather(
        svc.engine.ready(), svc.decision_log.writable(), *(svc.nodes[n].healthy() for n in names)
    )
    checks: dict[str, Any] = {"engine": results[0], "log": results[1]}
    checks["ledgers"] = dict(zip(names, results[2:], strict=True))
    ready = bool(results[0] and results[1] and all(results[2:]))
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


@ops_router.get("/metrics")
async def metrics(request: Request) -> Response:
    body = _services(request).metrics.render()
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")


@ops_router.get("/status")
async def status(request: Request) -> dict[str, Any]:
    svc = _services(request)
    names = list(svc.nodes)
    health = await asyncio.gather(*(svc.nodes[n].healthy() for n in names))
    return {
        "policy": _policy_status(svc, await _sees_policy_details(request)),
        "log": {"healthy": svc.decision_log.healthy, "last_error": svc.decision_log.last_error},
        "reconciliation": {
            "every_s": svc.reconcile_loop.interval_s,
            "last_error": svc.reconcile_loop.last_error,
        },
        "ledgers": [
            {"name": n, "chain_id": svc.nodes[n].config.chain_id, "healthy": h}
            for n, h in zip(names, health, strict=True)
        ],
    }


def _policy_status(svc: Services, details: bool) -> dict[str, Any]:
    # Why the policy now at the location is refused (the revision shown still serves).
    refused = None if svc.reloader is None else svc.reloader.refused
    last_reload = svc.last_reload
    if not details:
        refused = None if refused is None else WITHHELD
        last_reload = reload_without_error(last_reload)
    return {
        "revision": svc.engine.snapshot().revision,
        "engine": svc.settings.policy.engine,
        "signed": svc.reloader is not None and svc.reloader.signed,
        "refused": refused,
        "last_reload": last_reload,
    }


def reload_without_error(last_reload: dict[str, Any] | None) -> dict[str, Any] | None:
    """The last reload, its error (files and lines of the policy tree) withheld."""
    if last_reload is None or last_reload.get("error") is None:
        return last_reload
    return {**last_reload, "error": WITHHELD}


async def _sees_policy_details(request: Request) -> bool:
    header = request.headers.get("authorization")
    if header is None:
        return False
    try:
        subject = await _services(request).auth.authenticate(header)
    except AuthError:
        return False  # /status stays public: a bad token gets the anonymous view
    return not POLICY_DETAIL_ROLES.isdisjoint(subject.roles)

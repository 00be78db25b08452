"""`governance pdp`: OPA's REST data and policy API served from the embedded engine, so the
remote engine (and any OPA client) has a decision point where no OPA binary can be installed.

Implemented, per OPA's REST API: `POST|GET /v1/data/{path}` ({"result": ...}, or {} when
undefined), `GET /health`, `GET /v1/policies`, `GET|PUT|DELETE /v1/policies/{id}` (PUT takes
the module text; a module that does not compile is refused with 400 and OPA's error shape, and
the previous set keeps serving). The ASTs OPA returns are reduced to the package path.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from governance.api.boundary import BodyLimit
from governance.policy.evaluator import RegoError, RegoProblem
from governance.policy.module_set import ModuleSet
from governance.policy.source import PolicySource

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PACKAGE = re.compile(r"^\s*package\s+([A-Za-z_][\w.]*)", re.MULTILINE)


def _reference(path: str) -> str:
    """`a/b-c/d` -> `data.a["b-c"].d`."""
    ref = "data"
    for segment in (s for s in path.split("/") if s):
        ref += f".{segment}" if _IDENT.fullmatch(segment) else f"[{json.dumps(segment)}]"
    return ref


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, **extra}, status_code=status)


def _not_found(policy_id: str) -> JSONResponse:
    return _error(404, "resource_not_found", f"storage_not_found_error: policy id {policy_id!r}")


def _policy_doc(policy_id: str, text: str) -> dict[str, Any]:
    match = _PACKAGE.search(text)
    segments = match.group(1).split(".") if match else []
    path = [{"type": "var", "value": "data"}] + [{"type": "string", "value": s} for s in segments]
    return {"id": policy_id, "raw": text, "ast": {"package": {"path": path}}}


def _opa_error(problem: RegoProblem) -> dict[str, Any]:
    error: dict[str, Any] = {"code": problem.code, "message": problem.message}
    if problem.file:
        error["location"] = {"file": problem.file, "row": problem.row, "col": problem.col}
    return error


class PdpState:
    """The serving module set. regorus engines are pinned to the thread that built them, so
    the set is first compiled on the server's event-loop thread."""

    def __init__(self, source: PolicySource, engine: str) -> None:
        self.source = source
        self.engine_name = engine
        self.engine: ModuleSet | None = None

    def current(self) -> ModuleSet:
        if self.engine is None:  # first use happens on the loop thread
            self.engine = ModuleSet.of(self.engine_name, self.source)
        return self.engine


MAX_BODY_BYTES = 8 * 1024 * 1024  # inputs and modules; larger bodies get 413


def create_pdp_app(
    source: PolicySource, *, write_token: str | None = None, engine: str = "regorus"
) -> FastAPI:
    """`write_token`: PUT/DELETE /v1/policies need `Authorization: Bearer <it>`; None turns
    policy writes off (403), so nobody who reaches the port can swap the policy. `engine`:
    the embedded engine that evaluates (governance/policy/evaluator.py)."""
    state = PdpState(source, engine)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state.current()  # compile before serving, on the thread that will evaluate
        yield

    app = FastAPI(title="governance pdp", lifespan=lifespan)
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    app.add_exception_handler(HTTPException, _opa_http_error)
    _data_routes(app, state)
    _policy_routes(app, state, write_token)

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {}

    return app


def _data_routes(app: FastAPI, state: PdpState) -> None:
    async def evaluate(path: str, input_doc: Any) -> JSONResponse:
        try:
            # no input: an empty one, never the previous request's
            input_json = json.dumps(input_doc) if input_doc is not None else "{}"
            defined, value = state.current().query(_reference(path), input_json)
        except RegoError as exc:
            return _error(500, "internal_error", str(exc))
        return JSONResponse({"result": value} if defined else {})

    @app.post("/v1/data/{path:path}")
    @app.post("/v1/data")
    async def post_data(request: Request, path: str = "") -> JSONResponse:
        body = await request.body()
        try:
            doc = json.loads(body) if body.strip() else {}
            # an unpaired surrogate escape ("\ud800") parses, but is not Unicode text
            json.dumps(doc, ensure_ascii=False).encode()
        except (json.JSONDecodeError, UnicodeError) as exc:
            return _error(400, "invalid_parameter", f"body is not JSON: {exc}")
        if not isinstance(doc, dict):
            return _error(400, "invalid_parameter", 'body must be an object like {"input": ...}')
        return await evaluate(path, doc.get("input"))

    @app.get("/v1/data/{path:path}")
    @app.get("/v1/data")
    async def get_data(path: str = "") -> JSONResponse:
        return await evaluate(path, None)


async def _opa_http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = "invalid_parameter" if exc.status_code < 500 else "internal_error"
    return _error(exc.status_code, code, str(exc.detail))


def _check_writer(request: Request, token: str | None) -> JSONResponse | None:
    """Checked before the module body is read."""
    if token is None:
        return _error(
            403, "unauthorized", "policy writes are off (start with --allow-policy-writes)"
        )
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return _error(401, "unauthorized", "policy writes need the bearer token")
    return None


def _policy_routes(app: FastAPI, state: PdpState, write_token: str | None) -> None:
    @app.get("/v1/policies")
    @app.get("/v1/policies/")  # opa-python-client lists with the trailing slash
    async def list_policies() -> dict[str, Any]:
        modules = state.current().modules
        return {"result": [_policy_doc(i, t) for i, t in sorted(modules.items())]}

    @app.get("/v1/policies/{policy_id:path}")
    async def get_policy(policy_id: str) -> JSONResponse:
        text = state.current().modules.get(policy_id)
        if text is None:
            return _not_found(policy_id)
        return JSONResponse({"result": _policy_doc(policy_id, text)})

    @app.put("/v1/policies/{policy_id:path}")
    async def put_policy(policy_id: str, request: Request) -> JSONResponse:
        refused = _check_writer(request, write_token)
        if refused is not None:
            return refused
        try:
            text = (await request.body()).decode("utf-8")
        except UnicodeDecodeError:
            return _error(400, "invalid_parameter", "module is not UTF-8")
        return _replace(state, policy_id, text)

    @app.delete("/v1/policies/{policy_id:path}")
    async def delete_policy(policy_id: str, request: Request) -> JSONResponse:
        refused = _check_writer(request, write_token)
        if refused is not None:
            return refused
        if policy_id not in state.current().modules:
            return _not_found(policy_id)
        return _replace(state, policy_id, None)


def _replace(state: PdpState, policy_id: str, text: str | None) -> JSONResponse:
    try:
        state.engine = state.current().replaced(policy_id, text)
    except RegoError as exc:
        return _error(
            400,
            "invalid_parameter",
            "error(s) occurred while compiling module(s)",
            errors=[_opa_error(p) for p in exc.problems],
        )
    return JSONResponse({})

"""`governance pdp`: OPA's REST data and policy API served from the embedded engine, so the
remote engine (and any OPA client) has a decision point where no OPA binary can be installed.

Implemented, per OPA's REST API: `POST|GET /v1/data/{path}` ({"result": ...}, or {} when
undefined), `GET /health`, `GET /v1/policies`, `GET|PUT|DELETE /v1/policies/{id}` (PUT takes
the module text; a module that does not compile is refused with 400 and OPA's error shape, and
the previous set keeps serving). The ASTs OPA returns are reduced to the package path.
"""

from __future__ import annotations

import argparse
import hmac
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from governance.api.boundary import BodyLimit
from governance.policy.source import PolicySource

_LOCATION = re.compile(r"-->\s*(?P<file>[^\n]*?):(?P<row>\d+):(?P<col>\d+)")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PACKAGE = re.compile(r"^\s*package\s+([A-Za-z_][\w.]*)", re.MULTILINE)


class CompileError(Exception):
    def __init__(self, errors: tuple[dict[str, Any], ...]) -> None:
        super().__init__("; ".join(str(e.get("message")) for e in errors))
        self.errors = errors


class PdpEngine:
    """One compiled module set plus the data document. regorus engines are pinned to the
    thread that built them, so this object lives on the server's event-loop thread."""

    def __init__(self, modules: dict[str, str], data_json: str) -> None:
        self.modules = dict(modules)
        self.data_json = data_json
        self._engine = _compile(self.modules, data_json)

    def replaced(self, policy_id: str, text: str | None) -> PdpEngine:
        """A new engine with one module replaced (or removed when text is None)."""
        modules = dict(self.modules)
        if text is None:
            modules.pop(policy_id, None)
        else:
            modules[policy_id] = text
        return PdpEngine(modules, self.data_json)

    def query(self, path: str, input_doc: Any = None) -> tuple[bool, Any]:
        """(defined, value) of `data.<path>`."""
        if input_doc is not None:
            self._engine.set_input_json(json.dumps(input_doc))
        else:
            self._engine.set_input_json("{}")  # never leak the previous request's input
        doc = json.loads(self._engine.eval_query_as_json(_reference(path)))
        rows = doc.get("result") or []
        if not rows:
            return False, None
        return True, rows[0]["expressions"][0]["value"]


def _compile(modules: dict[str, str], data_json: str) -> Any:
    import regorus

    engine = regorus.Engine()
    try:
        for name, text in modules.items():
            engine.add_policy(name, text)
        engine.add_data_json(data_json)
        engine.eval_query_as_json("true")  # regorus analyses every module on first evaluation
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # pyo3 raises RuntimeError, panics are BaseExceptions
        raise CompileError((_opa_error(str(exc)),)) from exc
    return engine


def _opa_error(text: str) -> dict[str, Any]:
    text = text.split("\n\nStack backtrace:", 1)[0].strip()
    message = next(
        (ln[len("error:") :].strip() for ln in text.splitlines() if ln.startswith("error:")), text
    )
    error: dict[str, Any] = {
        "code": "rego_parse_error" if "expect" in message else "rego_compile_error",
        "message": message,
    }
    found = _LOCATION.search(text)
    if found:
        error["location"] = {
            "file": found["file"],
            "row": int(found["row"]),
            "col": int(found["col"]),
        }
    return error


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


class PdpState:
    def __init__(self, source: PolicySource) -> None:
        self.source = source
        self.engine: PdpEngine | None = None

    def current(self) -> PdpEngine:
        if self.engine is None:  # first use happens on the loop thread
            self.engine = PdpEngine(dict(self.source.modules), self.source.data_json)
        return self.engine


MAX_BODY_BYTES = 8 * 1024 * 1024  # inputs and modules; larger bodies get 413


def create_pdp_app(source: PolicySource, *, write_token: str | None = None) -> FastAPI:
    """`write_token`: PUT/DELETE /v1/policies need `Authorization: Bearer <it>`; None turns
    policy writes off (403), so nobody who reaches the port can swap the policy."""
    state = PdpState(source)

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
            defined, value = state.current().query(path, input_doc)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            detail = str(exc).split("\n\nStack backtrace:", 1)[0].strip()
            return _error(500, "internal_error", detail)
        return JSONResponse({"result": value} if defined else {})

    @app.post("/v1/data/{path:path}")
    @app.post("/v1/data")
    async def post_data(request: Request, path: str = "") -> JSONResponse:
        body = await request.body()
        try:
            doc = json.loads(body) if body.strip() else {}
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
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
    except CompileError as exc:
        return _error(
            400,
            "invalid_parameter",
            "error(s) occurred while compiling module(s)",
            errors=list(exc.errors),
        )
    return JSONResponse({})


# ---- command -------------------------------------------------------------------------------


def add_pdp_command(sub: Any) -> None:
    pdp = sub.add_parser("pdp", help="serve OPA's REST data API from the embedded engine")
    pdp.add_argument("--policy", default="policies", help="policy directory, bundle or URL")
    pdp.add_argument("--verification-key", help="PEM public key: only signed bundles load")
    pdp.add_argument("--host", default="127.0.0.1")
    pdp.add_argument("--port", type=int, default=8181)
    pdp.add_argument("--log-level", default="info")
    pdp.add_argument(
        "--allow-policy-writes",
        metavar="TOKEN_FILE",
        help="enable PUT/DELETE /v1/policies for callers sending the bearer token in this file",
    )
    pdp.set_defaults(handler=cmd_pdp)


def cmd_pdp(args: argparse.Namespace) -> int:
    import sys

    import uvicorn

    from governance.config import read_text_file
    from governance.policy.bundle import load_policy_source_any, load_verification_key
    from governance.policy.source import PolicySourceError

    try:
        key = None
        if args.verification_key:
            key = load_verification_key(read_text_file(Path(args.verification_key)))
        source = load_policy_source_any(args.policy, key)
        token = None
        if args.allow_policy_writes:
            token = read_text_file(Path(args.allow_policy_writes)).strip()
            if len(token) < 32:
                raise PolicySourceError("the policy write token must be at least 32 characters")
    except (PolicySourceError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"serving policy revision {source.revision} on {args.host}:{args.port}", file=sys.stderr)
    app = create_pdp_app(source, write_token=token)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0

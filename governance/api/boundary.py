"""The HTTP error boundary: exception handlers registered once on the application, and the
request body limit that every route shares.

REST routes answer `{"error": {"code", "message"}}` (governance.errors.rest_error_body). The
body limit wraps the ASGI `receive` channel, so a body is refused while it arrives (a declared
Content-Length over the limit before a single byte is read), never after it was buffered.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from governance.errors import ApiError, AuthError, GovernanceError, rest_error_body

logger = logging.getLogger(__name__)
BEARER_CHALLENGE = 'Bearer realm="governance"'


class BodyTooLarge(HTTPException):
    """Raised from `receive`; an HTTPException so that FastAPI's body parsing passes it on."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body exceeds {limit} bytes")
        self.limit = limit


class BodyLimit:
    """ASGI middleware: at most `limit` body bytes reach any route."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.app(scope, limited_receive(scope, receive, self.limit), send)


def limited_receive(scope: Scope, receive: Receive, limit: int) -> Receive:
    declared = _content_length(scope)
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        if declared is not None and declared > limit:
            raise BodyTooLarge(limit)
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
        return message

    return wrapped


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def rest_error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    extra = dict(headers or {})
    if status == 401:
        extra["WWW-Authenticate"] = BEARER_CHALLENGE
    return JSONResponse(rest_error_body(status, message), status_code=status, headers=extra)


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return rest_error(exc.status, exc.message, exc.headers)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return rest_error(exc.status_code, str(exc.detail), exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return rest_error(422, "; ".join(_describe(e) for e in exc.errors()) or "invalid request")


async def _governance_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GovernanceError)
    return rest_error(exc.http_status, exc.message)


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", exc_info=exc)
    return rest_error(500, "internal error")


def _describe(error: dict[str, object]) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")  # type: ignore[attr-defined]
    return f"{where}: {error.get('msg')}" if where else str(error.get("msg"))


def install_rest_errors(app: FastAPI) -> None:
    """The one place REST errors become responses; routes raise, they do not build bodies."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(AuthError, _governance_error)
    app.add_exception_handler(GovernanceError, _governance_error)
    app.add_exception_handler(Exception, _unexpected)

"""The one authenticator dependency: every REST route and the WebSocket declare what they need
(`Depends(authenticated)` or `Depends(require_roles(...))`); `/rpc` calls `authenticate` below.

Dependencies run before a route reads its body, and a route that takes a body reads it itself
after them (see admin_routes), so an unauthenticated caller never has a body parsed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends
from starlette.exceptions import WebSocketException
from starlette.requests import HTTPConnection

from governance.domain.models import Subject
from governance.errors import ApiError, AuthError

if TYPE_CHECKING:
    from governance.api.app import Services
    from governance.api.auth import Authenticator

POLICY_VIOLATION = 1008  # WebSocket close code for a refused token or role
SUBPROTOCOL = "bearer"


def services(conn: HTTPConnection) -> Services:
    return conn.app.state.services  # type: ignore[no-any-return]


def ws_credentials(headers: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(Authorization header value, subprotocol to answer) from a WebSocket upgrade request:
    the header, or for browsers the subprotocol pair `bearer, <token>`."""
    header = headers.get("authorization")
    if header is not None:
        return header, None
    offered = [p.strip() for p in headers.get("sec-websocket-protocol", "").split(",")]
    if len(offered) >= 2 and offered[0].lower() == SUBPROTOCOL and offered[1]:
        return f"Bearer {offered[1]}", SUBPROTOCOL
    return None, None


async def authenticate(auth: Authenticator, headers: Mapping[str, str]) -> Subject:
    """Raises AuthError (401) for a missing or bad token."""
    return await auth.authenticate(headers.get("authorization"))


async def authenticated(conn: HTTPConnection) -> Subject:
    is_ws = conn.scope["type"] == "websocket"
    header = ws_credentials(conn.headers)[0] if is_ws else conn.headers.get("authorization")
    try:
        return await services(conn).auth.authenticate(header)
    except AuthError as exc:
        if is_ws:
            raise WebSocketException(POLICY_VIOLATION, exc.message[:120]) from None
        raise


def require_roles(*roles: str) -> Callable[..., Awaitable[Subject]]:
    """A dependency admitting subjects that hold at least one of `roles` (403 otherwise)."""
    wanted = frozenset(roles)
    needs = f"needs one of the roles {', '.join(roles)}"

    async def dependency(
        conn: HTTPConnection, subject: Annotated[Subject, Depends(authenticated)]
    ) -> Subject:
        if wanted & set(subject.roles):
            return subject
        if conn.scope["type"] == "websocket":
            raise WebSocketException(POLICY_VIOLATION, needs)
        raise ApiError(403, f"{conn.url.path} {needs}")

    return dependency

"""`POST /rpc` and `POST /rpc/{ledger}` as a raw ASGI endpoint: the hot path skips the web
framework's routing and validation layers (measured in tests/perf)."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from starlette.types import Receive, Scope, Send

from governance.api.auth import Authenticator
from governance.api.boundary import BodyTooLarge
from governance.api.security import authenticate
from governance.config import Settings
from governance.errors import GovernanceError, InvalidRequest
from governance.gateway import Answer, Call, Gateway
from governance.ledger.rpc import error_id, error_response, parse_body
from governance.policy.travel_rule import parse_travel_rule_header

NO_DECISION = "-"


class RpcEndpoint:
    def __init__(self, gateway: Gateway, auth: Authenticator, settings: Settings) -> None:
        self.gateway = gateway
        self.auth = auth
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST":
            await _send(send, 405, error_response(None, InvalidRequest("use POST")), allow="POST")
            return
        ledger = self.settings.ledger(_ledger_name(scope["path"]))
        if ledger is None:
            err = InvalidRequest(f"unknown ledger {_ledger_name(scope['path'])!r}")
            await _send(send, 404, error_response(None, err))
            return
        headers = _headers(scope)
        try:
            # Who calls is known before a byte of the body is read.
            subject = await authenticate(self.auth, headers)
            body = await _read_body(receive)
            elements, is_batch = parse_body(body, self.settings.server.max_batch)
        except BodyTooLarge as exc:  # raised by the server-wide limit on `receive`
            await _send(send, 413, error_response(None, InvalidRequest(str(exc.detail))))
            return
        except GovernanceError as exc:  # unauthenticated, unparsable or invalid
            await _send(send, exc.http_status, error_response(error_id(exc), exc))
            return
        travel_rule, tr_errors = parse_travel_rule_header(headers.get("x-travel-rule"))
        calls = [
            e
            if isinstance(e, GovernanceError)
            else Call(subject, e, ledger, travel_rule, tuple(tr_errors))
            for e in elements
        ]
        if len(calls) == 1:
            answers = [await self._one(calls[0])]
        else:
            answers = list(await asyncio.gather(*(self._one(c) for c in calls)))
        await self._respond(send, answers, calls, is_batch)

    async def _one(self, call: Call | GovernanceError) -> Answer:
        if isinstance(call, GovernanceError):
            return Answer(NO_DECISION, error_response(error_id(call), call), call.http_status)
        return await self.gateway.handle(call)

    async def _respond(
        self,
        send: Send,
        answers: list[Answer],
        calls: list[Call | GovernanceError],
        is_batch: bool,
    ) -> None:
        ids = ",".join(a.decision_id for a in answers)
        # JSON-RPC: notifications get no response element; nothing to answer is HTTP 204.
        body = [
            a.response
            for a, c in zip(answers, calls, strict=True)
            if not (isinstance(c, Call) and c.request.is_notification)
        ]
        if not body:
            await _send(send, 204, None, decision_ids=ids)
        elif not is_batch:
            await _send(send, answers[0].status, answers[0].response, decision_ids=ids)
        else:
            await _send(send, 200, body, decision_ids=ids)


def _ledger_name(path: str) -> str | None:
    rest = path.rstrip("/")[len("/rpc") :].strip("/")
    return rest or None


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send(
    send: Send,
    status: int,
    payload: Any,
    *,
    decision_ids: str | None = None,
    allow: str | None = None,
) -> None:
    body = b"" if status == 204 else orjson.dumps(payload)
    headers = [] if status == 204 else [(b"content-type", b"application/json")]
    headers.append((b"content-length", str(len(body)).encode()))
    if decision_ids:
        headers.append((b"x-decision-id", decision_ids.encode()))
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="governance"'))
    if allow:
        headers.append((b"allow", allow.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

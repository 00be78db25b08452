"""`GET /ws` and `/ws/{ledger}`: JSON-RPC over WebSocket with `eth_subscribe`, under the same
rules as `/rpc`.

The token comes with the upgrade request, in `Authorization: Bearer` or, for browsers that
cannot set headers, as the subprotocol pair `bearer, <token>` (`Sec-WebSocket-Protocol`; the
server answers `bearer`). Never in the query string, which access logs record. The one
authenticator dependency (governance.api.security) checks it.

Every push passes the read filter with the policy snapshot of the moment. A watcher closes the
socket when the token expires (code 4401) and re-decides every subscription when the policy
snapshot or the day changes (a transfer basis may have expired); a subscription that is now
denied is ended with an error notification."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import aiohttp
import orjson
from fastapi import APIRouter, Depends, WebSocket, WebSocketDisconnect

from governance.api.auth import bearer_token, token_expiry
from governance.api.security import POLICY_VIOLATION, authenticated, services, ws_credentials
from governance.domain.models import Subject
from governance.errors import GovernanceError, LedgerUnavailable
from governance.gateway import Admission, Answer, Call
from governance.ledger.rpc import RpcRequest, error_id, error_response, parse_body
from governance.policy.travel_rule import parse_travel_rule_header

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from governance.api.app import Services

ws_router = APIRouter()
TOKEN_EXPIRED = 4401  # application close code: the token expired while the socket was open
WATCH_S = 0.25  # how often an open socket checks its token, the policy snapshot and the day


@ws_router.websocket("/ws")
@ws_router.websocket("/ws/{ledger}")
async def ws_endpoint(
    websocket: WebSocket,
    subject: Annotated[Subject, Depends(authenticated)],
    ledger: str | None = None,
) -> None:
    svc = services(websocket)
    config = svc.settings.ledger(ledger)
    header, subprotocol = ws_credentials(websocket.headers)
    expires = token_expiry(bearer_token(header))  # the dependency verified this token
    if config is None:
        await websocket.close(code=POLICY_VIOLATION, reason=f"unknown ledger {ledger!r}")
        return
    await websocket.accept(subprotocol=subprotocol)
    session = WsSession(svc, websocket, subject, config.name, expires)
    await session.run()


@dataclass
class Subscription:
    call: Call  # the eth_subscribe call, re-decided when the policy or the day changes
    admission: Admission
    day: str


class WsSession:
    """One client connection and its upstream connection to the node."""

    def __init__(
        self, svc: Services, websocket: WebSocket, subject: Subject, ledger: str, expires: float
    ) -> None:
        self.svc = svc
        self.client = websocket
        self.subject = subject
        self.expires = expires
        self.ledger = svc.settings.ledger(ledger)
        self.travel_rule = parse_travel_rule_header(websocket.headers.get("x-travel-rule"))
        self.ids = itertools.count(1)
        self.pending: dict[int, tuple[Any, Call, Admission]] = {}
        self.subscriptions: dict[str, Subscription] = {}

    async def run(self) -> None:
        assert self.ledger is not None
        url = self.ledger.url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        try:
            async with aiohttp.ClientSession() as http, http.ws_connect(url) as upstream:
                tasks = [
                    asyncio.create_task(self._from_client(upstream)),
                    asyncio.create_task(self._from_node(upstream)),
                    asyncio.create_task(self._watch(upstream)),
                ]
                done, waiting = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in waiting:
                    task.cancel()
                _log_failures(done)
        except (aiohttp.ClientError, OSError) as exc:
            err = LedgerUnavailable(
                f"ledger node {self.ledger.name} unreachable: {exc}",
                data={"ledger": self.ledger.name},
            )
            with contextlib.suppress(Exception):
                await self.client.send_text(orjson.dumps(error_response(None, err)).decode())
        with contextlib.suppress(Exception):
            await self.client.close()

    async def _from_client(self, upstream: aiohttp.ClientWebSocketResponse) -> None:
        settings = self.svc.settings.server
        while True:
            try:
                body = await self._receive()
            except (WebSocketDisconnect, RuntimeError):
                return
            try:
                elements, _ = parse_body(body, settings.max_batch)
            except GovernanceError as exc:
                await self._send(error_response(error_id(exc), exc))
                continue
            for element in elements:
                if isinstance(element, GovernanceError):
                    await self._send(error_response(error_id(element), element))
                else:
                    await self._request(upstream, element)

    async def _receive(self) -> bytes:
        """The next message's bytes: JSON-RPC in a text frame, or in a binary frame as nodes
        take it too (bytes that are not UTF-8 JSON are a parse error, answered)."""
        message = await self.client.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        text = message.get("text")
        return text.encode() if text is not None else bytes(message.get("bytes") or b"")

    def _call(self, req: RpcRequest) -> Call:
        assert self.ledger is not None
        return Call(self.subject, req, self.ledger, self.travel_rule[0], tuple(self.travel_rule[1]))

    async def _request(self, upstream: aiohttp.ClientWebSocketResponse, req: RpcRequest) -> None:
        call = self._call(req)
        if req.method not in ("eth_subscribe", "eth_unsubscribe"):
            await self._send((await self.svc.gateway.handle(call)).response)
            return
        admitted = await self.svc.gateway.admit(call, record_reads=True)
        if isinstance(admitted, Answer):
            await self._send(admitted.response)
            return
        internal = next(self.ids)
        self.pending[internal] = (req.id, call, admitted)
        await upstream.send_str(orjson.dumps({**req.raw, "id": internal}).decode())

    async def _from_node(self, upstream: aiohttp.ClientWebSocketResponse) -> None:
        async for message in upstream:
            if message.type != aiohttp.WSMsgType.TEXT:
                return
            doc = orjson.loads(message.data)
            if isinstance(doc, dict) and doc.get("method") == "eth_subscription":
                await self._push(doc)
            elif isinstance(doc, dict) and doc.get("id") in self.pending:
                client_id, call, admitted = self.pending.pop(doc["id"])
                if call.request.method == "eth_subscribe" and isinstance(doc.get("result"), str):
                    self.subscriptions[doc["result"]] = Subscription(call, admitted, _today())
                if client_id is not None:
                    await self._send({**doc, "id": client_id})

    async def _push(self, doc: dict[str, Any]) -> None:
        params = doc.get("params") or {}
        sub = self.subscriptions.get(str(params.get("subscription")))
        if sub is None:
            return
        try:
            filtered = await self.svc.gateway.filter_push(sub.admission, params.get("result"))
        except GovernanceError as exc:  # its exports could not be counted: not sent
            log.warning("push of subscription %s dropped: %s", params.get("subscription"), exc)
            return
        if filtered.denial is not None:
            return  # a denied notification is dropped for this reader
        await self._send({**doc, "params": {**params, "result": filtered.result}})

    async def _watch(self, upstream: aiohttp.ClientWebSocketResponse) -> None:
        """Token expiry, policy reloads and the change of day, for as long as the socket lives."""
        while True:
            await asyncio.sleep(WATCH_S)
            if time.time() >= self.expires:
                await self.client.close(code=TOKEN_EXPIRED, reason="token expired")
                return
            current, today = self.svc.gateway.engine.snapshot(), _today()
            for sub_id, sub in list(self.subscriptions.items()):
                if sub.admission.snapshot is not current or sub.day != today:
                    await self._redecide(upstream, sub_id, sub, today)

    async def _redecide(
        self, upstream: aiohttp.ClientWebSocketResponse, sub_id: str, sub: Subscription, day: str
    ) -> None:
        admitted = await self.svc.gateway.admit(sub.call, record_reads=True)
        if isinstance(admitted, Admission):
            self.subscriptions[sub_id] = Subscription(sub.call, admitted, day)
            return
        del self.subscriptions[sub_id]  # no push of it reaches the client from here on
        error = admitted.response.get("error")
        await self._send(
            {
                "jsonrpc": "2.0",
                "method": "eth_subscription",
                "params": {"subscription": sub_id, "error": error},
            }
        )
        internal = next(self.ids)
        self.pending[internal] = (None, sub.call, sub.admission)  # the node's ack is dropped
        await upstream.send_str(
            orjson.dumps(
                {"jsonrpc": "2.0", "id": internal, "method": "eth_unsubscribe", "params": [sub_id]}
            ).decode()
        )

    async def _send(self, payload: Any) -> None:
        await self.client.send_text(orjson.dumps(payload).decode())


def _log_failures(tasks: set[asyncio.Task[None]]) -> None:
    """A session's tasks end when the client or the node goes; anything else is logged here
    (an exception left in a task would only be reported when it is collected)."""
    for task in tasks:
        exc = task.exception()
        if exc is not None and not isinstance(exc, WebSocketDisconnect):
            log.error("websocket session ended by %s: %s", type(exc).__name__, exc)


def _today() -> str:
    return datetime.now(UTC).date().isoformat()

"""`GET /ws` and `/ws/{ledger}`: JSON-RPC over WebSocket with `eth_subscribe`, under the same
rules as `/rpc`. The token comes with the upgrade request (`Authorization: Bearer`, or an
`access_token` query parameter for clients that cannot set headers). Every pushed message
passes the subscriber's read filtering; denied log entries are not pushed."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from typing import TYPE_CHECKING, Any

import aiohttp
import orjson
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from governance.domain.models import Subject
from governance.errors import AuthError, GovernanceError, LedgerUnavailable
from governance.gateway import Admission, Answer, Call
from governance.ledger.rpc import RpcRequest, error_response, parse_body
from governance.policy.travel_rule import parse_travel_rule_header

if TYPE_CHECKING:
    from governance.api.app import Services

ws_router = APIRouter()
POLICY_VIOLATION = 1008  # WebSocket close code for a refused token


@ws_router.websocket("/ws")
@ws_router.websocket("/ws/{ledger}")
async def ws_endpoint(websocket: WebSocket, ledger: str | None = None) -> None:
    svc: Services = websocket.app.state.services
    config = svc.settings.ledger(ledger)
    header = websocket.headers.get("authorization")
    if header is None and "access_token" in websocket.query_params:
        header = f"Bearer {websocket.query_params['access_token']}"
    try:
        subject = await svc.auth.authenticate(header)
    except AuthError as exc:
        await websocket.close(code=POLICY_VIOLATION, reason=exc.message[:120])
        return
    if config is None:
        await websocket.close(code=POLICY_VIOLATION, reason=f"unknown ledger {ledger!r}")
        return
    await websocket.accept()
    session = WsSession(svc, websocket, subject, config.name)
    await session.run()


class WsSession:
    """One client connection and its upstream connection to the node."""

    def __init__(self, svc: Services, websocket: WebSocket, subject: Subject, ledger: str) -> None:
        self.svc = svc
        self.client = websocket
        self.subject = subject
        self.ledger = svc.settings.ledger(ledger)
        self.travel_rule = parse_travel_rule_header(websocket.headers.get("x-travel-rule"))
        self.ids = itertools.count(1)
        self.pending: dict[int, tuple[Any, Admission]] = {}
        self.subscriptions: dict[str, Admission] = {}
        self.withheld = 0

    async def run(self) -> None:
        assert self.ledger is not None
        url = self.ledger.url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        try:
            async with aiohttp.ClientSession() as http, http.ws_connect(url) as upstream:
                pumps = [
                    asyncio.create_task(self._from_client(upstream)),
                    asyncio.create_task(self._from_node(upstream)),
                ]
                _, waiting = await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
                for task in waiting:
                    task.cancel()
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
                text = await self.client.receive_text()
            except WebSocketDisconnect:
                return
            try:
                elements, _ = parse_body(text.encode(), settings.max_batch)
            except GovernanceError as exc:
                await self._send(error_response(None, exc))
                continue
            for element in elements:
                if isinstance(element, GovernanceError):
                    await self._send(error_response(None, element))
                else:
                    await self._request(upstream, element)

    async def _request(self, upstream: aiohttp.ClientWebSocketResponse, req: RpcRequest) -> None:
        assert self.ledger is not None
        call = Call(self.subject, req, self.ledger, self.travel_rule[0], tuple(self.travel_rule[1]))
        if req.method not in ("eth_subscribe", "eth_unsubscribe"):
            await self._send((await self.svc.gateway.handle(call)).response)
            return
        admitted = await self.svc.gateway.admit(call, record_reads=True)
        if isinstance(admitted, Answer):
            await self._send(admitted.response)
            return
        internal = next(self.ids)
        self.pending[internal] = (req.id, admitted)
        await upstream.send_str(orjson.dumps({**req.raw, "id": internal}).decode())

    async def _from_node(self, upstream: aiohttp.ClientWebSocketResponse) -> None:
        async for message in upstream:
            if message.type != aiohttp.WSMsgType.TEXT:
                return
            doc = orjson.loads(message.data)
            if isinstance(doc, dict) and doc.get("method") == "eth_subscription":
                await self._push(doc)
            elif isinstance(doc, dict) and doc.get("id") in self.pending:
                client_id, admitted = self.pending.pop(doc["id"])
                if admitted.env.request.method == "eth_subscribe" and isinstance(
                    doc.get("result"), str
                ):
                    self.subscriptions[doc["result"]] = admitted
                await self._send({**doc, "id": client_id})

    async def _push(self, doc: dict[str, Any]) -> None:
        params = doc.get("params") or {}
        admitted = self.subscriptions.get(str(params.get("subscription")))
        if admitted is None:
            return
        _env, snapshot, policy_input, decision = admitted.parts()
        filtered = await self.svc.gateway.read_filter.apply(
            snapshot, policy_input, decision, "eth_subscription", params.get("result")
        )
        if filtered.denial is not None:
            self.withheld += 1
            return
        await self._send({**doc, "params": {**params, "result": filtered.result}})

    async def _send(self, payload: Any) -> None:
        await self.client.send_text(orjson.dumps(payload).decode())

"""The baseline for the benchmark: a bare JSON-RPC pass-through on the gateway's own stack
(uvicorn + raw ASGI + the same pooled aiohttp node client), with no auth, policy or log."""

from __future__ import annotations

import sys
from typing import Any

import orjson
import uvicorn

from governance.config import LedgerConfig
from governance.ledger.evm import EvmNode


def make_app(node_url: str) -> Any:
    node = EvmNode(LedgerConfig(name="main", url=node_url, chain_id=31337))

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        response = await node.call(orjson.loads(b"".join(chunks)))
        body = orjson.dumps(response)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


if __name__ == "__main__":
    uvicorn.run(
        make_app(sys.argv[1]),
        host="127.0.0.1",
        port=int(sys.argv[2]),
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )

"""The error boundary and the authenticator dependency on the real server: one REST error body,
401 before any body is read, 403 from the role declared on the route, one body limit for every
route (declared or streamed), and the same token check on the WebSocket upgrade."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import websockets.sync.client as ws_client
from websockets.exceptions import InvalidStatus

from tests.conftest import GatewayServer, token

LIMIT = 1024 * 1024  # server.max_body_bytes of the test settings (the default)


def assert_rest_error(resp: httpx.Response, status: int, code: str) -> str:
    assert resp.status_code == status, resp.text
    doc = resp.json()
    assert set(doc) == {"error"} and set(doc["error"]) == {"code", "message"}, doc
    assert doc["error"]["code"] == code
    assert isinstance(doc["error"]["message"], str) and doc["error"]["message"]
    return str(doc["error"]["message"])


def bearer(*roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(sub='b', roles=roles)}"}


def test_rest_errors_share_one_body(gateway: GatewayServer) -> None:
    url = gateway.url
    unauth = httpx.get(f"{url}/audit/decisions")
    assert_rest_error(unauth, 401, "unauthenticated")
    assert unauth.headers["www-authenticate"].startswith("Bearer")
    bad = httpx.get(f"{url}/audit/decisions", headers={"Authorization": "Bearer x.y.z"})
    assert_rest_error(bad, 401, "unauthenticated")
    message = assert_rest_error(
        httpx.get(f"{url}/audit/decisions", headers=bearer("trader")), 403, "forbidden"
    )
    assert "auditor" in message
    assert_rest_error(
        httpx.get(f"{url}/audit/decisions?limit=0", headers=bearer("auditor")),
        422,
        "invalid_request",
    )
    assert_rest_error(
        httpx.get(f"{url}/audit/decisions/nope", headers=bearer("auditor")), 404, "not_found"
    )
    assert_rest_error(httpx.get(f"{url}/no/such/route"), 404, "not_found")
    assert_rest_error(httpx.delete(f"{url}/audit/decisions"), 405, "method_not_allowed")
    replay = httpx.post(f"{url}/admin/replay", headers=bearer("admin"), content=b"{not json")
    assert_rest_error(replay, 422, "invalid_request")
    forbidden = httpx.post(f"{url}/admin/replay", headers=bearer("auditor"), json={})
    assert "compliance_officer" in assert_rest_error(forbidden, 403, "forbidden")


def test_unauthenticated_body_is_never_read(gateway: GatewayServer) -> None:
    """Authentication comes first: garbage or an oversized body from an anonymous caller is 401,
    never 422 (parsed) or 413 (read)."""
    url = gateway.url
    garbage = httpx.post(f"{url}/admin/replay", content=b"{not json")
    assert_rest_error(garbage, 401, "unauthenticated")
    huge = b"{" + b" " * (8 * LIMIT) + b"}"
    assert_rest_error(httpx.post(f"{url}/admin/replay", content=huge), 401, "unauthenticated")
    rpc = httpx.post(f"{url}/rpc", content=huge)
    assert rpc.status_code == 401 and rpc.json()["error"]["code"] == -32001


def _chunks(total: int) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        sent += 64 * 1024
        yield b" " * (64 * 1024)


def test_body_limit_on_every_route(gateway: GatewayServer) -> None:
    url = gateway.url
    huge = b" " * (LIMIT + 1)
    declared = httpx.post(f"{url}/admin/replay", headers=bearer("admin"), content=huge)
    assert_rest_error(declared, 413, "payload_too_large")
    # Chunked: no Content-Length, the limit counts bytes as they arrive.
    streamed = httpx.post(
        f"{url}/admin/replay", headers=bearer("admin"), content=_chunks(2 * LIMIT)
    )
    assert "exceeds" in assert_rest_error(streamed, 413, "payload_too_large")
    rpc = httpx.post(f"{url}/rpc", headers=bearer("trader"), content=_chunks(2 * LIMIT))
    assert rpc.status_code == 413 and rpc.json()["error"]["code"] == -32600


@pytest.mark.parametrize("offer", [None, ["bearer", "not-a-token"]])
def test_websocket_upgrade_uses_the_same_authenticator(
    gateway: GatewayServer, offer: list[str] | None
) -> None:
    url = f"ws://127.0.0.1:{gateway.port}/ws"
    with pytest.raises(InvalidStatus) as refused:
        ws_client.connect(url, subprotocols=offer, open_timeout=5)  # type: ignore[arg-type]
    assert refused.value.response.status_code == 403
    good = token(sub="w", roles=("trader",))
    with ws_client.connect(url, subprotocols=["bearer", good], open_timeout=5) as conn:  # type: ignore[list-item]
        conn.send('{"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}')
        assert '"result"' in conn.recv(timeout=10)

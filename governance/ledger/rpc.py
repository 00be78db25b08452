"""JSON-RPC 2.0 envelope: parsing a body into requests and building responses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from governance.errors import GovernanceError, InvalidRequest, ParseError


@dataclass(frozen=True)
class RpcRequest:
    id: Any  # str | int | None; absent id (notification) is kept as None
    method: str
    params: Any  # list | dict | None, as sent
    raw: dict[str, Any]
    is_notification: bool = False


def parse_body(body: bytes, max_batch: int) -> tuple[list[RpcRequest | GovernanceError], bool]:
    """Returns the requests (or a per-element error) and whether the body was a batch.
    Raises ParseError / InvalidRequest when the whole body is unusable."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"parse error: {exc}") from exc
    if isinstance(doc, list):
        if not doc:
            raise InvalidRequest("invalid request: empty batch")
        if len(doc) > max_batch:
            raise InvalidRequest(f"invalid request: batch of {len(doc)} exceeds limit {max_batch}")
        return [_element(item) for item in doc], True
    element = _element(doc)
    if isinstance(element, GovernanceError):
        raise element
    return [element], False


def _element(doc: Any) -> RpcRequest | GovernanceError:
    if not isinstance(doc, dict):
        return InvalidRequest("invalid request: not a JSON-RPC 2.0 object")
    if doc.get("jsonrpc") != "2.0":
        return InvalidRequest('invalid request: "jsonrpc" must be "2.0"')
    method = doc.get("method")
    if not isinstance(method, str) or not method:
        return InvalidRequest('invalid request: "method" must be a non-empty string')
    rid = doc.get("id")
    if rid is not None and (isinstance(rid, bool) or not isinstance(rid, str | int | float)):
        return InvalidRequest('invalid request: "id" must be a string, number or null')
    params = doc.get("params")
    if params is not None and not isinstance(params, list | dict):
        return InvalidRequest('invalid request: "params" must be an array or object')
    return RpcRequest(
        id=rid, method=method, params=params, raw=doc, is_notification="id" not in doc
    )


def error_response(request_id: Any, error: GovernanceError) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": error.to_rpc_error()}

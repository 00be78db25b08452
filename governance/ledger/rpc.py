"""JSON-RPC 2.0 envelope: parsing a body into requests and building responses."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import orjson

from governance.errors import GovernanceError, InvalidRequest, ParseError

# What orjson reads back exactly as an integer; beyond it a number becomes a lossy double.
_EXACT_INTS = range(-(2**63), 2**64)


@dataclass(frozen=True)
class RpcRequest:
    # str | int | orjson.Fragment (a fractional or very large number, kept as its exact text so
    # the answer echoes it as sent) | None; an absent id (notification) is kept as None
    id: Any
    method: str
    params: Any  # list | dict | None, as sent
    raw: dict[str, Any]
    is_notification: bool = False


class InvalidElement(InvalidRequest):
    """An element of a call that is not a valid request but whose id could be read: the error
    answer carries that id."""

    def __init__(self, message: str, request_id: Any) -> None:
        super().__init__(message)
        self.request_id = request_id


def parse_body(body: bytes, max_batch: int) -> tuple[list[RpcRequest | GovernanceError], bool]:
    """Returns the requests (or a per-element error) and whether the body was a batch.
    Raises ParseError / InvalidRequest when the whole body is unusable."""
    doc = _loads(body)
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


def error_id(element: RpcRequest | GovernanceError) -> Any:
    """The id an answer to this element carries (null when it could not be read)."""
    if isinstance(element, RpcRequest):
        return element.id
    return element.request_id if isinstance(element, InvalidElement) else None


def _element(doc: Any) -> RpcRequest | GovernanceError:
    if not isinstance(doc, dict):
        return InvalidRequest("invalid request: not a JSON-RPC 2.0 object")
    rid = doc.get("id")
    if rid is not None and not _valid_id(rid):
        return InvalidRequest('invalid request: "id" must be a string, number or null')
    if doc.get("jsonrpc") != "2.0":
        return InvalidElement('invalid request: "jsonrpc" must be "2.0"', rid)
    method = doc.get("method")
    # Printable: the method is copied into the log's columns, and PostgreSQL refuses a NUL
    # there, which would fail every append after it.
    if not isinstance(method, str) or not method or not method.isprintable():
        return InvalidElement(
            'invalid request: "method" must be a non-empty string of printable characters', rid
        )
    params = doc.get("params")
    if params is not None and not isinstance(params, list | dict):
        return InvalidElement('invalid request: "params" must be an array or object', rid)
    return RpcRequest(
        id=rid, method=method, params=params, raw=doc, is_notification="id" not in doc
    )


def _valid_id(rid: Any) -> bool:
    return isinstance(rid, orjson.Fragment) or (
        not isinstance(rid, bool) and isinstance(rid, str | int)
    )


def error_response(request_id: Any, error: GovernanceError) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": error.to_rpc_error()}


# --- exact numbers -----------------------------------------------------------------------------
# The fast parser reads every body. A body it cannot read exactly (an id that is fractional or
# beyond 64 bits, a number beyond a double) is read again by one that keeps each number's text.


class _Number(str):
    """A number's text as it appeared in the body."""


def _loads(body: bytes) -> Any:
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return _exact_loads(body, exc)
    if isinstance(doc, dict) and isinstance(doc.get("id"), float):
        return _exact_loads(body, None)
    if isinstance(doc, list) and any(
        isinstance(d, dict) and isinstance(d.get("id"), float) for d in doc
    ):
        return _exact_loads(body, None)
    return doc


def _exact_loads(body: bytes, fast_error: Exception | None) -> Any:
    try:
        doc = json.loads(body, parse_int=_Number, parse_float=_Number, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"parse error: {fast_error or exc}") from exc
    doc = [_with_exact_id(d) for d in doc] if isinstance(doc, list) else _with_exact_id(doc)
    try:  # this parser takes an unpaired surrogate escape ("\ud800"): not Unicode text
        orjson.dumps(doc)
    except TypeError as exc:
        raise ParseError(f"parse error: {exc}") from exc
    return doc


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _with_exact_id(doc: Any) -> Any:
    if not isinstance(doc, dict):
        return _plain(doc)
    out = {k: _plain(v) for k, v in doc.items()}
    rid = doc.get("id")
    if isinstance(rid, _Number):
        value = _plain(rid)
        exact = isinstance(value, int) and not isinstance(value, bool)
        out["id"] = value if exact else orjson.Fragment(str(rid))
    return out


def _plain(value: Any) -> Any:
    """Numbers outside the id as the fast parser would give them (exact text where it cannot)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if not isinstance(value, _Number):
        return value
    if all(c in "-0123456789" for c in value):
        number = int(value)
        return number if number in _EXACT_INTS else orjson.Fragment(str(value))
    real = float(value)
    return real if math.isfinite(real) else orjson.Fragment(str(value))

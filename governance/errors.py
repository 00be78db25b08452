"""The gateway's errors and the one place that maps them to JSON-RPC codes and HTTP statuses.

A policy denial is not an error (it is a Decision value); everything here means the gateway
could not decide, record or forward, and therefore refuses (fail closed).

`/rpc` answers JSON-RPC error objects (`to_rpc_error`). The REST routes (audit, admin, status)
answer one body, `{"error": {"code": <REST code>, "message": <text>}}` (`rest_error_body`);
`ApiError` carries a REST refusal to the exception handlers that `governance.api.boundary`
registers once on the application.
"""

from __future__ import annotations

from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
UNAUTHENTICATED = -32001
DENIED = -32003
ENGINE_UNAVAILABLE = -32004
LEDGER_UNAVAILABLE = -32005
LOG_UNAVAILABLE = -32006

HTTP_STATUS: dict[int, int] = {
    PARSE_ERROR: 400,
    INVALID_REQUEST: 400,
    UNAUTHENTICATED: 401,
    DENIED: 200,
    ENGINE_UNAVAILABLE: 503,
    LEDGER_UNAVAILABLE: 502,
    LOG_UNAVAILABLE: 503,
}


class GovernanceError(Exception):
    """Base class: carries the JSON-RPC code, a message and optional `data`."""

    code: int = ENGINE_UNAVAILABLE

    def __init__(self, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]

    def to_rpc_error(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


class ParseError(GovernanceError):
    code = PARSE_ERROR


class InvalidRequest(GovernanceError):
    code = INVALID_REQUEST


class AuthError(GovernanceError):
    """Missing, malformed, expired or badly signed credentials."""

    code = UNAUTHENTICATED


class EngineUnavailable(GovernanceError):
    """Policy engine or reference data failed: nothing is decided, so nothing is forwarded."""

    code = ENGINE_UNAVAILABLE


class LedgerUnavailable(GovernanceError):
    """The node could not be reached or answered something that is not JSON-RPC."""

    code = LEDGER_UNAVAILABLE


class LedgerOutcomeUnknown(LedgerUnavailable):
    """The call may have reached the node, but no answer came (a timeout, a dropped connection,
    a proxy's error page): a write may or may not be on its way to the chain."""


class LogUnavailable(GovernanceError):
    """The decision log could not be written: nothing unrecorded is forwarded."""

    code = LOG_UNAVAILABLE


# REST error codes by HTTP status (stable; clients match on them).
REST_CODES: dict[int, str] = {
    400: "invalid_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    500: "internal_error",
    502: "ledger_unavailable",
    503: "unavailable",
}


def rest_error_body(status: int, message: str) -> dict[str, Any]:
    """The one error body of the REST routes."""
    return {"error": {"code": REST_CODES.get(status, "error"), "message": message}}


class ApiError(Exception):
    """A REST route refuses: HTTP status, client-facing message, optional extra headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


class BodyTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body exceeds {limit} bytes")
        self.limit = limit


class ConfigError(Exception):
    """Bad configuration; the message names the offending key."""


class InvalidTransaction(ValueError):
    """A raw transaction that cannot be decoded or whose signature does not recover."""

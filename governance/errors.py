"""The gateway's errors and the one place that maps them to JSON-RPC codes and HTTP statuses.

A policy denial is not an error (it is a Decision value); everything here means the gateway
could not decide, record or forward, and therefore refuses (fail closed).
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


class LogUnavailable(GovernanceError):
    """The decision log could not be written: nothing unrecorded is forwarded."""

    code = LOG_UNAVAILABLE


class ConfigError(Exception):
    """Bad configuration; the message names the offending key."""


class InvalidTransaction(ValueError):
    """A raw transaction that cannot be decoded or whose signature does not recover."""

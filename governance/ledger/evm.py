"""EVM ledger adapter: classifies and decodes a JSON-RPC call into facts for the policy input,
and forwards allowed calls to the node over one pooled keep-alive client."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from governance.config import LedgerConfig
from governance.errors import InvalidTransaction, LedgerOutcomeUnknown, LedgerUnavailable
from governance.ledger.methods import addresses_in_params, classify
from governance.ledger.rpc import RpcRequest
from governance.ledger.transactions import (
    TokenCall,
    decode_erc20_call,
    decode_raw_transaction,
    params_transaction,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WriteFacts:
    """What a write does, decoded from the signed transaction or the call's params."""

    sender: str
    to: str | None
    nonce: int | None
    chain_id: int | None
    value: int
    data: bytes
    token: TokenCall | None
    tx_hash: str | None


@dataclass(frozen=True)
class CallFacts:
    kind: str  # read | write | admin | unknown
    write: WriteFacts | None = None
    read_addresses: tuple[str, ...] = ()
    decode_error: str | None = None


def inspect_call(request: RpcRequest) -> CallFacts:
    """Classifies from the explicit method table and decodes writes. A write that cannot be
    decoded is still a write: the policy sees `decode_error` and the gateway refuses it."""
    kind = classify(request.method)
    if kind != "write":
        params = request.params if isinstance(request.params, list) else []
        return CallFacts(
            kind=kind, read_addresses=tuple(addresses_in_params(request.method, params))
        )
    try:
        return CallFacts(kind=kind, write=_decode_write(request))
    except InvalidTransaction as exc:
        return CallFacts(kind=kind, decode_error=str(exc))


def _decode_write(request: RpcRequest) -> WriteFacts:
    params = request.params
    if not isinstance(params, list) or len(params) != 1:
        raise InvalidTransaction(f"{request.method} takes exactly one parameter")
    if request.method == "eth_sendRawTransaction":
        if not isinstance(params[0], str):
            raise InvalidTransaction("eth_sendRawTransaction parameter must be a hex string")
        tx = decode_raw_transaction(params[0])
        return WriteFacts(
            sender=tx.sender,
            to=tx.to,
            nonce=tx.nonce,
            chain_id=tx.chain_id,
            value=tx.value,
            data=tx.data,
            token=decode_erc20_call(tx.to, tx.sender, tx.data),
            tx_hash=tx.hash,
        )
    if not isinstance(params[0], dict):
        raise InvalidTransaction("eth_sendTransaction parameter must be a transaction object")
    utx = params_transaction(params[0])
    return WriteFacts(
        sender=utx.from_,
        to=utx.to,
        nonce=utx.nonce,
        chain_id=utx.chain_id,
        value=utx.value,
        data=utx.data,
        token=decode_erc20_call(utx.to, utx.from_, utx.data),
        tx_hash=None,
    )


class EvmNode:
    """One pooled keep-alive HTTP client per ledger."""

    def __init__(self, config: LedgerConfig) -> None:
        self.config = config
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=128, keepalive_timeout=30, ttl_dns_cache=300),
                timeout=aiohttp.ClientTimeout(total=self.config.timeout_s),
                json_serialize=lambda v: orjson.dumps(v).decode(),
            )
        return self._session

    async def call(self, payload: dict[str, Any] | list[Any]) -> Any:
        """Posts a JSON-RPC payload; the node's own errors come back as they are."""
        body = orjson.dumps(payload)
        try:
            async with self._client().post(
                self.config.url, data=body, headers={"Content-Type": "application/json"}
            ) as resp:
                raw = await resp.read()
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            # Never connected: the node did not get the call. The client learns the kind of
            # failure, not the node's host and port.
            log.warning("ledger node %s unreachable: %s", self.config.name, exc)
            raise self._unavailable(f"unreachable ({type(exc).__name__})") from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            log.warning("ledger node %s gave no answer: %s", self.config.name, exc)
            raise self._unavailable(f"gave no answer ({type(exc).__name__})", True) from exc
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise self._unavailable(f"answered non-JSON (HTTP {resp.status})", True) from exc
        if not _is_rpc_response(doc):
            detail = f"answered something that is not JSON-RPC (HTTP {resp.status})"
            raise self._unavailable(detail, True)
        return doc

    def _unavailable(self, detail: str, maybe_delivered: bool = False) -> LedgerUnavailable:
        """`maybe_delivered`: the call may have reached the node (its outcome is unknown)."""
        kind = LedgerOutcomeUnknown if maybe_delivered else LedgerUnavailable
        return kind(
            f"ledger node {self.config.name} {detail}",
            data={"ledger": self.config.name, "detail": detail},
        )

    async def healthy(self) -> bool:
        try:
            doc = await self.call(
                {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
            )
        except LedgerUnavailable:
            return False
        return isinstance(doc, dict) and "result" in doc

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def _is_rpc_response(doc: Any) -> bool:
    if isinstance(doc, list):
        return all(_is_rpc_response(d) for d in doc)
    return isinstance(doc, dict) and ("result" in doc or "error" in doc)

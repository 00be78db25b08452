"""EVM ledger adapter: classifies and decodes a JSON-RPC call into facts for the policy input,
and forwards allowed calls to the node over one pooled keep-alive client."""

from __future__ import annotations

import asyncio
import logging
import time
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


CHAIN_CHECK_S = 2.0  # how long a verified chain id is trusted before it is asked again
_CHAIN_ID_CALL = {"jsonrpc": "2.0", "id": "governance-chain-check", "method": "eth_chainId"}


class EvmNode:
    """One pooled keep-alive HTTP client per ledger. Nothing is sent to a node on another chain
    than the configured one: its chain id is verified before the first call, again at most
    every CHAIN_CHECK_S, and after any transport failure (a node that restarted, perhaps with a
    new chain)."""

    def __init__(self, config: LedgerConfig) -> None:
        self.config = config
        self._session: aiohttp.ClientSession | None = None
        self._chain_verified_at: float | None = None
        self._chain_lock = asyncio.Lock()

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
        await self._verify_chain()
        return await self._post(payload)

    async def _verify_chain(self) -> None:
        if self._chain_fresh():
            return
        async with self._chain_lock:  # one question for all the calls that wait on it
            if self._chain_fresh():
                return
            try:
                doc = await self._post({**_CHAIN_ID_CALL, "params": []})
            except LedgerUnavailable as exc:  # the call itself was never sent
                detail = exc.data.get("detail", "unreachable") if isinstance(exc.data, dict) else ""
                raise self._unavailable(str(detail)) from exc
            found = _chain_id_of(doc)
            if found != self.config.chain_id:
                log.error(
                    "ledger node %s is on chain %s, configured %s: nothing is sent to it",
                    self.config.name,
                    found,
                    self.config.chain_id,
                )
                raise LedgerUnavailable(
                    f"ledger node {self.config.name} is on chain {found}, "
                    f"not the configured {self.config.chain_id}",
                    data={"ledger": self.config.name, "detail": "wrong chain", "chain_id": found},
                )
            self._chain_verified_at = time.monotonic()

    def _chain_fresh(self) -> bool:
        at = self._chain_verified_at
        return at is not None and time.monotonic() - at < CHAIN_CHECK_S

    async def _post(self, payload: dict[str, Any] | list[Any]) -> Any:
        body = orjson.dumps(payload)
        try:
            async with self._client().post(
                self.config.url, data=body, headers={"Content-Type": "application/json"}
            ) as resp:
                raw = await resp.read()
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            self._chain_verified_at = None  # restarted? ask its chain again first
            # Never connected: the node did not get the call. The client learns the kind of
            # failure, not the node's host and port.
            log.warning("ledger node %s unreachable: %s", self.config.name, exc)
            raise self._unavailable(f"unreachable ({type(exc).__name__})") from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            self._chain_verified_at = None
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
        """Answers, and on the configured chain."""
        self._chain_verified_at = None
        try:
            await self._verify_chain()
        except LedgerUnavailable:
            return False
        return True

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def _chain_id_of(doc: Any) -> int | None:
    result = doc.get("result") if isinstance(doc, dict) else None
    try:
        return int(result, 16) if isinstance(result, str) else None
    except ValueError:
        return None


def _is_rpc_response(doc: Any) -> bool:
    if isinstance(doc, list):
        return all(_is_rpc_response(d) for d in doc)
    return isinstance(doc, dict) and ("result" in doc or "error" in doc)

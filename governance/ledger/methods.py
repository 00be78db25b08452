"""Which kind of operation each Ethereum JSON-RPC method is, and which addresses a read names.

The table is explicit rather than pattern-based so that a method nobody has reviewed is
"unknown" (and can be refused by policy) instead of being waved through as a read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any, Final

from governance.domain.models import Kind
from governance.ledger.abi import decode_balance_of

# Namespaces that control or inspect the node itself, whatever the method name.
ADMIN_NAMESPACES: Final = (
    "anvil_",
    "evm_",
    "debug_",
    "admin_",
    "personal_",
    "miner_",
    "txpool_",
    "hardhat_",
)

_READS: Final = (
    "eth_chainId",
    "eth_blockNumber",
    "eth_getBalance",
    "eth_getCode",
    "eth_getStorageAt",
    "eth_getTransactionCount",
    "eth_call",
    "eth_estimateGas",
    "eth_createAccessList",
    "eth_simulateV1",
    "eth_gasPrice",
    "eth_maxPriorityFeePerGas",
    "eth_blobBaseFee",
    "eth_feeHistory",
    "eth_getBlockByNumber",
    "eth_getBlockByHash",
    "eth_getBlockTransactionCountByNumber",
    "eth_getBlockTransactionCountByHash",
    "eth_getUncleCountByBlockNumber",
    "eth_getUncleCountByBlockHash",
    "eth_getUncleByBlockNumberAndIndex",
    "eth_getUncleByBlockHashAndIndex",
    "eth_getTransactionByHash",
    "eth_getTransactionByBlockNumberAndIndex",
    "eth_getTransactionByBlockHashAndIndex",
    "eth_getTransactionReceipt",
    "eth_getBlockReceipts",
    "eth_getLogs",
    "eth_getProof",
    "eth_syncing",
    "eth_accounts",
    "eth_coinbase",
    "eth_mining",
    "eth_hashrate",
    "eth_protocolVersion",
    "eth_newFilter",
    "eth_newBlockFilter",
    "eth_newPendingTransactionFilter",
    "eth_getFilterChanges",
    "eth_getFilterLogs",
    "eth_uninstallFilter",
    "eth_subscribe",
    "eth_unsubscribe",
    "net_version",
    "net_listening",
    "net_peerCount",
    "web3_clientVersion",
    "web3_sha3",
)

_WRITES: Final = ("eth_sendRawTransaction", "eth_sendTransaction")

# Signing with node-held keys and mining control: not reads, and not writes the gateway can
# decode, so they are administrative.
_ADMIN: Final = (
    "eth_sign",
    "eth_signTransaction",
    "eth_signTypedData",
    "eth_signTypedData_v1",
    "eth_signTypedData_v3",
    "eth_signTypedData_v4",
    "eth_submitWork",
    "eth_submitHashrate",
    "eth_getWork",
)


# Raw node state and node tracing: reads that show every holder's balances at once, so a
# policy names the roles that may make them (`input.read.raw_state`). Listed here rather than
# under the admin namespaces they belong to (debug_), so that a reader with such a role is not
# refused as an administrator.
RAW_STATE: Final = (
    "eth_getStorageAt",
    "eth_getProof",
    "debug_traceCall",
    "debug_traceCallMany",
    "debug_traceTransaction",
    "debug_traceBlockByNumber",
    "debug_traceBlockByHash",
    "trace_call",
    "trace_callMany",
    "trace_transaction",
    "trace_block",
    "trace_filter",
    "trace_get",
    "trace_replayTransaction",
    "trace_replayBlockTransactions",
)

# Calls that run calldata against the state: every directory address anywhere in their params
# is a party of the read (docs/read-scope.md).
CALLS: Final = (
    "eth_call",
    "eth_estimateGas",
    "eth_createAccessList",
    "eth_simulateV1",
    "debug_traceCall",
    "debug_traceCallMany",
    "trace_call",
    "trace_callMany",
)


def _table() -> Mapping[str, Kind]:
    groups: tuple[tuple[tuple[str, ...], Kind], ...] = (
        (_READS, "read"),
        (RAW_STATE, "read"),
        (_WRITES, "write"),
        (_ADMIN, "admin"),
    )
    return MappingProxyType({name: kind for names, kind in groups for name in names})


METHOD_KINDS: Final[Mapping[str, Kind]] = _table()


def classify(method: str) -> Kind:
    """The kind ("read", "write", "admin" or "unknown") of a JSON-RPC method name."""
    # Namespace first, so no table entry can ever downgrade a node-control method; the raw
    # state reads are the one reviewed exception (refused by policy to every other role).
    if method.startswith(ADMIN_NAMESPACES) and method not in RAW_STATE:
        return "admin"
    return METHOD_KINDS.get(method, "unknown")


# --- addresses named by a read ----------------------------------------------------------------

_ADDRESS: Final = re.compile(r"0[xX][0-9a-fA-F]{40}")
_TOPIC_ADDRESS: Final = re.compile(r"0[xX]0{24}([0-9a-fA-F]{40})")
_HEX: Final = re.compile(r"0[xX]((?:[0-9a-fA-F]{2})*)")


def addresses_in_params(method: str, params: object) -> list[str]:
    """Lower-case addresses the params of a read name, in order and without duplicates.

    Tolerant by design: garbage params yield whatever addresses can still be found, and the
    node is left to reject the request.
    """
    if not isinstance(params, list):
        return []
    extractor = _EXTRACTORS.get(method)
    if extractor is None:
        return []
    return list(dict.fromkeys(extractor(params)))


def raw_state_contract(method: str, params: object) -> str | None:
    """The account whose raw state a raw-state read shows, when the params name it."""
    if method not in RAW_STATE or not isinstance(params, list) or not params:
        return None
    first = params[0]
    if isinstance(first, dict):
        first = first.get("to")
    if isinstance(first, str) and _ADDRESS.fullmatch(first):
        return first.lower()
    return None


def _first_param(params: list[Any]) -> Iterator[str]:
    yield from _addresses(params[:1])


def _call_params(params: list[Any]) -> Iterator[str]:
    call = params[0] if params else None
    if isinstance(call, dict):
        yield from _addresses([call.get("from"), call.get("to")])
        for key in ("input", "data"):
            queried = _balance_of(call.get(key))
            if queried is not None:
                yield queried
    # State overrides (eth_call's third param) are keyed by the addresses they rewrite.
    overrides = params[2] if len(params) > 2 else None
    if isinstance(overrides, dict):
        yield from _addresses(list(overrides))


def _filter_params(params: list[Any]) -> Iterator[str]:
    yield from _log_filter(params[0] if params else None)


def _subscribe_params(params: list[Any]) -> Iterator[str]:
    if len(params) > 1 and params[0] == "logs":
        yield from _log_filter(params[1])


def _log_filter(obj: object) -> Iterator[str]:
    if not isinstance(obj, dict):
        return
    address = obj.get("address")
    yield from _addresses(address if isinstance(address, list) else [address])
    topics = obj.get("topics")
    if isinstance(topics, list):
        for topic in topics:
            # Each position is null, one topic, or a list of alternatives.
            for value in topic if isinstance(topic, list) else [topic]:
                found = _topic_address(value)
                if found is not None:
                    yield found


def _addresses(values: list[Any]) -> Iterator[str]:
    for value in values:
        if isinstance(value, str) and _ADDRESS.fullmatch(value):
            yield value.lower()


def _topic_address(value: object) -> str | None:
    """The address in a 32-byte topic whose 12 leading bytes are zero (an indexed address)."""
    if not isinstance(value, str):
        return None
    match = _TOPIC_ADDRESS.fullmatch(value)
    return "0x" + match.group(1).lower() if match else None


def _balance_of(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    match = _HEX.fullmatch(value)
    return decode_balance_of(bytes.fromhex(match.group(1))) if match else None


_EXTRACTORS: Final[Mapping[str, Callable[[list[Any]], Iterator[str]]]] = MappingProxyType(
    {
        "eth_getBalance": _first_param,
        "eth_getCode": _first_param,
        "eth_getTransactionCount": _first_param,
        "eth_getStorageAt": _first_param,
        "eth_getProof": _first_param,
        "eth_call": _call_params,
        "eth_estimateGas": _call_params,
        "eth_createAccessList": _call_params,
        "debug_traceCall": _call_params,
        "trace_call": _call_params,
        "eth_getLogs": _filter_params,
        "eth_newFilter": _filter_params,
        "eth_subscribe": _subscribe_params,
    }
)

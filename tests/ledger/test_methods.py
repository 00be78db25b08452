"""JSON-RPC method classification and the addresses a read's params name."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi.abi import encode as abi_encode
from eth_hash.auto import keccak
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address

from governance.ledger.methods import (
    METHOD_KINDS,
    RAW_STATE,
    addresses_in_params,
    classify,
    raw_state_contract,
)

READS = [
    "eth_chainId",
    "eth_blockNumber",
    "eth_getBalance",
    "eth_getCode",
    "eth_getStorageAt",
    "eth_getTransactionCount",
    "eth_call",
    "eth_estimateGas",
    "eth_gasPrice",
    "eth_maxPriorityFeePerGas",
    "eth_feeHistory",
    "eth_getBlockByNumber",
    "eth_getBlockByHash",
    "eth_getBlockTransactionCountByNumber",
    "eth_getBlockTransactionCountByHash",
    "eth_getTransactionByHash",
    "eth_getTransactionByBlockHashAndIndex",
    "eth_getTransactionByBlockNumberAndIndex",
    "eth_getTransactionReceipt",
    "eth_getBlockReceipts",
    "eth_getLogs",
    "eth_getProof",
    "eth_syncing",
    "eth_accounts",
    "eth_newFilter",
    "eth_newBlockFilter",
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
    "eth_protocolVersion",
    "eth_createAccessList",
]
SIGNING = [
    "eth_sign",
    "eth_signTransaction",
    "eth_signTypedData",
    "eth_signTypedData_v3",
    "eth_signTypedData_v4",
    "personal_sign",
    "personal_sendTransaction",
    "personal_unlockAccount",
]
NAMESPACES = ["anvil_", "evm_", "debug_", "admin_", "personal_", "miner_", "txpool_", "hardhat_"]

A = "0x" + "a1" * 20
B = "0x" + "b2" * 20
C = "0x" + "c3" * 20
BALANCE_OF = function_signature_to_4byte_selector("balanceOf(address)")
TRANSFER_TOPIC = "0x" + keccak(b"Transfer(address,address,uint256)").hex()


def topic(address: str) -> str:
    return "0x" + abi_encode(["address"], [address]).hex()


def test_classify_reads() -> None:
    assert {m: classify(m) for m in READS} == dict.fromkeys(READS, "read")


@pytest.mark.parametrize("method", ["eth_sendRawTransaction", "eth_sendTransaction"])
def test_classify_writes(method: str) -> None:
    assert classify(method) == "write"


@pytest.mark.parametrize("method", SIGNING)
def test_signing_is_admin(method: str) -> None:
    assert classify(method) == "admin"


@pytest.mark.parametrize("namespace", NAMESPACES)
@pytest.mark.parametrize("suffix", ["", "setBalance", "traceBadBlock", "anything_at_all"])
def test_admin_namespaces(namespace: str, suffix: str) -> None:
    assert classify(namespace + suffix) == "admin"


@pytest.mark.parametrize("method", RAW_STATE)
def test_raw_state_reads_are_reads_for_the_policy_to_restrict(method: str) -> None:
    assert classify(method) == "read"


def test_raw_state_contract() -> None:
    contract = "0x" + "ab" * 20
    assert raw_state_contract("eth_getStorageAt", [contract.upper()[2:], "0x0"]) is None
    assert raw_state_contract("eth_getProof", ["0x" + "AB" * 20, [], "latest"]) == contract
    assert raw_state_contract("debug_traceCall", [{"to": contract}, "latest"]) == contract
    assert raw_state_contract("debug_traceTransaction", ["0x" + "11" * 32]) is None
    assert raw_state_contract("eth_call", [{"to": contract}]) is None


@pytest.mark.parametrize(
    "method",
    ["", "eth_", "eth_foo", "ETH_CHAINID", "eth_chainid", "foo_bar", "rpc_modules", "anvil"],
)
def test_unknown(method: str) -> None:
    assert classify(method) == "unknown"


def test_table_holds_only_the_three_kinds_and_is_read_only() -> None:
    assert set(METHOD_KINDS.values()) == {"read", "write", "admin"}
    with pytest.raises(TypeError):
        METHOD_KINDS["eth_foo"] = "read"  # type: ignore[index]


def test_no_admin_namespace_method_in_table_as_non_admin() -> None:
    # The raw-state reads (debug_trace*) are the reviewed exception; policy restricts them.
    for method, kind in METHOD_KINDS.items():
        if method.startswith(tuple(NAMESPACES)) and method not in RAW_STATE:
            assert kind == "admin", method


# --- addresses_in_params ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "method",
    [
        "eth_getBalance",
        "eth_getCode",
        "eth_getTransactionCount",
        "eth_getStorageAt",
        "eth_getProof",
    ],
)
def test_first_param_address(method: str) -> None:
    params = [to_checksum_address(A), "0x0", "latest"]
    assert addresses_in_params(method, params) == [A]


@pytest.mark.parametrize("method", ["eth_call", "eth_estimateGas"])
def test_call_object_from_to_and_balance_of(method: str) -> None:
    data = "0x" + (BALANCE_OF + abi_encode(["address"], [C])).hex()
    call = {"from": to_checksum_address(A), "to": B, "data": data}
    assert addresses_in_params(method, [call, "latest"]) == [A, B, C]
    call = {"to": B, "input": data}
    assert addresses_in_params(method, [call]) == [B, C]


def test_call_with_other_calldata_names_only_from_and_to() -> None:
    transfer = function_signature_to_4byte_selector("transfer(address,uint256)")
    data = "0x" + (transfer + abi_encode(["address", "uint256"], [C, 1])).hex()
    assert addresses_in_params("eth_call", [{"from": A, "to": B, "data": data}]) == [A, B]


def test_call_state_override_keys() -> None:
    params = [{"to": B}, "latest", {to_checksum_address(C): {"balance": "0x1"}}]
    assert addresses_in_params("eth_call", params) == [B, C]


def test_get_logs_address_string_and_list() -> None:
    assert addresses_in_params("eth_getLogs", [{"address": A}]) == [A]
    assert addresses_in_params("eth_getLogs", [{"address": [A, to_checksum_address(B)]}]) == [A, B]


def test_get_logs_address_shaped_topics() -> None:
    filt = {
        "address": C,
        "topics": [TRANSFER_TOPIC, None, [topic(A), topic(B)], "0x" + "ff" * 32],
    }
    assert addresses_in_params("eth_getLogs", [filt]) == [C, A, B]
    assert addresses_in_params("eth_getLogs", [{"topics": [TRANSFER_TOPIC, topic(B)]}]) == [B]


def test_filter_and_subscription_use_the_log_filter() -> None:
    filt = {"address": A, "topics": [None, topic(B)]}
    assert addresses_in_params("eth_newFilter", [filt]) == [A, B]
    assert addresses_in_params("eth_subscribe", ["logs", filt]) == [A, B]
    assert addresses_in_params("eth_subscribe", ["newHeads"]) == []


def test_duplicates_removed_in_order() -> None:
    call = {"from": A, "to": A.upper().replace("0X", "0x")}
    assert addresses_in_params("eth_call", [call]) == [A]


def test_methods_without_addresses() -> None:
    assert addresses_in_params("eth_blockNumber", [A]) == []
    assert addresses_in_params("eth_getTransactionByHash", ["0x" + "11" * 32]) == []
    assert addresses_in_params("eth_sendTransaction", [{"from": A}]) == []


@pytest.mark.parametrize(
    ("method", "params", "expected"),
    [
        ("eth_getBalance", None, []),
        ("eth_getBalance", {"address": A}, []),
        ("eth_getBalance", [], []),
        ("eth_getBalance", [None], []),
        ("eth_getBalance", [123], []),
        ("eth_getBalance", [A[:-1]], []),
        ("eth_getBalance", [A + "00"], []),
        ("eth_getBalance", ["0x" + "zz" * 20], []),
        ("eth_call", [], []),
        ("eth_call", ["not an object"], []),
        ("eth_call", [{"from": 1, "to": B, "data": "0xzz"}], [B]),
        ("eth_call", [{"to": B, "data": "0x" + BALANCE_OF.hex() + "0"}], [B]),
        ("eth_call", [{"to": B, "data": ["nested"]}, "latest", ["not", "a", "dict"]], [B]),
        ("eth_getLogs", [None], []),
        ("eth_getLogs", [{"address": 5, "topics": "x"}], []),
        ("eth_getLogs", [{"address": [A, None, 7], "topics": [[None, 3], {}, topic(B)]}], [A, B]),
        ("eth_getLogs", [{"topics": ["0x" + "00" * 11 + "01" + "aa" * 20]}], []),
        ("eth_subscribe", ["logs"], []),
        ("eth_subscribe", ["logs", [A]], []),
    ],
)
def test_garbage_params_never_raise(method: str, params: Any, expected: list[str]) -> None:
    assert addresses_in_params(method, params) == expected

from __future__ import annotations

from governance.domain.reference import AddressIndex
from governance.ledger.results import (
    TRANSFER_TOPIC,
    ZERO_ADDRESS,
    ZERO_WORD,
    ResultItem,
    blank_item,
    concrete_paths,
    redact,
    result_items,
    scrub,
    withhold,
)

A = "0x" + "aa" * 20
B = "0x" + "bb" * 20
C = "0x" + "cc" * 20  # in the directory, found inside blobs
INDEX = AddressIndex([C])


def topic(address: str) -> str:
    return "0x" + "00" * 12 + address[2:]


def test_items_of_each_result_kind() -> None:
    tx = {"from": A.upper().replace("0X", "0x"), "to": B, "input": "0x12"}
    assert result_items("eth_getTransactionByHash", tx, INDEX)[0].addresses == (A, B)
    assert result_items("eth_getTransactionByHash", None, INDEX) == []
    block = {"miner": C, "transactions": [tx, "0xhash-only"]}
    header, item = result_items("eth_getBlockByNumber", block, INDEX)
    assert (header.kind, header.prefix, header.addresses) == ("header", "", (C,))
    assert item.prefix == "/transactions/0" and item.kind == "transaction"
    log = {"topics": [TRANSFER_TOPIC, topic(A), topic(B)], "data": "0x01"}
    approval = {"topics": ["0x" + "11" * 32, topic(C)], "data": "0x"}
    items = result_items("eth_getLogs", [log, approval], INDEX)
    assert [i.addresses for i in items] == [(), (C,)]  # unknown padded words are not parties
    receipt = {"from": A, "to": None, "logs": [approval]}
    assert result_items("eth_getTransactionReceipt", receipt, INDEX)[0].addresses == (A, C)
    assert result_items("eth_getBalance", "0x10", INDEX) == []
    [opaque] = result_items("eth_call", "0x" + "00" * 12 + C[2:], INDEX)
    assert (opaque.kind, opaque.addresses) == ("result", (C,))


def test_denied_item_is_blanked_with_its_shape() -> None:
    receipts = [
        {
            "from": C,
            "to": B,
            "contractAddress": None,
            "status": "0x1",
            "logs": [{"address": B, "topics": [TRANSFER_TOPIC, topic(C)], "data": "0x05"}],
        },
        {"from": A, "to": B, "status": "0x1", "logs": []},
    ]
    [first, _] = result_items("eth_getBlockReceipts", receipts, INDEX)
    paths = blank_item(receipts, first)
    assert receipts[0]["from"] == ZERO_ADDRESS and receipts[0]["status"] == "0x1"
    assert receipts[0]["logs"][0]["topics"] == [TRANSFER_TOPIC, ZERO_WORD]
    assert "/0/from" in paths and receipts[1]["from"] == A
    assert C[2:] not in repr(receipts)


def test_scrub_zeroes_an_address_wherever_it_sits() -> None:
    result = {"input": "0x1234" + C[2:] + "ff", "nested": [{C: "x"}], "to": C.upper()}
    item = ResultItem("", "transaction", (C,))
    changed = scrub(result, item)
    assert result["input"] == "0x1234" + "0" * 40 + "ff" and result["to"] == ZERO_ADDRESS
    assert result["nested"] == [{ZERO_ADDRESS: "x"}]
    assert sorted(changed) == ["/input", "/nested/0/" + C, "/to"]


def test_concrete_paths_narrow_patterns_to_one_item() -> None:
    patterns = ["/transactions/*/from", "/transactions/*/to", "/other"]
    assert concrete_paths(patterns, "/transactions/3") == [
        "/transactions/3/from",
        "/transactions/3/to",
    ]
    assert concrete_paths(["/*/topics"], "/7") == ["/7/topics"]
    assert concrete_paths(["/from"], "") == ["/from"]
    assert concrete_paths(["/logs/*/data"], "") == ["/logs/*/data"]


def test_redaction_keeps_json_shapes() -> None:
    result = {
        "from": A,
        "to": None,
        "input": "0xabcdef",
        "value": "0x10",
        "hash": "0x" + "cd" * 32,
        "logs": [{"topics": [TRANSFER_TOPIC, topic(A), topic(B)], "data": "0x05"}],
    }
    out, done = redact(
        result, ["/from", "/to", "/input", "/value", "/logs/*/topics", "/logs/*/data", "/absent"]
    )
    assert out["from"] == ZERO_ADDRESS and out["to"] is None
    assert out["input"] == "0x" and out["value"] == "0x0" and out["hash"] == "0x" + "cd" * 32
    assert out["logs"][0]["topics"] == [TRANSFER_TOPIC, ZERO_WORD, ZERO_WORD]
    assert out["logs"][0]["data"] == "0x"
    assert done == ["/from", "/input", "/logs/0/data", "/logs/0/topics", "/to", "/value"]
    assert redact({"a": 1}, []) == ({"a": 1}, [])


def test_withhold_drops_top_level_entries() -> None:
    assert withhold(["a", "b", "c", "d"], ["/1", "/3", "/x"]) == ["a", "c"]

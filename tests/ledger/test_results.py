from __future__ import annotations

from governance.ledger.results import (
    TRANSFER_TOPIC,
    ZERO_ADDRESS,
    ZERO_WORD,
    concrete_paths,
    redact,
    result_items,
    withhold,
)

A = "0x" + "aa" * 20
B = "0x" + "bb" * 20


def topic(address: str) -> str:
    return "0x" + "00" * 12 + address[2:]


def test_items_of_each_result_kind() -> None:
    tx = {"from": A.upper().replace("0X", "0x"), "to": B, "input": "0x12"}
    assert result_items("eth_getTransactionByHash", tx)[0].addresses == (A, B)
    assert result_items("eth_getTransactionByHash", None) == []
    block = {"transactions": [tx, "0xhash-only"]}
    [item] = result_items("eth_getBlockByNumber", block)
    assert item.prefix == "/transactions/0" and item.kind == "transaction"
    log = {"topics": [TRANSFER_TOPIC, topic(A), topic(B)], "data": "0x01"}
    other = {"topics": ["0x" + "11" * 32, topic(A)], "data": "0x"}
    items = result_items("eth_getLogs", [log, other])
    assert [i.addresses for i in items] == [(A, B), ()]
    receipt = {"from": A, "to": None, "logs": [log]}
    assert result_items("eth_getTransactionReceipt", receipt)[0].addresses == (A, B)
    assert result_items("eth_getBalance", "0x10") == []


def test_concrete_paths_narrow_patterns_to_one_item() -> None:
    patterns = ["/transactions/*/from", "/transactions/*/to", "/other"]
    assert concrete_paths(patterns, "/transactions/3") == ["/transactions/3/from",
                                                           "/transactions/3/to"]
    assert concrete_paths(["/*/topics"], "/7") == ["/7/topics"]
    assert concrete_paths(["/from"], "") == ["/from"]
    assert concrete_paths(["/logs/*/data"], "") == ["/logs/*/data"]


def test_redaction_keeps_json_shapes() -> None:
    result = {"from": A, "to": None, "input": "0xabcdef", "value": "0x10", "hash": "0x" + "cd" * 32,
              "logs": [{"topics": [TRANSFER_TOPIC, topic(A), topic(B)], "data": "0x05"}]}
    out, done = redact(result, ["/from", "/to", "/input", "/value", "/logs/*/topics",
                                "/logs/*/data", "/absent"])
    assert out["from"] == ZERO_ADDRESS and out["to"] is None
    assert out["input"] == "0x" and out["value"] == "0x0" and out["hash"] == "0x" + "cd" * 32
    assert out["logs"][0]["topics"] == [TRANSFER_TOPIC, ZERO_WORD, ZERO_WORD]
    assert out["logs"][0]["data"] == "0x"
    assert done == ["/from", "/input", "/logs/0/data", "/logs/0/topics", "/to", "/value"]
    assert redact({"a": 1}, []) == ({"a": 1}, [])


def test_withhold_drops_top_level_entries() -> None:
    assert withhold(["a", "b", "c", "d"], ["/1", "/3", "/x"]) == ["a", "c"]

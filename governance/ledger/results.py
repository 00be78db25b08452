"""What an EVM read result reveals about data subjects, and how to blank parts of it while
keeping the JSON-RPC shape valid for web3.py and ethers.

An *item* is one unit of a result that concerns its own parties: a transaction, a receipt, a
log. Each item has a JSON pointer prefix inside the result ("" for the whole result)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
ZERO_ADDRESS = "0x" + "00" * 20
ZERO_WORD = "0x" + "00" * 32


@dataclass(frozen=True)
class ResultItem:
    prefix: str  # JSON pointer of the item inside the result
    kind: str  # transaction | receipt | log
    addresses: tuple[str, ...]  # lower-case addresses of the data subjects


def result_items(method: str, result: Any) -> list[ResultItem]:
    """The items of a result, for the methods whose answer reveals parties."""
    if method in (
        "eth_getTransactionByHash",
        "eth_getTransactionByBlockHashAndIndex",
        "eth_getTransactionByBlockNumberAndIndex",
    ):
        return [_tx_item("", result)] if isinstance(result, dict) else []
    if method == "eth_getTransactionReceipt":
        return [_receipt_item("", result)] if isinstance(result, dict) else []
    if method == "eth_getBlockReceipts":
        return [_receipt_item(f"/{i}", r) for i, r in _objects(result)]
    if method in ("eth_getBlockByNumber", "eth_getBlockByHash"):
        txs = result.get("transactions") if isinstance(result, dict) else None
        return [_tx_item(f"/transactions/{i}", t) for i, t in _objects(txs)]
    if method in ("eth_getLogs", "eth_getFilterLogs", "eth_getFilterChanges"):
        return [_log_item(f"/{i}", log) for i, log in _objects(result)]
    if method == "eth_subscription":  # a pushed log of a `logs` subscription
        return [_log_item("", result)] if isinstance(result, dict) and "topics" in result else []
    return []


def _objects(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict):
                yield i, item


def _tx_item(prefix: str, tx: dict[str, Any]) -> ResultItem:
    return ResultItem(prefix, "transaction", _addresses([tx.get("from"), tx.get("to")]))


def _receipt_item(prefix: str, receipt: dict[str, Any]) -> ResultItem:
    found = [receipt.get("from"), receipt.get("to")]
    for _, log in _objects(receipt.get("logs")):
        found.extend(transfer_parties(log))
    return ResultItem(prefix, "receipt", _addresses(found))


def _log_item(prefix: str, log: dict[str, Any]) -> ResultItem:
    return ResultItem(prefix, "log", _addresses(transfer_parties(log)))


def transfer_parties(log: dict[str, Any]) -> list[str]:
    """Holders named by an ERC-20/721 Transfer event (topics 1 and 2)."""
    topics = log.get("topics")
    if not isinstance(topics, list) or len(topics) < 3 or topics[0] != TRANSFER_TOPIC:
        return []
    return [_topic_address(t) for t in topics[1:3] if _topic_address(t)]


def _topic_address(topic: Any) -> str:
    if isinstance(topic, str) and len(topic) == 66 and topic[2:26] == "0" * 24:
        return "0x" + topic[26:].lower()
    return ""


def _addresses(values: Iterable[Any]) -> tuple[str, ...]:
    out: list[str] = []
    for v in values:
        if isinstance(v, str) and len(v) == 42 and v.startswith("0x") and v.lower() not in out:
            out.append(v.lower())
    return tuple(out)


# ---- redaction ---------------------------------------------------------------------------


def concrete_paths(patterns: Iterable[str], prefix: str) -> list[str]:
    """Policy paths are patterns over the whole result (`/transactions/*/from`); for one item
    at `prefix` (`/transactions/3`) they become paths inside that item only."""
    item = _segments(prefix)
    out: list[str] = []
    for pattern in patterns:
        segs = _segments(pattern)
        if len(segs) < len(item) or not all(
            p in ("*", s) for p, s in zip(segs, item, strict=False)
        ):
            continue
        out.append("/" + "/".join(item + segs[len(item) :]) if item or segs else "")
    return out


def redact(result: Any, paths: Iterable[str]) -> tuple[Any, list[str]]:
    """Replaces each path by a neutral value of the same JSON shape (an address by the zero
    address, calldata by "0x", a value by "0x0", event topics after the signature by zero
    words) and returns the result with the concrete paths blanked. Works in place: the result
    was parsed from the node's answer for this request alone, and copying a large result
    would cost more than the filtering itself."""
    paths = list(paths)
    if not paths:
        return result, []
    out = result
    done: list[str] = []
    for path in paths:
        out = _replace(out, _segments(path), "", done)
    return out, sorted(set(done))


def _replace(node: Any, segs: list[str], at: str, done: list[str]) -> Any:
    if not segs:
        done.append(at)
        return neutral(at.rsplit("/", 1)[-1], node)
    head, rest = segs[0], segs[1:]
    if isinstance(node, dict):
        keys = list(node) if head == "*" else [head] if head in node else []
        for k in keys:
            node[k] = _replace(node[k], rest, f"{at}/{k}", done)
    elif isinstance(node, list):
        idx = range(len(node)) if head == "*" else [int(head)] if head.isdigit() else []
        for i in idx:
            if i < len(node):
                node[i] = _replace(node[i], rest, f"{at}/{i}", done)
    return node


def neutral(field: str, value: Any) -> Any:
    if value is None:
        return None
    if field in ("from", "to", "address", "contractAddress", "creates"):
        return ZERO_ADDRESS
    if field in ("input", "data"):
        return "0x"
    if field == "value":
        return "0x0"
    if field == "topics" and isinstance(value, list):
        return value[:1] + [ZERO_WORD] * (len(value) - 1)  # topic 0 is the event, not a person
    if isinstance(value, str) and value.startswith("0x"):
        return ZERO_WORD if len(value) == 66 else "0x"
    return None


def withhold(result: list[Any], prefixes: Iterable[str]) -> list[Any]:
    """Drops top-level list entries (logs) at the given prefixes."""
    drop = {int(p.strip("/")) for p in prefixes if p.strip("/").isdigit()}
    return [item for i, item in enumerate(result) if i not in drop]


def _segments(pointer: str) -> list[str]:
    return list(_parsed(pointer))


@functools.lru_cache(maxsize=4096)
def _parsed(pointer: str) -> tuple[str, ...]:
    # Patterns and item prefixes repeat across the items of one large answer.
    if not pointer:
        return ()
    return tuple(s.replace("~1", "/").replace("~0", "~") for s in pointer.split("/")[1:])

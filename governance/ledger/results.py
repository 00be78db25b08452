"""What an EVM read result reveals about data subjects, and how to blank parts of it while
keeping the JSON-RPC shape valid for web3.py and ethers.

An *item* is one unit of a result that concerns its own parties: a transaction, a receipt, a
log. Each item has a JSON pointer prefix inside the result ("" for the whole result)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from governance.domain.reference import AddressIndex
from governance.ledger.scan import SKIPPED_FIELDS, Scanner

TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
ZERO_ADDRESS = "0x" + "00" * 20
ZERO_WORD = "0x" + "00" * 32


class ResultItem(NamedTuple):  # a tuple: a large answer makes one per log or transaction
    prefix: str  # JSON pointer of the item inside the result
    kind: str  # transaction | receipt | log | header | result
    addresses: tuple[str, ...]  # lower-case addresses found in the item (ledger/scan.py)


_SINGLE_TX = (
    "eth_getTransactionByHash",
    "eth_getTransactionByBlockHashAndIndex",
    "eth_getTransactionByBlockNumberAndIndex",
)
_LOG_LISTS = ("eth_getLogs", "eth_getFilterLogs", "eth_getFilterChanges")
_HEADERS = (
    "eth_getUncleByBlockNumberAndIndex",
    "eth_getUncleByBlockHashAndIndex",
)


def result_items(method: str, result: Any, index: AddressIndex) -> list[ResultItem]:
    """The items of a result with the addresses each carries. Known shapes are split into
    their items; any other result is one opaque item if it carries an address at all."""
    if result is None:
        return []
    return _split(method, result, Scanner(index))


def _split(method: str, result: Any, scanner: Scanner) -> list[ResultItem]:
    if method in _SINGLE_TX:
        return [_item("", "transaction", result, scanner)] if isinstance(result, dict) else []
    if method == "eth_getTransactionReceipt":
        return [_item("", "receipt", result, scanner)] if isinstance(result, dict) else []
    if method == "eth_getBlockReceipts":
        return [_item(f"/{i}", "receipt", r, scanner) for i, r in _objects(result)]
    if method in ("eth_getBlockByNumber", "eth_getBlockByHash"):
        return _block_items("", result, scanner)
    if method in _HEADERS:
        return _block_items("", result, scanner)
    if method in _LOG_LISTS:
        return [_item(f"/{i}", "log", log, scanner) for i, log in _objects(result)]
    if method == "eth_subscription":
        return _pushed_items(result, scanner)
    return _opaque("", result, scanner)


def _block_items(prefix: str, block: Any, scanner: Scanner) -> list[ResultItem]:
    if not isinstance(block, dict):
        return _opaque(prefix, block, scanner)
    header = {k: v for k, v in block.items() if k != "transactions"}
    items = _opaque(prefix, header, scanner, kind="header")
    txs = block.get("transactions")
    items.extend(
        _item(f"{prefix}/transactions/{i}", "transaction", t, scanner) for i, t in _objects(txs)
    )
    return items


def _pushed_items(result: Any, scanner: Scanner) -> list[ResultItem]:
    """A subscription push: a log, a pending transaction (full object) or a block header."""
    if not isinstance(result, dict):
        return _opaque("", result, scanner)
    if "topics" in result:
        return [_item("", "log", result, scanner)]
    if "parentHash" in result:
        return _opaque("", result, scanner, kind="header")
    if "input" in result or "from" in result:
        return [_item("", "transaction", result, scanner)]
    return _opaque("", result, scanner)


def _item(prefix: str, kind: str, value: Any, scanner: Scanner) -> ResultItem:
    return ResultItem(prefix, kind, scanner.scan(value))


def _opaque(prefix: str, value: Any, scanner: Scanner, kind: str = "result") -> list[ResultItem]:
    found = scanner.scan(value)
    return [ResultItem(prefix, kind, found)] if found else []


def _objects(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict):
                yield i, item


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


# ---- items that must show none of their parties --------------------------------------------

# Members that name or describe the parties of a transaction, receipt or log.
_PERSONAL = ("from", "to", "input", "data", "value", "topics")


def blank_item(result: Any, item: ResultItem) -> list[str]:
    """Blanks a denied item in place, shape kept: its personal members become neutral values
    and every address found in it is zeroed wherever else it still sits. Returns the paths."""
    node = node_at(result, item.prefix)
    if not isinstance(node, dict):
        return []
    done: list[str] = []
    for field in _PERSONAL:
        if field in node and item.kind != "header":
            node[field] = neutral(field, node[field])
            done.append(f"{item.prefix}/{field}")
    for i, log in enumerate(node.get("logs") or []):
        if isinstance(log, dict):
            for field in ("topics", "data"):
                if field in log:
                    log[field] = neutral(field, log[field])
                    done.append(f"{item.prefix}/logs/{i}/{field}")
    done.extend(scrub(result, item))
    return done


def scrub(result: Any, item: ResultItem) -> list[str]:
    """Zeroes each of the item's addresses wherever it still sits inside the item (any field,
    any offset), keeping every string's length. Returns the paths it changed."""
    if not item.addresses:
        return []
    targets = tuple(a[2:] for a in item.addresses)
    node = node_at(result, item.prefix)
    skip = ("transactions",) if item.kind == "header" else ()
    done: list[str] = []
    _scrub(node, targets, item.prefix, skip, done)
    return done


_ZEROS = "0" * 40


def _scrub(
    node: Any, targets: tuple[str, ...], at: str, skip: tuple[str, ...], done: list[str]
) -> None:
    # Paths are built only where something changes: most members of an item hold none of
    # its addresses.
    if isinstance(node, dict):
        for key in list(node):
            if key in skip or key in SKIPPED_FIELDS:  # hashes cannot hold an address
                continue
            value = node[key]
            if isinstance(value, str):
                if len(value) >= 42 and (scrubbed := _scrubbed(value, targets)) is not None:
                    node[key] = scrubbed
                    done.append(f"{at}/{key}")
            elif isinstance(value, (dict, list)):
                _scrub(value, targets, f"{at}/{key}", (), done)
            if len(key) == 42 and key.lower()[2:] in targets:  # an address used as a key
                node["0x" + _ZEROS] = node.pop(key)
                done.append(f"{at}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, str):
                if len(value) >= 42 and (scrubbed := _scrubbed(value, targets)) is not None:
                    node[i] = scrubbed
                    done.append(f"{at}/{i}")
            elif isinstance(value, (dict, list)):
                _scrub(value, targets, f"{at}/{i}", (), done)


def _scrubbed(value: str, targets: tuple[str, ...]) -> str | None:
    """`value` with every target zeroed, or None when it holds none."""
    lowered = value.lower()
    hits = [t for t in targets if t in lowered]
    if not hits:
        return None
    for t in hits:
        lowered = lowered.replace(t, _ZEROS)
    return lowered


def node_at(result: Any, pointer: str) -> Any:
    node = result
    for seg in _segments(pointer):
        if isinstance(node, dict):
            node = node.get(seg)
        elif isinstance(node, list) and seg.isdigit() and int(seg) < len(node):
            node = node[int(seg)]
        else:
            return None
    return node

"""Write simulation: runs a write on the node at the pending state before the decision and lists
every value movement it makes (native transfers at any depth, ERC-20/721/1155 transfers) and
every approval it grants. Two node methods are supported: `eth_simulateV1` with
`traceTransfers` (native transfers come back as Transfer logs of a pseudo-address) and
`debug_traceCall` with the `callTracer` and its logs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from eth_hash.auto import keccak

from governance.domain.ports import LedgerNode
from governance.errors import LedgerUnavailable
from governance.ledger.evm import WriteFacts


def _topic(signature: str) -> str:
    return "0x" + keccak(signature.encode()).hex()


TRANSFER = _topic("Transfer(address,address,uint256)")
APPROVAL = _topic("Approval(address,address,uint256)")
APPROVAL_FOR_ALL = _topic("ApprovalForAll(address,address,bool)")
TRANSFER_SINGLE = _topic("TransferSingle(address,address,address,uint256,uint256)")
TRANSFER_BATCH = _topic("TransferBatch(address,address,address,uint256[],uint256[])")
# eth_simulateV1 with traceTransfers reports ether moves as Transfer logs of this address.
NATIVE_PSEUDO = "0x" + "ee" * 20
ERROR_STRING = "0x08c379a0"  # Error(string)


@dataclass(frozen=True)
class Movement:
    kind: str  # native | erc20 | erc721 | erc1155
    contract: str | None  # None for the ledger's native asset
    sender: str
    recipient: str
    value: int  # raw units (1 for an ERC-721 token)
    token_id: int | None
    depth: int


@dataclass(frozen=True)
class Approval:
    kind: str  # erc20 | erc721 | erc721_all | erc1155_all
    contract: str
    owner: str
    spender: str
    amount: int | None  # None for operator approvals
    approved: bool


@dataclass(frozen=True)
class Simulation:
    mode: str  # simulate_v1 | trace_call | off
    status: str  # ok | unavailable | reverted | off
    reason: str | None = None
    movements: tuple[Movement, ...] = ()
    approvals: tuple[Approval, ...] = ()
    touched: tuple[str, ...] = ()  # contracts the write ran code in or that emitted logs


OFF = Simulation(mode="off", status="off")


class Simulator:
    """Simulates writes on one ledger's node. `auto` is resolved once by `probe()`."""

    def __init__(self, node: LedgerNode, mode: str, timeout_s: float) -> None:
        self.node = node
        self.mode = mode
        self.timeout_s = timeout_s

    async def probe(self) -> str:
        """Resolves `auto` to the first method the node answers, or `off` if none. Raises
        LedgerUnavailable when the node cannot be reached (then `auto` stays unresolved)."""
        if self.mode == "auto":
            self.mode = "off"
            for mode in ("simulate_v1", "trace_call"):
                call = {"from": NATIVE_PSEUDO, "to": NATIVE_PSEUDO, "value": "0x0"}
                try:
                    doc = await self.node.call(_request(mode, call))
                except LedgerUnavailable:
                    self.mode = "auto"  # node down: probe again on the next write
                    raise
                if "result" in doc:
                    self.mode = mode
                    break
        return self.mode

    async def simulate(self, write: WriteFacts) -> Simulation:
        """Raises LedgerUnavailable when the node is unreachable (not a decision); every other
        failure is a Simulation with status `unavailable` and the reason."""
        mode = await self.probe() if self.mode == "auto" else self.mode
        if mode == "off":
            return OFF
        call = {"from": write.sender, "value": hex(write.value), "data": "0x" + write.data.hex()}
        if write.to is not None:
            call["to"] = write.to
        try:
            doc = await asyncio.wait_for(self.node.call(_request(mode, call)), self.timeout_s)
        except TimeoutError:
            return Simulation(mode, "unavailable", f"simulation timed out after {self.timeout_s}s")
        if not isinstance(doc, dict) or "error" in doc:
            error = doc.get("error") if isinstance(doc, dict) else None
            message = error.get("message") if isinstance(error, dict) else error
            return Simulation(mode, "unavailable", f"node refused {_METHOD[mode]}: {message}")
        try:
            if mode == "simulate_v1":
                return from_simulate_v1(doc["result"], write.sender, write.to)
            return from_call_trace(doc["result"])
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            return Simulation(mode, "unavailable", f"malformed {_METHOD[mode]} answer: {exc!r}")


_METHOD = {"simulate_v1": "eth_simulateV1", "trace_call": "debug_traceCall"}


def _request(mode: str, call: dict[str, Any]) -> dict[str, Any]:
    if mode == "simulate_v1":
        params: list[Any] = [
            {"blockStateCalls": [{"calls": [call]}], "traceTransfers": True, "validation": False},
            "pending",
        ]
    else:
        params = [call, "pending", {"tracer": "callTracer", "tracerConfig": {"withLog": True}}]
    return {"jsonrpc": "2.0", "id": 1, "method": _METHOD[mode], "params": params}


def from_simulate_v1(result: Any, sender: str, to: str | None) -> Simulation:
    """Effects from an eth_simulateV1 answer for one call. It does not report call depth: a
    movement is depth 0 when the top-level call itself makes it (ether from the sender to `to`,
    or a token transfer from the sender emitted by `to`), otherwise depth 1."""
    call = result[0]["calls"][0]
    if int(call["status"], 16) != 1:
        message = (call.get("error") or {}).get("message")
        return Simulation("simulate_v1", "reverted", revert_reason(call.get("returnData"), message))
    sender, top = sender.lower(), (to or "").lower()
    movements: list[Movement] = []
    approvals: list[Approval] = []
    touched: list[str] = []  # log emitters: the answer does not say which accounts ran code
    for log in call.get("logs") or []:
        address = log["address"].lower()
        if address != NATIVE_PSEUDO and address not in touched:
            touched.append(address)
        for item in decode_log(log, 0):
            if isinstance(item, Approval):
                approvals.append(item)
                continue
            first = item.sender == sender and (
                (item.kind == "native" and item.recipient == top) or item.contract == top
            )
            movements.append(_at_depth(item, 0 if first else 1))
    return Simulation("simulate_v1", "ok", None, tuple(movements), tuple(approvals), tuple(touched))


def from_call_trace(trace: Any) -> Simulation:
    """Effects from a debug_traceCall callTracer answer (withLog): depth is exact."""
    if trace.get("error"):
        reason = trace.get("revertReason") or revert_reason(trace.get("output"), trace["error"])
        return Simulation("trace_call", "reverted", reason)
    movements: list[Movement] = []
    approvals: list[Approval] = []
    touched: list[str] = []
    for frame, depth in _frames(trace, 0):
        target = (frame.get("to") or "").lower()
        if frame.get("input", "0x") not in ("", "0x") and target and target not in touched:
            touched.append(target)
        value = int(frame.get("value") or "0x0", 16)
        if value and frame.get("type") != "DELEGATECALL":
            movements.append(
                Movement("native", None, frame["from"].lower(), target, value, None, depth)
            )
        for log in frame.get("logs") or []:
            address = log["address"].lower()
            if address not in touched:
                touched.append(address)
            for item in decode_log(log, depth):
                (approvals if isinstance(item, Approval) else movements).append(item)  # type: ignore[arg-type]
    return Simulation("trace_call", "ok", None, tuple(movements), tuple(approvals), tuple(touched))


def _frames(frame: dict[str, Any], depth: int) -> Iterator[tuple[dict[str, Any], int]]:
    """Frames in execution order; a frame that reverted (caught by its caller) moved nothing."""
    if depth and frame.get("error"):
        return
    yield frame, depth
    for child in frame.get("calls") or []:
        yield from _frames(child, depth + 1)


def decode_log(log: dict[str, Any], depth: int) -> list[Movement | Approval]:
    """The movements or the approval one log records; [] for any other event."""
    topics = [t.lower() for t in log.get("topics") or []]
    if not topics:
        return []
    contract = log["address"].lower()
    words = _words(log.get("data") or "0x")
    head = topics[0]
    if head == TRANSFER and len(topics) == 3 and len(words) == 1:
        native = contract == NATIVE_PSEUDO
        kind, asset = ("native", None) if native else ("erc20", contract)
        return [Movement(kind, asset, _addr(topics[1]), _addr(topics[2]), words[0], None, depth)]
    if head == TRANSFER and len(topics) == 4:
        token_id = int(topics[3], 16)
        return [
            Movement("erc721", contract, _addr(topics[1]), _addr(topics[2]), 1, token_id, depth)
        ]
    if head == TRANSFER_SINGLE and len(topics) == 4 and len(words) == 2:
        sender, recipient = _addr(topics[2]), _addr(topics[3])
        return [Movement("erc1155", contract, sender, recipient, words[1], words[0], depth)]
    if head == TRANSFER_BATCH and len(topics) == 4:
        sender, recipient = _addr(topics[2]), _addr(topics[3])
        ids, values = _batch(words)
        return [
            Movement("erc1155", contract, sender, recipient, v, i, depth)
            for i, v in zip(ids, values, strict=True)
        ]
    if head == APPROVAL and len(topics) == 3 and len(words) == 1:
        owner, spender = _addr(topics[1]), _addr(topics[2])
        return [Approval("erc20", contract, owner, spender, words[0], words[0] != 0)]
    if head == APPROVAL and len(topics) == 4:
        owner, spender = _addr(topics[1]), _addr(topics[2])
        return [Approval("erc721", contract, owner, spender, 1, int(spender, 16) != 0)]
    if head == APPROVAL_FOR_ALL and len(topics) == 3 and len(words) == 1:
        # ERC-721 and ERC-1155 share the event; the kind is refined by the asset lookup.
        owner, operator = _addr(topics[1]), _addr(topics[2])
        return [Approval("erc721_all", contract, owner, operator, None, words[0] != 0)]
    return []


def _at_depth(m: Movement, depth: int) -> Movement:
    return Movement(m.kind, m.contract, m.sender, m.recipient, m.value, m.token_id, depth)


def _addr(topic: str) -> str:
    return "0x" + topic[-40:]


def _words(data: str) -> list[int]:
    raw = data[2:] if data.startswith("0x") else data
    if len(raw) % 64:
        raise ValueError("log data is not a sequence of 32-byte words")
    return [int(raw[i : i + 64], 16) for i in range(0, len(raw), 64)]


def _batch(words: list[int]) -> tuple[list[int], list[int]]:
    """(ids, values) from the ABI encoding of two dynamic uint256 arrays."""

    def array(offset: int) -> list[int]:
        start = offset // 32
        return words[start + 1 : start + 1 + words[start]]

    ids, values = array(words[0]), array(words[1])
    if len(ids) != len(values):
        raise ValueError("TransferBatch ids and values differ in length")
    return ids, values


def revert_reason(output: Any, fallback: str | None) -> str:
    """The Error(string) message of revert data, else the node's message."""
    if isinstance(output, str) and output.startswith(ERROR_STRING) and len(output) >= 138:
        raw = bytes.fromhex(output[10:])
        length = int.from_bytes(raw[32:64], "big")
        return raw[64 : 64 + length].decode("utf-8", "replace")
    return fallback or "execution reverted"

"""governance/worker_balance.py: workers publish the connections they hold in shared memory,
and a worker above its share closes one connection at a time, after its answer."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest

from governance.worker_balance import PAUSE_S, PUBLISH_INTERVAL_S, ConnectionCounts, Rebalancing


@pytest.mark.parametrize(
    ("others", "held", "over"),
    [
        ([0], 1, False),  # one connection in all: a worker may hold it
        ([0], 2, True),
        ([8], 8, False),
        ([7], 9, True),  # 16 over 2 is 8 each
        ([8], 9, False),  # 17: a share of 9
        ([5, 5], 7, True),  # 17 over 3: 6 each
        ([6, 5], 6, False),
    ],
)
def test_a_share_is_all_connections_over_the_workers_rounded_up(
    others: list[int], held: int, over: bool
) -> None:
    counts = ConnectionCounts(len(others) + 1)
    for worker, count in enumerate(others, start=1):
        counts.publish(worker, count)
    counts.publish(0, 99)  # stale: the worker's own count is the one it holds now
    assert counts.over_share(0, held) is over


def test_counts_are_shared_with_forked_workers() -> None:
    counts = ConnectionCounts(2)
    pid = os.fork()
    if pid == 0:
        counts.publish(1, 12)
        os._exit(0)
    os.waitpid(pid, 0)
    assert counts.over_share(0, 1) is False and counts.over_share(0, 8) is False
    assert counts.over_share(0, 0) is False and counts.over_share(1, 12) is True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def answered(app: Rebalancing, kind: str = "http") -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": kind, "path": "/rpc"}, receive, send)
    return sent


async def ok(scope: Any, receive: Any, send: Any) -> None:
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"{}"})


def closes(sent: list[dict[str, Any]]) -> bool:
    return (b"connection", b"close") in sent[0]["headers"]


def balanced(held: int, other: int) -> tuple[Rebalancing, ConnectionCounts, Clock]:
    counts, clock = ConnectionCounts(2), Clock()
    counts.publish(1, other)
    app = Rebalancing(ok, counts, 0, clock=clock)
    app.watch(range(held))
    return app, counts, clock


def test_a_worker_over_its_share_closes_one_connection_per_pause() -> None:
    app, _, clock = balanced(held=11, other=5)
    assert closes(asyncio.run(answered(app)))
    assert not closes(asyncio.run(answered(app)))  # within the pause: the next one stays open
    clock.now += PAUSE_S * 1.5
    assert closes(asyncio.run(answered(app)))


def test_a_worker_within_its_share_keeps_its_connections() -> None:
    app, counts, _ = balanced(held=8, other=8)
    sent = asyncio.run(answered(app))
    assert not closes(sent) and sent[0]["headers"] == [(b"content-type", b"application/json")]
    # Its 8 were published with its answer: 9 more are within a share of 17 (not of 9).
    assert counts.over_share(1, 9) is False


def test_websocket_sessions_are_never_closed_by_a_header() -> None:
    seen: list[str] = []

    async def session(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])
        await send({"type": "websocket.accept"})

    counts = ConnectionCounts(2)
    app = Rebalancing(session, counts, 0)
    app.watch(range(16))
    assert asyncio.run(answered(app, "websocket")) == [{"type": "websocket.accept"}]
    assert seen == ["websocket"]


def test_an_idle_worker_publishes_its_count_from_start_up() -> None:
    """Without a request to answer, its count still reaches the others (every 0.1 s)."""
    counts = ConnectionCounts(2)
    held: list[int] = []

    async def lifespan(scope: Any, receive: Any, send: Any) -> None:
        return None

    async def run() -> None:
        app = Rebalancing(lifespan, counts, 1)
        app.watch(held)
        await app({"type": "lifespan"}, None, None)  # type: ignore[arg-type]
        held.extend(range(6))
        await asyncio.sleep(PUBLISH_INTERVAL_S * 2.5)

    asyncio.run(run())
    assert counts.over_share(0, 4) is False and counts.over_share(0, 0) is False
    assert counts.over_share(1, 6) is True  # 6 of 6 over 2 workers: a share is 3

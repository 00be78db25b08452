"""Keeps a multi-worker gateway's keep-alive connections spread evenly over its workers.

Clients hold their connections open (web3.py, ethers, a load balancer's pool), so a worker is
as busy as the connections it accepted. On one shared socket the worker that wakes first
accepts a whole burst: 16 connections opened at once were seen split 15 and 1, and the
second worker then added almost nothing. Each worker now listens on a socket of its own
(SO_REUSEPORT, `governance/workers.py`), over which the kernel hashes new connections, which
still splits 16 as 11 and 5 now and then. So every worker publishes how many connections it
holds in memory the workers share, and a worker that holds more than its share (all the
workers' connections over their number, rounded up) answers one request with
`Connection: close`; the client opens a new connection, which the kernel places again. One
connection per worker per pause at most, so a moving load does not make clients reconnect in
a storm."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sized

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from governance.tasks import Periodic

PUBLISH_INTERVAL_S = 0.1  # an idle worker's count still reaches the others this often
PAUSE_S = 0.05  # between two connections one worker closes


class ConnectionCounts:
    """The connections each worker holds, in shared memory made before the workers fork."""

    def __init__(self, workers: int) -> None:
        self._slots = multiprocessing.RawArray("i", workers)

    def publish(self, worker: int, held: int) -> None:
        self._slots[worker] = held

    def over_share(self, worker: int, held: int) -> bool:
        """Whether `held` connections are more than worker `worker`'s share of all of them."""
        total = sum(self._slots) - self._slots[worker] + held
        share = -(-total // len(self._slots))
        return bool(held > share)


class Rebalancing:
    """ASGI middleware of one worker: closes one of its HTTP connections, after the answer,
    when it holds more than its share. WebSocket sessions count, but are left open."""

    def __init__(
        self,
        app: ASGIApp,
        counts: ConnectionCounts,
        worker: int,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.counts = counts
        self.worker = worker
        self.clock = clock
        self.connections: Sized = ()  # the server's open connections (`watch`)
        self._last_close = float("-inf")
        # an idle worker's count still reaches the others (ended with the worker's loop)
        self._publishing = Periodic(PUBLISH_INTERVAL_S, self._publish)

    def watch(self, connections: Sized) -> None:
        """Counts `connections`, the collection the server keeps its open connections in."""
        self.connections = connections

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            self._publishing.start()
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start" and self.close_one():
                headers = [*message.get("headers", ()), (b"connection", b"close")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, answer)

    def close_one(self) -> bool:
        """Whether the connection answered now should close (and this worker's count, published)."""
        held = len(self.connections)
        self.counts.publish(self.worker, held)
        now = self.clock()
        if now - self._last_close < PAUSE_S or not self.counts.over_share(self.worker, held):
            return False
        self._last_close = now
        return True

    async def _publish(self) -> None:
        self.counts.publish(self.worker, len(self.connections))

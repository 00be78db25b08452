"""A small closed-loop HTTP load generator (aiohttp, N concurrent keep-alive connections).
Runs in its own process so it does not share the event loop of what it measures."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import asdict, dataclass

import aiohttp

from tests.perf.cpu import tree_cpu_s


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    error_samples: list[str]  # the first few failed answers (status and body head), to say why
    # CPU seconds of each metered process tree while the measured requests ran, and the load
    # generator's own as "load generator"; none where /proc could not tell
    cpu_s: dict[str, float]


async def run_load(
    url: str,
    bodies: list[bytes],
    headers: list[dict[str, str]],
    concurrency: int,
    duration_s: float,
    max_requests: int | None,
    meter: dict[str, int] | None = None,
) -> LoadResult:
    """Posts bodies[i] with headers[i % len(headers)]: distinct callers per body let the
    gateway's per-subject serialisation of writes show up as it would in production."""
    latencies: list[float] = []
    errors = 0
    samples: list[str] = []
    next_index = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    hdrs = [{"Content-Type": "application/json", **h} for h in headers or [{}]]

    async def worker(session: aiohttp.ClientSession, stop_at: float) -> None:
        nonlocal next_index, errors
        while time.perf_counter() < stop_at:
            if max_requests is not None and next_index >= max_requests:
                return
            i = next_index
            next_index += 1
            started = time.perf_counter()
            async with session.post(
                url, data=bodies[i % len(bodies)], headers=hdrs[i % len(hdrs)]
            ) as resp:
                payload = await resp.read()
            latencies.append(time.perf_counter() - started)
            if resp.status != 200 or b'"error"' in payload:
                errors += 1
                if len(samples) < 3:
                    samples.append(f"HTTP {resp.status}: {payload[:200].decode(errors='replace')}")

    async with aiohttp.ClientSession(connector=connector) as session:
        if max_requests is None:  # bodies that can be sent once (signed txs) get no warm-up
            warm_until = time.perf_counter() + min(1.0, duration_s / 5)
            await asyncio.gather(*(worker(session, warm_until) for _ in range(concurrency)))
        latencies.clear()
        errors = 0
        before = _cpu(meter or {})
        started = time.perf_counter()
        await asyncio.gather(*(worker(session, started + duration_s) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        after = _cpu(meter or {})
    latencies.sort()
    n = len(latencies)
    return LoadResult(
        requests=n,
        errors=errors,
        seconds=elapsed,
        rps=n / elapsed if elapsed else 0.0,
        p50_ms=latencies[n // 2] * 1000 if n else 0.0,
        p99_ms=latencies[min(n - 1, int(n * 0.99))] * 1000 if n else 0.0,
        mean_ms=sum(latencies) / n * 1000 if n else 0.0,
        error_samples=samples,
        cpu_s={name: after[name] - before[name] for name in after if name in before},
    )


def _cpu(meter: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of each metered process tree and of this process."""
    out = {"load generator": time.process_time()}
    for name, pid in meter.items():
        seconds = tree_cpu_s(pid)
        if seconds is not None:
            out[name] = seconds
    return out


def main() -> None:
    spec = json.load(sys.stdin)
    bodies = [b.encode() for b in spec["bodies"]]
    result = asyncio.run(
        run_load(
            spec["url"],
            bodies,
            spec.get("headers", [{}]),
            spec["concurrency"],
            spec["duration_s"],
            spec.get("max_requests"),
            spec.get("meter"),
        )
    )
    print(json.dumps(asdict(result)))


if __name__ == "__main__":
    main()

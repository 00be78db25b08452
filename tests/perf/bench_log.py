"""Decision-log benchmark (not a timed test): for SQLite and PostgreSQL it measures

- durable appends through the gateway's group commit (DecisionLog: concurrent writers, each
  awaiting its own commit; SQLite with synchronous=FULL, PostgreSQL with fsync on),
- bulk appends (append_batch in large batches) used to grow the log to each size,
- inclusion proof, consistency proof and root latency at each size (10^5 and 10^6 by
  default), with the number of stored nodes and SQL statements each proof reads.

Run: scripts/bench-log  (or: .venv/bin/python -m tests.perf.bench_log --sizes 100000,1000000
--backends sqlite,postgresql). Targets: >= 10,000 appends/s with group commit on SQLite; an
inclusion proof < 5 ms at 10^6 records.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event

from governance.audit import merkle
from governance.audit.factory import open_stores
from governance.audit.log import DecisionLog
from governance.audit.sqlstore import SqlLog
from governance.domain.records import DecisionRecord, new_ulid
from governance.policy.inputs import NO_AGGREGATES, NO_EFFECTS
from tests.audit.conftest import PgCluster, start_cluster

SAMPLE = json.loads((Path(__file__).parent / "sample_input.json").read_text())
# A read as the gateway decides it (governance/policy/inputs.py): eth_getBalance of the sample
# sender, no write sections; its record is 1.5 KB of canonical JSON against the mixed 5 KB.
READ = SAMPLE | {
    "request": SAMPLE["request"] | {"kind": "read", "method": "eth_getBalance"},
    "tx": None,
    "parties": {},
    "travel_rule": None,
    "screening": None,
    "aggregates": NO_AGGREGATES,
    "read": {
        "params": [SAMPLE["tx"]["from"], "latest"],
        "parties": [SAMPLE["parties"]["sender"]],
        "residency": ["US"],
        "raw_state": False,
        "contract": None,
    },
    **NO_EFFECTS,
}
BASE_MS = 1_767_225_600_000


@dataclass(frozen=True)
class Row:
    backend: str
    what: str
    value: str
    detail: str = ""


def record(i: int, reads: bool = False) -> DecisionRecord:
    """A realistic record, 5 KB of canonical JSON: a write with the sample input for odd `i`, a
    read record carrying the same input for even `i`; with `reads`, a gateway's read (1.5 KB)."""
    write = i % 2 == 1 and not reads
    if reads:
        policy_input = READ
    else:
        policy_input = {**SAMPLE, "tx": {**SAMPLE["tx"], "nonce": i}} if write else SAMPLE
    reason = {"code": "LIMIT_EXCEEDED", "jurisdiction": "US", "regulation": "bench"}
    reasons = [] if i % 5 else [reason | {"message": "over the daily limit"}]
    obligations = {"redact": [], "report": [], "require_travel_rule": False}
    return DecisionRecord(
        id=new_ulid(BASE_MS + i),
        time=f"2026-01-01T00:00:00.{i % 1_000_000:06d}Z",
        ledger="main",
        method="eth_sendRawTransaction" if write else "eth_getBalance",
        kind="write" if write else "read",
        subject=SAMPLE["subject"] | {"sub": f"user{i % 97}"},
        input=policy_input,
        result={
            "allow": not reasons,
            "reasons": reasons,
            "jurisdictions": ["US", "DE", "eu"],
            "obligations": obligations,
        },
        outcome="deny" if reasons else "allow",
        revision="bench-revision",
        latency_us=250,
        amount_usd=1500.0 if write else 0.0,
        cross_border=write,
    )


# ---- group commit --------------------------------------------------------------------------


def group_commit(backend: str, url: str, count: int, writers: int) -> Row:
    store, quota = open_stores(url)  # as the gateway opens them: appends write the spend rows
    batches: list[int] = []
    append = store.append_batch

    def counting(records: Any, unsure: Any = ()) -> list[int]:
        batches.append(len(records))
        return append(records, unsure)

    store.append_batch = counting  # type: ignore[method-assign]
    records = [record(i) for i in range(count)]
    elapsed = asyncio.run(_drive(DecisionLog(store), records, writers))
    quota.close()
    rate = count / elapsed
    detail = (
        f"{count:,} durable writes, {writers} concurrent writers, "
        f"{len(batches)} commits (mean batch {statistics.mean(batches):.0f})"
    )
    return Row(backend, "group commit appends", f"{rate:,.0f} records/s", detail)


async def _drive(log: DecisionLog, records: list[DecisionRecord], writers: int) -> float:
    log.start()

    async def writer(part: list[DecisionRecord]) -> None:
        for rec in part:
            await log.record(rec, durable=True)  # returns once its batch is committed

    started = time.perf_counter()
    await asyncio.gather(*(writer(records[w::writers]) for w in range(writers)))
    elapsed = time.perf_counter() - started
    await log.close()
    return elapsed


# ---- fill and proofs -----------------------------------------------------------------------


def fill(store: SqlLog, start: int, end: int, batch: int, reads: bool = False) -> float:
    """Appends records start..end-1 in large batches; returns records/s."""
    started = time.perf_counter()
    for first in range(start, end, batch):
        store.append_batch([record(i, reads) for i in range(first, min(end, first + batch))])
    return (end - start) / (time.perf_counter() - started)


@contextmanager
def counting_statements(store: SqlLog) -> Iterator[list[str]]:
    seen: list[str] = []

    def hook(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", hook)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", hook)


def latencies(fn: Callable[[int], object], args: list[int]) -> list[float]:
    out = []
    for arg in args:
        started = time.perf_counter()
        fn(arg)
        out.append((time.perf_counter() - started) * 1000)
    return out


def describe(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered):.2f} ms, p99 {p99:.2f} ms"


def proof_rows(backend: str, store: SqlLog, size: int, count: int) -> list[Row]:
    rng = random.Random(size)
    indices = [rng.randrange(size) for _ in range(count)]
    root = store.root(size)
    for index in indices[:20]:  # the proofs served are correct ones
        leaf = store.nodes([(0, index)])[(0, index)]
        merkle.verify_inclusion(leaf, index, size, store.inclusion_proof(index, size), root)
    with counting_statements(store) as statements:
        store.inclusion_proof(indices[0], size)
    nodes = [len(merkle.inclusion_plan(i, size).nodes) for i in indices]
    inclusion = latencies(lambda i: store.inclusion_proof(i, size), indices)
    firsts = [rng.randrange(1, size) for _ in range(count // 4)]
    consistency = latencies(lambda m: store.consistency_proof(m, size), firsts)
    roots = latencies(lambda _: store.root(size), list(range(count // 4)))
    reads = f"{min(nodes)}-{max(nodes)} nodes in {len(statements)} query"
    return [
        Row(backend, f"inclusion proof @ {size:,}", describe(inclusion), reads),
        Row(backend, f"consistency proof @ {size:,}", describe(consistency)),
        Row(backend, f"root @ {size:,}", describe(roots), f"{bin(size).count('1')} nodes"),
    ]


def run_backend(backend: str, url: str, gc_url: str, args: argparse.Namespace) -> list[Row]:
    rows = [group_commit(backend, gc_url, args.group_commit, args.writers)]
    print_table(rows[-1:])
    store = SqlLog(url)
    try:
        size = 0
        for target in args.sizes:
            rate = fill(store, size, target, args.batch, args.records == "reads")
            batches = f"append_batch of {args.batch:,}, {args.records} records"
            rows.append(
                Row(backend, f"bulk append to {target:,}", f"{rate:,.0f} records/s", batches)
            )
            size = target
            rows += proof_rows(backend, store, size, args.proofs)
            print_table(rows[-4:])
    finally:
        store.close()
    return rows


# ---- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--sizes", default="100000,1000000", help="log sizes to measure proofs at")
    parser.add_argument("--group-commit", type=int, default=50_000, help="durable writes timed")
    parser.add_argument("--writers", type=int, default=1000, help="concurrent writers")
    parser.add_argument("--batch", type=int, default=20_000, help="bulk append batch size")
    parser.add_argument("--proofs", type=int, default=2000, help="proofs timed per size")
    parser.add_argument(
        "--records",
        choices=("mixed", "reads"),
        default="mixed",
        help="records the log is grown with: half writes (5.7 KB each on disk, 57 GB at 10^7), "
        "or reads (2.3 KB each, 23 GB at 10^7)",
    )
    args = parser.parse_args()
    args.sizes = sorted(int(s) for s in args.sizes.split(","))
    work = Path(tempfile.mkdtemp(prefix="governance-bench-log-"))
    rows: list[Row] = []
    cluster: PgCluster | None = None
    try:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                urls = [f"sqlite:///{work / name}" for name in ("log.db", "gc.db")]
            elif backend == "postgresql":
                cluster = start_cluster(fsync=True)  # durable commits, as in production
                urls = [cluster.database("bench"), cluster.database("gc")]
            else:
                raise SystemExit(f"unknown backend {backend!r}")
            rows += run_backend(backend, urls[0], urls[1], args)
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    print_table(rows, header=True)


def print_table(rows: list[Row], header: bool = False) -> None:
    if header:
        print(f"\n{'backend':<11} {'measure':<30} {'value':<28} detail")
    for row in rows:
        print(f"{row.backend:<11} {row.what:<30} {row.value:<28} {row.detail}", flush=True)


if __name__ == "__main__":
    main()

"""Gateway benchmark (not a timed test): starts anvil, a bare pass-through on the same stack and
the gateway, loads each in the same run at concurrency 16, and prints req/s, p50 and p99 with
ratios against the pass-through measured in this run. Also measures engine evaluation.

Run: scripts/bench  (or: .venv/bin/python -m tests.perf.bench --seconds 10)
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account

from governance.api.auth import mint_token
from tests.conftest import ROOT, free_port, start_anvil
from tests.perf import bench_effects

SECRET = "bench-secret-0123456789abcdef0123"
PY = sys.executable


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--writes", type=int, default=6000, help="signed transactions prepared")
    parser.add_argument(
        "--policies",
        type=Path,
        default=ROOT / "policies",
        help="policy tree to measure (default: the shipped one)",
    )
    parser.add_argument(
        "--engines-only",
        action="store_true",
        help="only the per-decision timings of the embedded engines",
    )
    parser.add_argument("--regopy", action="store_true", help="time regopy too (slow)")
    parser.add_argument(
        "--growth",
        action="store_true",
        help="how decision cost grows with entities, sanctions and jurisdictions "
        "(tests/perf/growth.py; its options after --)",
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="instructions per decision under callgrind (tests/perf/instructions.py; "
        "its options after --)",
    )
    parser.add_argument(
        "--rvm",
        action="store_true",
        help="regorus's compiled mode against its interpreter: speed and agreement "
        "(tests/perf/rvm.py; its options after --)",
    )
    parser.add_argument(
        "--rules",
        action="store_true",
        help="CPU time of the main rules of one decision (tests/perf/rules.py; its options "
        "after --)",
    )
    args, rest = parser.parse_known_args()
    chosen = next(
        (name for name in ("growth", "instructions", "rules", "rvm") if getattr(args, name)), None
    )
    if chosen is not None:  # another benchmark, its options after --
        sys.argv = [sys.argv[0], *[a for a in rest if a != "--"]]
        importlib.import_module(f"tests.perf.{chosen}").main()
        return
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    engines = ("regorus", "opa", "regopy") if args.regopy else ("regorus", "opa")
    if args.engines_only:
        _print_engines(_engine_timings(args.policies, engines))
        return
    work = Path(tempfile.mkdtemp(prefix="governance-bench-"))
    procs: list[subprocess.Popen[bytes]] = []
    # A block a second, as a chain does: on a node that never mines, the pool grew by every
    # write measured and each simulation at the pending state re-ran all of it (writes were
    # half as fast, and slowed as the run went on).
    node = start_anvil("--block-time", "1")
    try:
        policies, keys = _bench_policies(work, args.policies)
        for key in keys:
            node.rpc("anvil_setBalance", [Account.from_key(key).address, hex(10**24)])
        contracts = bench_effects.prepare(node, keys)
        bare = _serve_passthrough(procs, node.url)
        gateway = _serve_gateway(procs, work, policies, node.url)
        one = _serve_gateway(procs, work, policies, node.url, workers=1)
        pids = Pids(node.process.pid, procs[0].pid, procs[1].pid, procs[2].pid)
        rows = _measure(args, node.url, bare, gateway, keys, contracts, one, procs[-1], pids)
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
        node.stop()
        shutil.rmtree(work, ignore_errors=True)
    # With the node and the gateways stopped: a node mining a block a second, and gateways
    # reconciling each block, would share the CPU with the engines timed here.
    _print(rows, _engine_timings(args.policies, engines))


def _bench_policies(work: Path, tree: Path) -> tuple[Path, list[str]]:
    """The policy tree plus 16 fresh sending addresses owned by the benchmark's org."""
    target = work / "policies"
    shutil.copytree(tree, target)
    entities_file = target / "data" / "entities.json"
    entities = json.loads(entities_file.read_text())
    keys = [Account.create().key.hex() for _ in range(16)]
    for key in keys:
        entities[Account.from_key(key).address.lower()] = {
            "org": "acme-us",
            "jurisdiction": "US",
            "entity_kind": "institution",
            "kyc": "verified",
            "self_hosted": False,
        }
    entities_file.write_text(json.dumps(entities, indent=1))
    return target, keys


def _serve_passthrough(procs: list[subprocess.Popen[bytes]], node: str) -> str:
    port = free_port()
    argv = [PY, "-m", "tests.perf.passthrough", node, str(port)]
    procs.append(subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL))
    url = f"http://127.0.0.1:{port}"
    _wait(url)
    return url


def _serve_gateway(
    procs: list[subprocess.Popen[bytes]],
    work: Path,
    policies: Path,
    node: str,
    workers: int | None = None,
) -> str:
    """`governance serve` with `workers` worker processes (default: one per core), each
    count on a log of its own."""
    port = free_port()
    name = "bench" if workers is None else f"bench-{workers}"
    count = [] if workers is None else ["--workers", str(workers)]
    env = dict(
        os.environ,
        GOVERNANCE_JWT_SECRET=SECRET,
        GOVERNANCE_POLICY_PATH=str(policies),
        GOVERNANCE_DATABASE_URL=f"sqlite:///{work / name}.db",
        GOVERNANCE_LEDGER_URL=node,
        GOVERNANCE_SIGNING_KEY_FILE=str(work / f"{name}.key"),
    )
    proc = subprocess.Popen(
        [
            PY,
            "-m",
            "governance.cli",
            "serve",
            "--port",
            str(port),
            "--log-level",
            "warning",
            *count,
        ],
        cwd=ROOT,
        env=env,
    )
    procs.append(proc)
    url = f"http://127.0.0.1:{port}"
    _wait(url + "/healthz", get=True)
    return url + "/rpc"


def _wait(url: str, get: bool = False) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if get:
                httpx.get(url, timeout=1)
            else:
                httpx.post(
                    url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}, timeout=1
                )
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


def _load(
    url: str,
    bodies: list[str],
    headers: list[dict[str, str]],
    args: argparse.Namespace,
    max_requests: int | None = None,
    meter: dict[str, int] | None = None,
) -> dict[str, Any]:
    """`meter`: process trees (name -> pid) whose CPU time the row reports."""
    spec = {
        "url": url,
        "bodies": bodies,
        "headers": headers,
        "concurrency": args.concurrency,
        "duration_s": args.seconds,
        "max_requests": max_requests,
        "meter": meter or {},
    }
    out = subprocess.run(
        [PY, "-m", "tests.perf.loadgen"],
        input=json.dumps(spec).encode(),
        capture_output=True,
        cwd=ROOT,
        check=True,
    )
    return dict(json.loads(out.stdout))


@dataclass(frozen=True)
class Pids:
    """The processes whose CPU each row reports: the node and the server it loads."""

    node: int
    bare: int
    gateway: int
    one_worker: int

    def meter(self, server: int | None) -> dict[str, int]:
        return {"node": self.node} | ({} if server is None else {"server": server})


def _measure(
    args: argparse.Namespace,
    node: str,
    bare: str,
    gateway: str,
    keys: list[str],
    contracts: dict[str, str],
    one_worker: str,
    one_worker_process: subprocess.Popen[bytes],
    pids: Pids,
) -> list[tuple[str, dict[str, Any]]]:
    balance = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "eth_getBalance",
            "params": ["0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", "latest"],
        }
    )
    tokens = [
        {
            "Authorization": "Bearer "
            + mint_token(
                SECRET, sub=f"bench-{i}", org="acme-us", jurisdiction="US", roles=["trader"]
            )
        }
        for i in range(len(keys))
    ]
    on_node = pids.meter(None)
    on_bare, on_gateway, on_one = (
        pids.meter(p) for p in (pids.bare, pids.gateway, pids.one_worker)
    )
    distinct = _distinct_reads(20_000)
    rows = [
        ("node direct, eth_getBalance", _load(node, [balance], [{}], args, meter=on_node)),
        ("bare pass-through, eth_getBalance", _load(bare, [balance], [{}], args, meter=on_bare)),
        ("gateway read, eth_getBalance", _load(gateway, [balance], tokens, args, meter=on_gateway)),
        # Every body names another address, none in the directory: they share one decision
        # by profile (an unknown party), not by address.
        (
            "gateway read, distinct addresses",
            _load(gateway, distinct, tokens, args, meter=on_gateway),
        ),
        (
            "gateway read, distinct addresses, 1 worker",
            _load(one_worker, distinct, tokens, args, meter=on_one),
        ),
    ]
    # The one-worker gateway has its own log, so it would reconcile every block of the writes
    # below against it, finding none of them decided, on the cores the writes are measured on.
    one_worker_process.terminate()
    one_worker_process.wait(10)
    # The node's own write rate bounds the gateway's: measure it on other senders.
    direct_keys = [Account.create().key.hex() for _ in range(len(keys))]
    for key in direct_keys:
        httpx.post(
            node,
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": "anvil_setBalance",
                "params": [Account.from_key(key).address, hex(10**24)],
            },
        )
    direct = _signed_writes(direct_keys, args.writes)
    rows.append(
        (
            "node direct, eth_sendRawTransaction",
            _load(node, direct, [{}], args, max_requests=len(direct), meter=on_node),
        )
    )
    writes = _signed_writes(keys, args.writes)
    rows.append(
        (
            "gateway write, eth_sendRawTransaction",
            _load(gateway, writes, tokens, args, max_requests=len(writes), meter=on_gateway),
        )
    )
    first_nonce = -(-len(writes) // len(keys))
    load = functools.partial(_load, meter=on_gateway)
    rows += bench_effects.measure(args, gateway, keys, tokens, contracts, first_nonce, load)
    return rows


def _distinct_reads(count: int) -> list[str]:
    return [
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "eth_getBalance",
                "params": ["0x" + os.urandom(20).hex(), "latest"],
            }
        )
        for _ in range(count)
    ]


def _signed_writes(keys: list[str], count: int) -> list[str]:
    """Ether transfers; transfers from key i go with token i (bodies and headers cycle)."""
    return bench_effects.signed(keys, count, 0, bench_effects.direct_transfer)


def _engine_timings(policies: Path, engines: tuple[str, ...]) -> dict[str, tuple[float, float]]:
    """(p50, p99) in microseconds of one decision of the sample write, per engine, on the
    same tree and input in the same run: as the gateway decides it (`decide_sync`: the
    input's validation memoised by its shape, where the engine can) and as one evaluation of
    the whole decision rule, under "<engine> (whole rule)"."""
    from governance.policy.engine import EmbeddedEngine, decide_sync
    from governance.policy.source import DECISION_RULE, load_policy_source

    source = load_policy_source(policies)
    sample = json.loads((ROOT / "tests" / "perf" / "sample_input.json").read_text())
    doc = json.dumps(sample)
    out = {}
    for name in engines:
        snapshot = EmbeddedEngine(name, source).snapshot()
        evaluator = snapshot.evaluator
        assert evaluator is not None
        out[name] = _timed(functools.partial(decide_sync, snapshot, sample))
        out[f"{name} (whole rule)"] = _timed(
            functools.partial(evaluator.eval_json, DECISION_RULE, doc)
        )
    return out


def _timed(decide: Any) -> tuple[float, float]:
    decide()  # warm-up: the first call compiles (and learns the input's shape)
    times: list[float] = []
    deadline = time.perf_counter() + 5.0
    while len(times) < 2000 and time.perf_counter() < deadline:
        started = time.perf_counter()
        decide()
        times.append(time.perf_counter() - started)
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    return statistics.median(times) * 1e6, p99 * 1e6


def _print_engines(engines: dict[str, tuple[float, float]]) -> None:
    for name, (p50, p99) in engines.items():
        print(f"engine {name}: p50 {p50:.0f} us, p99 {p99:.0f} us per decision")
    for name in engines:
        if name != "regorus" and "regorus" in engines and "(" not in name:
            ratio = engines[name][0] / engines["regorus"][0]
            print(f"{name} / regorus (p50): {ratio:.1f}x")


def _print_cpu(rows: list[tuple[str, dict[str, Any]]]) -> None:
    """CPU per request of each process, and the cores the row kept busy: on a full machine
    the ratios above are those of the sums, whatever the server alone would do."""
    parts = ("server", "node", "load generator")
    heads = "".join(f"{h:>9}" for h in ("server", "node", "loadgen", "all"))
    print(f"\n{'CPU per request, us':<40}{heads} {'cores':>6}")
    for name, r in rows:
        cpu, done = r.get("cpu_s", {}), r["requests"]
        if not done or "node" not in cpu:
            print(f"{name:<40} {'not measured (no /proc)':>30}")
            continue
        cells = [f"{cpu[p] / done * 1e6:>9.0f}" if p in cpu else f"{'-':>9}" for p in parts]
        spent = sum(cpu.get(p, 0.0) for p in parts)
        busy = spent / r["seconds"] if r["seconds"] else 0.0
        print(f"{name:<40}{''.join(cells)}{spent / done * 1e6:>9.0f} {busy:>6.2f}")


def _answered(r: dict[str, Any]) -> float:
    """Requests per second that got an answer, not a refusal (a refusal is cheaper)."""
    return float(r["requests"] - r["errors"]) / r["seconds"] if r["seconds"] else 0.0


def _print(rows: list[tuple[str, dict[str, Any]]], engines: dict[str, tuple[float, float]]) -> None:
    base = dict(rows)["bare pass-through, eth_getBalance"]
    print(f"\n{'target':<40} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs bare':>8}")
    for name, r in rows:
        ratio = r["rps"] / base["rps"] if base["rps"] else 0.0
        print(
            f"{name:<40} {r['rps']:>9.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} "
            f"{r['errors']:>7} {ratio:>7.2f}x"
        )
        for sample in r.get("error_samples", [])[:1]:  # why they failed: a rate is not a count
            print(f"    first error: {sample}")
    _print_cpu(rows)
    read = dict(rows)["gateway read, eth_getBalance"]
    distinct = dict(rows)["gateway read, distinct addresses"]
    write = dict(rows)["gateway write, eth_sendRawTransaction"]
    print(
        f"\nadded p50 over bare pass-through (read): {read['p50_ms'] - base['p50_ms']:.2f} ms "
        "(target <= 0.5 ms)"
    )
    print(
        f"p99 (read), gateway / bare pass-through: {read['p99_ms'] / base['p99_ms']:.2f}x "
        "(target <= 2x)"
    )
    print(
        f"gateway read / bare pass-through: {read['rps'] / base['rps']:.2f}x (target >= 0.8x); "
        f"distinct addresses {distinct['rps'] / base['rps']:.2f}x (target >= 0.7x)"
    )
    one = dict(rows)["gateway read, distinct addresses, 1 worker"]
    print(
        f"reads answered, {os.cpu_count()} workers / 1 worker: "
        f"{_answered(distinct) / _answered(one):.2f}x (target >= 1.7x from 1 to 2)"
    )
    print(f"signed writes with recovery + committed log: {write['rps']:.0f} tx/s (target >= 1,000)")
    for name, r in rows:
        if "sim_share" not in r:
            continue
        share = (
            "simulation not measured (the simulations /metrics counted differ from the writes)"
            if r["sim_share"] is None
            else f"simulation {r['sim_ms']:.2f} ms of a mean {r['mean_ms']:.2f} ms write"
            f" ({r['sim_share']:.0%})"
        )
        print(f"{name}: {r['rps']:.0f} tx/s, {share}")
    _print_engines(engines)


if __name__ == "__main__":
    main()

"""How decision cost grows (not a timed test): CPU time per decision of the default engine
(regorus) on the shipped policies, with the entity directory, the sanctions list and the number
of jurisdictions a write involves grown in turn, and the read-decision cache on reads of
distinct addresses. CPU time of the deciding thread (time.thread_time), so other load on the
machine changes the figures less than wall-clock time would.

Run: scripts/bench --growth  (or: .venv/bin/python -m tests.perf.growth --runs 300)
The figures read before each write against the writing person's spend rows: --spend.
The log's append rate and proof latency by size: scripts/bench-log; read-filter cost against
result size: scripts/bench-reads --logs N.
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from governance.audit.factory import open_stores
from governance.domain.periods import utc_text
from governance.domain.reference import Reference
from governance.policy.engine import EmbeddedEngine, _decided, decide_sync
from governance.policy.source import DECISION_RULE, load_policy_source
from tests.conftest import ROOT

SAMPLE: dict[str, Any] = json.loads((ROOT / "tests" / "perf" / "sample_input.json").read_text())
SDN_ROW = (
    '{n},"LISTED PARTY {n}","-0- ","CYBER2","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ",'
    '"Digital Currency Address - ETH 0x{n:040x}."\n'
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--entities", default="1000,100000,1000000")
    parser.add_argument("--sanctions", default="100,10000,100000")
    parser.add_argument("--spend", default="1000,100000,1000000", help="one person's spend rows")
    args = parser.parse_args()
    print(
        f"{'what grows':42} {'size':>9} {'load s':>8} {'p50 us':>8} {'p99 us':>8} {'whole p50':>9}"
    )
    for n in _sizes(args.entities):
        _row("entity directory (addresses)", n, _tree(entities=n), _write(), args.runs)
    for n in _sizes(args.sanctions):
        _row("sanctions list (listed addresses)", n, _tree(sanctions=n), _write(), args.runs)
    shipped = _tree()
    for count, doc in _by_jurisdictions():
        _row("jurisdictions a write involves", count, shipped, doc, args.runs)
    _row("read, distinct addresses, no cache", 1, shipped, _read(0), args.runs)
    _cached(shipped, args.runs)
    _spend_rows(_sizes(args.spend), args.runs)


def _sizes(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def _tree(entities: int = 0, sanctions: int = 0) -> Path:
    """A copy of the shipped tree with `entities` more directory entries and `sanctions`
    more listed addresses (synthetic, none of them a party of the measured inputs)."""
    target = Path(tempfile.mkdtemp(prefix="governance-growth-")) / "policies"
    shutil.copytree(ROOT / "policies", target)
    if entities:
        path = target / "data" / "entities.json"
        doc = json.loads(path.read_text())
        profile = {"name": "synthetic", "org": "acme-us", "jurisdiction": "US"}
        profile |= {"entity_kind": "institution", "kyc": "verified", "self_hosted": False}
        for n in range(entities):
            doc[f"0x{n + 2**100:040x}"] = {**profile, "licences": []}
        path.write_bytes(orjson.dumps(doc))
    if sanctions:
        with (target / "data" / "sdn.csv").open("a") as out:
            out.writelines(SDN_ROW.format(n=10**9 + n) for n in range(sanctions))
    return target


def _write(recipient_jurisdiction: str = "DE") -> dict[str, Any]:
    doc = copy.deepcopy(SAMPLE)
    for side in (doc["parties"]["recipient"], doc["effects"][0]["to"]):
        side["jurisdiction"] = recipient_jurisdiction
    doc["tx"]["cross_border"] = recipient_jurisdiction != "US"
    return doc


def _by_jurisdictions() -> list[tuple[int, dict[str, Any]]]:
    """US -> US (US), US -> JP (US, JP), US -> DE (US, DE and the EU)."""
    return [(1, _write("US")), (2, _write("JP")), (3, _write("DE"))]


def _read(n: int) -> dict[str, Any]:
    doc = copy.deepcopy(SAMPLE)
    doc["request"].update(method="eth_getBalance", kind="read")
    address = f"0x{n + 2**120:040x}"
    party = {"address": address, "org": None, "jurisdiction": "CN", "entity_kind": "individual"}
    party |= {"kyc": "verified", "sanctioned": False, "self_hosted": False, "known": True}
    party |= {"licences": [], "clients_abroad_only": False}
    read = {"params": [address, "latest"], "parties": [party], "residency": ["CN"]}
    doc.update(tx=None, parties={}, simulation=None, effects=[], approvals=[], contracts=[])
    doc.update(screening=None, travel_rule=None)
    doc.update(read={**read, "raw_state": False, "contract": None})
    return doc


def _row(what: str, size: int, tree: Path, doc: dict[str, Any], runs: int) -> None:
    """Load time, then CPU p50 and p99 of one decision as the gateway takes it (the input's
    validation memoised by shape, no read cache) and of the whole rule evaluated."""
    started = time.perf_counter()
    snapshot = EmbeddedEngine("regorus", load_policy_source(tree)).snapshot()
    evaluator = snapshot.evaluator
    assert evaluator is not None
    text = orjson.dumps(doc).decode()
    first = evaluator.eval_json(DECISION_RULE, text)  # the first analyses the modules
    _assert_valid(what, first)
    load = time.perf_counter() - started
    _decided(snapshot, doc)  # learns the input's shape
    p50, p99 = _cpu(lambda: _decided(snapshot, doc), runs)
    whole, _ = _cpu(lambda: evaluator.eval_json(DECISION_RULE, text), runs)
    print(f"{what:42} {size:>9,} {load:>8.2f} {p50:>8.0f} {p99:>8.0f} {whole:>8.0f}")


def _cached(tree: Path, runs: int) -> None:
    snapshot = EmbeddedEngine("regorus", load_policy_source(tree)).snapshot()
    docs = iter([_read(n) for n in range(runs + 1)])
    decide_sync(snapshot, next(docs))
    p50, p99 = _cpu(lambda: decide_sync(snapshot, next(docs)), runs)
    print(f"{'read, distinct addresses, cache hit':42} {1:>9,} {'':>8} {p50:>8.0f} {p99:>8.0f}")


def _spend_rows(sizes: list[int], runs: int) -> None:
    """The figures read before every write (`aggregates`) against the person's spend rows in
    the last year: one a minute back from the moment, nine jurisdictions' calendars."""
    work = Path(tempfile.mkdtemp(prefix="governance-growth-"))
    log, quota = open_stores(f"sqlite:///{work / 'log.db'}")
    zones = Reference.from_data(load_policy_source(ROOT / "policies").data).time_zones
    moment, have = datetime(2026, 12, 3, 12, 7, 30, tzinfo=UTC), 0
    try:
        for n in sizes:
            spends = [
                (
                    f"d{i:025d}",
                    "treasury",
                    utc_text(moment - timedelta(minutes=i)),
                    10.0,
                    i % 2 == 0,
                )
                for i in range(have, n)
            ]
            with quota.engine.begin() as conn:
                quota.insert_spends(conn, [(*x, False) for x in spends])
            have = n
            quota.totals("treasury", moment, zones)
            p50, p99 = _cpu(lambda: quota.totals("treasury", moment, zones), runs)
            print(
                f"{'spend rows of the writing person':42} {n:>9,} {'':>8} {p50:>8.0f} {p99:>8.0f}"
            )
    finally:
        quota.close()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


def _cpu(call: Callable[[], Any], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.thread_time_ns()
        call()
        times.append(time.thread_time_ns() - started)
    times.sort()
    return times[len(times) // 2] / 1000, times[min(len(times) - 1, runs * 99 // 100)] / 1000


def _assert_valid(what: str, decision: dict[str, Any]) -> None:
    """A benchmark input the policy refuses as malformed would time the refusal."""
    invalid = [r["message"] for r in decision["reasons"] if r["code"] == "INPUT_INVALID"]
    if invalid:
        raise SystemExit(f"{what}: the benchmark input is invalid: {invalid[0]}")


if __name__ == "__main__":
    main()

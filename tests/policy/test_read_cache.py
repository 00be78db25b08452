"""Read decisions are cached per policy snapshot; writes never are."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

from governance.policy.check import check_policies
from governance.policy.engine import EmbeddedEngine, decide_sync, read_cache_key
from governance.policy.source import load_policy_source
from tests.conftest import ROOT

SAMPLE = json.loads((ROOT / "tests" / "perf" / "sample_input.json").read_text())


def read_input(address: str, request_id: str = "01A", at: str = "2026-11-26T12:00:00Z") -> Any:
    doc = copy.deepcopy(SAMPLE)
    doc["request"].update(id=request_id, received_at=at, method="eth_getBalance", kind="read")
    read = {"params": [address, "latest"], "parties": [], "residency": []}
    doc.update(tx=None, parties={}, read={**read, "raw_state": False, "contract": None})
    doc.update(simulation=None, effects=[], approvals=[], contracts=[])
    return doc


class CountingEvaluator:
    def __init__(self, inner: Any) -> None:
        self.inner, self.calls = inner, 0

    def eval_json(self, rule: str, input_json: str) -> Any:
        self.calls += 1
        return self.inner.eval_json(rule, input_json)


def test_identical_reads_share_one_evaluation_and_writes_never_do() -> None:
    engine = EmbeddedEngine("regorus", load_policy_source(ROOT / "policies"))
    snapshot = engine.snapshot()
    counter = CountingEvaluator(snapshot.evaluator)
    object.__setattr__(snapshot, "evaluator", counter)
    a = decide_sync(snapshot, read_input("0x" + "11" * 20, "01A", "2026-11-26T12:00:00Z"))
    b = decide_sync(snapshot, read_input("0x" + "11" * 20, "01B", "2026-11-26T12:00:09Z"))
    assert a == b and counter.calls == 1  # id and arrival time are not part of the key
    decide_sync(snapshot, read_input("0x" + "22" * 20))
    assert counter.calls == 2  # other params: evaluated
    later = read_input("0x" + "11" * 20)
    later["request"]["day"] = "2026-11-27"
    decide_sync(snapshot, later)
    assert counter.calls == 3  # another day: evaluated (transfer bases expire by day)
    for _ in range(2):
        decide_sync(snapshot, copy.deepcopy(SAMPLE))
    assert counter.calls == 5 and read_cache_key(SAMPLE) is None
    fresh = engine.compile(load_policy_source(ROOT / "policies"))
    assert fresh.read_cache == {}  # a new revision starts cold


def test_check_refuses_policies_that_read_volatile_fields(tmp_path: Path) -> None:
    tree = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", tree)
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    extra = tree / "lib" / "clock.rego"
    extra.write_text(
        "package governance.lib.clock\n\nimport rego.v1\n\n"
        'late if data.governance.lib.ctx.doc.request.received_at > "2026"\n'
    )
    problems = check_policies(tree)
    assert any(p.file.endswith("clock.rego") and "arrival time" in p.message for p in problems)

"""Read decisions are cached per policy snapshot; writes never are."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

from governance.domain.models import Decision
from governance.domain.snapshot import Memo
from governance.policy.check import check_policies
from governance.policy.engine import EmbeddedEngine, _evaluate, decide_sync, read_cache_key
from governance.policy.source import load_policy_source
from tests.conftest import ROOT

SAMPLE = json.loads((ROOT / "tests" / "perf" / "sample_input.json").read_text())


def party(address: str, jurisdiction: str = "CN", kind: str = "individual") -> dict[str, Any]:
    return {
        "address": address,
        "org": None,
        "jurisdiction": jurisdiction,
        "entity_kind": kind,
        "kyc": "verified",
        "sanctioned": False,
        "self_hosted": False,
        "known": True,
    }


def read_input(
    address: str,
    request_id: str = "01A",
    at: str = "2026-11-26T12:00:00Z",
    parties: list[dict[str, Any]] | None = None,
) -> Any:
    doc = copy.deepcopy(SAMPLE)
    doc["request"].update(id=request_id, received_at=at, method="eth_getBalance", kind="read")
    parties = parties or []
    residency = sorted({p["jurisdiction"] for p in parties})
    read = {"params": [address, "latest"], "parties": parties, "residency": residency}
    doc.update(tx=None, parties={}, read={**read, "raw_state": False, "contract": None})
    doc.update(simulation=None, effects=[], approvals=[], contracts=[])
    return doc


class CountingEvaluator:
    validates_by_shape = False  # every decision is one eval_json

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
    decide_sync(snapshot, read_input("0x" + "22" * 20, parties=[party("0x" + "22" * 20)]))
    assert counter.calls == 2  # other parties: evaluated
    later = read_input("0x" + "11" * 20)
    later["request"]["day"] = "2026-11-27"
    decide_sync(snapshot, later)
    assert counter.calls == 3  # another day: evaluated (transfer bases expire by day)
    for _ in range(2):
        decide_sync(snapshot, copy.deepcopy(SAMPLE))
    assert counter.calls == 5 and read_cache_key(SAMPLE) is None
    fresh = engine.compile(load_policy_source(ROOT / "policies"))
    assert len(fresh.read_cache) == 0  # a new revision starts cold


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


def test_reads_of_parties_alike_to_policy_share_one_decision() -> None:
    """Distinct addresses with the same profile share one evaluation, and the shared decision
    is the one each read gets evaluated on its own; another profile is evaluated."""
    engine = EmbeddedEngine("regorus", load_policy_source(ROOT / "policies"))
    snapshot = engine.snapshot()
    counter = CountingEvaluator(snapshot.evaluator)
    object.__setattr__(snapshot, "evaluator", counter)
    decided: list[tuple[dict[str, Any], Decision]] = []
    for n in range(20):
        address = f"0x{n:040x}"
        doc = read_input(address, f"01{n}", parties=[party(address)])
        decided.append((doc, decide_sync(snapshot, doc)))
    assert counter.calls == 1 and snapshot.read_cache.hits == 19
    assert decided[0][1].jurisdictions == ("CN", "US")  # the party counts, not its address
    for doc, decision in decided[::7]:
        assert _evaluate(counter.inner, doc) == decision
    two = read_input("0x" + "aa" * 20, parties=[party("0x" + "aa" * 20), party("0x" + "bb" * 20)])
    same = read_input("0x" + "aa" * 20, parties=[party("0x" + "aa" * 20), party("0x" + "aa" * 20)])
    assert read_cache_key(two) != read_cache_key(same)  # equal addresses stay equal
    other = read_input("0x" + "cc" * 20, parties=[party("0x" + "cc" * 20, "DE", "institution")])
    assert decide_sync(snapshot, other) == _evaluate(counter.inner, other)
    assert counter.calls == 2 and snapshot.read_cache.misses == 2


def test_read_cache_is_bounded_least_recently_used_first_out() -> None:
    cache: Memo[Decision] = Memo(size=2)
    allow = Decision.from_json({"allow": True, "reasons": [], "obligations": {}})
    cache.put(b"a", allow)
    cache.put(b"b", allow)
    assert cache.get(b"a") is allow  # a is now the most recent
    cache.put(b"c", allow)
    assert len(cache) == 2 and cache.get(b"b") is None and cache.get(b"a") is allow
    assert (cache.hits, cache.misses) == (2, 1)


def test_check_refuses_read_rules_naming_addresses_or_params(tmp_path: Path) -> None:
    tree = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", tree)
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    assert check_policies(tree) == []
    scope = tree / "jurisdictions" / "eu" / "data_scope.rego"
    shipped = scope.read_text()
    # a rule reaching a party's address through lib/scope.rego's memoised pairs
    scope.write_text(
        shipped + '\nredact contains "x" if {\n\tsome pair in scope.covered\n'
        '\tstartswith(pair[1].address, "0x00")\n}\n'
    )
    problems = check_policies(tree)
    assert [(p.file, "address" in p.message) for p in problems] == [
        ("jurisdictions/eu/data_scope.rego", True)
    ]
    scope.write_text(
        shipped + '\nredact contains "x" if {\n'
        "\tcount(data.governance.lib.ctx.doc.read.params) > 2\n}\n"
    )
    assert any("params" in p.message for p in check_policies(tree))
    scope.write_text(shipped)
    baseline = tree / "lib" / "baseline.rego"
    baseline.write_text(  # write rules may read addresses: writes are never cached
        baseline.read_text() + '\ndeny contains reason("SANCTIONED_PARTY", a) if {\n'
        "\tdata.governance.lib.ctx.call.write\n"
        "\ta := data.governance.lib.ctx.transfer.sender_address\n"
        '\ta == "0x00"\n}\n'
    )
    assert check_policies(tree) == []


def test_hits_and_misses_are_counted_in_metrics() -> None:
    from governance.metrics import Metrics

    engine = EmbeddedEngine("regorus", load_policy_source(ROOT / "policies"))
    metrics = Metrics()
    metrics.watch_memo(
        "read_cache",
        "Read decisions",
        lambda: (
            engine.snapshot().read_cache.hits,
            engine.snapshot().read_cache.misses,
            len(engine.snapshot().read_cache),
        ),
    )
    for n in range(3):
        decide_sync(engine.snapshot(), read_input(f"0x{n:040x}", parties=[party(f"0x{n:040x}")]))
    text = metrics.render().decode()
    assert 'governance_read_cache_lookups_total{result="hit"} 2.0' in text
    assert 'governance_read_cache_lookups_total{result="miss"} 1.0' in text
    assert "governance_read_cache_entries 1.0" in text


def test_callers_alike_share_read_decisions_and_no_rule_may_name_the_caller(
    tmp_path: Path,
) -> None:
    alice = read_input("0x" + "11" * 20, parties=[party("0x" + "11" * 20)])
    bob = copy.deepcopy(alice)
    bob["subject"]["sub"] = "bob"
    other_org = copy.deepcopy(alice)
    other_org["subject"]["org"] = "hanse-de"
    assert read_cache_key(alice) == read_cache_key(bob) != read_cache_key(other_org)
    tree = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", tree)
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    baseline = tree / "lib" / "baseline.rego"
    baseline.write_text(
        baseline.read_text() + '\ndeny contains reason("ROLE_FORBIDDEN", "blocked") if {\n'
        '\tdata.governance.lib.ctx.doc.subject.sub == "mallory"\n}\n'
    )
    problems = check_policies(tree)
    assert [(p.file, "`sub`" in p.message) for p in problems] == [("lib/baseline.rego", True)]


def test_keys_are_digests_whatever_the_caller_sends() -> None:
    """A caller chooses much of the key (a travel-rule header rides on every call): the cache
    holds a fixed-size digest per decision, and other payloads still get other keys."""
    plain = read_input("0x" + "11" * 20)
    heavy = read_input("0x" + "11" * 20)
    heavy["travel_rule"] = {"originator": {"note": "x" * 16_000}}
    keys = {read_cache_key(plain), read_cache_key(heavy)}
    assert len(keys) == 2 and all(key is not None and len(key) == 32 for key in keys)

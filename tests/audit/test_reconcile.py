"""The comparison of a decision's simulated effects with mined ones, the follow-up record, and
the reconciliation's storage on both backends (idempotent findings, scopes, matching)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from governance.audit.reconcile import (
    BYPASS,
    EFFECTS_DIFFER,
    Effect,
    Mined,
    bypass_finding,
    compare,
    differ_finding,
    expected_of,
    followup_record,
    governed_addresses,
)
from governance.audit.reconcile_store import FindingQuery, ReconcileStore
from governance.audit.sqlstore import SqlLog
from governance.audit.views import EVERYTHING, AuditScope, columns_of
from governance.domain.records import DecisionRecord, canonical_json
from tests.conftest import ROOT

SENDER = "0x" + "a1" * 20
ROUTER = "0x" + "b2" * 20
PAYEE = "0x" + "c3" * 20
TOKEN = "0x" + "d4" * 20
NFT = "0x" + "e5" * 20


def party(address: str) -> dict[str, Any]:
    return {"address": address, "org": None, "jurisdiction": None, "known": False}


def effect(kind: str, src: str, dst: str, value: str, depth: int, **asset: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "asset": {"contract": None, "decimals": 18, **asset},
        "from": party(src),
        "to": party(dst),
        "value": value,
        "token_id": asset.pop("token_id", None),
        "amount_usd": None,
        "depth": depth,
    }


EFFECTS = [
    effect("native", SENDER, ROUTER, "0.003", 0),
    effect("native", ROUTER, PAYEE, "0.003", 1),
    effect("erc20", SENDER, PAYEE, "100.5", 1, contract=TOKEN, decimals=6),
    {**effect("erc721", SENDER, PAYEE, "1", 1, contract=NFT, decimals=None), "token_id": "7"},
]
RAW = [
    Effect("native", None, SENDER, ROUTER, 3 * 10**15, None),
    Effect("native", None, ROUTER, PAYEE, 3 * 10**15, None),
    Effect("erc20", TOKEN, SENDER, PAYEE, 100_500_000, None),
    Effect("erc721", NFT, SENDER, PAYEE, 1, 7),
]


def decision(
    outcome: str = "allow", kind: str = "write", effects: Any = None, status: str = "ok"
) -> dict[str, Any]:
    tx = {"hash": "0x" + "ab" * 32, "from": SENDER.upper().replace("0X", "0x"), "to": ROUTER}
    return {
        "id": "01JDECISION000000000000000",
        "ledger": "main",
        "kind": kind,
        "outcome": outcome,
        "revision": "rev1",
        "subject": {"sub": "alice", "org": "acme-us", "jurisdiction": "US"},
        "result": {"allow": outcome == "allow", "jurisdictions": ["US", "DE"], "reasons": []},
        "input": {
            "tx": {**tx, "nonce": 4},
            "simulation": {"mode": "simulate_v1", "status": status, "reason": None},
            "effects": EFFECTS if effects is None else effects,
        },
    }


def test_recorded_effects_come_back_in_raw_units() -> None:
    expected = expected_of(decision())
    assert expected is not None
    assert expected.effects == tuple(RAW)
    assert (
        expected.sender == SENDER and expected.nonce == 4 and expected.tx_hash == "0x" + "ab" * 32
    )
    assert expected.internal_native == (False, True, False, False)


@pytest.mark.parametrize(
    "doc",
    [decision(outcome="deny"), decision(kind="read"), {**decision(), "input": {"tx": None}}],
)
def test_only_allowed_writes_are_expected(doc: dict[str, Any]) -> None:
    assert expected_of(doc) is None


@pytest.mark.parametrize(
    "doc", [decision(status="unavailable"), decision(status="off"), decision(effects="masked")]
)
def test_unsimulated_or_masked_effects_are_not_compared(doc: dict[str, Any]) -> None:
    expected = expected_of(doc)
    assert expected is not None and expected.effects is None


def test_same_movements_in_another_order_do_not_differ() -> None:
    expected = expected_of(decision())
    assert expected is not None
    assert not compare(expected, list(reversed(RAW)), internal_visible=True)


def test_a_changed_amount_is_missing_and_unexpected() -> None:
    expected = expected_of(decision())
    assert expected is not None
    smaller = Effect("erc20", TOKEN, SENDER, PAYEE, 100_000_000, None)
    diff = compare(expected, [RAW[0], RAW[1], smaller, RAW[3]], internal_visible=True)
    assert diff.missing == (RAW[2],) and diff.unexpected == (smaller,)


def test_a_revert_misses_every_movement() -> None:
    expected = expected_of(decision())
    assert expected is not None
    assert compare(expected, [], internal_visible=True).missing == tuple(sorted(RAW))


def test_a_receipt_cannot_show_internal_ether() -> None:
    expected = expected_of(decision())
    assert expected is not None
    receipt_side = [RAW[0], RAW[2], RAW[3]]
    assert not compare(expected, receipt_side, internal_visible=False)
    assert compare(expected, receipt_side, internal_visible=True).missing == (RAW[1],)


def test_governed_addresses_are_the_directory_entries_with_an_org() -> None:
    entities = json.loads((ROOT / "policies/data/entities.json").read_text())
    governed = governed_addresses({k: v for k, v in entities.items() if isinstance(v, dict)})
    assert governed["0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"] == ("acme-us", "US")
    assert "0x14dc79964da2c08b23698b3d3cc7ca32193d9955" not in governed  # self-hosted, no org
    assert "0xa0ee7a142d267c1f36714e4a8f75612f20a79720" not in governed  # not in the directory


def mined(status: str = "reverted", effects: tuple[Effect, ...] = ()) -> Mined:
    return Mined("0x" + "ab" * 32, 12, SENDER, ROUTER, 4, status, "trace", effects)


def test_the_followup_record_is_a_log_record_of_the_decision_readers() -> None:
    doc = decision()
    expected = expected_of(doc)
    assert expected is not None
    diff = compare(expected, [], internal_visible=True)
    rec = followup_record(doc, mined(), diff, "01JFOLLOWUP000000000000000", "2026-12-02T00:00:00Z")
    assert DecisionRecord.from_json(json.loads(canonical_json(rec.to_json()))) == rec
    columns = columns_of(rec)
    assert (columns["kind"], columns["outcome"], columns["org"]) == (
        "reconciliation",
        "mismatch",
        "acme-us",
    )
    assert columns["jurisdictions"] == ",US,DE," and columns["reason_codes"] == ",,"
    assert rec.input["decision_id"] == doc["id"] and rec.input["simulated"] == EFFECTS
    assert rec.result["missing"] == [e.to_json() for e in sorted(RAW)]


# ---- storage, on SQLite and PostgreSQL ---------------------------------------------------------


def test_findings_are_stored_once_and_read_in_scope(store_url: str) -> None:
    log = SqlLog(store_url)
    store = ReconcileStore(log.engine)
    try:
        doc = decision()
        expected = expected_of(doc)
        assert expected is not None
        diff = compare(expected, [], internal_visible=True)
        differ = differ_finding(doc, mined(), diff, "01JFOLLOWUP000000000000000", "t")
        bypass = bypass_finding(
            "main", "0x" + "cd" * 32, 13, PAYEE, None, 0, 5, ("panda-cn", "CN"), "t"
        )
        assert store.add_finding(differ) and store.add_finding(bypass)
        assert not store.add_finding(differ)  # a second run adds nothing

        def seen(scope: AuditScope, **query: Any) -> list[str]:
            return [f.finding for _, f in store.findings(FindingQuery(**query), scope)]

        assert seen(EVERYTHING) == [EFFECTS_DIFFER, BYPASS]
        assert seen(AuditScope(orgs=("acme-us",))) == [EFFECTS_DIFFER]
        assert seen(AuditScope(jurisdictions=("DE",))) == [EFFECTS_DIFFER]
        assert seen(AuditScope(jurisdictions=("CN",))) == [BYPASS]
        assert seen(AuditScope(orgs=("thames-uk",), jurisdictions=("GB",))) == []
        assert seen(EVERYTHING, from_block=13) == [BYPASS]
        assert seen(EVERYTHING, to_block=12, finding=EFFECTS_DIFFER) == [EFFECTS_DIFFER]
        [(_, back)] = store.findings(FindingQuery(finding=EFFECTS_DIFFER), EVERYTHING)
        assert back == differ
        store.remove_finding(differ)
        assert seen(EVERYTHING) == [BYPASS]
    finally:
        log.close()


def test_writes_are_matched_by_hash_or_by_sender_and_nonce(store_url: str) -> None:
    log = SqlLog(store_url)
    store = ReconcileStore(log.engine)
    try:
        raw = DecisionRecord.from_json({**decision(), "time": "t", "method": "m", "latency_us": 0})
        node_held = {**decision(), "id": "01JNODEHELD000000000000000"}
        node_held["input"] = {
            **node_held["input"],
            "tx": {"hash": None, "from": SENDER, "nonce": 9},
        }
        held = DecisionRecord.from_json({**node_held, "time": "t", "method": "m", "latency_us": 0})
        denied = DecisionRecord.from_json(
            {**decision(outcome="deny"), "id": "01JDENIED00000000000000000", "time": "t"}
            | {"method": "m", "latency_us": 0}
        )
        log.append_batch([raw, held, denied])
        assert store.index_writes("main") == 2 and store.index_writes("main") == 0
        by_hash = store.match("main", "0x" + "ab" * 32, SENDER, 4, ROUTER)
        assert by_hash is not None and by_hash.decision_id == raw.id and not by_hash.reconciled
        found = store.match("main", "0x" + "ef" * 32, SENDER, 9, None)
        assert found is not None and found.decision_id == held.id
        store.mark_reconciled(held.id, "0x" + "ef" * 32, 20)
        again = store.match("main", "0x" + "ef" * 32, SENDER, 9, None)
        assert again is not None and again.reconciled
        assert store.match("main", "0x" + "99" * 32, SENDER, 10, None) is None
        assert store.match("other", "0x" + "ab" * 32, SENDER, 4, ROUTER) is None
    finally:
        log.close()

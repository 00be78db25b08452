"""Replay / impact analysis: recorded inputs re-decided by a draft. On a hand-built log (every
category, re-enrichment, filters, limits) and on a log made by real traffic through the
gateway with the shipped policies, where a tightened threshold must flag exactly the
decisions it affects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from governance.audit.sqlstore import SqlLog
from governance.cli import main as cli_main
from governance.domain.records import DecisionRecord, new_ulid
from governance.policy.bundle import build_bundle, read_bundle
from governance.policy.engine import EmbeddedEngine, decide_sync
from governance.policy.replay import DraftError, ReplayFilter, reenrich, replay
from governance.policy.source import load_policy_source
from tests.conftest import (
    ACCOUNTS,
    Anvil,
    GatewayServer,
    aggregates_input,
    make_settings,
)
from tests.policy.conftest import (
    OTHER,
    SDN_CSV,
    TIGHT_USD,
    drive_traffic,
    expected_affected,
    recorded,
    tightened_draft,
    write_policy_tree,
)

ROOT = Path(__file__).resolve().parents[2]
NEWLY_SANCTIONED = "0x" + "42" * 20
SDN_ROW = (
    '9,"NEW LISTING",-0-,"CYBER2",-0-,-0-,-0-,-0-,-0-,-0-,-0-,'
    f'"Digital Currency Address - ETH {NEWLY_SANCTIONED}"\n'
)


def policy_input(
    usd: float,
    *,
    kyc: str = "verified",
    jurisdiction: str = "US",
    to: str = OTHER,
    method: str = "eth_sendRawTransaction",
) -> dict[str, Any]:
    write = method == "eth_sendRawTransaction"
    return {
        "request": {"method": method, "kind": "write" if write else "read"},
        "subject": {"sub": "alice", "org": "acme", "jurisdiction": jurisdiction, "kyc": kyc},
        "tx": {
            "value": str(usd / 3000.0),
            "amount_usd": usd,
            "rate_known": True,
            "asset": {
                "symbol": "ETH",
                "class": "tokenized_deposit",
                "contract": None,
                "decimals": 18,
            },
        }
        if write
        else None,
        "parties": {"recipient": {"address": to, "sanctioned": False, "jurisdiction": "US"}}
        if write
        else {},
    }


def record(
    engine: EmbeddedEngine, doc: dict[str, Any], time: str, masked: list[str] | None = None
) -> DecisionRecord:
    decision = decide_sync(engine.snapshot(), doc)
    return DecisionRecord(
        id=new_ulid(),
        time=time,
        ledger="main",
        method=doc["request"]["method"],
        kind=doc["request"]["kind"],
        subject=doc["subject"],
        input=doc,
        result=decision.to_json(),
        outcome=decision.outcome,
        revision=engine.snapshot().revision,
        latency_us=1,
        masked=masked or [],
    )


@pytest.fixture
def baseline(tmp_path: Path) -> EmbeddedEngine:
    return EmbeddedEngine(
        "regorus", load_policy_source(write_policy_tree(tmp_path / "baseline", max_usd=10_000.0))
    )


@pytest.fixture
def log(tmp_path: Path, baseline: EmbeddedEngine) -> SqlLog:
    store = SqlLog(f"sqlite:///{tmp_path / 'log.db'}")
    store.append_batch(
        [
            record(baseline, policy_input(1_000), "2026-11-01T10:00:00.000000Z"),
            record(baseline, policy_input(5_000), "2026-11-02T10:00:00.000000Z"),  # -> deny
            record(
                baseline,
                policy_input(7_000),
                "2026-11-03T10:00:00.000000Z",  # -> deny
                masked=["/travel_rule/originator"],
            ),
            record(baseline, policy_input(5_000, kyc="none"), "2026-11-04T10:00:00.000000Z"),
            record(
                baseline, policy_input(0, method="eth_blockNumber"), "2026-11-05T10:00:00.000000Z"
            ),
            record(baseline, policy_input(5_000, jurisdiction="CN"), "2026-11-06T10:00:00.000000Z"),
            record(baseline, policy_input(100, to=NEWLY_SANCTIONED), "2026-11-07T10:00:00.000000Z"),
        ]
    )
    return store


def draft(tmp_path: Path, max_usd: float, *, sanction_new: bool = False) -> Any:
    tree = write_policy_tree(tmp_path / f"draft-{max_usd}-{sanction_new}", max_usd=max_usd)
    if sanction_new:
        (tree / "data" / "sdn.csv").write_text(SDN_CSV + SDN_ROW)
    return load_policy_source(tree)


def ids(report: dict[str, Any], category: str) -> list[str]:
    return [e["id"] for e in report["examples"][category]]


def test_tightened_threshold_flags_exactly_the_affected(log: SqlLog, tmp_path: Path) -> None:
    report = replay(log, draft(tmp_path, 3_000.0), examples=100).to_json()
    assert report["examined"] == 7
    # US 5000 and 7000 pass the new US 3000; CN 5000 passes CN's 1500 (was 5000, not over).
    assert report["allow_to_deny"] == 3
    assert report["reasons_changed"] == 1  # the KYC denial gains AMOUNT_LIMIT
    assert report["deny_to_allow"] == 0 and report["errors"] == 0
    assert report["unchanged"] == 3 and report["changed"] == 4
    assert report["reason_codes_added"] == {"AMOUNT_LIMIT": 4}
    flagged = report["examples"]["allow_to_deny"]
    assert [e["time"][:10] for e in flagged] == ["2026-11-02", "2026-11-03", "2026-11-06"]
    assert [e["subject"] for e in flagged][-1] == "alice@acme (CN)"
    assert flagged[1]["masked"] == ["/travel_rule/originator"]
    assert report["masked"] == 1
    assert flagged[0]["before"] == {"outcome": "allow", "reasons": []}
    assert flagged[0]["after"] == {"outcome": "deny", "reasons": ["AMOUNT_LIMIT@US"]}
    json.dumps(report)  # JSON-serialisable as it stands


def test_loosened_threshold_is_deny_to_allow(log: SqlLog, tmp_path: Path) -> None:
    tight = draft(tmp_path, 3_000.0)
    store = SqlLog(f"sqlite:///{tmp_path / 'tight.db'}")
    engine = EmbeddedEngine("regorus", tight)
    store.append_batch([record(engine, policy_input(5_000), "2026-11-02T10:00:00Z")])
    report = replay(store, draft(tmp_path, 10_000.0)).to_json()
    assert report["deny_to_allow"] == 1 and report["allow_to_deny"] == 0
    assert report["reason_codes_removed"] == {"AMOUNT_LIMIT": 1}


def test_unchanged_draft_changes_nothing(log: SqlLog, tmp_path: Path) -> None:
    report = replay(log, draft(tmp_path, 10_000.0)).to_json()
    assert report["changed"] == 0 and report["unchanged"] == 7
    assert report["baseline_revisions"] == {load_policy_source(tmp_path / "baseline").revision: 7}


def test_reference_data_changes_are_re_enriched(log: SqlLog, tmp_path: Path) -> None:
    report = replay(log, draft(tmp_path, 10_000.0, sanction_new=True), examples=10).to_json()
    assert report["allow_to_deny"] == 1
    [example] = report["examples"]["allow_to_deny"]
    assert example["after"]["reasons"] == ["SANCTIONED_PARTY@US"]


def test_reenrich_prices_and_parties(tmp_path: Path) -> None:
    source = draft(tmp_path, 10_000.0, sanction_new=True)
    from governance.domain.reference import Reference

    doc = policy_input(3_000.0, to=NEWLY_SANCTIONED)
    doc["tx"]["value"] = "2"
    out = reenrich(doc, Reference.from_data(source.data))
    assert out["tx"]["amount_usd"] == 6_000.0  # 2 ETH at the draft's 3000 USD
    assert out["parties"]["recipient"]["sanctioned"] is True
    assert out["parties"]["recipient"]["known"] is False
    assert doc["parties"]["recipient"]["sanctioned"] is False  # the record is not modified


def shipped_reference() -> Any:
    from governance.domain.reference import Reference

    return Reference.from_data(load_policy_source(ROOT / "policies").data)


def test_reenrich_gives_old_subject_figures_to_every_jurisdiction() -> None:
    """Recorded before spend was counted per person and local calendar: the subject's UTC
    figures stand for each jurisdiction's, so the draft neither refuses the input as invalid
    nor reads it as nothing spent."""
    ref = shipped_reference()
    doc = policy_input(3_000.0)
    doc["request"] |= {"day": "2026-11-02", "year": "2026"}
    doc["tx"]["from"] = ACCOUNTS[0].address
    doc["aggregates"] = {
        "subject_daily_usd": 4_999_000.0,
        "subject_annual_usd": 9.0,
        "subject_daily_cross_border_usd": 1.0,
        "subject_annual_cross_border_usd": 2.0,
    }
    out = reenrich(doc, ref)["aggregates"]
    assert out["person"] == "acme-trading" and out["person_30d_usd"] == 0.0
    assert set(out["by_jurisdiction"]) == set(ref.time_zones) and len(ref.time_zones) == 9
    cn = out["by_jurisdiction"]["CN"]
    assert cn == {
        "day": "2026-11-02",
        "year": "2026",
        "person_daily_usd": 4_999_000.0,
        "person_annual_usd": 9.0,
        "person_daily_cross_border_usd": 1.0,
        "person_annual_cross_border_usd": 2.0,
    }


def test_reenrich_gives_a_new_jurisdiction_the_largest_recorded_figures() -> None:
    doc = policy_input(3_000.0)
    doc["aggregates"] = aggregates_input({"US": {"person_daily_usd": 70.0}})
    del doc["aggregates"]["by_jurisdiction"]["JP"]  # JP added to the draft since
    out = reenrich(doc, shipped_reference())["aggregates"]
    assert out["by_jurisdiction"]["JP"]["person_daily_usd"] == 70.0
    assert out["by_jurisdiction"]["CN"]["person_daily_usd"] == 0.0
    assert out["person"] == "test-person"


@pytest.mark.parametrize(
    ("filters", "examined"),
    [
        (ReplayFilter(since="2026-11-03"), 5),
        (ReplayFilter(until="2026-11-03"), 2),
        (ReplayFilter(since="2026-11-02T10:00:00Z", until="2026-11-04T00:00:00Z"), 2),
        (ReplayFilter(since="2026-11-02T11:00:00+01:00", until="2026-11-02T10:00:00.000001"), 1),
        (ReplayFilter(jurisdiction="CN"), 1),
        (ReplayFilter(jurisdiction="US"), 6),
    ],
)
def test_filters(log: SqlLog, tmp_path: Path, filters: ReplayFilter, examined: int) -> None:
    report = replay(log, draft(tmp_path, 3_000.0), filters)
    assert report.examined == examined
    assert report.filters == filters.to_json()


def test_limit_truncates_and_pages(log: SqlLog, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr("governance.policy.replay.PAGE", 2)  # several pages on a small log
    assert replay(log, draft(tmp_path, 3_000.0)).examined == 7
    report = replay(log, draft(tmp_path, 3_000.0), ReplayFilter(limit=3))
    assert report.examined == 3 and report.truncated


@pytest.mark.parametrize("kw", [{"since": "last week"}, {"jurisdiction": "C%"}, {"limit": 0}])
def test_bad_filters_refused(kw: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        ReplayFilter(**kw)


def test_broken_draft_refused(log: SqlLog, tmp_path: Path) -> None:
    tree = write_policy_tree(tmp_path / "broken")
    (tree / "lib" / "oops.rego").write_text("package governance.lib.oops\n\nx if { y == 1 }\n")
    with pytest.raises(DraftError, match="does not compile"):
        replay(log, load_policy_source(tree))


def test_bundle_and_directory_drafts_agree(log: SqlLog, tmp_path: Path) -> None:
    source = draft(tmp_path, 3_000.0)
    bundled = read_bundle(build_bundle(source, "draft-7"))
    a, b = replay(log, source).to_json(), replay(log, bundled).to_json()
    assert b["draft_revision"] == "draft-7"
    for key in ("allow_to_deny", "deny_to_allow", "reasons_changed", "unchanged"):
        assert a[key] == b[key]


@pytest.fixture
def traffic_gateway(tmp_path: Path, policy_dir: Path, anvil: Anvil) -> Any:
    gw = GatewayServer(make_settings(anvil.url, policy_dir, tmp_path / "traffic.db"))
    gw.__enter__()
    try:
        drive_traffic(gw, anvil, "replay-alice")
    finally:
        gw.__exit__()  # graceful stop: every read record is flushed
    return gw


@pytest.mark.slow
def test_replay_on_gateway_traffic_flags_exactly_the_affected(
    traffic_gateway: GatewayServer,
    policy_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    records = recorded(traffic_gateway)
    expected = expected_affected(records, TIGHT_USD)
    writes = [r for r in records if r["kind"] == "write" and r["outcome"] == "allow"]
    assert len(writes) == 8 and 0 < len(expected) < len(writes)
    tree = tightened_draft(policy_dir, tmp_path / "draft")
    bundle = tmp_path / "draft.tar.gz"
    assert cli_main(["policy", "build", str(tree), "-o", str(bundle), "--revision", "tight"]) == 0
    out = tmp_path / "report.json"
    code = cli_main(
        [
            "policy",
            "replay",
            "--bundle",
            str(bundle),
            "--db",
            traffic_gateway.settings.audit.database_url,
            "--examples",
            "100",
            "--json",
            str(out),
        ]
    )
    assert code == 0
    assert "allow_to_deny" in capsys.readouterr().out
    report = json.loads(out.read_text())
    assert report["draft_revision"] == "tight"
    assert report["examined"] == len(records)
    assert set(ids(report, "allow_to_deny")) == expected
    assert report["allow_to_deny"] == len(expected)
    assert report["deny_to_allow"] == 0 and report["errors"] == 0
    assert report["unchanged"] + report["changed"] == len(records)
    assert len(report["reason_codes_added"]) == 1  # the one threshold's reason code
    # Only US decisions are in scope, and nothing was recorded before the traffic.
    assert replay_count(traffic_gateway, tree, jurisdiction="US") == len(records)
    assert replay_count(traffic_gateway, tree, until=records[0]["time"]) == 0


def replay_count(gw: GatewayServer, tree: Path, **filters: Any) -> int:
    store = SqlLog(gw.settings.audit.database_url)
    try:
        return replay(store, load_policy_source(tree), ReplayFilter(**filters)).examined
    finally:
        store.close()

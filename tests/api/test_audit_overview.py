"""Newest-first paging, the leaf bytes in proofs and the overview summaries (stats, checkpoint
history, policy) in process, and the decision stream over real HTTP (it never ends, so only a
socket can read its first event), all scoped like the audit API."""

from __future__ import annotations

import base64
import hashlib

import httpx
import orjson

from governance.audit.views import stored_record
from tests.api.conftest import (
    ADMIN,
    AUDITOR,
    RECORDS,
    TRADER,
    TRAVEL,
    AuditApi,
    bearer_header,
    ids,
)
from tests.conftest import GatewayServer


async def test_newest_first_pages_cover_everything_in_reverse(api: AuditApi) -> None:
    items, cursor = [], None
    while True:
        params = {"order": "desc", "limit": 9} | ({"cursor": cursor} if cursor else {})
        page = await api.ok("/audit/decisions", ADMIN, **params)
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert ids(items) == [r.id for r in reversed(RECORDS)]
    assert (await api.get("/audit/decisions", ADMIN, order="sideways")).status_code == 422


async def test_proof_carries_the_leaf_bytes_unless_view_masked(api: AuditApi) -> None:
    api.checkpointer.sign_pending()
    plain = next(r for r in RECORDS if r.org == "acme-us" and r.input.get("travel_rule") is None)
    proof = await api.ok(f"/audit/decisions/{plain.id}/proof", AUDITOR)
    data = base64.b64decode(proof["leaf_data"])
    assert base64.b64encode(hashlib.sha256(b"\x00" + data).digest()).decode() == proof["leaf_hash"]
    item = await api.ok(f"/audit/decisions/{plain.id}", AUDITOR)
    assert orjson.loads(data) == stored_record(item)
    masked = next(r for r in RECORDS if r.org == "acme-us" and r.input.get("travel_rule") == TRAVEL)
    assert "leaf_data" not in await api.ok(f"/audit/decisions/{masked.id}/proof", AUDITOR)
    assert "leaf_data" in await api.ok(f"/audit/decisions/{masked.id}/proof", ADMIN)


def _first_event(server: GatewayServer, bearer: str, **params: object) -> dict[str, object]:
    url = f"{server.url}/audit/stream"
    with httpx.stream("GET", url, params=params, headers=bearer_header(bearer), timeout=30) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        for line in resp.iter_lines():
            if line.startswith("data: "):
                return orjson.loads(line[6:])  # type: ignore[no-any-return]
    raise AssertionError("stream ended without an event")


def test_stream_sends_later_records_in_the_callers_scope(served_api: GatewayServer) -> None:
    event = _first_event(served_api, AUDITOR, after=9)
    expected = [r.id for i, r in enumerate(RECORDS) if i > 9 and r.org == "acme-us"]
    assert ids(event["items"]) == expected[: len(event["items"])]  # type: ignore[arg-type]
    assert event["items"]
    denied = _first_event(served_api, ADMIN, after=-1, outcome="deny")
    assert {i["outcome"] for i in denied["items"]} == {"deny"}  # type: ignore[union-attr]
    refused = httpx.get(f"{served_api.url}/audit/stream", headers=bearer_header(TRADER))
    assert refused.status_code == 403


async def test_stats_count_the_callers_scope(api: AuditApi) -> None:
    window = {"since": "2000-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z"}
    doc = await api.ok("/audit/stats", AUDITOR, **window)
    mine = [r for r in RECORDS if r.org == "acme-us"]
    assert doc["examined"] == len(mine)
    assert sum(doc["outcomes"]["deny"]) == sum(r.outcome == "deny" for r in mine)
    assert sum(sum(v) for v in doc["denials_by_jurisdiction"].values()) >= sum(
        r.outcome == "deny" for r in mine
    )
    codes = {c["code"] for top in doc["top_reasons"].values() for c in top}
    assert codes == {c for r in mine for c in r.reason_codes}
    assert (await api.ok("/audit/stats", ADMIN, **window))["examined"] == len(RECORDS)
    assert (await api.ok("/audit/stats", AUDITOR))["examined"] == 0  # default window: the last hour


async def test_checkpoint_history_and_policy_overview(api: AuditApi) -> None:
    first = api.checkpointer.sign_pending()
    assert first is not None
    history = (await api.ok("/audit/checkpoints", AUDITOR))["items"]
    assert history[0]["size"] == first.size and history[0]["note"] == first.note
    policy = await api.ok("/audit/policy", AUDITOR)
    assert policy["revision"] and policy["signed"] is False
    assert (await api.get("/audit/policy", TRADER)).status_code == 403

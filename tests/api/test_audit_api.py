"""The auditor API (the real app in process, its lifespan run, a SQLite log): authentication and
role scopes, filters and pagination, view masking of travel-rule data, inclusion and
consistency proofs checked against signed checkpoints, and the three export formats.

Records are appended to the gateway's own store directly, so every expectation is computed from
known records; the policy tree is a one-rule stand-in because no call is decided here."""

from __future__ import annotations

import base64
import csv
import io
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import orjson
import pytest
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)

from governance import cli
from governance.audit import merkle
from governance.audit.checkpoint import parse_verifier_key, verify_checkpoint
from governance.audit.views import stored_record
from governance.domain.records import canonical_json
from tests.api.conftest import ADMIN, AUDITOR, ORIGIN, RECORDS, TRADER, TRAVEL, AuditApi, ids
from tests.audit.conftest import sample_record
from tests.conftest import SECRET, token

OFFICER = token(sub="olaf", org="panda-cn", jurisdiction="CN", roles=("compliance_officer",))
REGULATOR = token(sub="reg", org="pboc", jurisdiction="CN", roles=("regulator",))
EXPIRED_AUDITOR = jwt.encode(
    {"sub": "ann", "org": "acme-us", "jurisdiction": "US", "roles": ["auditor"],
     "entity_kind": "institution", "kyc": "verified", "exp": int(time.time()) - 3600},
    SECRET, algorithm="HS256",
)  # fmt: skip


def raw(key: Any) -> bytes:
    return bytes(key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def expected(predicate: Any) -> list[str]:
    return [r.id for r in RECORDS if predicate(r)]


# ---- authentication and scopes -------------------------------------------------------------

PATHS = [
    "/audit/decisions",
    f"/audit/decisions/{RECORDS[0].id}",
    f"/audit/decisions/{RECORDS[0].id}/proof",
    "/audit/checkpoints/latest",
    "/audit/consistency?first=0&second=1",
    "/audit/export",
]


@pytest.mark.parametrize("path", PATHS)
async def test_every_route_needs_a_token_and_an_audit_role(api: AuditApi, path: str) -> None:
    missing = await api.get(path, None)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert (await api.get(path, "not.a.jwt")).status_code == 401
    assert (await api.get(path, EXPIRED_AUDITOR)).status_code == 401
    forbidden = await api.get(path, TRADER)
    assert forbidden.status_code == 403
    assert "auditor" in forbidden.json()["error"]["message"]


async def test_each_role_sees_its_scope(api: AuditApi) -> None:
    assert ids(await api.all_items(ADMIN)) == [r.id for r in RECORDS]
    assert ids(await api.all_items(AUDITOR)) == expected(lambda r: r.org == "acme-us")
    assert ids(await api.all_items(OFFICER)) == expected(lambda r: r.org == "panda-cn")
    assert ids(await api.all_items(REGULATOR)) == expected(lambda r: "CN" in r.jurisdictions)
    eu = token(sub="esma", org="esma", jurisdiction="EU", roles=("regulator",))
    assert ids(await api.all_items(eu)) == [RECORDS[40].id]


async def test_one_record_in_and_out_of_scope(api: AuditApi) -> None:
    mine = next(r for r in RECORDS if r.org == "acme-us")
    theirs = next(r for r in RECORDS if r.org == "panda-cn" and "US" not in r.jurisdictions)
    item = await api.ok(f"/audit/decisions/{mine.id}", AUDITOR)
    assert item["id"] == mine.id and item["leaf_index"] == RECORDS.index(mine)
    assert (await api.get(f"/audit/decisions/{theirs.id}", AUDITOR)).status_code == 404
    assert (await api.get("/audit/decisions/01NOSUCHDECISION0000000000")).status_code == 404


async def test_travel_rule_data_is_masked_for_auditors_only(api: AuditApi) -> None:
    record = RECORDS[9]  # acme-us, travel rule present, only US applied
    assert record.org == "acme-us" and record.jurisdictions == ["US"]
    seen = await api.ok(f"/audit/decisions/{record.id}", AUDITOR)
    assert seen["input"]["travel_rule"] == "masked"
    assert seen["view_masked"] == ["/input/travel_rule"]
    full = await api.ok(f"/audit/decisions/{record.id}", ADMIN)
    assert full["input"]["travel_rule"] == TRAVEL and full["view_masked"] == []
    # The leaf hash is over the stored record, whichever view was served.
    assert seen["leaf_hash"] == full["leaf_hash"]
    leaf = merkle.leaf_hash(canonical_json(stored_record(full)))
    assert base64.b64decode(full["leaf_hash"]) == leaf == merkle.leaf_hash(record.canonical_bytes())
    cn_record = RECORDS[5]  # euro-de, CN applied (i % 5 == 0), travel rule present
    assert "CN" in cn_record.jurisdictions and cn_record.input["travel_rule"] == TRAVEL
    assert (await api.ok(f"/audit/decisions/{cn_record.id}", REGULATOR))["input"][
        "travel_rule"
    ] == TRAVEL
    both = token(sub="x", org="acme-us", jurisdiction="CN", roles=("auditor", "regulator"))
    assert (await api.ok(f"/audit/decisions/{record.id}", both))["input"]["travel_rule"] == "masked"
    assert (await api.ok(f"/audit/decisions/{cn_record.id}", both))["input"][
        "travel_rule"
    ] == TRAVEL


# ---- filters and pagination ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "predicate"),
    [
        ({"org": "panda-cn"}, lambda r: r.org == "panda-cn"),
        ({"subject": "user2"}, lambda r: r.subject["sub"] == "user2"),
        ({"jurisdiction": "eu"}, lambda r: "eu" in r.jurisdictions),
        ({"outcome": "deny", "method": "eth_sendRawTransaction"},
         lambda r: r.outcome == "deny" and r.method == "eth_sendRawTransaction"),
        ({"reason": "KYC_REQUIRED"}, lambda r: "KYC_REQUIRED" in r.reason_codes),
        ({"since": "2026-01-01T00:10:00Z", "until": "2026-01-01T01:20:00+01:00"},
         lambda r: "2026-01-01T00:10" <= r.time < "2026-01-01T00:20"),
    ],
)  # fmt: skip
async def test_filters(api: AuditApi, params: dict[str, str], predicate: Any) -> None:
    wanted = expected(predicate)
    assert wanted
    assert ids(await api.all_items(ADMIN, **params)) == wanted


async def test_filters_combine_with_the_scope(api: AuditApi) -> None:
    got = ids(await api.all_items(AUDITOR, outcome="deny"))
    assert got == expected(lambda r: r.org == "acme-us" and r.outcome == "deny")


async def test_pages_follow_the_cursor(api: AuditApi) -> None:
    first = await api.ok("/audit/decisions", ADMIN, limit=10)
    assert ids(first["items"]) == [r.id for r in RECORDS[:10]]
    second = await api.ok("/audit/decisions", ADMIN, limit=10, cursor=first["next_cursor"])
    assert ids(second["items"]) == [r.id for r in RECORDS[10:20]]
    last = await api.ok("/audit/decisions", ADMIN, limit=1000)
    assert len(last["items"]) == len(RECORDS) and last["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"outcome": "maybe"}, 400, "outcome 'maybe' must be allow or deny"),
        ({"since": "yesterday"}, 400, "is not an RFC 3339 time"),
        ({"since": "2026-01-01T00:00:00"}, 400, "needs a UTC offset"),
        ({"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, 400, "earlier"),
        ({"jurisdiction": "C%"}, 400, "jurisdiction"),
        ({"reason": "kyc required"}, 400, "reason code"),
        ({"cursor": "garbage"}, 400, "not a cursor this API returned"),
        ({"limit": "0"}, 422, "greater than or equal to 1"),
        ({"limit": "1001"}, 422, "less than or equal to 1000"),
        ({"limit": "ten"}, 422, "integer"),
    ],
)
async def test_bad_parameters_are_explained(
    api: AuditApi, params: dict[str, str], status: int, message: str
) -> None:
    response = await api.get("/audit/decisions", ADMIN, **params)
    assert response.status_code == status
    assert message in str(response.json()["error"]["message"])


# ---- checkpoints and proofs ----------------------------------------------------------------


async def test_proof_waits_for_a_checkpoint_then_verifies(api: AuditApi) -> None:
    record = RECORDS[18]  # acme-us
    assert (await api.get("/audit/checkpoints/latest")).status_code == 404
    early = await api.get(f"/audit/decisions/{record.id}/proof")
    assert early.status_code == 409
    assert early.headers["retry-after"] == "3600"
    assert "not yet covered by a signed checkpoint" in early.json()["error"]["message"]

    assert api.checkpointer.sign_pending() is not None
    latest = await api.ok("/audit/checkpoints/latest", AUDITOR)
    name, vkey = parse_verifier_key(latest["public_key"]["vkey"])
    pem = load_pem_public_key(latest["public_key"]["pem"].encode())
    assert name == ORIGIN == latest["origin"]
    assert raw(pem) == raw(vkey)
    assert latest["public_key"]["vkey"].split("+")[1] == latest["key_id"]
    checkpoint = verify_checkpoint(latest["note"], name, vkey, ORIGIN)
    assert checkpoint.size == latest["size"] == len(RECORDS)

    proof = await api.ok(f"/audit/decisions/{record.id}/proof", AUDITOR)
    assert proof["checkpoint"] == latest["note"] and proof["tree_size"] == len(RECORDS)
    leaf = merkle.leaf_hash(record.canonical_bytes())
    assert base64.b64decode(proof["leaf_hash"]) == leaf
    path = [base64.b64decode(h) for h in proof["proof"]]
    merkle.verify_inclusion(leaf, proof["leaf_index"], proof["tree_size"], path, checkpoint.root)
    theirs = next(r for r in RECORDS if r.org == "panda-cn" and "US" not in r.jurisdictions)
    assert (await api.get(f"/audit/decisions/{theirs.id}/proof", AUDITOR)).status_code == 404

    newer = sample_record(99)
    api.store.append_batch([newer])
    late = await api.get(f"/audit/decisions/{newer.id}/proof")
    assert late.status_code == 409
    assert f"size {len(RECORDS)}" in late.json()["error"]["message"]


async def test_consistency_between_two_checkpoints(api: AuditApi) -> None:
    first = api.checkpointer.sign_pending()
    api.store.append_batch([sample_record(100 + i) for i in range(9)])
    second = api.checkpointer.sign_pending()
    assert first is not None and second is not None
    doc = await api.ok("/audit/consistency", REGULATOR, first=first.size, second=second.size)
    proof = [base64.b64decode(h) for h in doc["proof"]]
    merkle.verify_consistency(first.size, second.size, first.root, second.root, proof)
    assert base64.b64decode(doc["second_root"]) == second.root
    default = await api.ok("/audit/consistency", REGULATOR, first=first.size)
    assert default["second"] == second.size and default["proof"] == doc["proof"]
    assert (await api.get("/audit/consistency", ADMIN, first=5, second=4)).status_code == 400
    too_big = await api.get("/audit/consistency", ADMIN, first=1, second=10**6)
    assert too_big.status_code == 400 and "the log size" in too_big.json()["error"]["message"]
    assert (await api.get("/audit/consistency", ADMIN)).status_code == 422
    assert (await api.get("/audit/consistency", ADMIN, first=-1)).status_code == 422


# ---- exports -------------------------------------------------------------------------------


async def export(api: AuditApi, bearer: str = ADMIN, **params: Any) -> httpx.Response:
    response = await api.get("/audit/export", bearer, **params)
    assert response.status_code == 200, response.text
    return response


async def test_jsonl_export_verifies_offline(
    api: AuditApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api.checkpointer.sign_pending()
    response = await export(api, format="jsonl")
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = response.content.splitlines()
    items = [orjson.loads(line) for line in lines[: len(RECORDS)]]
    assert items == await api.all_items(ADMIN)
    assert orjson.loads(lines[-1])["checkpoint"]["size"] == len(RECORDS)
    (tmp_path / "export.jsonl").write_bytes(response.content)
    vkey = tmp_path / "log.vkey"
    vkey.write_text((await api.ok("/audit/checkpoints/latest"))["public_key"]["vkey"])
    code = cli.main(["audit", "verify", "--export", str(tmp_path / "export.jsonl"),
                     "--public-key", str(vkey)])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"records:     {len(RECORDS)}" in out


async def test_export_is_scoped_and_masked(api: AuditApi) -> None:
    lines = (await export(api, AUDITOR, format="jsonl", outcome="allow")).content.splitlines()
    items = [orjson.loads(line) for line in lines]
    assert ids(items) == expected(lambda r: r.org == "acme-us" and r.outcome == "allow")
    with_travel = [i for i in items if i["view_masked"]]
    assert with_travel and all(i["input"]["travel_rule"] == "masked" for i in with_travel)


async def test_csv_export(api: AuditApi) -> None:
    response = await export(api, format="csv", org="acme-us")
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="decisions.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["id"] for row in rows] == expected(lambda r: r.org == "acme-us")
    bait = next(row for row in rows if row["id"] == RECORDS[41].id)
    assert bait["method"] == '\'=HYPERLINK("http://x")'  # not a live formula
    assert orjson.loads(bait["record"]) == RECORDS[41].to_json()  # the JSON stays exact
    first = rows[0]
    assert first["leaf_index"] == "0" and first["org"] == "acme-us"
    assert first["jurisdictions"] == ";".join(RECORDS[0].jurisdictions)


async def test_opa_export(api: AuditApi) -> None:
    lines = (await export(api, AUDITOR, format="opa")).content.splitlines()
    events = [orjson.loads(line) for line in lines]
    mine = [r for r in RECORDS if r.org == "acme-us"]
    assert [e["decision_id"] for e in events] == [r.id for r in mine]
    event, record = events[1], mine[1]
    assert event["path"] == "governance/main/decision"
    assert event["bundles"] == {"governance": {"revision": "rev-test"}}
    assert event["timestamp"] == record.time
    assert event["result"] == record.result
    assert event["erased"] == []
    masked = [e for e in events if e["masked"]]
    assert masked and all(e["masked"] == ["/input/travel_rule"] for e in masked)
    assert all(e["input"]["travel_rule"] == "masked" for e in masked)


async def test_unknown_export_format(api: AuditApi) -> None:
    response = await api.get("/audit/export", ADMIN, format="xml")
    assert response.status_code == 400
    assert "format 'xml' must be one of jsonl, csv, opa" in response.json()["error"]["message"]

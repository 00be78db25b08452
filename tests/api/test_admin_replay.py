"""`POST /admin/replay` on the real gateway: roles, both ways of sending a draft, filters,
refusals, and the same exact answer as the offline replay on traffic the gateway recorded."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from governance.api.admin_routes import admin_router
from governance.policy.bundle import build_bundle
from governance.policy.source import load_policy_source
from tests.conftest import Anvil, GatewayServer, make_settings, token
from tests.policy.conftest import (
    TIGHT_USD,
    drive_traffic,
    expected_affected,
    recorded,
    tightened_draft,
)


def with_admin_routes(gw: GatewayServer) -> GatewayServer:
    """Mounts the admin router as app.py will (see the report), unless it already does."""
    api = gw.server.config.app.api
    if not any(getattr(r, "path", None) == "/admin/replay" for r in api.routes):
        api.include_router(admin_router)
    return gw


@pytest.fixture(scope="module")
def module_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("admin-replay")


@pytest.fixture(scope="module")
def gw(module_tmp: Path, policy_dir: Path, anvil: Anvil) -> Iterator[GatewayServer]:
    settings = make_settings(anvil.url, policy_dir, module_tmp / "log.db")
    settings = replace(settings, policy=replace(settings.policy, drafts_dir=str(module_tmp)))
    server = with_admin_routes(GatewayServer(settings)).__enter__()
    drive_traffic(server, anvil, "admin-replay-alice")
    yield server
    server.__exit__()


@pytest.fixture(scope="module")
def draft_dir(module_tmp: Path, policy_dir: Path) -> Path:
    return tightened_draft(policy_dir, module_tmp / "draft")


def post(gw: GatewayServer, body: dict[str, Any], bearer: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    return httpx.post(f"{gw.url}/admin/replay", json=body, headers=headers, timeout=60)


def officer() -> str:
    return token(sub="olga", org="acme-us", roles=("compliance_officer",))


def wait_recorded(gw: GatewayServer) -> list[dict[str, Any]]:
    records = recorded(gw)
    # Reads are group-committed; the traffic ends with a durable write, so all are in.
    assert records and records[-1]["kind"] == "write"
    return records


@pytest.mark.slow
def test_officer_replays_a_server_side_draft(gw: GatewayServer, draft_dir: Path) -> None:
    records = wait_recorded(gw)
    resp = post(gw, {"bundle_path": str(draft_dir), "examples": 100}, officer())
    assert resp.status_code == 200, resp.text
    report = resp.json()
    expected = expected_affected(records, TIGHT_USD)
    assert expected
    assert {e["id"] for e in report["examples"]["allow_to_deny"]} == expected
    assert report["allow_to_deny"] == len(expected)
    assert report["deny_to_allow"] == 0
    assert report["draft_revision"] == load_policy_source(draft_dir).revision


@pytest.mark.slow
def test_admin_uploads_a_bundle_with_filters(gw: GatewayServer, draft_dir: Path) -> None:
    records = wait_recorded(gw)
    bundle = build_bundle(load_policy_source(draft_dir), "uploaded-1")
    body = {
        "bundle_base64": base64.b64encode(bundle).decode(),
        "jurisdiction": "US",
        "since": records[0]["time"],
        "examples": 2,
    }
    resp = post(gw, body, token(sub="root", roles=("admin",)))
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert report["draft_revision"] == "uploaded-1"
    assert report["examined"] == len(records)
    assert report["filters"]["jurisdiction"] == "US"
    assert len(report["examples"]["allow_to_deny"]) == 2  # examples capped, count is not
    assert report["allow_to_deny"] == len(expected_affected(records, TIGHT_USD))
    later = post(gw, body | {"since": "2999-01-01"}, token(sub="root", roles=("admin",)))
    assert later.json()["examined"] == 0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("bearer", "status"),
    [(None, 401), ("not-a-jwt", 401), ("trader", 403), ("auditor", 403)],
)
def test_roles(gw: GatewayServer, draft_dir: Path, bearer: str | None, status: int) -> None:
    if bearer in ("trader", "auditor"):
        bearer = token(sub="x", roles=(bearer,))
    resp = post(gw, {"bundle_path": str(draft_dir)}, bearer)
    assert resp.status_code == status
    assert "error" in resp.json()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "exactly one"),
        ({"bundle_path": "x", "bundle_base64": "eA=="}, "exactly one"),
        ({"bundle_base64": "%%%"}, "not base64"),
        ({"bundle_base64": base64.b64encode(b"junk").decode()}, "not a gzipped tar"),
        ({"bundle_path": "nonexistent-draft"}, "cannot read bundle"),
        ({"bundle_path": "/etc"}, "must lie inside policy.drafts_dir"),
        ({"bundle_path": "../../../../etc"}, "must lie inside policy.drafts_dir"),
        ({"bundle_path": "http://example.invalid/b.tar.gz"}, "not a URL"),
        ({"bundle_path": "DRAFT", "since": "yesterday"}, "since"),
    ],
)
def test_bad_requests_are_422(
    gw: GatewayServer, draft_dir: Path, body: dict[str, Any], message: str
) -> None:
    if body.get("bundle_path") == "DRAFT":
        body = body | {"bundle_path": str(draft_dir)}
    resp = post(gw, body, officer())
    assert resp.status_code == 422, resp.text
    assert message in resp.json()["error"]["message"]


@pytest.mark.slow
def test_uncompilable_draft_is_422(gw: GatewayServer, draft_dir: Path, module_tmp: Path) -> None:
    import shutil

    broken = module_tmp / "broken"
    shutil.copytree(draft_dir, broken)
    (broken / "governance" / "oops.rego").write_text(
        "package governance.oops\n\nimport rego.v1\n\nx if { y == 1 }\n"
    )
    resp = post(gw, {"bundle_path": str(broken)}, officer())
    assert resp.status_code == 422
    assert "does not compile" in resp.json()["error"]["message"]


@pytest.mark.slow
def test_officer_replays_only_their_own_org(gw: GatewayServer, draft_dir: Path) -> None:
    """A draft may copy any stored field into a reason; an officer of another org must not see
    acme-us's records through it: nothing of theirs is examined or shown."""
    records = wait_recorded(gw)
    assert {r["subject"]["org"] for r in records} == {"acme-us"}
    other = token(sub="hans", org="hanse-de", jurisdiction="DE", roles=("compliance_officer",))
    resp = post(gw, {"bundle_path": "draft", "examples": 100}, other)
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert report["examined"] == 0 and report["allow_to_deny"] == 0
    assert all(not v for v in report["examples"].values())
    admin = post(gw, {"bundle_path": "draft"}, token(sub="root", roles=("admin",)))
    assert admin.json()["examined"] == len(records)


@pytest.mark.slow
def test_replay_limit_is_capped(gw: GatewayServer) -> None:
    resp = post(gw, {"bundle_path": "draft", "limit": 10_000_000}, officer())
    assert resp.status_code == 422 and "limit" in resp.json()["error"]["message"]

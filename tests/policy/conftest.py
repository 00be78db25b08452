"""What the policy tests share: a small policy tree in the shipped layout, the keys that sign
its bundles and an HTTP host that serves them, and gateway traffic to replay a tightened draft
against."""

from __future__ import annotations

import hashlib
import http.server
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from governance.audit.sqlstore import SqlLog
from tests.conftest import ACCOUNTS, Anvil, GatewayServer, rpc, signed_transfer, token

SANCTIONED = "0x8589427373d6d84e98730d7795d8f6f8731fda16"
OTHER = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
MAIN_REGO = """package governance.main

import rego.v1

import data.governance.lib.ctx

reasons contains r if some r in data.governance.lib.checks.deny

decision := {
\t"allow": count(reasons) == 0,
\t"reasons": [r | some r in reasons],
\t"obligations": {"redact": [], "report": [], "require_travel_rule": false},
\t"jurisdictions": [ctx.doc.subject.jurisdiction],
\t"mask": [],
}
"""


# Policies read the input through one rule, so tests can replace it (the shipped convention).
CTX_REGO = """package governance.lib.ctx

import rego.v1

doc := input
"""


CHECKS_REGO = """package governance.lib.checks

import rego.v1

import data.governance.lib.ctx

reason(code, j) := {"code": code, "jurisdiction": j, "regulation": "test", "message": code}

deny contains reason("KYC_REQUIRED", ctx.doc.subject.jurisdiction) if {
\tctx.doc.subject.kyc != "verified"
}

deny contains reason("SANCTIONED_PARTY", "US") if {
\tsome party in ctx.doc.parties
\tparty.sanctioned
}

deny contains reason("METHOD_BLOCKED", j) if {
\tj := ctx.doc.subject.jurisdiction
\tctx.doc.request.method in data.reference.jurisdictions[j].blocked_methods
}

deny contains reason("AMOUNT_LIMIT", j) if {
\tctx.doc.tx != null
\tj := ctx.doc.subject.jurisdiction
\tctx.doc.tx.amount_usd > data.reference.jurisdictions[j].max_usd
}
"""


CHECKS_TEST_REGO = """package governance.lib.checks_test

import rego.v1

kyc_none := {"subject": {"kyc": "none", "jurisdiction": "US"}, "parties": {}, "tx": null}

verified := {"subject": {"kyc": "verified", "jurisdiction": "US"}, "parties": {}, "tx": null}

test_kyc_denied if {
\td := data.governance.main.decision with data.governance.lib.ctx.doc as kyc_none
\tnot d.allow
}

test_read_allowed if {
\td := data.governance.main.decision with data.governance.lib.ctx.doc as verified
\td.allow
}
"""


SDN_CSV = (
    '36,"AEROCARIBBEAN AIRLINES",-0-,"CUBA",-0-,-0-,-0-,-0-,-0-,-0-,-0-,"Havana."\n'
    '306,"LAZARUS TEST",individual,"DPRK3",-0-,-0-,-0-,-0-,-0-,-0-,-0-,'
    f'"Digital Currency Address - ETH {SANCTIONED.upper().replace("0X", "0x")}; alt."\n'
)


def write_policy_tree(
    root: Path, max_usd: float = 10_000.0, *, blocked: tuple[str, ...] = (), extra_test: str = ""
) -> Path:
    """A small tree with the shipped layout: governance/main.rego producing the decision of
    docs/policy-input.md, lib packages, a test beside them, data/*.json and data/sdn.csv.
    `blocked`: methods US callers may not call (a visible difference between revisions)."""
    (root / "governance").mkdir(parents=True, exist_ok=True)
    (root / "lib").mkdir(exist_ok=True)
    (root / "data").mkdir(exist_ok=True)
    (root / "governance" / "main.rego").write_text(MAIN_REGO)
    (root / "lib" / "ctx.rego").write_text(CTX_REGO)
    (root / "lib" / "checks.rego").write_text(CHECKS_REGO)
    (root / "lib" / "checks_test.rego").write_text(CHECKS_TEST_REGO + extra_test)
    jurisdictions = {
        "US": {"max_usd": max_usd, "blocked_methods": list(blocked)},
        "CN": {"max_usd": max_usd / 2, "blocked_methods": []},
    }
    (root / "data" / "jurisdictions.json").write_text(json.dumps(jurisdictions))
    (root / "data" / "rates.json").write_text(json.dumps({"ETH": 3000.0, "USDC": 1.0}))
    (root / "data" / "entities.json").write_text(
        json.dumps(
            {
                OTHER: {
                    "org": "acme-us",
                    "jurisdiction": "US",
                    "entity_kind": "institution",
                    "kyc": "verified",
                    "self_hosted": False,
                }
            }
        )
    )
    (root / "data" / "sdn.csv").write_text(SDN_CSV)
    return root


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


TIGHT_USD = 2_000.0


def tightened_draft(policy_dir: Path, target: Path, limit_usd: float = TIGHT_USD) -> Path:
    """The shipped tree with one threshold tightened: the US daily limit of institutions."""
    shutil.copytree(policy_dir, target)
    path = target / "data" / "jurisdictions.json"
    doc = json.loads(path.read_text())
    assert doc["US"]["daily_limit"]["currency"] == "USD"
    doc["US"]["daily_limit"]["limits"]["institution"] = limit_usd
    path.write_text(json.dumps(doc, indent=2))
    return target


def drive_traffic(gw: GatewayServer, anvil: Anvil, sub: str) -> None:
    """Eight 0.2 ETH (500 USD) transfers by one US institution to an address outside its org
    (what counts against limits is the value that leaves the org), reads, and denials."""
    bearer = token(sub=sub, org="acme-us", jurisdiction="US", entity_kind="institution")
    for _ in range(8):
        raw = signed_transfer(anvil, 0, ACCOUNTS[9].address, 2 * 10**17)
        resp = rpc(gw.rpc_url(), "eth_sendRawTransaction", [raw], bearer=bearer)
        assert "result" in resp.json(), resp.text
        assert rpc(gw.rpc_url(), "eth_blockNumber", [], bearer=bearer).status_code == 200
    denied = rpc(
        gw.rpc_url(),
        "eth_sendRawTransaction",
        [signed_transfer(anvil, 0, ACCOUNTS[0].address, 10**15)],
        bearer=token(sub=sub + "-nokyc", kyc="none"),
    )
    assert denied.json()["error"]["code"] == -32003


def allowed_then_denied(gw: GatewayServer, anvil: Anvil) -> None:
    """A transfer by alice@acme-us the policy allows, then one it refuses for missing KYC."""
    raw = signed_transfer(anvil, 0, ACCOUNTS[0].address, 10**15)
    ok = rpc(gw.rpc_url(), "eth_sendRawTransaction", [raw], bearer=token(sub="alice"))
    assert "result" in ok.json(), ok.text
    raw = signed_transfer(anvil, 0, ACCOUNTS[0].address, 10**15)
    denied = rpc(gw.rpc_url(), "eth_sendRawTransaction", [raw], bearer=token(kyc="none"))
    assert denied.json()["error"]["code"] == -32003 and "KYC_REQUIRED" in denied.text, denied.text


def recorded(gw: GatewayServer) -> list[dict[str, Any]]:
    store = SqlLog(gw.settings.audit.database_url)
    try:
        return store.records(limit=10_000)
    finally:
        store.close()


def expected_affected(records: list[dict[str, Any]], limit_usd: float) -> set[str]:
    """Allowed writes whose day total would pass the tightened (US) limit, from recorded inputs."""
    out = set()
    for r in records:
        tx = r["input"].get("tx")
        if not (r["kind"] == "write" and r["outcome"] == "allow" and tx):
            continue
        spent = r["input"]["aggregates"]["by_jurisdiction"]["US"]["person_daily_usd"]
        if spent + tx["amount_usd"] > limit_usd:
            out.add(r["id"])
    return out


class BundleHost:
    """A plain HTTP server handing out one bundle at `url` with an ETag (by default the body's
    hash), answering 304 to a matching If-None-Match. Records every request's If-None-Match
    and counts the full answers."""

    def __init__(self, body: bytes = b"", etag: str | None = None) -> None:
        self.body, self.etag = body, etag
        self.requests: list[str | None] = []
        self.full = 0
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/bundles/governance.tar.gz"

    def serve(self, body: bytes, etag: str | None = None) -> None:
        self.body, self.etag = body, etag

    def current_etag(self) -> str:
        return self.etag or f'"{hashlib.sha256(self.body).hexdigest()[:16]}"'

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        host = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen = self.headers.get("If-None-Match")
                host.requests.append(seen)
                etag = host.current_etag()
                if seen == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                host.full += 1
                self.send_response(200)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(host.body)))
                self.end_headers()
                self.wfile.write(host.body)

            def log_message(self, *args: object) -> None:
                return

        return Handler

    def __enter__(self) -> BundleHost:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()


@pytest.fixture
def bundle_host() -> Iterator[BundleHost]:
    with BundleHost() as host:
        yield host

"""The gateway core end to end: real HTTP, real anvil node, real SQLite log, web3.py and
eth-account clients, and the shipped policies."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy.exc import OperationalError
from web3 import Web3

from governance.policy.source import parse_sdn_csv
from tests.conftest import ACCOUNTS, SECRET, WEI, Anvil, GatewayServer, rpc, signed_transfer, token


def web3_for(gw: GatewayServer, bearer: str) -> Web3:
    return Web3(
        Web3.HTTPProvider(
            gw.rpc_url(),
            request_kwargs={"headers": {"Authorization": f"Bearer {bearer}"}, "timeout": 30},
        )
    )


def reason_codes(resp: httpx.Response) -> list[str]:
    doc = resp.json()
    assert doc["error"]["code"] == -32003, doc
    return [r["code"] for r in doc["error"]["data"]["reasons"]]


def test_allowed_transfer_is_mined_and_receipt_readable(
    gateway: GatewayServer, anvil: Anvil
) -> None:
    bearer = token(sub="alice", org="acme-us", jurisdiction="US")
    raw = signed_transfer(anvil, 0, ACCOUNTS[1].address, WEI // 100)
    resp = rpc(gateway.rpc_url(), "eth_sendRawTransaction", [raw], bearer=bearer)
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert "result" in doc, doc
    assert resp.headers["x-decision-id"]
    w3 = web3_for(gateway, bearer)
    receipt = w3.eth.wait_for_transaction_receipt(doc["result"], timeout=30)
    assert receipt["status"] == 1
    assert receipt["from"].lower() == ACCOUNTS[0].address.lower()


def test_web3_client_reads_through_gateway(gateway: GatewayServer) -> None:
    w3 = web3_for(gateway, token())
    assert w3.eth.chain_id == 31337
    assert w3.eth.get_balance(ACCOUNTS[0].address) > 0
    assert w3.eth.block_number >= 0


def test_web3_signed_write_through_gateway(gateway: GatewayServer, anvil: Anvil) -> None:
    w3 = web3_for(gateway, token())
    before = w3.eth.get_balance(ACCOUNTS[1].address)
    raw = signed_transfer(anvil, 0, ACCOUNTS[1].address, 12345)
    tx_hash = w3.eth.send_raw_transaction(raw)
    w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    assert w3.eth.get_balance(ACCOUNTS[1].address) == before + 12345


def test_kyc_required(gateway: GatewayServer, anvil: Anvil) -> None:
    raw = signed_transfer(anvil, 0, ACCOUNTS[1].address, 1000)
    resp = rpc(gateway.rpc_url(), "eth_sendRawTransaction", [raw], bearer=token(kyc="pending"))
    assert "KYC_REQUIRED" in reason_codes(resp)
    assert resp.json()["error"]["data"]["decision_id"] == resp.headers["x-decision-id"]


def test_role_forbidden(gateway: GatewayServer, anvil: Anvil) -> None:
    raw = signed_transfer(anvil, 0, ACCOUNTS[1].address, 1000)
    resp = rpc(gateway.rpc_url(), "eth_sendRawTransaction", [raw], bearer=token(roles=("auditor",)))
    assert "ROLE_FORBIDDEN" in reason_codes(resp)


def test_sender_not_owned(gateway: GatewayServer, anvil: Anvil) -> None:
    raw = signed_transfer(anvil, 2, ACCOUNTS[3].address, 1000)  # panda-cn's address
    resp = rpc(gateway.rpc_url(), "eth_sendRawTransaction", [raw], bearer=token(org="acme-us"))
    assert "SENDER_NOT_OWNED" in reason_codes(resp)


def test_sanctioned_recipient(gateway: GatewayServer, anvil: Anvil, policy_dir: Path) -> None:
    sanctioned = sorted(parse_sdn_csv((policy_dir / "data" / "sdn.csv").read_text()))[0]
    raw = signed_transfer(anvil, 0, sanctioned, 1000)
    resp = rpc(gateway.rpc_url(), "eth_sendRawTransaction", [raw], bearer=token())
    assert "SANCTIONED_PARTY" in reason_codes(resp)


def test_chain_id_mismatch(gateway: GatewayServer, anvil: Anvil) -> None:
    raw = signed_transfer(anvil, 0, ACCOUNTS[1].address, 1000, chain_id=1)
    resp = rpc(gateway.rpc_url(), "eth_sendRawTransaction", [raw], bearer=token())
    assert "CHAIN_ID_MISMATCH" in reason_codes(resp)


def test_unknown_method_forbidden(gateway: GatewayServer) -> None:
    resp = rpc(gateway.rpc_url(), "eth_totallyMadeUp", [], bearer=token())
    assert "METHOD_FORBIDDEN" in reason_codes(resp)


def test_admin_method_needs_admin_role(gateway: GatewayServer, anvil: Anvil) -> None:
    params = [ACCOUNTS[9].address, hex(10**30)]
    denied = rpc(gateway.rpc_url(), "anvil_setBalance", params, bearer=token())
    assert "METHOD_FORBIDDEN" in reason_codes(denied)
    assert int(anvil.rpc("eth_getBalance", [ACCOUNTS[9].address, "latest"]), 16) < 10**30
    admin = token(sub="root", roles=("admin",))
    allowed = rpc(gateway.rpc_url(), "anvil_setBalance", params, bearer=admin)
    assert "error" not in allowed.json(), allowed.text
    assert int(anvil.rpc("eth_getBalance", [ACCOUNTS[9].address, "latest"]), 16) == 10**30


def test_node_held_key_send_transaction(gateway: GatewayServer, anvil: Anvil) -> None:
    tx = {"from": ACCOUNTS[0].address, "to": ACCOUNTS[1].address, "value": hex(777)}
    resp = rpc(gateway.rpc_url(), "eth_sendTransaction", [tx], bearer=token())
    assert "result" in resp.json(), resp.text
    denied = rpc(gateway.rpc_url(), "eth_sendTransaction", [tx], bearer=token(org="panda-cn"))
    assert "SENDER_NOT_OWNED" in reason_codes(denied)


def test_batch_mixes_allowed_and_denied(gateway: GatewayServer, anvil: Anvil) -> None:
    raw = signed_transfer(anvil, 2, ACCOUNTS[3].address, 1000)  # not acme-us's address
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_sendRawTransaction", "params": [raw]},
        {"jsonrpc": "2.0", "id": 3, "method": "eth_blockNumber", "params": []},
        {"jsonrpc": "1.0", "id": 4, "method": "eth_blockNumber"},
    ]
    resp = httpx.post(
        gateway.rpc_url(), json=batch, headers={"Authorization": f"Bearer {token()}"}, timeout=30
    )
    assert resp.status_code == 200
    out = {item["id"]: item for item in resp.json()}
    assert out[1]["result"] == "0x7a69"
    assert out[2]["error"]["code"] == -32003
    assert "result" in out[3]
    assert out[4]["error"]["code"] == -32600  # invalid, but its id could be read
    ids = resp.headers["x-decision-id"].split(",")
    assert len(ids) == 4 and ids[3] == "-" and len(set(ids[:3])) == 3


def test_errors_from_node_pass_through(gateway: GatewayServer) -> None:
    resp = rpc(gateway.rpc_url(), "eth_getBalance", ["0x1234", "latest"], bearer=token())
    doc = resp.json()
    assert resp.status_code == 200
    assert "error" in doc and doc["error"]["code"] not in (-32003, -32005)


def test_malformed_json_and_invalid_requests(gateway: GatewayServer) -> None:
    auth = {"Authorization": f"Bearer {token()}"}
    bad = httpx.post(gateway.rpc_url(), content=b"{not json", headers=auth)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == -32700
    empty = httpx.post(gateway.rpc_url(), content=b"[]", headers=auth)
    assert empty.status_code == 400 and empty.json()["error"]["code"] == -32600
    many = [{"jsonrpc": "2.0", "id": i, "method": "eth_chainId"} for i in range(101)]
    big = httpx.post(gateway.rpc_url(), json=many, headers=auth)
    assert big.status_code == 400 and big.json()["error"]["code"] == -32600
    not_rpc = httpx.post(gateway.rpc_url(), json={"hello": "world"}, headers=auth)
    assert not_rpc.status_code == 400 and not_rpc.json()["error"]["code"] == -32600


def test_body_over_limit_is_413(gateway: GatewayServer) -> None:
    body = b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":["' + b"a" * (1 << 20) + b'"]}'
    resp = httpx.post(
        gateway.rpc_url(), content=body, headers={"Authorization": f"Bearer {token()}"}, timeout=30
    )
    assert resp.status_code == 413


def test_unknown_ledger_is_404(gateway: GatewayServer) -> None:
    resp = rpc(gateway.rpc_url("nope"), "eth_chainId", bearer=token())
    assert resp.status_code == 404
    assert rpc(gateway.rpc_url("main"), "eth_chainId", bearer=token()).json()["result"] == "0x7a69"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer not.a.jwt"},
        {"Authorization": "Bearer"},
    ],
)
def test_unauthenticated_is_401(gateway: GatewayServer, headers: dict[str, str]) -> None:
    resp = httpx.post(
        gateway.rpc_url(),
        json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"},
        headers=headers,
    )
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == -32001


def test_jwt_attacks_over_http(gateway: GatewayServer) -> None:
    import base64
    import time

    import jwt as pyjwt

    def b64(d: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    claims = {
        "sub": "eve",
        "org": "acme-us",
        "jurisdiction": "US",
        "roles": ["admin"],
        "entity_kind": "institution",
        "kyc": "verified",
        "exp": int(time.time()) + 600,
    }
    forged = [
        b64({"alg": "none", "typ": "JWT"}) + "." + b64(claims) + ".",
        pyjwt.encode(claims, "wrong-secret-0123456789-0123456789", algorithm="HS256"),
        pyjwt.encode(claims | {"exp": int(time.time()) - 120}, SECRET, algorithm="HS256"),
        pyjwt.encode({k: v for k, v in claims.items() if k != "org"}, SECRET, algorithm="HS256"),
        pyjwt.encode(claims | {"jurisdiction": "usa"}, SECRET, algorithm="HS256"),
        pyjwt.encode(claims | {"nbf": int(time.time()) + 3600}, SECRET, algorithm="HS256"),
    ]
    for bad in forged:
        resp = rpc(gateway.rpc_url(), "eth_chainId", bearer=bad)
        assert resp.status_code == 401, bad
        assert resp.json()["error"]["code"] == -32001
        assert resp.json()["error"]["message"]


def test_every_decision_is_recorded(gateway: GatewayServer, anvil: Anvil) -> None:
    allowed = rpc(gateway.rpc_url(), "eth_chainId", bearer=token())
    denied = rpc(gateway.rpc_url(), "eth_totallyMadeUp", bearer=token())
    ids = [allowed.headers["x-decision-id"], denied.headers["x-decision-id"]]
    gateway.__exit__()  # graceful stop flushes group-committed reads
    db = gateway.settings.audit.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        rows = dict(
            conn.execute("SELECT id, outcome FROM decisions WHERE id IN (?, ?)", ids).fetchall()
        )
    assert rows == {ids[0]: "allow", ids[1]: "deny"}


def test_node_down_is_502_and_gateway_lives(gateway_factory: Any, fresh_anvil: Anvil) -> None:
    gw = gateway_factory(node_url=fresh_anvil.url)
    assert rpc(gw.rpc_url(), "eth_chainId", bearer=token()).json()["result"] == "0x7a69"
    fresh_anvil.stop()
    resp = rpc(gw.rpc_url(), "eth_blockNumber", bearer=token())
    assert resp.status_code == 502
    err = resp.json()["error"]
    assert err["code"] == -32005 and err["data"]["ledger"] == "main"
    assert httpx.get(f"{gw.url}/healthz").status_code == 200
    assert httpx.get(f"{gw.url}/readyz").status_code == 503


def test_log_unwritable_fails_closed(gateway_factory: Any, fresh_anvil: Anvil) -> None:
    gw = gateway_factory(node_url=fresh_anvil.url)
    assert rpc(gw.rpc_url(), "eth_chainId", bearer=token()).status_code == 200
    db = Path(gw.settings.audit.database_url.removeprefix("sqlite:///"))
    # Break the log: a trigger refuses every insert (root ignores file permissions).
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TRIGGER no_more BEFORE INSERT ON decisions "
            "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
        )
    nonce_before = fresh_anvil.rpc("eth_getTransactionCount", [ACCOUNTS[0].address, "latest"])
    raw = signed_transfer(fresh_anvil, 0, ACCOUNTS[1].address, 1000)
    resp = rpc(gw.rpc_url(), "eth_sendRawTransaction", [raw], bearer=token())
    assert resp.status_code == 503
    assert resp.json()["error"]["code"] == -32006
    assert (
        fresh_anvil.rpc("eth_getTransactionCount", [ACCOUNTS[0].address, "pending"]) == nonce_before
    )
    # Reads are refused too while the log is failing: nothing unrecorded goes through.
    assert rpc(gw.rpc_url(), "eth_blockNumber", bearer=token()).json()["error"]["code"] == -32006
    assert httpx.get(f"{gw.url}/readyz").status_code == 503


def test_a_write_whose_commit_is_lost_spends_nothing(
    gateway_factory: Any, fresh_anvil: Anvil
) -> None:
    """The database took the write's record, but the acknowledgement of its COMMIT was lost:
    the caller is refused -32006 and nothing reaches the node, so once the log is healthy the
    record's amount is released (it counted against the sender's limits for nothing)."""
    gw = gateway_factory(node_url=fresh_anvil.url)
    store = gw.services.decision_log.store
    appended = store.append_batch

    def lose_first_commit(records: Any, unsure: Any = ()) -> Any:
        appended(records, unsure)
        store.append_batch = appended  # once
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    store.append_batch = lose_first_commit
    nonce = fresh_anvil.rpc("eth_getTransactionCount", [ACCOUNTS[0].address, "pending"])
    outside = Web3.to_checksum_address("0x" + "ab" * 20)  # no org of the directory
    raw = signed_transfer(fresh_anvil, 0, outside, WEI // 10)
    resp = rpc(gw.rpc_url(), "eth_sendRawTransaction", [raw], bearer=token())
    assert resp.json()["error"]["code"] == -32006, resp.text
    decision = resp.headers["x-decision-id"]
    assert fresh_anvil.rpc("eth_getTransactionCount", [ACCOUNTS[0].address, "pending"]) == nonce
    db = Path(gw.settings.audit.database_url.removeprefix("sqlite:///"))

    def spend() -> tuple[str, int]:
        with sqlite3.connect(db) as conn:
            outcome = conn.execute("SELECT outcome FROM decisions WHERE id = ?", (decision,))
            released = conn.execute("SELECT released FROM spend WHERE decision_id = ?", (decision,))
            return outcome.fetchone()[0], released.fetchone()[0]

    deadline = time.monotonic() + 30
    while spend() != ("allow", 1) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert spend() == ("allow", 1)  # stored as allowed, and spending nothing
    again = rpc(gw.rpc_url(), "eth_sendRawTransaction", [raw], bearer=token())
    assert "result" in again.json(), again.text  # the log is writable again


@pytest.mark.parametrize("raw", ["0xdeadbeef", "0x02c0", "0x"])
def test_undecodable_write_is_refused_by_its_own_rule(gateway: GatewayServer, raw: str) -> None:
    resp = rpc(gateway.rpc_url(), "eth_sendRawTransaction", [raw], bearer=token())
    assert "UNDECODABLE_TRANSACTION" in reason_codes(resp)


@pytest.mark.parametrize("jurisdiction", ["XX", "UK", "ZZ"])
def test_token_with_a_jurisdiction_that_names_no_country_is_401(
    gateway: GatewayServer, jurisdiction: str
) -> None:
    claims = {
        "sub": "x",
        "org": "acme-us",
        "jurisdiction": jurisdiction,
        "roles": ["trader"],
        "entity_kind": "institution",
        "kyc": "verified",
        "exp": int(time.time()) + 60,
    }
    resp = rpc(gateway.rpc_url(), "eth_chainId", bearer=jwt.encode(claims, SECRET, "HS256"))
    assert resp.status_code == 401 and resp.json()["error"]["code"] == -32001
    assert "ISO 3166-1" in resp.json()["error"]["message"]


def test_node_errors_do_not_show_the_node_address(gateway_factory: Any) -> None:
    from tests.conftest import free_port

    port = free_port()  # nothing listens there
    gw: GatewayServer = gateway_factory(node_url=f"http://127.0.0.1:{port}")
    resp = rpc(gw.rpc_url(), "eth_blockNumber", bearer=token())
    err = resp.json()["error"]
    assert err["code"] == -32005
    assert str(port) not in resp.text and "127.0.0.1" not in resp.text, resp.text
    status = httpx.get(f"{gw.url}/status").text
    assert str(port) not in status


def _shape_hits(gw: GatewayServer) -> float:
    text = httpx.get(f"{gw.url}/metrics", timeout=10).text
    line = 'governance_shape_cache_lookups_total{result="hit"} '
    return float(next(x for x in text.splitlines() if x.startswith(line))[len(line) :])


def test_a_second_write_of_one_shape_is_validated_by_its_shape(
    gateway: GatewayServer, anvil: Anvil
) -> None:
    """The input's validation is memoised by shape (governance/policy/input_shape.py): the
    second transfer alike to the first is decided without checking its shape again, and
    both are mined."""
    bearer = token(sub="alice", org="acme-us", jurisdiction="US")
    hashes = []
    for n in range(2):
        if n == 1:
            before = _shape_hits(gateway)
        raw = signed_transfer(anvil, 0, ACCOUNTS[1].address, WEI // 1000 + n)
        resp = rpc(gateway.rpc_url(), "eth_sendRawTransaction", [raw], bearer=bearer)
        assert "result" in resp.json(), resp.text
        hashes.append(resp.json()["result"])
    assert _shape_hits(gateway) >= before + 1
    w3 = web3_for(gateway, bearer)
    for tx in hashes:
        assert w3.eth.wait_for_transaction_receipt(tx, timeout=30)["status"] == 1

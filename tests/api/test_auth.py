"""Authentication: header parsing, key sources and their algorithms, claims, cache, JWKS."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from governance.api import auth
from governance.api.auth import Authenticator, AuthSettings, mint_token
from governance.domain.models import Subject
from governance.errors import UNAUTHENTICATED, AuthError

SECRET = "test-secret-0123456789abcdef-0123456789"  # >= 32 bytes: no PyJWT key-length warning
VALID = {"sub": "alice", "org": "acme", "jurisdiction": "DE", "roles": ["trader"]}
VALID |= {"entity_kind": "institution", "kyc": "verified"}

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


def claims(**overrides: Any) -> dict[str, Any]:
    out = {**VALID, "exp": int(time.time()) + 3600, **overrides}
    return {k: v for k, v in out.items() if v is not None}


def hs256(payload: dict[str, Any], secret: str = SECRET, **headers: Any) -> str:
    return jwt.encode(payload, secret, algorithm="HS256", headers=headers or None)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade(header: dict[str, Any], payload: dict[str, Any], secret: bytes | None) -> str:
    """A token built without PyJWT, which refuses to produce the attacks tested here."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    if secret is None:
        return signing_input + "."
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def bearer(token: str) -> str:
    return f"Bearer {token}"


def hs_auth(**settings: Any) -> Authenticator:
    return Authenticator(AuthSettings(jwt_secret=SECRET, **settings))


async def reason(authenticator: Authenticator, authorization: str | None) -> str:
    with pytest.raises(AuthError) as caught:
        await authenticator.authenticate(authorization)
    assert caught.value.code == UNAUTHENTICATED
    return caught.value.message


async def rejected(token: str, authenticator: Authenticator | None = None) -> str:
    return await reason(authenticator or hs_auth(), bearer(token))


def rsa_key() -> PrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def ec_key() -> PrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def ed_key() -> PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def weak_rsa() -> PrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


def p384() -> PrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


def public_pem(private: PrivateKey) -> str:
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


# --- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (dict, "set one of jwt_secret, public_key_pem or jwks_url"),
        (lambda: {"jwt_secret": "short"}, "jwt_secret must be at least 16"),
        (lambda: {"public_key_pem": "-----BEGIN PUBLIC KEY-----\nx\n"}, "public_key_pem: not"),
        (lambda: {"public_key_pem": public_pem(weak_rsa())}, "at least 2048 bits"),
        (lambda: {"public_key_pem": public_pem(p384())}, "unsupported key type"),
        (lambda: {"jwks_url": "file:///etc/jwks"}, "jwks_url must be"),
        (lambda: {"jwks_url": "http://idp.example/jwks"}, "jwks_url must be an https"),
    ],
)
def test_settings_are_validated(settings: Callable[[], dict[str, Any]], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        AuthSettings(**settings())


# --- header ---------------------------------------------------------------------------------


async def test_valid_hs256_token() -> None:
    subject = await hs_auth().authenticate(bearer(hs256(claims(roles=["trader", "auditor"]))))
    assert subject == Subject(
        "alice", "acme", "DE", ("trader", "auditor"), "institution", "verified"
    )


async def test_scheme_is_case_insensitive() -> None:
    subject = await hs_auth().authenticate(f"bearer  {hs256(claims())}  ")
    assert subject.sub == "alice"


@pytest.mark.parametrize("header", [None, "", "   "])
async def test_missing_header(header: str | None) -> None:
    assert await reason(hs_auth(), header) == "missing bearer token"


@pytest.mark.parametrize(
    "header", ["Basic YWxpY2U6cHc=", "Bearer", "Bearer a.b.c extra", "Token x"]
)
async def test_malformed_header(header: str) -> None:
    assert await reason(hs_auth(), header) == "malformed Authorization header"


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        "a.b",
        "a.b.c",
        "é.b.c",
        "x" * 9000 + ".a.b",
        b64(b"[1]") + ".e30.",
        b64(b"[" * 5000) + ".e30.",
    ],
)
async def test_malformed_token(token: str) -> None:
    assert (await rejected(token)).startswith("malformed token")


def test_sync_path_shares_the_rules() -> None:
    authenticator = hs_auth()
    assert authenticator.authenticate_sync(hs256(claims())).org == "acme"
    with pytest.raises(AuthError, match="bad signature"):
        authenticator.authenticate_sync(hs256(claims(), secret=SECRET + "x"))


# --- algorithms -----------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
async def test_alg_none_rejected(alg: str) -> None:
    token = handmade({"alg": alg, "typ": "JWT"}, claims(), secret=None)
    assert await rejected(token) == "algorithm 'none' not allowed"


async def test_hs_rs_confusion_rejected() -> None:
    pem = public_pem(rsa_key())
    token = handmade({"alg": "HS256", "typ": "JWT"}, claims(), secret=pem.encode())
    authenticator = Authenticator(AuthSettings(public_key_pem=pem))
    assert await rejected(token, authenticator) == "algorithm HS256 not allowed for this key"


async def test_confusion_with_secret_configured_too_is_a_bad_signature() -> None:
    pem = public_pem(rsa_key())
    token = handmade({"alg": "HS256", "typ": "JWT"}, claims(), secret=pem.encode())
    authenticator = Authenticator(AuthSettings(jwt_secret=SECRET, public_key_pem=pem))
    assert await rejected(token, authenticator) == "bad signature"


@pytest.mark.parametrize(
    ("key", "alg"), [(SECRET * 2, "HS384"), (SECRET * 2, "HS512"), (rsa_key(), "RS256")]
)
async def test_secret_allows_only_hs256(key: Any, alg: str) -> None:
    token = jwt.encode(claims(), key, algorithm=alg)
    assert await rejected(token) == f"algorithm {alg} not allowed for this key"


async def test_bad_signature() -> None:
    other_secret = "another-secret-0123456789abcdef-xyz"
    assert await rejected(hs256(claims(), secret=other_secret)) == "bad signature"
    head, _, sig = hs256(claims()).split(".")
    forged = f"{head}.{b64(json.dumps(claims(roles=['admin'])).encode())}.{sig}"
    assert await rejected(forged) == "bad signature"


@pytest.mark.parametrize(
    ("make_key", "alg"), [(rsa_key, "RS256"), (ec_key, "ES256"), (ed_key, "EdDSA")]
)
async def test_pem_keys(make_key: Callable[[], PrivateKey], alg: str) -> None:
    private = make_key()
    authenticator = Authenticator(AuthSettings(public_key_pem=public_pem(private)))
    subject = await authenticator.authenticate(bearer(jwt.encode(claims(), private, algorithm=alg)))
    assert subject.sub == "alice"
    other = jwt.encode(claims(), make_key(), algorithm=alg)
    assert await rejected(other, authenticator) == "bad signature"


async def test_pem_key_fixes_the_algorithm() -> None:
    rsa_private = rsa_key()
    authenticator = Authenticator(AuthSettings(public_key_pem=public_pem(rsa_private)))
    ps256 = jwt.encode(claims(), rsa_private, algorithm="PS256")
    assert await rejected(ps256, authenticator) == "algorithm PS256 not allowed for this key"
    es256 = jwt.encode(claims(), ec_key(), algorithm="ES256")
    assert await rejected(es256, authenticator) == "algorithm ES256 not allowed for this key"


# --- time, issuer, audience -----------------------------------------------------------------


HOUR = 3600


@pytest.mark.parametrize(
    ("settings", "overrides", "message"),
    [
        ({}, {"exp": -HOUR}, "token expired"),
        ({"leeway_s": 0}, {"exp": -5}, "token expired"),
        ({"leeway_s": 30}, {"exp": -5}, None),  # within the clock-skew leeway
        ({}, {"nbf": HOUR}, "token not yet valid"),
        ({}, {"iat": HOUR}, "token not yet valid"),
        ({"issuer": "https://idp"}, {"iss": "https://idp"}, None),
        ({"issuer": "https://idp"}, {"iss": "https://evil"}, "wrong issuer"),
        ({"issuer": "https://idp"}, {}, "missing claim 'iss'"),
        ({"audience": "gw"}, {"aud": "gw"}, None),
        ({"audience": "gw"}, {"aud": ["other", "gw"]}, None),
        ({"audience": "gw"}, {"aud": "other"}, "wrong audience"),
        ({"audience": "gw"}, {}, "missing claim 'aud'"),
        ({}, {"iss": "anyone", "aud": "anything"}, None),  # checked only when configured
    ],
)
async def test_time_issuer_audience(
    settings: dict[str, Any], overrides: dict[str, Any], message: str | None
) -> None:
    now = int(time.time())
    times = {k: now + v for k, v in overrides.items() if k in ("exp", "nbf", "iat")}
    token = hs256(claims(**{**overrides, **times}))
    if message is None:
        assert (await hs_auth(**settings).authenticate(bearer(token))).sub == "alice"
    else:
        assert await rejected(token, hs_auth(**settings)) == message


# --- claims ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", auth.REQUIRED_CLAIMS)
async def test_each_missing_claim(name: str) -> None:
    token = hs256(claims(**{name: None}))
    assert await rejected(token) == f"missing claim '{name}'"


@pytest.mark.parametrize("value", ["cn", "CHN", "C", "D3", "de", "XX", "ZZ", "AA", "UK"])
async def test_bad_jurisdiction(value: str) -> None:
    token = hs256(claims(jurisdiction=value))
    expected = f"invalid jurisdiction '{value}' (an assigned ISO 3166-1 alpha-2 code, upper case)"
    assert await rejected(token) == expected


async def test_unknown_role() -> None:
    token = hs256(claims(roles=["trader", "x"]))
    assert await rejected(token) == "unknown role 'x'"


@pytest.mark.parametrize("roles", [[], "trader", {"trader": 1}])
async def test_roles_must_be_a_non_empty_list(roles: Any) -> None:
    token = hs256(claims(roles=roles))
    assert await rejected(token) == "claim 'roles' must be a non-empty list"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "entity_kind",
            "bank",
            "unknown entity_kind 'bank' (one of individual, institution, vasp)",
        ),
        ("kyc", "maybe", "unknown kyc 'maybe' (one of verified, pending, none)"),
        ("sub", "", "claim 'sub' must be a non-empty string of printable characters"),
        ("org", 7, "claim 'org' must be a non-empty string of printable characters"),
        # copied into the log's columns, where PostgreSQL refuses a NUL
        ("sub", "ali\x00ce", "claim 'sub' must be a non-empty string of printable characters"),
        ("org", "acme\n-us", "claim 'org' must be a non-empty string of printable characters"),
    ],
)
async def test_bad_claim_values(name: str, value: Any, message: str) -> None:
    assert await rejected(hs256(claims(**{name: value}))) == message


async def test_exp_must_be_a_number() -> None:
    token = hs256(claims(exp=str(int(time.time()) + 3600)))
    assert await rejected(token) == "claim 'exp' must be a number"


# --- mint_token -----------------------------------------------------------------------------


async def test_mint_token_round_trip() -> None:
    values: dict[str, Any] = {"sub": "bob", "org": "bank", "jurisdiction": "SG", "kyc": "pending"}
    values |= {"entity_kind": "vasp", "issuer": "dev", "audience": "gateway", "extra": {"jti": "1"}}
    token = mint_token(SECRET, roles=["regulator"], **values)
    subject = await hs_auth(issuer="dev", audience="gateway").authenticate(bearer(token))
    assert subject == Subject("bob", "bank", "SG", ("regulator",), "vasp", "pending")
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"jurisdiction": "cn"}, "invalid jurisdiction 'cn'"),
        ({"roles": ["root"]}, "unknown role 'root'"),
        ({"kyc": "nope"}, "unknown kyc"),
        ({"ttl_s": 0}, "ttl_s"),
        ({"extra": {"exp": 1}}, "must not override claim 'exp'"),
    ],
)
def test_mint_token_validates(overrides: dict[str, Any], message: str) -> None:
    values: dict[str, Any] = {"sub": "a", "org": "o", "jurisdiction": "DE", "roles": ["trader"]}
    with pytest.raises(ValueError, match=message):
        mint_token(SECRET, **{**values, **overrides})


# --- cache ----------------------------------------------------------------------------------


@dataclass
class Clock:
    now: float = field(default_factory=time.time)

    def __call__(self) -> float:
        return self.now


def count_decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)
    return calls


async def test_cache_skips_repeated_verification(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = count_decodes(monkeypatch)
    clock = Clock()
    authenticator = Authenticator(AuthSettings(jwt_secret=SECRET), clock=clock)
    token = bearer(hs256(claims()))
    first = await authenticator.authenticate(token)
    assert await authenticator.authenticate(token) is first
    assert len(calls) == 1
    clock.now += auth.CACHE_TTL_S + 1  # entries are short-lived
    await authenticator.authenticate(token)
    assert len(calls) == 2


async def test_cache_never_outlives_exp(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = count_decodes(monkeypatch)
    clock = Clock()
    authenticator = Authenticator(AuthSettings(jwt_secret=SECRET), clock=clock)
    token = bearer(hs256(claims(exp=int(clock.now) + 10)))
    await authenticator.authenticate(token)
    clock.now += 5
    await authenticator.authenticate(token)
    assert len(calls) == 1
    clock.now += 6  # past exp, well inside the cache TTL
    await authenticator.authenticate(token)
    assert len(calls) == 2


async def test_cache_is_bounded_lru(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = count_decodes(monkeypatch)
    authenticator = Authenticator(AuthSettings(jwt_secret=SECRET), cache_size=2)
    a, b, c = (bearer(hs256(claims(sub=name))) for name in "abc")
    for token in (a, b, a, c):  # a was used after b, so c evicts b
        await authenticator.authenticate(token)
    assert len(calls) == 3
    await authenticator.authenticate(a)
    assert len(calls) == 3
    await authenticator.authenticate(b)
    assert len(calls) == 4


async def test_rejections_are_not_cached() -> None:
    authenticator = hs_auth()
    token = bearer(hs256(claims(roles=["x"])))
    for _ in range(2):
        assert await reason(authenticator, token) == "unknown role 'x'"


# --- JWKS -----------------------------------------------------------------------------------


@dataclass
class JwksServer:
    keys: list[dict[str, Any]]
    status: int = 200
    hits: int = 0
    url: str = ""

    async def handle(self, _: web.Request) -> web.Response:
        self.hits += 1
        return web.json_response({"keys": self.keys}, status=self.status)


@asynccontextmanager
async def serve(server: JwksServer) -> AsyncIterator[JwksServer]:
    app = web.Application()
    app.router.add_get("/jwks.json", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    server.url = f"http://{host}:{port}/jwks.json"
    try:
        yield server
    finally:
        await runner.cleanup()


def jwk(private: PrivateKey, kid: str) -> dict[str, Any]:
    public = private.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        return {**RSAAlgorithm.to_jwk(public, as_dict=True), "kid": kid, "use": "sig"}
    if isinstance(public, ec.EllipticCurvePublicKey):
        return {**ECAlgorithm.to_jwk(public, as_dict=True), "kid": kid, "use": "sig"}
    return {**OKPAlgorithm.to_jwk(public, as_dict=True), "kid": kid, "use": "sig"}


def signed(private: PrivateKey, alg: str, kid: str) -> str:
    return bearer(jwt.encode(claims(), private, algorithm=alg, headers={"kid": kid}))


def jwks_auth(server: JwksServer) -> Authenticator:
    return Authenticator(AuthSettings(jwks_url=server.url))


async def test_jwks_known_kids_and_caching() -> None:
    keys = {"r1": rsa_key(), "e1": ec_key(), "o1": ed_key()}
    async with serve(JwksServer([jwk(k, kid) for kid, k in keys.items()])) as server:
        authenticator = jwks_auth(server)
        for kid, alg in (("r1", "RS256"), ("e1", "ES256"), ("o1", "EdDSA")):
            assert (await authenticator.authenticate(signed(keys[kid], alg, kid))).sub == "alice"
        assert server.hits == 1
        other = jwt.encode(claims(sub="bob"), keys["e1"], algorithm="ES256", headers={"kid": "e1"})
        assert authenticator.authenticate_sync(other).sub == "bob"  # uses the cached set


async def test_jwks_key_rotation_refreshes_once() -> None:
    old, new = rsa_key(), rsa_key()
    async with serve(JwksServer([jwk(old, "k1")])) as server:
        authenticator = jwks_auth(server)
        await authenticator.authenticate(signed(old, "RS256", "k1"))
        assert server.hits == 1
        server.keys = [jwk(old, "k1"), jwk(new, "k2")]
        assert (await authenticator.authenticate(signed(new, "RS256", "k2"))).sub == "alice"
        assert server.hits == 2


async def test_jwks_unknown_kid_after_refresh_and_rate_limit() -> None:
    known, stranger = rsa_key(), rsa_key()
    async with serve(JwksServer([jwk(known, "k1")])) as server:
        authenticator = jwks_auth(server)
        await authenticator.authenticate(signed(known, "RS256", "k1"))
        message = await reason(authenticator, signed(stranger, "RS256", "k9"))
        assert message == "unknown key id 'k9'"
        assert server.hits == 2
        for kid in ("k10", "k11", "k12"):  # a flood of random kids: no more fetches
            assert await reason(authenticator, signed(stranger, "RS256", kid)) == (
                f"unknown key id '{kid}'"
            )
        assert server.hits == 2


async def test_jwks_refresh_allowed_again_after_the_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    known = rsa_key()
    async with serve(JwksServer([jwk(known, "k1")])) as server:
        authenticator = jwks_auth(server)
        await reason(authenticator, signed(known, "RS256", "k0"))  # initial load, no second fetch
        assert server.hits == 1
        await reason(authenticator, signed(known, "RS256", "k0"))  # forced refresh
        assert server.hits == 2
        monkeypatch.setattr(auth, "JWKS_MIN_REFRESH_S", 0.0)
        await reason(authenticator, signed(known, "RS256", "k0"))
        assert server.hits == 3


async def test_jwks_never_allows_hs_or_mismatched_alg() -> None:
    rsa_private = rsa_key()
    oct_key = {"kty": "oct", "kid": "h1", "k": b64(SECRET.encode()), "alg": "HS256"}
    async with serve(JwksServer([oct_key, jwk(rsa_private, "r1")])) as server:
        authenticator = jwks_auth(server)
        token = bearer(hs256(claims(), kid="h1"))
        assert await reason(authenticator, token) == "algorithm HS256 not allowed for this key"
        wrong_alg = signed(ec_key(), "ES256", "r1")
        assert await reason(authenticator, wrong_alg) == "algorithm ES256 not allowed for this key"
        assert await reason(authenticator, signed(rsa_private, "RS256", "h1")) == (
            "unknown key id 'h1'"
        )


def test_jwks_parsing_skips_symmetric_and_unusable_keys() -> None:
    good = jwk(rsa_key(), "r1")
    doc = {
        "keys": [
            {"kty": "oct", "kid": "h1", "k": b64(SECRET.encode())},
            {**jwk(rsa_key(), "enc"), "use": "enc"},
            {**jwk(ec_key(), "bad"), "x": "AAAA"},
            {k: v for k, v in jwk(rsa_key(), "x").items() if k != "kid"},
            good,
        ]
    }
    assert list(auth.parse_jwks(doc)) == ["r1"]
    with pytest.raises(ValueError, match="not a JWK set"):
        auth.parse_jwks({"keys": "nope"})


async def test_jwks_token_without_kid() -> None:
    private = rsa_key()
    async with serve(JwksServer([jwk(private, "r1")])) as server:
        token = bearer(jwt.encode(claims(), private, algorithm="RS256"))
        assert (await reason(jwks_auth(server), token)).startswith("missing key id")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_jwks_server_down() -> None:
    url = f"http://127.0.0.1:{free_port()}/jwks.json"
    authenticator = Authenticator(AuthSettings(jwks_url=url))
    token = signed(rsa_key(), "RS256", "k1")
    assert await reason(authenticator, token) == "key set unavailable"
    with pytest.raises(AuthError, match="key set unavailable"):
        authenticator.authenticate_sync(token.removeprefix("Bearer "))


async def test_jwks_failure_backs_off() -> None:
    private = rsa_key()
    async with serve(JwksServer([jwk(private, "k1")], status=500)) as server:
        authenticator = jwks_auth(server)
        for _ in range(3):
            assert await reason(authenticator, signed(private, "RS256", "k1")) == (
                "key set unavailable"
            )
        assert server.hits == 1

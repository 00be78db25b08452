"""Bearer-token authentication (docs/design.md section 3).

Every JSON-RPC call carries `Authorization: Bearer <JWT>`. The algorithm a token may use is
decided by the configured key source, never by the token: a secret allows HS256 only, a PEM
public key allows the one algorithm its key type implies, a JWKS allows what each JWK says
(never HS*). That closes `alg: none` and HS/RS confusion by construction.

Verified subjects are cached per token string: clients resend the same token on every call and
the signature check is the dominant cost of this step.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt
from jwt.types import Options

from governance.config import insecure_url
from governance.domain.countries import JURISDICTION_CODES
from governance.domain.models import ENTITY_KINDS, KYC_LEVELS, ROLES, Subject
from governance.errors import AuthError
from governance.keys import VerificationKey, load_public_key

log = logging.getLogger(__name__)

CACHE_SIZE = 4096
CACHE_TTL_S = 60.0  # bounds how long a key removed from a JWKS keeps admitting cached tokens
JWKS_TIMEOUT_S = 5.0
JWKS_MIN_REFRESH_S = 10.0  # at most one unknown-kid refresh (and one retry after failure) per 10 s
MAX_JWKS_BYTES = 1024 * 1024
MAX_TOKEN_CHARS = 8192
MIN_SECRET_CHARS = 16  # same rule as governance.config

REQUIRED_CLAIMS = ("sub", "org", "jurisdiction", "roles", "entity_kind", "kyc", "exp")
# Empty signature allowed so that `alg: none` tokens reach the algorithm check and say so.
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_JWKS_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


@dataclass(frozen=True)
class AuthSettings:
    jwt_secret: str | None = None
    public_key_pem: str | None = None  # PEM text; config reads the file
    jwks_url: str | None = None
    issuer: str | None = None
    audience: str | None = None
    leeway_s: int = 30
    jwks_cache_s: int = 300

    def __post_init__(self) -> None:
        if not (self.jwt_secret or self.public_key_pem or self.jwks_url):
            raise ValueError("auth: set one of jwt_secret, public_key_pem or jwks_url")
        if self.jwt_secret is not None and len(self.jwt_secret) < MIN_SECRET_CHARS:
            raise ValueError(f"jwt_secret must be at least {MIN_SECRET_CHARS} characters")
        if self.public_key_pem is not None:
            load_public_key(self.public_key_pem)
        if self.jwks_url is not None and insecure_url(self.jwks_url):
            raise ValueError("jwks_url must be an https:// URL (plain http:// only to loopback)")
        if self.leeway_s < 0:
            raise ValueError("leeway_s must not be negative")
        if self.jwks_cache_s <= 0:
            raise ValueError("jwks_cache_s must be positive")


@dataclass(frozen=True)
class _Header:
    alg: str
    kid: str | None


def bearer_token(authorization: str | None) -> str:
    """The token from an Authorization header value; the scheme is case-insensitive (RFC 7235)."""
    if authorization is None or not authorization.strip():
        raise AuthError("missing bearer token")
    parts = authorization.split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        raise AuthError("malformed Authorization header")
    return parts[1]


def subject_from_claims(claims: Mapping[str, Any]) -> Subject:
    """Checks the required claims; raises ValueError with the reason."""
    for name in REQUIRED_CLAIMS:
        if claims.get(name) is None:
            raise ValueError(f"missing claim '{name}'")
    jurisdiction = claims["jurisdiction"]
    if not isinstance(jurisdiction, str) or jurisdiction not in JURISDICTION_CODES:
        raise ValueError(
            f"invalid jurisdiction {_show(jurisdiction)} (an assigned ISO 3166-1 alpha-2 code, "
            "upper case)"
        )
    exp = claims["exp"]
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        raise ValueError("claim 'exp' must be a number")
    return Subject(
        sub=_text(claims, "sub"),
        org=_text(claims, "org"),
        jurisdiction=jurisdiction,
        roles=_roles(claims["roles"]),
        entity_kind=_choice(claims, "entity_kind", ENTITY_KINDS),
        kyc=_choice(claims, "kyc", KYC_LEVELS),
    )


def _text(claims: Mapping[str, Any], name: str) -> str:
    value = claims[name]
    # Printable: `sub` and `org` are copied into the log's columns (a NUL fails appends there).
    if not isinstance(value, str) or not value or not value.isprintable():
        raise ValueError(f"claim '{name}' must be a non-empty string of printable characters")
    return value


def _choice(claims: Mapping[str, Any], name: str, allowed: tuple[str, ...]) -> str:
    value = claims[name]
    if value not in allowed:
        raise ValueError(f"unknown {name} {_show(value)} (one of {', '.join(allowed)})")
    return str(value)


def _roles(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError("claim 'roles' must be a non-empty list")
    for role in value:
        if role not in ROLES:
            raise ValueError(f"unknown role {_show(role)}")
    return tuple(dict.fromkeys(value))  # de-duplicated, order kept


def _show(value: Any) -> str:
    """Quotes a caller-supplied value for an error message, bounded in length."""
    text = f"'{value}'" if isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def mint_token(
    secret: str,
    *,
    sub: str,
    org: str,
    jurisdiction: str,
    roles: list[str],
    kyc: str = "verified",
    entity_kind: str = "institution",
    ttl_s: int = 3600,
    issuer: str | None = None,
    audience: str | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    """An HS256 development token; raises ValueError for values the gateway would reject."""
    if not secret:
        raise ValueError("secret must not be empty")
    if isinstance(ttl_s, bool) or not isinstance(ttl_s, int) or ttl_s <= 0:
        raise ValueError("ttl_s must be a positive integer")
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": sub,
        "org": org,
        "jurisdiction": jurisdiction,
        "roles": list(roles) if isinstance(roles, list | tuple) else roles,
        "entity_kind": entity_kind,
        "kyc": kyc,
        "iat": now,
        "exp": now + ttl_s,
    }
    if issuer is not None:
        claims["iss"] = issuer
    if audience is not None:
        claims["aud"] = audience
    clash = sorted(set(extra or {}) & set(claims))
    if clash:
        raise ValueError(f"extra must not override claim '{clash[0]}'")
    claims.update(extra or {})
    subject_from_claims(claims)
    return jwt.encode(claims, secret, algorithm="HS256")


class _SubjectCache:
    """Bounded LRU of verified tokens; an entry never outlives the token's `exp`."""

    def __init__(self, size: int, ttl_s: float, clock: Callable[[], float]) -> None:
        self._entries: OrderedDict[str, tuple[Subject, float]] = OrderedDict()
        self._size = size
        self._ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()  # authenticate_sync may run in worker threads

    def get(self, token: str) -> Subject | None:
        now = self._clock()
        with self._lock:
            entry = self._entries.get(token)
            if entry is None:
                return None
            if entry[1] <= now:
                del self._entries[token]
                return None
            self._entries.move_to_end(token)
            return entry[0]

    def put(self, token: str, subject: Subject, exp: float) -> None:
        now = self._clock()
        until = min(now + self._ttl_s, exp)
        if until <= now or self._size <= 0:
            return
        with self._lock:
            self._entries[token] = (subject, until)
            self._entries.move_to_end(token)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


class _JwksKeys:
    """The remote key set: cached for `cache_s`, refreshed once on an unknown kid (rate-limited
    so that random kids cannot hammer the server), failed fetches retried only after a pause."""

    def __init__(self, url: str, cache_s: float) -> None:
        self._url = url
        self._cache_s = cache_s
        self._keys: dict[str, VerificationKey] = {}
        self._loaded_at = float("-inf")
        self._forced_at = float("-inf")
        self._failed_at = float("-inf")
        self._lock = asyncio.Lock()

    def _fresh(self, now: float) -> bool:
        return now - self._loaded_at < self._cache_s

    def cached(self, kid: str) -> VerificationKey:
        """Lookup without fetching, for the synchronous path."""
        if not self._fresh(time.monotonic()):
            raise AuthError("key set unavailable")
        return self._known(kid)

    async def get(self, kid: str) -> VerificationKey:
        loaded = False
        if not self._fresh(time.monotonic()):
            loaded = await self._refresh(forced=False)
        if kid not in self._keys and not loaded:
            await self._refresh(forced=True)
        return self._known(kid)

    def _known(self, kid: str) -> VerificationKey:
        key = self._keys.get(kid)
        if key is None:
            raise AuthError(f"unknown key id {_show(kid)}")
        return key

    async def _refresh(self, *, forced: bool) -> bool:
        """Fetches the set unless another caller just did; True if this call fetched."""
        async with self._lock:
            now = time.monotonic()
            if forced:
                if now - self._forced_at < JWKS_MIN_REFRESH_S:
                    return False
                self._forced_at = now
            elif self._fresh(now):
                return False
            if now - self._failed_at < JWKS_MIN_REFRESH_S:
                raise AuthError("key set unavailable")
            try:
                keys = await fetch_jwks(self._url)
            except (aiohttp.ClientError, TimeoutError, ValueError) as error:
                self._failed_at = now
                log.warning("JWKS fetch from %s failed: %s", self._url, error)
                raise AuthError("key set unavailable") from None
            self._keys = keys
            self._loaded_at = time.monotonic()
            return True


async def fetch_jwks(url: str) -> dict[str, VerificationKey]:
    """Downloads a JWK set; raises aiohttp.ClientError, TimeoutError or ValueError."""
    timeout = aiohttp.ClientTimeout(total=JWKS_TIMEOUT_S)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(url, headers={"Accept": "application/json"}) as response,
    ):
        if response.status != 200:
            raise ValueError(f"HTTP {response.status}")
        body = await response.content.read(MAX_JWKS_BYTES + 1)
    if len(body) > MAX_JWKS_BYTES:
        raise ValueError("JWK set too large")
    return parse_jwks(json.loads(body))


def parse_jwks(doc: Any) -> dict[str, VerificationKey]:
    """Usable signature keys by kid; symmetric, unknown or malformed keys are skipped."""
    if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
        raise ValueError("not a JWK set")
    keys: dict[str, VerificationKey] = {}
    for entry in doc["keys"]:
        key = _jwk_key(entry)
        if key is not None:
            keys[entry["kid"]] = key
    return keys


def _jwk_key(entry: Any) -> VerificationKey | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
        return None
    if entry.get("kty") not in ("RSA", "EC", "OKP") or entry.get("use", "sig") != "sig":
        return None  # "oct" would let anyone holding the set mint HS tokens
    try:
        jwk = jwt.PyJWK(entry)
    except jwt.PyJWTError as error:
        log.warning("JWKS key %s skipped: %s", _show(entry["kid"]), error)
        return None
    if jwk.algorithm_name not in _JWKS_ALGORITHMS:
        return None
    return VerificationKey(jwk.key, jwk.algorithm_name)


def token_expiry(token: str) -> float:
    """The `exp` of a token this authenticator has already verified (read without checking the
    signature again): when an open WebSocket must close."""
    claims = jwt.decode(token, options={"verify_signature": False})
    return float(claims["exp"])


class Authenticator:
    def __init__(
        self,
        settings: AuthSettings,
        *,
        cache_size: int = CACHE_SIZE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        secret = settings.jwt_secret
        self._secret = VerificationKey(secret.encode(), "HS256") if secret else None
        pem = settings.public_key_pem
        self._pem = load_public_key(pem) if pem else None
        url = settings.jwks_url
        self._jwks = _JwksKeys(url, settings.jwks_cache_s) if url else None
        self._cache = _SubjectCache(cache_size, CACHE_TTL_S, clock)
        # aud is only checked when configured; PyJWT would otherwise reject any token with aud.
        self._options: Options = {
            "require": ["exp"],
            "verify_aud": settings.audience is not None,
        }

    async def authenticate(self, authorization: str | None) -> Subject:
        token = bearer_token(authorization)
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        header = _header(token)
        key = self._static_key(header)
        if key is None:
            key = _check_alg(header, await self._jwks_keys().get(_kid(header)))
        return self._verify(token, key)

    def authenticate_sync(self, token: str) -> Subject:
        """Same checks without network access: a JWKS key must already be cached."""
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        header = _header(token)
        key = self._static_key(header)
        if key is None:
            key = _check_alg(header, self._jwks_keys().cached(_kid(header)))
        return self._verify(token, key)

    def _static_key(self, header: _Header) -> VerificationKey | None:
        """The secret or PEM key for this token, or None when the JWKS decides."""
        alg = header.alg
        if alg.lower() == "none":
            raise AuthError("algorithm 'none' not allowed")
        if alg.upper().startswith("HS"):  # HMAC only ever with the configured secret
            if self._secret is not None and alg == "HS256":
                return self._secret
            raise AuthError(f"algorithm {_bare(alg)} not allowed for this key")
        if self._jwks is not None and (header.kid is not None or self._pem is None):
            return None
        if self._pem is not None and alg == self._pem.algorithm:
            return self._pem
        raise AuthError(f"algorithm {_bare(alg)} not allowed for this key")

    def _jwks_keys(self) -> _JwksKeys:
        if self._jwks is None:  # unreachable: _static_key returns None only with a JWKS
            raise AuthError("key set unavailable")
        return self._jwks

    def _verify(self, token: str, key: VerificationKey) -> Subject:
        settings = self._settings
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm],
                options=self._options,
                leeway=settings.leeway_s,
                issuer=settings.issuer,
                audience=settings.audience,
            )
            subject = subject_from_claims(claims)
        except jwt.PyJWTError as error:
            raise AuthError(_reason(error)) from None
        except ValueError as error:
            raise AuthError(str(error)) from None
        self._cache.put(token, subject, float(claims["exp"]))
        return subject


def _header(token: str) -> _Header:
    if len(token) > MAX_TOKEN_CHARS or not _COMPACT_JWS.fullmatch(token):
        raise AuthError("malformed token")
    # Parsed here rather than with jwt.get_unverified_header (about 20 us, mostly spent decoding
    # the parts it does not need); jwt.decode re-reads and enforces the header anyway.
    segment = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, RecursionError):
        raise AuthError("malformed token") from None
    if not isinstance(header, dict):
        raise AuthError("malformed token")
    alg, kid = header.get("alg"), header.get("kid")
    if not isinstance(alg, str) or not alg:
        raise AuthError("malformed token: header has no 'alg'")
    if kid is not None and not isinstance(kid, str):
        raise AuthError("malformed token: 'kid' is not a string")
    return _Header(alg, kid)


def _kid(header: _Header) -> str:
    if header.kid is None:
        raise AuthError("missing key id (kid) in token header")
    return header.kid


def _check_alg(header: _Header, key: VerificationKey) -> VerificationKey:
    if header.alg != key.algorithm:
        raise AuthError(f"algorithm {_bare(header.alg)} not allowed for this key")
    return key


def _bare(alg: str) -> str:
    return alg if len(alg) <= 16 else alg[:13] + "..."


def _reason(error: jwt.PyJWTError) -> str:
    """A client-facing reason for a PyJWT failure (subclasses before their bases)."""
    if isinstance(error, jwt.ExpiredSignatureError):
        return "token expired"
    if isinstance(error, jwt.ImmatureSignatureError):
        return "token not yet valid"
    if isinstance(error, jwt.InvalidSignatureError):
        return "bad signature"
    if isinstance(error, jwt.InvalidIssuerError):
        return "wrong issuer"
    if isinstance(error, jwt.InvalidAudienceError):
        return "wrong audience"
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"missing claim '{error.claim}'"
    if isinstance(error, jwt.InvalidKeyError):
        return "key does not fit the token"
    if isinstance(error, jwt.DecodeError):
        return f"malformed token: {error}"
    return f"invalid token: {error}"

"""The `governance` command: serve, token, decide, policy ..., audit ...."""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from governance.config import (
    MIN_SERVE_SECRET_BYTES,
    Settings,
    load_settings,
    read_text_file,
    weak_secret_reason,
)
from governance.errors import ConfigError

Handler = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2


def _settings(args: argparse.Namespace, *, require_auth: bool = True) -> Settings:
    return load_settings(getattr(args, "config", None), require_auth=require_auth)


# ---- serve ---------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from governance.api.app import create_app

    settings = _settings(args)
    secret = settings.auth.active_secret
    weak = None if secret is None or args.dev else weak_secret_reason(secret)
    if weak is not None:
        raise ConfigError(
            f"{weak}: anyone who knows it can mint tokens; set a random secret of at least "
            f"{MIN_SERVE_SECRET_BYTES} bytes (e.g. head -c 32 /dev/urandom | base64), use "
            "auth.public_key_file or auth.jwks_url, or start with --dev on a development machine"
        )
    host, port = args.host or settings.server.host, args.port or settings.server.port
    options: dict[str, Any] = {
        "loop": "uvloop" if _has_uvloop() else "asyncio",
        "http": "httptools",
        "log_level": args.log_level,
        "access_log": False,
        "timeout_graceful_shutdown": 10,
    }
    if args.workers < 1:
        raise ConfigError("--workers must be at least 1")
    _collect_less_often()  # before the workers fork: they inherit it
    if args.workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, **options)
        return 0
    from governance import workers

    workers.prepare(settings)
    return workers.serve(create_app, settings, host, port, args.workers, **options)


def _collect_less_often() -> None:
    """Python's cycle collector ran a young-generation pass every 700 allocations and a full
    one over the policy data every 70,000: 15% of a serving process's CPU on reads. A call
    allocates thousands of short-lived objects that reference counting frees; collecting every
    20,000 (full passes every 2,000,000) cut a read's CPU by 16% (docs/performance.md)."""
    gc.set_threshold(20_000, 10, 10)


def _cores() -> int:
    return len(os.sched_getaffinity(0)) or 1


def _has_uvloop() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


# ---- token ---------------------------------------------------------------------------------


def cmd_token(args: argparse.Namespace) -> int:

    settings = _settings(args)
    if not settings.auth.jwt_secret:
        raise ConfigError("auth.jwt_secret is required to mint development tokens")
    try:
        token = _mint(args, settings)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0


def _mint(args: argparse.Namespace, settings: Settings) -> str:
    from governance.api.auth import mint_token

    return mint_token(
        settings.auth.jwt_secret or "",
        sub=args.sub,
        org=args.org,
        jurisdiction=args.jurisdiction,
        roles=[r.strip() for r in args.roles.split(",") if r.strip()],
        kyc=args.kyc,
        entity_kind=args.entity_kind,
        ttl_s=args.ttl,
        issuer=settings.auth.issuer,
        audience=settings.auth.audience,
    )


# ---- decide --------------------------------------------------------------------------------


def cmd_decide(args: argparse.Namespace) -> int:
    from governance.policy.engine import EmbeddedEngine, decide_sync
    from governance.policy.source import load_policy_source

    if args.policy:  # officers trying rules need no gateway configuration
        policy_path, configured = Path(args.policy), "regorus"
    else:
        settings = _settings(args, require_auth=False)  # deciding a file serves nobody
        policy_path, configured = settings.resolve(settings.policy.path), settings.policy.engine
    engine_name = args.engine or (configured if configured != "remote" else "regorus")
    try:
        doc = json.loads(read_text_file(Path(args.input)))
    except (OSError, json.JSONDecodeError) as exc:
        print(f"cannot read input document {args.input}: {exc}", file=sys.stderr)
        return 2
    policy_input = doc.get("input", doc) if isinstance(doc, dict) else doc
    source = load_policy_source(policy_path)
    engine = EmbeddedEngine(engine_name, source)
    decision = decide_sync(engine.snapshot(), policy_input)
    print(json.dumps(decision.raw, indent=2, sort_keys=True))
    if not args.json:
        _explain(decision.raw)
    if args.explain:
        _fired(source, policy_input, engine_name)
    return 0 if decision.allow else 1


def _fired(source: Any, policy_input: Any, engine_name: str) -> None:
    """The rules that produced the decision's parts, from OPA's trace of the same tree."""
    from governance.policy.evaluator import opa_available

    if not opa_available():
        print("\n--explain needs the OPA engine library (scripts/setup)", file=sys.stderr)
        return
    from governance.policy.coverage import fired_rules

    rules = fired_rules(source, json.dumps(policy_input))
    traced = "" if engine_name == "opa" else f" (traced on OPA; decided on {engine_name})"
    print(f"\nrules that fired{traced}:", file=sys.stderr)
    for rule in rules:
        print(f"  {rule}", file=sys.stderr)
    if not rules:
        print("  none", file=sys.stderr)


def _explain(raw: dict[str, Any]) -> None:
    """Human summary on stderr so stdout stays machine-readable."""
    applied = ", ".join(raw.get("jurisdictions", [])) or "none"
    print(f"\njurisdictions applied: {applied}", file=sys.stderr)
    reasons = raw.get("reasons", [])
    if not reasons:
        print("outcome: ALLOW (no rule denied)", file=sys.stderr)
    for r in reasons:
        print(
            f"DENY {r.get('code')} [{r.get('jurisdiction')}] {r.get('regulation')}: "
            f"{r.get('message')}",
            file=sys.stderr,
        )
    for item in raw.get("obligations", {}).get("report", []):
        print(f"report obligation: {item}", file=sys.stderr)


# ---- parser --------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="governance", description=__doc__)
    parser.add_argument("--config", help="governance.toml (default: $GOVERNANCE_CONFIG)")
    sub = parser.add_subparsers(dest="command")

    serve = sub.add_parser("serve", help="run the gateway")
    serve.add_argument("--config", help="governance.toml")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--dev",
        action="store_true",
        help="development machine: accept example or short HS256 secrets",
    )
    serve.add_argument("--log-level", default="info")
    serve.add_argument(
        "--workers",
        type=int,
        default=_cores(),
        help="worker processes on one socket (default: the number of cores)",
    )
    serve.set_defaults(handler=cmd_serve)

    token = sub.add_parser("token", help="mint a development token (HS256 secret)")
    token.add_argument("--config")
    token.add_argument("--sub", required=True)
    token.add_argument("--org", required=True)
    token.add_argument("--jurisdiction", required=True)
    token.add_argument("--roles", default="trader", help="comma-separated")
    token.add_argument("--kyc", default="verified", choices=["verified", "pending", "none"])
    token.add_argument(
        "--entity-kind", default="institution", choices=["individual", "institution", "vasp"]
    )
    token.add_argument("--ttl", type=int, default=3600, help="seconds")
    token.set_defaults(handler=cmd_token)

    decide = sub.add_parser("decide", help="evaluate the decision for a policy input document")
    decide.add_argument("input", help="JSON file: the input document (or {'input': ...})")
    decide.add_argument("--config")
    decide.add_argument("--policy", help="policy directory (default: policy.path)")
    decide.add_argument("--engine", choices=["regorus", "opa", "regopy"])
    decide.add_argument(
        "--json", action="store_true", help="only the decision, as JSON (no summary on stderr)"
    )
    decide.add_argument(
        "--explain", action="store_true", help="list the rules that fired (OPA trace) on stderr"
    )
    decide.set_defaults(handler=cmd_decide)

    _add_policy_commands(sub)
    _add_audit_commands(sub)
    return parser


def _add_policy_commands(sub: Any) -> None:
    from governance.cli_policy import add_policy_commands

    add_policy_commands(sub)


def _add_audit_commands(sub: Any) -> None:
    from governance.cli_audit import add_audit_commands

    add_audit_commands(sub)


if __name__ == "__main__":
    raise SystemExit(main())

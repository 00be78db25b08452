"""`governance policy test|check|build|sign|verify|replay` and `governance pdp`: the
compliance officer's commands."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from governance.cli_progress import progress
from governance.policy.evaluator import CONFORMANCE_ENGINES
from governance.policy.source import PolicySourceError


def add_policy_commands(sub: Any) -> None:
    from governance.cli_pdp import add_pdp_command

    policy = sub.add_parser("policy", help="test, check, bundle and replay policies")
    psub = policy.add_subparsers(dest="policy_command")
    _add_test_check(psub)
    _add_bundle_commands(psub)
    _add_replay(psub)
    policy.set_defaults(handler=lambda _a: (policy.print_help(), 2)[1])
    add_pdp_command(sub)


def _add_test_check(psub: Any) -> None:
    test = psub.add_parser("test", help="run every *_test.rego")
    test.add_argument("path", nargs="?", default="policies", help="policy directory or bundle")
    test.add_argument(
        "--engine",
        choices=["regorus", "opa", "regopy", "all"],
        default="all",
        help="all (default): regorus and OPA, which must both pass every test",
    )
    test.add_argument("--run", help="only tests whose data.<package>.<name> contains this")
    test.add_argument("-v", "--verbose", action="store_true", help="print passing tests too")
    test.add_argument(
        "--coverage", action="store_true", help="per file: the rules no test makes fire (OPA)"
    )
    test.set_defaults(handler=cmd_policy_test)

    check = psub.add_parser("check", help="syntax, reason codes and data schemas")
    check.add_argument("path", nargs="?", default="policies")
    check.add_argument("--docs", help="documentation the codes are checked against (PATH/../docs)")
    check.set_defaults(handler=cmd_policy_check)


def _add_bundle_commands(psub: Any) -> None:
    build = psub.add_parser("build", help="pack the policy tree into an OPA bundle (.tar.gz)")
    build.add_argument("path", nargs="?", default="policies")
    build.add_argument("-o", "--output", default="bundle.tar.gz")
    build.add_argument("--revision", help="manifest revision (default: content hash)")
    build.set_defaults(handler=cmd_policy_build)

    sign = psub.add_parser("sign", help="add /.signatures.json (OPA bundle signature format)")
    sign.add_argument("bundle")
    sign.add_argument("--key", required=True, help="PEM private key (RSA or EC P-256)")
    sign.add_argument("--alg", choices=["RS256", "ES256"], help="default: implied by the key")
    sign.add_argument("--keyid", help="key id recorded in the JWT header and payload")
    sign.add_argument("--scope", help="scope claim")
    sign.add_argument("-o", "--output", help="signed bundle (default: overwrite BUNDLE)")
    sign.set_defaults(handler=cmd_policy_sign)

    verify = psub.add_parser("verify", help="check a bundle's signature against a public key")
    verify.add_argument("bundle")
    verify.add_argument("--key", required=True, help="PEM public key or certificate")
    verify.set_defaults(handler=cmd_policy_verify)


def _add_replay(psub: Any) -> None:
    rep = psub.add_parser("replay", help="impact of a draft policy on recorded decisions")
    rep.add_argument("--bundle", required=True, help="draft policy directory or bundle")
    rep.add_argument("--db", required=True, help="decision log URL (sqlite:///... or postgresql)")
    rep.add_argument("--since", help="UTC date/time, inclusive")
    rep.add_argument("--until", help="UTC date/time, exclusive")
    rep.add_argument("--jurisdiction", help="only decisions where this jurisdiction applied")
    rep.add_argument("--limit", type=int, default=100_000, help="records examined at most")
    rep.add_argument("--examples", type=int, default=10, help="examples per category")
    rep.add_argument("--json", dest="json_file", help="write the full report here")
    rep.set_defaults(handler=cmd_policy_replay)


def _fail(exc: Exception) -> int:
    print(f"error: {exc}", file=sys.stderr)
    return 2


def cmd_policy_test(args: argparse.Namespace) -> int:
    from governance.policy.bundle import load_policy_source_any
    from governance.policy.rego_test import run_tests

    try:
        source = load_policy_source_any(Path(args.path))
    except PolicySourceError as exc:
        return _fail(exc)
    engines = list(CONFORMANCE_ENGINES) if args.engine == "all" else [args.engine]
    failed = passed = 0
    for engine in engines:
        for result in run_tests(source, engine, match=args.run):
            if result.passed:
                passed += 1
                if args.verbose:
                    print(f"PASS [{engine}] {result.package}.{result.name}")
            else:
                failed += 1
                detail = f": {result.error}" if result.error else ""
                print(f"FAIL [{engine}] {result.package}.{result.name} ({result.file}){detail}")
    print(f"{passed} passed, {failed} failed")
    if args.coverage:
        _print_coverage(source)
    return 1 if failed or not passed else 0


def _print_coverage(source: Any) -> None:
    from governance.policy.coverage import rule_coverage

    files = rule_coverage(source)
    print("rule coverage (rules a test made produce a value, per file):")
    for entry in files:
        print(f"  {entry.file}: {entry.covered}/{len(entry.rules)}")
        for rule in entry.uncovered:
            print(f"    not covered: {rule.file}:{rule.row}: {rule.text}")
    total = sum(len(e.rules) for e in files)
    covered = sum(e.covered for e in files)
    print(f"{covered}/{total} rules covered")


def cmd_policy_check(args: argparse.Namespace) -> int:
    from governance.policy.check import check_policies

    problems = check_policies(Path(args.path), Path(args.docs) if args.docs else None)
    for p in problems:
        location = f"{p.file}:{p.line}" if p.line else p.file
        print(f"{location}: {p.message}")
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    print("policies OK")
    return 0


def cmd_policy_build(args: argparse.Namespace) -> int:
    from governance.policy.bundle import build_bundle_from_dir

    try:
        revision = build_bundle_from_dir(Path(args.path), Path(args.output), args.revision)
    except (PolicySourceError, OSError) as exc:
        return _fail(exc)
    print(f"{args.output}: revision {revision}")
    return 0


def cmd_policy_sign(args: argparse.Namespace) -> int:
    from governance.policy.bundle import read_bundle_file, sign_bundle

    out = Path(args.output or args.bundle)
    try:
        key = Path(args.key).read_bytes()
        signed = sign_bundle(
            read_bundle_file(Path(args.bundle)), key, args.alg, keyid=args.keyid, scope=args.scope
        )
        out.write_bytes(signed)
    except (PolicySourceError, OSError) as exc:
        return _fail(exc)
    print(f"{out}: signed")
    return 0


def cmd_policy_verify(args: argparse.Namespace) -> int:
    from governance.policy.bundle import load_verification_key, read_bundle, read_bundle_file

    try:
        key = load_verification_key(Path(args.key).read_text(encoding="ascii"))
        source = read_bundle(read_bundle_file(Path(args.bundle)), key, args.bundle)
    except (PolicySourceError, OSError, UnicodeDecodeError) as exc:
        print(f"REFUSED {args.bundle}: {exc}", file=sys.stderr)
        return 1
    print(f"{args.bundle}: signature OK, revision {source.revision}")
    return 0


def cmd_policy_replay(args: argparse.Namespace) -> int:
    from governance.audit.sqlstore import SqlLog
    from governance.policy.bundle import load_policy_source_any
    from governance.policy.replay import ReplayFilter, replay

    try:
        filters = ReplayFilter(args.since, args.until, args.jurisdiction, args.limit)
        draft = load_policy_source_any(Path(args.bundle))
        store = SqlLog(args.db)
    except ValueError as exc:  # PolicySourceError and bad filters or URL are ValueErrors
        return _fail(exc)
    try:
        with progress("replaying decisions", min(store.size(), args.limit)) as advance:
            report = replay(store, draft, filters, examples=args.examples, on_record=advance)
    except ValueError as exc:
        return _fail(exc)
    finally:
        store.close()
    print(report.summary())
    if args.json_file:
        Path(args.json_file).write_text(json.dumps(report.to_json(), indent=2), encoding="utf-8")
    return 0

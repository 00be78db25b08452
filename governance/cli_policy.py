"""`governance policy test|check`: the compliance officer's commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from governance.policy.source import PolicySourceError, load_policy_source


def add_policy_commands(sub: Any) -> None:
    policy = sub.add_parser("policy", help="test and check policies")
    psub = policy.add_subparsers(dest="policy_command")

    test = psub.add_parser("test", help="run every *_test.rego")
    test.add_argument("path", nargs="?", default="policies")
    test.add_argument("--engine", choices=["regorus", "regopy", "all"], default="regorus")
    test.add_argument("-v", "--verbose", action="store_true", help="print passing tests too")
    test.set_defaults(handler=cmd_policy_test)

    check = psub.add_parser("check", help="syntax, reason codes and data schemas")
    check.add_argument("path", nargs="?", default="policies")
    check.set_defaults(handler=cmd_policy_check)
    policy.set_defaults(handler=lambda _a: (policy.print_help(), 2)[1])


def cmd_policy_test(args: argparse.Namespace) -> int:
    from governance.policy.rego_test import run_tests

    try:
        source = load_policy_source(Path(args.path))
    except PolicySourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    engines = ["regorus", "regopy"] if args.engine == "all" else [args.engine]
    failed = passed = 0
    for engine in engines:
        for result in run_tests(source, engine):
            if result.passed:
                passed += 1
                if args.verbose:
                    print(f"PASS [{engine}] {result.package}.{result.name}")
            else:
                failed += 1
                detail = f": {result.error}" if result.error else ""
                print(f"FAIL [{engine}] {result.package}.{result.name} ({result.file}){detail}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


def cmd_policy_check(args: argparse.Namespace) -> int:
    from governance.policy.check import check_policies

    problems = check_policies(Path(args.path))
    for p in problems:
        location = f"{p.file}:{p.line}" if p.line else p.file
        print(f"{location}: {p.message}")
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    print("policies OK")
    return 0

"""`governance audit ...`: the auditor's commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_audit_commands(sub: Any) -> None:
    audit = sub.add_parser("audit", help="decision log: keys, verification, export, queries")
    asub = audit.add_subparsers(dest="audit_command")

    keygen = asub.add_parser("keygen", help="create the Ed25519 checkpoint signing key")
    keygen.add_argument("--key", default="checkpoint.key", help="private key file to create")
    keygen.add_argument("--public", help="public key file (default: KEY.pub)")
    keygen.set_defaults(handler=cmd_keygen)
    audit.set_defaults(handler=lambda _a: (audit.print_help(), 2)[1])


def cmd_keygen(args: argparse.Namespace) -> int:
    from governance.audit.checkpoint import generate_key_file, load_private_key, write_public_key

    key_path = Path(args.key)
    if key_path.exists():
        print(f"{key_path} exists; not overwriting", file=sys.stderr)
        return 1
    generate_key_file(key_path)
    public = Path(args.public) if args.public else key_path.with_suffix(key_path.suffix + ".pub")
    write_public_key(public, load_private_key(key_path).public_key())
    print(f"private key: {key_path}\npublic key:  {public}")
    return 0

"""`governance pdp`: serves OPA's REST data and policy API (governance/api/pdp.py) from an
embedded engine, for the remote engine and any OPA client."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from governance.policy.evaluator import ENGINES, opa_available


def add_pdp_command(sub: Any) -> None:
    pdp = sub.add_parser("pdp", help="serve OPA's REST data API from the embedded engine")
    pdp.add_argument("--policy", default="policies", help="policy directory, bundle or URL")
    pdp.add_argument("--verification-key", help="PEM public key: only signed bundles load")
    pdp.add_argument(
        "--engine",
        choices=ENGINES,
        default="opa" if opa_available() else "regorus",
        help="embedded engine (default: OPA when its library is installed, else regorus)",
    )
    pdp.add_argument("--host", default="127.0.0.1")
    pdp.add_argument("--port", type=int, default=8181)
    pdp.add_argument("--log-level", default="info")
    pdp.add_argument(
        "--allow-policy-writes",
        metavar="TOKEN_FILE",
        help="enable PUT/DELETE /v1/policies for callers sending the bearer token in this file",
    )
    pdp.set_defaults(handler=cmd_pdp)


def cmd_pdp(args: argparse.Namespace) -> int:
    import uvicorn

    from governance.api.pdp import create_pdp_app
    from governance.config import read_text_file
    from governance.policy.bundle import load_policy_source_any, load_verification_key
    from governance.policy.source import PolicySourceError

    try:
        key = None
        if args.verification_key:
            key = load_verification_key(read_text_file(Path(args.verification_key)))
        source = load_policy_source_any(args.policy, key)
        token = None
        if args.allow_policy_writes:
            token = read_text_file(Path(args.allow_policy_writes)).strip()
            if len(token) < 32:
                raise PolicySourceError("the policy write token must be at least 32 characters")
    except (PolicySourceError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"serving policy revision {source.revision} on {args.host}:{args.port} ({args.engine})",
        file=sys.stderr,
    )
    app = create_pdp_app(source, write_token=token, engine=args.engine)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0

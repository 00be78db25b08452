"""`governance audit pipl-exports`: an organisation's export volume for a calendar year in China
(docs/policy-input.md, "Export volumes"), and the operator's declaration of exports made outside
the gateway (`--add`), which count toward the CAC 2024 tiers like the gateway's own. JSON on
standard output; exit 2 when the database cannot be read."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.exc import SQLAlchemyError

from governance.policy.exports import china_year


def add_exports_command(asub: Any) -> None:
    exports = asub.add_parser(
        "pipl-exports", help="CN individuals an org sent abroad this year; declare others"
    )
    exports.add_argument("--db", required=True, help="database URL")
    exports.add_argument("--org", required=True, help="the organisation (JWT org claim)")
    exports.add_argument("--year", help="calendar year in China (default: the current one)")
    exports.add_argument(
        "--add", type=int, default=0, help="individuals exported outside the gateway, to add"
    )
    exports.add_argument(
        "--add-sensitive", type=int, default=0, help="of them, those with sensitive data"
    )
    exports.add_argument("--people", action="store_true", help="list the persons recorded")
    exports.set_defaults(handler=cmd_exports)


def cmd_exports(args: argparse.Namespace) -> int:
    from governance.audit.db import make_engine
    from governance.audit.exports import SqlExports

    if args.add < 0 or not 0 <= args.add_sensitive <= max(args.add, 0):
        print("--add and --add-sensitive must be >= 0, sensitive ones <= --add", file=sys.stderr)
        return 2
    url = args.db
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        print(f"no database at {url}", file=sys.stderr)  # do not create an empty one
        return 2
    year = args.year or china_year(datetime.now(UTC).isoformat().replace("+00:00", "Z"))
    engine = make_engine(url)
    store = SqlExports(engine)
    try:
        if args.add:
            store.preload(args.org, year, args.add, args.add_sensitive)
        volume = store.volume(args.org, year, [])
        doc: dict[str, Any] = {
            "org": args.org,
            "year": year,
            "individuals": volume.individuals,
            "sensitive": volume.sensitive,
        }
        if args.people:
            doc["people"] = [{"person": p, "sensitive": s} for p, s in store.people(args.org, year)]
    except SQLAlchemyError as exc:
        print(f"export counts unavailable: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
        engine.dispose()
    sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0

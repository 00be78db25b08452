"""`governance audit ...`: the auditor's commands.

    keygen     create the Ed25519 checkpoint signing key
    verify     recompute a log (database or jsonl export) and check it against a public key
    export     the API's export formats (jsonl, csv, opa) from a database
    query      the API's decision listing from a database
    reconcile  allowed writes against what was mined (governance/cli_reconcile.py)
    pipl-exports  an org's export volume in China's year; declare exports made elsewhere
                  (governance/cli_exports.py)

The command line has the database, so it applies no role scope (and masks nothing).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import orjson

from governance.cli_exports import add_exports_command
from governance.cli_progress import progress
from governance.cli_reconcile import add_reconcile_command

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from governance.audit.sqlstore import SqlLog
    from governance.audit.verify import Leaf, NoteEntry, Report
    from governance.audit.views import DecisionFilter

    KeyName = Callable[[list[NoteEntry]], str]

FILTERS = ("subject", "org", "jurisdiction", "outcome", "method", "reason", "since", "until")


def add_audit_commands(sub: Any) -> None:
    audit = sub.add_parser("audit", help="decision log: keys, verification, export, queries")
    asub = audit.add_subparsers(dest="audit_command")

    keygen = asub.add_parser("keygen", help="create the Ed25519 checkpoint signing key")
    keygen.add_argument("--key", default="checkpoint.key", help="private key file to create")
    keygen.add_argument("--public", help="public key file (default: KEY.pub)")
    keygen.set_defaults(handler=cmd_keygen)

    verify = asub.add_parser("verify", help="verify a log offline; names the first mismatch")
    source = verify.add_mutually_exclusive_group(required=True)
    source.add_argument("--db", help="database URL (sqlite:///FILE or postgresql://...)")
    source.add_argument("--export", help="a jsonl export (GET /audit/export or audit export)")
    verify.add_argument(
        "--public-key", required=True, help="PEM public key or C2SP verifier key file"
    )
    verify.add_argument("--origin", help="expected log origin (= key name of a PEM key)")
    verify.set_defaults(handler=cmd_verify)

    export = asub.add_parser("export", help="export decisions as jsonl, csv or opa")
    export.add_argument("--db", required=True, help="database URL")
    export.add_argument("--format", default="jsonl", choices=["jsonl", "csv", "opa"])
    export.add_argument("--out", help="file to write (default: standard output)")
    _add_filters(export)
    export.set_defaults(handler=cmd_export)

    query = asub.add_parser(
        "query", help="list decisions: a table on a terminal, JSON {items, next_cursor} otherwise"
    )
    query.add_argument("--db", required=True, help="database URL")
    query.add_argument("--json", action="store_true", help="JSON even on a terminal")
    query.add_argument("--limit", type=int, default=100)
    query.add_argument("--cursor", help="next_cursor of the previous page")
    _add_filters(query)
    query.set_defaults(handler=cmd_query)
    add_reconcile_command(asub)
    add_exports_command(asub)
    audit.set_defaults(handler=lambda _a: (audit.print_help(), 2)[1])


def _add_filters(parser: argparse.ArgumentParser) -> None:
    for name in FILTERS:
        parser.add_argument(f"--{name}", help=_FILTER_HELP.get(name))


_FILTER_HELP = {
    "subject": "the caller's sub claim",
    "jurisdiction": "a jurisdiction that applied (CN, US, eu, ...)",
    "outcome": "allow or deny",
    "reason": "a reason code, e.g. KYC_REQUIRED",
    "since": "RFC 3339 time, inclusive",
    "until": "RFC 3339 time, exclusive",
}


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


# ---- verify --------------------------------------------------------------------------------


def cmd_verify(args: argparse.Namespace) -> int:
    from governance.audit.checkpoint import parse_verifier_key, read_public_key

    key_path = Path(args.public_key)
    try:
        public_key = read_public_key(key_path)
        text = key_path.read_text(encoding="utf-8").strip()
    except (OSError, ValueError) as exc:
        print(f"cannot read public key {key_path}: {exc}", file=sys.stderr)
        return 2
    vkey_name = None if text.startswith("-----BEGIN") else parse_verifier_key(text)[0]

    def key_name(checkpoints: list[NoteEntry]) -> str:
        # Checkpoints are signed under the log origin; a PEM key does not carry that name.
        first_origin = checkpoints[0].note.split("\n", 1)[0] if checkpoints else "-"
        return vkey_name or args.origin or first_origin

    if args.db:
        return _verify_db(args.db, public_key, key_name, args.origin)
    return _verify_export(Path(args.export), public_key, key_name, args.origin)


def _verify_db(
    url: str, public_key: Ed25519PublicKey, key_name: KeyName, origin: str | None
) -> int:
    from governance.audit.verify import LogVerifier, NoteEntry, check_levels, leaf_from_store

    store = _open_store(url)
    if store is None:
        return 2
    try:
        entries = [NoteEntry(cp.size, cp.note, cp.root) for cp in store.checkpoints()]
        verifier = LogVerifier(entries, public_key, key_name(entries), origin)
        with progress("verifying records", store.size()) as advance:
            for row in store.iter_rows():
                verifier.add(leaf_from_store(row))
                advance(1)
        report = verifier.finish(check_levels(verifier.size, store.iter_level))
        return _print_report(report, store.leaf_id)
    finally:
        store.close()


def _verify_export(
    path: Path, public_key: Ed25519PublicKey, key_name: KeyName, origin: str | None
) -> int:
    from governance.audit.verify import Leaf, LogVerifier, NoteEntry

    try:
        entries = [e for e in _export_entries(path) if isinstance(e, NoteEntry)]
        verifier = LogVerifier(entries, public_key, key_name(entries), origin)
        for entry in _export_entries(path):
            if isinstance(entry, Leaf):
                verifier.add(entry)
    except (OSError, ValueError, KeyError) as exc:
        print(f"cannot read export {path}: {exc}", file=sys.stderr)
        return 2
    return _print_report(verifier.finish(), lambda _index: None)


def _export_entries(path: Path) -> Iterator[Leaf | NoteEntry]:
    from governance.audit.verify import entry_from_export

    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield entry_from_export(line)
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"line {number}: {exc}") from exc


def _print_report(report: Report, leaf_id: Callable[[int], str | None]) -> int:
    from dataclasses import replace

    from governance.audit.views import b64

    print(f"records:     {report.size}  root {b64(report.root)}")
    uncovered = max(0, report.size - report.latest_checkpoint)
    print(
        f"checkpoints: {report.checkpoints} validly signed, latest size {report.latest_checkpoint}"
    )
    print(f"unsigned:    {uncovered} records after the latest checkpoint")
    if report.withheld:
        print(f"withheld:    {report.withheld} view-masked records checked by leaf hash only")
    if report.ok:
        print("OK: every record, Merkle node and checkpoint matches")
        return 0
    problems = [
        replace(p, record_id=leaf_id(p.leaf_index))
        if p.record_id is None and p.leaf_index is not None and p.checkpoint_size is None
        else p
        for p in report.problems
    ]
    print(f"FAILED: {problems[0]}", file=sys.stderr)
    for problem in problems[1:]:
        print(f"  also: {problem}", file=sys.stderr)
    if report.total_problems > len(problems):
        print(f"  ... {report.total_problems - len(problems)} more", file=sys.stderr)
    return 1


# ---- export and query ----------------------------------------------------------------------


def cmd_export(args: argparse.Namespace) -> int:
    from governance.audit.sqlstore import filter_clause
    from governance.audit.views import EVERYTHING, export_lines

    flt = _filter(args)
    store = _open_store(args.db)
    if flt is None or store is None:
        return 2
    try:
        where = filter_clause(flt, EVERYTHING)
        with _output(args.out) as out:
            size = store.size()
            with progress("exporting records", size) as advance:
                for chunk in export_lines(store, where, EVERYTHING, args.format, size):
                    out.write(chunk)
                    advance(chunk.count(b"\n"))
    finally:
        store.close()
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    from governance.audit.sqlstore import filter_clause
    from governance.audit.views import EVERYTHING, FilterError, decode_cursor, encode_cursor
    from governance.audit.views import view_item as item

    flt = _filter(args)
    if flt is None:
        return 2
    try:
        after = -1 if args.cursor is None else decode_cursor(args.cursor)
    except FilterError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if args.limit < 1:
        print("--limit must be at least 1", file=sys.stderr)
        return 2
    store = _open_store(args.db)
    if store is None:
        return 2
    try:
        rows = store.decisions(filter_clause(flt, EVERYTHING), after, args.limit + 1)
    finally:
        store.close()
    page = rows[: args.limit]
    doc = {
        "items": [item(r.leaf_index, r.leaf_hash, r.record(), EVERYTHING) for r in page],
        "next_cursor": encode_cursor(page[-1].leaf_index) if len(rows) > args.limit else None,
    }
    if args.json or not sys.stdout.isatty():
        sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        print_table(doc)
    return 0


def print_table(doc: dict[str, Any]) -> None:
    """One row per decision, the columns an auditor scans first; the cursor to go on."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(show_lines=False, header_style="bold")
    for column in ("leaf", "time (UTC)", "subject", "method", "outcome", "reasons", "applied"):
        table.add_column(column, overflow="fold")
    for item in doc["items"]:
        subject = item.get("subject") or {}
        result = item.get("result") or {}
        outcome = str(item.get("outcome", ""))
        cells = [
            str(item["leaf_index"]),
            str(item.get("time", ""))[:19].replace("T", " "),
            f"{subject.get('sub', '')}@{subject.get('org', '')}",
            str(item.get("method", "")),
        ]
        reasons = ", ".join(sorted({str(r.get("code")) for r in result.get("reasons", [])}))
        applied = ", ".join(str(j) for j in result.get("jurisdictions", []))
        colour = "red" if outcome == "deny" else "green"
        # Text cells: record values are data, never console markup.
        table.add_row(*map(Text, cells), Text(outcome, style=colour), Text(reasons), Text(applied))
    console = Console()
    console.print(table)
    more = doc.get("next_cursor")
    tail = f"; next page: --cursor {more}" if more else ""
    console.print(Text(f"{len(doc['items'])} decisions{tail}"))


def _filter(args: argparse.Namespace) -> DecisionFilter | None:
    from governance.audit.views import FilterError, parse_filter

    try:
        return parse_filter({name: getattr(args, name) for name in FILTERS})
    except FilterError as exc:
        print(str(exc), file=sys.stderr)
        return None


def _open_store(url: str) -> SqlLog | None:
    from governance.audit.sqlstore import SqlLog

    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        print(f"no database at {url}", file=sys.stderr)  # do not create an empty one
        return None
    try:
        return SqlLog(url)
    except Exception as exc:  # bad URL, unreachable server: a message, not a traceback
        print(f"cannot open {url}: {exc}", file=sys.stderr)
        return None


@contextmanager
def _output(path: str | None) -> Iterator[IO[bytes]]:
    if path is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    with open(path, "wb") as handle:
        yield handle

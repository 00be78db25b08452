"""`governance audit reconcile`: the decision log against what a ledger mined (docs/audit.md,
"Reconciliation"). A table on a terminal, JSON otherwise (or with --json); progress on a
terminal only. Exit 0 when every transaction in the range is explained, 1 when any is not
(effects that differ from the simulation, or a bypass), 2 when it could not run."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

import orjson

from governance.cli_progress import progress
from governance.config import LedgerConfig, Settings, load_settings
from governance.errors import GovernanceError

SUMMARY = "{blocks} blocks, {transactions} transactions, {compared} compared with their simulation"


def add_reconcile_command(asub: Any) -> None:
    reconcile = asub.add_parser(
        "reconcile",
        help="compare allowed writes with what was mined; list transactions around the gateway",
    )
    reconcile.add_argument("--config", help="governance.toml (default: $GOVERNANCE_CONFIG)")
    reconcile.add_argument("--ledger", required=True, help="a configured ledger's name")
    reconcile.add_argument(
        "--from-block", type=int, help="first block (default: the one after the last reconciled)"
    )
    reconcile.add_argument("--to-block", type=int, help="last block (default: the head)")
    reconcile.add_argument("--json", action="store_true", help="JSON even on a terminal")
    reconcile.set_defaults(handler=cmd_reconcile)


def cmd_reconcile(args: argparse.Namespace) -> int:
    settings = load_settings(args.config, require_auth=False)
    ledger = next((x for x in settings.ledgers if x.name == args.ledger), None)
    if ledger is None:
        names = ", ".join(x.name for x in settings.ledgers)
        print(f"no ledger {args.ledger!r} is configured (ledgers: {names})", file=sys.stderr)
        return 2
    for name in ("from_block", "to_block"):
        if getattr(args, name) is not None and getattr(args, name) < 0:
            print(f"--{name.replace('_', '-')} must be >= 0", file=sys.stderr)
            return 2
    url = settings.audit.database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        print(f"no database at {url}", file=sys.stderr)  # do not create an empty one
        return 2
    try:
        doc = asyncio.run(_reconcile(settings, ledger, args.from_block, args.to_block))
    except GovernanceError as exc:
        print(f"reconciliation failed: {exc}", file=sys.stderr)
        return 2
    if args.json or not sys.stdout.isatty():
        sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        print_table(doc)
    return 1 if doc["findings"] else 0


async def _reconcile(
    settings: Settings, ledger: LedgerConfig, first: int | None, last: int | None
) -> dict[str, Any]:
    from governance.audit.reconcile_store import ReconcileStore
    from governance.audit.sqlstore import SqlLog
    from governance.domain.records import DecisionRecord
    from governance.domain.reference import Reference
    from governance.ledger.evm import EvmNode
    from governance.metrics import Metrics
    from governance.policy.factory import load_configured_source
    from governance.reconciliation import Reconciler

    reference = Reference.from_data(load_configured_source(settings).data)
    store = SqlLog(settings.audit.database_url)
    node = EvmNode(ledger)

    async def append(record: DecisionRecord) -> None:
        await asyncio.to_thread(store.append_batch, [record])

    try:
        reconciler = Reconciler(
            ReconcileStore(store.engine),
            {ledger.name: node},
            lambda: reference,
            append,
            Metrics(),
            settings.audit.reconcile_from_block,
        )
        start, end = await reconciler.plan(ledger.name, first, last)
        with progress("reconciling blocks", max(0, end - start + 1)) as advance:
            report = await reconciler.run(ledger.name, first, last, advance)
        return report.to_json()
    finally:
        await node.close()
        store.close()


def print_table(doc: dict[str, Any]) -> None:
    """One row per unexplained transaction, then the counts."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(show_lines=False, header_style="bold")
    for column in ("block", "transaction", "finding", "org", "sender", "decision", "detail"):
        table.add_column(column, overflow="fold")
    for item in doc["findings"]:
        table.add_row(
            Text(str(item["block"])),
            Text(item["tx_hash"]),
            Text(item["finding"], style="red"),
            Text(item.get("org") or ""),
            Text(item["sender"]),
            Text(item.get("decision_id") or "-"),
            Text(_detail(item)),
        )
    console = Console()
    if doc["findings"]:
        console.print(table)
    console.print(Text(SUMMARY.format(**doc)))
    span = f"blocks {doc['from_block']}..{doc['to_block']}"
    verdict = f"{len(doc['findings'])} unexplained" if doc["findings"] else "all explained"
    console.print(Text(f"{span}: {verdict} ({doc['new_findings']} new)"))


def _detail(item: dict[str, Any]) -> str:
    detail = item.get("detail") or {}
    if item["finding"] == "bypass":
        return f"to {detail.get('to')}, value {detail.get('value')}, nonce {detail.get('nonce')}"
    missing, unexpected = len(detail.get("missing", [])), len(detail.get("unexpected", []))
    return f"{detail.get('status')}; {missing} missing, {unexpected} unexpected movements"

"""Impact analysis: re-decide recorded traffic with a draft policy before publishing it.

Each recorded (masked) policy input is evaluated against the draft, and its outcome and reasons
compared with what was decided then. Parties and amounts are first re-enriched from the
draft's reference data (entities, sanctions, assets, rates), so a change to those documents
shows too; aggregates stay as recorded (those recorded before spend was counted per person
and local calendar stand for every jurisdiction's). Inputs whose personal data was masked
before storage are replayed without it and counted in `masked`.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from governance.audit.reconcile import RECORD_KIND
from governance.audit.tables import DecisionRow
from governance.domain.models import Decision
from governance.domain.reference import Reference
from governance.ledger.methods import RAW_STATE
from governance.policy.evaluator import make_evaluator
from governance.policy.reloader import PROBE_INPUT
from governance.policy.source import DECISION_RULE, PolicySource

D = DecisionRow.__table__  # type: ignore[attr-defined]
PAGE = 500
CATEGORIES = ("allow_to_deny", "deny_to_allow", "reasons_changed", "obligations_changed", "errors")
_JURISDICTION = re.compile(r"[A-Za-z]{2,8}")


def log_time(value: str, name: str) -> str:
    """A date or ISO 8601 time as the log writes times (UTC, microseconds, Z), so that text
    comparison in the database is time order."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be a date or time like 2026-11-26T14:00:00Z") from exc
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class DraftError(ValueError):
    """The draft does not compile or cannot decide a plain read."""


class RecordStore(Protocol):
    """What replay needs from the decision log (governance.audit.sqlstore.SqlLog)."""

    def records(
        self, where: Any = None, after: int = -1, limit: int = 100
    ) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class ReplayFilter:
    """`since` inclusive, `until` exclusive: dates or ISO 8601 times (UTC unless they carry
    an offset). `jurisdiction`: the decision applied it."""

    since: str | None = None
    until: str | None = None
    jurisdiction: str | None = None
    limit: int = 100_000  # records examined at most
    # The caller's read scope as an SQL condition (None: every record).
    scope: Any = field(default=None, compare=False)

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None:
                log_time(value, name)
        if self.jurisdiction is not None and not _JURISDICTION.fullmatch(self.jurisdiction):
            raise ValueError("jurisdiction must be a code such as CN or eu")
        if self.limit <= 0:
            raise ValueError("limit must be positive")

    def where(self) -> Any:
        # Follow-up records of the reconciliation are no decisions: nothing to replay.
        conditions = [D.c.kind != RECORD_KIND]
        if self.scope is not None:
            conditions.append(self.scope)
        if self.since:
            conditions.append(D.c.time >= log_time(self.since, "since"))
        if self.until:
            conditions.append(D.c.time < log_time(self.until, "until"))
        if self.jurisdiction:
            conditions.append(D.c.jurisdictions.like(f"%,{self.jurisdiction},%"))
        where = conditions[0]
        for c in conditions[1:]:
            where = where & c
        return where

    def to_json(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "until": self.until,
            "jurisdiction": self.jurisdiction,
            "limit": self.limit,
        }


@dataclass(frozen=True)
class ReplayReport:
    draft_revision: str
    filters: dict[str, Any]
    examined: int
    unchanged: int
    counts: dict[str, int]  # per category in CATEGORIES
    masked: int
    baseline_revisions: dict[str, int]
    reason_codes_added: dict[str, int]
    reason_codes_removed: dict[str, int]
    examples: dict[str, list[dict[str, Any]]]
    truncated: bool  # the limit stopped the scan

    @property
    def changed(self) -> int:
        return sum(self.counts[c] for c in CATEGORIES if c != "errors")

    def to_json(self) -> dict[str, Any]:
        return {
            "draft_revision": self.draft_revision,
            "filters": self.filters,
            "examined": self.examined,
            "changed": self.changed,
            "unchanged": self.unchanged,
            **self.counts,
            "masked": self.masked,
            "baseline_revisions": self.baseline_revisions,
            "reason_codes_added": self.reason_codes_added,
            "reason_codes_removed": self.reason_codes_removed,
            "truncated": self.truncated,
            "examples": self.examples,
        }

    def summary(self) -> str:
        lines = [
            f"draft revision {self.draft_revision}: {self.examined} recorded decisions replayed"
            + (" (limit reached)" if self.truncated else ""),
            f"  unchanged            {self.unchanged}",
        ]
        lines += [f"  {c:<20} {self.counts[c]}" for c in CATEGORIES]
        if self.masked:
            lines.append(f"  ({self.masked} inputs were masked before storage)")
        for code, n in sorted(self.reason_codes_added.items()):
            lines.append(f"  + {code}: {n}")
        for code, n in sorted(self.reason_codes_removed.items()):
            lines.append(f"  - {code}: {n}")
        for c in CATEGORIES:
            for ex in self.examples[c][:3]:
                lines.append(
                    f"  e.g. {c} {ex['id']} {ex['method']} {ex['subject']}: "
                    f"{ex['before']['reasons']} -> {ex['after']['reasons']}"
                )
        return "\n".join(lines)


@dataclass
class _Tally:
    examples_per_category: int
    examined: int = 0
    unchanged: int = 0
    masked: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    revisions: Counter[str] = field(default_factory=Counter)
    added: Counter[str] = field(default_factory=Counter)
    removed: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {c: [] for c in CATEGORIES}
    )

    def add(self, record: dict[str, Any], after: Decision | str) -> None:
        self.examined += 1
        self.revisions[str(record.get("revision", ""))] += 1
        self.masked += bool(record.get("masked"))
        before = Decision.from_json(record["result"])
        category = after if isinstance(after, str) else _category(before, after)
        if category is None:
            self.unchanged += 1
            return
        self.counts[category] += 1
        if isinstance(after, Decision):
            self._codes(before, after)
        if len(self.examples[category]) < self.examples_per_category:
            self.examples[category].append(_example(record, before, after))

    def _codes(self, before: Decision, after: Decision) -> None:
        old, new = _reason_keys(before), _reason_keys(after)
        for code in {c for c, _ in new - old}:
            self.added[code] += 1
        for code in {c for c, _ in old - new}:
            self.removed[code] += 1

    def report(self, draft: PolicySource, filters: ReplayFilter, truncated: bool) -> ReplayReport:
        return ReplayReport(
            draft_revision=draft.revision,
            filters=filters.to_json(),
            examined=self.examined,
            unchanged=self.unchanged,
            counts={c: self.counts[c] for c in CATEGORIES},
            masked=self.masked,
            baseline_revisions=dict(self.revisions),
            reason_codes_added=dict(self.added),
            reason_codes_removed=dict(self.removed),
            examples=self.examples,
            truncated=truncated,
        )


def replay(
    store: RecordStore,
    draft: PolicySource,
    filters: ReplayFilter | None = None,
    *,
    engine: str = "regorus",
    examples: int = 10,
    on_record: Callable[[int], None] | None = None,
) -> ReplayReport:
    """Synchronous: run it in a worker thread when serving (the engine is built there)."""
    filters = filters or ReplayFilter()
    evaluator = _compile(engine, draft)
    reference = Reference.from_data(draft.data)
    tally = _Tally(examples)
    truncated = False
    for record in iter_records(store, filters):
        if tally.examined >= filters.limit:
            truncated = True
            break
        tally.add(record, _decide(evaluator, reference, record))
        if on_record is not None:
            on_record(1)
    return tally.report(draft, filters, truncated)


def _compile(engine: str, draft: PolicySource) -> Any:
    try:
        evaluator = make_evaluator(engine, draft)
        # regorus reports most compile errors on the first evaluation, so evaluate once now.
        Decision.from_json(evaluator.eval_json(DECISION_RULE, json.dumps(PROBE_INPUT)))
        return evaluator
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        detail = str(exc).split("\n\nStack backtrace:", 1)[0].strip()
    # Raised unchained: the failed frames hold a thread-pinned engine that must die here.
    raise DraftError(f"draft policy {draft.root} does not compile: {detail}")


def iter_records(store: RecordStore, filters: ReplayFilter) -> Iterator[dict[str, Any]]:
    where, after = filters.where(), -1
    while True:
        page = store.records(where, after=after, limit=PAGE)
        yield from page
        if len(page) < PAGE:
            return
        after = int(page[-1]["leaf_index"])


def _decide(evaluator: Any, reference: Reference, record: dict[str, Any]) -> Decision | str:
    try:
        doc = evaluator.eval_json(DECISION_RULE, json.dumps(reenrich(record["input"], reference)))
        return Decision.from_json(doc)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # undefined or failing on this input: reported, not fatal
        return "errors"


def _category(before: Decision, after: Decision) -> str | None:
    if before.allow and not after.allow:
        return "allow_to_deny"
    if not before.allow and after.allow:
        return "deny_to_allow"
    if _reason_keys(before) != _reason_keys(after):
        return "reasons_changed"
    if _obligations(before) != _obligations(after):
        return "obligations_changed"
    return None


def _reason_keys(d: Decision) -> set[tuple[str, str]]:
    return {(r.code, r.jurisdiction) for r in d.reasons}


def _obligations(d: Decision) -> tuple[Any, ...]:
    reports = sorted(json.dumps(r, sort_keys=True) for r in d.report)
    return (sorted(d.redact), reports, d.require_travel_rule)


def _example(record: dict[str, Any], before: Decision, after: Decision | str) -> dict[str, Any]:
    subject = record.get("subject") or {}
    return {
        "id": record.get("id"),
        "time": record.get("time"),
        "method": record.get("method"),
        "kind": record.get("kind"),
        "revision": record.get("revision"),
        "subject": f"{subject.get('sub')}@{subject.get('org')} ({subject.get('jurisdiction')})",
        "masked": list(record.get("masked") or []),
        "before": _brief(before),
        "after": _brief(after) if isinstance(after, Decision) else {"error": True},
    }


def _brief(d: Decision) -> dict[str, Any]:
    reasons = sorted(f"{r.code}@{r.jurisdiction}" for r in d.reasons)
    return {"outcome": d.outcome, "reasons": reasons}


# ---- re-enrichment -------------------------------------------------------------------------


def reenrich(policy_input: dict[str, Any], reference: Reference) -> dict[str, Any]:
    """The recorded input with parties, asset and USD amount looked up again in the draft's
    reference data (the same lookups governance.policy.inputs makes on the hot path)."""
    doc = copy.deepcopy(policy_input)
    parties = doc.get("parties")
    if isinstance(parties, dict):
        for role, party in parties.items():
            parties[role] = _entity(party, reference)
    read = doc.get("read")
    if isinstance(read, dict):  # recorded before reads always carried raw_state
        request = doc.get("request")
        method = request.get("method") if isinstance(request, dict) else None
        read.setdefault("raw_state", method in RAW_STATE)
        read.setdefault("contract", None)
    if isinstance(read, dict) and isinstance(read.get("parties"), list):
        read["parties"] = [_entity(p, reference) for p in read["parties"]]
        read["residency"] = sorted(
            {
                p["jurisdiction"]
                for p in read["parties"]
                if isinstance(p, dict) and p.get("jurisdiction")
            }
        )
    tx = doc.get("tx")
    if isinstance(tx, dict):
        _reprice(tx, doc, reference)
        doc["aggregates"] = _aggregates(doc.get("aggregates"), doc, reference)
    return doc


_OLD_FIGURES = {
    "person_daily_usd": "subject_daily_usd",
    "person_annual_usd": "subject_annual_usd",
    "person_daily_cross_border_usd": "subject_daily_cross_border_usd",
    "person_annual_cross_border_usd": "subject_annual_cross_border_usd",
}


def _aggregates(recorded: Any, doc: dict[str, Any], reference: Reference) -> Any:
    """A write's figures for every jurisdiction of the draft. Records from before spend was
    counted per person and local calendar carry the subject's UTC figures: they stand for
    every jurisdiction's. A jurisdiction the record has no figures for (added since) gets the
    largest recorded ones, so a replay does not read it as nothing spent."""
    if not isinstance(recorded, dict):
        return recorded
    request = doc.get("request") or {}
    by = dict(recorded.get("by_jurisdiction") or {})
    if not by and "subject_daily_usd" in recorded:
        old = {new: recorded.get(name, 0.0) for new, name in _OLD_FIGURES.items()}
        day = {"day": request.get("day"), "year": request.get("year")}
        by = {code: {**day, **old} for code in reference.time_zones}
        sender = str((doc.get("tx") or {}).get("from") or "")
        recorded = {"person": reference.person(sender), "person_30d_usd": 0.0}
    figures = [f for f in by.values() if isinstance(f, dict)]
    for code in reference.time_zones:
        if code not in by and figures:
            by[code] = {name: _largest(figures, name) for name in figures[0]}
    return {**recorded, "by_jurisdiction": by}


def _largest(figures: list[dict[str, Any]], name: str) -> Any:
    values = [f.get(name) for f in figures]
    numbers = [v for v in values if isinstance(v, int | float)]
    return max(numbers) if numbers else values[0]


def _entity(party: Any, reference: Reference) -> Any:
    if not isinstance(party, dict) or not isinstance(party.get("address"), str):
        return party  # masked or not an address: replayed as recorded
    return reference.entity(party["address"]).to_input()


def _reprice(tx: dict[str, Any], doc: dict[str, Any], reference: Reference) -> None:
    asset = tx.get("asset")
    if not isinstance(asset, dict):
        return
    contract = asset.get("contract")
    known = reference.asset(contract) if isinstance(contract, str) else None
    if known is not None and known.decimals == asset.get("decimals"):
        tx["asset"] = asset = known.to_input()  # same decimals: the recorded value still holds
    try:
        units = Decimal(str(tx.get("value")))
    except InvalidOperation:
        return
    usd = reference.usd(str(asset.get("symbol")), units)
    tx["amount_usd"], tx["rate_known"] = usd or 0.0, usd is not None
    recipient = (doc.get("parties") or {}).get("recipient")
    subject = doc.get("subject") or {}
    if isinstance(recipient, dict) and "jurisdiction" in recipient:
        tx["cross_border"] = recipient["jurisdiction"] != subject.get("jurisdiction")

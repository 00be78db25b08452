"""Aggregates of the decision log for the console's overview: decisions over time by outcome,
top reason codes per jurisdiction, denials per jurisdiction over time, and the quota usage of
the busiest subjects against their limits. Always over a reader's scope (`where`)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import select

from governance.audit.sqlstore import SqlLog
from governance.audit.tables import DecisionRow
from governance.audit.views import TIME_FORMAT

D = DecisionRow.__table__  # type: ignore[attr-defined]
MAX_ROWS = 200_000  # rows examined at most; `truncated` says when more matched
TOP_REASONS = 5
TOP_SUBJECTS = 8
MAX_BUCKETS = 720
STEPS = (60, 3600, 86_400, 7 * 86_400, 366 * 86_400)


@dataclass(frozen=True)
class StatRow:
    time: str
    outcome: str
    jurisdictions: tuple[str, ...]
    reason_codes: tuple[str, ...]
    sub: str
    kind: str


def stat_rows(store: SqlLog, where: Any, limit: int = MAX_ROWS) -> list[StatRow]:
    """The copied filter columns of the matching records, newest last."""
    query = select(D.c.time, D.c.outcome, D.c.jurisdictions, D.c.reason_codes, D.c.sub, D.c.kind)
    if where is not None:
        query = query.where(where)
    query = query.order_by(D.c.leaf_index.desc()).limit(limit)
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        StatRow(str(r[0]), str(r[1]), _split(r[2]), _split(r[3]), str(r[4]), str(r[5]))
        for r in reversed(rows)
    ]


def _split(column: str) -> tuple[str, ...]:
    return tuple(part for part in str(column).split(",") if part)


def bucket_seconds(since: str, until: str) -> int:
    """The smallest of minute, hour, day, week or year that needs at most MAX_BUCKETS."""
    span = (_parse(until) - _parse(since)).total_seconds()
    return next((s for s in STEPS if span / s <= MAX_BUCKETS), STEPS[-1])


def summarise(rows: Sequence[StatRow], since: str, until: str, truncated: bool) -> dict[str, Any]:
    step = bucket_seconds(since, until)
    buckets = _buckets(since, until, step)
    index = {b: i for i, b in enumerate(buckets)}
    outcomes: dict[str, list[int]] = {"allow": [0] * len(buckets), "deny": [0] * len(buckets)}
    denials: dict[str, list[int]] = defaultdict(lambda: [0] * len(buckets))
    reasons: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        slot = index.get(_bucket(row.time, step))
        if slot is None:
            continue
        outcomes.setdefault(row.outcome, [0] * len(buckets))[slot] += 1
        if row.outcome == "deny":
            for code in row.jurisdictions or ("none",):
                denials[code][slot] += 1
        for code in row.jurisdictions:
            reasons[code].update(row.reason_codes)
    return {
        "since": since,
        "until": until,
        "bucket_seconds": step,
        "buckets": buckets,
        "examined": len(rows),
        "truncated": truncated,
        "outcomes": outcomes,
        "denials_by_jurisdiction": dict(sorted(denials.items())),
        "top_reasons": {
            j: [{"code": c, "count": n} for c, n in counts.most_common(TOP_REASONS)]
            for j, counts in sorted(reasons.items())
            if counts
        },
    }


def busiest_subjects(rows: Sequence[StatRow], top: int = TOP_SUBJECTS) -> list[str]:
    """Subjects with the most allowed writes in the window."""
    counts = Counter(r.sub for r in rows if r.kind == "write" and r.outcome == "allow")
    return [sub for sub, _ in counts.most_common(top)]


def subject_usage(
    sub: str,
    subject: Mapping[str, Any],
    spent: Mapping[str, Any],
    reference: Mapping[str, Any],
) -> dict[str, Any]:
    """One subject's daily spend and (where its jurisdiction has one) annual FX quota use,
    against the limits in the policy data converted to USD. `spent` are the aggregates of the
    legal person the subject last spent for (docs/policy-input.md); its jurisdiction's local
    day and year count. A limit whose currency has no rate is reported as unknown, not as
    zero."""
    jurisdiction = str(subject.get("jurisdiction", ""))
    kind = str(subject.get("entity_kind") or "institution")
    rules = (reference.get("jurisdictions") or {}).get(jurisdiction) or {}
    figures = (spent.get("by_jurisdiction") or {}).get(jurisdiction) or {}
    rates = reference.get("rates") or {}
    daily = rules.get("daily_limit") or {}
    daily_limit = _usd(rates, daily.get("currency"), (daily.get("limits") or {}).get(kind))
    quota = rules.get("fx_quota") or {}
    fx_limit = (
        _usd(rates, quota.get("currency"), quota.get("annual_individual"))
        if kind == "individual"
        else None
    )
    return {
        "sub": sub,
        "org": str(subject.get("org", "")),
        "jurisdiction": jurisdiction,
        "entity_kind": kind,
        "daily_usd": figures.get("person_daily_usd", 0.0),
        "daily_limit_usd": daily_limit,
        "fx_annual_usd": figures.get("person_annual_cross_border_usd", 0.0),
        "fx_quota_usd": fx_limit,
    }


def _usd(rates: Mapping[str, Any], currency: Any, amount: Any) -> float | None:
    rate = rates.get(str(currency)) if currency else None
    if rate is None or amount is None:
        return None
    return float(Decimal(str(amount)) * Decimal(str(rate)))


def latest_subject(store: SqlLog, where: Any, sub: str) -> tuple[dict[str, Any], str | None]:
    """The subject block of this subject's latest record in scope (its kind and jurisdiction),
    and the person its latest write spent for (None when it wrote nothing)."""
    condition = D.c.sub == sub if where is None else (D.c.sub == sub) & where
    query = select(D.c.record).where(condition).order_by(D.c.leaf_index.desc()).limit(1)
    writes = condition & (D.c.kind == "write")
    person_query = select(D.c.record).where(writes).order_by(D.c.leaf_index.desc()).limit(1)
    with store.engine.connect() as conn:
        row = conn.execute(query).first()
        write = conn.execute(person_query).first()
    if row is None:
        return {}, None
    subject: dict[str, Any] = orjson.loads(row[0]).get("subject") or {}
    aggregates = (orjson.loads(write[0]).get("input") or {}).get("aggregates") if write else None
    person = aggregates.get("person") if isinstance(aggregates, dict) else None
    return subject, person if isinstance(person, str) else None


def _parse(text: str) -> datetime:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)


def _bucket(time: str, step: int) -> str:
    moment = _parse(time)
    return _floor(moment, step).strftime("%Y-%m-%dT%H:%M:%SZ")


def _floor(moment: datetime, step: int) -> datetime:
    return moment - timedelta(
        seconds=int(moment.timestamp()) % step, microseconds=moment.microsecond
    )


def _buckets(since: str, until: str, step: int) -> list[str]:
    start, end = _parse(since), _parse(until)
    start = _floor(start, step)
    out: list[str] = []
    while start < end and len(out) <= MAX_BUCKETS:
        out.append(start.strftime("%Y-%m-%dT%H:%M:%SZ"))
        start += timedelta(seconds=step)
    return out

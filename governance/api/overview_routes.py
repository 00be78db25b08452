"""Read-only summaries for the console, with the audit API's authentication and scopes:

GET /audit/stats         decisions over time by outcome, top reason codes per jurisdiction,
                         denials per jurisdiction over time, quota use of busy subjects
GET /audit/checkpoints   signed checkpoint history, newest first
GET /audit/policy        serving revision, last reload, rules and reason codes per
                         jurisdiction from the policy tree
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query, Request

from governance.api.audit_routes import Filter, ReaderScope, store_call, store_of
from governance.api.routes import reload_without_error
from governance.audit import stats
from governance.audit.quota import SqlQuota
from governance.audit.sqlstore import SqlLog, StoredCheckpoint, filter_clause
from governance.audit.views import TIME_FORMAT, DecisionFilter, b64
from governance.domain.reference import Reference
from governance.errors import ApiError
from governance.policy.bundle import load_policy_source_any
from governance.policy.check import CODE_LITERAL, listed_codes
from governance.policy.source import PolicySource

if TYPE_CHECKING:
    from governance.api.app import Services

DEFAULT_WINDOW = timedelta(hours=1)
_PACKAGE = re.compile(r"^package\s+(\S+)", re.MULTILINE)
_RULE_HEAD = re.compile(r"^([a-z_][a-zA-Z0-9_]*)\s*(?:contains|if|:=|=|\[|\{)", re.MULTILINE)

overview_router = APIRouter(prefix="/audit", tags=["audit"])


def _services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


@overview_router.get("/stats")
async def decision_stats(request: Request, scope: ReaderScope, flt: Filter) -> dict[str, Any]:
    """Over [since, until) (default: the last hour) and the caller's scope."""
    until = flt.until or datetime.now(UTC).strftime(TIME_FORMAT)
    since = flt.since or (datetime.strptime(until, TIME_FORMAT) - DEFAULT_WINDOW).strftime(
        TIME_FORMAT
    )
    window = DecisionFilter(**{**flt.__dict__, "since": since, "until": until})
    where = filter_clause(window, scope)
    store = store_of(request)
    rows = await store_call(request, stats.stat_rows, store, where, stats.MAX_ROWS + 1)
    truncated = len(rows) > stats.MAX_ROWS
    doc = stats.summarise(rows[-stats.MAX_ROWS :], since, until, truncated)
    quota = _services(request).quota
    busiest = stats.busiest_subjects(rows)
    doc["usage"] = await store_call(
        request, _usage, store, quota, where, busiest, _reference(request)
    )
    return doc


def _usage(
    store: SqlLog, quota: SqlQuota, where: Any, subjects: list[str], reference: dict[str, Any]
) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    zones = Reference.from_data({"reference": reference}).time_zones
    usage = []
    for sub in subjects:
        subject, person = stats.latest_subject(store, where, sub)
        spent = quota.totals(person, now, zones) if person else {}
        usage.append(stats.subject_usage(sub, subject, spent, reference))
    return usage


def _reference(request: Request) -> dict[str, Any]:
    source = _policy_source(request)
    return dict(source.data.get("reference") or {}) if source is not None else {}


def _policy_source(request: Request) -> PolicySource | None:
    """The policy tree the gateway is configured with, read once per serving revision."""
    svc = _services(request)
    revision = svc.engine.snapshot().revision
    cache: dict[str, PolicySource] | None = getattr(request.app.state, "policy_sources", None)
    if cache is None:
        cache = request.app.state.policy_sources = {}
    if revision not in cache:
        try:
            source = load_policy_source_any(svc.settings.resolve(svc.settings.policy.path))
        except (OSError, ValueError):
            return None  # remote bundle unreachable or tree unreadable: limits are unknown
        cache.clear()
        cache[revision] = source
    return cache[revision]


@overview_router.get("/checkpoints")
async def checkpoint_history(
    request: Request,
    _scope: ReaderScope,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    store = store_of(request)
    rows: list[StoredCheckpoint] = await store_call(request, store.checkpoints)
    newest = list(reversed(rows))[:limit]
    return {
        "items": [
            {"size": cp.size, "root": b64(cp.root), "time": cp.time, "note": cp.note}
            for cp in newest
        ]
    }


@overview_router.get("/policy")
async def policy_overview(request: Request, scope: ReaderScope) -> dict[str, Any]:
    svc = _services(request)
    source = await store_call(request, _policy_source, request)
    if source is None:
        raise ApiError(503, "the policy tree cannot be read from the configured path")
    return {
        "revision": svc.engine.snapshot().revision,
        "tree_revision": source.revision,
        "engine": svc.settings.policy.engine,
        "signed": svc.settings.policy.bundle_verification_key_file is not None,
        "last_reload": svc.last_reload
        if scope.policy_errors
        else reload_without_error(svc.last_reload),
        "reason_codes": sorted(listed_codes(list(source.modules))),
        "jurisdictions": jurisdiction_rules(source),
    }


def jurisdiction_rules(source: PolicySource) -> dict[str, list[dict[str, Any]]]:
    """Per jurisdiction directory: each module's package, rule names and reason codes."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name, text in source.modules:
        parts = Path(name).parts
        if len(parts) < 3 or parts[0] != "jurisdictions":
            continue
        package = _PACKAGE.search(text)
        out.setdefault(parts[1].upper(), []).append(
            {
                "file": name,
                "package": package.group(1) if package else "",
                "rules": sorted(set(_RULE_HEAD.findall(text)) - {"import", "package", "default"}),
                "reason_codes": sorted(set(CODE_LITERAL.findall(text))),
            }
        )
    return dict(sorted(out.items()))

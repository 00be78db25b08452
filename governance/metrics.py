"""Prometheus metrics of the gateway (one registry per app, so tests can build several)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from governance.metrics_shared import SharedMetrics

_LATENCY_BUCKETS = (
    0.00005,
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
)


class Metrics:
    def __init__(self, shared: SharedMetrics | None = None) -> None:
        """`shared`: the workers' directory, when this is one of several workers."""
        self.shared = shared
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "governance_rpc_requests", "JSON-RPC elements handled", ["ledger", "kind"], registry=r
        )
        self.decisions = Counter(
            "governance_decisions", "Policy decisions by outcome", ["outcome"], registry=r
        )
        self.reasons = Counter(
            "governance_deny_reasons", "Deny reasons by code", ["code", "jurisdiction"], registry=r
        )
        self.errors = Counter(
            "governance_errors", "Requests refused by JSON-RPC error code", ["code"], registry=r
        )
        self.engine_latency = Histogram(
            "governance_engine_seconds",
            "Policy evaluation latency",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.upstream_latency = Histogram(
            "governance_upstream_seconds",
            "Ledger node latency",
            ["ledger"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.simulation_latency = Histogram(
            "governance_simulation_seconds",
            "Write simulation latency (eth_simulateV1 or debug_traceCall on the node)",
            ["ledger"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.policy_reloads = Counter(
            "governance_policy_reloads", "Policy reload attempts", ["result"], registry=r
        )
        self.policy_info = Gauge(
            "governance_policy_loaded", "Loaded policy revision (value 1)", ["revision"], registry=r
        )
        self.policy_refused = Gauge(
            "governance_policy_source_refused",
            "1 while the policy at the configured location is refused (an older revision serves)",
            registry=r,
        )

        self.reconciliation_findings = Counter(
            "governance_reconciliation_findings",
            "Mined transactions the decisions do not explain (effects_differ, bypass)",
            ["ledger", "finding"],
            registry=r,
        )
        self.reconciled_block = Gauge(
            "governance_reconciled_block",
            "Last block reconciled with the decision log",
            ["ledger"],
            registry=r,
        )

    def watch_memo(self, name: str, what: str, counts: Callable[[], tuple[int, int, int]]) -> None:
        """`counts()` gives (hits, misses, entries) of one of the serving revision's memos
        (`governance_<name>_lookups_total{result}`, `governance_<name>_entries`); `what` says
        what it holds."""
        self.registry.register(_MemoCollector(name, what, counts))

    def render(self) -> bytes:
        own = generate_latest(self.registry)
        if self.shared is None:
            return own
        self.shared.publish(own)
        return self.shared.merged(own)

    async def publish(self) -> None:
        """For the other workers' scrapes (a round of a Periodic)."""
        if self.shared is not None:
            self.shared.publish(generate_latest(self.registry))


class _MemoCollector(Collector):
    """A memo's hits and misses, counted per policy revision (a reload starts a new memo,
    and the counters restart from zero as Prometheus counters may)."""

    def __init__(self, name: str, what: str, counts: Callable[[], tuple[int, int, int]]) -> None:
        self.name = name
        self.what = what
        self.counts = counts

    def collect(self) -> Iterator[Metric]:
        hits, misses, entries = self.counts()
        family = CounterMetricFamily(
            f"governance_{self.name}_lookups",
            f"{self.what} looked up in the memo of the serving policy revision",
            labels=["result"],
        )
        family.add_metric(["hit"], hits)
        family.add_metric(["miss"], misses)
        yield family
        yield GaugeMetricFamily(
            f"governance_{self.name}_entries", f"{self.what} held in the memo", value=entries
        )

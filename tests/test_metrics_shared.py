"""governance/metrics_shared.py: a scrape answered by any worker shows every worker's metrics,
each labelled with its worker."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from governance.metrics import Metrics
from governance.metrics_shared import SharedMetrics


def samples(exposition: bytes, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    out = {}
    for family in text_string_to_metric_families(exposition.decode()):
        for s in family.samples:
            if s.name == name:
                out[tuple(sorted(s.labels.items()))] = s.value
    return out


def test_each_worker_answers_for_all(tmp_path: Path) -> None:
    first, second = (Metrics(SharedMetrics(str(tmp_path), i)) for i in (0, 1))
    first.requests.labels("main", "read").inc(3)
    second.requests.labels("main", "read").inc(4)
    second.requests.labels("main", "write").inc()
    first.engine_latency.observe(0.002)
    second.render()  # publishes the second worker's figures

    scraped = first.render()
    requests = samples(scraped, "governance_rpc_requests_total")
    assert requests == {
        (("kind", "read"), ("ledger", "main"), ("worker", "0")): 3.0,
        (("kind", "read"), ("ledger", "main"), ("worker", "1")): 4.0,
        (("kind", "write"), ("ledger", "main"), ("worker", "1")): 1.0,
    }
    counts = samples(scraped, "governance_engine_seconds_count")
    assert counts == {(("worker", "0"),): 1.0, (("worker", "1"),): 0.0}
    assert scraped.count(b"# TYPE governance_rpc_requests_total counter") == 1  # one family


def test_a_scrape_shows_its_own_worker_as_of_now(tmp_path: Path) -> None:
    first, second = (Metrics(SharedMetrics(str(tmp_path), i)) for i in (0, 1))
    second.render()
    first.requests.labels("main", "read").inc(2)  # not published yet
    requests = samples(first.render(), "governance_rpc_requests_total")
    assert requests[(("kind", "read"), ("ledger", "main"), ("worker", "0"))] == 2.0
    second.requests.labels("main", "read").inc(5)  # the sibling's file is from before
    requests = samples(first.render(), "governance_rpc_requests_total")
    assert (("kind", "read"), ("ledger", "main"), ("worker", "1")) not in requests


def test_one_process_answers_without_a_worker_label() -> None:
    metrics = Metrics()
    metrics.requests.labels("main", "read").inc()
    assert samples(metrics.render(), "governance_rpc_requests_total") == {
        (("kind", "read"), ("ledger", "main")): 1.0
    }


def test_a_damaged_file_leaves_the_other_workers(tmp_path: Path) -> None:
    first = Metrics(SharedMetrics(str(tmp_path), 0))
    first.requests.labels("main", "read").inc()
    (tmp_path / "worker-1.prom").write_text("governance_rpc_requests_total{kind= 1 2 3\n")
    requests = samples(first.render(), "governance_rpc_requests_total")
    assert requests == {(("kind", "read"), ("ledger", "main"), ("worker", "0")): 1.0}

"""The metrics of `governance serve --workers N`, whichever worker answers `/metrics`.

Each worker counts in its own process; a scrape reaches one of them. So every worker publishes
its exposition to a file of a directory the workers share (every second, and at each scrape it
answers), and answers a scrape with all the workers' files, each sample labelled with its
worker (`worker="0"`...): counters stay monotonic per worker, and `sum without (worker)` gives
the gateway's. A sibling's figures are at most a publication interval old."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample

log = logging.getLogger(__name__)
PUBLISH_INTERVAL_S = 1.0


class SharedMetrics:
    def __init__(self, directory: str, worker: int) -> None:
        self.directory = Path(directory)
        self.worker = worker

    def publish(self, exposition: bytes) -> None:
        """Replaces this worker's file in one rename: a sibling reads the old or the new."""
        target = self.directory / f"worker-{self.worker}.prom"
        partial = target.with_suffix(".partial")
        partial.write_bytes(exposition)
        os.replace(partial, target)

    def merged(self, own: bytes) -> bytes:
        """Every worker's metrics (this one's as of now), labelled with the worker."""
        expositions = {self.worker: own.decode()}
        for path in sorted(self.directory.glob("worker-*.prom")):
            index = int(path.stem.removeprefix("worker-"))
            if index != self.worker:
                expositions[index] = path.read_text()
        families: dict[str, Metric] = {}
        for index, text in sorted(expositions.items()):
            try:
                parsed = list(text_string_to_metric_families(text))
            except ValueError as exc:  # a damaged file: the other workers still answer
                log.error("worker %d's published metrics are unreadable: %s", index, exc)
                continue
            for family in parsed:
                merged = families.setdefault(
                    family.name, Metric(family.name, family.documentation, family.type)
                )
                merged.samples.extend(_labelled(family.samples, index))
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Families(list(families.values())))
        return generate_latest(registry)


def _labelled(samples: list[Sample], worker: int) -> Iterator[Sample]:
    for s in samples:
        yield s._replace(labels={**s.labels, "worker": str(worker)})


class _Families(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)

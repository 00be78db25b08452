"""Hot policy reload without restart, atomically.

A watcher notices a change (directory content, bundle file mtime + hash, URL ETag), polled
every interval and, for a local directory or file, woken at once by file events. The new
source is loaded, compiled and probed with one decision in a worker thread, and its own
`*_test.rego` run on the serving engine in test processes, off the hot path (the tests are
most of the time from a save to its first decision; ReloadResult.phases_ms says where it
went). Only if all of that passes is the serving snapshot compiled on the serving thread
(regorus engines are pinned to the thread that built them; this costs one compile, ~20 ms for
the shipped tree, instead of a slow first request), probed once more and swapped in as one
reference. Otherwise the old revision keeps serving and the failure is logged, counted in
governance_policy_reloads{result} and shown on /status.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from governance.domain.models import Decision
from governance.domain.ports import PolicyEngine
from governance.domain.snapshot import PolicySnapshot
from governance.keys import VerificationKey
from governance.metrics import Metrics
from governance.policy.bundle import is_url
from governance.policy.engine import decide_sync
from governance.policy.evaluator import ENGINES, RegoUndefined, make_evaluator
from governance.policy.rego_test_pool import RegoTestPool, TestRun, default_processes
from governance.policy.source import DECISION_RULE, PolicySource, PolicySourceError
from governance.policy.verdicts import SharedVerdicts, Verdict
from governance.policy.watch import watch_location
from governance.policy.watchers import Loaded, make_watcher

log = logging.getLogger(__name__)

# A plain read every policy tree must be able to decide: a revision that cannot is refused.
PROBE_INPUT: dict[str, Any] = {
    "request": {
        "id": "00000000000000000000000000",
        "ledger": "main",
        "chain_id": 31337,
        "method": "eth_blockNumber",
        "kind": "read",
        "received_at": "2026-01-01T00:00:00.000000Z",
        "day": "2026-01-01",
        "year": "2026",
        "decode_error": None,
    },
    "subject": {
        "sub": "reload-probe",
        "org": "reload-probe",
        "jurisdiction": "US",
        "roles": ["trader"],
        "entity_kind": "institution",
        "kyc": "verified",
    },
    "tx": None,
    "parties": {},
    "travel_rule": None,
    "travel_rule_errors": [],
    "aggregates": {"person": None, "person_30d_usd": 0.0, "by_jurisdiction": {}},
    "read": {"params": [], "parties": [], "residency": [], "raw_state": False, "contract": None},
    "simulation": None,
    "effects": [],
    "approvals": [],
    "contracts": [],
}


# regorus: one query per test package takes a third of one per test (rego_test.py); the tests
# are most of the time between an officer's save and the first decision by it.
_TEST_STRATEGY = {"regorus": "package"}


@dataclass(frozen=True)
class ReloadResult:
    time: str
    ok: bool
    changed: bool  # False: nothing new was found (no attempt was made)
    revision: str | None  # the revision attempted
    serving: str  # the revision serving afterwards
    error: str | None = None
    result: str = "unchanged"  # metric label: ok | load_error | compile_error | test_failed
    tests: int = 0
    duration_ms: float = 0.0
    # Where an applied reload's time went: load, check (throwaway compile and probe, beside the
    # tests), tests (start to last result), compile (the serving snapshot, serving thread).
    phases_ms: tuple[tuple[str, float], ...] = ()

    def to_status(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "revision": self.revision,
            "serving": self.serving,
            "ok": self.ok,
            "result": self.result,
            "error": self.error,
            "tests": self.tests,
            "duration_ms": round(self.duration_ms, 1),
            "phases_ms": {name: round(ms, 1) for name, ms in self.phases_ms},
        }


class _Failure(Exception):
    def __init__(self, result: str, message: str, revision: str | None, content_id: str) -> None:
        super().__init__(message)
        self.result = result
        self.message = message
        self.revision = revision
        self.content_id = content_id


@dataclass(frozen=True)
class _Validated:
    loaded: Loaded
    tests: int
    phases_ms: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class _Candidate:
    loaded: Loaded
    snapshot: PolicySnapshot
    tests: int
    phases_ms: tuple[tuple[str, float], ...]


class PolicyReloader:
    def __init__(
        self,
        engine: PolicyEngine,
        location: str | Path,
        verification_key: VerificationKey | None,
        interval_s: float,
        metrics: Metrics,
        verdicts: SharedVerdicts | None = None,
    ) -> None:
        self.engine = engine
        self.verdicts = verdicts  # shared with the other workers of one `serve --workers N`
        self.location = str(location)
        self.interval_s = interval_s
        self.metrics = metrics
        self.watcher = make_watcher(location, verification_key)
        name = getattr(engine, "name", "regorus")
        # The remote engine decides elsewhere; its candidates are still validated locally.
        self.engine_name = name if name in ENGINES else "regorus"
        self.last_result: ReloadResult | None = None
        self.refused: str | None = None  # why the policy at the location is refused, if it is
        # Whether the serving revision is a bundle verified with the key: with a key nothing
        # else loads, so this holds from start-up until the first look confirms it.
        self.signed = verification_key is not None
        self._applied: str | None = None
        self._failed: str | None = None
        self._lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._wake: asyncio.Event | None = None
        self._stop_watch: asyncio.Event | None = None
        # One thread: candidates are validated one at a time, off the serving thread; their
        # Rego tests run in test processes (governance/policy/rego_test_pool.py).
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="policy-reload")
        self._tests = RegoTestPool(default_processes())

    @property
    def last_reload(self) -> dict[str, Any] | None:
        """What /status shows: the last attempt (unchanged polls are not attempts)."""
        return None if self.last_result is None else self.last_result.to_status()

    async def start(self) -> None:
        await self.reload_now(force=True)  # catches a change made since the engine loaded
        if self.interval_s <= 0 or self._tasks:
            return
        loop = asyncio.get_running_loop()
        self._wake, self._stop_watch = asyncio.Event(), asyncio.Event()
        self._tasks.append(loop.create_task(self._run(self._wake)))
        if not is_url(self.location):
            watch = watch_location(Path(self.location), self._wake, self._stop_watch)
            self._tasks.append(loop.create_task(watch))

    async def stop(self) -> None:
        if self._stop_watch is not None:
            self._stop_watch.set()  # the file watcher's thread checks this every 50 ms
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        async with self._lock:  # let a running attempt finish before the pool goes
            self._tests.close()  # before the thread that started them ends (and kills them)
            self._pool.shutdown(wait=True)

    async def reload_now(self, force: bool = True) -> ReloadResult:
        """Checks the location now; with force, skips the cheap change checks and retries
        content that failed before."""
        async with self._lock:
            return await self._reload(force)

    async def _run(self, wake: asyncio.Event) -> None:
        while True:
            with contextlib.suppress(TimeoutError):  # a file event, or the polling interval
                await asyncio.wait_for(wake.wait(), self.interval_s)
            wake.clear()
            try:
                await self.reload_now(force=False)
            except Exception:  # the loop must outlive any surprise; the attempt is logged
                log.exception("policy reload loop")

    async def _reload(self, force: bool) -> ReloadResult:
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        try:
            validated = await loop.run_in_executor(self._pool, self._prepare, force)
            if validated is None:
                return self._unchanged()
            candidate = self._compile_here(validated)
        except _Failure as failure:
            return self._failed_result(failure, started)
        return self._swap(candidate, started)

    def _prepare(self, force: bool) -> _Validated | None:
        """Worker thread: load, then compile, probe and test on throwaway evaluators that
        are built and dropped on this thread (regorus engines may not cross threads)."""
        started = time.perf_counter()
        try:
            loaded = self.watcher.poll(force)
        except PolicySourceError as exc:
            message = str(exc)
            loaded = None
        else:
            message = ""
        if message:
            raise _Failure("load_error", message, None, f"error:{message}")
        if loaded is None:
            return None
        if self._applied is None and loaded.source.revision == self.engine.snapshot().revision:
            self._applied = loaded.content_id  # the first look: this is what is serving
            self.signed = loaded.source.signed
        if loaded.content_id == self._applied:
            self._set_refused(None)  # the location holds what serves (e.g. a save undone)
            return None
        if loaded.content_id == self._failed and not force:
            return None  # already reported; wait for the next change
        if self.verdicts is None or force:
            return self._validate(loaded, started)
        return self._validate_once(loaded, started, self.verdicts)

    def _validate_once(
        self, loaded: Loaded, started: float, verdicts: SharedVerdicts
    ) -> _Validated:
        """The other workers' verdict on this content, or this worker's, given to them."""
        own: list[_Validated] = []

        def validate() -> Verdict:
            try:
                own.append(self._validate(loaded, started))
            except _Failure as failure:
                return Verdict(False, 0, failure.result, failure.message)
            return Verdict(True, own[0].tests)

        waited = time.perf_counter()
        verdict, _ = verdicts.decide_once(f"{self.engine_name}:{loaded.content_id}", validate)
        if own:
            return own[0]
        source = loaded.source
        if not verdict.ok:
            raise _Failure(verdict.result, verdict.message, source.revision, loaded.content_id)
        phases = (("load", _ms(started, waited)), ("shared_wait", _ms(waited)))
        return _Validated(loaded, verdict.tests, phases)

    def _validate(self, loaded: Loaded, started: float) -> _Validated:
        source, revision, cid = loaded.source, loaded.source.revision, loaded.content_id
        loaded_at = time.perf_counter()
        # The tests start first, in their processes; the probe runs here meanwhile.
        strategy = _TEST_STRATEGY.get(self.engine_name)
        run = _guard(
            "test_failed", revision, cid, self._tests.start, source, self.engine_name, strategy
        )
        try:
            _guard("compile_error", revision, cid, _probe, source, self.engine_name)
        except _Failure:
            run.cancel()
            raise
        checked_at = time.perf_counter()
        tests = _guard("test_failed", revision, cid, _count_passed, run, source)
        phases = (
            ("load", _ms(started, loaded_at)),
            ("check", _ms(loaded_at, checked_at)),
            ("tests", _ms(loaded_at)),
        )
        return _Validated(loaded, tests, phases)

    def _compile_here(self, validated: _Validated) -> _Candidate:
        """Serving thread: the snapshot that will serve is compiled here, so its regorus
        engine belongs to the thread that evaluates; the probe runs before the swap, not on
        the first request after it."""
        started = time.perf_counter()
        source, cid = validated.loaded.source, validated.loaded.content_id
        snapshot = _guard("compile_error", source.revision, cid, self.engine.compile, source)
        if snapshot.evaluator is not None:
            _guard("compile_error", source.revision, cid, decide_sync, snapshot, PROBE_INPUT)
        phases = (*validated.phases_ms, ("compile", _ms(started)))
        return _Candidate(validated.loaded, snapshot, validated.tests, phases)

    def _swap(self, candidate: _Candidate, started: float) -> ReloadResult:
        previous = self.engine.snapshot().revision
        self.engine.swap(candidate.snapshot)
        self._applied, self._failed = candidate.loaded.content_id, None
        self._set_refused(None)
        self.signed = candidate.loaded.source.signed
        revision = candidate.snapshot.revision
        if previous != revision:
            _remove_label(self.metrics, previous)
        self.metrics.policy_info.labels(revision).set(1)
        self.metrics.policy_reloads.labels(result="ok").inc()
        log.info(
            "policy reloaded: %s -> %s (%d tests; %s)",
            previous,
            revision,
            candidate.tests,
            ", ".join(f"{name} {ms:.0f} ms" for name, ms in candidate.phases_ms),
        )
        return self._record(
            ReloadResult(
                time=_now(),
                ok=True,
                changed=True,
                revision=revision,
                serving=revision,
                result="ok",
                tests=candidate.tests,
                duration_ms=_ms(started),
                phases_ms=candidate.phases_ms,
            )
        )

    def _set_refused(self, error: str | None) -> None:
        self.refused = error
        self.metrics.policy_refused.set(0 if error is None else 1)

    def _failed_result(self, failure: _Failure, started: float) -> ReloadResult:
        self._failed = failure.content_id
        self._set_refused(failure.message)
        self.metrics.policy_reloads.labels(result=failure.result).inc()
        serving = self.engine.snapshot().revision
        log.error(
            "policy reload refused (%s), still serving %s: %s",
            failure.result,
            serving,
            failure.message,
        )
        return self._record(
            ReloadResult(
                time=_now(),
                ok=False,
                changed=True,
                revision=failure.revision,
                serving=serving,
                error=failure.message,
                result=failure.result,
                duration_ms=_ms(started),
            )
        )

    def _unchanged(self) -> ReloadResult:
        serving = self.engine.snapshot().revision
        return ReloadResult(time=_now(), ok=True, changed=False, revision=serving, serving=serving)

    def _record(self, result: ReloadResult) -> ReloadResult:
        self.last_result = result
        return result


def _guard(result: str, revision: str, content_id: str, fn: Any, *args: Any) -> Any:
    """Runs one validation step; any failure (pyo3 panics included) becomes a _Failure.
    The _Failure is raised outside the except block on purpose: a chained exception would
    keep the failed step's frames (and a thread-pinned engine) alive into another thread."""
    try:
        return fn(*args)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        message = _short(exc)
    raise _Failure(result, message, revision, content_id)


def _probe(source: PolicySource, engine_name: str) -> None:
    evaluator = make_evaluator(engine_name, source)
    try:
        Decision.from_json(evaluator.eval_json(DECISION_RULE, json.dumps(PROBE_INPUT)))
    except (ValueError, RegoUndefined) as exc:
        raise ValueError(f"{DECISION_RULE} cannot decide a plain read: {exc}") from exc


def _count_passed(run: TestRun, source: PolicySource) -> int:
    from governance.policy.rego_test import discover

    results = run.results()
    if sorted(r.rule for r in results) != sorted(c.rule for c in discover(source)):
        raise ValueError("the test run did not report every policy test")  # never assume a pass
    failed = [r for r in results if not r.passed]
    if failed:
        names = ", ".join(f"{r.package}.{r.name}" for r in failed[:5])
        more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
        raise ValueError(f"{len(failed)} of {len(results)} policy tests failed: {names}{more}")
    return len(results)


def _remove_label(metrics: Metrics, revision: str) -> None:
    with contextlib.suppress(KeyError):
        metrics.policy_info.remove(revision)


def _short(exc: BaseException) -> str:
    """First part of an engine error: regorus appends a native stack trace."""
    text = str(exc).split("\n\nStack backtrace:", 1)[0].strip()
    return text[:2000] or type(exc).__name__


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _ms(started: float, ended: float | None = None) -> float:
    return ((time.perf_counter() if ended is None else ended) - started) * 1000

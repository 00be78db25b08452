"""`governance serve --workers N`: a pre-fork server. The parent binds the listening sockets
(one per worker on the same port where the system spreads connections over such sockets,
SO_REUSEPORT; else one they share), prepares what the workers share (the log's tables, the
checkpoint signing key), forks N workers that each build the whole gateway and accept on their
socket, and stops them together. The workers keep their connections spread evenly
(governance/worker_balance.py). They share no state of the gateway in memory: the SQLite log
takes one append at a time and quotas one subject at a time across them through lock files
(governance/audit/file_lock.py); a PostgreSQL log through its advisory locks, as replicas
do."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import uvicorn

from governance.config import Settings
from governance.errors import ConfigError
from governance.policy.factory import make_policy_engine
from governance.worker_balance import ConnectionCounts, Rebalancing

log = logging.getLogger(__name__)


def prepare(settings: Settings) -> None:
    """Fails on bad configuration before any worker starts, as one process would."""
    make_policy_engine(settings)


def worker_settings(settings: Settings, index: int) -> Settings:
    """Worker 0 reconciles the ledgers with the log; the others do not repeat its findings."""
    if index == 0:
        return settings
    audit = replace(settings.audit, reconcile_seconds=0.0)
    return replace(settings, audit=audit, worker=index)


def serve(
    make_app: Callable[[Settings], Any],
    settings: Settings,
    host: str,
    port: int,
    workers: int,
    **options: Any,
) -> int:
    """Serves `make_app(settings)` in `workers` processes on one port; returns the exit
    status. Workers are built one after the other (the first creates the log's tables and the
    signing key the others then open)."""
    try:
        sockets = _listen(host, port, workers)
    except OSError as exc:  # in use, or not an address of this host
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    remove_stale_runs()
    run = Path(tempfile.mkdtemp(prefix=f"{RUN_PREFIX}{os.getpid()}-"))
    # A policy save is tested once for all the workers (governance/policy/verdicts.py); each
    # worker's metrics, for whichever worker answers /metrics (governance/metrics_shared.py).
    (run / "reload").mkdir()
    (run / "metrics").mkdir()
    settings = replace(
        settings, reload_verdicts_dir=str(run / "reload"), metrics_dir=str(run / "metrics")
    )
    try:
        return _fork_workers(make_app, settings, sockets, (host, port, workers), options)
    finally:
        shutil.rmtree(run, ignore_errors=True)


RUN_PREFIX = "governance-workers-"


def remove_stale_runs() -> None:
    """The directories of earlier runs whose supervisor is gone (SIGKILL leaves them behind:
    its `finally` never runs)."""
    for path in Path(tempfile.gettempdir()).glob(f"{RUN_PREFIX}*-*"):
        pid = path.name.removeprefix(RUN_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _fork_workers(
    make_app: Callable[[Settings], Any],
    settings: Settings,
    sockets: list[socket.socket],
    where: tuple[str, int, int],
    options: Any,
) -> int:
    host, port, workers = where
    counts = ConnectionCounts(workers)
    children: list[int] = []
    for index in range(workers):
        ready, built = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker: its own gateway, on its socket
            os.close(ready)
            _die_with_parent()
            sock = sockets[index % len(sockets)]
            _worker(make_app, worker_settings(settings, index), sock, built, (counts, options))
        os.close(built)
        children.append(pid)
        with os.fdopen(ready, "rb") as pipe:
            answer = pipe.read()  # "1" once built, the configuration error, or nothing
        if answer != b"1":  # the worker could not be built: stop, as one process would
            for child in children:
                _signal(child, signal.SIGTERM)
            _supervise(children)
            raise ConfigError(answer.decode() or "a worker failed while starting (see above)")
    for sock in sockets:
        sock.close()
    log.warning("serving on %s:%d with %d workers (pids %s)", host, port, workers, children)
    return _supervise(children)


def _die_with_parent() -> None:
    """A worker whose supervisor was killed (SIGKILL cannot be caught) must not go on serving
    alone: on Linux the kernel sends it SIGTERM when the parent dies."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _worker(
    make_app: Callable[[Settings], Any],
    settings: Settings,
    sock: socket.socket,
    built: int,
    serving: tuple[ConnectionCounts, Any],
) -> None:
    counts, options = serving
    status = 1
    try:
        try:
            app = Rebalancing(make_app(settings), counts, settings.worker)
        except ConfigError as exc:  # reported by the parent, as `governance serve` reports it
            os.write(built, str(exc).encode() or b"configuration error")
            return
        os.write(built, b"1")
        os.close(built)
        server = uvicorn.Server(uvicorn.Config(app, **options))
        app.watch(server.server_state.connections)
        server.run(sockets=[sock])
        status = 0 if server.started else 3  # 3: start-up failed (uvicorn's code)
    except BaseException:
        log.exception("worker %d failed", os.getpid())
    finally:
        os._exit(status)


def _listen(host: str, port: int, workers: int) -> list[socket.socket]:
    """A socket per worker on one port where the system spreads connections over them (the
    first fixes the port when `port` is 0); else one socket for all."""
    spread = hasattr(socket, "SO_REUSEPORT") and sys.platform.startswith("linux")
    if spread:
        # Sockets with SO_REUSEPORT would also join another gateway's on the port (and take
        # half its clients): a plain bind first fails where anything listens.
        _bound(host, port, spread=False, listen=False).close()
    sockets = [_bound(host, port, spread)]
    bound = sockets[0].getsockname()[1]
    try:
        sockets += [_bound(host, bound, spread) for _ in range(workers - 1 if spread else 0)]
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _bound(host: str, port: int, spread: bool, listen: bool = True) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if spread:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        if listen:
            sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _supervise(children: list[int]) -> int:
    """Forwards SIGTERM and SIGINT to the workers; when one worker ends, stops the others.
    A worker that ends on the signal it was sent (uvicorn re-raises it once shut down) ended
    normally."""
    sent: set[int] = set()

    def stop(signum: int, _frame: Any = None) -> None:
        sent.add(signum)
        for pid in running:
            _signal(pid, signum)

    running = list(children)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    status = 0
    while running:
        pid, code = os.wait()
        if pid not in running:
            continue
        running.remove(pid)
        exit_code = os.waitstatus_to_exitcode(code)
        if exit_code != 0 and -exit_code not in sent:
            status = status or (exit_code if exit_code > 0 else 128 - exit_code)
        if running and not sent:  # one worker gone: the gateway stops as a whole
            stop(signal.SIGTERM)
    return status


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.kill(pid, signum)

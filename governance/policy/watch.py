"""File events for a local policy location (a directory or a bundle file): a saved change wakes
the reloader at once. The reloader's polling stays on beside it, for filesystems without events
and for a watcher that cannot start (e.g. the host's inotify watches are used up)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from watchfiles import Change, DefaultFilter, awatch

log = logging.getLogger(__name__)

DEBOUNCE_MS = 200  # an editor's save is several events; one reload covers them


async def watch_location(location: Path, wake: asyncio.Event, stop: asyncio.Event) -> None:
    """Sets `wake` after every batch of changes at `location` until `stop` is set."""
    default = DefaultFilter()

    def keep(change: Change, path: str) -> bool:
        # A bundle file is replaced by rename: its folder is watched for events naming it.
        return default(change, path) if location.is_dir() else Path(path) == location

    target = location if location.is_dir() else location.parent
    try:
        async for _changes in awatch(
            target, watch_filter=keep, stop_event=stop, debounce=DEBOUNCE_MS, step=50
        ):
            wake.set()
    except Exception as exc:  # no events here: polling carries on alone
        log.warning("policy location %s: no file events (%s); polling only", location, exc)

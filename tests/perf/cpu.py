"""CPU time of process trees, read from /proc (Linux): what each process of a benchmark row
spent, so that a ratio can be told apart from a machine that was simply full."""

from __future__ import annotations

import os
from pathlib import Path

_PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def tree_cpu_s(pid: int) -> float | None:
    """User and system CPU seconds of `pid` and every descendant alive now (a gateway's
    workers are its children); None where /proc cannot tell."""
    stats = _stats()
    if pid not in stats:
        return None
    children: dict[int, list[int]] = {}
    for child, (parent, _) in stats.items():
        children.setdefault(parent, []).append(child)
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += stats[current][1]
        todo += children.get(current, [])
    return total


def _stats() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds) of every process /proc shows."""
    out: dict[int, tuple[int, float]] = {}
    if not _PROC.is_dir():
        return out
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:  # ended since the listing
            continue
        # The name (field 2) may hold spaces and parentheses: split after its last ")".
        fields = raw.rsplit(")", 1)[1].split()
        out[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS)
    return out

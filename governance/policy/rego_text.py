"""What the policy checks read from a Rego module's text without parsing it: its package and
its `import data.…` lines."""

from __future__ import annotations

import re

PACKAGE = re.compile(r"^package\s+([\w.]+)", re.MULTILINE)
IMPORT = re.compile(r"^import\s+data\.([\w.]+?)(?:\s+as\s+(\w+))?\s*$", re.MULTILINE)


def import_aliases(text: str) -> dict[str, str]:
    """Each name an `import data.…` line binds (its `as` alias or its last segment) -> the
    imported path without `data.`."""
    return {m.group(2) or m.group(1).split(".")[-1]: m.group(1) for m in IMPORT.finditer(text)}

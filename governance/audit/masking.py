"""Masks a policy input before it is stored: the decision's `mask` JSON pointers are erased
(OPA decision-log style) and listed in the record, so the stored, hashed record never holds
the personal data and verification never needs it."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

MASK_ALL = "*"


def mask_document(doc: dict[str, Any], pointers: Iterable[str]) -> tuple[dict[str, Any], list[str]]:
    """Returns a masked deep copy and the concrete pointers erased. A `*` segment matches every
    key or index at that level; pointers naming nothing are ignored."""
    pointers = [p for p in pointers if p.startswith("/")]
    if not pointers:
        return doc, []
    out = copy.deepcopy(doc)
    erased: list[str] = []
    for pointer in pointers:
        segments = [_unescape(s) for s in pointer[1:].split("/")]
        _erase(out, segments, "", erased)
    return out, sorted(set(erased))


def _erase(node: Any, segments: list[str], prefix: str, erased: list[str]) -> None:
    head, rest = segments[0], segments[1:]
    for key in _keys(node, head):
        path = f"{prefix}/{_escape(str(key))}"
        if not rest:
            if isinstance(node, dict):
                del node[key]
            else:
                node[key] = None  # keep list positions stable
            erased.append(path)
        else:
            _erase(node[key], rest, path, erased)


def _keys(node: Any, segment: str) -> list[Any]:
    if isinstance(node, dict):
        return list(node) if segment == MASK_ALL else ([segment] if segment in node else [])
    if isinstance(node, list):
        if segment == MASK_ALL:
            return list(range(len(node)))
        if segment.isdigit() and int(segment) < len(node):
            return [int(segment)]
    return []


def _unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")

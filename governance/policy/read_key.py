"""The read cache key is complete (part of `governance policy check`).

Read decisions are cached under a key that leaves out the params of the call and the addresses
of the read's parties and contract (governance/policy/engine.py `read_cache_key`). That is
sound only while no rule reads them, which this check establishes on the text of the tree:

- sources: rule bodies that read `doc.read.parties`, `doc.read.contract`, `doc.read.params`
  or the whole `read` section (`object.get(doc, "read", ...)`);
- every rule whose body names a tainted rule (by its local name inside its package, by its
  full `data.` path elsewhere) is tainted in turn, to a fixed point;
- a tainted rule body that names `address` or `params` is refused;
- the key leaves out the caller's `sub` too, and the subject reaches every rule, so any rule
  body that names `sub` is refused.

`lib/validate.rego` is exempt: it reads only the shape of the input (governance/policy/
input_shape.py checks that), which the key keeps (a params array stays an array, an address
string a string)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from governance.policy.input_shape import VALIDATE_FILE
from governance.policy.rego_text import PACKAGE, import_aliases

_HEAD = re.compile(r"^(?:default\s+)?(\w+)")
_SOURCE = re.compile(
    r"\bdoc\.read\.(?:parties|contract|params)\b|object\.get\(\s*doc\s*,\s*\"read\"|"
    r"\bdoc\.read\s*(?:$|[^\w.])|data\.governance\.lib\.ctx\.doc\.read\.(?:parties|contract|params)\b"
)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_SUB = re.compile(r"\bsub\b")
_LEFT_OUT = re.compile(r"\baddress(?:es)?\b|\bparams\b")


@dataclass(frozen=True)
class Block:
    """One rule definition: its file, first line, package, head name and text."""

    file: str
    line: int
    package: str
    name: str
    text: str

    @property
    def literal_args(self) -> tuple[str, ...]:
        """The arguments of a function head (`f("eu", "data_scope") := ...`), as written."""
        head = re.match(rf"{self.name}\(([^)]*)\)", self.text)
        return tuple(a.strip() for a in head.group(1).split(",")) if head else ()


def blocks(name: str, text: str) -> list[Block]:
    """The module cut at every line that starts in the first column (a rule head), with
    import aliases written out as their full `data.` paths."""
    match = PACKAGE.search(text)
    package = match.group(1) if match else ""
    for alias, path in import_aliases(text).items():
        text = re.sub(rf"(?<![\w.]){alias}\.", f"data.{path}.", text)
    out: list[Block] = []
    current: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        code = raw.split("#", 1)[0].rstrip()
        if not code:
            continue
        if code[0] not in " \t}" and not code.startswith(("else", "package", "import")):
            if current:
                out.append(_block(name, start, package, current))
            current, start = [code], number
        elif current:
            current.append(code)
    if current:
        out.append(_block(name, start, package, current))
    return out


def _block(name: str, line: int, package: str, lines: list[str]) -> Block:
    head = _HEAD.match(lines[0])
    return Block(name, line, package, head.group(1) if head else "", "\n".join(lines))


def _names(block: Block, rule: Block) -> bool:
    """Whether `block` may read `rule`: by full path, by local name in its package, through a
    reference to the whole package; a call whose literal arguments differ from the
    definition's literal arguments (`f("x", "authorization")` against `f("eu", "data_scope")`)
    does not reach that definition."""
    text = block.text[len(block.name) :] if block.text.startswith(block.name) else block.text
    if re.search(rf"\bdata\.{re.escape(rule.package)}(?![\w.])", text):
        return True
    full = rf"\bdata\.{re.escape(rule.package)}\.{rule.name}\b"
    local = rf"(?<![\w.\"]){rule.name}\b" if block.package == rule.package else None
    for pattern in (full, local):
        if pattern is None:
            continue
        for found in re.finditer(pattern + r"(\(([^()]*(?:\([^()]*\))?[^()]*)\))?", text):
            reaches = found.group(1) is None or _may_match(found.group(2), rule.literal_args)
            if reaches and not _in_string(text, found.start()):
                return True
    return False


def _may_match(call: str, head: tuple[str, ...]) -> bool:
    args = [a.strip() for a in call.split(",")]
    return not any(
        a.startswith('"') and h.startswith('"') and a != h for a, h in zip(args, head, strict=False)
    )


def _in_string(text: str, at: int) -> bool:
    line_start = text.rfind("\n", 0, at) + 1
    return text.count('"', line_start, at) % 2 == 1


def tainted(modules: list[tuple[str, str]]) -> list[Block]:
    """The rule bodies that may see a left-out field (sources and what reads them)."""
    every = [
        b
        for name, text in modules
        if not name.endswith("_test.rego") and name != VALIDATE_FILE
        for b in blocks(name, text)
    ]
    found = [b for b in every if _SOURCE.search(b.text)]
    grew = True
    while grew:
        grew = False
        for block in every:
            if block not in found and any(_names(block, rule) for rule in found):
                found.append(block)
                grew = True
    return found


def key_problems(modules: list[tuple[str, str]]) -> list[tuple[str, int, str]]:
    """(file, line, message) of every rule that names a left-out field where it may see it."""
    caller = [
        (
            b.file,
            b.line,
            f"rule `{b.name}` names `sub`: decisions do not depend on who the caller is, only "
            "on the caller's profile (read decisions are cached without it)",
        )
        for name, text in modules
        if not name.endswith("_test.rego") and name != VALIDATE_FILE
        for b in blocks(name, text)
        if _SUB.search(re.sub(r"#.*", "", b.text))
    ]
    return caller + [
        (
            b.file,
            b.line,
            f"rule `{b.name}` reads the read's data and names `{m.group(0)}`: read decisions "
            "are cached without params and party addresses (docs/performance.md)",
        )
        for b in tainted(modules)
        if (m := _LEFT_OUT.search(re.sub(r"#.*", "", b.text))) is not None
    ]

"""Static checks of a policy tree (`governance policy check`).

- every module (rules and tests) parses and compiles on regorus; problems carry the file and
  line the engine reports;
- every reason code the tree uses is in the closed list of policies/lib/reasons.rego, and every
  listed code is documented in docs/policies.md;
- every jurisdiction package is listed in governance/main.rego (`jurisdiction_package`);
- every data file validates against docs/schemas/<name>.schema.json, every currency a
  threshold uses has a rate, every jurisdiction's time zone is one zoneinfo knows, and the
  SDN list parses;
- portability rules the embedded engines need (docs/policies.md, "Writing portable Rego"):
  no `with input as` (crashes regopy), `with` only in the test harness (regopy cannot load
  it cheaply), `input` read only through policies/lib/ctx.rego, and no import alias inside a
  function body of a library module (regorus 0.13 resolves it against the caller);
- no rule that sees the read's data names the fields the read cache key leaves out
  (governance/policy/read_key.py);
- lib/validate.rego reads only the shape of the input, which its answer is memoised by
  (governance/policy/input_shape.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from governance.domain.periods import jurisdiction_periods
from governance.domain.reference import Reference
from governance.policy.input_shape import shape_problems
from governance.policy.read_key import key_problems
from governance.policy.rego_text import PACKAGE, import_aliases
from governance.policy.sanction_lists import REGISTRY, SanctionListError, load_sanction_lists

MAIN_FILE = "governance/main.rego"
REASONS_FILE = "lib/reasons.rego"
CTX_FILE = "lib/ctx.rego"
HARNESS_FILE = "lib/harness_test.rego"
DOC_FILE = "policies.md"

_CODE_LIST = re.compile(r"^codes\s*:=\s*\{(.*?)^\}", re.MULTILINE | re.DOTALL)
_LISTED = re.compile(r'^\t"([A-Z][A-Z0-9_]+)":\s*\{', re.MULTILINE)
CODE_LITERAL = re.compile(r'"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)"')
_WHOLE_INPUT = re.compile(r"\bwith\s+input\s+as\b")
_WITH = re.compile(r"\bwith\s+[\w.\[\]\"]+\s+as\b")
_INPUT = re.compile(r"(?<![\w.])input\b")
_FUNCTION_HEAD = re.compile(r"^(\w+)\(([^)]*)\)\s*(?::=|if\b|\{|=)")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


def check_policies(root: Path, docs: Path | None = None) -> list[Problem]:
    """All problems found in the tree at `root`; docs default to `root/../docs`."""
    docs = docs if docs is not None else root.parent / "docs"
    if not root.is_dir():
        return [Problem(str(root), 0, "policy path is not a directory")]
    modules = _read_modules(root)
    problems: list[Problem] = []
    problems += _compile(modules)
    problems += _reason_codes(modules, docs)
    problems += _portability(modules)
    problems += _wiring(modules)
    problems += [Problem(*p) for p in key_problems(modules)]
    problems += [Problem(*p) for p in shape_problems(modules)]
    problems += _data_files(root, docs)
    return sorted(set(problems), key=lambda p: (p.file, p.line, p.message))


def _read_modules(root: Path) -> list[tuple[str, str]]:
    out = []
    for path in sorted(root.rglob("*.rego")):
        rel = path.relative_to(root).as_posix()
        try:
            out.append((rel, path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            out.append((rel, f"# unreadable: {exc}"))
    return out


# ---- compilation ----------------------------------------------------------------------------


def _compile(modules: list[tuple[str, str]]) -> list[Problem]:
    from governance.policy.engine_regorus import check_modules

    # regorus refuses a module without a package declaration as a parse error
    return [
        Problem(found.file, found.row, f"does not compile: {found.message}")
        for found in check_modules(modules)
    ]


# ---- reason codes ----------------------------------------------------------------------------


def listed_codes(modules: list[tuple[str, str]]) -> set[str]:
    for name, text in modules:
        if name == REASONS_FILE:
            block = _CODE_LIST.search(text)
            return set(_LISTED.findall(block.group(1))) if block else set()
    return set()


def _reason_codes(modules: list[tuple[str, str]], docs: Path) -> list[Problem]:
    listed = listed_codes(modules)
    problems: list[Problem] = []
    if not listed:
        return [Problem(REASONS_FILE, 1, "no reason-code list (`codes := {...}`) found")]
    for name, text in modules:
        if name == REASONS_FILE:
            continue
        for line_no, line in _code_lines(text):
            for code in CODE_LITERAL.findall(line):
                if code not in listed:
                    problems.append(
                        Problem(
                            name, line_no, f"unknown reason code {code} (not in {REASONS_FILE})"
                        )
                    )
    doc = docs / DOC_FILE
    try:
        documented = doc.read_text(encoding="utf-8")
    except OSError:
        return [*problems, Problem(str(doc), 0, "reason codes are not documented (file missing)")]
    for code in sorted(listed):
        if not re.search(rf"`{code}`", documented):
            problems.append(Problem(str(doc), 0, f"reason code {code} is not documented"))
    return problems


def _code_lines(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        code = line.split("#", 1)[0]
        if code.strip():
            yield number, code


# ---- portability ----------------------------------------------------------------------------


_VOLATILE = re.compile(r"received_at|time\.now_ns|\brequest\.id\b|\[\s*\"id\"\s*\]")


def _portability(modules: list[tuple[str, str]]) -> list[Problem]:
    problems: list[Problem] = []
    for name, text in modules:
        for line_no, line in _code_lines(text):
            if _WHOLE_INPUT.search(line):
                problems.append(
                    Problem(
                        name,
                        line_no,
                        "`with input as` crashes regopy; use `with data.governance.lib.ctx.doc as`",
                    )
                )
            elif _WITH.search(line) and name != HARNESS_FILE:
                problems.append(
                    Problem(
                        name,
                        line_no,
                        f"`with` outside {HARNESS_FILE}: regopy cannot load it; write a test case",
                    )
                )
            if not name.endswith("_test.rego") and _VOLATILE.search(line):
                problems.append(
                    Problem(
                        name,
                        line_no,
                        "decisions must not depend on the request id, its arrival time or the "
                        "clock (read decisions are cached per policy revision); use request.day",
                    )
                )
            if (
                not name.endswith("_test.rego")
                and name != CTX_FILE
                and _INPUT.search(_strip_strings(line))
            ):
                problems.append(
                    Problem(name, line_no, f"reads `input` directly; use {CTX_FILE} accessors")
                )
        if name.startswith("lib/") and not name.endswith("_test.rego"):
            problems += _aliases_in_functions(name, text)
    return problems


def _strip_strings(line: str) -> str:
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', line)


def _aliases_in_functions(name: str, text: str) -> list[Problem]:
    aliases = set(import_aliases(text))
    if not aliases:
        return []
    problems = []
    in_function = False
    for line_no, line in _code_lines(text):
        if line[:1] not in (" ", "\t", "}", ""):
            in_function = _FUNCTION_HEAD.match(line) is not None or (
                in_function and line.startswith("else")
            )
        if in_function:
            for alias in aliases:
                if re.search(rf"(?<![\w.]){alias}\.", _strip_strings(line)):
                    problems.append(
                        Problem(
                            name,
                            line_no,
                            f"import alias `{alias}` inside a function: regorus resolves it "
                            "against the caller; use the full data path",
                        )
                    )
    return problems


# ---- wiring ----------------------------------------------------------------------------------


def _wiring(modules: list[tuple[str, str]]) -> list[Problem]:
    """Every jurisdiction package must be listed in main.rego's `jurisdiction_package`, or it
    never applies."""
    main = dict(modules).get(MAIN_FILE, "")
    problems = []
    for name, text in modules:
        match = PACKAGE.search(text)
        if name.endswith("_test.rego") or match is None:
            continue
        parts = match.group(1).split(".")
        if len(parts) == 4 and parts[:2] == ["governance", "jurisdictions"]:
            wired = f'jurisdiction_package("{parts[2]}", "{parts[3]}") := data.{match.group(1)}'
            if wired not in main:
                problems.append(
                    Problem(name, 1, f"package {match.group(1)} is not listed in {MAIN_FILE}")
                )
    return problems


# ---- data -------------------------------------------------------------------------------------


def _data_files(root: Path, docs: Path) -> list[Problem]:
    from jsonschema import Draft202012Validator

    problems: list[Problem] = []
    data_dir = root / "data"
    loaded: dict[str, Any] = {}
    for path in sorted(data_dir.glob("*.json")) if data_dir.is_dir() else []:
        rel = path.relative_to(root).as_posix()
        try:
            text = path.read_text(encoding="utf-8")
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            problems.append(Problem(rel, exc.lineno, f"invalid JSON: {exc.msg}"))
            continue
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(rel, 0, f"cannot read: {exc}"))
            continue
        loaded[path.stem] = doc
        schema_path = docs / "schemas" / f"{path.stem}.schema.json"
        try:
            schema = json.loads(schema_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            problems.append(Problem(rel, 0, f"no usable schema {schema_path}: {exc}"))
            continue
        validator = Draft202012Validator(schema)
        for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
            pointer = "/" + "/".join(str(p) for p in error.absolute_path)
            problems.append(
                Problem(rel, _line_of(text, error.absolute_path), f"{pointer}: {error.message}")
            )
    problems += _currencies(loaded)
    problems += _time_zones(loaded)
    try:
        load_sanction_lists(data_dir, loaded.get(REGISTRY))
    except SanctionListError as exc:
        match = re.match(r"([^:\s]+):(\d+)?", str(exc))
        file = match.group(1) if match else f"{REGISTRY}.json"
        line = int(match.group(2)) if match and match.group(2) else 0
        problems.append(Problem(f"data/{file}", line, str(exc)))
    except UnicodeDecodeError as exc:
        problems.append(Problem("data", 0, f"a sanctions list is not UTF-8: {exc}"))
    return problems


def _line_of(text: str, path: Any) -> int:
    """Best effort: the line of the last key of `path` in the JSON text (1 if not found)."""
    keys = [p for p in path if isinstance(p, str)]
    if not keys:
        return 1
    needle = json.dumps(keys[-1]) + ":"
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line.replace('": ', '":'):
            return number
    return 1


def _currencies(loaded: dict[str, Any]) -> list[Problem]:
    rates = loaded.get("rates")
    jurisdictions = loaded.get("jurisdictions")
    if not isinstance(rates, dict) or not isinstance(jurisdictions, dict):
        return []
    problems = []
    for code, entry in jurisdictions.items():
        for currency in sorted(set(_currency_fields(entry))):
            if not isinstance(rates.get(currency), int | float):
                problems.append(
                    Problem(
                        "data/jurisdictions.json",
                        0,
                        f"{code}: currency {currency} has no rate in data/rates.json",
                    )
                )
    return problems


def _time_zones(loaded: dict[str, Any]) -> list[Problem]:
    """A zone the gateway cannot load leaves the jurisdiction without figures: every write
    would be refused as INPUT_INVALID (the schema checks the zone's presence and shape)."""
    jurisdictions = loaded.get("jurisdictions")
    zones = Reference.from_data({"reference": {"jurisdictions": jurisdictions}}).time_zones
    moment = datetime.now(UTC)
    known = jurisdiction_periods(moment, zones)
    return [
        Problem("data/jurisdictions.json", 0, f"{code}: unknown time zone {zone!r}")
        for code, zone in sorted(zones.items())
        if code not in known
    ]


def _currency_fields(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "currency" and isinstance(value, str):
                yield value
            else:
                yield from _currency_fields(value)
    elif isinstance(node, list):
        for item in node:
            yield from _currency_fields(item)

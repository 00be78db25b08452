"""The input's validation is decided once per shape of input.

`lib/validate.rego` names every field that is missing or of another type (`invalid`); it is
about a fifth of a write's decision and a third of a read's. Its answer depends on the shape of
the input only: which fields are there, the JSON type of each, the position of each array
item, the value of each boolean, and `request.kind`. So the answer found for one input holds
for every input of that shape (`shape_key`). The engines that can replace a rule by a value
(`with`) cheaply load one module of the gateway's own beside the policy tree (`SHAPE_MODULE`):
an input of a shape found valid is decided by `VALID_SHAPE_DECISION`, the decision with
`invalid` replaced by the empty set, which skips the checks; the first input of a shape is
decided by `DECISION_AND_VALIDATION`, one evaluation that also gives the validation's answer.
An input of a shape found invalid is decided in full (it is refused, with the names).

That is sound only while `lib/validate.rego` reads nothing else of the input, which
`shape_problems` establishes on its text (part of `governance policy check`): it may call only
type tests and path builtins, and compare only `request.kind` and booleans."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import orjson

from governance.policy.source import DECISION_RULE

VALIDATE_FILE = "lib/validate.rego"
SHAPE_MODULE = (
    "gateway/input_shape.rego",
    f"""package governance.gateway.shape

import rego.v1

# The decision of an input whose shape lib/validate.rego finds valid, without its checks.
valid_shape_decision := d if {{
	d := {DECISION_RULE} with data.governance.lib.validate.invalid as set()
}}

# Both in one evaluation (each rule is evaluated once per evaluation, whoever reads it).
decision_and_validation := [{DECISION_RULE}, invalid]

invalid := x if {{
	x := data.governance.lib.validate.invalid
}} else := set()
""",
)
VALID_SHAPE_DECISION = "data.governance.gateway.shape.valid_shape_decision"
DECISION_AND_VALIDATION = "data.governance.gateway.shape.decision_and_validation"

# What lib/validate.rego may call: type tests, and the builtins it finds sections with and
# names fields by. Anything else (count, startswith, regex, ...) could read a value.
ALLOWED_CALLS = frozenset(
    {
        "is_object",
        "is_string",
        "is_array",
        "is_number",
        "is_boolean",
        "is_null",
        "is_set",
        "type_name",
        "object.get",
        "object.union",
        "split",
        "concat",
        "format_int",
    }
)
# The comparisons it may make: `request.kind` against literals, a boolean against `true` or
# `false`, a path of its own tables against "" (the input itself), a type name against a set.
_ALLOWED_COMPARISONS = re.compile(
    r'request\.kind\s*(?:==|!=)\s*""|request\.kind\s+in\s+\{[^{}]*\}'
    r"|[\w.]+\.known\s*(?:==|!=)\s*(?:true|false)\b"
    r'|\bpath\s*(?:==|!=)\s*""'
    r"|\btype_name\((?:[^()]|\([^()]*\))*\)\s+in\s+\w+"
)
# What it may read besides the input and its own rules: the input itself and the
# jurisdictions of the reference data (both through lib/ctx.rego).
ALLOWED_REFERENCES = frozenset(
    {"data.governance.lib.ctx.doc", "data.governance.lib.ctx.jurisdictions"}
)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_CALL = re.compile(r"(?<![\w.])([a-z_]\w*(?:\.[a-z_]\w*)*)\(")
_REFERENCE = re.compile(r"(?<![\w.])data(?:\.\w+)+")
_FUNCTION_HEAD = re.compile(r"^(\w+)\([^)]*\)\s*(?::=|if\b|=|\{)", re.MULTILINE)
_COMPARISON = re.compile(r"==|!=|<=|>=|(?<![:<>!=])=(?!=)|<|>|\sin\s")
_ITERATION = re.compile(r"^\s*(?:some|every)\b")
_IN = re.compile(r"\sin\s")


def shape_modules(modules: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """What an engine that can replace rules loads beside `modules`: the shape module, when
    the tree validates its input with lib/validate.rego (nothing to memoise otherwise)."""
    return (SHAPE_MODULE,) if any(name == VALIDATE_FILE for name, _ in modules) else ()


def shape_key(policy_input: dict[str, Any]) -> bytes:
    """The digest of the input with every string and number replaced by its type, keys,
    array positions, booleans and nulls kept, and `request.kind` kept as it is. A digest: a
    caller can send inputs of many shapes, and the memo holds 8,192 of them per revision."""
    request = policy_input.get("request")
    kind = request.get("kind") if isinstance(request, dict) else None
    return hashlib.sha256(orjson.dumps([kind, _shape(policy_input)])).digest()


def _shape(value: Any) -> Any:
    kind = type(value)  # the exact JSON types first: this runs on every field of every call
    if kind is str:
        return "s"
    if kind is dict:
        return {k: _shape(v) for k, v in value.items()}
    if kind is list:
        return [_shape(v) for v in value]
    if kind is bool or value is None:
        return value
    if kind is int or kind is float:
        return 0
    return _shape_of_subclass(value)


def _shape_of_subclass(value: Any) -> Any:
    if isinstance(value, str):
        return "s"
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_shape(v) for v in value]
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int | float):
        return 0
    raise TypeError(f"not a JSON value: {type(value).__name__}")  # the engine could not take it


def shape_problems(modules: list[tuple[str, str]]) -> list[tuple[str, int, str]]:
    """(file, line, message) of everything in lib/validate.rego that could read a value of the
    input beyond its shape: a call, a comparison or a reference outside the lists above, an
    import of another package (its rules could read values)."""
    text = dict(modules).get(VALIDATE_FILE)
    if text is None:
        return []
    own = set(_FUNCTION_HEAD.findall(text))
    problems: list[tuple[str, int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        code = _STRING.sub('""', raw).split("#", 1)[0]
        found = [f"calls `{n}`" for n in _CALL.findall(code) if n not in ALLOWED_CALLS | own]
        found += [f"reads `{r}`" for r in _REFERENCE.findall(code) if r not in ALLOWED_REFERENCES]
        if code.startswith("import data."):
            found.append(f"imports `{code.split()[1]}`")
        if any(_COMPARISON.search(_unexplained(part)) for part in code.split(";")):
            found.append(f"compares `{raw.split('#', 1)[0].strip()}`")
        problems += [(VALIDATE_FILE, number, _message(what)) for what in found]
    return problems


def _unexplained(statement: str) -> str:
    """The statement without its allowed comparisons and, in `some`/`every`, the `in` that
    iterates (a comparison after it still counts)."""
    if _ITERATION.match(statement):
        statement = _ITERATION.sub("", _IN.sub(" ", statement, count=1), count=1)
    return _ALLOWED_COMPARISONS.sub(" ", statement)


def _message(what: str) -> str:
    return (
        f"{what}: lib/validate.rego may read only the shape of the input (types, booleans, "
        "request.kind), which its answer is memoised by (docs/performance.md)"
    )

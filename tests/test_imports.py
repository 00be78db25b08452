"""The package's parts depend inward: domain/ imports no other part, and no two top-level
parts import each other (directly or through others). Read from the source, so a cycle fails
here before it fails at import time."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "governance"


def _part(module: str) -> str:
    """`governance.policy.engine` -> `policy`; `governance.gateway` -> `gateway`."""
    return module.split(".")[1]


def _imports(path: Path) -> set[str]:
    """Every governance module the file imports, including imports inside functions and
    under TYPE_CHECKING (a cycle in the types is still a cycle in the design)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("governance.")}


def part_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if module.endswith(".__init__") or module == "governance.__init__":
            continue
        source = _part(module)
        targets = {_part(name) for name in _imports(path)} - {source}
        graph.setdefault(source, set()).update(targets)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_domain_imports_no_other_part() -> None:
    assert part_graph()["domain"] == set()


def test_no_cycle_between_parts() -> None:
    cycle = _cycle(part_graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}}) is None


# ---- runtime dependencies are what the package imports ------------------------------------

PYPROJECT = PACKAGE.parent / "pyproject.toml"
# Loaded by another library rather than imported: SQLAlchemy's driver for postgresql+psycopg
# URLs, and the template engine behind starlette.templating.
LOADED_BY_NAME = {"psycopg", "jinja2"}
# Installed by scripts/setup and the image with --ignore-requires-python, pinned, because its
# wheel declares Python >= 3.14 (which pip refuses in pyproject's dependencies) while it runs
# on 3.11 (docs/configuration.md, "The OPA engine").
INSTALLED_BY_SETUP = {"opa-golib-python-bindings": "0.4.4"}


def _distribution_name(requirement: str) -> str:
    name = re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def _third_party_imports() -> set[str]:
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
    return {n for n in names if n != "governance" and n not in sys.stdlib_module_names}


def test_runtime_dependencies_are_what_the_package_imports() -> None:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    declared = {_distribution_name(r) for r in project["dependencies"]}
    providers = importlib.metadata.packages_distributions()
    imported = {
        _distribution_name(dist)
        for module in _third_party_imports()
        for dist in providers.get(module, [module])
    }
    assert imported - declared - set(INSTALLED_BY_SETUP) == set(), (
        "imported but not a runtime dependency"
    )
    assert declared - imported - LOADED_BY_NAME == set(), "a runtime dependency nobody imports"


def test_dependencies_outside_pyproject_are_pinned_where_they_are_installed() -> None:
    for name, version in INSTALLED_BY_SETUP.items():
        assert importlib.metadata.version(name) == version
        for installer in ("scripts/setup", "deploy/Dockerfile"):
            text = (PACKAGE.parent / installer).read_text(encoding="utf-8")
            assert f"{name}=={version}" in text, installer
            assert "--ignore-requires-python" in text, installer

"""Dependencies point one way (crawlers → store → analysis → alerting → api) and no module imports itself back.

Layers are modules, not only packages: a domain folder keeps its models and service at its own layer and its API
schemas and routes beside them at the API's layer (`alerting/incidents/routes.py`, `sources/routes.py`). Every
import, at the top of a module or inside a function, must point to the same layer or one below; and the graph of
modules importing modules has no cycle. Packages too: a package imports only packages at its own layer or below, and
no two packages import each other (a domain's routes import the web foundation in web/, never api/).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = [
    "config",
    "textquery",
    "channels",
    "store",
    "sources",
    "web",
    "crawlers",
    "analysis",
    "training",
    "alerting",
    "briefings",
    "api",
    "yuqing",
]

# Lowest first; a module belongs to the layer of its longest matching prefix.
LAYERS: list[tuple[str, list[str]]] = [
    ("config", ["config", "textquery", "channels"]),
    ("store", ["store"]),
    # Access, the routes' view of the app state, shared parameters: what the API and the domains' routes build on.
    ("web", ["web"]),
    ("sources", ["sources"]),
    ("crawlers and analysis", ["crawlers", "analysis", "training"]),
    ("alerting", ["alerting"]),
    ("briefings", ["briefings"]),
    # The API's foundation (access, state, parameters, errors) and the domains' API faces beside their domain.
    ("api", ["api", "alerting.incidents.routes", "sources.routes", "sources.schemas"]),
    ("api.app", ["api.app"]),
    ("composition root", ["yuqing"]),
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> Iterator[str]:
    """The project modules `name` imports (a `from package import module` counts as the module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


def _layer(name: str) -> int:
    best, best_len = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    assert best >= 0, f"{name}: in no layer"
    return best


GRAPH = {name: sorted(set(_imports(name, path))) for name, path in MODULES.items()}


def test_every_import_points_down_or_across() -> None:
    upward = [
        f"{name} ({LAYERS[_layer(name)][0]}) imports {target} ({LAYERS[_layer(target)][0]})"
        for name, targets in GRAPH.items()
        for target in targets
        if _layer(target) > _layer(name)
    ]
    assert not upward, "\n".join(upward)


def _package_imports() -> dict[tuple[str, str], list[str]]:
    """(importing package, imported package) → the module imports that make the edge."""
    edges: dict[tuple[str, str], list[str]] = {}
    for name, targets in GRAPH.items():
        for target in targets:
            pair = (name.partition(".")[0], target.partition(".")[0])
            if pair[0] != pair[1]:
                edges.setdefault(pair, []).append(f"{name} → {target}")
    return edges


PACKAGE_IMPORTS = _package_imports()


def test_no_two_packages_import_each_other() -> None:
    two_way = [
        f"{a} ⇄ {b}: {PACKAGE_IMPORTS[a, b][0]}; {PACKAGE_IMPORTS[b, a][0]}"
        for a, b in sorted(PACKAGE_IMPORTS)
        if a < b and (b, a) in PACKAGE_IMPORTS
    ]
    assert not two_way, "\n".join(two_way)


def test_every_package_import_points_down_or_across() -> None:
    # A package's layer is its own name's (sources/ is at the sources layer though sources/routes.py is higher).
    upward = [
        f"{a} ({LAYERS[_layer(a)][0]}) imports {b} ({LAYERS[_layer(b)][0]}): {', '.join(edges[:3])}"
        for (a, b), edges in sorted(PACKAGE_IMPORTS.items())
        if _layer(b) > _layer(a)
    ]
    assert not upward, "\n".join(upward)


def _cycle() -> list[str] | None:
    """One import cycle among the modules, if any (a package's __init__ importing its own modules is not one)."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def edges(name: str) -> list[str]:
        # An __init__ re-exporting its submodules is the package's face, not a dependency of theirs.
        return [t for t in GRAPH[name] if not t.startswith(name + ".")]

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        stack.append(name)
        for target in edges(name):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[name] = 2
        return None

    for name in GRAPH:
        if name not in state and (found := visit(name)):
            return found
    return None


def test_no_import_cycle() -> None:
    cycle = _cycle()
    assert cycle is None, " → ".join(cycle or [])


@pytest.mark.parametrize("name", ["alerting.incidents.routes", "sources.routes", "api.app"])
def test_the_layers_name_real_modules(name: str) -> None:
    assert name in MODULES  # a renamed module would otherwise fall silently into its package's layer

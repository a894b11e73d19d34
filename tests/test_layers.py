"""The layer rules, read from the import graph (docs/ARCHITECTURE.md «Layers»).

Every ``import`` of the project's packages is read with ``ast``, at module level and inside
functions alike (a lazy import is still a dependency); imports under ``if TYPE_CHECKING:`` are
left out, since they name a type and load nothing. The layers, lowest first: domain → parsers →
sql → reports → rkc (the application) → flows → the entry points (the command line ``rkc.cli*``
and ``rkc.__main__``, the workbench ``rkc.web``, and the dev package ``synthetic``). A module may
import its own layer and the layers below it, never one above.
"""

from __future__ import annotations

import ast
import importlib.metadata
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("domain", "parsers", "sql", "reports", "rkc", "flows", "synthetic")
LAYERS = {"domain": 0, "parsers": 1, "sql": 2, "reports": 3, "rkc": 4, "flows": 5, "synthetic": 6}
ENTRY = 6  # the command line, the workbench and the dev package: nothing imports them but themselves

# What the domain must not reach: storage, orchestration, the network, processes.
DOMAIN_FORBIDDEN = {
    "sqlalchemy", "alembic", "psycopg", "psycopg2", "prefect", "requests", "httpx", "urllib", "http",
    "asyncssh", "paramiko", "smtplib", "imaplib", "poplib", "ftplib", "socket", "ssl", "subprocess",
    "fastapi", "starlette", "uvicorn", "tenacity",
}  # fmt: skip
# Calls that read or write files.
FILE_CALLS = {"open", "read_text", "write_text", "read_bytes", "write_bytes", "unlink", "mkdir", "touch"}

# Known exceptions: none. A new one needs a reason beside it and an issue that removes it.
KNOWN_CYCLES: set[frozenset[str]] = set()
KNOWN_SQLALCHEMY: set[str] = set()
KNOWN_UPWARD: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Import:
    """One import statement's target: a project module, or the top-level name of another package."""

    source: str
    target: str
    line: int
    project: bool


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _project_module(name: str) -> str | None:
    """The longest prefix of ``name`` that is a module of the project."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, leaving out the bodies of ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _imports(module: str) -> list[Import]:
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            names = [f"{origin}.{a.name}" if f"{origin}.{a.name}" in MODULES else origin for a in node.names]
        else:
            continue
        for name in names:
            target = _project_module(name)
            if target is None:
                found.append(Import(module, name.split(".")[0], node.lineno, project=False))
            elif target != module:
                found.append(Import(module, target, node.lineno, project=True))
    return found


IMPORTS = {module: _imports(module) for module in MODULES}


def layer(module: str) -> int:
    """The layer of a project module: the command line, ``rkc.__main__`` and the workbench are
    entry points above the flows, like the dev package; the rest of ``rkc`` is the application."""
    if module == "rkc.__main__" or module.startswith(("rkc.cli", "rkc.web")):
        return ENTRY
    return LAYERS[module.split(".")[0]]


def test_the_graph_is_read() -> None:
    assert {"domain.money", "rkc.cli", "rkc.memory", "flows.nightly", "synthetic.core"} <= MODULES.keys()
    assert any(i.target == "rkc.cli_flows" for i in IMPORTS["rkc.cli"])
    assert any(i.target == "synthetic" for i in IMPORTS["rkc.cli_flows"])  # a lazy import counts


def test_nothing_imports_upward() -> None:
    upward = [f"{i.source}:{i.line} imports {i.target}" for imports in IMPORTS.values() for i in imports
              if i.project and layer(i.target) > layer(i.source)
              and (i.source, i.target) not in KNOWN_UPWARD]  # fmt: skip
    assert upward == []


def test_only_the_command_line_imports_the_generator() -> None:
    importers = {i.source for imports in IMPORTS.values() for i in imports if i.project
                 and i.target.split(".")[0] == "synthetic" and not i.source.startswith("synthetic")}  # fmt: skip
    assert importers <= {"rkc.cli_flows"}


def test_command_modules_form_a_tree() -> None:
    """``rkc.cli`` registers the command modules; they share ``rkc.cli_common`` and nothing else."""
    for module, imports in IMPORTS.items():
        if module.startswith("rkc.cli_") and module != "rkc.cli_common":
            others = {i.target for i in imports if i.target.startswith("rkc.cli")}
            assert others <= {"rkc.cli_common"}, module
    assert not {i.target for i in IMPORTS["rkc.cli_common"] if i.target.startswith("rkc.cli")}


def test_the_domain_reaches_no_storage_orchestration_or_network() -> None:
    found = [f"{i.source}:{i.line} imports {i.target}" for module, imports in IMPORTS.items()
             if layer(module) == 0 for i in imports if not i.project and i.target in DOMAIN_FORBIDDEN]  # fmt: skip
    assert found == []


def test_the_domain_reads_and_writes_no_files() -> None:
    found = []
    for module, path in MODULES.items():
        if layer(module) != 0:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                if name in FILE_CALLS:
                    found.append(f"{module}:{node.lineno} calls {name}()")
    assert found == []


@pytest.mark.parametrize("package", ["reports", "flows"])
def test_reports_and_flows_use_no_sqlalchemy(package: str) -> None:
    found = [f"{i.source}:{i.line}" for module, imports in IMPORTS.items() if module.split(".")[0] == package
             for i in imports if i.target == "sqlalchemy" and module not in KNOWN_SQLALCHEMY]  # fmt: skip
    assert found == []


def _cycles() -> list[list[str]]:
    """Tarjan's strongly connected components of the module graph, each given as one cycle path."""
    graph = {m: sorted({i.target for i in imports if i.project}) for m, imports in IMPORTS.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(component)
    return [_path(sorted(c)[0], c, graph) for c in components if frozenset(c) not in KNOWN_CYCLES]


def _path(start: str, component: set[str], graph: dict[str, list[str]]) -> list[str]:
    """A shortest cycle from ``start`` back to itself within its component."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in graph[node]:
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if child in component and child not in came_from:
                came_from[child] = node
                queue.append(child)
    return sorted(component)


def test_no_import_cycle() -> None:
    assert [" -> ".join(cycle) for cycle in _cycles()] == []


def test_a_cycle_is_found_and_named() -> None:
    graph = {"a": ["b"], "b": ["c"], "c": ["a"]}
    assert _path("a", {"a", "b", "c"}, graph) == ["a", "b", "c", "a"]


def test_no_other_distribution_provides_our_top_level_packages() -> None:
    """The project installs top-level packages with generic names (docs/ARCHITECTURE.md): another
    installed distribution providing one of them would shadow or be shadowed, so it fails here."""
    providers = importlib.metadata.packages_distributions()
    clashes = {name: providers[name] for name in PACKAGES if set(providers.get(name, [])) - {"rkc"}}
    assert clashes == {}

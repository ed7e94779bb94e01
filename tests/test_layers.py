"""The layers a newcomer sees in the tree hold in the code: no import cycles, and no surface
importing another. Imports are read from the source with ``ast`` (those inside functions
too: a lazy import ties modules together as much as one at the top), nothing is imported.

``import_graph`` and ``cycles`` take any package, so the hub's rules can be added here.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

Graph = dict[str, set[str]]


def _modules(package: str) -> dict[str, Path]:
    """Every module of ``package`` (dotted name) and its file."""
    base = ROOT.joinpath(*package.split("."))
    found = {}
    for path in sorted(base.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imported(module: str, path: Path, known: set[str]) -> set[str]:
    """The names ``module`` imports, made absolute: a module where one is named, else the
    package or module the names come from."""
    is_package = path.name == "__init__.py"
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                here = module.split(".") if is_package else module.split(".")[:-1]
                parts = here[: len(here) - (node.level - 1)]
                source = ".".join([*parts, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            for alias in node.names:
                candidate = f"{source}.{alias.name}"
                names.add(candidate if candidate in known else source)
    return names


def _owner(name: str, known: set[str]) -> str | None:
    """The module of the package that ``name`` (a module, or a name in one) belongs to."""
    parts = name.split(".")
    while parts:
        if ".".join(parts) in known:
            return ".".join(parts)
        parts.pop()
    return None


def import_graph(package: str) -> Graph:
    """Each module of ``package`` -> the modules of the same package it imports."""
    modules = _modules(package)
    known = set(modules)
    graph: Graph = {}
    for module, path in modules.items():
        targets = {_owner(name, known) for name in _imported(module, path, known)}
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The import cycles of ``graph``: its strongly connected components of more than one
    module (Tarjan's algorithm), each sorted, the list sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def edges(
    graph: Graph, importer: Callable[[str], bool], imported: Callable[[str], bool]
) -> list[tuple[str, str]]:
    """The imports from a module ``importer`` accepts of one ``imported`` accepts."""
    return sorted(
        (a, b) for a, targets in graph.items() if importer(a) for b in targets if imported(b)
    )


def under(*prefixes: str) -> Callable[[str], bool]:
    """Modules whose dotted name starts with one of ``prefixes`` (``agent.cli`` also takes
    ``agent.cli_delivery``, ``agent.web`` takes ``agent.web.views``)."""
    return lambda name: name.startswith(prefixes)


def named(names: Iterable[str]) -> Callable[[str], bool]:
    chosen = set(names)
    return lambda name: name in chosen


# --- the checker itself ---------------------------------------------------------------------


def test_cycles_finds_every_loop_and_only_loops():
    graph: Graph = {
        "a": {"b"},
        "b": {"c"},
        "c": {"a", "d"},
        "d": set(),
        "e": {"f"},
        "f": {"e"},
        "g": {"d"},
    }
    assert cycles(graph) == [["a", "b", "c"], ["e", "f"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_relative_lazy_and_from_package_imports():
    graph = import_graph("agent")
    assert "agent.rounds" in graph["agent.cli"]  # from . import enrolment, rounds
    assert "agent.web.server" in graph["agent.cli"]  # inside serve(): lazy
    assert "agent.web" in graph["agent.web.server"]  # from . import create_app
    assert "agent.store.staff" in graph["agent.web.auth"]  # from ..store import staff
    assert "agent.store" in graph["agent.enrolment"]  # from .store import ..., write


# --- the agent's rules ----------------------------------------------------------------------


def test_the_agent_has_no_import_cycles():
    assert cycles(import_graph("agent")) == []


def test_the_agents_pages_never_import_its_cli():
    graph = import_graph("agent")
    assert edges(graph, under("agent.web"), under("agent.cli")) == []


def test_the_agents_cli_reaches_its_pages_only_through_the_server():
    """``serve`` starts the pages server; everything else of the pages is theirs alone."""
    graph = import_graph("agent")
    reached = edges(graph, under("agent.cli"), under("agent.web"))
    assert [b for _, b in reached if not named(["agent.web.server"])(b)] == []


# --- the hub --------------------------------------------------------------------------------

HUB = import_graph("hub")
SURFACES = ("hub.api", "hub.web", "hub.cli")


def domain(name: str) -> bool:
    """The hub's domain and store modules: everything but the app factory (the package,
    which puts the surfaces together), the surfaces and the demo tooling."""
    return name not in ("hub", "hub.__main__") and not name.startswith((*SURFACES, "hub.demo"))


def test_the_hub_has_no_import_cycles():
    assert cycles(HUB) == []


def test_no_hub_surface_imports_another():
    crossing = [
        (a, b)
        for one in SURFACES
        for other in SURFACES
        if one != other
        for a, b in edges(HUB, under(one), under(other))
    ]
    assert crossing == []


def test_the_hubs_domain_imports_no_surface():
    assert edges(HUB, domain, under(*SURFACES)) == []


def test_the_hubs_rules_see_the_tree():
    # A layout these rules no longer recognise must not make them pass vacuously.
    assert {"hub.api.applications", "hub.web.views", "hub.cli.devices", "hub.casework"} <= set(HUB)
    assert "hub.casework" in HUB["hub.api.applications"]
    assert "hub.casework" in HUB["hub.web.views"]


# --- webbase: what the two apps' pages share -------------------------------------------------


def imports_of(package: str) -> Graph:
    """Each module of ``package`` -> every name it imports, of any package (``import_graph``
    keeps only the package's own)."""
    modules = _modules(package)
    known = set(modules)
    return {module: _imported(module, path, known) for module, path in modules.items()}


def test_both_apps_pages_stand_on_webbase_which_imports_neither_app():
    webbase, app = under("webbase"), lambda name: name.split(".")[0] in ("agent", "hub")
    for pages in ("agent.web", "hub.web"):
        assert edges(imports_of(pages), under(pages), webbase), pages
    assert set(import_graph("webbase")) >= {"webbase", "webbase.sessions", "webbase.i18n"}
    assert edges(imports_of("webbase"), webbase, app) == []
    assert cycles(import_graph("webbase")) == []

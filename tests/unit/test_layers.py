"""The layers of reader/ as the tree shows them, checked on every module found there (new ones too):

- reader.core imports no Textual, Rich or Whoosh, and nothing of the engines or the faces;
- only reader.engines.whoosh imports Whoosh; an engine imports no face;
- the command line (reader.cli) never imports the TUI (reader.tui), nor the TUI the command line;
- no import circle among reader's modules, counting imports inside functions and TYPE_CHECKING.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "reader"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULE_NAMES = {_module_name(path) for path in PACKAGE.rglob("*.py")}


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, anywhere in it, as absolute names."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from reader.core import paths` imports the module reader.core.paths (the package's
            # __init__ is only run on the way, and importing its own modules is no circle)
            submodules = {f"{module}.{alias.name}" for alias in node.names}
            if not submodules <= MODULE_NAMES:
                found.add(module)
            found.update(submodules)
    return found


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
GRAPH = {
    name: {imported for imported in _imports(path) if imported in MODULES and imported != name}
    for name, path in MODULES.items()
}
EXTERNAL = {name: _imports(path) for name, path in MODULES.items()}


def _uses(name: str, top: str) -> list[str]:
    return sorted(m for m in EXTERNAL[name] if m == top or m.startswith(top + "."))


def _in(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_the_tree_has_the_layers() -> None:
    for package in ("reader.core", "reader.engines.whoosh", "reader.tui", "reader.cli"):
        assert package in MODULES, f"{package} is missing"


@pytest.mark.parametrize("name", [n for n in MODULES if _in(n, "reader.core")])
def test_the_core_imports_no_library_of_the_faces_or_engines(name: str) -> None:
    for top in ("textual", "rich", "whoosh", "psycopg", "psycopg_pool", "reader.tui", "reader.cli", "reader.engines"):
        assert not _uses(name, top), f"{name} imports {_uses(name, top)}"


@pytest.mark.parametrize("name", [n for n in MODULES if not _in(n, "reader.engines.whoosh")])
def test_only_the_whoosh_engine_imports_whoosh(name: str) -> None:
    assert not _uses(name, "whoosh"), f"{name} imports {_uses(name, 'whoosh')}"


@pytest.mark.parametrize("name", [n for n in MODULES if _in(n, "reader.engines")])
def test_engines_import_no_face(name: str) -> None:
    for top in ("textual", "rich", "reader.tui", "reader.cli"):
        assert not _uses(name, top), f"{name} imports {_uses(name, top)}"


@pytest.mark.parametrize("name", [n for n in MODULES if _in(n, "reader.cli")])
def test_the_command_line_does_not_import_the_tui(name: str) -> None:
    assert not _uses(name, "reader.tui") and not _uses(name, "textual"), f"{name} imports the TUI"


@pytest.mark.parametrize("name", [n for n in MODULES if _in(n, "reader.tui")])
def test_the_tui_does_not_import_the_command_line(name: str) -> None:
    assert not _uses(name, "reader.cli"), f"{name} imports {_uses(name, 'reader.cli')}"


def _circles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in GRAPH[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            # A package's __init__ importing its own modules is not a circle of two jobs.
            if len(component) > 1:
                found.append(sorted(component))

    for node in GRAPH:
        if node not in index:
            visit(node)
    return found


def test_no_import_circles() -> None:
    assert _circles() == []


def test_the_checks_see_what_they_look_for() -> None:
    # The checks can fail: the TUI does import Textual, the Whoosh engine Whoosh, and a made-up
    # circle is found.
    assert _uses("reader.tui.app", "textual")
    assert any(_uses(name, "whoosh") for name in MODULES if _in(name, "reader.engines.whoosh"))
    GRAPH["reader.core.types"].add("reader.core.article")
    GRAPH["reader.core.article"].add("reader.core.types")
    try:
        assert _circles()
    finally:
        GRAPH["reader.core.types"].discard("reader.core.article")
        GRAPH["reader.core.article"].discard("reader.core.types")

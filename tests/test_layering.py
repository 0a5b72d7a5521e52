"""The layering rule of DESIGN §4, read from the source with ``ast``.

* ``loyalty/`` (the domain package) imports nothing from ``streamlit``, ``ui`` or
  ``pages`` — at any depth: an import inside a function counts as much as one at
  the top of the module.
* The import graph among ``loyalty.*`` modules has no cycle.  Every import counts
  here too, so a cycle cannot hide in a function-local import.
* No page imports another page, and ``ui/`` never imports ``pages``.

The checks read the files without importing them, so a violation is reported
even where it would only fail at run time.  The last tests plant violations in a
throw-away tree to show each check can fail.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_IN_LOYALTY = ("streamlit", "ui", "pages")


def _module_name(path: Path, root: Path) -> str:
    """``loyalty/readers/sniff.py`` -> ``loyalty.readers.sniff``; a package's ``__init__`` is the package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(root: Path, folder: str) -> dict[str, Path]:
    """Every module under ``root/folder``, by dotted name."""
    return {_module_name(p, root): p for p in sorted((root / folder).rglob("*.py"))}


def _imports(path: Path, name: str) -> list[tuple[str, int]]:
    """Every module a file imports, at any depth, with the line: ``import a.b``,
    ``from a import b`` (as ``a`` and ``a.b``: b may be a module), relative
    imports resolved against the file's package, and ``importlib.import_module``
    or ``__import__`` with a literal name."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    out: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            out.append((module, node.lineno))
            out += [(f"{module}.{alias.name}", node.lineno) for alias in node.names if alias.name != "*"]
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and (getattr(node.func, "id", None) == "__import__"
                   or getattr(node.func, "attr", None) == "import_module")):
            out.append((node.args[0].value, node.lineno))
    return out


def _is_within(module: str, top: str) -> bool:
    return module == top or module.startswith(top + ".")


def forbidden_imports(root: Path, folder: str, forbidden: tuple[str, ...]) -> list[str]:
    """``file:line imports X`` for every import of a forbidden top-level package."""
    found = []
    for name, path in _modules(root, folder).items():
        for module, line in _imports(path, name):
            if any(_is_within(module, top) for top in forbidden):
                found.append(f"{path.relative_to(root)}:{line} imports {module}")
    return sorted(set(found))


def import_graph(root: Path, folder: str) -> dict[str, set[str]]:
    """module -> the modules of the same package it imports (an imported name
    that is not a module stands for its module)."""
    modules = _modules(root, folder)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        graph[name] = {m for m, _ in _imports(path, name) if m in modules and m != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as ``[a, b, …, a]``, or None (depth-first search)."""
    colour = dict.fromkeys(graph, 0)  # 0 new, 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if colour[nxt] == 1:
                return path[path.index(nxt):] + [nxt]
            if colour[nxt] == 0:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        path.pop()
        colour[node] = 2
        return None

    for start in sorted(graph):
        if colour[start] == 0:
            cycle = visit(start)
            if cycle:
                return cycle
    return None


def page_imports_of_pages(root: Path) -> list[str]:
    """``file:line imports X`` for a page importing a page, or ui/ importing pages."""
    found = []
    for folder in ("pages", "ui"):
        for name, path in _modules(root, folder).items():
            for module, line in _imports(path, name):
                if _is_within(module, "pages") and module != name:
                    found.append(f"{path.relative_to(root)}:{line} imports {module}")
    return sorted(set(found))


# --------------------------------------------------------------------------- the rules, on the project


def test_loyalty_imports_no_streamlit_ui_or_pages():
    assert forbidden_imports(ROOT, "loyalty", FORBIDDEN_IN_LOYALTY) == []


def test_loyalty_import_graph_has_no_cycle():
    graph = import_graph(ROOT, "loyalty")
    assert len(graph) > 20 and "loyalty.labels" in graph["loyalty.measures"]  # the graph was read
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_no_page_imports_another_page_and_ui_imports_no_page():
    assert page_imports_of_pages(ROOT) == []


# --------------------------------------------------------------------------- the checks can fail


@pytest.fixture
def tree(tmp_path):
    """A small project: loyalty/{__init__,a,b,c}.py, ui/helper.py, pages/{one,two}.py, all clean."""
    files = {
        "loyalty/__init__.py": "",
        "loyalty/a.py": "from loyalty.b import f\n",
        "loyalty/b.py": "import numpy as np\n\ndef f():\n    from loyalty import c\n    return c\n",
        "loyalty/c.py": "X = 1\n",
        "loyalty/sub/__init__.py": "from .inner import g\n",
        "loyalty/sub/inner.py": "from ..c import X\n\ndef g():\n    return X\n",
        "ui/helper.py": "import streamlit as st\nfrom loyalty import a\n",
        "pages/one.py": "from ui import helper\n",
        "pages/two.py": "from ui.helper import st\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    return tmp_path


def test_the_checks_pass_a_clean_tree(tree):
    assert forbidden_imports(tree, "loyalty", FORBIDDEN_IN_LOYALTY) == []
    graph = import_graph(tree, "loyalty")
    assert graph == {"loyalty": set(), "loyalty.a": {"loyalty.b"}, "loyalty.b": {"loyalty", "loyalty.c"},
                     "loyalty.c": set(), "loyalty.sub": {"loyalty.sub.inner"}, "loyalty.sub.inner": {"loyalty.c"}}
    assert find_cycle(graph) is None
    assert page_imports_of_pages(tree) == []


def test_a_function_local_streamlit_import_in_loyalty_is_found(tree):
    (tree / "loyalty" / "c.py").write_text("X = 1\n\ndef show():\n    if X:\n        import streamlit.components.v1\n")
    (tree / "loyalty" / "sub" / "inner.py").write_text("from ui.helper import st\nfrom pages import one\n")
    assert forbidden_imports(tree, "loyalty", FORBIDDEN_IN_LOYALTY) == [
        "loyalty/c.py:5 imports streamlit.components.v1",
        "loyalty/sub/inner.py:1 imports ui.helper", "loyalty/sub/inner.py:1 imports ui.helper.st",
        "loyalty/sub/inner.py:2 imports pages", "loyalty/sub/inner.py:2 imports pages.one"]


def test_an_import_module_call_is_found(tree):
    (tree / "loyalty" / "c.py").write_text("import importlib\n\nST = importlib.import_module('streamlit')\n")
    assert forbidden_imports(tree, "loyalty", FORBIDDEN_IN_LOYALTY) == ["loyalty/c.py:3 imports streamlit"]


def test_a_cycle_hidden_in_a_function_is_found_and_printed(tree):
    (tree / "loyalty" / "c.py").write_text("X = 1\n\ndef back():\n    from loyalty.a import f\n    return f\n")
    assert find_cycle(import_graph(tree, "loyalty")) == ["loyalty.a", "loyalty.b", "loyalty.c", "loyalty.a"]


def test_a_relative_import_cycle_is_found(tree):
    (tree / "loyalty" / "c.py").write_text("from .sub import g\n")
    (tree / "loyalty" / "sub" / "inner.py").write_text("from .. import c\n")
    assert find_cycle(import_graph(tree, "loyalty")) == ["loyalty.c", "loyalty.sub", "loyalty.sub.inner",
                                                         "loyalty.c"]


def test_a_page_importing_a_page_and_ui_importing_pages_are_found(tree):
    (tree / "pages" / "two.py").write_text("def render():\n    from pages.one import helper\n")
    (tree / "ui" / "helper.py").write_text("import pages\n")
    assert page_imports_of_pages(tree) == ["pages/two.py:2 imports pages.one",
                                           "pages/two.py:2 imports pages.one.helper",
                                           "ui/helper.py:1 imports pages"]

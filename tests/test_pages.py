"""Structure of pages/: every file there is a page, every page makes sure it
runs under app.py's router (see ui/router.py for why), and every page is thin: a
``render()`` with one function per tab or section, nothing else run at import."""

import ast

from pathlib import Path

import pytest

from tests.helpers import ROOT


def test_every_page_calls_ensure_router_first():
    for path in sorted((ROOT / "pages").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        body = [n for n in tree.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
        calls = [n for n in body[:3] if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)
                 and getattr(n.value.func, "id", None) == "ensure_router"]
        assert calls, f"{path.name} must call ensure_router() before anything else"


def test_every_page_file_is_listed_in_the_router():
    app = (ROOT / "app.py").read_text(encoding="utf-8")
    for path in sorted((ROOT / "pages").glob("*.py")):
        assert f'"pages/{path.name}"' in app, f"{path.name} is not in app.py's PAGES"


def test_every_download_goes_through_the_shared_button():
    # components.download_button brings the session's language and currency to a file
    # built on click (outside the script run); a direct st.download_button would not
    import re

    direct = [f"{p.relative_to(ROOT)}:{n}" for folder in ("pages", "ui") for p in sorted((ROOT / folder).glob("*.py"))
              if p.name != "components.py"
              for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
              if re.search(r"\.download_button\(", line) and "components.download_button(" not in line]
    assert direct == []


# A page is thin: a render() the file calls last, one function per tab or section.
PAGE_FUNCTION_MAX_LINES = 200


def _page_shape_problems(path: Path) -> list[str]:
    """What keeps a page file from the shape: docstring, imports, ``ensure_router()``,
    UPPER_CASE constants, function definitions, and ``render()`` called last."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    body = list(tree.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the module docstring
    problems = []
    functions = {n.name: n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    if "render" not in functions:
        problems.append("no render()")
    last = body[-1] if body else None
    if not (isinstance(last, ast.Expr) and isinstance(last.value, ast.Call)
            and getattr(last.value.func, "id", None) == "render" and not last.value.args):
        problems.append("the last statement is not render()")
    for node in body[:-1]:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                and getattr(node.value.func, "id", None) == "ensure_router"):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
            if isinstance(node, ast.AnnAssign) else None
        if targets and all(isinstance(x, ast.Name) and x.id.lstrip("_").isupper() for x in targets):
            continue  # a constant
        problems.append(f"line {node.lineno}: a top-level {type(node).__name__} statement")
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            if length > PAGE_FUNCTION_MAX_LINES:
                problems.append(f"{node.name}() is {length} lines")
    return problems


@pytest.mark.parametrize("name", [p.name for p in sorted((ROOT / "pages").glob("*.py"))])
def test_every_page_is_a_render_function_with_nothing_else_at_the_top(name):
    assert _page_shape_problems(ROOT / "pages" / name) == []


def test_the_page_shape_check_can_fail(tmp_path):
    page = tmp_path / "page.py"
    page.write_text('"""A page."""\nfrom ui.router import ensure_router\n\nensure_router()\nMAX = 3\n'
                    't = len\nst_title = "x"\n\ndef render():\n    pass\n\n\nrender()\nprint(1)\n', encoding="utf-8")
    assert _page_shape_problems(page) == ["the last statement is not render()",
                                          "line 6: a top-level Assign statement",
                                          "line 7: a top-level Assign statement",
                                          "line 13: a top-level Expr statement"]
    page.write_text("def tab():\n" + "    x = 1\n" * 200 + "\n\nrender()\n", encoding="utf-8")
    assert _page_shape_problems(page) == ["no render()", "tab() is 201 lines"]
    page.write_text("from ui.router import ensure_router\n\nensure_router()\nPAGE_SIZE: int = 5\n\n\n"
                    "def render():\n    pass\n\n\nrender()\n", encoding="utf-8")
    assert _page_shape_problems(page) == []

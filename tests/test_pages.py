"""Structure of pages/: every file there is a page, and every page makes sure it
runs under app.py's router (see ui/router.py for why)."""

import ast

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

"""Shared test settings and fixtures (plain helpers are in ``tests/helpers.py``).

* AppTest shows error details (``.streamlit/config.toml`` hides them from users).
* Every test starts with amounts in yen and the ``csv`` module's field limit as
  it found it (the careful CSV reader sets that limit process-wide).
* Streamlit's scan of the installed packages for v2 components runs once per
  session instead of once per AppTest (see :func:`_scan_components_once`).
* Every test has a workspace store of its own (``LOYALTY_WORKSPACE_DIR``), so no
  test writes into the user's data folder.
* Hypothesis has no per-example deadline: the machine is shared, and an example
  that takes 400 ms instead of 200 ms under load is not a failure of the code.
"""

import csv
import functools
import os
import tempfile

# AppTest honours .streamlit/config.toml, which hides error details from users;
# tests want to see them.
os.environ.setdefault("STREAMLIT_CLIENT_SHOW_ERROR_DETAILS", "full")
# No test may write workspaces into the user's data folder (each test gets its own below;
# this covers anything that runs outside a test, such as a server started by a fixture).
os.environ["LOYALTY_WORKSPACE_DIR"] = tempfile.mkdtemp(prefix="loyalty-workspaces-tests-")

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("loyalty", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("loyalty")


@pytest.fixture(autouse=True)
def _amounts_in_yen():
    """Every test starts with amounts shown in yen (a test may switch the currency)."""
    from loyalty.fmt import use_currency

    use_currency(None)
    yield
    use_currency(None)


@pytest.fixture(autouse=True)
def _csv_field_limit():
    """Put back the ``csv`` module's field limit after each test.

    ``loyalty.reading`` sets it process-wide to the cell limit in force, so a test
    that lowers ``LOYALTY_MAX_CELL_CHARS`` would otherwise leave a limit of a few
    characters to every later user of the ``csv`` module.
    """
    limit = csv.field_size_limit()
    yield
    csv.field_size_limit(limit)


@pytest.fixture(autouse=True, scope="session")
def _scan_components_once():
    """Scan the installed packages for Streamlit v2 components once per session.

    Each new AppTest asks Streamlit to read the metadata of every installed
    distribution (about 0.2 s, some 150 times in a run); what is installed does
    not change while the tests run, so the first answer is kept.  Each caller
    gets its own copy of the list.
    """
    try:
        from streamlit.components.v2 import manifest_scanner
    except ImportError:  # pragma: no cover - another Streamlit version
        yield
        return
    original = manifest_scanner.scan_component_manifests
    cached = functools.lru_cache(maxsize=None)(lambda: list(original()))
    manifest_scanner.scan_component_manifests = lambda *a, **k: list(cached())
    yield
    manifest_scanner.scan_component_manifests = original


@pytest.fixture(autouse=True)
def _own_workspace_store(tmp_path_factory, monkeypatch):
    """Every test starts with an empty workspace store of its own (LOYALTY_WORKSPACE_DIR)."""
    monkeypatch.setenv("LOYALTY_WORKSPACE_DIR", str(tmp_path_factory.mktemp("workspaces")))

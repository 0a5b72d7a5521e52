"""Shared test settings."""

import os
import tempfile

# AppTest honours .streamlit/config.toml, which hides error details from users;
# tests want to see them.
os.environ.setdefault("STREAMLIT_CLIENT_SHOW_ERROR_DETAILS", "full")
# No test may write workspaces into the user's data folder (each test gets its own below;
# this covers anything that runs outside a test, such as a server started by a fixture).
os.environ["LOYALTY_WORKSPACE_DIR"] = tempfile.mkdtemp(prefix="loyalty-workspaces-tests-")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _amounts_in_yen():
    """Every test starts with amounts shown in yen (a test may switch the currency)."""
    from loyalty.fmt import use_currency

    use_currency(None)
    yield
    use_currency(None)


@pytest.fixture(autouse=True)
def _own_workspace_store(tmp_path_factory, monkeypatch):
    """Every test starts with an empty workspace store of its own (LOYALTY_WORKSPACE_DIR)."""
    monkeypatch.setenv("LOYALTY_WORKSPACE_DIR", str(tmp_path_factory.mktemp("workspaces")))

"""Shared test settings."""

import os

# AppTest honours .streamlit/config.toml, which hides error details from users;
# tests want to see them.
os.environ.setdefault("STREAMLIT_CLIENT_SHOW_ERROR_DETAILS", "full")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _amounts_in_yen():
    """Every test starts with amounts shown in yen (a test may switch the currency)."""
    from loyalty.fmt import use_currency

    use_currency(None)
    yield
    use_currency(None)

"""Shared test settings."""

import os

# AppTest honours .streamlit/config.toml, which hides error details from users;
# tests want to see them.
os.environ.setdefault("STREAMLIT_CLIENT_SHOW_ERROR_DETAILS", "full")

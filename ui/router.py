"""Make sure a page always runs under app.py's router.

When the very first request after the server starts is a page URL (a bookmark, a
browser refresh after a restart), Streamlit 1.67 still treats the ``pages/``
folder the old way and runs the page file on its own: no page config, no
sidebar, raw file names in the menu.  ``st.navigation`` switches that mode off
for the whole server, but only once app.py has run.  Every page therefore calls
:func:`ensure_router` first: in that situation it turns the old mode off and
reruns, and the rerun goes through app.py to the same page.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def ensure_router() -> None:
    """Rerun through app.py if this page was started without it."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()

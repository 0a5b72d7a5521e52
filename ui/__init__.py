"""Streamlit helpers shared by the pages (kept out of pages/ so every file there is a page)."""

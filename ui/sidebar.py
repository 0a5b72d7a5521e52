"""The shared sidebar: language, and a compact card saying which data the
figures come from, as of which date, over which period, under which definition."""

from __future__ import annotations

import re
from dataclasses import dataclass

import streamlit as st

from loyalty.errors import LoyaltyError
from loyalty.features import window_start
from loyalty.fmt import format_date, format_int
from ui import state, workspace

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def _plain(text: str) -> str:
    """``text`` escaped so Markdown shows it as typed (file names, definition names)."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


def _switch_language() -> None:
    st.session_state[state.K_LANG] = "en" if st.session_state.get("w_lang_en") else "ja"


def _files() -> list[str]:
    """One line per file in use: its name and, when it reads, its row count."""
    lines = []
    for up in state.uploads():
        try:
            rows = state.raw_table(up).rows
            lines.append(state.t("polish.sidebar.file_rows", file=_plain(up.name), rows=format_int(rows)))
        except LoyaltyError:
            lines.append(state.t("polish.sidebar.file_unreadable", file=_plain(up.name)))
    return lines


@dataclass(frozen=True)
class Slots:
    """Placeholders of the sidebar filled after the page ran (:func:`mark_unsaved`).

    Attributes:
        unsaved: for the "definition not saved" badge (None when the data could not be read).
        saved: for the time the workspace was last saved (None without workspaces).
    """

    unsaved: object | None
    saved: object | None


def render() -> Slots:
    """Draw the sidebar (safe on any page; never raises).

    Returns:
        The placeholders :func:`mark_unsaved` fills once the page has run.
    """
    t = state.t
    with st.sidebar:
        st.toggle("English", key="w_lang_en", value=state.lang() == "en", on_change=_switch_language,
                  help=t("sidebar.lang_help"))
        saved = workspace.switcher()
        return Slots(_source_card(), saved)


def _source_card():
    """Which data, as of when, over which period, under which definition.

    Returns:
        A placeholder for the unsaved badge, or None when the data could not be read.
    """
    t = state.t
    with st.container(border=True):
        st.markdown(f":material/folder_open: **{t('sidebar.source')}**")
        if state.using_sample():
            st.badge(t("polish.sidebar.sample_badge"), icon=":material/science:", color="blue")
        try:
            # the first page view after an upload reads the files here: say so
            with st.spinner(t("common.loading"), show_time=True):
                files = _files()
                as_of = state.effective_as_of()
                d = state.definition()
        except LoyaltyError:
            st.caption("  \n".join(files))
            st.caption(t("sidebar.data_error"))
            return
        st.caption("  \n".join(files))
        st.markdown(f":material/event: **{t('sidebar.as_of')}**")
        how = t("sidebar.as_of_auto") if d.as_of is None else t("sidebar.as_of_manual")
        if as_of:
            start = window_start(as_of, d.window_days)
            st.markdown(t("polish.sidebar.as_of_line", date=format_date(as_of), how=how))
            st.caption(t("polish.sidebar.period", start=format_date(start), end=format_date(as_of),
                         days=int(d.window_days)))
        else:
            st.markdown("—")
        st.markdown(f":material/tune: **{t('sidebar.definition')}**")
        st.caption(_plain(state.definition_name(d)))
        # filled by mark_unsaved() once the page has run (its sliders change the definition)
        return st.empty()


def mark_unsaved(slots: Slots | None) -> None:
    """Say in the sidebar when the definition differs from the saved one, and when the
    workspace was last saved.

    Args:
        slots: what :func:`render` returned.
    """
    if slots is None:
        return
    workspace.show_saved(slots.saved)
    slot = slots.unsaved
    if slot is None:
        return
    try:
        unsaved = state.definition_unsaved()
    except Exception:  # noqa: BLE001 - the sidebar never raises
        return
    if unsaved:
        with slot.container():
            st.badge(state.t("polish.sidebar.unsaved"), icon=":material/edit_note:", color="orange")
            st.caption(state.t("polish.sidebar.unsaved_note"))

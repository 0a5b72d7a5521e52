"""The shared sidebar: language, data source, as-of date, definition in use."""

from __future__ import annotations

import streamlit as st

from loyalty.errors import LoyaltyError
from loyalty.fmt import format_date
from ui import state


def _switch_language() -> None:
    st.session_state[state.K_LANG] = "en" if st.session_state.get("w_lang_en") else "ja"


def render() -> None:
    """Draw the sidebar (safe on any page; never raises)."""
    with st.sidebar:
        st.toggle("English", key="w_lang_en", value=state.lang() == "en", on_change=_switch_language,
                  help=state.t("sidebar.lang_help"))
        st.markdown(f"**{state.t('sidebar.source')}**")
        if state.using_sample():
            st.caption(state.t("sidebar.sample"))
        names = [u.name for u in state.uploads()]
        st.caption("、".join(names) if state.lang() == "ja" else ", ".join(names))
        try:
            as_of = state.effective_as_of()
            d = state.definition()
            st.markdown(f"**{state.t('sidebar.as_of')}**")
            label = format_date(as_of) if as_of else "—"
            suffix = state.t("sidebar.as_of_auto") if d.as_of is None else state.t("sidebar.as_of_manual")
            st.caption(f"{label}（{suffix}）" if state.lang() == "ja" else f"{label} ({suffix})")
            st.markdown(f"**{state.t('sidebar.definition')}**")
            st.caption(d.name)
            st.caption(state.t("sidebar.window", days=d.window_days))
        except LoyaltyError:
            st.caption(state.t("sidebar.data_error"))

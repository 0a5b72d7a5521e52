"""ペルソナ・施策: a persona per tier and per named segment, the facilitator's notes,
and the editable measures (saved in the definition)."""

from ui.router import ensure_router

ensure_router()

import streamlit as st  # noqa: E402

from loyalty.fmt import format_date, format_int  # noqa: E402
from loyalty.measures import ACTION_PLAN_COLUMNS, action_plan, targets  # noqa: E402
from loyalty.personas import comparison_table  # noqa: E402
from loyalty.targets import counts_by_target  # noqa: E402
from ui import components, deliverables, state  # noqa: E402
from ui import measure_log as measure_log_ui  # noqa: E402
from ui.state import t  # noqa: E402


def render() -> None:
    """Personas per tier and per segment, and the measures editor, in three tabs."""
    st.title(t("personas.title"))
    ds, feats, res = components.load_or_stop()
    d = state.definition()
    st.caption(t("personas.caption", name=state.definition_name(d),
                 as_of=format_date(feats.as_of) if feats.as_of else "—", customers=format_int(len(res.frame))))
    tab_tiers, tab_segments, tab_measures = st.tabs(
        [t("personas.tab.tiers"), t("personas.tab.segments"), t("personas.tab.measures")])
    with tab_tiers:
        _tiers_tab(feats, res)
    with tab_segments:
        _segments_tab(feats, res)
    with tab_measures:
        _measures_tab(d, res)


def _tiers_tab(feats, res) -> None:
    """A persona card per tier and the comparison with all customers."""
    total = len(res.frame)
    st.caption(t("personas.help"))
    tier_personas = deliverables.personas(feats.frame, res.frame, "tier")
    for column, persona in zip(st.columns(3), tier_personas):
        with column:
            deliverables.persona_card(persona, total)
    with st.expander(t("personas.compare_tiers")):
        reference = deliverables.personas(feats.frame, res.frame, "all")[0]
        table = comparison_table(tier_personas, reference, state.lang())
        st.dataframe(table, width="stretch", height=deliverables.table_height(table))


def _segments_tab(feats, res) -> None:
    """The segments compared side by side, and the card of the one picked."""
    total = len(res.frame)
    segment_personas = deliverables.personas(feats.frame, res.frame, "segment")
    present = [p for p in segment_personas if p.customers]
    if not present:
        st.info(t("segments.no_rfm"))
        return
    st.caption(t("personas.segments_help"))
    reference = deliverables.personas(feats.frame, res.frame, "all")[0]
    table = comparison_table(present, reference, state.lang())
    st.dataframe(table, width="stretch", height=deliverables.table_height(table), key="persona_compare")
    by_target = {p.target: p for p in present}
    names = {k: t("personas.option", label=p.label, n=format_int(p.customers)) for k, p in by_target.items()}
    pick = st.selectbox(t("personas.pick_segment"), list(by_target), key="w_persona_segment",
                        format_func=names.__getitem__)
    deliverables.persona_card(by_target[pick], total)


def _measures_tab(d, res) -> None:
    """The measures of one target to edit, the reset, and the whole action plan."""
    st.caption(t("personas.measures_help"))
    counts = counts_by_target(res.frame)
    options = targets(d, state.lang())
    names = {k: t("personas.option", label=label, n=format_int(counts.get(k, 0))) for k, label in options}
    target = st.selectbox(t("personas.target"), list(names), key="w_measure_target", format_func=names.__getitem__)
    deliverables.measure_editor(target)
    measure_log_ui.log_section(target)
    c1, c2 = st.columns([3, 1])
    with c1:
        if d.measures is None:
            st.caption(t("personas.measures_catalogue"))
        else:
            st.caption(t("personas.measures_edited", n=len(d.measures)))
    with c2:
        with st.popover(t("personas.reset"), icon=":material/restart_alt:", width="stretch",
                        disabled=d.measures is None):
            st.write(t("personas.reset_confirm"))
            st.button(t("personas.reset_button"), on_click=deliverables.reset_measures, type="primary",
                      key="w_measures_reset")
    _action_plan(d, counts)


def _action_plan(d, counts: dict[str, int]) -> None:
    """The action plan table and its CSV download."""
    st.subheader(t("personas.plan"))
    plan = action_plan(d.measures, d, state.lang(), counts)
    st.dataframe(plan.drop(columns=["owner", "due"]), hide_index=True, width="stretch", key="action_plan",
                 column_config={c: t(f"workbook.col.plan.{c}") for c in ACTION_PLAN_COLUMNS})
    lang = state.lang()
    components.download_button(t("personas.plan_csv"), data=lambda: deliverables.action_plan_csv(d, counts, lang),
                               file_name="loyalty_action_plan.csv", mime="text/csv", on_click="ignore",
                               icon=":material/download:", key="dl_plan_personas")
    st.page_link("pages/export.py", label=t("personas.to_export"), icon=":material/download:")


render()

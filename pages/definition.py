"""ロイヤル定義: preset, as-of and window, R/F/M cut points, factors and weights,
tier cut-offs and names, segment rules; the effect against the saved definition;
save and load."""

from ui.router import ensure_router

ensure_router()

from datetime import date

import streamlit as st

from loyalty import definition as defn
from loyalty.definition import RFM_KEYS, TIER_KEYS, factor_catalogue
from loyalty.errors import LoyaltyError
from loyalty.fmt import format_date, format_int, format_signed_int, format_yen
from loyalty.segments import coverage
from loyalty.summary import tier_moves
from ui import charts, components, state, workbench
from ui import cutpoints as cut_ui
from ui.state import t

AXES = RFM_KEYS


def _apply_preset() -> None:
    workbench.load_definition(defn.preset(st.session_state["w_preset"]))


def _load_file() -> None:
    f = st.session_state.get("w_def_upload")
    if f is None:
        return
    try:
        d = defn.loads(f.getvalue(), file=f.name)
    except LoyaltyError as exc:
        st.session_state["def_load_error"] = exc
        return
    st.session_state.pop("def_load_error", None)
    workbench.load_definition(d)


def _revert() -> None:
    workbench.load_definition(state.saved_definition().copy())


def _mark_saved() -> None:
    state.set_definition(state.definition(), saved=True)


def render() -> None:
    """The tabs that tune the definition, and its effect against the saved one above them."""
    st.title(t("definition.title"))
    st.caption(t("definition.caption"))
    d = state.definition()
    workbench.ensure_widgets(d)
    try:
        data_as_of = state.as_of_default()
        available = workbench.available_factors()
    except LoyaltyError as exc:
        state.show_error(exc)
        st.page_link("pages/data.py", label=t("common.go_data"), icon=":material/upload_file:")
        st.stop()
    workbench.preset_hint(available)

    effect = st.container(border=True)
    tab_basic, tab_rfm, tab_factors, tab_tiers, tab_segments, tab_file = st.tabs([
        t("wb.tab.basic"), t("wb.tab.rfm"), t("wb.tab.factors"), t("wb.tab.tiers"), t("wb.tab.segments"),
        t("wb.tab.file")])
    problems: list[str] = []
    with tab_basic:
        _basic_tab(d, data_as_of)
    with tab_rfm:
        folded = _rfm_tab()
    with tab_factors:
        chosen = _factors_tab(available, problems)
    with tab_tiers:
        _tiers_tab()
    with tab_segments:
        rules = _segments_editor()
    d = _apply_widgets(d, chosen, rules, problems)
    with tab_segments:
        _segments_coverage(d)
    with tab_file:
        _file_tab(d)
    with effect:
        _effect(d, problems, folded)


def _apply_widgets(d, chosen: list[str], rules: list[dict], problems: list[str]):
    """Make the definition the widgets describe the working one (problems are added to
    ``problems``); rerun when the sidebar, drawn before this page, shows what changed."""
    new, more = workbench.definition_from_widgets(d, chosen, rules)
    problems += more
    if new.to_dict() != d.to_dict():
        state.set_definition(new)
        if (new.as_of, new.window_days, new.name) != (d.as_of, d.window_days, d.name):
            st.rerun()  # the sidebar, drawn before this page, shows the as-of date, window and name
    return new


def _basic_tab(d, data_as_of) -> None:
    """Preset, name, as-of date and window."""
    c1, c2 = st.columns([1, 2])
    presets = list(defn.PRESETS)
    if "w_preset" not in st.session_state:
        st.session_state["w_preset"] = d.preset if d.preset in presets else "b2c"
    c1.selectbox(t("definition.preset"), presets, key="w_preset", format_func=lambda p: t(f"preset.{p}"),
                 help=t("definition.preset_help"))
    c1.button(t("definition.apply_preset"), on_click=_apply_preset, icon=":material/restart_alt:")
    c2.markdown(t(f"preset.{st.session_state['w_preset']}.explain"))
    st.text_input(t("definition.name"), key="w_def_name", help=t("wb.name_help"))
    st.subheader(t("definition.period_title"))
    c1, c2, c3 = st.columns([2, 1, 1])
    c1.checkbox(t("definition.asof_auto", date=format_date(data_as_of) if data_as_of else "—"),
                key="w_def_asof_auto", help=t("definition.asof_help"))
    if not st.session_state["w_def_asof_auto"]:
        if "w_def_asof" not in st.session_state:
            st.session_state["w_def_asof"] = data_as_of or date.today()
        c2.date_input(t("definition.asof"), key="w_def_asof", format="YYYY/MM/DD")
    c3.number_input(t("definition.window"), min_value=7, max_value=3650, step=1, key="w_def_window",
                    help=t("definition.window_help"))


def _rfm_tab():
    """Threshold or quantile mode, and the four cut points of R, F and M, each axis
    with its customers per score.

    Returns:
        The expander where the suggestion from the data is shown on request (threshold
        mode), filled once the scores are known; None in quantile mode.
    """
    st.radio(t("definition.mode"), ["threshold", "quantile"], key="w_def_mode", horizontal=True,
             format_func=lambda m: t(f"definition.mode.{m}"), help=t("definition.mode_help"))
    if st.session_state["w_def_mode"] != "threshold":
        st.info(t("definition.quantile_info"))
        return None
    try:
        values = cut_ui.axes()
    except LoyaltyError:
        values = None  # the effect box above says what is wrong
    # ranges that leave the usual cut points room to move: a year (or the window) of days, 30 orders
    slider_max = {"recency": max(365, int(st.session_state.get("w_def_window") or 0)), "frequency": 30,
                  "monetary": cut_ui.MONEY_MAX}
    for col, axis in zip(st.columns(3), AXES):
        cut_ui.keep_ordered(axis)
        top = max(slider_max[axis], *(int(x) for x in cut_ui.cuts_of(axis)))
        with col:
            st.markdown(f"**{t(f'factor.{axis}')}**")
            st.caption(t(f"definition.{axis}_help"))
            if values is not None:
                cut_ui.counts_caption(axis, values[axis])
            for i in range(4):
                _cut_widget(axis, i, top)
    return st.expander(t("cut.expander"), icon=":material/auto_fix_high:")


def _cut_widget(axis: str, i: int, top: int) -> None:
    """Cut point ``i`` of one axis: a number box for amounts, a slider for days and orders.

    Its range is fixed (room for the cuts on either side, see :mod:`ui.cutpoints`);
    moving it into a neighbour pushes the neighbour along.
    """
    key = cut_ui.cut_key(axis, i)
    label = t(f"definition.cut.{axis}.{i}")
    lo, hi = cut_ui.bounds(axis, i, top)
    # a new range (a longer window, another currency) makes a new widget: carry the
    # value over to it, only then (setting it on every run would overwrite keys still in flight)
    if st.session_state.get(f"{key}__range", (lo, hi)) != (lo, hi):
        st.session_state[key] = st.session_state[key]
    st.session_state[f"{key}__range"] = (lo, hi)
    if axis == "monetary":
        st.number_input(label, min_value=lo, max_value=hi, step=cut_ui.step(axis), key=key,
                        on_change=cut_ui.on_cut_changed, args=(axis, i), help=t("wb.cut_help.monetary"))
        st.caption(format_yen(st.session_state[key]))
        return
    st.slider(label, min_value=lo, max_value=hi, key=key, on_change=cut_ui.on_cut_changed, args=(axis, i),
              format=t(f"wb.unit.{axis}"), help=t(f"wb.cut_help.{axis}"))


def _factors_tab(available: set[str], problems: list[str]) -> list[str]:
    """Which factors, their weights (summing to 100) and how each non-RFM factor is scored.

    Returns:
        The factors chosen, in order (no factor adds a problem to ``problems``).
    """
    st.caption(t("wb.factors_help"))
    catalogue_order = list(factor_catalogue())
    options = sorted(catalogue_order, key=lambda k: (k not in available, catalogue_order.index(k)))
    st.multiselect(t("wb.factors"), options, key="w_def_factors", on_change=workbench.on_factors_changed,
                   format_func=lambda k: t(f"factor.{k}") + ("" if k in available else t("wb.no_data")),
                   # 3-5 factors, as the seeds advise; a loaded definition with more keeps them
                   max_selections=max(5, len(st.session_state.get("w_def_factors") or [])),
                   help=t("wb.factors_select_help"), placeholder=t("wb.factors_placeholder"))
    chosen = list(st.session_state["w_def_factors"])
    if not chosen:
        problems.append(t("wb.no_factors"))
    elif not 3 <= len(chosen) <= 5:
        st.caption(t("wb.three_to_five", n=len(chosen)))
    missing = [k for k in chosen if k not in available]
    if missing:
        st.warning(t("wb.factor_missing", factors=state.join_list(t(f"factor.{k}") for k in missing)))
    _weight_sliders(chosen)
    extra = [k for k in chosen if k not in RFM_KEYS]
    if extra:
        st.markdown(f"**{t('wb.factor_settings')}**")
    for key in extra:
        _factor_scoring(key)
    return chosen


def _weight_sliders(chosen: list[str]) -> None:
    """One weight slider per factor (moving one rescales the others) and their total."""
    cols = st.columns(2)
    for i, key in enumerate(chosen):
        wkey = f"w_def_wt_{key}"
        if wkey not in st.session_state:
            workbench.on_factors_changed()
        with cols[i % 2]:
            st.slider(t("wb.weight", factor=t(f"factor.{key}")), min_value=0.0, max_value=100.0, step=1.0,
                      format="%.0f", key=wkey, on_change=workbench.on_weight_changed, args=(key,),
                      help=t(f"factor.{key}.help"))
    total = sum(float(st.session_state.get(f"w_def_wt_{k}", 0)) for k in chosen)
    if chosen:
        st.caption(t("wb.weight_total", total=f"{total:g}"))


def _factor_scoring(key: str) -> None:
    """How one non-RFM factor becomes a 1–5 score: its mode and, for thresholds, four cuts."""
    info = factor_catalogue()[key]
    with st.expander(t(f"factor.{key}")):
        mkey = f"w_def_fmode_{key}"
        st.radio(t("wb.factor_mode"), ["threshold", "quantile", "as_is"], key=mkey, horizontal=True,
                 format_func=lambda m: t(f"wb.mode.{m}"), help=t("polish.help.factor_mode"))
        if st.session_state[mkey] == "threshold":
            ccols = st.columns(4)
            for j in range(4):
                label = t(f"wb.cut.{info.direction}.{j}")
                ccols[j].number_input(label, key=f"w_def_fcut_{key}_{j}", step=1.0, format="%g",
                                      on_change=cut_ui.on_factor_cut_changed, args=(key, j),
                                      help=t("polish.help.factor_cut"))


def _tiers_tab() -> None:
    """The tier cut-offs (one range slider) and the tiers' own names."""
    tl = components.tier_labels()
    st.slider(t("definition.tiers"), min_value=0.0, max_value=100.0, step=1.0, key="w_def_tiers",
              format=t("wb.unit.points"),
              help=t("definition.tiers_help", top=tl["top"], middle=tl["middle"], low=tl["low"]))
    st.caption(t("wb.score_formula"))
    st.markdown(f"**{t('wb.tier_names')}**")
    for col, key in zip(st.columns(3), TIER_KEYS):
        col.text_input(t("wb.tier_name", tier=t(f"tier.{key}")), key=f"w_def_label_{key}",
                       placeholder=t(f"tier.{key}"))


def _segments_editor() -> list[dict]:
    """The segment rules as an editable table.

    Returns:
        The edited rules in the definition file's form.
    """
    st.caption(t("wb.segments_help"))
    edited = st.data_editor(
        st.session_state["seg_editor_base"], key="w_def_segments", num_rows="dynamic", hide_index=True,
        width="stretch",
        column_config={
            "key": st.column_config.TextColumn(t("wb.seg.key"), required=True),
            "ja": st.column_config.TextColumn(t("wb.seg.ja")),
            "en": st.column_config.TextColumn(t("wb.seg.en")),
            **{c: st.column_config.NumberColumn(t(f"wb.seg.{c}"), min_value=1, max_value=5, step=1, required=True)
               for c in workbench.SEG_COLUMNS[3:]},
        })
    return workbench.rules_from_frame(edited)


def _segments_coverage(d) -> None:
    """Whether every R×F×M cell has a named segment."""
    cov = coverage(d.segments)
    if cov.get("other", 0):
        st.info(t("wb.segments_uncovered", cells=cov["other"]))
    else:
        st.caption(t("wb.segments_covered"))


def _file_tab(d) -> None:
    """Save (download), revert, load (upload) and the JSON itself."""
    c1, c2 = st.columns(2)
    with c1:
        components.download_button(t("definition.download"), data=d.to_json().encode("utf-8"),
                                   file_name="loyalty_definition.json", mime="application/json",
                                   on_click=_mark_saved, icon=":material/download:", key="dl_definition")
        st.caption(t("definition.download_help"))
        st.button(t("wb.revert"), on_click=_revert, icon=":material/undo:", help=t("wb.revert_help"))
    with c2:
        st.file_uploader(t("definition.upload"), type=["json"], key="w_def_upload", on_change=_load_file)
        if "def_load_error" in st.session_state:
            state.show_error(st.session_state["def_load_error"])
    with st.expander(t("definition.json_preview")):
        st.code(d.to_json(), language="json")


def _effect(d, problems: list[str], folded) -> None:
    """What the settings do, against the saved definition: problems, tier counts and
    moves, the cut-point suggestion (``folded``: its expander in the R/F/M tab),
    factors left out, collapsed quantiles, the weights used."""
    for p in problems:
        st.error(p, icon="⚠️")
    try:
        res = state.scores(d)
        base = state.scores(state.saved_definition())
    except LoyaltyError as exc:
        state.show_error(exc)
        st.stop()
    st.markdown(f"**{t('definition.effect_title')}**")
    _tier_counts(res, base)
    cut_ui.offer(res, d, folded)
    if res.dropped:
        st.warning(t("segments.dropped", factors=state.join_list(t(f"factor.{k}") for k in res.dropped)))
    for axis, empty in res.collapsed.items():
        st.warning(t("definition.collapsed", axis=t(f"factor.{axis}"), scores=state.join_list(map(str, empty))))
    if res.weights:
        st.markdown(f"**{t('wb.weights_title')}**")
        st.altair_chart(charts.weight_bars(res.weights, {k: t(f"factor.{k}") for k in res.weights},
                                           weight_title=t("wb.weight_axis"), factor_title=t("wb.factor")),
                        width="stretch")


def _tier_counts(res, base) -> None:
    """Customers per tier now (with the change against the saved definition) and how many moved."""
    tl = components.tier_labels()
    counts = res.frame["tier"].value_counts()
    row = components.metric_row()  # wraps rather than cutting a long label
    for key in TIER_KEYS:
        before = int((base.frame["tier"] == key).sum())
        now = int(counts.get(key, 0))
        # the sign says the direction: no arrow as well
        row.metric(tl[key], format_int(now), delta=format_signed_int(now - before) if now != before else None,
                   delta_color="off", delta_arrow="off")
    moves = tier_moves(base.frame["tier"], res.frame["tier"])
    moved = int(moves.to_numpy().sum() - moves.to_numpy().trace())
    row.metric(t("definition.moved"), format_int(moved), help=t("definition.moved_help"))
    if moved:
        with st.expander(t("wb.moves_detail")):
            view = moves.rename(index=tl, columns=tl)
            view.index.name = t("definition.moves_rows")
            view.columns.name = t("definition.moves_cols")
            st.dataframe(view, width="content")


render()

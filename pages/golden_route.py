"""ゴールデンルート: what the first purchase and first weeks of today's loyal customers
looked like, F2 conversion and loyalty by entry product, and the new customers on
the same route (seed 002)."""

from ui.router import ensure_router

ensure_router()

import streamlit as st

from loyalty import export
from loyalty import golden_route as gr
from loyalty.errors import LoyaltyError
from loyalty.fmt import format_date, format_int, format_pct, format_score
from ui import components, state
from ui import golden_route as ug
from ui.state import t

HISTORY_OPTIONS = [90, 120, 180, 270, 365, 540, 730]
WINDOW_OPTIONS = [14, 30, 45, 60, 90, 120, 180]
MIN_CUSTOMER_OPTIONS = [10, 20, 30, 50, 100, 200]
MIN_LOYAL_OPTIONS = [1, 3, 5, 10, 20]
MAX_ROWS_SHOWN = 5_000
DEFAULTS = {"w_gr_history": 180, "w_gr_loyal": "top", "w_gr_new": 90, "w_gr_f2": 90, "w_gr_min_customers": 30,
            "w_gr_min_loyal": 5, "w_gr_golden_only": False, "w_gr_on_route_only": True}


def _clamp(key: str, options: list[int]) -> None:
    """Keep a remembered choice valid when the options shrink (the nearest option below)."""
    value = st.session_state[key]
    if value not in options:
        st.session_state[key] = max(o for o in options if o <= max(value, options[0]))


def render() -> None:
    """Controls, headline figures and the summary, then patterns, entry products and new customers."""
    for key, value in DEFAULTS.items():  # widgets take their values from here (no value= below)
        st.session_state.setdefault(key, value)
    st.title(t("golden.title"))
    st.caption(t("golden.subtitle"))
    ds, feats, res = components.load_or_stop()
    if ds.transactions is None or not len(ds.transactions.frame):
        st.info(t("golden.needs_transactions"), icon=":material/info:")
        st.page_link("pages/data.py", label=t("common.go_data"), icon=":material/upload_file:")
        st.stop()
    tl = components.tier_labels()
    settings, loyal_pick = _controls(tl)
    try:
        with st.spinner(t("common.loading")):
            result = ug.analysis(ds, feats, res, settings)
    except LoyaltyError as exc:
        state.show_error(exc)
        st.stop()
    loyal_name = _loyal_name(loyal_pick, tl)
    st.caption(t("golden.caption", as_of=format_date(result.as_of), days=settings.min_history_days,
                 loyal=loyal_name, definition=state.definition_name()))
    for key, values in result.notes:
        st.info(t(key, **values), icon=":material/info:")
    _kpis(result, settings, loyal_name)
    _summary(result, loyal_name)
    with st.expander(t("golden.explain_title"), icon=":material/school:"):
        st.markdown(t("golden.explain", days=settings.min_history_days, min_customers=settings.min_customers,
                      min_loyal=settings.min_loyal, loyal=loyal_name))
    tab_patterns, tab_entries, tab_new = st.tabs([t("golden.tab.patterns"), t("golden.tab.entries"),
                                                   t("golden.tab.new")])
    with tab_patterns:
        _patterns_tab(result, settings)
    with tab_entries:
        _entries_tab(result, settings, loyal_name)
    with tab_new:
        _new_tab(result, settings, loyal_name)


def _loyal_name(pick: str, tl: dict[str, str]) -> str:
    """Who counts as loyal, in words: the top tier, or the top and middle tiers."""
    return tl["top"] if pick == "top" else t("golden.ctl.top_middle", top=tl["top"], middle=tl["middle"])


def _controls(tl: dict[str, str]) -> tuple[gr.GoldenRouteSettings, str]:
    """History, who is loyal, the new-customer and F2 windows, and the evidence thresholds.

    Returns:
        ``(settings, loyal_pick)``: the analysis settings, and "top" or "top_middle".
    """
    widths = [5, 8, 5]  # the middle column holds the two tier choices side by side, uncut
    with st.container(border=True):
        c1, c2, c3 = st.columns(widths)
        history = c1.select_slider(t("golden.ctl.history"), HISTORY_OPTIONS, key="w_gr_history",
                                   format_func=format_int, help=t("golden.ctl.history_help"),
                                   persist_state="session")
        loyal_pick = c2.segmented_control(
            t("golden.ctl.loyal"), ["top", "top_middle"], required=True, key="w_gr_loyal",
            format_func=lambda k: _loyal_name(k, tl), help=t("golden.ctl.loyal_help"), persist_state="session")
        windows = [w for w in WINDOW_OPTIONS if w <= history]
        _clamp("w_gr_new", windows)
        _clamp("w_gr_f2", windows)
        new_days = c3.select_slider(t("golden.ctl.new_days"), windows, key="w_gr_new",
                                    format_func=format_int, help=t("golden.ctl.new_days_help"),
                                    persist_state="session")
        c4, c5, c6 = st.columns(widths)
        f2_days = c4.select_slider(t("golden.ctl.f2_days"), windows, key="w_gr_f2",
                                   format_func=format_int, help=t("golden.ctl.f2_days_help"),
                                   persist_state="session")
        min_customers = c5.select_slider(t("golden.ctl.min_customers"), MIN_CUSTOMER_OPTIONS,
                                         key="w_gr_min_customers", format_func=format_int,
                                         help=t("golden.ctl.min_customers_help"), persist_state="session")
        min_loyal = c6.select_slider(t("golden.ctl.min_loyal"), MIN_LOYAL_OPTIONS, key="w_gr_min_loyal",
                                     format_func=format_int, help=t("golden.ctl.min_loyal_help"),
                                     persist_state="session")
    settings = gr.GoldenRouteSettings(
        min_history_days=int(history), loyal_tiers=("top",) if loyal_pick == "top" else ("top", "middle"),
        min_customers=int(min_customers), min_loyal=int(min_loyal), f2_days=int(f2_days), new_days=int(new_days))
    return settings, loyal_pick


def _kpis(result, settings: gr.GoldenRouteSettings, loyal_name: str) -> None:
    """Cohort, loyal customers, F2 rate, new customers on the route, and how well the route predicts."""
    history, f2_days, new_days = settings.min_history_days, settings.f2_days, settings.new_days
    _, totals = result.entries["product"]
    new = result.new_customers
    on_route = new[new["route_score"] > 0]
    m1 = m2 = m3 = m4 = m5 = components.metric_row()  # wraps rather than cutting a long label
    m1.metric(t("golden.kpi.cohort"), format_int(result.cohort), help=t("golden.kpi.cohort_help", days=history))
    m2.metric(t("golden.kpi.loyal", loyal=loyal_name), format_int(result.loyal),
              help=t("golden.kpi.loyal_help",
                     share=format_pct(result.loyal / result.cohort if result.cohort else None)))
    m3.metric(t("golden.kpi.f2", days=f2_days), format_pct(totals["f2_rate"]),
              help=t("golden.kpi.f2_help", days=f2_days, loyal=format_pct(totals["loyal_rate_f2"])))
    m4.metric(t("golden.kpi.on_route", days=new_days), format_int(len(on_route)),
              help=t("golden.kpi.on_route_help", new=format_int(len(new)), days=new_days))
    m5.metric(t("golden.kpi.auc"), format_score(result.auc, 2) if ug.finite(result.auc) else "—",
              help=t("golden.kpi.auc_help"))


def _summary(result, loyal_name: str) -> None:
    """The route in a few sentences."""
    with st.container(border=True):
        st.markdown(f"**{t('golden.summary_title', loyal=loyal_name)}**")
        lines = ug.summary_lines(result.summary, result.labels, state.lang())
        if lines:
            st.markdown("\n".join(f"- {line}" for line in lines))
            st.caption(t("golden.summary_help"))
        elif result.cohort:
            st.caption(t("golden.summary_none"))


def _patterns_tab(result, settings: gr.GoldenRouteSettings) -> None:
    """First-purchase patterns by lift, filtered by group (and to golden ones only)."""
    patterns = result.patterns.shown
    groups = [g for g in gr.GROUPS if (patterns["group"] == g).any()]
    default_groups = [g for g in groups if g != "engagement"]
    if "w_gr_groups" in st.session_state:  # keep only groups this data set has
        st.session_state["w_gr_groups"] = [g for g in st.session_state["w_gr_groups"] if g in groups]
    else:
        st.session_state["w_gr_groups"] = default_groups
    picked = st.pills(t("golden.ctl.groups"), groups, selection_mode="multi", key="w_gr_groups",
                      format_func=lambda g: t(f"golden.group.{g}"), help=t("golden.ctl.groups_help")) or []
    golden_only = st.toggle(t("golden.ctl.golden_only"), key="w_gr_golden_only",
                            help=t("polish.help.golden_only"))
    view = ug.patterns_shown(patterns, picked, golden_only)
    if len(view):
        st.markdown(f"**{t('golden.chart.title')}**")
        st.altair_chart(ug.lift_chart(view, result.labels, state.lang()), width="stretch")
        st.caption(t("golden.chart.help"))
        ug.show_table(ug.pattern_view(view, result.labels, state.lang()), key="gr_patterns")
    elif result.cohort:
        st.info(t("golden.patterns_empty"), icon=":material/info:")
    st.caption(t("golden.hidden", hidden=format_int(result.patterns.hidden), min_customers=settings.min_customers,
                 min_loyal=settings.min_loyal))
    if "engagement" in picked:
        st.caption(t("golden.engagement_note"))


def _entry_kinds(result) -> list[str]:
    """The entry tables the data allows: by product and/or by category."""
    return [k for k in ("product", "category") if result.entries[k][1]["available"]]


def _entries_tab(result, settings: gr.GoldenRouteSettings, loyal_name: str) -> None:
    """F2 conversion and loyalty by entry product (or category)."""
    kinds = _entry_kinds(result)
    if not kinds:
        st.info(t("golden.entries_unavailable"), icon=":material/info:")
        return
    if st.session_state.get("w_gr_entry_by") not in kinds:
        st.session_state["w_gr_entry_by"] = kinds[0]
    by = st.segmented_control(t("golden.ctl.entry_by"), kinds, required=True,
                              key="w_gr_entry_by", format_func=lambda k: t(f"golden.entry_by.{k}"))
    table, tot = result.entries[by]
    st.caption(t("golden.entries_help", days=settings.f2_days, loyal=loyal_name,
                 f2=format_pct(tot["f2_rate"]), rate=format_pct(tot["loyal_rate"]),
                 rate_f2=format_pct(tot["loyal_rate_f2"])))
    if len(table):
        st.altair_chart(ug.entry_chart(table, tot), width="stretch")
        ug.show_table(ug.entries_shown(table), key="gr_entries")
    elif result.cohort:
        st.info(t("golden.entries_empty"), icon=":material/info:")
    st.caption(t("golden.entries_hidden", hidden=format_int(tot["hidden"]), min_customers=settings.min_customers))


def _new_tab(result, settings: gr.GoldenRouteSettings, loyal_name: str) -> None:
    """New customers on the route (or all of them), and the downloads."""
    new_days = settings.new_days
    new = result.new_customers
    st.caption(t("golden.new_help", days=new_days))
    only = st.toggle(t("golden.ctl.on_route_only"), key="w_gr_on_route_only",
                     help=t("polish.help.on_route_only"))
    listed = new[new["route_score"] > 0] if only else new
    st.caption(t("golden.new_count", count=format_int(len(listed)), total=format_int(len(new))))
    if len(listed):
        shown = listed.head(MAX_ROWS_SHOWN)
        if len(listed) > MAX_ROWS_SHOWN:
            st.caption(t("golden.new_truncated", shown=format_int(MAX_ROWS_SHOWN)))
        ug.show_table(shown, height=420, key="gr_new")
    else:
        st.info(t("golden.new_empty"), icon=":material/info:")
    _downloads(result, settings, loyal_name, listed.copy())


def _downloads(result, settings: gr.GoldenRouteSettings, loyal_name: str, export_list) -> None:
    """The list, patterns and entries as a workbook; the list as CSV (UTF-8 and Shift_JIS)."""
    kinds = _entry_kinds(result)
    lang = state.lang()
    entry_export = result.entries[kinds[0]][0] if kinds else result.entries["product"][0]
    definition_line = t("golden.sheet.definition", loyal=loyal_name, days=settings.min_history_days,
                        definition=state.definition_name())
    titles = {"list": [t("golden.sheet.list_title", days=settings.new_days, as_of=format_date(result.as_of)),
                       definition_line],
              "patterns": [t("golden.sheet.patterns_title", loyal=loyal_name), definition_line],
              "entries": [t("golden.sheet.entries_title", days=settings.f2_days)]}
    d1, d2, d3 = st.columns(3)
    components.download_button(
        t("golden.download_xlsx"),
        data=lambda: ug.workbook(export_list, result.patterns.shown, entry_export, result.labels, lang, titles),
        file_name="golden_route.xlsx", mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click="ignore", icon=":material/download:", key="dl_gr_xlsx", container=d1)
    components.download_button(
        t("golden.download_csv"), data=lambda: export.csv_bytes(export_list).data,
        file_name="golden_route_customers.csv", mime="text/csv", on_click="ignore",
        icon=":material/download:", key="dl_gr_csv", container=d2)
    components.download_button(
        t("golden.download_csv_cp932"), data=lambda: export.csv_bytes(export_list, encoding="cp932").data,
        file_name="golden_route_customers_sjis.csv", mime="text/csv", on_click="ignore",
        icon=":material/download:", key="dl_gr_csv_cp932", help=t("golden.download_csv_cp932_help"), container=d3)


render()

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

t = state.t
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


for _key, _value in DEFAULTS.items():  # widgets take their values from here (no value= below)
    st.session_state.setdefault(_key, _value)


st.title(t("golden.title"))
st.caption(t("golden.subtitle"))
ds, feats, res = components.load_or_stop()
if ds.transactions is None or not len(ds.transactions.frame):
    st.info(t("golden.needs_transactions"), icon=":material/info:")
    st.page_link("pages/data.py", label=t("common.go_data"), icon=":material/upload_file:")
    st.stop()
tl = components.tier_labels()
lang = state.lang()

# --- controls ---------------------------------------------------------------------------
with st.container(border=True):
    c1, c2, c3 = st.columns([3, 3, 3])
    history = c1.select_slider(t("golden.ctl.history"), HISTORY_OPTIONS, key="w_gr_history",
                               format_func=format_int, help=t("golden.ctl.history_help"),
                               persist_state="session")
    loyal_pick = c2.segmented_control(
        t("golden.ctl.loyal"), ["top", "top_middle"], required=True, key="w_gr_loyal",
        format_func=lambda k: tl["top"] if k == "top" else t("golden.ctl.top_middle", top=tl["top"],
                                                               middle=tl["middle"]),
        help=t("golden.ctl.loyal_help"), persist_state="session")
    windows = [w for w in WINDOW_OPTIONS if w <= history]
    _clamp("w_gr_new", windows)
    _clamp("w_gr_f2", windows)
    new_days = c3.select_slider(t("golden.ctl.new_days"), windows, key="w_gr_new",
                                format_func=format_int, help=t("golden.ctl.new_days_help"),
                                persist_state="session")
    c4, c5, c6 = st.columns([3, 3, 3])
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
try:
    with st.spinner(t("common.loading")):
        result = ug.analysis(ds, feats, res, settings)
except LoyaltyError as exc:
    state.show_error(exc)
    st.stop()

loyal_name = tl["top"] if loyal_pick == "top" else t("golden.ctl.top_middle", top=tl["top"], middle=tl["middle"])
st.caption(t("golden.caption", as_of=format_date(result.as_of), days=history, loyal=loyal_name,
             definition=state.definition_name()))
for key, values in result.notes:
    st.info(t(key, **values), icon=":material/info:")

_, totals = result.entries["product"]
new = result.new_customers
on_route = new[new["route_score"] > 0]
m1, m2, m3, m4, m5 = st.columns(5)
m1.metric(t("golden.kpi.cohort"), format_int(result.cohort), help=t("golden.kpi.cohort_help", days=history))
m2.metric(t("golden.kpi.loyal", loyal=loyal_name), format_int(result.loyal),
          help=t("golden.kpi.loyal_help", share=format_pct(result.loyal / result.cohort if result.cohort else None)))
m3.metric(t("golden.kpi.f2", days=f2_days), format_pct(totals["f2_rate"]),
          help=t("golden.kpi.f2_help", days=f2_days, loyal=format_pct(totals["loyal_rate_f2"])))
m4.metric(t("golden.kpi.on_route", days=new_days), format_int(len(on_route)),
          help=t("golden.kpi.on_route_help", new=format_int(len(new)), days=new_days))
m5.metric(t("golden.kpi.auc"), format_score(result.auc, 2) if ug.finite(result.auc) else "—",
          help=t("golden.kpi.auc_help"))

with st.container(border=True):
    st.markdown(f"**{t('golden.summary_title', loyal=loyal_name)}**")
    lines = ug.summary_lines(result.summary, result.labels, lang)
    if lines:
        st.markdown("\n".join(f"- {line}" for line in lines))
        st.caption(t("golden.summary_help"))
    elif result.cohort:
        st.caption(t("golden.summary_none"))

with st.expander(t("golden.explain_title"), icon=":material/school:"):
    st.markdown(t("golden.explain", days=history, min_customers=min_customers, min_loyal=min_loyal,
                  loyal=loyal_name))

tab_patterns, tab_entries, tab_new = st.tabs([t("golden.tab.patterns"), t("golden.tab.entries"),
                                               t("golden.tab.new")])

# --- patterns ----------------------------------------------------------------------------
with tab_patterns:
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
    view = patterns[patterns["group"].isin(picked)]
    if golden_only:
        view = view[view["verdict"] == "golden"]
    if len(view):
        st.markdown(f"**{t('golden.chart.title')}**")
        st.altair_chart(ug.lift_chart(view, result.labels, lang), width="stretch")
        st.caption(t("golden.chart.help"))
        ug.show_table(ug.pattern_view(view, result.labels, lang), key="gr_patterns")
    elif result.cohort:
        st.info(t("golden.patterns_empty"), icon=":material/info:")
    st.caption(t("golden.hidden", hidden=format_int(result.patterns.hidden), min_customers=min_customers,
                 min_loyal=min_loyal))
    if "engagement" in picked:
        st.caption(t("golden.engagement_note"))

# --- entries -----------------------------------------------------------------------------
with tab_entries:
    kinds = [k for k in ("product", "category") if result.entries[k][1]["available"]]
    if not kinds:
        st.info(t("golden.entries_unavailable"), icon=":material/info:")
    else:
        if st.session_state.get("w_gr_entry_by") not in kinds:
            st.session_state["w_gr_entry_by"] = kinds[0]
        by = st.segmented_control(t("golden.ctl.entry_by"), kinds, required=True,
                                  key="w_gr_entry_by", format_func=lambda k: t(f"golden.entry_by.{k}"))
        table, tot = result.entries[by]
        st.caption(t("golden.entries_help", days=f2_days, loyal=loyal_name,
                     f2=format_pct(tot["f2_rate"]), rate=format_pct(tot["loyal_rate"]),
                     rate_f2=format_pct(tot["loyal_rate_f2"])))
        if len(table):
            st.altair_chart(ug.entry_chart(table, tot), width="stretch")
            shown = table[["entry", "customers", "loyal", "loyal_rate", "f2", "f2_rate", "loyal_rate_f2"]].copy()
            shown.insert(4, "loyal_rate_interval",
                         ug.interval_text(table["loyal_rate_low"], table["loyal_rate_high"], pct=True))
            ug.show_table(shown, key="gr_entries")
        elif result.cohort:
            st.info(t("golden.entries_empty"), icon=":material/info:")
        st.caption(t("golden.entries_hidden", hidden=format_int(tot["hidden"]), min_customers=min_customers))

# --- new customers on the route -----------------------------------------------------------
with tab_new:
    st.caption(t("golden.new_help", days=new_days))
    only = st.toggle(t("golden.ctl.on_route_only"), key="w_gr_on_route_only",
                     help=t("polish.help.on_route_only"))
    listed = on_route if only else new
    st.caption(t("golden.new_count", count=format_int(len(listed)), total=format_int(len(new))))
    if len(listed):
        shown = listed.head(MAX_ROWS_SHOWN)
        if len(listed) > MAX_ROWS_SHOWN:
            st.caption(t("golden.new_truncated", shown=format_int(MAX_ROWS_SHOWN)))
        ug.show_table(shown, height=420, key="gr_new")
    else:
        st.info(t("golden.new_empty"), icon=":material/info:")

    export_list = listed.copy()
    entry_export = result.entries[kinds[0]][0] if kinds else result.entries["product"][0]
    titles = {"list": [t("golden.sheet.list_title", days=new_days, as_of=format_date(result.as_of)),
                       t("golden.sheet.definition", loyal=loyal_name, days=history,
                         definition=state.definition_name())],
              "patterns": [t("golden.sheet.patterns_title", loyal=loyal_name),
                           t("golden.sheet.definition", loyal=loyal_name, days=history,
                             definition=state.definition_name())],
              "entries": [t("golden.sheet.entries_title", days=f2_days)]}
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

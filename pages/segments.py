"""セグメント: tiers and named RFM segments, charts, the customer list, measures, downloads."""

from ui.router import ensure_router

ensure_router()

import streamlit as st

from loyalty import export
from loyalty.columns import excel_sheet
from loyalty.fmt import format_date, format_int
from loyalty.ltv import customer_ltv
from loyalty.measures import measures_for
from loyalty.breakdown import factor_breakdown
from loyalty.summary import customer_table, group_summary, rf_matrix
from ui import charts, components, segments_ui, state
from ui.segments_ui import ALL
from ui.state import t

MAX_ROWS_SHOWN = 5_000

def render() -> None:
    """Tiers, named segments, the customer list, repeaters and measures, in five tabs."""
    st.title(t("segments.title"))
    ds, feats, res = components.load_or_stop()
    d = state.definition()
    tl = components.tier_labels()
    sl = components.seg_labels()
    st.caption(t("segments.caption", name=state.definition_name(d),
                 as_of=format_date(feats.as_of) if feats.as_of else "—",
                 days=feats.window_days, customers=format_int(len(res.frame))))
    if res.dropped:
        st.warning(t("segments.dropped", factors=state.join_list(t(f"factor.{k}") for k in res.dropped)))

    tab_tiers, tab_segments, tab_list, tab_repeaters, tab_measures = st.tabs(
        [t("segments.tab.tiers"), t("segments.tab.segments"), t("segments.tab.list"), t("rep.tab"),
         t("segments.tab.measures")])
    with tab_tiers:
        _tiers_tab(feats, res, d, tl)
    with tab_segments:
        _segments_tab(feats, res, sl)
    with tab_list:
        _list_tab(feats, res, d, tl, sl)
    with tab_repeaters:
        segments_ui.repeaters_tab(feats.frame, res.frame, tl)
    with tab_measures:
        _measures_tab(res, d, tl)


def _tiers_tab(feats, res, d, tl: dict[str, str]) -> None:
    """The tier table, the share chart and the score histogram."""
    summary = group_summary(res.frame, feats.frame, "tier")
    components.show_table(components.group_table(summary, tl, "tier_label").drop(columns=["avg_r", "avg_f", "avg_m"]),
                          key="tier_table")
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('segments.share_chart')}**")
        st.altair_chart(charts.tier_share_bars(summary, tl, customers_label=t("common.customer_share"),
                                               revenue_label=t("common.revenue_share"),
                                               share_label=t("common.share"), tier_label=t("common.tier")),
                        width="stretch")
    with right:
        st.markdown(f"**{t('segments.histogram')}**")
        st.altair_chart(charts.score_histogram(res.frame["loyalty_score"].to_numpy(), d.tiers, tl,
                                               score_label=t("col.loyalty_score"),
                                               count_label=t("col.customers"), tier_label=t("common.tier")),
                        width="stretch")
    st.caption(t("segments.tiers_help", top=tl["top"], middle=tl["middle"], low=tl["low"],
                 top_cut=f"{d.tiers['top']:g}", middle_cut=f"{d.tiers['middle']:g}"))


def _segments_tab(feats, res, sl: dict[str, str]) -> None:
    """The named segments: bars, the R×F heatmap and the segment table."""
    if not res.frame["rfm_segment"].notna().any():
        st.info(t("segments.no_rfm"))
        return
    seg = group_summary(res.frame, feats.frame, "rfm_segment")
    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"**{t('segments.segment_chart')}**")
        st.altair_chart(charts.segment_bars(seg, sl, customers_label=t("col.customers"),
                                            revenue_share_label=t("col.revenue_share"),
                                            segment_label=t("common.segment")), width="stretch")
    with right:
        st.markdown(f"**{t('segments.rf_heatmap')}**")
        st.altair_chart(charts.rf_heatmap(rf_matrix(res.frame), r_label=t("col.r_score"),
                                          f_label=t("col.f_score"), count_label=t("col.customers")),
                        width="stretch")
        st.caption(t("segments.rf_help"))
    components.show_table(components.group_table(seg[seg["customers"] > 0], sl, "rfm_segment_label")
                          .drop(columns=["avg_r", "avg_f", "avg_m"]), key="segment_table")


def _list_tab(feats, res, d, tl: dict[str, str], sl: dict[str, str]) -> None:
    """The customer list with its filters, one customer's breakdown, and the downloads."""
    table = customer_table(feats.frame, res.frame, d, state.lang(), ltv=customer_ltv(feats.frame),
                           breakdown=False)
    c1, c2, c3 = st.columns([1, 1, 2])
    tier_pick = c1.selectbox(t("segments.filter_tier"), [ALL, "top", "middle", "low"],
                             format_func=lambda k: t("common.all") if k == ALL else tl[k], key="list_tier")
    seg_keys = [ALL] + [k for k in sl if (table["rfm_segment"] == k).any()]
    seg_pick = c2.selectbox(t("segments.filter_segment"), seg_keys,
                            format_func=lambda k: t("common.all") if k == ALL else sl[k], key="list_segment")
    example = str(table["customer_id"].iloc[0]) if len(table) else "—"  # an id as this data writes them
    query = c3.text_input(t("segments.search"), key="list_search",
                          placeholder=t("segments.search_placeholder", example=example))
    view = segments_ui.filter_customers(table, tier_pick, seg_pick, query)
    st.caption(t("segments.list_count", count=format_int(len(view)), total=format_int(len(table))))
    shown, truncated = segments_ui.on_screen(view, MAX_ROWS_SHOWN)
    if truncated:
        st.caption(t("segments.list_truncated", shown=format_int(MAX_ROWS_SHOWN)))
    if len(shown):
        components.show_table(shown, height=420, key="customer_list")
    else:
        st.info(t("segments.list_empty"))
    if len(view):
        _breakdown(view, feats, res, d, tl)
    _list_downloads(view.copy())


def _breakdown(view, feats, res, d, tl: dict[str, str]) -> None:
    """One customer's points per factor (the first 500 of the list to pick from)."""
    st.markdown(f"**{t('bd.title')}**")
    pick = st.selectbox(t("bd.customer"), view["customer_id"].head(500).tolist(), key="list_breakdown",
                        help=t("bd.help"))
    bd = factor_breakdown(pick, feats.frame, res.frame, res.weights, d)
    segments_ui.breakdown(bd, float(res.frame.loc[pick, "loyalty_score"]), tl[str(res.frame.loc[pick, "tier"])])


def _list_downloads(export_view) -> None:
    """The filtered list (every column) as Excel and as CSV."""
    sheet_name, sheet_lang = t("segments.sheet_name"), state.lang()
    d1, d2 = st.columns(2)
    components.download_button(
        t("segments.download_xlsx"),
        data=lambda: export.excel_bytes([excel_sheet(export_view, sheet_name, sheet_lang)]),
        file_name="loyalty_customers.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click="ignore", icon=":material/download:", key="dl_xlsx", container=d1)
    components.download_button(
        t("segments.download_csv"),
        data=lambda: export.csv_bytes(export_view).data,
        file_name="loyalty_customers.csv", mime="text/csv", on_click="ignore",
        icon=":material/download:", key="dl_csv", container=d2)


def _measures_tab(res, d, tl: dict[str, str]) -> None:
    """The catalogue's (or the definition's) measures per tier."""
    st.caption(t("segments.measures_help"))
    for key in ("top", "middle", "low"):
        rows = measures_for(d.measures, f"tier:{key}", state.lang())
        n = int((res.frame["tier"] == key).sum())
        with st.expander(f"{tl[key]} — {t('segments.customers_n', n=format_int(n))}", expanded=key == "top"):
            for m in rows:
                st.markdown(f"**{m['title']}**  \n{m['detail']}")
                st.caption(t("segments.measure_meta", channel=m["channel"], timing=m["timing"], kpi=m["kpi"]))


render()

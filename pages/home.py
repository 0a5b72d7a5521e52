"""概要 (overview): the headline figures and where to go next."""

from ui.router import ensure_router

ensure_router()

import streamlit as st

from loyalty.fmt import format_date, format_int, format_pct, format_yen
from loyalty.summary import group_summary
from ui import charts, components, state

t = state.t
st.title(t("home.title"))
st.caption(t("home.subtitle"))

if state.using_sample():
    st.info(t("home.sample_notice"), icon=":material/info:")

ds, feats, res = components.load_or_stop()
labels = components.tier_labels()
summary = group_summary(res.frame, feats.frame, "tier")
top = summary.loc["top"]

c1, c2, c3, c4 = st.columns(4)
c1.metric(t("home.kpi.customers"), format_int(len(res.frame)), help=t("home.kpi.customers_help"))
c2.metric(t("home.kpi.top_customers", tier=labels["top"]), format_int(top["customers"]),
          help=t("home.kpi.share", share=format_pct(top["customer_share"])))
c3.metric(t("home.kpi.top_revenue_share", tier=labels["top"]), format_pct(top["revenue_share"]),
          help=t("home.kpi.top_revenue_share_help"))
c4.metric(t("home.kpi.revenue"), format_yen(summary["revenue"].sum(min_count=1)),
          help=t("home.kpi.revenue_help", days=feats.window_days))

left, right = st.columns([3, 2])
with left:
    st.subheader(t("home.chart_title"))
    st.altair_chart(charts.tier_share_bars(summary, labels, customers_label=t("common.customer_share"),
                                           revenue_label=t("common.revenue_share"),
                                           share_label=t("common.share"), tier_label=t("common.tier")),
                    width="stretch")
with right:
    st.subheader(t("home.reading_title"))
    st.markdown(t("home.reading", top=labels["top"], share=format_pct(top["customer_share"]),
                  revenue=format_pct(top["revenue_share"]),
                  as_of=format_date(feats.as_of) if feats.as_of else "—", days=feats.window_days))
    st.subheader(t("home.next_title"))
    st.page_link("pages/data.py", label=t("home.next.data"), icon=":material/upload_file:")
    st.page_link("pages/definition.py", label=t("home.next.definition"), icon=":material/tune:")
    st.page_link("pages/segments.py", label=t("home.next.segments"), icon=":material/groups:")

"""概要 (overview): the headline figures and where to go next."""

from ui.router import ensure_router

ensure_router()

from pathlib import Path  # noqa: E402

import streamlit as st  # noqa: E402

from loyalty.fmt import format_date, format_int, format_pct, format_yen  # noqa: E402
from loyalty.summary import group_summary  # noqa: E402
from ui import charts, components, state, workbench  # noqa: E402
from ui.state import t  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# next steps: (page, label key, caption key, icon); a step shows when its page exists
NEXT_STEPS = [
    ("pages/data.py", "home.next.data", "polish.home.next.data.caption", ":material/upload_file:"),
    ("pages/definition.py", "home.next.definition", "polish.home.next.definition.caption", ":material/tune:"),
    ("pages/segments.py", "home.next.segments", "polish.home.next.segments.caption", ":material/groups:"),
    ("pages/export.py", "polish.home.next.export", "polish.home.next.export.caption", ":material/download:"),
]


def _reading_key(top) -> str:
    """Which "how to read it" sentence fits the figures (the top tier's row of the summary)."""
    if not top["customers"]:
        return "polish.home.reading_none"
    if top["revenue_share"] != top["revenue_share"]:  # NaN: the data has no amounts
        return "polish.home.reading_no_revenue"
    if top["customer_share"] >= 0.5:
        return "polish.home.reading_broad"
    return "home.reading"


def render() -> None:
    """The overview: headline figures, the tier chart, how to read them, next steps."""
    st.title(t("home.title"))
    st.caption(t("home.subtitle"))
    if state.using_sample():
        _sample_notice()
    ds, feats, res = components.load_or_stop()
    if len(res.frame) == 0:
        components.empty_state(t("polish.home.empty"), page="pages/data.py", link_label=t("common.go_data"))
        st.stop()
    workbench.preset_hint(workbench.available_factors())  # the data loaded above: this cannot fail now
    st.caption(t("polish.home.definition_line", name=state.definition_name(state.definition())))

    labels = components.tier_labels()
    summary = group_summary(res.frame, feats.frame, "tier")
    _kpis(summary, labels, feats, len(res.frame))
    left, right = st.columns([3, 2], gap="large")
    with left:
        _tier_chart(summary, labels)
    with right:
        _reading(summary.loc["top"], labels, feats)
        _next_steps()


def _sample_notice() -> None:
    """Say that the sample data is shown, with a link to the data page."""
    with st.container(horizontal=True, vertical_alignment="center"):
        st.info(t("home.sample_notice"), icon=":material/info:", width="stretch")
        st.page_link("pages/data.py", label=t("polish.home.go_data"), icon=":material/upload_file:")


def _as_of_and_start(feats) -> tuple[str, str]:
    """The as-of date and the window's first day, formatted ("—" without an as-of date)."""
    if not feats.as_of:
        return "—", "—"
    return format_date(feats.as_of), format_date(feats.window_start)


def _kpis(summary, labels: dict[str, str], feats, customers: int) -> None:
    """The four headline figures: customers, top-tier customers, their revenue share, revenue."""
    top = summary.loc["top"]
    as_of, start = _as_of_and_start(feats)
    c1 = c2 = c3 = c4 = components.metric_row()  # wraps rather than cutting a long label or amount
    c1.metric(t("home.kpi.customers"), format_int(customers), delta=t("polish.home.kpi.as_of", date=as_of),
              delta_color="off", delta_arrow="off", help=t("home.kpi.customers_help"), border=True)
    c2.metric(t("home.kpi.top_customers", tier=labels["top"]), format_int(top["customers"]),
              delta=t("polish.home.kpi.share_of_customers", share=format_pct(top["customer_share"])),
              delta_color="off", delta_arrow="off", border=True)
    c3.metric(t("home.kpi.top_revenue_share", tier=labels["top"]), format_pct(top["revenue_share"]),
              delta=t("polish.home.kpi.from_share", share=format_pct(top["customer_share"])),
              delta_color="off", delta_arrow="off", help=t("home.kpi.top_revenue_share_help"), border=True)
    c4.metric(t("home.kpi.revenue"), format_yen(summary["revenue"].sum(min_count=1)),
              delta=t("polish.home.kpi.window", start=start, end=as_of), delta_color="off", delta_arrow="off",
              help=t("home.kpi.revenue_help", days=feats.window_days), border=True)


def _tier_chart(summary, labels: dict[str, str]) -> None:
    """Customer and revenue shares per tier."""
    st.subheader(t("home.chart_title"))
    st.altair_chart(charts.tier_share_bars(summary, labels, customers_label=t("common.customer_share"),
                                           revenue_label=t("common.revenue_share"),
                                           share_label=t("common.share"), tier_label=t("common.tier")),
                    width="stretch")


def _reading(top, labels: dict[str, str], feats) -> None:
    """How to read the figures, in a sentence that fits them."""
    as_of, _ = _as_of_and_start(feats)
    st.subheader(t("home.reading_title"))
    st.markdown(t(_reading_key(top), top=labels["top"], share=format_pct(top["customer_share"]),
                  revenue=format_pct(top["revenue_share"]), as_of=as_of, days=feats.window_days))


def _next_steps() -> None:
    """Links to the next pages (those that exist)."""
    st.subheader(t("home.next_title"))
    for page, label, caption, icon in NEXT_STEPS:
        if (ROOT / page).exists():
            with st.container(border=True, gap=None):
                st.page_link(page, label=t(label), icon=icon, width="stretch")
                st.caption(t(caption))


render()

"""推移: the tiers recomputed at every month, week or quarter end under the working
definition — the top tier's size and revenue share over time, the flow of customers
between tiers, and the lists of who left and who joined the top tier.

Drawing only: the figures come from :mod:`loyalty.movement` through the cached
helpers of :mod:`ui.movement` (the same calls as ``python -m loyalty movement``).
"""

from ui.router import ensure_router

ensure_router()

import pandas as pd
import streamlit as st

from loyalty import movement as mv
from loyalty.errors import LoyaltyError
from loyalty.fmt import format_date, format_int, format_pct, format_signed_int
from loyalty.targets import target_csv, unencodable_cells
from ui import components, deliverables, state
from ui import metrics as um
from ui import movement as umv
from ui.state import t

MAX_ROWS_SHOWN = 1_000


def _settings() -> tuple[str, int]:
    """Period length and how many period ends to show."""
    c1, c2 = st.columns([3, 2])  # three period names need the width
    every = c1.segmented_control(t("movement.every"), list(umv.PERIOD_CHOICES), default="month", required=True,
                                 format_func=lambda e: t(f"movement.every_option.{e}"), key="w_mv_every",
                                 help=t("movement.every_help"), persist_state="session")
    default, most = umv.PERIOD_CHOICES[every]
    count = c2.slider(t("movement.periods"), min_value=2, max_value=most, value=default, key=f"w_mv_periods_{every}",
                      help=t("movement.periods_help"), persist_state="session")
    return every, int(count)


def _intro(m: mv.Movement, count: int, tl: dict[str, str]) -> None:
    """The definition in force, the period ends shown, and what has no history."""
    d = state.definition()
    st.caption(t("movement.caption", name=state.definition_name(d), days=d.window_days, top_tier=tl["top"],
                 top_cut=f"{d.tiers['top']:g}"))
    today_only = umv.timeline().today_only(d)
    if today_only:
        st.info(t("movement.today_only", factors=state.join_list(t(f"factor.{k}") for k in today_only)),
                icon=":material/history_toggle_off:")
    else:
        st.caption(t("movement.today_only_none"))
    shown = t("movement.shown", n=len(m.periods), first=format_date(m.periods[0].as_of),
              last=format_date(m.periods[-1].as_of), every=t(f"movement.every_option.{m.every}"))
    notes = [shown]
    if len(m.periods) < count:
        notes.append(t("movement.fewer", n=len(m.periods)))
    if m.periods[-1].partial:
        notes.append(t("movement.partial_note", as_of=format_date(m.periods[-1].as_of)))
    st.caption(" ".join(notes))


def _kpis(m: mv.Movement, tl: dict[str, str]) -> None:
    """The top tier at the last period end, its revenue share, who joined and who left it."""
    now, before = m.summary.iloc[-1], m.summary.iloc[-2]
    when, as_of = format_date(m.periods[-2].as_of), format_date(m.periods[-1].as_of)
    st.markdown(f"**{t('movement.kpi.heading', tier=tl['top'], as_of=as_of, before=when)}**")
    k1, k2, k3, k4 = st.columns(4)
    k1.metric(t("movement.kpi.top"), format_int(now["top"]), delta=format_signed_int(int(now["top"] - before["top"])),
              help=t("movement.kpi.top_help", tier=tl["top"], as_of=as_of), border=True)
    share_delta = (now["revenue_share_top"] - before["revenue_share_top"]) * 100
    k2.metric(t("movement.kpi.share"), format_pct(now["revenue_share_top"]),
              delta=t("movement.kpi.points", delta=f"{share_delta:+.1f}") if pd.notna(share_delta) else None,
              help=t("movement.kpi.share_help", tier=tl["top"]), border=True)
    last = len(m.periods) - 1
    k3.metric(t("movement.kpi.in"), format_int(len(m.moved(last, "in"))),
              help=t("movement.kpi.in_help", tier=tl["top"], before=when), border=True)
    k4.metric(t("movement.kpi.out"), format_int(len(m.moved(last, "out"))),
              help=t("movement.kpi.out_help", tier=tl["top"], before=when), border=True)


def _trend(m: mv.Movement, tl: dict[str, str]) -> None:
    """The top tier's customers and revenue share over time, side by side."""
    st.subheader(t("movement.trend", tier=tl["top"]), divider="gray")
    count_chart, share_chart = umv.trend_charts(
        m, count_title=t("movement.trend.count", tier=tl["top"]), share_title=t("movement.trend.share", tier=tl["top"]),
        date_title=t("movement.trend.date"), partial_title=t("movement.trend.partial"))
    left, right = st.columns(2)
    left.altair_chart(count_chart, width="stretch", key="mv_trend_count")
    right.altair_chart(share_chart, width="stretch", key="mv_trend_share")
    st.caption(t("movement.trend_help"))


def _flows(m: mv.Movement, tl: dict[str, str]) -> None:
    """The alluvial chart of customers between tiers."""
    st.subheader(t("movement.flow"), divider="gray")
    chart = umv.flow_chart(m, tl, new_label=t("movement.flow.new"), customers_title=t("movement.flow.customers"),
                           from_title=t("movement.flow.from"), to_title=t("movement.flow.to"),
                           period_title=t("movement.flow.period"))
    st.altair_chart(chart, width="stretch", key="mv_flow")
    st.caption(t("movement.flow_help"))


def _one_list(frame: pd.DataFrame, title: str, button: str, file_name: str, encoding: str, key: str) -> None:
    """One change list: its title with the count, a preview and the CSV download."""
    st.markdown(f"**{title}**")
    if frame.empty:
        st.caption(t("movement.list_empty"))
        return
    config = deliverables.list_column_config(frame)
    money = frame.columns[-1]  # the monetary value in the window: in the data's currency
    config[money] = components.typed_view(frame.iloc[:0], {money: "yen"}, {money: money})[1][money]
    st.dataframe(frame.head(MAX_ROWS_SHOWN), hide_index=True, width="stretch", key=f"mv_list_{key}",
                 height=deliverables.table_height(frame.head(MAX_ROWS_SHOWN), most=420), column_config=config)
    if len(frame) > MAX_ROWS_SHOWN:
        st.caption(t("movement.list_more", shown=format_int(MAX_ROWS_SHOWN), n=format_int(len(frame))))
    components.download_button(button, data=lambda: target_csv(frame, encoding).data, file_name=file_name,
                               mime="text/csv", on_click="ignore", icon=":material/download:", key=f"dl_mv_{key}")


def _lists(m: mv.Movement, tl: dict[str, str]) -> None:
    """Pick a period; who dropped out of the top tier and who is new in it, each downloadable."""
    st.subheader(t("movement.lists", tier=tl["top"]), divider="gray")
    st.markdown(t("movement.lists_help", tier=tl["top"]))
    steps = list(range(len(m.periods) - 1, 0, -1))  # the latest first
    c1, c2, c3 = st.columns([2, 3, 3])
    k = c1.selectbox(t("movement.pick"), steps, format_func=lambda i: umv.transition_label(m, i), key="w_mv_step")
    forms = {f: t(f"export.form.{f}") for f in ("label", "key")}
    encodings = {e: t(f"export.encoding.{e}") for e in ("utf-8-sig", "cp932")}
    form = c2.radio(t("export.form"), list(forms), format_func=forms.__getitem__, key="w_mv_form",
                    help=t("export.form_help"))
    encoding = c3.radio(t("export.encoding"), list(encodings), format_func=encodings.__getitem__, key="w_mv_encoding",
                        help=t("export.encoding_help"))
    d, lang = state.definition(), state.lang()
    features, scored = umv.scores_at(m.periods[k].as_of)
    stamp = m.periods[k].as_of.strftime("%Y%m%d")
    for direction, name in (("out", "dropped"), ("in", "new")):
        frame = mv.change_list(m, k, direction, features, scored, d, lang, form=form)
        _one_list(frame, t(f"movement.{direction}_title", tier=tl["top"], n=format_int(len(frame))),
                  t(f"movement.download_{direction}"), f"loyalty_top_{name}_{stamp}.csv", encoding, direction)
        lost = unencodable_cells(frame, "cp932") if encoding == "cp932" else {}
        if lost:
            st.warning(t("export.cp932_lost", n=format_int(sum(lost.values())), columns=state.join_list(lost)),
                       icon=":material/warning:")


def _table(m: mv.Movement, tl: dict[str, str]) -> None:
    """Customers per tier at every period end (the figures under both charts)."""
    with st.expander(t("movement.table"), icon=":material/table_rows:"):
        s = m.summary.copy()
        s["as_of"] = [format_date(p.as_of) + ("*" if p.partial else "") for p in m.periods]
        um.show(s.iloc[::-1], {
            "as_of": (t("movement.col.as_of"), "text"), "customers": (t("movement.col.customers"), "int"),
            "top": (tl["top"], "int"), "middle": (tl["middle"], "int"), "low": (tl["low"], "int"),
            "not_yet": (t("movement.col.not_yet"), "int"),
            "revenue_share_top": (t("movement.col.share", tier=tl["top"]), "pct")}, key="mv_table")


def render() -> None:
    """The 推移 page: settings, headline figures, the two charts, the lists and the table."""
    st.title(t("movement.title"))
    try:
        ds = state.dataset()
    except LoyaltyError as exc:
        state.show_error(exc)
        st.page_link("pages/data.py", label=t("common.go_data"), icon=":material/upload_file:")
        return
    if ds.transactions is None:
        components.empty_state(t("movement.empty"), page="pages/data.py", link_label=t("common.go_data"))
        return
    every, count = _settings()
    tl = components.tier_labels()
    try:
        with st.spinner(t("common.loading")):
            m = umv.movement(every, count)
    except LoyaltyError as exc:
        state.show_error(exc)
        return
    _intro(m, count, tl)
    if len(m.periods) < 2:
        st.info(t("movement.one_period"), icon=":material/info:")
        return
    _kpis(m, tl)
    _trend(m, tl)
    _flows(m, tl)
    _lists(m, tl)
    _table(m, tl)


render()

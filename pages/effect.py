"""施策効果: did a measure work?  The customers who got it against a held-out control
group, overall and per tier / RFM segment / attribute: rates or means, the uplift with
its 95% interval, spend per customer, the segments worth targeting next time."""

from ui.router import ensure_router

ensure_router()

from datetime import timedelta

import pandas as pd
import streamlit as st

from loyalty import effect as ef
from loyalty import export
from loyalty.errors import LoyaltyError
from loyalty.fmt import format_int
from loyalty.mapping import detect_mapping
from ui import components, state
from ui import effect as ue
from ui.state import t


K_SEEN = "effect_seen_file"


def _on_upload() -> None:
    f = st.session_state.get("w_eff_upload")
    st.session_state[K_SEEN] = f.file_id if f is not None else None
    st.session_state[ue.K_UPLOAD] = state.make_upload(f.name, f.getvalue()) if f is not None else None


def _catch_up_with_the_uploader() -> None:
    """Apply a file the uploader holds but no callback has seen (chosen during the first run)."""
    f = st.session_state.get("w_eff_upload")
    if f is not None and f.file_id != st.session_state.get(K_SEEN):
        _on_upload()


def _source() -> ue.Source | None:
    """Where the campaign comes from: an uploaded list (the demo list on the sample data)
    or a column of a customer table in use.  None when there is nothing to compare."""
    st.file_uploader(t("effect.upload_label"), type=ue.UPLOAD_TYPES, key="w_eff_upload", on_change=_on_upload,
                     help=t("effect.upload_help"))
    _catch_up_with_the_uploader()
    customers = ue.customer_sources()
    uploaded = ue.uploaded_source()
    lists = [uploaded] if uploaded else ([ue.sample_source()] if state.using_sample() else [])
    options = lists + customers
    if not options:
        return None
    if len(options) > 1:
        pick = st.radio(t("effect.ctl.source"), range(len(options)), horizontal=True, key="w_eff_source",
                        format_func=lambda i: t(f"effect.source.{options[i].kind}", file=options[i].name),
                        help=t("effect.ctl.source_help"))
        src = options[pick if pick is not None and pick < len(options) else 0]
    else:
        src = options[0]
    if src.is_sample and src.kind == "list":
        st.info(t("effect.sample_note", file=src.name), icon=":material/science:")
    return src


def _empty_state() -> None:
    """What to upload, with a small example."""
    components.empty_state(t("effect.empty"))
    example = pd.DataFrame({t("effect.example.id"): ["0001234", "0001235", "0001236", "0001237"],
                            t("effect.example.group"): ["mail", "holdout", "mail", "holdout"],
                            t("effect.example.date"): ["2026/09/01"] * 4})
    st.dataframe(example, hide_index=True, width="content")
    st.caption(t("effect.example_note"))


def _columns(src: ue.Source) -> tuple[str | None, str, str]:
    """Id column, group column and control value."""
    key, cols = src.key[:12], list(src.raw.frame.columns)
    c1, c2, c3 = st.columns(3)
    if src.kind == "customers":
        id_col = src.id_column
        c1.caption(t("effect.id_from_table", column=id_col))
    else:
        found = detect_mapping(cols, "customers").column("customer_id")
        options = [ue.NO_ID] + cols
        id_col = c1.selectbox(t("effect.ctl.id"), options, index=options.index(found) if found else 0,
                              key=f"w_eff_id_{key}", help=t("effect.ctl.id_help"),
                              format_func=lambda c: t("effect.ctl.no_id") if c == ue.NO_ID else c)
        id_col = None if id_col == ue.NO_ID else id_col
    candidates = [c for c in cols if c != id_col and 2 <= src.raw.frame[c].nunique(dropna=True) <= ue.MAX_GROUPS]
    if not candidates:
        _no_group_column()
    found = ef.detect_group_column(candidates)
    group = c2.selectbox(t("effect.ctl.group"), candidates, index=candidates.index(found) if found else 0,
                         key=f"w_eff_group_{key}", help=t("effect.ctl.group_help"))
    values = ue.group_values(src, group)
    found = ef.detect_control(values)
    control = c3.selectbox(t("effect.ctl.control"), values, index=values.index(found) if found else len(values) - 1,
                           key=f"w_eff_control_{key}_{group}", help=t("effect.ctl.control_help"))
    return id_col, group, control


def _no_group_column() -> None:
    """Stop the page: no column can be the group column."""
    st.warning(t("effect.no_group_column", most=ue.MAX_GROUPS), icon=":material/warning:")
    st.stop()


def _outcome(src: ue.Source, id_col: str | None, group: str):
    """Outcome, spend column, send date (column or one date) and the window."""
    key = src.key[:12]
    from_lines = id_col is not None and ue.has_transactions()
    numeric = ue.outcome_columns(src, (id_col, group))
    options = ([f"line:{k}" for k in ef.LINE_OUTCOMES] if from_lines else []) + [f"col:{c}" for c in numeric]
    if not options:
        st.warning(t("effect.no_outcome"), icon=":material/warning:")
        st.stop()
    found = ef.detect_outcome_column(list(numeric))
    default = "line:conversion" if from_lines else f"col:{found}" if found else options[0]
    c1, c2, c3 = st.columns(3)
    outcome = c1.selectbox(t("effect.ctl.outcome"), options, index=options.index(default), key=f"w_eff_outcome_{key}",
                           format_func=_outcome_label, help=t("effect.ctl.outcome_help"))
    spend = send_col = send_date = None
    days = ef.DEFAULT_DAYS
    if outcome.startswith("line:"):
        days = c2.select_slider(t("effect.ctl.days"), ue.DAY_OPTIONS, value=ef.DEFAULT_DAYS, key=f"w_eff_days_{key}",
                                help=t("effect.ctl.days_help"))
        send_col, send_date = _send_date(src, id_col, group, c3, key)
    else:
        spends = [c for c, kind in numeric.items() if kind == "mean" and f"col:{c}" != outcome]
        found = ef.detect_spend_column(spends)
        choice = c2.selectbox(t("effect.ctl.spend"), [ue.NONE] + spends,
                              index=(spends.index(found) + 1) if found else 0, key=f"w_eff_spend_{key}",
                              format_func=lambda c: t("effect.ctl.no_spend") if c == ue.NONE else c,
                              help=t("effect.ctl.spend_help"))
        spend = None if choice == ue.NONE else f"col:{choice}"
    return outcome, spend, send_col, send_date, int(days)


def _outcome_label(option: str) -> str:
    if option.startswith("line:"):
        return t(f"effect.outcome.{option[5:]}")
    return option[4:]


def _send_date(src: ue.Source, id_col: str | None, group: str, box, key: str):
    """The send-date column, or one date for everyone."""
    cols = [c for c in src.raw.frame.columns if c not in (id_col, group)]
    found = ef.detect_send_date_column(cols)
    options = [ue.FIXED_DATE] + cols
    col = box.selectbox(t("effect.ctl.send"), options, index=options.index(found) if found else 0,
                        key=f"w_eff_send_{key}", help=t("effect.ctl.send_help"),
                        format_func=lambda c: t("effect.ctl.send_fixed") if c == ue.FIXED_DATE else c)
    if col != ue.FIXED_DATE:
        return col, None
    last = state.as_of_default()
    day = box.date_input(t("effect.ctl.send_date"), value=last - timedelta(days=ef.DEFAULT_DAYS), format="YYYY/MM/DD",
                         key=f"w_eff_send_date_{key}", help=t("effect.ctl.send_date_help"))
    return None, day


def _by(src: ue.Source, id_col: str | None, skip: set, customers: list[ue.Source]) -> tuple[str, ue.Source | None]:
    """The breakdown: none, tier, RFM segment, or a column of the list or of a customer table."""
    options = ["none"]
    if id_col is not None:
        options += ["tier", "segment"]
    options += [f"list:{c}" for c in ue.by_columns(src, skip)]
    cust = next((c for c in customers if c.key != src.key), None) if id_col is not None else None
    if cust is not None:
        options += [f"cust:{c}" for c in ue.by_columns(cust, {cust.id_column})]
    default = "tier" if "tier" in options else "none"
    by = st.selectbox(t("effect.ctl.by"), options, index=options.index(default), key=f"w_eff_by_{src.key[:12]}",
                      format_func=_by_label, help=t("effect.ctl.by_help"))
    return by, cust


def _by_label(option: str) -> str:
    if option in ("none", "tier", "segment"):
        return t(f"effect.by.{option}")
    return t("effect.by.column", column=option[5:])


def _choices(src: ue.Source) -> tuple[ue.Choices, ue.Source | None]:
    """Every control of the page, in one bordered box."""
    with st.container(border=True):
        id_col, group, control = _columns(src)
        outcome, spend, send_col, send_date, days = _outcome(src, id_col, group)
        skip = {id_col, group, send_col, outcome[4:], (spend or "")[4:]}
        by, cust = _by(src, id_col, skip, ue.customer_sources())
    return ue.Choices(id_column=id_col, group=group, control=control, outcome=outcome, spend=spend,
                      send_column=send_col, send_date=send_date, days=days, by=by), cust


def _notes(a: ue.Analysis) -> None:
    for key, values in a.notes:
        st.caption(t(key, **values))


def _overview(a: ue.Analysis) -> None:
    """Per treated group: its level against the control's, the uplift, its interval, spend per customer."""
    e = a.effect
    rows = e.overall.set_index("group")
    ctl = rows.loc[e.control]
    for g in e.treated:
        r = rows.loc[g]
        shown = r["verdict"] != "too_small"
        m1 = m2 = m3 = m4 = components.metric_row()  # wraps rather than cutting a long label or interval
        m1.metric(t("effect.kpi.treated", group=g), ue.level_text(r["mean"], e, a.money and not ue.is_rate(e)),
                  delta=ue.diff_text(r["uplift"], e, a.money) if shown else None,
                  help=t("effect.kpi.treated_help", n=format_int(r["n"])))
        m2.metric(t("effect.kpi.control", group=e.control),
                  ue.level_text(ctl["mean"], e, a.money and not ue.is_rate(e)),
                  help=t("effect.kpi.control_help", n=format_int(ctl["n"])))
        m3.metric(t("effect.kpi.interval"), ue.interval_text(r["low"], r["high"], e, a.money) if shown else "—",
                  help=t("effect.kpi.interval_help"))
        if a.spend is not None:
            s = a.spend.overall.set_index("group").loc[g]
            interval = ue.interval_text(s["low"], s["high"], a.spend, a.money)
            m4.metric(t("effect.kpi.spend"), ue.diff_text(s["uplift"], a.spend, a.money) if s["enough"] else "—",
                      delta=t("effect.kpi.spend_interval", interval=interval) if s["enough"] else None,
                      delta_color="off", delta_arrow="off", help=t("effect.kpi.spend_help"))
        st.caption(t(f"effect.verdict_line.{r['verdict']}", group=g, control=e.control))


def _chart(a: ue.Analysis) -> None:
    chart = ue.uplift_chart(a)
    st.markdown(f"**{t('effect.chart.title')}**")
    if chart is None:
        st.info(t("effect.chart.empty"), icon=":material/info:")
        return
    st.altair_chart(chart, width="stretch")
    st.caption(t("effect.chart.help"))


def _table(a: ue.Analysis) -> pd.DataFrame:
    view = ue.comparison_view(a)
    st.markdown(f"**{t('effect.table.title')}**")
    ue.show_view(view, key="eff_table")
    small = a.effect.segments if a.effect.segments is not None else a.effect.overall.assign(by="")
    small = small[small["verdict"] == "too_small"]
    if len(small):
        names = state.join_list(dict.fromkeys(
            f"{a.labels.get(b, b) or t('effect.overall')}（{g}）" for b, g in zip(small["by"], small["group"])))
        st.warning(t("effect.too_small", names=names, customers=ef.MIN_CUSTOMERS, events=ef.MIN_EVENTS),
                   icon=":material/warning:")
    return view


def _targets(a: ue.Analysis, comparison: pd.DataFrame, ch: ue.Choices, src: ue.Source) -> None:
    """The segments worth targeting next time, downloadable."""
    st.markdown(f"**{t('effect.targets.title')}**")
    if a.effect.segments is None:
        st.caption(t("effect.targets.needs_by"))
        return
    order = st.segmented_control(t("effect.ctl.order"), ["uplift", "extra"], default="uplift", required=True,
                                 key="w_eff_order", format_func=lambda k: t(f"effect.order.{k}"),
                                 help=t("effect.ctl.order_help"))
    view = ue.targets_view(a, order or "uplift")
    if len(view):
        ue.show_view(view, key="eff_targets")
    else:
        st.info(t("effect.targets.none"), icon=":material/info:")
    titles = {"targets": [t("effect.sheet.targets_title", outcome=_outcome_label(ch.outcome), file=src.name)],
              "comparison": [t("effect.sheet.comparison_title", outcome=_outcome_label(ch.outcome), file=src.name)]}
    d1, d2 = st.columns(2)
    components.download_button(
        t("effect.download_xlsx"), data=lambda: ue.workbook(comparison, view, titles), file_name="campaign_effect.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", on_click="ignore",
        icon=":material/download:", key="dl_eff_xlsx", container=d1)
    components.download_button(
        t("effect.download_csv"), data=lambda: export.csv_bytes(ue.export_frame(view)).data,
        file_name="campaign_targets.csv", mime="text/csv", on_click="ignore", icon=":material/download:",
        key="dl_eff_csv", container=d2)


def render() -> None:
    """The page: source, choices, then the comparison, chart, table and targets."""
    st.title(t("effect.title"))
    st.caption(t("effect.subtitle"))
    try:
        src = _source()
        if src is None:
            _empty_state()
            return
        ch, cust = _choices(src)
        with st.spinner(t("common.loading")):
            a = ue.analyse(src, ch, cust)
    except LoyaltyError as exc:
        state.show_error(exc)
        return
    _notes(a)
    _overview(a)
    _chart(a)
    comparison = _table(a)
    _targets(a, comparison, ch, src)
    with st.expander(t("effect.explain_title"), icon=":material/school:"):
        st.markdown(t("effect.explain", customers=ef.MIN_CUSTOMERS, events=ef.MIN_EVENTS, days=ch.days))


render()

"""LTV・NPS・継続率: LTV by the seeds' formulas, NPS and satisfaction, retention /
churn / cohorts / F2, and the Pareto curve."""

from ui.router import ensure_router

ensure_router()

import pandas as pd
import streamlit as st

from loyalty import cohorts, ltv, nps, pareto, retention
from loyalty.errors import LoyaltyError
from loyalty.fmt import format_date, format_int, format_nps, format_pct, format_score, format_yen
from ui import clv_contract, components, state
from ui import metrics as um
from ui.state import t

TIERS = ["top", "middle", "low"]
HORIZONS = [30, 45, 60, 90, 180, 365]  # F2: days after the first order


def render() -> None:
    """Four tabs; only the open one is computed (the tabs rerun the page when switched)."""
    st.title(t("metrics.title"))
    ds, feats, res = components.load_or_stop()
    st.caption(t("metrics.caption", as_of=format_date(feats.as_of) if feats.as_of else "—",
                 days=feats.window_days, customers=format_int(len(feats.frame))))
    tab_names = [t("metrics.tab.ltv"), t("metrics.tab.nps"), t("metrics.tab.continuity"), t("metrics.tab.pareto")]
    tab_ltv, tab_nps, tab_cont, tab_pareto = st.tabs(tab_names, key="metrics_tab", on_change="rerun")
    if tab_ltv.open:
        with tab_ltv:
            _ltv_tab(feats, res)
    if tab_nps.open:
        with tab_nps:
            _nps_tab(feats.frame, res)
    if tab_cont.open:
        with tab_cont:
            _continuity_tab(ds, feats)
    if tab_pareto.open:
        with tab_pareto:
            _pareto_tab(feats)


# --------------------------------------------------------------------------- LTV


def _ltv_tab(feats, res) -> None:
    """LTV by the seeds' formulas: basis and assumptions, the formula, figures, by tier, by customer."""
    f = feats.frame
    bases = ltv.available_bases(f, prefer=state.definition().preset)
    if not bases:
        st.info(t("metrics.ltv.unavailable"), icon=":material/info:")
        return
    basis, margin, discount, years = _ltv_controls(bases)
    by_derl = _derl_ltv(f, basis, margin, discount)
    if by_derl is not None:
        values, comp = by_derl["ltv"].rename("ltv"), by_derl[["payment", "renewals", "derl"]]
        _derl_formula(basis, margin, discount)
    else:
        values = ltv.customer_ltv(f, margin=margin, discount_rate=discount, basis=basis, years=years)
        comp = ltv.ltv_components(f, basis=basis, years=years)
        _ltv_formula(basis, margin, discount, years, feats.window_days)
    _ltv_kpis(values)
    _ltv_by_group(values, res)
    _ltv_customers(values, comp, res)


def _derl_ltv(f: pd.DataFrame, basis: str, margin: float, discount: float) -> pd.DataFrame | None:
    """BtoB / SaaS: with the sBG fit of the 予測LTV page and the toggle on, LTV = payment × DERL.

    Returns:
        ``loyalty.ltv.derl_ltv``'s frame, or None (not asked for, no fit, or it cannot be computed).
    """
    if basis not in ("b2b", "saas"):
        return None
    fit = clv_contract.ltv_fit()
    if fit is None:
        st.caption(t("clv.ltv.derl_none"))
        st.page_link("pages/clv.py", label=t("clv.ltv.derl_go"), icon=":material/arrow_forward:")
        return None
    on = st.toggle(t("clv.ltv.derl", period=t(f"clv.sbg.period.{fit['period_months']}")), key="w_metrics_derl",
                   help=t("clv.ltv.derl_help", source=fit["source"]), persist_state="session")
    if not on:
        return None
    try:
        return ltv.derl_ltv(f, basis=basis, alpha=fit["alpha"], beta=fit["beta"], period_months=fit["period_months"],
                            margin=margin, discount_rate=discount)
    except LoyaltyError as exc:
        state.show_error(exc)
        return None


def _derl_formula(basis: str, margin: float, discount: float) -> None:
    """The DERL formula in words, with the margin and the discounting used."""
    st.markdown(f"#### {t('metrics.ltv.formula_title')}")
    formula = t(f"clv.ltv.formula.{basis}")
    if margin < 1:
        formula += t("metrics.ltv.formula.margin", margin=format_pct(margin, 0))
    st.info(formula, icon=":material/function:")
    st.caption(t("clv.ltv.inputs", rate=format_pct(discount, 0)))


def _ltv_controls(bases: list[str]) -> tuple[str, float, float, float | None]:
    """Basis (when the data allows several), margin, discount rate and, for BtoC, fixed years.

    Returns:
        ``(basis, margin, discount_rate, years)``; years is None unless fixed.
    """
    basis = bases[0]
    if len(bases) > 1:
        basis = st.segmented_control(t("metrics.ltv.basis"), bases, default=bases[0], required=True,
                                     format_func=lambda b: t(f"metrics.ltv.basis.{b}"),
                                     key="w_metrics_ltv_basis_" + "_".join(bases), persist_state="session")
    c1, c2, c3 = st.columns(3)
    margin = c1.slider(t("metrics.ltv.margin"), 5, 100, 100, step=5, format="%d%%",
                       key="w_metrics_margin", help=t("metrics.ltv.margin_help"),
                       persist_state="session") / 100
    discount = c2.slider(t("metrics.ltv.discount"), 0, 20, 0, step=1, format="%d%%",
                         key="w_metrics_discount", help=t("metrics.ltv.discount_help"),
                         persist_state="session") / 100
    years = None
    if basis == "b2c":
        fixed = c3.toggle(t("metrics.ltv.fixed_years"), value=False, key="w_metrics_fixed_years",
                          help=t("metrics.ltv.fixed_years_help"), persist_state="session")
        if fixed:
            years = c3.number_input(t("metrics.ltv.years"), 0.5, 20.0, 3.0, step=0.5,
                                    key="w_metrics_years", help=t("polish.help.ltv_years"),
                                    persist_state="session")
    return basis, margin, discount, years


def _ltv_formula(basis: str, margin: float, discount: float, years: float | None, window_days: int) -> None:
    """The formula in words, with the margin, the inputs and the discounting used."""
    st.markdown(f"#### {t('metrics.ltv.formula_title')}")
    formula = t(f"metrics.ltv.formula.{basis}")
    if margin < 1:
        formula += t("metrics.ltv.formula.margin", margin=format_pct(margin, 0))
    st.info(formula, icon=":material/function:")
    notes = [t(f"metrics.ltv.inputs.{basis}" + ("_fixed" if years is not None else ""),
               days=window_days, years=format_score(years) if years else "")]
    if discount > 0:
        key = "metrics.ltv.formula.discount_saas" if basis == "saas" else "metrics.ltv.formula.discount"
        notes.append(t(key, rate=format_pct(discount, 0)))
    notes.append(t("metrics.ltv.seed_example"))
    st.caption("  \n".join(notes))


def _ltv_kpis(values: pd.Series) -> None:
    """Mean, median and total LTV, and how many customers have one."""
    valid = values.dropna()
    k1, k2, k3, k4 = st.columns(4)
    k1.metric(t("metrics.ltv.kpi.mean"), format_yen(valid.mean() if len(valid) else None))
    k2.metric(t("metrics.ltv.kpi.median"), format_yen(valid.median() if len(valid) else None))
    k3.metric(t("metrics.ltv.kpi.total"), format_yen(valid.sum()))
    k4.metric(t("metrics.ltv.kpi.customers"), format_int(len(valid)),
              help=t("metrics.ltv.kpi.customers_help", missing=format_int(len(values) - len(valid))))


def _ltv_by_group(values: pd.Series, res) -> None:
    """LTV per tier (chart and table) and, on demand, per named segment."""
    tl, sl = components.tier_labels(), components.seg_labels()
    by_tier = ltv.value_by_group(values, res.frame["tier"], order=TIERS)
    left, right = st.columns([2, 3])
    with left:
        st.markdown(f"**{t('metrics.ltv.tier_chart')}**")
        st.altair_chart(um.tier_value_bars(by_tier, tl, value_col="mean",
                                           value_title=t("metrics.ltv.col.mean_yen"),
                                           tier_title=t("common.tier"), share_col="share",
                                           share_title=t("metrics.ltv.col.share"), fmt=",.0f"),
                        width="stretch")
    with right:
        st.markdown(f"**{t('metrics.ltv.tier_table')}**")
        cols = {"label": (t("common.tier"), "text"), "customers": (t("metrics.col.customers"), "int"),
                "mean": (t("metrics.ltv.col.mean"), "yen"), "median": (t("metrics.ltv.col.median"), "yen"),
                "total": (t("metrics.ltv.col.total"), "yen"), "share": (t("metrics.ltv.col.share"), "pct")}
        um.show(um.labelled(by_tier, tl), cols, key="ltv_tier_table")
        if res.frame["rfm_segment"].notna().any():
            with st.expander(t("metrics.ltv.segment_table")):
                seg_order = um.present(res.frame["rfm_segment"], sl)
                by_seg = ltv.value_by_group(values, res.frame["rfm_segment"], order=seg_order)
                um.show(um.labelled(by_seg, sl), {**cols, "label": (t("common.segment"), "text")},
                        key="ltv_segment_table")


def _ltv_customers(values: pd.Series, comp: pd.DataFrame, res) -> None:
    """Customers by LTV with the formula's inputs (the first rows on screen, everyone in the download)."""
    tl = components.tier_labels()
    st.markdown(f"**{t('metrics.ltv.customer_table')}**")
    ccols = {"customer_id": (t("col.customer_id"), "text"), "tier_label": (t("common.tier"), "text")}
    for c in comp.columns:
        label = t(f"clv.ltv.col.{c}") if c in ("payment", "renewals", "derl") else t(f"metrics.ltv.col.{c}")
        ccols[c] = (label, "yen" if c in ("aov", "annual_contract_value", "monthly_fee", "payment") else "float1")
    ccols["ltv"] = (t("metrics.ltv.col.ltv"), "yen")
    um.customer_list(lambda rows=None: um.ltv_ranking(values, comp, res.frame["tier"], tl, rows), ccols,
                     total=len(values), key="ltv", file_name="ltv_by_customer.csv")


# --------------------------------------------------------------------------- NPS


def _nps_tab(f: pd.DataFrame, res) -> None:
    """NPS and satisfaction: figures, distributions, by tier or segment, and NPS × purchase frequency."""
    if "nps" not in f.columns or not f["nps"].notna().any():
        st.info(t("metrics.nps.unavailable"), icon=":material/info:")
        return
    cat_labels = {k: t(f"metrics.nps.cat.{k}") for k in (*nps.CATEGORIES, "no_answer")}
    has_sat = "satisfaction" in f.columns and f["satisfaction"].notna().any()
    _nps_kpis(f, cat_labels)
    _nps_distributions(f, cat_labels, has_sat)
    _nps_by_group(f, res, cat_labels, has_sat)
    _nps_and_frequency(f, res, has_sat)


def _nps_kpis(f: pd.DataFrame, cat_labels: dict[str, str]) -> None:
    """NPS, respondents, and the shares of promoters, passives and detractors."""
    r = nps.nps(f["nps"])
    k1, k2, k3, k4, k5 = st.columns(5)
    k1.metric(t("metrics.nps.kpi.nps"), format_nps(r.nps), help=t("metrics.nps.formula"))
    k2.metric(t("metrics.nps.kpi.respondents"), format_int(r.respondents),
              help=t("metrics.nps.kpi.response_rate", rate=format_pct(r.respondents / len(f))))
    pro, pas, det = r.shares()
    k3.metric(cat_labels["promoter"], format_pct(pro / 100))
    k4.metric(cat_labels["passive"], format_pct(pas / 100))
    k5.metric(cat_labels["detractor"], format_pct(det / 100))
    st.caption(t("metrics.nps.formula_line", pro=format_pct(pro / 100), det=format_pct(det / 100),
                 nps=format_nps(r.nps), missing=format_int(len(f) - r.respondents)))


def _nps_distributions(f: pd.DataFrame, cat_labels: dict[str, str], has_sat: bool) -> None:
    """The 0–10 answers and, when asked, the 1–5 satisfaction answers."""
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('metrics.nps.distribution')}**")
        st.altair_chart(um.nps_distribution_chart(
            nps.nps_distribution(f["nps"]), cat_labels, score_title=t("metrics.nps.score"),
            count_title=t("metrics.col.respondents"), share_title=t("metrics.col.share"),
            category_title=t("metrics.nps.category")), width="stretch")
    with right:
        if has_sat:
            st.markdown(f"**{t('metrics.nps.satisfaction')}**")
            st.altair_chart(um.satisfaction_chart(
                nps.satisfaction_distribution(f["satisfaction"]), score_title=t("metrics.nps.sat_score"),
                count_title=t("metrics.col.respondents"), share_title=t("metrics.col.share")),
                width="stretch")
            st.caption(t("metrics.nps.sat_mean", mean=format_score(f["satisfaction"].mean(), 2)))
        else:
            st.info(t("metrics.nps.no_satisfaction"), icon=":material/info:")


def _nps_by_group(f: pd.DataFrame, res, cat_labels: dict[str, str], has_sat: bool) -> None:
    """NPS per tier or per named segment (table and shares)."""
    tl, sl = components.tier_labels(), components.seg_labels()
    st.markdown(f"#### {t('metrics.nps.by_group')}")
    by = st.segmented_control(t("metrics.nps.group_by"), ["tier", "segment"], default="tier", required=True,
                              format_func=lambda k: t(f"metrics.nps.group_by.{k}"),
                              key="w_metrics_nps_group", persist_state="session")
    if by == "tier":
        groups, order, labels = res.frame["tier"], TIERS, tl
    else:
        groups = res.frame["rfm_segment"]
        order, labels = um.present(groups, sl), sl
    table = nps.nps_by_group(f["nps"], groups, order=order, satisfaction=f["satisfaction"] if has_sat else None)
    table = um.labelled(table, {**labels, "all": t("metrics.all_customers")})
    gcols = {"label": (t("common.tier") if by == "tier" else t("common.segment"), "text"),
             "customers": (t("metrics.col.customers"), "int"),
             "respondents": (t("metrics.col.respondents"), "int"),
             "response_rate": (t("metrics.col.response_rate"), "pct"),
             "promoter_share": (cat_labels["promoter"], "pct"),
             "passive_share": (cat_labels["passive"], "pct"),
             "detractor_share": (cat_labels["detractor"], "pct"),
             "nps": (t("metrics.nps.kpi.nps"), "nps")}
    if has_sat:
        gcols["avg_satisfaction"] = (t("metrics.col.avg_satisfaction"), "float2")
    um.show(table, gcols, key="nps_group_table")
    st.altair_chart(um.nps_shares_bars(table[table["respondents"] > 0], cat_labels,
                                       group_title=gcols["label"][0],
                                       share_title=t("metrics.nps.share_of_respondents"),
                                       category_title=t("metrics.nps.category")), width="stretch")


def _nps_and_frequency(f: pd.DataFrame, res, has_sat: bool) -> None:
    """Loyal advocates vs habitual repeaters: NPS answers against the F score."""
    st.markdown(f"#### {t('metrics.nps.rfm_title')}")
    st.caption(t("metrics.nps.rfm_help"))
    if "f_score" not in res.frame or not res.frame["f_score"].notna().any():
        st.info(t("metrics.nps.rfm_unavailable"), icon=":material/info:")
        return
    high_f = st.slider(t("metrics.nps.high_f"), 2, 5, nps.HIGH_F, key="w_metrics_high_f",
                       help=t("metrics.nps.high_f_help"), persist_state="session")
    groups = nps.nps_rfm_groups(res.frame["f_score"], f["nps"], high_f=high_f)
    summary = nps.nps_rfm_summary(groups, f, f["nps"], f["satisfaction"] if has_sat else None)
    glabels = {k: t(f"metrics.nps.group.{k}") for k in nps.NPS_RFM_GROUPS}
    habitual = int(summary.loc["habitual_repeater", "customers"])
    advocate = int(summary.loc["loyal_advocate", "customers"])
    frequent_answered = habitual + advocate
    m1, m2, m3 = st.columns(3)
    m1.metric(glabels["loyal_advocate"], format_int(advocate),
              help=t("metrics.nps.group_help.loyal_advocate", f=high_f))
    m2.metric(glabels["habitual_repeater"], format_int(habitual),
              help=t("metrics.nps.group_help.habitual_repeater", f=high_f))
    m3.metric(t("metrics.nps.habitual_share"),
              format_pct(habitual / frequent_answered if frequent_answered else None),
              help=t("metrics.nps.habitual_share_help", f=high_f))
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('metrics.nps.rfm_matrix')}**")
        short = {k: t(f"metrics.nps.short.{k}") for k in (*nps.CATEGORIES, "no_answer")}
        st.altair_chart(um.nps_rfm_heatmap(nps.nps_rfm_matrix(res.frame["f_score"], f["nps"]), short,
                                           f_title=t("col.f_score"), category_title=t("metrics.nps.category"),
                                           count_title=t("metrics.col.customers")), width="stretch")
    with right:
        st.markdown(f"**{t('metrics.nps.rfm_groups')}**")
        st.altair_chart(um.group_bars(summary, glabels, um.GROUP_COLORS, value_col="customers",
                                      value_title=t("metrics.col.customers"),
                                      group_title=t("metrics.nps.group")), width="stretch")
    _nps_group_table(summary, glabels, high_f, has_sat)
    st.caption(t("metrics.nps.rfm_reading", habitual=format_int(habitual), advocate=format_int(advocate)))


def _nps_group_table(summary: pd.DataFrame, glabels: dict[str, str], high_f: int, has_sat: bool) -> None:
    """The NPS × frequency groups with their rule and figures."""
    rows = um.labelled(summary, glabels)
    rows["rule"] = [t(f"metrics.nps.group_help.{k}", f=high_f) for k in rows["key"]]
    um.show(rows, {"label": (t("metrics.nps.group"), "text"),
                   "rule": (t("metrics.nps.rule"), "text"),
                   "customers": (t("metrics.col.customers"), "int"),
                   "revenue_share": (t("metrics.col.revenue_share"), "pct"),
                   "avg_frequency": (t("metrics.col.avg_frequency"), "float1"),
                   "avg_monetary": (t("metrics.col.avg_monetary"), "yen"),
                   "avg_nps": (t("metrics.col.avg_nps"), "float1"),
                   **({"avg_satisfaction": (t("metrics.col.avg_satisfaction"), "float2")}
                      if has_sat else {})}, key="nps_rfm_table")


# --------------------------------------------------------------------------- continuity


def _continuity_tab(ds, feats) -> None:
    """Retention and churn per period, cohorts, and F2 (the second-purchase rate)."""
    if ds.transactions is None:
        st.info(t("metrics.cont.unavailable"), icon=":material/info:")
        return
    c1, c2 = st.columns(2)
    period = c1.segmented_control(t("metrics.cont.period"), list(retention.PERIODS), default="month",
                                  required=True, format_func=lambda p: t(f"metrics.cont.period.{p}"),
                                  key="w_metrics_period", persist_state="session")
    horizon = c2.selectbox(t("metrics.cont.horizon"), HORIZONS, index=3,
                           format_func=lambda h: t("metrics.cont.days", days=h), key="w_metrics_f2_horizon",
                           help=t("metrics.cont.horizon_help"), persist_state="session")
    try:
        with st.spinner(t("common.loading")):
            table, cohort, f2, f2c = um.continuity(ds, feats.as_of, period, horizon)
    except LoyaltyError as exc:
        state.show_error(exc)
        st.stop()
    plabel = t(f"metrics.cont.period.{period}")
    _retention_section(table, plabel)
    _cohort_section(cohort, plabel)
    _f2_section(f2, f2c, horizon, plabel)


def _retention_section(table: pd.DataFrame, plabel: str) -> None:
    """Retention and churn over the periods: the formula, figures, the chart and the table."""
    summ = retention.summarize_retention(table)
    st.markdown(f"#### {t('metrics.cont.retention_title')}")
    st.info(t("metrics.cont.formula", period=plabel), icon=":material/function:")
    st.caption(t("metrics.cont.seed_example"))
    k1, k2, k3, k4 = st.columns(4)
    k1.metric(t("metrics.cont.kpi.retention", period=plabel), format_pct(summ.retention_rate),
              help=t("metrics.cont.kpi.pooled_help", periods=summ.periods,
                     start=format_int(summ.start_customers), kept=format_int(summ.retained)))
    k2.metric(t("metrics.cont.kpi.churn", period=plabel), format_pct(summ.churn_rate))
    k3.metric(t("metrics.cont.kpi.last", period=summ.last_period or "—"), format_pct(summ.last_retention_rate))
    k4.metric(t("metrics.cont.kpi.periods"), format_int(summ.periods))
    if summ.periods:
        st.altair_chart(um.retention_lines(table, period_title=plabel, rate_title=t("metrics.col.rate"),
                                           retention_label=t("metrics.cont.retention"),
                                           churn_label=t("metrics.cont.churn"),
                                           measure_title=t("metrics.cont.measure")), width="stretch")
    if not table["complete"].iloc[-1]:
        st.caption(t("metrics.cont.incomplete", period=table["period"].iloc[-1]))
    with st.expander(t("metrics.cont.table")):
        um.show(table, {"period": (plabel, "text"), "active": (t("metrics.cont.col.active"), "int"),
                        "new": (t("metrics.cont.col.new"), "int"),
                        "reactivated": (t("metrics.cont.col.reactivated"), "int"),
                        "start_customers": (t("metrics.cont.col.start"), "int"),
                        "retained": (t("metrics.cont.col.retained"), "int"),
                        "churned": (t("metrics.cont.col.churned"), "int"),
                        "retention_rate": (t("metrics.cont.retention"), "pct"),
                        "churn_rate": (t("metrics.cont.churn"), "pct")}, key="retention_table")
        st.caption(t("metrics.cont.table_help"))


def _cohort_section(cohort, plabel: str) -> None:
    """Share of each first-purchase cohort still buying, period by period."""
    st.markdown(f"#### {t('metrics.cont.cohort_title', period=plabel)}")
    st.caption(t("metrics.cont.cohort_help", period=plabel))
    st.altair_chart(um.cohort_heatmap(cohort, cohort_title=t("metrics.cont.cohort", period=plabel),
                                      k_title=t("metrics.cont.since_first", period=plabel),
                                      share_title=t("metrics.cont.still_buying"),
                                      size_title=t("metrics.cont.cohort_size"),
                                      active_title=t("metrics.cont.col.active")), width="stretch")


def _f2_section(f2, f2c: pd.DataFrame, horizon: int, plabel: str) -> None:
    """F2: the rule, figures, days to the second order, and F2 per cohort."""
    st.markdown(f"#### {t('metrics.cont.f2_title')}")
    st.info(t("metrics.cont.f2_rule", days=horizon), icon=":material/function:")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(t("metrics.cont.kpi.f2", days=horizon), format_pct(f2.rate),
              help=t("metrics.cont.kpi.f2_help", converted=format_int(f2.converted),
                     eligible=format_int(f2.eligible)))
    m2.metric(t("metrics.cont.kpi.eligible"), format_int(f2.eligible),
              help=t("metrics.cont.kpi.eligible_help", days=horizon,
                     excluded=format_int(f2.customers - f2.eligible)))
    m3.metric(t("metrics.cont.kpi.repeat_share"), format_pct(f2.repeat_share),
              help=t("metrics.cont.kpi.repeat_share_help", repeaters=format_int(f2.repeaters),
                     customers=format_int(f2.customers)))
    m4.metric(t("metrics.cont.kpi.median_days"),
              t("metrics.cont.days", days=format_int(f2.median_days)) if f2.repeaters else "—")
    st.markdown(f"**{t('metrics.cont.days_chart')}**")
    dist = cohorts.days_to_second_distribution(f2.days)
    bands = [t("metrics.cont.band_open", low=int(lo)) if hi is pd.NA else
             t("metrics.cont.band", low=int(lo), high=int(hi)) for lo, hi in zip(dist["low"], dist["high"])]
    st.altair_chart(um.days_bars(dist, bands, band_title=t("metrics.cont.days_band"),
                                 count_title=t("metrics.col.customers"), share_title=t("metrics.col.share"),
                                 cumulative_title=t("metrics.cont.cumulative")), width="stretch")
    st.caption(t("metrics.cont.days_help"))
    st.markdown(f"**{t('metrics.cont.f2_cohort_chart', days=horizon)}**")
    if f2c["complete"].any():
        st.altair_chart(um.f2_cohort_bars(f2c, cohort_title=t("metrics.cont.cohort", period=plabel),
                                          rate_title=t("metrics.cont.f2_rate"),
                                          eligible_title=t("metrics.cont.kpi.eligible"),
                                          converted_title=t("metrics.cont.converted")), width="stretch")
    else:
        st.info(t("metrics.cont.f2_none_eligible", days=horizon), icon=":material/info:")
    st.caption(t("metrics.cont.f2_cohort_help", days=horizon))


# --------------------------------------------------------------------------- Pareto


def _pareto_tab(feats) -> None:
    """The Pareto curve of revenue: which share the top customers bring, on a chosen basis."""
    f = feats.frame
    options = um.pareto_bases(feats.source, f.columns)
    if not options:
        st.info(t("metrics.pareto.unavailable"), icon=":material/info:")
        st.stop()
    c1, c2 = st.columns(2)
    basis = c1.segmented_control(t("metrics.pareto.basis"), options, default=options[0], required=True,
                                 format_func=lambda k: t(f"metrics.pareto.basis.{k}", days=feats.window_days),
                                 key=f"w_metrics_pareto_basis_{feats.source}", persist_state="session")
    top = c2.slider(t("metrics.pareto.top"), 1, 50, 20, format="%d%%", key="w_metrics_pareto_top",
                    help=t("polish.help.pareto_top"), persist_state="session") / 100
    values = um.pareto_values(f, basis)
    st.caption(t(f"metrics.pareto.rule.{basis}", days=feats.window_days, customers=format_int(len(values))))
    try:
        p = pareto.pareto(values)
    except LoyaltyError as exc:
        state.show_error(exc)
        return
    share = p.share_of_top(top)
    k1, k2, k3 = st.columns(3)
    k1.metric(t("metrics.pareto.kpi.top", pct=format_pct(top, 0)), format_pct(share),
              help=t("metrics.pareto.kpi.top_help", n=format_int(pareto.top_count(top, p.customers)),
                     total=format_int(p.customers)))
    k2.metric(t("metrics.pareto.kpi.for80"), format_pct(p.customers_for_share(0.8)))
    k3.metric(t("metrics.pareto.kpi.total"), format_yen(p.total),
              help=t("polish.help.pareto_total_window") if basis == "window" else None)
    st.altair_chart(um.pareto_chart(p.curve(200), top, share, customers_title=t("metrics.pareto.x"),
                                    revenue_title=t("metrics.pareto.y"), even_label=t("metrics.pareto.even")),
                    width="stretch")
    st.caption(t("metrics.pareto.reading", pct=format_pct(top, 0), share=format_pct(share)))
    tab = p.table()
    tab["label"] = [t("metrics.pareto.top_row", pct=format_pct(x, 0)) for x in tab["top_fraction"]]
    um.show(tab, {"label": (t("metrics.pareto.segment"), "text"),
                  "customers": (t("metrics.col.customers"), "int"),
                  "revenue": (t("metrics.col.revenue"), "yen"),
                  "revenue_share": (t("metrics.col.revenue_share"), "pct")}, key="pareto_table")


render()

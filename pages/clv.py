"""予測LTV: lifetime models that fit the business.

* Purchases (EC, retail): BG/NBD, Pareto/NBD or MBG/NBD + Gamma-Gamma, chosen by how well
  each forecasts a holdout (or by the user); the churn-risk list first, P(alive) only where
  it separates customers, the forecasts per customer and tier, the fit check, and the
  parameters in an expander.
* Contracts (BtoB, SaaS): the sBG model of renewals, its survival curve and DERL, which
  the LTV tab of the metrics page can use instead of "years" (:mod:`pages.clv_contract`).

Drawing only: the fits go through :mod:`ui.clv` / :mod:`ui.clv_contract` (cached calls of
the one CLV API, ``loyalty.clv``) and the rules are in :mod:`loyalty.clv.choice` and
:mod:`loyalty.clv.alive`.
"""

from ui.router import ensure_router

ensure_router()

from datetime import date

import numpy as np
import pandas as pd
import streamlit as st

from loyalty import clv
from loyalty.fmt import format_date, format_int, format_pct, format_score, format_yen
from ui import clv as uc
from ui import clv_contract as ucc
from ui import components, state
from ui import metrics as um
from ui.state import t


def _use_penalizer(value: float) -> None:
    st.session_state["w_clv_penalizer"] = value


def _settings(first_day: date, last_day: date, default_end: date) -> uc.Settings:
    """The settings box: calibration end, time unit, horizon, discount rate, model, holdout, penalizer."""
    with st.container(border=True):
        c1, c2, c3, c4 = st.columns(4)
        cal_end = c1.date_input(t("clv.calibration_end"), value=default_end, min_value=first_day,
                                max_value=last_day, format="YYYY/MM/DD", key="w_clv_cal_end",
                                help=t("clv.calibration_end_help"), persist_state="session")
        unit = c2.segmented_control(t("clv.time_unit"), ["weeks", "days"], default="weeks", required=True,
                                    format_func=lambda u: t(f"clv.unit.{u}"), key="w_clv_unit",
                                    help=t("clv.time_unit_help"), persist_state="session")
        horizon = c3.select_slider(t("clv.horizon"), uc.HORIZONS, value=12,
                                   format_func=lambda m: t("clv.months", months=m), key="w_clv_horizon",
                                   help=t("clv.horizon_help"), persist_state="session")
        rate_pct = c4.number_input(t("clv.discount"), min_value=0.0, max_value=5.0, value=1.0, step=0.1,
                                   format="%.1f", key="w_clv_discount", persist_state="session",
                                   help=t("clv.discount_help"))
        rate = round(rate_pct / 100, 6)
        c5, c6 = st.columns([3, 2])  # four model names and three holdout lengths need the width
        c7, c8, _ = st.columns([2, 2, 5])
        model = c5.segmented_control(t("clv.model_choice"), [uc.AUTO, *clv.MODELS], default=uc.AUTO, required=True,
                                     format_func=lambda m: t("clv.model_auto") if m == uc.AUTO else uc.model_label(m),
                                     key="w_clv_model", help=t("clv.model_choice_help"), persist_state="session")
        choices = uc.holdout_choices(first_day, cal_end)
        holdout = None
        if choices:
            holdout = c6.segmented_control(t("clv.holdout"), choices, default=choices[min(1, len(choices) - 1)],
                                           required=True, format_func=lambda m: t("clv.months", months=m),
                                           key="w_clv_holdout", help=t("clv.holdout_help"), persist_state="session")
        penalizer = c7.select_slider(t("clv.penalizer"), uc.PENALIZERS, value=0.0,
                                     format_func=lambda p: f"{p:g}", key="w_clv_penalizer",
                                     help=t("clv.penalizer_help"), persist_state="session")
        auto = c8.toggle(t("clv.auto"), value=True, key="w_clv_auto", help=t("clv.auto_help"),
                         persist_state="session")
        st.caption(t("clv.settings_note", yearly=format_pct((1 + rate) ** 12 - 1),
                     start=format_date(first_day), end=format_date(last_day)))
    return uc.Settings(calibration_end=cal_end, unit=unit, horizon=int(horizon), rate=rate,
                       penalizer=float(penalizer), auto=bool(auto), model=model,
                       holdout=int(holdout) if holdout else None)


def _choose_model(ds, s: uc.Settings):
    """The model comparison box: which model, why, each model's holdout figures; returns (model, comparison)."""
    with st.spinner(t("clv.comparing")):
        comp, err = uc.comparison(ds, s)
    chosen = comp.chosen if comp is not None and comp.chosen else clv.DEFAULT_MODEL
    model = chosen if s.model == uc.AUTO else s.model
    with st.container(border=True):
        how = t("clv.model_auto_short") if s.model == uc.AUTO else t("clv.model_manual_short")
        st.markdown(t("clv.choice.title", model=uc.model_label(model), how=how))
        if comp is None:
            st.caption(t("clv.choice.no_holdout") if err is None else err.message(state.lang()))
            return model, None
        if s.model == uc.AUTO:
            st.caption(uc.choice_reason(comp))
        else:
            st.caption(t("clv.choice.overridden", model=uc.model_label(chosen)))
        um.show(uc.comparison_view(comp), {
            "model": (t("clv.choice.col.model"), "text"), "rmse": (t("clv.choice.col.rmse"), "rtext"),
            "mae": (t("clv.choice.col.mae"), "rtext"), "totals": (t("clv.choice.col.totals"), "rtext"),
            "penalizer": (t("clv.choice.col.penalizer"), "rtext"), "spread": (t("clv.choice.col.spread"), "rtext")},
            key="clv_comparison")
        st.caption(t("clv.choice.criterion", split=format_date(pd.Timestamp(comp.calibration_end)),
                     end=format_date(pd.Timestamp(comp.observation_end)), customers=format_int(comp.customers)))
    return model, comp


def _fit_failed(fit: uc.Fit) -> None:
    """The model's own explanation, and a button to retry with the next penalizer."""
    state.show_error(fit.error)
    if fit.error.field == "penalizer":
        st.info(t("clv.nonconvergence"), icon=":material/lightbulb:")
        nxt = fit.next_penalizer()
        if nxt is not None:
            st.button(t("clv.retry", penalizer=f"{nxt:g}"), on_click=_use_penalizer, args=(nxt,),
                      key="clv_retry", icon=":material/refresh:")


def _penalizer_note(result: clv.CLVResult) -> None:
    """Say once which penalizer the fit used, why, and that P(alive) partly reflects it."""
    choice = result.penalizer
    model = uc.model_label(result.model)
    if choice.reason is not None:
        params = clv.alive.penalty_params(choice)
        used = f"{choice.used:g}"
        text = (t("clv.penalty.auto", model=model, what=uc.penalty_what(result.model, params), penalizer=used)
                if params else t("clv.penalty.auto_converge", model=model, penalizer=used))
        st.info(text, icon=":material/tune:")
    elif choice.used > 0:
        st.info(t("clv.penalty.manual", penalizer=f"{choice.used:g}"), icon=":material/tune:")


def _silence_metrics(cust: pd.DataFrame, unit: str) -> None:
    """Mean P(alive) by days since the last purchase, with the margin between the ends."""
    bands = clv.p_alive_by_recency(cust, unit)
    row_of_cards = components.metric_row()  # long band labels wrap instead of being cut
    for row in bands.itertuples(index=False):
        label = t("clv.alive.band_open", low=row.low) if np.isnan(row.high) else \
            t("clv.alive.band", low=row.low, high=int(row.high))
        row_of_cards.metric(label, format_pct(row.p_alive), help=t("clv.alive.band_help", n=format_int(row.customers)))
    st.caption(t("clv.alive.margin", margin=format_score(100 * bands.attrs["margin"], 1)))


def _risk_tab(result: clv.CLVResult, cust: pd.DataFrame, check: clv.PAliveCheck, comp, feats, tiers, s) -> None:
    """The churn-risk list first; whether P(alive) separates customers and how it falls with silence."""
    model = uc.model_label(result.model)
    st.caption(t("clv.risk.definition", window=format_int(feats.window_days)))
    if check.separates:
        st.success(t("clv.alive.separates", model=model, p10=format_pct(check.p10), p90=format_pct(check.p90)),
                   icon=":material/check_circle:")
    else:
        st.warning(t("clv.alive.no_separation", model=model, p10=format_pct(check.p10), p90=format_pct(check.p90)),
                   icon=":material/warning:")
    if check.one_time_all_one:
        st.info(t("clv.alive.one_time", model=model, one=format_int(check.one_time),
                  share=format_pct(check.one_time / check.customers)), icon=":material/info:")
    _silence_metrics(cust, s.unit)
    if not check.separates:
        better = [uc.model_label(sc.model) for sc in (comp.scores if comp else []) if sc.separates]
        if better:
            st.caption(t("clv.alive.try_models", models=state.join_list(better)))
        return
    past = feats.frame["monetary"] if "monetary" in feats.frame else pd.Series(dtype=float)
    risk = clv.churn_risk(result.customers, past, s.unit)
    st.markdown(f"**{t('clv.risk.title')}**")
    tl = components.tier_labels()
    cols = {"customer_id": (t("col.customer_id"), "text"), "tier_label": (t("common.tier"), "text"),
            "value_at_risk": (t("clv.risk.col.value_at_risk"), "yen"), "p_alive": (t("clv.col.p_alive"), "pct"),
            "days_silent": (t("clv.risk.col.days_silent"), "int"),
            "past_value": (t("clv.risk.col.past_value", days=feats.window_days), "yen"),
            "expected_purchases": (t("clv.col.purchases_n", months=s.horizon), "float2"),
            "clv": (t("clv.col.clv", months=s.horizon), "yen")}
    um.customer_list(lambda rows=None: uc.risk_table(risk, tiers, tl, rows), cols, total=len(risk), key="clv_risk",
                     file_name="churn_risk_customers.csv")
    st.caption(t("clv.risk.total", n=format_int(len(risk)), value=format_yen(risk["value_at_risk"].sum())))


def _kpis(result, cust: pd.DataFrame, check: clv.PAliveCheck, s: uc.Settings) -> None:
    """Customers, mean P(alive) (only where it separates customers), expected purchases, CLV."""
    has_value = result.gamma_gamma is not None
    k1, k2, k3, k4 = st.columns(4)
    k1.metric(t("clv.kpi.customers"), format_int(len(cust)),
              help=t("clv.kpi.customers_help", end=format_date(result.calibration_end)))
    k2.metric(t("clv.kpi.p_alive"), format_pct(cust["p_alive"].mean()) if check.separates else "—",
              help=t("clv.kpi.p_alive_help") if check.separates else t("clv.kpi.p_alive_hidden"))
    k3.metric(t("clv.kpi.purchases", months=s.horizon), format_score(cust["expected_purchases"].sum()),
              help=t("clv.kpi.purchases_help"))
    k4.metric(t("clv.kpi.clv_total", months=s.horizon),
              format_yen(cust["clv"].sum()) if has_value else "—",
              help=t("clv.kpi.clv_help", mean=format_yen(cust["clv"].mean()) if has_value else "—"))
    if not has_value:
        gr = result.gamma_gamma_reason
        reason = gr.message(state.lang()) if gr else ""
        st.warning(t("clv.no_value", reason=reason), icon=":material/warning:")
    st.caption(t("clv.formula", months=s.horizon, rate=format_pct(s.rate, 1)))


def _tiers(result, cust: pd.DataFrame, check: clv.PAliveCheck, tiers: pd.Series, tl: dict[str, str], feats,
           s: uc.Settings) -> None:
    """Per-tier chart, the P(alive) histogram (where it separates customers) and the per-tier table."""
    has_value = result.gamma_gamma is not None
    tier_table = uc.tier_table(cust, tiers)
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('clv.tier_chart', months=s.horizon)}**")
        col = "clv_mean" if has_value else "purchases"
        st.altair_chart(um.tier_value_bars(tier_table, tl, value_col=col,
                                           value_title=t("clv.col.clv_mean_yen") if has_value
                                           else t("clv.col.purchases"),
                                           tier_title=t("common.tier"),
                                           share_col="clv_share" if has_value else None,
                                           share_title=t("clv.col.clv_share"),
                                           fmt=",.0f" if has_value else ".2f"), width="stretch")
    if check.separates:
        with right:
            st.markdown(f"**{t('clv.p_alive_chart')}**")
            st.altair_chart(uc.p_alive_histogram(cust, p_title=t("clv.col.p_alive"),
                                                 count_title=t("metrics.col.customers"),
                                                 kind_title=t("clv.buyer_kind"), one_time_label=t("clv.one_time"),
                                                 repeat_label=t("clv.repeat")), width="stretch")
    st.markdown(f"**{t('clv.tier_table')}**")
    cols = {"label": (t("common.tier"), "text"), "customers": (t("metrics.col.customers"), "int"),
            "p_alive": (t("clv.col.p_alive_mean"), "pct"),
            "purchases": (t("clv.col.purchases_mean", months=s.horizon), "float2"),
            "clv_mean": (t("clv.col.clv_mean"), "yen"), "clv_total": (t("clv.col.clv_total"), "yen"),
            "clv_share": (t("clv.col.clv_share"), "pct")}
    if not check.separates:
        cols.pop("p_alive")
    um.show(um.labelled(tier_table, tl), cols, key="clv_tier_table")
    st.caption(t("clv.tier_note", as_of=format_date(feats.as_of) if feats.as_of else "—",
                 missing=format_int(int(tiers.isna().sum()))))


def _customers(result, cust: pd.DataFrame, check: clv.PAliveCheck, tiers: pd.Series, tl: dict[str, str],
               s: uc.Settings) -> None:
    """The customer list by predicted value, with its CSV download."""
    unit_label = t(f"clv.unit.{s.unit}")
    st.markdown(f"**{t('clv.customer_table')}**")
    ccols = {"customer_id": (t("col.customer_id"), "text"), "tier_label": (t("common.tier"), "text"),
             "p_alive": (t("clv.col.p_alive"), "pct"),
             "expected_purchases": (t("clv.col.purchases_n", months=s.horizon), "float2"),
             "expected_avg_value": (t("clv.col.avg_value"), "yen"),
             "clv": (t("clv.col.clv", months=s.horizon), "yen"),
             "frequency": (t("clv.col.frequency"), "int"),
             "recency": (t("clv.col.recency", unit=unit_label), "float1"),
             "T": (t("clv.col.T", unit=unit_label), "float1"),
             "monetary_value": (t("clv.col.monetary_value"), "yen")}
    if not check.separates:
        ccols.pop("p_alive")
    by = "clv" if result.gamma_gamma is not None else "expected_purchases"

    def clv_table(rows=None):
        """Customers by predicted value, highest first (only the first ``rows`` when given)."""
        return uc.ranked_customers(cust, tiers, tl, by, list(ccols), rows)

    um.customer_list(clv_table, ccols, total=len(cust), key="clv", file_name="clv_by_customer.csv")


def _holdout_view(comp: pd.DataFrame, pen_used: float, fit_pen: float) -> None:
    """Predicted against actual holdout purchases: totals, chart and table."""
    total = comp[comp["frequency_bucket"] == "total"].iloc[0]
    pred, act = float(total["predicted_total"]), float(total["actual_total"])
    k1, k2, k3 = st.columns(3)
    k1.metric(t("clv.fit.predicted"), format_score(pred))
    k2.metric(t("clv.fit.actual"), format_int(act))
    k3.metric(t("clv.fit.error"), format_pct((pred - act) / act) if act else "—", help=t("clv.fit.error_help"))
    if pen_used != fit_pen:
        st.caption(t("clv.fit.penalizer_used", penalizer=f"{pen_used:g}"))
    st.altair_chart(uc.holdout_chart(comp, bucket_title=t("clv.fit.bucket"), mean_title=t("clv.fit.mean"),
                                     predicted_label=t("clv.fit.predicted_series"),
                                     actual_label=t("clv.fit.actual_series"),
                                     series_title=t("clv.fit.series")), width="stretch")
    view = comp.copy()
    view["bucket_label"] = [t("clv.fit.total") if b == "total" else b for b in view["frequency_bucket"]]
    um.show(view, {"bucket_label": (t("clv.fit.bucket"), "text"),
                   "customers": (t("metrics.col.customers"), "int"),
                   "predicted_mean": (t("clv.fit.predicted_mean"), "float2"),
                   "actual_mean": (t("clv.fit.actual_mean"), "float2"),
                   "predicted_total": (t("clv.fit.predicted_total"), "float1"),
                   "actual_total": (t("clv.fit.actual_total"), "int")}, key="clv_holdout_table")
    st.caption(t("clv.fit.reading"))


def _fit_tab(ds, result: clv.CLVResult, first_day: date, s: uc.Settings) -> None:
    """The calibration/holdout check of the model in use, on the settings' holdout."""
    st.caption(t("clv.fit_help"))
    if s.holdout is None:
        st.info(t("clv.fit_too_short"), icon=":material/info:")
        return
    split = uc.holdout_split(s.calibration_end, s.holdout)
    st.caption(t("clv.holdout_split", cal_start=format_date(first_day), split=format_date(split),
                 obs_end=format_date(s.calibration_end)))
    with st.spinner(t("clv.fitting")):
        comp, err, pen_used = uc.holdout(ds, split, s.calibration_end, s.unit, s.penalizer, s.auto, result.model)
    if comp is None:
        state.show_error(err)
    else:
        _holdout_view(comp, pen_used, result.penalizer.used)


def _params(result: clv.CLVResult, s: uc.Settings) -> None:
    """The fitted parameters, how to read them, and what the summary counted (an expander)."""
    fit, gg = result.purchase_fit, result.gamma_gamma
    unit_label = t(f"clv.unit.{s.unit}")
    with st.expander(t("clv.params_title", model=uc.model_label(result.model)), icon=":material/functions:"):
        um.show(uc.param_table(result, unit_label), {
            "model": (t("clv.param.model"), "text"), "param": (t("clv.param.name"), "text"),
            "value": (t("clv.param.value"), "rtext"), "stderr": (t("clv.param.stderr"), "rtext"),
            "meaning": (t("clv.param.meaning"), "text")}, key="clv_params")
        st.markdown(uc.param_reading(result, unit_label))
        st.caption(t("clv.param.note", penalizer=f"{result.penalizer.used:g}", groups=format_int(fit.n_groups),
                     customers=format_int(fit.n_customers), unit=unit_label))
        if gg is not None and np.isfinite(gg.frequency_monetary_corr):
            st.caption(t("clv.param.corr", corr=format_score(gg.frequency_monetary_corr, 2)))
        rep = result.report
        st.markdown(f"**{t('clv.report_title')}**")
        st.markdown(t("clv.report", rows=format_int(rep.get("rows")), days=format_int(rep.get("purchase_days")),
                      zero=format_int(rep.get("zero_value_purchase_days")),
                      negative=format_int(rep.get("dropped_negative_days")),
                      cancelled=format_int(rep.get("dropped_cancelled_days")),
                      later=format_int(rep.get("rows_after_calibration_end")),
                      none=format_int(rep.get("customers_without_purchase")),
                      end=format_date(result.calibration_end)))


def _purchases(ds, feats, res) -> None:
    """The purchase models: settings, the model choice, the fit (or why it failed), tabs, parameters."""
    if ds.transactions is None or not len(ds.transactions.frame):
        st.info(t("clv.needs_transactions"), icon=":material/info:")
        st.page_link("pages/data.py", label=t("common.go_data"), icon=":material/upload_file:")
        return
    first_day, last_day, default_end = uc.date_bounds(ds.transactions.frame, feats.as_of)
    with st.expander(t("clv.explain_title"), expanded=False, icon=":material/school:"):
        st.markdown(t("clv.explain"))
    s = _settings(first_day, last_day, default_end)
    model, comp = _choose_model(ds, s)
    with st.spinner(t("clv.fitting")):
        fit = uc.clv_fit(ds, s, model)
    if fit.result is None:
        _fit_failed(fit)
        return
    result = fit.result
    _penalizer_note(result)
    cust = result.customers.set_index("customer_id")
    check = clv.check_p_alive(cust["p_alive"], cust["frequency"])
    tiers = res.frame["tier"].reindex(cust.index)
    tl = components.tier_labels()
    tab_risk, tab_res, tab_fit = st.tabs([t("clv.tab.risk"), t("clv.tab.results"), t("clv.tab.fit")],
                                         key="clv_tab", on_change="rerun")
    if tab_risk.open:
        with tab_risk:
            _risk_tab(result, result.customers, check, comp, feats, tiers, s)
    if tab_res.open:
        with tab_res:
            _kpis(result, cust, check, s)
            _tiers(result, cust, check, tiers, tl, feats, s)
            _customers(result, cust, check, tiers, tl, s)
    if tab_fit.open:
        with tab_fit:
            _fit_tab(ds, result, first_day, s)
    _params(result, s)


def render() -> None:
    """The 予測LTV page: purchases or contracts, as the business works."""
    st.title(t("clv.title"))
    st.caption(t("clv.subtitle"))
    ds, feats, res = components.load_or_stop()
    default = ucc.default_kind(state.definition().preset, ds)
    kind = st.segmented_control(t("clv.kind"), ["purchase", "contract"], default=default, required=True,
                                format_func=lambda k: t(f"clv.kind.{k}"), key="w_clv_kind",
                                help=t("clv.kind_help"), persist_state="session")
    if kind == "contract":
        ucc.render_contracts()
    else:
        _purchases(ds, feats, res)


render()

"""予測LTV: BG/NBD + Gamma-Gamma — settings, fitted parameters, P(alive), expected
purchases and CLV per customer and per tier, and the calibration/holdout check."""

from ui.router import ensure_router

ensure_router()

import numpy as np
import pandas as pd
import streamlit as st

from loyalty import ltv
from loyalty.fmt import format_date, format_int, format_pct, format_score, format_yen
from ui import components, state
from ui import metrics as um

t = state.t
TIERS = ["top", "middle", "low"]
PENALIZERS = [0.0, 0.0001, 0.001, 0.01, 0.1]
HORIZONS = [3, 6, 12, 24, 36, 60]


def _use_penalizer(value: float) -> None:
    st.session_state["w_clv_penalizer"] = value


st.title(t("clv.title"))
st.caption(t("clv.subtitle"))
ds, feats, res = components.load_or_stop()
tl = components.tier_labels()
if ds.transactions is None or not len(ds.transactions.frame):
    st.info(t("clv.needs_transactions"), icon=":material/info:")
    st.page_link("pages/data.py", label=t("common.go_data"), icon=":material/upload_file:")
    st.stop()

tx = ds.transactions.frame
first_day = pd.Timestamp(tx["order_date"].min()).date()
last_day = pd.Timestamp(tx["order_date"].max()).date()
default_end = min(max(feats.as_of or last_day, first_day), last_day)

with st.expander(t("clv.explain_title"), expanded=False, icon=":material/school:"):
    st.markdown(t("clv.explain"))

with st.container(border=True):
    c1, c2, c3, c4 = st.columns(4)
    cal_end = c1.date_input(t("clv.calibration_end"), value=default_end, min_value=first_day,
                            max_value=last_day, format="YYYY/MM/DD", key="w_clv_cal_end",
                            help=t("clv.calibration_end_help"), persist_state="session")
    unit = c2.segmented_control(t("clv.time_unit"), ["weeks", "days"], default="weeks", required=True,
                                format_func=lambda u: t(f"clv.unit.{u}"), key="w_clv_unit",
                                help=t("clv.time_unit_help"), persist_state="session")
    horizon = c3.select_slider(t("clv.horizon"), HORIZONS, value=12,
                               format_func=lambda m: t("clv.months", months=m), key="w_clv_horizon",
                               help=t("clv.horizon_help"), persist_state="session")
    rate_pct = c4.number_input(t("clv.discount"), min_value=0.0, max_value=5.0, value=1.0, step=0.1,
                               format="%.1f", key="w_clv_discount", persist_state="session",
                               help=t("clv.discount_help"))
    rate = round(rate_pct / 100, 6)
    c5, c6, c7 = st.columns([2, 2, 4])
    penalizer = c5.select_slider(t("clv.penalizer"), PENALIZERS, value=0.0,
                                 format_func=lambda p: f"{p:g}", key="w_clv_penalizer",
                                 help=t("clv.penalizer_help"), persist_state="session")
    auto = c6.toggle(t("clv.auto"), value=True, key="w_clv_auto", help=t("clv.auto_help"),
                     persist_state="session")
    c7.caption(t("clv.settings_note", yearly=format_pct((1 + rate) ** 12 - 1),
                 start=format_date(first_day), end=format_date(last_day)))

with st.spinner(t("clv.fitting")):
    fit = um.clv_fit(ds, cal_end, unit, int(horizon), rate, float(penalizer), bool(auto))

if fit.result is None:
    state.show_error(fit.error)
    if fit.error.field == "penalizer":
        st.info(t("clv.nonconvergence"), icon=":material/lightbulb:")
        nxt = next((p for p in PENALIZERS if p > fit.penalizer), None)
        if nxt is not None:
            st.button(t("clv.retry", penalizer=f"{nxt:g}"), on_click=_use_penalizer, args=(nxt,),
                      key="clv_retry", icon=":material/refresh:")
    st.stop()

result = fit.result
if fit.first_error is not None:
    st.info(t("clv.auto_used", penalizer=f"{fit.penalizer:g}"), icon=":material/tune:")  # usable results
    st.caption(t("clv.auto_reason",
                 reason=fit.first_error.ja if state.lang() == "ja" else fit.first_error.en))

cust = result.customers.set_index("customer_id")
tiers = res.frame["tier"].reindex(cust.index)
unit_label = t(f"clv.unit.{unit}")

tab_names = [t("clv.tab.results"), t("clv.tab.fit"), t("clv.tab.params")]
tab_res, tab_fit, tab_params = st.tabs(tab_names, key="clv_tab", on_change="rerun")

if tab_res.open:
    with tab_res:
        has_value = result.gamma_gamma is not None
        k1, k2, k3, k4 = st.columns(4)
        k1.metric(t("clv.kpi.customers"), format_int(len(cust)),
                  help=t("clv.kpi.customers_help", end=format_date(result.calibration_end)))
        k2.metric(t("clv.kpi.p_alive"), format_pct(cust["p_alive"].mean()),
                  help=t("clv.kpi.p_alive_help"))
        k3.metric(t("clv.kpi.purchases", months=horizon), format_score(cust["expected_purchases"].sum()),
                  help=t("clv.kpi.purchases_help"))
        k4.metric(t("clv.kpi.clv_total", months=horizon),
                  format_yen(cust["clv"].sum()) if has_value else "—",
                  help=t("clv.kpi.clv_help", mean=format_yen(cust["clv"].mean()) if has_value else "—"))
        if not has_value:
            gr = result.gamma_gamma_reason
            reason = (gr.ja if state.lang() == "ja" else gr.en) if gr else ""
            st.warning(t("clv.no_value", reason=reason), icon=":material/warning:")
        st.caption(t("clv.formula", months=horizon, rate=format_pct(rate, 1)))

        by = {
            "p_alive": ltv.value_by_group(cust["p_alive"], tiers, order=TIERS),
            "purchases": ltv.value_by_group(cust["expected_purchases"], tiers, order=TIERS),
            "clv": ltv.value_by_group(cust["clv"], tiers, order=TIERS),
        }
        tier_table = pd.DataFrame({
            "customers": by["p_alive"]["customers"],
            "p_alive": by["p_alive"]["mean"],
            "purchases": by["purchases"]["mean"],
            "clv_mean": by["clv"]["mean"],
            "clv_total": by["clv"]["total"],
            "clv_share": by["clv"]["share"],
        })
        left, right = st.columns(2)
        with left:
            st.markdown(f"**{t('clv.tier_chart', months=horizon)}**")
            col = "clv_mean" if has_value else "purchases"
            st.altair_chart(um.tier_value_bars(tier_table, tl, value_col=col,
                                               value_title=t("clv.col.clv_mean_yen") if has_value
                                               else t("clv.col.purchases"),
                                               tier_title=t("common.tier"),
                                               share_col="clv_share" if has_value else None,
                                               share_title=t("clv.col.clv_share"),
                                               fmt=",.0f" if has_value else ".2f"), width="stretch")
        with right:
            st.markdown(f"**{t('clv.p_alive_chart')}**")
            st.altair_chart(um.p_alive_histogram(cust, p_title=t("clv.col.p_alive"),
                                                 count_title=t("metrics.col.customers"),
                                                 kind_title=t("clv.buyer_kind"),
                                                 one_time_label=t("clv.one_time"),
                                                 repeat_label=t("clv.repeat")), width="stretch")
        one = int((cust["frequency"] == 0).sum())
        st.info(t("clv.p_alive_note", one=format_int(one), share=format_pct(one / len(cust))),
                icon=":material/info:")
        st.markdown(f"**{t('clv.tier_table')}**")
        um.show(um.labelled(tier_table, tl), {
            "label": (t("common.tier"), "text"), "customers": (t("metrics.col.customers"), "int"),
            "p_alive": (t("clv.col.p_alive_mean"), "pct"),
            "purchases": (t("clv.col.purchases_mean", months=horizon), "float2"),
            "clv_mean": (t("clv.col.clv_mean"), "yen"), "clv_total": (t("clv.col.clv_total"), "yen"),
            "clv_share": (t("clv.col.clv_share"), "pct")}, key="clv_tier_table")
        missing = int(tiers.isna().sum())
        st.caption(t("clv.tier_note", as_of=format_date(feats.as_of) if feats.as_of else "—",
                     missing=format_int(missing)))

        st.markdown(f"**{t('clv.customer_table')}**")
        ccols = {"customer_id": (t("col.customer_id"), "text"), "tier_label": (t("common.tier"), "text"),
                 "p_alive": (t("clv.col.p_alive"), "pct"),
                 "expected_purchases": (t("clv.col.purchases_n", months=horizon), "float2"),
                 "expected_avg_value": (t("clv.col.avg_value"), "yen"),
                 "clv": (t("clv.col.clv", months=horizon), "yen"),
                 "frequency": (t("clv.col.frequency"), "int"),
                 "recency": (t("clv.col.recency", unit=unit_label), "float1"),
                 "T": (t("clv.col.T", unit=unit_label), "float1"),
                 "monetary_value": (t("clv.col.monetary_value"), "yen")}
        rank_by = cust["clv" if has_value else "expected_purchases"]

        def clv_table(rows=None):
            """Customers by predicted value, highest first (only the first ``rows`` when given)."""
            order = rank_by.sort_values(ascending=False, kind="stable", na_position="last").index
            if rows is not None:
                order = order[:rows]
            out = cust.loc[order].reset_index()
            out.insert(1, "tier_label", tiers.reindex(order).map(tl).astype("str").to_numpy())
            return out[list(ccols)]

        um.customer_list(clv_table, ccols, total=len(cust), key="clv", file_name="clv_by_customer.csv")

if tab_fit.open:
    with tab_fit:
        st.caption(t("clv.fit_help"))
        span_months = (cal_end.year - first_day.year) * 12 + cal_end.month - first_day.month
        choices = [m for m in (3, 6, 12) if m < span_months]
        if not choices:
            st.info(t("clv.fit_too_short"), icon=":material/info:")
        else:
            months = st.segmented_control(t("clv.holdout"), choices, default=choices[min(1, len(choices) - 1)],
                                          required=True, format_func=lambda m: t("clv.months", months=m),
                                          key="w_clv_holdout", persist_state="session")
            obs_end = cal_end
            split = (pd.Timestamp(cal_end) - pd.DateOffset(months=int(months))).date()
            st.caption(t("clv.holdout_split", cal_start=format_date(first_day), split=format_date(split),
                         obs_end=format_date(obs_end)))
            with st.spinner(t("clv.fitting")):
                comp, err, pen_used = um.holdout(ds, split, obs_end, unit, float(fit.penalizer), bool(auto))
            if comp is None:
                state.show_error(err)
            else:
                total = comp[comp["frequency_bucket"] == "total"].iloc[0]
                pred, act = float(total["predicted_total"]), float(total["actual_total"])
                k1, k2, k3 = st.columns(3)
                k1.metric(t("clv.fit.predicted"), format_score(pred))
                k2.metric(t("clv.fit.actual"), format_int(act))
                k3.metric(t("clv.fit.error"), format_pct((pred - act) / act) if act else "—",
                          help=t("clv.fit.error_help"))
                if pen_used != fit.penalizer:
                    st.caption(t("clv.fit.penalizer_used", penalizer=f"{pen_used:g}"))
                st.altair_chart(um.holdout_chart(comp, bucket_title=t("clv.fit.bucket"),
                                                 mean_title=t("clv.fit.mean"),
                                                 predicted_label=t("clv.fit.predicted_series"),
                                                 actual_label=t("clv.fit.actual_series"),
                                                 series_title=t("clv.fit.series")), width="stretch")
                view = comp.copy()
                view["bucket_label"] = [t("clv.fit.total") if b == "total" else b
                                        for b in view["frequency_bucket"]]
                um.show(view, {"bucket_label": (t("clv.fit.bucket"), "text"),
                               "customers": (t("metrics.col.customers"), "int"),
                               "predicted_mean": (t("clv.fit.predicted_mean"), "float2"),
                               "actual_mean": (t("clv.fit.actual_mean"), "float2"),
                               "predicted_total": (t("clv.fit.predicted_total"), "float1"),
                               "actual_total": (t("clv.fit.actual_total"), "int")}, key="clv_holdout_table")
                st.caption(t("clv.fit.reading"))

if tab_params.open:
    with tab_params:
        bg, gg = result.purchase_fit, result.gamma_gamma
        rows = [
            ("BG/NBD", "r", bg.r, bg.stderr.get("r"), t("clv.param.r")),
            ("BG/NBD", "α (alpha)", bg.alpha, bg.stderr.get("alpha"), t("clv.param.alpha", unit=unit_label)),
            ("BG/NBD", "a", bg.a, bg.stderr.get("a"), t("clv.param.a")),
            ("BG/NBD", "b", bg.b, bg.stderr.get("b"), t("clv.param.b")),
            ("BG/NBD", t("clv.param.loglik_name"), bg.loglik, None, t("clv.param.loglik")),
        ]
        if gg is not None:
            rows += [
                ("Gamma-Gamma", "p", gg.p, gg.stderr.get("p"), t("clv.param.p")),
                ("Gamma-Gamma", "q", gg.q, gg.stderr.get("q"), t("clv.param.q")),
                ("Gamma-Gamma", "γ (gamma)", gg.gamma, gg.stderr.get("gamma"), t("clv.param.gamma")),
            ]
        params = pd.DataFrame(rows, columns=["model", "param", "value", "stderr", "meaning"])
        params["value"] = [format_score(v, 3) for v in params["value"]]
        params["stderr"] = [format_score(v, 3) for v in params["stderr"]]
        um.show(params, {"model": (t("clv.param.model"), "text"),
                         "param": (t("clv.param.name"), "text"),
                         "value": (t("clv.param.value"), "rtext"),
                         "stderr": (t("clv.param.stderr"), "rtext"),
                         "meaning": (t("clv.param.meaning"), "text")}, key="clv_params")
        st.markdown(t("clv.param.derived", rate=format_score(bg.r / bg.alpha, 3), unit=unit_label,
                      dropout=format_pct(bg.a / (bg.a + bg.b)),
                      value=format_yen(gg.population_mean_value) if gg is not None else "—"))
        st.caption(t("clv.param.note", penalizer=f"{fit.penalizer:g}", groups=format_int(bg.n_groups),
                     customers=format_int(bg.n_customers), unit=unit_label))
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

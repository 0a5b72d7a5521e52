"""The contractual part of the 予測LTV page: the sBG model of renewals (BtoB, SaaS, subscriptions).

The user uploads a survivors table (period, survivors) or contract lines (customer, start,
end[, payment]); without one the page shows the regular-customer cohort of Fader & Hardie
(2007) as a worked example.  It draws the fit, the survival curve with its projection,
DERL per contract, and offers the fit to the LTV tab of the metrics page
(:data:`SBG_FOR_LTV`: LTV = payment x DERL instead of "years" when the user asks).

Reading, fitting and valuing are :mod:`loyalty.clv.contracts`; this module calls, caches
(``st.cache_resource`` on the file's digest and the settings) and lays out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from loyalty.clv import contracts, sbg
from loyalty.errors import LoyaltyError
from loyalty.fmt import format_date, format_int, format_pct, format_score, format_yen
from loyalty.readers import read_table
from ui import components, state
from ui import metrics as um
from ui.metrics import ACTUAL_COLOR, PREDICTED_COLOR

t = state.t
#: Session key of the sBG fit the LTV tab may use: {"alpha", "beta", "period_months", "source"}.
SBG_FOR_LTV = "clv_sbg_for_ltv"
#: The worked example shown without an upload: Fader & Hardie (2007), regular customers.
EXAMPLE = pd.DataFrame({"period": [str(p) for p in range(8)],
                        "survivors": ["1000", "631", "468", "382", "326", "289", "262", "241"]})
#: Contract periods offered (months): monthly, yearly.
PERIODS = (1, 12)
#: Periods projected past the data on the survival chart.
PROJECT_AHEAD = 5


@dataclass(frozen=True)
class ContractView:
    """A fitted contract table (or why not) and where it came from."""

    cfit: contracts.ContractFit | None
    error: LoyaltyError | None
    source: str
    example: bool


def default_kind(preset: str | None, dataset) -> str:
    """"contract" for a BtoB or SaaS definition or data without transactions, else "purchase"."""
    if preset in ("b2b", "saas") or dataset.transactions is None:
        return "contract"
    return "purchase"


@st.cache_resource(show_spinner=False, max_entries=8)
def _fit(digest: str, name: str, period_months: int, as_of: date | None, penalizer: float,
         _frame: pd.DataFrame, _rows) -> tuple[contracts.ContractFit | None, LoyaltyError | None]:
    try:
        table = contracts.read_contract_table(_frame, name=name, row_numbers=_rows, as_of=as_of,
                                              period_months=period_months)
        return contracts.fit_contracts(table, penalizer=penalizer), None
    except LoyaltyError as exc:
        return None, exc


def _load(period_months: int, as_of: date | None) -> ContractView:
    """The uploaded table, or the worked example, fitted."""
    up = st.session_state.get("w_clv_contract_upload")
    if up is None:
        cfit, err = _fit("example", "Fader & Hardie (2007)", period_months, None, 0.0, EXAMPLE, None)
        return ContractView(cfit, err, t("clv.sbg.example_source"), True)
    data = up.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    try:
        raw = read_table(data, up.name)
    except LoyaltyError as exc:
        return ContractView(None, exc, up.name, False)
    cfit, err = _fit(digest, up.name, period_months, as_of, 0.0, raw.frame, raw.row_numbers)
    return ContractView(cfit, err, up.name, False)


def _settings() -> tuple[int, float, date | None]:
    """Upload, contract period, yearly discount rate and as-of date of the contract section."""
    preset = state.definition().preset
    with st.container(border=True):
        st.file_uploader(t("clv.sbg.upload"), type=["csv", "tsv", "txt", "xlsx", "xls"], key="w_clv_contract_upload",
                         help=t("clv.sbg.upload_help"))
        c1, c2, c3 = st.columns(3)
        period = c1.segmented_control(t("clv.sbg.period"), list(PERIODS), default=1 if preset == "saas" else 12,
                                      required=True, format_func=lambda m: t(f"clv.sbg.period.{m}"),
                                      key="w_clv_sbg_period", help=t("clv.sbg.period_help"), persist_state="session")
        rate = c2.number_input(t("clv.sbg.discount"), min_value=0.0, max_value=50.0, value=10.0, step=1.0,
                               format="%.1f", key="w_clv_sbg_discount", help=t("clv.sbg.discount_help"),
                               persist_state="session") / 100
        as_of = c3.date_input(t("clv.sbg.as_of"), value=None, format="YYYY/MM/DD", key="w_clv_sbg_as_of",
                              help=t("clv.sbg.as_of_help"), persist_state="session")
    return int(period), float(rate), as_of


def _survival_chart(curve: pd.DataFrame, last: int) -> alt.Chart:
    """Observed share still active (points) and the sBG projection (line), after each renewal."""
    observed, projected = t("clv.sbg.observed"), t("clv.sbg.projected")
    data = pd.concat([
        pd.DataFrame({"period": curve["period"], "series": observed, "share": curve["observed"]}).dropna(),
        pd.DataFrame({"period": curve["period"], "series": projected, "share": curve["projected"]}),
    ])
    scale = alt.Scale(domain=[observed, projected], range=[ACTUAL_COLOR, PREDICTED_COLOR])
    base = alt.Chart(data).encode(
        x=alt.X("period:Q", title=t("clv.sbg.renewals"), axis=alt.Axis(labelAngle=0, tickMinStep=1)),
        y=alt.Y("share:Q", title=t("clv.sbg.share"), axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("series:N", title=t("clv.fit.series"), scale=scale),
        tooltip=[alt.Tooltip("period:Q", title=t("clv.sbg.renewals")), alt.Tooltip("series:N"),
                 alt.Tooltip("share:Q", title=t("clv.sbg.share"), format=".1%")])
    rule = alt.Chart(pd.DataFrame({"x": [last + 0.5]})).mark_rule(strokeDash=[4, 4], color="#888").encode(x="x:Q")
    return (base.transform_filter(alt.datum.series == projected).mark_line()
            + base.transform_filter(alt.datum.series == observed).mark_point(size=60, filled=True)
            + rule).properties(height=340)


def _kpis(cfit: contracts.ContractFit, rate: float) -> None:
    """alpha, beta, the first period's cancellation and the discounted lifetime of a new customer."""
    f = cfit.fit
    unit = t(f"clv.sbg.unit.{cfit.table.period_months}")
    k1, k2, k3, k4 = st.columns(4)
    k1.metric(t("clv.sbg.kpi.customers"), format_int(round(f.n_customers)),
              help=t("clv.sbg.kpi.customers_help", cancelled=format_int(round(f.n_cancelled))))
    k2.metric(t("clv.sbg.kpi.first_churn"), format_pct(f.mean_cancellation), help=t("clv.sbg.kpi.first_churn_help"))
    k3.metric(t("clv.sbg.kpi.retention"), format_pct(float(sbg.retention(f, 5))),
              help=t("clv.sbg.kpi.retention_help"))
    try:
        del_ = sbg.discounted_expected_lifetime(f, rate)
        k4.metric(t("clv.sbg.kpi.del", unit=unit), format_score(del_, 2), help=t("clv.sbg.kpi.del_help", unit=unit))
    except LoyaltyError as exc:
        k4.metric(t("clv.sbg.kpi.del", unit=unit), "—")
        st.warning(exc.message(state.lang()), icon=":material/warning:")
    st.caption(t("clv.sbg.params", alpha=format_score(f.alpha, 3), beta=format_score(f.beta, 3),
                 loglik=format_score(f.loglik, 2), se_a=format_score(f.stderr.get("alpha"), 3),
                 se_b=format_score(f.stderr.get("beta"), 3)))


def _values(cfit: contracts.ContractFit, rate: float) -> None:
    """Per period (survivors table) or per contract: projection, DERL and residual value; download."""
    try:
        values = contracts.contract_values(cfit, rate)
    except LoyaltyError as exc:
        state.show_error(exc)
        return
    if cfit.table.kind == "survivors":
        cols = {"period": (t("clv.sbg.col.period"), "int"), "survivors": (t("clv.sbg.col.survivors"), "int"),
                "projected": (t("clv.sbg.col.projected"), "float1"), "retention": (t("clv.sbg.col.retention"), "pct"),
                "derl": (t("clv.sbg.col.derl"), "float2")}
    else:
        cols = {"customer_id": (t("clv.sbg.col.contract"), "text"), "start": (t("clv.sbg.col.start"), "date"),
                "end": (t("clv.sbg.col.end"), "date"), "renewals": (t("clv.sbg.col.renewals"), "int"),
                "derl": (t("clv.sbg.col.derl"), "float2")}
        if "payment" in values:
            cols |= {"payment": (t("clv.sbg.col.payment"), "yen"),
                     "residual_value": (t("clv.sbg.col.residual"), "yen")}
        values = values.sort_values(["active", "renewals"], ascending=[False, False], kind="stable")
    st.markdown(f"**{t('clv.sbg.values_title')}**")
    um.customer_list(lambda rows=None: values if rows is None else values.head(rows), cols, total=len(values),
                     key="clv_sbg", file_name="sbg_values.csv")
    st.caption(t("clv.sbg.derl_note", rate=format_pct(rate, 1)))
    if cfit.table.kind == "contracts" and "payment" in values:
        st.caption(t("clv.sbg.residual_total", value=format_yen(values["residual_value"].sum())))


def _hand_off(view: ContractView) -> None:
    """The toggle that lets the LTV tab use this fit (payment x DERL instead of years)."""
    f = view.cfit.fit
    on = st.toggle(t("clv.sbg.to_ltv"), key="w_clv_sbg_to_ltv", help=t("clv.sbg.to_ltv_help"),
                   value=st.session_state.get(SBG_FOR_LTV) is not None)
    if on:
        st.session_state[SBG_FOR_LTV] = {"alpha": f.alpha, "beta": f.beta,
                                         "period_months": view.cfit.table.period_months, "source": view.source}
        st.page_link("pages/metrics.py", label=t("clv.sbg.to_ltv_link"), icon=":material/arrow_forward:")
    else:
        st.session_state.pop(SBG_FOR_LTV, None)


def render_contracts() -> None:
    """The contract section: settings, fit, KPIs, survival curve, values, hand-off to LTV."""
    st.caption(t("clv.sbg.intro"))
    period, yearly, as_of = _settings()
    view = _load(period, as_of)
    if view.cfit is None:
        state.show_error(view.error)
        return
    cfit = view.cfit
    if view.example:
        st.info(t("clv.sbg.example"), icon=":material/menu_book:")
    else:
        where = t("clv.sbg.source_lines", as_of=format_date(cfit.table.as_of)) if cfit.table.kind == "contracts" \
            else t("clv.sbg.source_table")
        st.caption(t("clv.sbg.source", file=view.source, what=where))
    if cfit.penalizer.reason is not None:
        st.info(t("clv.sbg.penalized", penalizer=f"{cfit.penalizer.used:g}"), icon=":material/tune:")
    rate = contracts.period_rate((1 + yearly) ** (1 / 12) - 1, cfit.table.period_months)
    _kpis(cfit, rate)
    curve = contracts.survival_curve(cfit, PROJECT_AHEAD)
    last = int(curve["observed"].notna().sum()) - 1
    st.markdown(f"**{t('clv.sbg.curve_title')}**")
    st.altair_chart(_survival_chart(curve, last), width="stretch")
    st.caption(t("clv.sbg.curve_note", ahead=PROJECT_AHEAD))
    _values(cfit, rate)
    _hand_off(view)
    components.empty_state(t("clv.sbg.format_help"), icon=":material/help:")


def ltv_fit() -> dict | None:
    """The sBG fit the user handed to the LTV tab (see :data:`SBG_FOR_LTV`), or None."""
    return st.session_state.get(SBG_FOR_LTV)

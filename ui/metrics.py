"""Streamlit helpers of the metrics pages (LTV・NPS・継続率; tables and charts the
予測LTV page shares too): cached computations, tables and Altair charts.

Heavy work is cached per data set (``state.dataset_key()``) and settings with
``st.cache_resource`` (the cached objects are never mutated), so moving a
control only recomputes what depends on it.  Charts get aggregated data (a few
hundred rows at most), keep axis labels horizontal and colour tiers with the
shared tier colours.
"""

from __future__ import annotations

from datetime import date

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from loyalty import cohorts, export, retention
from loyalty.fmt import format_int, format_nps, format_pct, format_score, format_yen
from ui.components import download_button, typed_view
from ui import state
from ui.theme import ACCENT, tier_scale

NPS_COLORS = {"promoter": "#1E8449", "passive": "#AAB7B8", "detractor": "#CB4335"}
GROUP_COLORS = {"loyal_advocate": "#C0392B", "habitual_repeater": "#6C3483", "latent_advocate": "#E39B2D",
                "other": "#9AA5AE", "no_answer": "#D5D8DC"}
PREDICTED_COLOR = "#2E86C1"
ACTUAL_COLOR = "#E39B2D"

# --------------------------------------------------------------------------- formatting


_TEXT_FORMATTERS = {
    "int": format_int, "yen": format_yen, "pct": format_pct, "nps": format_nps,
    "float1": lambda v: format_score(v, 1), "float2": lambda v: format_score(v, 2),
    "float3": lambda v: format_score(v, 3),
}


def show(frame: pd.DataFrame, columns: dict[str, tuple[str, str]], *, height: int | str = "auto",
         key: str | None = None) -> None:
    """Show ``frame``'s ``columns`` with headers and Japanese formats.

    Args:
        frame: the data.
        columns: column -> (header, kind); kind is one of text, int, yen, pct
            (a fraction shown ×100 with one decimal), float1, float2, float3, date, nps, or
            rtext (text aligned right, e.g. numbers formatted beforehand).
        height: table height.
        key: element key.
    """
    view = frame[list(columns)].copy()
    kinds = {}
    for col, (_, kind) in columns.items():
        if kind in _TEXT_FORMATTERS and view[col].isna().any():
            # a blank number would show as "None": show the formatted text ("—" when blank) instead
            view[col] = [_TEXT_FORMATTERS[kind](v) for v in view[col]]
            kind = "rtext"
        kinds[col] = kind
    view, cfg = typed_view(view, kinds, {col: label for col, (label, _) in columns.items()})
    st.dataframe(view, column_config=cfg, hide_index=True, width="stretch", height=height, key=key)


_EXPORT_DECIMALS = {"yen": 0, "int": 0, "pct": 4, "float1": 1, "float2": 2, "float3": 3, "nps": 0}

#: Customer lists show at most this many rows on screen (their download has everyone).
MAX_ROWS_SHOWN = 1_000


def customer_list(make, columns: dict[str, tuple[str, str]], *, total: int, key: str, file_name: str) -> None:
    """A per-customer table: the first :data:`MAX_ROWS_SHOWN` rows on screen (saying so
    when there are more) and every row in a CSV built only when the button is clicked.

    Args:
        make: ``make(n=None)`` gives the table's first ``n`` rows (None: all of them).
        columns: as for :func:`show`.
        total: how many rows there are.
        key: element key prefix.
        file_name: the CSV's name.
    """
    if total > MAX_ROWS_SHOWN:
        st.caption(state.t("metrics.top_rows", shown=format_int(MAX_ROWS_SHOWN), total=format_int(total)))
    show(make(MAX_ROWS_SHOWN), columns, height=360, key=f"{key}_customer_table")
    download_button(state.t("metrics.download_csv"),
                    data=lambda: export.csv_bytes(export_frame(make(), columns)).data,
                    file_name=file_name, mime="text/csv", on_click="ignore", icon=":material/download:",
                    key=f"dl_{key}_csv")


def export_frame(frame: pd.DataFrame, columns: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """``frame``'s ``columns`` for a CSV download: headers as shown, numbers rounded as
    shown (yen to the yen; percentages kept as fractions with four decimals)."""
    out = frame[list(columns)].copy()
    for col, (_, kind) in columns.items():
        if kind in _EXPORT_DECIMALS and pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col].round(_EXPORT_DECIMALS[kind])
    return out.rename(columns={c: label for c, (label, _) in columns.items()})


def labelled(summary: pd.DataFrame, labels: dict[str, str], name: str = "label") -> pd.DataFrame:
    """A group summary (index = key) with a label column first and the key kept as "key"."""
    out = summary.copy()
    out.insert(0, name, [labels.get(k, k) for k in out.index])
    out.insert(1, "key", out.index.astype(str))
    return out.reset_index(drop=True)


def present(series: pd.Series, keys) -> list[str]:
    """The ``keys`` (in their order) that occur in ``series`` (fast on categoricals)."""
    counts = series.value_counts()
    return [k for k in keys if counts.get(k, 0) > 0]


def ltv_ranking(values: pd.Series, components: pd.DataFrame, tiers: pd.Series, tier_labels: dict[str, str],
                rows: int | None = None) -> pd.DataFrame:
    """Customers by LTV, highest first (customers without one last), with its inputs.

    Args:
        values: LTV per customer (:func:`loyalty.ltv.customer_ltv`).
        components: the formula's inputs per customer (:func:`loyalty.ltv.ltv_components`).
        tiers: tier key per customer.
        tier_labels: tier key -> label.
        rows: only the first ``rows`` customers, when given.

    Returns:
        Columns customer_id, tier_label, the inputs, ltv (rounded to whole units).
    """
    order = values.sort_values(ascending=False, kind="stable", na_position="last").index
    if rows is not None:
        order = order[:rows]
    out = components.loc[order].copy()
    out.insert(0, "customer_id", order.astype(str))
    out.insert(1, "tier_label", tiers.reindex(order).map(tier_labels).astype("str").to_numpy())
    out["ltv"] = values.loc[order].round(0).to_numpy()
    return out


def pareto_bases(source: str, columns) -> list[str]:
    """The revenue bases the Pareto curve can use: from transactions, the window's
    revenue or all-time revenue; from a customer table, its amount column (if any)."""
    if source == "transactions":
        return ["window", "all_time"]
    return ["table"] if "monetary" in columns else []


def pareto_values(features: pd.DataFrame, basis: str) -> pd.Series:
    """Revenue per customer on a basis of :func:`pareto_bases`: "window" counts the
    customers with an order in the window, "all_time" everyone's total revenue,
    "table" the customer table's amounts."""
    if basis == "window":
        return features.loc[features["frequency"] > 0, "monetary"]
    if basis == "all_time":
        return features["revenue_total"]
    return features["monetary"]


# --------------------------------------------------------------------------- cached computations


@st.cache_resource(show_spinner=False, max_entries=6)
def _orders(key: str, as_of: date | None, _tx: pd.DataFrame) -> pd.DataFrame:
    return retention.customer_orders(_tx, as_of=as_of)


def orders(dataset, as_of: date | None) -> pd.DataFrame | None:
    """One row per order up to ``as_of`` (cached per data set), or None without transactions."""
    if dataset.transactions is None or not len(dataset.transactions.frame):
        return None
    return _orders(state.dataset_key(), as_of, dataset.transactions.frame)


@st.cache_resource(show_spinner=False, max_entries=12)
def _retention(key: str, as_of: date | None, period: str, _orders: pd.DataFrame) -> pd.DataFrame:
    return retention.period_retention(_orders, period, as_of=as_of)


@st.cache_resource(show_spinner=False, max_entries=12)
def _cohorts(key: str, as_of: date | None, period: str, _orders: pd.DataFrame) -> cohorts.CohortTable:
    return cohorts.cohort_table(_orders, period, as_of=as_of)


@st.cache_resource(show_spinner=False, max_entries=24)
def _f2(key: str, as_of: date | None, horizon: int, period: str, _orders: pd.DataFrame):
    return (cohorts.f2_conversion(_orders, horizon, as_of=as_of),
            cohorts.f2_by_cohort(_orders, horizon, period, as_of=as_of))


def continuity(dataset, as_of: date | None, period: str, horizon: int):
    """(retention table, cohort table, F2 result, F2 by cohort) for the data set, cached.

    Raises:
        LoyaltyError: no order up to the as-of date.
    """
    o = orders(dataset, as_of)
    key = state.dataset_key()
    return (_retention(key, as_of, period, o), _cohorts(key, as_of, period, o), *_f2(key, as_of, horizon, period, o))


# --------------------------------------------------------------------------- charts


def tier_value_bars(summary: pd.DataFrame, labels: dict[str, str], *, value_col: str, value_title: str,
                    tier_title: str, share_col: str | None = None, share_title: str = "",
                    fmt: str = ",.0f") -> alt.Chart:
    """One bar per tier (tier colours) with the value as text (and the share in the tooltip)."""
    keys = [k for k in ("top", "middle", "low") if k in summary.index]
    data = pd.DataFrame({"tier": [labels[k] for k in keys],
                         "value": summary.loc[keys, value_col].astype(float).fillna(0).to_numpy()})
    tooltip = [alt.Tooltip("tier:N", title=tier_title), alt.Tooltip("value:Q", title=value_title, format=fmt)]
    if share_col:
        data["share"] = summary.loc[keys, share_col].astype(float).fillna(0).to_numpy()
        tooltip.append(alt.Tooltip("share:Q", title=share_title, format=".1%"))
    base = alt.Chart(data).encode(
        x=alt.X("tier:N", title=None, sort=[labels[k] for k in keys], axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title=value_title),
        tooltip=tooltip,
    )
    bars = base.mark_bar().encode(color=alt.Color("tier:N", scale=tier_scale(labels), legend=None))
    text = base.mark_text(dy=-7, fontSize=12).encode(text=alt.Text("value:Q", format=fmt))
    return (bars + text).properties(height=300)


def nps_distribution_chart(dist: pd.DataFrame, category_labels: dict[str, str], *, score_title: str,
                           count_title: str, share_title: str, category_title: str) -> alt.Chart:
    """Respondents per NPS point 0–10, coloured promoter / passive / detractor."""
    data = dist.assign(category_label=dist["category"].map(category_labels))
    order = [category_labels[k] for k in ("promoter", "passive", "detractor")]
    scale = alt.Scale(domain=order, range=[NPS_COLORS[k] for k in ("promoter", "passive", "detractor")])
    base = alt.Chart(data).encode(
        x=alt.X("score:O", title=score_title, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("respondents:Q", title=count_title),
        tooltip=[alt.Tooltip("score:O", title=score_title),
                 alt.Tooltip("respondents:Q", title=count_title, format=","),
                 alt.Tooltip("share:Q", title=share_title, format=".1%"),
                 alt.Tooltip("category_label:N", title=category_title)],
    )
    bars = base.mark_bar().encode(color=alt.Color("category_label:N", title=category_title, scale=scale,
                                                  sort=order))
    text = base.mark_text(dy=-7, fontSize=11).encode(text=alt.Text("share:Q", format=".0%"))
    return (bars + text).properties(height=350)


def satisfaction_chart(dist: pd.DataFrame, *, score_title: str, count_title: str, share_title: str) -> alt.Chart:
    """Respondents per satisfaction point."""
    base = alt.Chart(dist).encode(
        x=alt.X("score:O", title=score_title, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("respondents:Q", title=count_title),
        tooltip=[alt.Tooltip("score:O", title=score_title),
                 alt.Tooltip("respondents:Q", title=count_title, format=","),
                 alt.Tooltip("share:Q", title=share_title, format=".1%")],
    )
    bars = base.mark_bar(color="#5D8AA8")
    text = base.mark_text(dy=-7, fontSize=11).encode(text=alt.Text("share:Q", format=".0%"))
    return (bars + text).properties(height=280)


def nps_shares_bars(table: pd.DataFrame, category_labels: dict[str, str], *, group_title: str,
                    share_title: str, category_title: str) -> alt.Chart:
    """Stacked horizontal bars: promoter / passive / detractor shares per group (label column "label")."""
    rows = []
    for _, r in table.iterrows():
        for cat in ("promoter", "passive", "detractor"):
            rows.append({"group": r["label"], "category": category_labels[cat],
                         "share": float(r[f"{cat}_share"]) if pd.notna(r[f"{cat}_share"]) else 0.0,
                         "order": ("promoter", "passive", "detractor").index(cat)})
    data = pd.DataFrame(rows)
    order = [category_labels[k] for k in ("promoter", "passive", "detractor")]
    scale = alt.Scale(domain=order, range=[NPS_COLORS[k] for k in ("promoter", "passive", "detractor")])
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y("group:N", title=None, sort=list(table["label"])),
        x=alt.X("share:Q", title=share_title, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("category:N", title=category_title, scale=scale, sort=order),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("group:N", title=group_title), alt.Tooltip("category:N", title=category_title),
                 alt.Tooltip("share:Q", title=share_title, format=".1%")],
    ).properties(height=alt.Step(30))


def nps_rfm_heatmap(matrix: pd.DataFrame, category_labels: dict[str, str], *, f_title: str,
                    category_title: str, count_title: str) -> alt.Chart:
    """Customers by F score (rows, 5 at the top) × NPS category (columns)."""
    data = matrix.stack().rename("count").reset_index()
    data.columns = ["f", "category", "count"]
    data["category"] = data["category"].map(category_labels)
    order = [category_labels[k] for k in matrix.columns]
    base = alt.Chart(data).encode(
        x=alt.X("category:N", title=category_title, sort=order,
                axis=alt.Axis(labelAngle=0, orient="top", labelOverlap=False, labelLimit=160)),
        y=alt.Y("f:O", title=f_title, sort="descending"),
    )
    rect = base.mark_rect().encode(
        color=alt.Color("count:Q", title=count_title, scale=alt.Scale(scheme="purples")),
        tooltip=[alt.Tooltip("f:O", title=f_title), alt.Tooltip("category:N", title=category_title),
                 alt.Tooltip("count:Q", title=count_title, format=",")])
    top = float(data["count"].max()) or 1.0
    text = base.mark_text(fontSize=12).encode(
        text=alt.Text("count:Q", format=","),
        color=alt.condition(alt.datum.count > top * 0.6, alt.value("white"), alt.value("#333")))
    return (rect + text).properties(height=alt.Step(34))


def retention_lines(table: pd.DataFrame, *, period_title: str, rate_title: str, retention_label: str,
                    churn_label: str, measure_title: str) -> alt.Chart:
    """Retention and churn per period (complete periods with a previous period)."""
    ok = table[table["complete"] & (table["start_customers"] > 0)]
    data = pd.concat([
        pd.DataFrame({"period": ok["period"], "measure": retention_label, "rate": ok["retention_rate"],
                      "start": ok["start_customers"], "kept": ok["retained"]}),
        pd.DataFrame({"period": ok["period"], "measure": churn_label, "rate": ok["churn_rate"],
                      "start": ok["start_customers"], "kept": ok["retained"]}),
    ])
    scale = alt.Scale(domain=[retention_label, churn_label], range=[PREDICTED_COLOR, "#CB4335"])
    n = len(ok)
    step = max(1, int(np.ceil(n / 12)))
    labels = list(ok["period"])
    shown = labels[::step]
    return alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("period:O", title=period_title, sort=labels,
                axis=alt.Axis(labelAngle=0, values=shown)),
        y=alt.Y("rate:Q", title=rate_title, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("measure:N", title=measure_title, scale=scale),
        tooltip=[alt.Tooltip("period:O", title=period_title), alt.Tooltip("measure:N", title=measure_title),
                 alt.Tooltip("rate:Q", title=rate_title, format=".1%")],
    ).properties(height=380)


def cohort_heatmap(table: cohorts.CohortTable, *, cohort_title: str, k_title: str, share_title: str,
                   size_title: str, active_title: str) -> alt.Chart:
    """Cohorts (rows, oldest at the top) × periods since the first purchase (columns), share still buying.

    The colour scale runs from 0 to the largest share after the first period, so
    the always-100% first column does not wash out the rest.
    """
    data = table.long()
    later = data.loc[data["k"] > 0, "share"]
    top = float(later.max()) if len(later) and later.max() > 0 else 1.0
    cohorts_order = list(table.shares.index)
    ks = sorted(data["k"].unique())
    step = max(1, int(np.ceil(len(ks) / 18)))
    base = alt.Chart(data).encode(
        x=alt.X("k:O", title=k_title, axis=alt.Axis(labelAngle=0, values=ks[::step])),
        y=alt.Y("cohort:O", title=cohort_title, sort=cohorts_order),
    )
    rect = base.mark_rect().encode(
        color=alt.Color("share:Q", title=share_title, scale=alt.Scale(scheme="blues", domain=[0, top], clamp=True),
                        legend=alt.Legend(format="%")),
        tooltip=[alt.Tooltip("cohort:O", title=cohort_title), alt.Tooltip("k:O", title=k_title),
                 alt.Tooltip("customers:Q", title=size_title, format=","),
                 alt.Tooltip("active:Q", title=active_title, format=","),
                 alt.Tooltip("share:Q", title=share_title, format=".1%")])
    layers = rect
    if len(cohorts_order) <= 15 and len(ks) <= 15:
        layers = rect + base.mark_text(fontSize=10).encode(
            text=alt.Text("share:Q", format=".0%"),
            color=alt.condition(alt.datum.share > top * 0.6, alt.value("white"), alt.value("#333")))
    return layers.properties(height=alt.Step(18 if len(cohorts_order) <= 40 else 12))


def days_bars(dist: pd.DataFrame, band_labels: list[str], *, band_title: str, count_title: str,
              share_title: str, cumulative_title: str) -> alt.Chart:
    """Repeaters per band of days to the second purchase, cumulative share in the tooltip."""
    data = dist.assign(band=band_labels)
    base = alt.Chart(data).encode(
        x=alt.X("band:N", title=band_title, sort=band_labels, axis=alt.Axis(labelAngle=0, labelOverlap=False)),
        y=alt.Y("customers:Q", title=count_title),
        tooltip=[alt.Tooltip("band:N", title=band_title), alt.Tooltip("customers:Q", title=count_title, format=","),
                 alt.Tooltip("share:Q", title=share_title, format=".1%"),
                 alt.Tooltip("cumulative_share:Q", title=cumulative_title, format=".1%")],
    )
    bars = base.mark_bar(color="#5D8AA8")
    text = base.mark_text(dy=-7, fontSize=11).encode(text=alt.Text("share:Q", format=".0%"))
    return (bars + text).properties(height=260)


def f2_cohort_bars(table: pd.DataFrame, *, cohort_title: str, rate_title: str, eligible_title: str,
                   converted_title: str) -> alt.Chart:
    """F2 rate per first-purchase period (only cohorts whose every customer is eligible)."""
    data = table[table["complete"]]
    labels = list(data["period"])
    step = max(1, int(np.ceil(len(labels) / 12)))
    return alt.Chart(data).mark_bar(color=ACCENT).encode(
        x=alt.X("period:O", title=cohort_title, sort=labels, axis=alt.Axis(labelAngle=0, values=labels[::step])),
        y=alt.Y("rate:Q", title=rate_title, axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("period:O", title=cohort_title), alt.Tooltip("rate:Q", title=rate_title, format=".1%"),
                 alt.Tooltip("eligible:Q", title=eligible_title, format=","),
                 alt.Tooltip("converted:Q", title=converted_title, format=",")],
    ).properties(height=260)


def pareto_chart(curve: pd.DataFrame, fraction: float, share: float, *, customers_title: str,
                 revenue_title: str, even_label: str) -> alt.Chart:
    """The cumulative revenue curve, the line of equal shares, and the chosen point."""
    line = alt.Chart(curve).mark_area(line={"color": ACCENT}, color=ACCENT,
                                      opacity=0.15).encode(
        x=alt.X("customer_share:Q", title=customers_title, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("revenue_share:Q", title=revenue_title, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("customer_share:Q", title=customers_title, format=".1%"),
                 alt.Tooltip("revenue_share:Q", title=revenue_title, format=".1%")],
    )
    even = alt.Chart(pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0], "label": [even_label] * 2})).mark_line(
        strokeDash=[4, 4], color="#999").encode(x="x:Q", y="y:Q")
    pt = pd.DataFrame({"x": [fraction], "y": [share], "text": [f"{fraction:.0%} → {share:.1%}"]})
    rules = alt.Chart(pt).mark_rule(strokeDash=[6, 3], color=ACCENT).encode(x="x:Q")
    dot = alt.Chart(pt).mark_point(filled=True, size=90, color=ACCENT).encode(x="x:Q", y="y:Q")
    text = alt.Chart(pt).mark_text(align="left", dx=8, dy=12, fontSize=13, fontWeight="bold",
                                   color=ACCENT).encode(x="x:Q", y="y:Q", text="text:N")
    return (line + even + rules + dot + text).properties(height=400)


def group_bars(summary: pd.DataFrame, labels: dict[str, str], colors: dict[str, str], *, value_col: str,
               value_title: str, group_title: str, fmt: str = ",") -> alt.Chart:
    """Horizontal bars of one value per group key, each key in its own colour."""
    keys = list(summary.index)
    data = pd.DataFrame({"group": [labels[k] for k in keys],
                         "value": summary[value_col].astype(float).fillna(0).to_numpy()})
    scale = alt.Scale(domain=[labels[k] for k in keys], range=[colors.get(k, "#BDC3C7") for k in keys])
    base = alt.Chart(data).encode(
        y=alt.Y("group:N", title=None, sort=[labels[k] for k in keys], axis=alt.Axis(labelLimit=220)),
        x=alt.X("value:Q", title=value_title),
        tooltip=[alt.Tooltip("group:N", title=group_title), alt.Tooltip("value:Q", title=value_title, format=fmt)],
    )
    bars = base.mark_bar().encode(color=alt.Color("group:N", scale=scale, legend=None))
    text = base.mark_text(align="left", dx=4, fontSize=11).encode(text=alt.Text("value:Q", format=fmt))
    return (bars + text).properties(height=alt.Step(30))

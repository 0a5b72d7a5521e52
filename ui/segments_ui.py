"""Parts of the segments page: the customer list's filter, a customer's score breakdown,
repeaters vs loyal."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from loyalty import export
from loyalty.fmt import format_int, format_pct
from loyalty.repeaters import RepeaterRules, find_groups
from ui import state
from ui.components import download_button
from loyalty.fmt import format_yen
from ui.theme import ACCENT

t = state.t


# the customer list on screen: what fits the page; the downloads carry every column (R/F/M scores too)
ON_SCREEN_COLUMNS = ("customer_id", "tier_label", "rfm_segment_label", "loyalty_score", "recency_days", "frequency",
                     "monetary", "ltv", "last_order")
ALL = "all"  # the filters' key for "no filter"


def filter_customers(table: pd.DataFrame, tier: str = ALL, segment: str = ALL, query: str = "") -> pd.DataFrame:
    """The customer list filtered as the page's three filters say, highest loyalty score first.

    Args:
        table: :func:`loyalty.summary.customer_table` (columns customer_id, tier,
            rfm_segment, loyalty_score, …).
        tier: a tier key, or ``ALL``.
        segment: a segment key, or ``ALL``.
        query: text the customer id must contain (as written, spaces around it
            ignored; empty: every id).

    Returns:
        The matching rows, sorted by loyalty score descending (ties keep the table's order).
    """
    view = table
    if tier != ALL:
        view = view[view["tier"] == tier]
    if segment != ALL:
        view = view[view["rfm_segment"] == segment]
    if query.strip():
        view = view[view["customer_id"].str.contains(query.strip(), regex=False, na=False)]
    return view.sort_values("loyalty_score", ascending=False, kind="stable")


def on_screen(view: pd.DataFrame, max_rows: int) -> tuple[pd.DataFrame, bool]:
    """The columns and rows of the customer list shown on screen.

    Args:
        view: the filtered list (:func:`filter_customers`).
        max_rows: the most rows shown.

    Returns:
        ``(shown, truncated)``: the ``ON_SCREEN_COLUMNS`` the list has, its first
        ``max_rows`` rows, and whether rows were left off.
    """
    shown = view[[c for c in ON_SCREEN_COLUMNS if c in view.columns]]
    return shown.head(max_rows), len(shown) > max_rows


_YEN = {"monetary", "aov", "annual_contract_value"}
_UNITS = {"recency": "bd.unit.days", "frequency": "bd.unit.orders", "tenure": "bd.unit.years",
          "contract_years": "bd.unit.years", "email_open_rate": "bd.unit.percent",
          "email_click_rate": "bd.unit.percent", "discount_share": "bd.unit.share"}


def _value_text(factor: str, value) -> str:
    """A factor's raw value as a marketer reads it (¥, 日, 回, %)."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if isinstance(value, str):
        return value
    if factor in _YEN:
        return format_yen(value)
    if factor == "discount_share":
        return f"{float(value) * 100:.0f}%"
    key = _UNITS.get(factor)
    number = f"{float(value):,.1f}".rstrip("0").rstrip(".")
    return t(key, value=number) if key else number


def breakdown(bd: pd.DataFrame, score: float, tier_label: str) -> None:
    """Draw one customer's points per factor (table and bars)."""
    view = bd.copy()
    view["label"] = [t(f"factor.{k}") for k in view["factor"]]
    left, right = st.columns([2, 3])
    with left:
        st.metric(t("bd.score"), f"{score:.1f}", help=t("bd.score_help"))
        st.caption(t("bd.tier", tier=tier_label))
        table = pd.DataFrame({
            t("wb.factor"): view["label"],
            t("bd.value"): [_value_text(k, v) for k, v in zip(view["factor"], view["value"])],
            t("bd.score_col"): ["—" if pd.isna(v) else f"{v:.0f}" for v in view["score"]],
            t("bd.weight"): [f"{w:.1f}" for w in view["weight"]],
            t("bd.points"): [f"{p:.1f}" for p in view["points"]],
        })
        st.dataframe(table, hide_index=True, width="stretch")
    with right:
        chart = alt.Chart(view).mark_bar(color=ACCENT).encode(
            x=alt.X("points:Q", title=t("bd.points"), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("label:N", title=None, sort=None, axis=alt.Axis(labelLimit=240)),
            tooltip=[alt.Tooltip("label:N", title=t("wb.factor")),
                     alt.Tooltip("points:Q", title=t("bd.points"), format=".1f")],
        ).properties(height=34 * len(view) + 30)
        st.altair_chart(chart, width="stretch")


def repeaters_tab(features: pd.DataFrame, scored: pd.DataFrame, tier_labels: dict[str, str]) -> None:
    """Price-driven repeaters and loyal-in-waiting customers, with editable thresholds."""
    st.caption(t("rep.help"))
    base = RepeaterRules()
    with st.expander(t("rep.thresholds")):
        c1, c2, c3 = st.columns(3)
        min_orders = c1.number_input(t("rep.min_orders"), 1, 100, base.min_orders, key="rep_min_orders",
                                     help=t("polish.help.rep_min_orders"))
        min_disc = c2.slider(t("rep.min_discount"), 0.0, 1.0, base.min_discount_share, 0.05, key="rep_min_disc",
                             help=t("polish.help.rep_min_discount"))
        max_nps = c3.slider(t("rep.max_nps"), 0, 10, int(base.max_nps), key="rep_max_nps",
                             help=t("polish.help.rep_max_nps"))
        c1, c2, c3 = st.columns(3)
        high_eng = c1.slider(t("rep.high_engagement"), 0.0, 1.0, base.high_engagement, 0.01, key="rep_high_eng",
                             help=t("rep.engagement_help"))
        max_orders = c2.number_input(t("rep.max_orders"), 0, 100, base.max_orders, key="rep_max_orders",
                                     help=t("polish.help.rep_max_orders"))
        min_nps = c3.slider(t("rep.min_nps"), 0, 10, int(base.min_nps), key="rep_min_nps",
                             help=t("polish.help.rep_min_nps"))
    rules = RepeaterRules(min_orders=int(min_orders), min_discount_share=float(min_disc), max_nps=float(max_nps),
                          low_engagement=base.low_engagement, high_engagement=float(high_eng),
                          max_orders=int(max_orders), min_nps=float(min_nps))
    groups = find_groups(features, rules)
    if not groups.available["discount"]:
        st.info(t("rep.no_discount"))
    if not groups.available["engagement"]:
        st.info(t("rep.no_engagement"))
    frame = groups.frame.join(scored[["loyalty_score", "tier"]])
    n = len(frame)
    c1, c2 = st.columns(2)
    for col, flag, key in ((c1, "price_driven", "price"), (c2, "loyal_in_waiting", "waiting")):
        members = frame[frame[flag]]
        with col.container(border=True):
            st.markdown(f"**{t(f'rep.{key}.title')}**")
            st.caption(t(f"rep.{key}.rule"))
            st.metric(t("col.customers"), format_int(len(members)),
                      help=t("rep.share", share=format_pct(len(members) / n if n else 0)))
            top_share = (members["tier"].astype("str") == "top").mean() if len(members) else 0.0
            st.caption(t("rep.in_top", tier=tier_labels["top"], share=format_pct(top_share)))
            listing = pd.DataFrame({
                "customer_id": members.index,
                "tier_label": members["tier"].astype("str").map(tier_labels).to_numpy(),
                "loyalty_score": members["loyalty_score"].round(1).to_numpy(),
                "frequency": members["frequency"].to_numpy(),
                "discount_share": members["discount_share"].to_numpy(),
                "engagement_index": members["engagement_index"].round(2).to_numpy(),
                "nps": members["nps"].to_numpy(),
            }).sort_values("loyalty_score", ascending=False)
            st.dataframe(listing.head(300).rename(columns=lambda c: t(f"rep.col.{c}")), hide_index=True,
                         width="stretch", height=260)
            # the sheet is described here, in the script run; the click only writes it
            sheet = export.Sheet(t(f"rep.{key}.sheet"), listing.rename(columns=lambda c: t(f"rep.col.{c}")),
                                 kinds={t("rep.col.customer_id"): "text", t("rep.col.discount_share"): "pct"})
            download_button(t("rep.download"), key=f"dl_rep_{key}", on_click="ignore",
                            data=lambda sheet=sheet: export.excel_bytes([sheet]),
                            file_name=f"loyalty_{key}.xlsx", icon=":material/download:",
                            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

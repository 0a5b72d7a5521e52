"""Altair charts.  Data is aggregated before drawing (a few dozen rows at most),
axis labels stay horizontal, and each tier keeps its colour everywhere.

Chart heights given here are the whole chart's (Streamlit fits axes and legend
inside), so they leave room for the legend under the plot."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ui.theme import ACCENT, DATE_FORMAT, TIER_COLORS, YEN_FORMAT, segment_scale, tier_scale

BAR_STEP = 26  # px per bar in horizontal bar charts: every label fits


def yen_axis(title: str | None = None, **kw) -> alt.Axis:
    """An axis of yen amounts (¥1,234) with horizontal labels."""
    return alt.Axis(title=title, format=YEN_FORMAT, labelAngle=0, **kw)


def date_axis(title: str | None = None, **kw) -> alt.Axis:
    """An axis of dates shown as YYYY/MM/DD with horizontal labels."""
    return alt.Axis(title=title, format=DATE_FORMAT, labelAngle=0, **kw)


def tier_share_bars(summary: pd.DataFrame, labels: dict[str, str], *, customers_label: str,
                    revenue_label: str, share_label: str, tier_label: str) -> alt.Chart:
    """Customer share and revenue share side by side, per tier."""
    rows = []
    for key, row in summary.iterrows():
        rows.append({"tier": labels[key], "measure": customers_label, "share": float(row["customer_share"] or 0),
                     "count": int(row["customers"])})
        rows.append({"tier": labels[key], "measure": revenue_label, "share": float(row["revenue_share"] or 0),
                     "count": int(row["customers"])})
    data = pd.DataFrame(rows)
    base = alt.Chart(data).encode(
        x=alt.X("measure:N", title=None, axis=alt.Axis(labelAngle=0, labelLimit=0, labelFontSize=13),
                sort=[customers_label, revenue_label]),
        xOffset=alt.XOffset("tier:N", sort=[labels[k] for k in ("top", "middle", "low")]),
        y=alt.Y("share:Q", title=share_label, axis=alt.Axis(format="%")),
        color=alt.Color("tier:N", title=tier_label, scale=tier_scale(labels)),
        tooltip=[alt.Tooltip("tier:N", title=tier_label), alt.Tooltip("measure:N", title=" "),
                 alt.Tooltip("share:Q", title=share_label, format=".1%")],
    )
    bars = base.mark_bar(cornerRadiusTopLeft=2, cornerRadiusTopRight=2)
    text = base.mark_text(dy=-7, fontSize=11, color="#333").encode(text=alt.Text("share:Q", format=".1%"))
    return (bars + text).properties(height=340)


def segment_bars(summary: pd.DataFrame, labels: dict[str, str], *, customers_label: str,
                 revenue_share_label: str, segment_label: str) -> alt.Chart:
    """Horizontal bars of customers per named segment, revenue share as text."""
    data = pd.DataFrame({
        "segment": [labels.get(k, k) for k in summary.index],
        "customers": summary["customers"].to_numpy(),
        "revenue_share": summary["revenue_share"].fillna(0).to_numpy(),
    })
    data = data[data["customers"] > 0]
    order = list(data["segment"])
    base = alt.Chart(data).encode(
        y=alt.Y("segment:N", sort=order, title=None, axis=alt.Axis(labelLimit=0, labelFontSize=12)),
        x=alt.X("customers:Q", title=customers_label, axis=alt.Axis(format=",d", tickMinStep=1)),
        tooltip=[alt.Tooltip("segment:N", title=segment_label),
                 alt.Tooltip("customers:Q", title=customers_label, format=","),
                 alt.Tooltip("revenue_share:Q", title=revenue_share_label, format=".1%")],
    )
    bars = base.mark_bar(height={"band": 0.75}).encode(color=alt.Color("segment:N", scale=segment_scale(
        {k: labels.get(k, k) for k in summary.index}), legend=None))
    text = base.mark_text(align="left", dx=4, fontSize=11, color="#333").encode(
        text=alt.Text("revenue_share:Q", format=".1%"))
    return (bars + text).properties(height=alt.Step(BAR_STEP))


def rf_heatmap(matrix: pd.DataFrame, *, r_label: str, f_label: str, count_label: str) -> alt.Chart:
    """R (rows, 5 at the top) × F (columns) customer counts."""
    data = matrix.stack().rename("count").reset_index()
    data.columns = ["r", "f", "count"]
    base = alt.Chart(data).encode(
        x=alt.X("f:O", title=f_label, axis=alt.Axis(labelAngle=0, orient="bottom")),
        y=alt.Y("r:O", title=r_label, sort="descending"),
    )
    rect = base.mark_rect().encode(
        color=alt.Color("count:Q", title=count_label, scale=alt.Scale(scheme="blues")),
        tooltip=[alt.Tooltip("r:O", title=r_label), alt.Tooltip("f:O", title=f_label),
                 alt.Tooltip("count:Q", title=count_label, format=",")])
    text = base.mark_text(fontSize=12).encode(
        text=alt.Text("count:Q", format=","),
        color=alt.condition(alt.datum.count > float(data["count"].max()) * 0.6, alt.value("white"),
                            alt.value("#333")))
    return (rect + text).properties(height=300)


def score_histogram(scores: np.ndarray, cutoffs: dict[str, float], labels: dict[str, str], *,
                    score_label: str, count_label: str, tier_label: str) -> alt.Chart:
    """Loyalty-score histogram (bins of 5 points, coloured by tier) with the cut-offs drawn."""
    s = np.asarray(scores, dtype=float)
    s = s[~np.isnan(s)]
    edges = np.arange(0, 105, 5, dtype=float)
    idx = np.clip(np.floor(s / 5).astype(int), 0, 19)
    counts = np.bincount(idx, minlength=20)
    lows = edges[:-1]
    mids = lows + 2.5
    # a bin is coloured by the tier of its midpoint
    tiers = np.where(mids >= cutoffs["top"], "top", np.where(mids >= cutoffs["middle"], "middle", "low"))
    data = pd.DataFrame({"low": lows, "high": lows + 5, "count": counts,
                         "tier": [labels[k] for k in tiers]})
    bars = alt.Chart(data).mark_bar(stroke="white").encode(
        x=alt.X("low:Q", bin="binned", title=score_label, scale=alt.Scale(domain=[0, 100]),
                axis=alt.Axis(labelAngle=0)),
        x2="high:Q",
        y=alt.Y("count:Q", title=count_label, axis=alt.Axis(format=",d", tickMinStep=1)),
        color=alt.Color("tier:N", title=tier_label, scale=tier_scale(labels)),
        tooltip=[alt.Tooltip("low:Q", title=score_label), alt.Tooltip("count:Q", title=count_label, format=",")],
    )
    rules = pd.DataFrame({"x": [cutoffs["middle"], cutoffs["top"]],
                          "color": [TIER_COLORS["middle"], TIER_COLORS["top"]],
                          "label": [f"{cutoffs['middle']:g}", f"{cutoffs['top']:g}"]})
    rule = alt.Chart(rules).mark_rule(strokeDash=[6, 3], size=2).encode(
        x="x:Q", color=alt.Color("color:N", scale=None))
    text = alt.Chart(rules).mark_text(dy=-8, dx=4, align="left", fontWeight="bold").encode(
        x="x:Q", y=alt.value(0), text="label:N", color=alt.Color("color:N", scale=None))
    return (bars + rule + text).properties(height=340)


def weight_bars(weights: dict[str, float], labels: dict[str, str], *, weight_title: str,
                factor_title: str) -> alt.LayerChart:
    """The weights used, one labelled bar per factor on a 0–100 axis, in the weights' order.

    Args:
        weights: factor key -> weight (summing to 100).
        labels: factor key -> its name.
        weight_title: the axis (and tooltip) title of weights.
        factor_title: the tooltip title of factor names.
    """
    data = pd.DataFrame({"factor": [labels[k] for k in weights], "weight": list(weights.values())})
    base = alt.Chart(data).encode(
        x=alt.X("weight:Q", title=weight_title, scale=alt.Scale(domain=[0, 100]),
                axis=alt.Axis(labelAngle=0, grid=False)),
        y=alt.Y("factor:N", title=None, sort=None, axis=alt.Axis(labelLimit=260)),
        tooltip=[alt.Tooltip("factor:N", title=factor_title),
                 alt.Tooltip("weight:Q", format=".1f", title=weight_title)])
    bars = base.mark_bar(color=ACCENT, height=18)
    text = base.mark_text(align="left", dx=4).encode(text=alt.Text("weight:Q", format=".0f"))
    return (bars + text).properties(height=36 * len(data) + 40)

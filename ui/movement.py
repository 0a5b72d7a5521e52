"""Streamlit helpers of the 推移 page: the cached movement, and its two charts.

The movement goes through :mod:`loyalty.movement` (the same calls as ``python -m
loyalty movement``), cached with ``st.cache_resource`` (the cached objects are never
mutated): the arranged lines (:class:`loyalty.movement.Timeline`) once per data set,
the tiers at every period end per data set, definition and period choice, and the
scores at one period end (for the lists) likewise.

The flow chart is an alluvial diagram drawn with Vega-Lite: at each period end a
stacked bar per tier, and between two period ends one band per (tier before, tier
after) whose height is the number of customers; customers who were not yet customers
enter as blue bands from a "new" bar under the previous period end.
"""

from __future__ import annotations

from datetime import date

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from loyalty import movement as mv
from loyalty.definition import TIER_KEYS, Definition
from loyalty.features import Features
from loyalty.fmt import format_date
from loyalty.pipeline import Dataset
from loyalty.scoring import ScoreResult
from ui import state
from ui.theme import TIER_COLORS

#: Period ends the page offers per period length: (default, most).
PERIOD_CHOICES = {"month": (12, 36), "week": (12, 52), "quarter": (8, 16)}
NEW = "new"  # the flow chart's source of customers who were not yet customers
BAR_WIDTH = 0.22  # of the distance between two period ends
BAND_STEPS = np.array([0.0, 0.04, 0.96, 1.0])  # where a band's four points lie between two bars
GAP = 0.03  # space between two bars of one period end, as a share of the tallest stack
MAX_COUNT_LABELS = 16  # top-tier counts written above the stacks at most (more would overlap)
MAX_AXIS_LABELS = 12  # period labels under the chart at most
NEW_COLOR = "#7FA7CF"  # new customers: not a tier colour, and apart from the low tier's grey


@st.cache_resource(show_spinner=False, max_entries=4)
def _timeline(key: str, _dataset: Dataset) -> mv.Timeline:
    return mv.Timeline(_dataset.transactions, _dataset.customers)


@st.cache_resource(show_spinner=False, max_entries=8)
def _movement(key: str, definition_json: str, every: str, count: int, _dataset: Dataset,
              _definition: Definition) -> mv.Movement:
    periods = mv.data_period_ends(_dataset.transactions, _definition.as_of, every, count)
    return mv.compute(_timeline(key, _dataset), _definition, periods, every)


@st.cache_resource(show_spinner=False, max_entries=8)
def _scores_at(key: str, definition_json: str, as_of: date, _dataset: Dataset,
               _definition: Definition) -> tuple[Features, ScoreResult]:
    return mv.scores_at(_timeline(key, _dataset), _definition, as_of)


def timeline() -> mv.Timeline:
    """The arranged lines of the data in use (cached per data set).

    Raises:
        LoyaltyError: the data cannot be read or has no usable line.
    """
    return _timeline(state.dataset_key(), state.dataset())


def movement(every: str, count: int) -> mv.Movement:
    """Tiers at the last ``count`` period ends under the working definition (cached).

    Raises:
        LoyaltyError: the data cannot be read, or has no line before the period ends.
    """
    d = state.definition()
    return _movement(state.dataset_key(), d.to_json(), every, int(count), state.dataset(), d)


def scores_at(as_of: date) -> tuple[Features, ScoreResult]:
    """Features and scores at one period end under the working definition (cached)."""
    d = state.definition()
    return _scores_at(state.dataset_key(), d.to_json(), as_of, state.dataset(), d)


def period_label(period: mv.PeriodEnd, every: str) -> str:
    """A period end as the axis shows it: ``2011/11`` for a month end, else the date."""
    if every == "month" and not period.partial:
        return period.as_of.strftime("%Y/%m")
    return format_date(period.as_of)


def transition_label(m: mv.Movement, k: int) -> str:
    """"2011/11/30 → 2011/12/09（途中）" for the step into period end ``k``."""
    before, after = m.periods[k - 1], m.periods[k]
    text = f"{format_date(before.as_of)} → {format_date(after.as_of)}"
    return text + state.t("movement.partial_suffix") if after.partial else text


# ------------------------------------------------------------------------ the line charts


def trend_charts(m: mv.Movement, *, count_title: str, share_title: str, date_title: str,
                 partial_title: str) -> tuple[alt.Chart, alt.Chart]:
    """The top tier's customers and its revenue share at every period end (two panels).

    A partial last period is drawn as an open circle.

    Returns:
        ``(customers chart, revenue share chart)``.
    """
    s = m.summary
    ticks = [period_label(p, m.every) for p in m.periods]
    data = pd.DataFrame({"period": ticks, "as_of": [format_date(p.as_of) for p in m.periods], "top": s["top"],
                         "share": s["revenue_share_top"].fillna(0.0),
                         "partial": np.where(s["partial"], partial_title, ""), "last": np.arange(len(s)) == len(s) - 1})
    # the period ends as the flow chart names them (a month end is its month), evenly spaced
    x = alt.X("period:O", title=date_title, sort=ticks,
              axis=alt.Axis(labelAngle=0, values=[ticks[k] for k in _every_nth(len(ticks), MAX_AXIS_LABELS // 2)]))
    tip = [alt.Tooltip("as_of:N", title=date_title), alt.Tooltip("partial:N", title=" ")]

    def panel(field: str, title: str, axis_format: str, tip_format: str) -> alt.Chart:
        base = alt.Chart(data).encode(x=x, y=alt.Y(f"{field}:Q", title=title, axis=alt.Axis(format=axis_format)),
                                      tooltip=[*tip, alt.Tooltip(f"{field}:Q", title=title, format=tip_format)])
        line = base.mark_line(color=TIER_COLORS["top"], strokeWidth=2.5)
        full = base.transform_filter(alt.datum.partial == "").mark_point(filled=True, size=60, color=TIER_COLORS["top"])
        part = base.transform_filter(alt.datum.partial != "").mark_point(filled=False, size=90, strokeWidth=2,
                                                                        color=TIER_COLORS["top"])
        last = base.transform_filter(alt.datum.last).mark_text(align="left", dx=8, fontSize=12, color="#333").encode(
            text=alt.Text(f"{field}:Q", format=tip_format))
        return (line + full + part + last).properties(height=300)

    return panel("top", count_title, ",d", ","), panel("share", share_title, "%", ".1%")


# ------------------------------------------------------------------------- the flow chart


def _chart_flows(m: mv.Movement) -> list[dict]:
    """The flows the chart draws: into a tier only, "not yet" renamed "new"."""
    step = {p.as_of: k for k, p in enumerate(m.periods)}
    return [{"k": step[f["to_as_of"]], "source": NEW if f["from"] == mv.NOT_YET else f["from"], "target": f["to"],
             "customers": int(f["customers"])} for f in m.flows().to_dict("records") if f["to"] != mv.NOT_YET]


def flow_layout(m: mv.Movement) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Where the flow chart draws its bars and bands (x = period index, y = customers from the top).

    At each period end the tiers are stacked top → low with a small gap; under the
    stack of period end k − 1 a "new" bar holds the customers who enter at period end
    k.  A band leaves its source bar in the order of the target tiers and reaches its
    target bar in the order of the source states, so bands never overlap inside a bar
    and each bar is exactly filled by what leaves it and by what reaches it.

    Args:
        m: the movement.

    Returns:
        ``(bars, bands)``: bars with ``k``, ``state`` (tier key or ``new``), ``customers``,
        ``y0``, ``y1``; bands with ``band`` (an id), ``k`` (the period end reached),
        ``source``, ``target``, ``customers``, ``x``, ``y0``, ``y1`` (four points per band:
        level at both ends, so a monotone curve through them is an S).
    """
    flows = _chart_flows(m)
    counts = m.summary[list(TIER_KEYS)].to_numpy()
    entering: dict[int, int] = {}
    for f in flows:
        if f["source"] == NEW:
            entering[f["k"]] = entering.get(f["k"], 0) + f["customers"]
    gap = GAP * max([int(row.sum()) + entering.get(k + 1, 0) for k, row in enumerate(counts)] + [1])
    bars, top_of = [], {}
    for k, row in enumerate(counts):
        y = 0.0
        for key, n in [*zip(TIER_KEYS, row.tolist()), (NEW, entering.get(k + 1, 0))]:
            if n:
                bars.append({"k": k, "state": key, "customers": int(n), "y0": y, "y1": y + n})
                top_of[(k, key)] = y
                y += n + gap
    rank = {key: i for i, key in enumerate((*TIER_KEYS, NEW))}
    leave = _offsets(flows, top_of, lambda f: (f["k"] - 1, f["source"]),
                     lambda f: (rank[f["source"]], rank[f["target"]]))
    arrive = _offsets(flows, top_of, lambda f: (f["k"], f["target"]),
                      lambda f: (rank[f["target"]], rank[f["source"]]))
    rows = []
    for i, f in enumerate(flows):
        x0, x1 = f["k"] - 1 + BAR_WIDTH / 2, f["k"] - BAR_WIDTH / 2
        # level where it leaves and where it arrives; the chart's monotone interpolation
        # draws the S-curve between (a cubic with level ends: smoothstep)
        for x, y in zip(x0 + (x1 - x0) * BAND_STEPS, (leave[i], leave[i], arrive[i], arrive[i])):
            rows.append({"band": i, **f, "x": float(x), "y0": float(y), "y1": float(y) + f["customers"]})
    columns = ["band", "k", "source", "target", "customers", "x", "y0", "y1"]
    return (pd.DataFrame(bars, columns=["k", "state", "customers", "y0", "y1"]), pd.DataFrame(rows, columns=columns))


def _offsets(flows: list[dict], top_of: dict, bar_of, order) -> list[float]:
    """Where each flow starts inside its bar: flows of one bar stacked in ``order``."""
    used: dict = {}
    out = [0.0] * len(flows)
    for i in sorted(range(len(flows)), key=lambda i: (flows[i]["k"], *order(flows[i]))):
        bar = bar_of(flows[i])
        out[i] = top_of[bar] + used.get(bar, 0)
        used[bar] = used.get(bar, 0) + flows[i]["customers"]
    return out


def _every_nth(n: int, most: int) -> list[int]:
    """At most ``most`` of the indexes 0 … n − 1, evenly spaced, the last one always."""
    step = -(-n // most)
    return [k for k in range(n) if (n - 1 - k) % step == 0]


def flow_chart(m: mv.Movement, labels: dict[str, str], *, new_label: str, customers_title: str,
               from_title: str, to_title: str, period_title: str) -> alt.Chart:
    """The alluvial chart of customers between tiers from one period end to the next.

    Args:
        m: the movement.
        labels: tier key -> name.
        new_label: the name of the "new customers" bars.
        customers_title, from_title, to_title, period_title: tooltip titles.

    Returns:
        The chart (bars, bands, and the top tier's count above each stack).
    """
    bars, bands = flow_layout(m)
    names = {**labels, NEW: new_label}
    ticks = [period_label(p, m.every) for p in m.periods]
    full = [format_date(p.as_of) for p in m.periods]
    bars = bars.assign(label=bars["state"].map(names), x0=bars["k"] - BAR_WIDTH / 2, x1=bars["k"] + BAR_WIDTH / 2,
                       period=bars["k"].map(lambda k: full[k]))
    bands = bands.assign(source_label=bands["source"].map(names), target_label=bands["target"].map(names),
                         period=bands["k"].map(lambda k: f"{full[k - 1]} → {full[k]}"))
    tallest = float(bars["y1"].max()) if len(bars) else 1.0
    y = alt.Scale(domain=[-0.07 * tallest, tallest], reverse=True, nice=False, zero=False)
    x = alt.Scale(domain=[-0.5, len(m.periods) - 0.5], nice=False, zero=False)
    color = alt.Scale(domain=[names[k] for k in (*TIER_KEYS, NEW)],
                      range=[TIER_COLORS[k] for k in TIER_KEYS] + [NEW_COLOR])
    legend = alt.Legend(orient="bottom", symbolType="square", symbolOpacity=1)
    labels_expr = "[" + ",".join(f"'{tick}'" for tick in ticks) + "][datum.value]"
    axis = alt.Axis(values=_every_nth(len(m.periods), MAX_AXIS_LABELS), labelExpr=labels_expr, title=None, grid=False,
                    labelAngle=0, labelOverlap=True, ticks=False, domain=False)
    band_layer = alt.Chart(bands).mark_area(opacity=0.38, interpolate="monotone").encode(
        x=alt.X("x:Q", scale=x, axis=axis), y=alt.Y("y0:Q", scale=y, axis=None, stack=None), y2="y1:Q",
        detail="band:N",
        color=alt.Color("source_label:N", scale=color, title=None, legend=legend),
        tooltip=[alt.Tooltip("period:N", title=period_title), alt.Tooltip("source_label:N", title=from_title),
                 alt.Tooltip("target_label:N", title=to_title),
                 alt.Tooltip("customers:Q", title=customers_title, format=",")])
    bar_layer = alt.Chart(bars).mark_rect(cornerRadius=1).encode(
        x="x0:Q", x2="x1:Q", y="y0:Q", y2="y1:Q",
        color=alt.Color("label:N", scale=color, title=None, legend=legend),
        tooltip=[alt.Tooltip("period:N", title=period_title), alt.Tooltip("label:N", title=to_title),
                 alt.Tooltip("customers:Q", title=customers_title, format=",")])
    top = bars[(bars["state"] == "top") & bars["k"].isin(_every_nth(len(m.periods), MAX_COUNT_LABELS))]
    text = alt.Chart(top).mark_text(baseline="bottom", dy=-3, fontSize=11, fontWeight="bold",
                                    color=TIER_COLORS["top"]).encode(
        x="k:Q", y="y0:Q", text=alt.Text("customers:Q", format=","))
    return (band_layer + bar_layer + text).properties(height=440)

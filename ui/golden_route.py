"""Streamlit helpers of the golden-route page: the cached analysis, tables with
Japanese formats, Altair charts and the export builders.

The first-purchase profile is computed once per data set and as-of date; the
analysis once per definition, settings and language (``st.cache_resource``; the
cached objects are never mutated), so moving a control costs a fraction of a second.
"""

from __future__ import annotations

from datetime import date

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from loyalty import export
from loyalty import golden_route as gr
from loyalty.fmt import format_pct, format_score
from loyalty.quality import Transactions
from ui.charts import BAR_STEP
from ui.components import typed_view
from ui import state
from ui.theme import ACCENT, TIER_COLORS

# a verdict is not a tier: gold for the route, blue (the accent) for "fewer loyal customers"
VERDICT_COLORS = {"golden": "#C9A227", "neutral": "#B3B9BE", "avoid": ACCENT}
F2_COLOR = "#5D6D7E"
#: Rows drawn in the lift chart (the strongest at both ends when there are more).
CHART_ROWS = 30
#: Entries drawn in the entry chart.
ENTRY_CHART_ROWS = 15


# --------------------------------------------------------------------------- analysis


@st.cache_resource(show_spinner=False, max_entries=6)
def _first(key: str, as_of: date, _tx: Transactions) -> pd.DataFrame:
    return gr.first_purchases(_tx, as_of)


@st.cache_resource(show_spinner=False, max_entries=16)
def _analyse(key: str, as_of: date, definition_json: str, settings_key: str, lang: str, currency: str,
             _settings: gr.GoldenRouteSettings, _tx: Transactions, _features: pd.DataFrame,
             _tiers: pd.Series) -> gr.GoldenRoute:
    # (currency is part of the key: amount band labels carry its symbol)
    first = _first(key, as_of, _tx)
    return gr.analyse(_tx, _features, _tiers, as_of, _settings, lang, first=first)


def analysis(dataset, features, scores, settings: gr.GoldenRouteSettings) -> gr.GoldenRoute:
    """The golden-route analysis of the data in use (cached).

    Raises:
        LoyaltyError: no transactions, or a setting out of range.
    """
    d = state.definition()
    key = f"{state.dataset_key()}|{d.window_days}"
    return _analyse(key, features.as_of, d.to_json(), repr(settings), state.lang(), state.currency(), settings,
                    dataset.transactions, features.frame, scores.frame["tier"])


# ---------------------------------------------------------------------------- tables

def header(key: str) -> str:
    """The localized header of an output column (``golden.col.<key>``)."""
    return state.t(f"golden.col.{key}")


def show_table(frame: pd.DataFrame, *, height: int | str = "auto", key: str | None = None) -> None:
    """Show a frame whose columns are output keys (:data:`loyalty.golden_route.COLUMN_KINDS`)
    with localized headers and Japanese formats (fractions shown as percentages)."""
    cols = list(frame.columns)
    kinds = {c: ("float2" if gr.COLUMN_KINDS.get(c) == "float" else gr.COLUMN_KINDS.get(c, "text")) for c in cols}
    view, cfg = typed_view(frame, kinds, {c: header(c) for c in cols})
    st.dataframe(view, column_config=cfg, hide_index=True, width="stretch", height=height, key=key)


def interval_text(low: pd.Series, high: pd.Series, *, pct: bool = False) -> pd.Series:
    """ "1.86〜3.05" (or "19.7%〜30.1%") per row."""
    f = format_pct if pct else (lambda x: format_score(x, 2))
    return pd.Series([f"{f(a)}〜{f(b)}" for a, b in zip(low, high)], index=low.index, dtype="str")


def patterns_shown(patterns: pd.DataFrame, groups: list[str], golden_only: bool) -> pd.DataFrame:
    """The patterns of the groups picked (only the golden ones when asked), in their order."""
    view = patterns[patterns["group"].isin(groups)]
    return view[view["verdict"] == "golden"] if golden_only else view


def entries_shown(entries: pd.DataFrame) -> pd.DataFrame:
    """The entry table as the page shows it: customers, loyal, loyal rate with its interval, F2."""
    shown = entries[["entry", "customers", "loyal", "loyal_rate", "f2", "f2_rate", "loyal_rate_f2"]].copy()
    shown.insert(4, "loyal_rate_interval",
                 interval_text(entries["loyal_rate_low"], entries["loyal_rate_high"], pct=True))
    return shown


def pattern_view(patterns: pd.DataFrame, labels: dict, lang: str) -> pd.DataFrame:
    """The pattern table as the page shows it (labels in the UI language)."""
    out = pd.DataFrame({
        "attribute_label": patterns["attribute"].map(lambda k: gr.attribute_label(k, lang)),
        "value_label": [labels.get((a, v), v) for a, v in zip(patterns["attribute"], patterns["value"])],
        "verdict_label": patterns["verdict"].map(lambda v: state.t(f"golden.verdict.{v}")),
        "lift": patterns["lift"],
        "lift_interval": interval_text(patterns["lift_low"], patterns["lift_high"]),
        "share_loyal": patterns["share_loyal"], "share_rest": patterns["share_rest"],
        "customers": patterns["customers"], "loyal": patterns["loyal"],
        "loyal_rate": patterns["loyal_rate"],
    }, index=patterns.index)
    return out


def pattern_export(patterns: pd.DataFrame, labels: dict, lang: str) -> pd.DataFrame:
    """Every figure of the pattern table, for the workbook."""
    out = pattern_view(patterns, labels, lang).drop(columns=["lift_interval"])
    for col in ("share_loyal_low", "share_loyal_high", "share_rest_low", "share_rest_high", "lift_low",
                "lift_high", "loyal_rate_low", "loyal_rate_high"):
        out[col] = patterns[col]
    order = ["attribute_label", "value_label", "verdict_label", "lift", "lift_low", "lift_high", "share_loyal",
             "share_loyal_low", "share_loyal_high", "share_rest", "share_rest_low", "share_rest_high",
             "customers", "loyal", "loyal_rate", "loyal_rate_low", "loyal_rate_high"]
    return out[order]


def localized(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """(frame with localized headers, header -> Excel kind)."""
    renamed = frame.rename(columns={c: header(c) for c in frame.columns})
    kinds = {header(c): gr.COLUMN_KINDS.get(c, "text") for c in frame.columns}
    return renamed, kinds


def workbook(new_customers: pd.DataFrame, patterns: pd.DataFrame, entries: pd.DataFrame, labels: dict,
             lang: str, titles: dict[str, str]) -> bytes:
    """The on-route list, the patterns and the entry table as one formatted workbook."""
    sheets = []
    for name, frame in (("list", new_customers), ("patterns", pattern_export(patterns, labels, lang)),
                        ("entries", entries)):
        renamed, kinds = localized(frame)
        sheets.append(export.Sheet(name=state.t(f"golden.sheet.{name}"), frame=renamed, kinds=kinds,
                                   title=titles.get(name, ())))
    return export.excel_bytes(sheets)


# ---------------------------------------------------------------------------- charts


def lift_chart(patterns: pd.DataFrame, labels: dict, lang: str) -> alt.Chart:
    """Lift (point) and its interval (line) per pattern on a log scale, 1 = no difference."""
    p = patterns
    if len(p) > CHART_ROWS:
        p = pd.concat([p.head(CHART_ROWS // 2), p.tail(CHART_ROWS - CHART_ROWS // 2)])
    data = pd.DataFrame({
        "pattern": [gr.pattern_label(a, v, labels, lang) for a, v in zip(p["attribute"], p["value"])],
        "lift": p["lift"].to_numpy(float),
        "low": p["lift_low"].to_numpy(float),
        "high": p["lift_high"].to_numpy(float),
        "share_loyal": p["share_loyal"].to_numpy(float),
        "share_rest": p["share_rest"].to_numpy(float),
        "customers": p["customers"].to_numpy(),
        "verdict": p["verdict"].map(lambda v: state.t(f"golden.verdict.{v}")).to_numpy(),
    })
    data = data.sort_values("lift", ascending=False, kind="stable")
    order = list(dict.fromkeys(data["pattern"]))
    keys = ["golden", "neutral", "avoid"]
    scale = alt.Scale(domain=[state.t(f"golden.verdict.{k}") for k in keys],
                      range=[VERDICT_COLORS[k] for k in keys])
    lo = float(min(data["low"].min(), data["lift"].min(), 0.5))
    hi = float(max(data["high"].max(), data["lift"].max(), 2.0))
    x_scale = alt.Scale(type="log", domain=[lo * 0.9, hi * 1.1])
    tooltip = [alt.Tooltip("pattern:N", title=state.t("golden.chart.pattern")),
               alt.Tooltip("lift:Q", title=state.t("golden.col.lift"), format=".2f"),
               alt.Tooltip("low:Q", title=state.t("golden.chart.low"), format=".2f"),
               alt.Tooltip("high:Q", title=state.t("golden.chart.high"), format=".2f"),
               alt.Tooltip("share_loyal:Q", title=state.t("golden.col.share_loyal"), format=".1%"),
               alt.Tooltip("share_rest:Q", title=state.t("golden.col.share_rest"), format=".1%"),
               alt.Tooltip("customers:Q", title=state.t("golden.col.customers"), format=",")]
    y = alt.Y("pattern:N", sort=order, title=None, axis=alt.Axis(labelLimit=340, labelOverlap=False))
    base = alt.Chart(data).encode(y=y, color=alt.Color("verdict:N", scale=scale,
                                                       title=state.t("golden.col.verdict_label")),
                                  tooltip=tooltip)
    bars = base.mark_rule(strokeWidth=3).encode(
        x=alt.X("low:Q", scale=x_scale, title=state.t("golden.chart.lift_axis"), axis=alt.Axis(labelAngle=0)),
        x2="high:Q")
    points = base.mark_point(filled=True, size=70).encode(x=alt.X("lift:Q", scale=x_scale))
    one = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(strokeDash=[6, 3], color="#333").encode(x="x:Q")
    return (bars + points + one).properties(height=alt.Step(BAR_STEP))


def entry_chart(entries: pd.DataFrame, totals: dict) -> alt.Chart:
    """Per entry product/category: F2 conversion and share loyal now, side by side."""
    e = entries.head(ENTRY_CHART_ROWS)
    f2_label, loyal_label = state.t("golden.col.f2_rate"), state.t("golden.col.loyal_rate")
    data = pd.concat([
        pd.DataFrame({"entry": e["entry"], "measure": f2_label, "rate": e["f2_rate"].astype(float),
                      "customers": e["customers"]}),
        pd.DataFrame({"entry": e["entry"], "measure": loyal_label, "rate": e["loyal_rate"].astype(float),
                      "customers": e["customers"]}),
    ], ignore_index=True)
    order = list(e["entry"])
    color = alt.Color("measure:N", title=None, scale=alt.Scale(domain=[f2_label, loyal_label],
                                                               range=[F2_COLOR, TIER_COLORS["top"]]))
    base = alt.Chart(data).encode(
        y=alt.Y("entry:N", sort=order, title=None, axis=alt.Axis(labelLimit=340, labelOverlap=False)),
        yOffset=alt.YOffset("measure:N", sort=[f2_label, loyal_label]),
        x=alt.X("rate:Q", title=state.t("golden.chart.rate_axis"), axis=alt.Axis(format="%", labelAngle=0)),
        color=color,
        tooltip=[alt.Tooltip("entry:N", title=state.t("golden.col.entry")),
                 alt.Tooltip("measure:N", title=" "),
                 alt.Tooltip("rate:Q", title=state.t("golden.chart.rate_axis"), format=".1%"),
                 alt.Tooltip("customers:Q", title=state.t("golden.col.customers"), format=",")])
    bars = base.mark_bar()
    text = base.mark_text(align="left", dx=3, fontSize=11).encode(text=alt.Text("rate:Q", format=".1%"))
    rules = pd.DataFrame({"x": [totals["loyal_rate"]], "label": [state.t("golden.chart.overall_loyal")]})
    rule = alt.Chart(rules).mark_rule(strokeDash=[6, 3], color=TIER_COLORS["top"]).encode(
        x="x:Q", tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("x:Q", title=loyal_label, format=".1%")])
    return (bars + text + rule).properties(height=max(160, 44 * len(e)))


def summary_lines(summary: pd.DataFrame, labels: dict, lang: str) -> list[str]:
    """One markdown line per golden pattern of the route summary."""
    lines = []
    for row in summary.itertuples(index=False):  # a handful of rows, not customers
        lines.append(state.t("golden.summary_line", pattern=gr.pattern_label(row.attribute, row.value, labels, lang),
                             loyal=format_pct(row.share_loyal), rest=format_pct(row.share_rest),
                             lift=format_score(row.lift, 1)))
    return lines


def finite(x) -> bool:
    """True for a finite number."""
    try:
        return bool(np.isfinite(float(x)))
    except (TypeError, ValueError):
        return False

"""Colours and chart defaults.

* One colour per tier, everywhere (charts, table cells, legends):
  :data:`TIER_COLORS`.  Named RFM segments use :data:`SEGMENT_COLORS`, which
  avoid the tier hues so a segment is never mistaken for a tier.
* Charts that are not about tiers use :data:`ACCENT` (one series) or
  :data:`NEUTRAL` (context, "other").
* The Altair theme ``loyalty`` (:func:`register`) gives every chart Japanese
  fonts, horizontal axis labels, vertical-axis titles written horizontally
  above the axis (Japanese is hard to read turned on its side), and a Japanese
  number and date locale: ``format="$,.0f"`` shows ¥1,234, and dates use
  YYYY/MM/DD.
"""

from __future__ import annotations

import altair as alt

from loyalty.fmt import currency_symbol

TIER_COLORS = {"top": "#C0392B", "middle": "#E39B2D", "low": "#9AA5AE"}
# text drawn on a tier colour (table cells): readable on each background
TIER_TEXT_COLORS = {"top": "#FFFFFF", "middle": "#2B2B2B", "low": "#1F2328"}
ACCENT = "#2F5D8A"
NEUTRAL = "#B8C0C8"
SEGMENT_COLORS = {
    "champions": "#1F4E79",
    "loyal": "#2E75B6",
    "potential_loyalist": "#5B9BD5",
    "new": "#1A8A7D",
    "promising": "#6CC3B5",
    "need_attention": "#C9A227",
    "about_to_sleep": "#A58FCC",
    "at_risk": "#7A4FA8",
    "cant_lose": "#4B1C71",
    "hibernating": "#5C6B8A",
    "lost": "#B9C3D9",
    "other": "#D5D8DC",
}
FONT = "Noto Sans CJK JP, Noto Sans JP, Hiragino Sans, Meiryo, sans-serif"
DATE_FORMAT = "%Y/%m/%d"
MONTH_FORMAT = "%Y/%m"
YEN_FORMAT = "$,.0f"  # with the theme's locale: ¥1,234 (or the data's currency: £1,234)

# d3 locales (Vega-Lite ``config.locale``): numbers with the yen sign, Japanese dates
_LOCALE = {
    "number": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["¥", ""]},
    "time": {
        "dateTime": "%Y/%m/%d %H:%M:%S",
        "date": DATE_FORMAT,
        "time": "%H:%M:%S",
        "periods": ["午前", "午後"],
        "days": ["日曜日", "月曜日", "火曜日", "水曜日", "木曜日", "金曜日", "土曜日"],
        "shortDays": ["日", "月", "火", "水", "木", "金", "土"],
        "months": [f"{m}月" for m in range(1, 13)],
        "shortMonths": [f"{m}月" for m in range(1, 13)],
    },
}


def _theme():
    return alt.theme.ThemeConfig({
        "config": {
            "font": FONT,
            # the currency symbol of the data in use (loyalty.fmt.use_currency; yen by default)
            "locale": {**_LOCALE, "number": {**_LOCALE["number"], "currency": [currency_symbol(), ""]}},
            "timeFormat": DATE_FORMAT,
            "axis": {"labelFont": FONT, "titleFont": FONT, "labelFontSize": 12, "titleFontSize": 12,
                     "titleFontWeight": "normal", "titleColor": "#555", "labelColor": "#444",
                     "labelLimit": 220},
            "axisX": {"labelAngle": 0},
            # the vertical axis title reads horizontally, above the axis
            "axisY": {"titleAngle": 0, "titleAlign": "left", "titleAnchor": "end", "titleBaseline": "bottom",
                      "titleX": 0, "titleY": -8},
            "axisTemporal": {"format": DATE_FORMAT, "labelAngle": 0},
            "legend": {"labelFont": FONT, "titleFont": FONT, "orient": "bottom", "labelFontSize": 12,
                       "titleFontWeight": "normal", "titleColor": "#555", "labelLimit": 260},
            "title": {"font": FONT, "anchor": "start", "fontSize": 14},
            "header": {"labelFont": FONT, "titleFont": FONT},
            "text": {"font": FONT},
            # default series colours: none of them is a tier colour
            "range": {"category": [ACCENT, "#1A8A7D", "#7A4FA8", "#C9A227", "#5B9BD5", "#6F7C87",
                                   "#D0679A", "#8C6D46"]},
            "bar": {"color": ACCENT},
            "line": {"color": ACCENT},
            "area": {"color": ACCENT},
            "point": {"color": ACCENT},
            "view": {"stroke": None},
        }
    })


def register() -> None:
    """Register and enable the chart theme (idempotent; cheap when it is already on:
    ``alt.theme.names()`` reads every installed package's entry points)."""
    if alt.theme.active == "loyalty":
        return
    if "loyalty" not in alt.theme.names():
        alt.theme.register("loyalty", enable=True)(_theme)
    else:
        alt.theme.enable("loyalty")


def tier_scale(labels: dict[str, str]) -> alt.Scale:
    """A colour scale mapping tier labels (in display order) to the tier colours."""
    return alt.Scale(domain=[labels[k] for k in ("top", "middle", "low")],
                     range=[TIER_COLORS[k] for k in ("top", "middle", "low")])


def segment_scale(labels: dict[str, str]) -> alt.Scale:
    """A colour scale for named segments (unknown keys get grey)."""
    keys = list(labels)
    return alt.Scale(domain=[labels[k] for k in keys], range=[SEGMENT_COLORS.get(k, "#BDC3C7") for k in keys])


def tier_cell_css(key: str) -> str:
    """CSS for a table cell holding a tier label: the tier's colour as background.

    Args:
        key: tier key (top/middle/low).

    Returns:
        A CSS declaration list for pandas' Styler ("" for an unknown key).
    """
    if key not in TIER_COLORS:
        return ""
    return f"background-color: {TIER_COLORS[key]}; color: {TIER_TEXT_COLORS[key]}; font-weight: bold"

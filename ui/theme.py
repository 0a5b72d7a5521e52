"""Colours and chart defaults: one colour per tier everywhere."""

from __future__ import annotations

import altair as alt

TIER_COLORS = {"top": "#C0392B", "middle": "#E39B2D", "low": "#9AA5AE"}
SEGMENT_COLORS = {
    "champions": "#8E1B1B",
    "loyal": "#C0392B",
    "potential_loyalist": "#E67E22",
    "new": "#F1C40F",
    "promising": "#B7950B",
    "need_attention": "#16A085",
    "about_to_sleep": "#2E86C1",
    "at_risk": "#6C3483",
    "cant_lose": "#A93226",
    "hibernating": "#5D6D7E",
    "lost": "#AAB7B8",
    "other": "#D5D8DC",
}
FONT = "Noto Sans CJK JP, Noto Sans JP, Hiragino Sans, Meiryo, sans-serif"


def _theme():
    return alt.theme.ThemeConfig({
        "config": {
            "font": FONT,
            "axis": {"labelFont": FONT, "titleFont": FONT, "labelFontSize": 12, "titleFontSize": 12},
            "axisX": {"labelAngle": 0},
            "legend": {"labelFont": FONT, "titleFont": FONT, "orient": "bottom"},
            "title": {"font": FONT, "anchor": "start"},
            "header": {"labelFont": FONT, "titleFont": FONT},
            "view": {"stroke": None},
        }
    })


def register() -> None:
    """Register and enable the chart theme (idempotent)."""
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

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
* Streamlit's own file-uploader texts ("Upload", "1GB per file • CSV…", "Drag
  and drop files here") have no parameter: :func:`localise_uploaders` replaces
  them in the Japanese UI with catalogue texts, by CSS on the uploader's
  ``data-testid`` elements (checked against Streamlit 1.67's DOM in Chromium).
"""

from __future__ import annotations

import json
import re
import unicodedata

import altair as alt
import streamlit as st

from loyalty.fmt import currency_symbol
from loyalty.i18n import t

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


def text_width(text: str) -> int:
    """Columns a text takes: 2 for a wide (Japanese) character, 1 for any other."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def wrap_text(text: str, width: int) -> list[str]:
    """A label as lines of at most ``width`` columns (:func:`text_width`).

    Lines break at spaces and before an opening bracket (「マーケ案」「（関与重視）」);
    a piece longer than a line is cut where the line is full.

    Args:
        text: the label.
        width: the most columns per line.

    Returns:
        The lines (one when the text fits).
    """
    pieces = [p for p in re.split(r"(?<=\s)|(?=[（(])", text) if p]
    lines: list[str] = []
    line = ""
    for piece in pieces:
        while text_width(piece.rstrip()) > width:  # a piece longer than a line: fill the line, cut
            room = width - text_width(line)
            if room <= 1 and line:
                lines.append(line.rstrip())
                line, room = "", width
            cut = 0
            while cut < len(piece) and text_width(piece[:cut + 1]) <= room:
                cut += 1
            lines.append((line + piece[:cut]).rstrip())
            line, piece = "", piece[cut:]
        if line and text_width((line + piece).rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        line += piece
    if line.strip():
        lines.append(line.rstrip())
    return lines or [text]


def wrapped_labels(labels, width: int) -> str:
    """A Vega ``labelExpr`` that writes each of ``labels`` on lines of at most ``width`` columns.

    Vega-Lite cuts an axis label at ``labelLimit`` pixels ("Marketing (engagement fir…") or
    lets neighbours run into each other; this gives each label its lines instead.

    Args:
        labels: the axis values (other values are written as they are).
        width: the most columns per line (:func:`wrap_text`).

    Returns:
        The expression.
    """
    lines = {str(label): wrap_text(str(label), width) for label in labels}
    return f"({json.dumps(lines, ensure_ascii=False)})[datum.label] || datum.label"


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


# --- Streamlit's own file-uploader texts ------------------------------------------------

_DROPZONE = '[data-testid="stFileUploaderDropzone"]'
_INSTRUCTIONS = '[data-testid="stFileUploaderDropzoneInstructions"] span'
_LABEL_SIZE = "0.875rem"  # Streamlit's size for the button label and the instructions (14 px)
#: What an uploader accepts (an extension in its file input's ``accept``) -> catalogue text of the kinds.
_UPLOAD_KINDS = ((".json", "uploader.kinds.json"), (".csv", "uploader.kinds.tables"))


def _css_text(text: str) -> str:
    """A CSS string literal (quotes and backslashes escaped, no ASCII-only escapes)."""
    return json.dumps(text, ensure_ascii=False)


def _swap(selector: str, text: str) -> str:
    """CSS showing ``text`` instead of an element's own text (which takes no room)."""
    return (f"{selector}{{font-size:0}}"
            f"{selector}::after{{content:{_css_text(text)};font-size:{_LABEL_SIZE}}}")


def uploader_css(lang: str, limit_mb: int) -> str:
    """CSS that shows Streamlit's file-uploader texts in ``lang`` ("" for English: Streamlit's own).

    The button label, the drop hint shown while a file is dragged over, and the
    size-and-type line: "1ファイル 1GB まで" plus the kinds of file the uploader
    takes, told by the extensions in its file input's ``accept`` (a sibling of the line).

    Args:
        lang: the UI language.
        limit_mb: the upload limit per file in MB (``server.maxUploadSize``).

    Returns:
        The style sheet's text.
    """
    if lang == "en":
        return ""
    limit = f"{limit_mb / 1000:g}GB" if limit_mb >= 1000 else f"{limit_mb}MB"
    line = t("uploader.limit", lang, limit=limit)
    rules = [_swap(f"{_DROPZONE} button p", t("uploader.button", lang)),
             _swap(f"{_DROPZONE} > div:not([data-testid]) > span", t("uploader.drop", lang)),
             _swap(f"{_DROPZONE} {_INSTRUCTIONS}", line)]
    for extension, kinds in _UPLOAD_KINDS:
        rules.append(f'{_DROPZONE} input[accept*="{extension}"] ~ {_INSTRUCTIONS}::after'
                     f"{{content:{_css_text(t('uploader.with_kinds', lang, line=line, kinds=t(kinds, lang)))}}}")
    return "".join(rules)


def localise_uploaders(lang: str) -> None:
    """Put :func:`uploader_css` on the page (once per run, from app.py; nothing in English)."""
    css = uploader_css(lang, int(st.get_option("server.maxUploadSize")))
    if css:
        st.html(f"<style>{css}</style>")

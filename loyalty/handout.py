"""The one-page handout: a printable A4 summary for workshops, as one self-contained HTML file.

What is on the page: the definition, as-of date, window and data source; four
key figures; two charts (customer and revenue share per tier; customers per
named segment, or the score distribution when the data has no R, F and M); the
tier table; and per tier a card with its persona (the most telling bullets,
:data:`HANDOUT_FACTS`), the facilitator's note and its first measures with
channel, timing and KPI.

Self-contained: CSS is inline, the charts are inline SVG drawn from Vega-Lite
specs by ``vl-convert-python`` (a Rust build of Vega, no browser, no system
packages), and the file refers to nothing outside itself (no link, script or
font URL; the SVG namespace attributes are dropped, which HTML does not need).
Japanese text uses the reader's fonts through a font stack (Noto Sans CJK JP,
Hiragino, Yu Gothic, Meiryo), in the page and in the charts.

Printing: ``@page`` sets A4 portrait with 10 mm margins and the layout fits one
sheet (the tests print the sample data with Chromium and count the pages).
PDF: open the file in a browser and print to PDF.  No PDF is produced here: the
Python routes that turn HTML with SVG into PDF either need system libraries
(WeasyPrint: Pango/Cairo) or an external program (wkhtmltopdf), or draw charts
and Japanese text only with fonts shipped alongside (ReportLab, fpdf2) — a second
layout to keep in step with this one.  The browser's PDF is the same page.
"""

from __future__ import annotations

import html
import re
from datetime import datetime

import numpy as np
import pandas as pd

from loyalty import fmt
from loyalty.definition import TIER_KEYS, Definition
from loyalty.features import Features
from loyalty.i18n import t
from loyalty.labels import segment_labels, tier_label, tier_ranges
from loyalty.measures import measures_for
from loyalty.nps import nps as compute_nps
from loyalty.personas import Persona, build_personas, note_for
from loyalty.scoring import weights_used
from loyalty.summary import group_summary

__all__ = ["FONT_STACK", "HANDOUT_FACTS", "handout_html", "segment_chart_spec", "svg_of", "tier_chart_spec"]

#: Fonts for Japanese text, in the page and in the charts.
FONT_STACK = ('"Noto Sans CJK JP", "Noto Sans JP", "Hiragino Kaku Gothic ProN", "Hiragino Sans", '
              '"Yu Gothic", "YuGothic", "Meiryo", sans-serif')
#: Default tier colours; the app passes its own (``ui.theme.TIER_COLORS``) so the
#: handout looks like the screen.
TIER_COLORS = {"top": "#C0392B", "middle": "#E39B2D", "low": "#9AA5AE"}
#: Default segment colours; the app passes ``ui.theme.SEGMENT_COLORS``.
SEGMENT_COLORS = {
    "champions": "#1F4E79", "loyal": "#2E75B6", "potential_loyalist": "#5B9BD5", "new": "#1A8A7D",
    "promising": "#6CC3B5", "need_attention": "#C9A227", "about_to_sleep": "#A58FCC", "at_risk": "#7A4FA8",
    "cant_lose": "#4B1C71", "hibernating": "#5C6B8A", "lost": "#B9C3D9", "other": "#D5D8DC",
}
_OTHER_COLOR = "#BDC3C7"
#: Persona facts on the handout, most telling first; the first :data:`MAX_FACTS`
#: the data has are shown (in the persona's own order).
HANDOUT_FACTS = ("revenue_share", "age_band", "gender", "industry", "company_size", "orders_per_year", "aov",
                 "annual_contract_value", "monthly_fee", "tenure", "nps", "review_rate", "referral",
                 "relationship_rating", "events", "discount_share", "acquisition_channel", "recency_days",
                 "revenue_per_customer", "region", "satisfaction", "email_open_rate")
MAX_FACTS = 8
#: Measures per tier on the handout.
MAX_MEASURES = 2
#: A facilitator's note longer than this is cut (with "…"); the workbook has it in full.
MAX_NOTE_CHARS = 160

_CHART_WIDTH = 300

#: Shrinks the page when printing if its content is taller than one A4 sheet
#: (277 mm inside the 10 mm margins; the printed width equals the screen
#: layout's 190 mm, so the height measured on screen is the printed one).
_FIT_SCRIPT = """
(function () {
  function fit() {
    var page = document.querySelector('.page');
    if (!page || !page.firstElementChild) { return; }
    var top = page.firstElementChild.getBoundingClientRect().top;
    var bottom = page.lastElementChild.getBoundingClientRect().bottom;
    var available = 277 * 96 / 25.4 - 4;
    var scale = Math.min(1, available / Math.max(bottom - top, 1));
    document.documentElement.style.setProperty('--fit', scale.toFixed(3));
  }
  window.addEventListener('load', fit);
  window.addEventListener('beforeprint', fit);
})();
"""


def _chart_config() -> dict:
    font = FONT_STACK.replace('"', "")
    return {"font": font, "view": {"stroke": None},
            "axis": {"labelFont": font, "titleFont": font, "labelFontSize": 10, "titleFontSize": 10,
                     "grid": False},
            "axisX": {"labelAngle": 0}, "legend": {"labelFont": font, "titleFont": font, "labelFontSize": 10,
                                                   "titleFontSize": 10, "orient": "bottom"}}


def tier_chart_spec(summary: pd.DataFrame, labels: dict[str, str], lang: str = "ja",
                    colors: dict[str, str] | None = None) -> dict:
    """Vega-Lite spec: customer share and revenue share per tier, side by side.

    Args:
        summary: :func:`loyalty.summary.group_summary` by tier.
        labels: tier key → name.
        lang: language of the axis texts.
        colors: tier key → colour (default :data:`TIER_COLORS`).

    Returns:
        The spec (a dict).
    """
    colors = colors or TIER_COLORS
    customers, revenue = t("handout.chart.customers", lang), t("handout.chart.revenue", lang)
    values = []
    for key in TIER_KEYS:
        row = summary.loc[key]
        for measure, share in ((customers, row["customer_share"]), (revenue, row["revenue_share"])):
            values.append({"tier": labels[key], "measure": measure,
                           "share": float(share) if pd.notna(share) else 0.0})
    order = [labels[k] for k in TIER_KEYS]
    encoding = {
        "x": {"field": "measure", "type": "nominal", "title": None, "sort": [customers, revenue]},
        "xOffset": {"field": "tier", "type": "nominal", "sort": order},
        "y": {"field": "share", "type": "quantitative", "title": None,
              "axis": {"format": ".0%", "tickCount": 5}, "scale": {"domain": [0, 1]}},
        "color": {"field": "tier", "type": "nominal", "title": None,
                  "scale": {"domain": order, "range": [colors[k] for k in TIER_KEYS]}},
    }
    return {
        "width": _CHART_WIDTH, "height": 115, "data": {"values": values}, "config": _chart_config(),
        "layer": [
            {"mark": {"type": "bar"}, "encoding": encoding},
            {"mark": {"type": "text", "dy": -5, "fontSize": 9},
             "encoding": {**encoding, "text": {"field": "share", "type": "quantitative", "format": ".1%"}}},
        ],
    }


def segment_chart_spec(summary: pd.DataFrame, labels: dict[str, str], lang: str = "ja",
                       colors: dict[str, str] | None = None) -> dict:
    """Vega-Lite spec: horizontal bars of customers per named segment (non-empty ones), in rule order.

    Args:
        summary: :func:`loyalty.summary.group_summary` by rfm_segment.
        labels: segment key → name.
        lang: language of the axis texts.
        colors: segment key → colour (default :data:`SEGMENT_COLORS`; unknown keys grey).

    Returns:
        The spec (a dict).
    """
    colors = colors or SEGMENT_COLORS
    rows = summary[summary["customers"] > 0]
    values = [{"segment": labels.get(k, k), "customers": int(r["customers"]),
               "color": colors.get(k, _OTHER_COLOR)} for k, r in rows.iterrows()]
    count = t("handout.chart.count", lang)
    encoding = {"y": {"field": "segment", "type": "nominal", "title": None,
                      "sort": [v["segment"] for v in values]},
                "x": {"field": "customers", "type": "quantitative", "title": count,
                      "axis": {"format": ",d", "tickCount": 4}}}
    return {
        "width": _CHART_WIDTH - 90, "height": max(60, 12 * len(values)), "data": {"values": values},
        "config": _chart_config(),
        "layer": [
            {"mark": {"type": "bar"}, "encoding": {**encoding, "color": {"field": "color", "type": "nominal",
                                                                        "scale": None}}},
            {"mark": {"type": "text", "align": "left", "dx": 3, "fontSize": 9},
             "encoding": {**encoding, "text": {"field": "customers", "type": "quantitative", "format": ","}}},
        ],
    }


def histogram_spec(scores: np.ndarray, definition: Definition, labels: dict[str, str], lang: str = "ja",
                   colors: dict[str, str] | None = None) -> dict:
    """Vega-Lite spec: the loyalty-score distribution in 5-point bins, coloured by tier.

    Args:
        scores: loyalty scores (0–100).
        definition: for the tier cut-offs.
        labels: tier key → name.
        lang: language of the axis texts.
        colors: tier key → colour (default :data:`TIER_COLORS`).

    Returns:
        The spec (a dict).
    """
    colors = colors or TIER_COLORS
    s = np.asarray(scores, dtype=float)
    s = s[~np.isnan(s)]
    counts = np.bincount(np.clip(np.floor(s / 5).astype(int), 0, 19), minlength=20)
    values = []
    for i, n in enumerate(counts):
        mid = i * 5 + 2.5
        key = "top" if mid >= definition.tiers["top"] else "middle" if mid >= definition.tiers["middle"] else "low"
        values.append({"low": i * 5, "high": i * 5 + 5, "count": int(n), "tier": labels[key]})
    order = [labels[k] for k in TIER_KEYS]
    return {
        "width": _CHART_WIDTH, "height": 115, "data": {"values": values}, "config": _chart_config(),
        "mark": {"type": "bar", "stroke": "white"},
        "encoding": {
            "x": {"field": "low", "type": "quantitative", "bin": "binned", "title": t("col.loyalty_score", lang),
                  "scale": {"domain": [0, 100]}},
            "x2": {"field": "high"},
            "y": {"field": "count", "type": "quantitative", "title": None, "axis": {"format": ",d"}},
            "color": {"field": "tier", "type": "nominal", "title": None,
                      "scale": {"domain": order, "range": [colors[k] for k in TIER_KEYS]}},
        },
    }


_XMLNS = re.compile(r'\s+xmlns(?::[A-Za-z]+)?="[^"]*"')


def svg_of(spec: dict) -> str:
    """Render a Vega-Lite spec to an SVG element for inlining in HTML.

    Args:
        spec: a Vega-Lite spec.

    Returns:
        The ``<svg>`` markup without namespace attributes (HTML needs none), so
        the page holds no URL at all.
    """
    import vl_convert

    svg = vl_convert.vegalite_to_svg(spec)
    return _XMLNS.sub("", svg)


# --------------------------------------------------------------------------- the page


_CSS = """
@page { size: A4 portrait; margin: 10mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; background: #eef0f2; color: #1f2328; font-family: %(font)s;
       font-size: 8pt; line-height: 1.35; overflow-wrap: anywhere; }
.page { width: 210mm; min-height: 297mm; margin: 8mm auto; padding: 10mm; background: #fff;
        box-shadow: 0 1px 6px rgba(0,0,0,.15); }
header { border-bottom: 2px solid #C0392B; padding-bottom: 2mm; margin-bottom: 3mm; }
h1 { font-size: 15pt; margin: 0 0 1mm; }
h2 { font-size: 10pt; margin: 3mm 0 1.5mm; }
h3 { font-size: 9.5pt; margin: 0 0 1mm; }
.meta { color: #555; margin: 0; }
.kpis { display: grid; grid-template-columns: repeat(4, 1fr); gap: 2mm; }
.kpi { border: 1px solid #ddd; border-radius: 2mm; padding: 1.5mm 2.5mm; }
.kpi .label { color: #555; font-size: 7.5pt; }
.kpi .value { font-size: 12pt; font-weight: bold; line-height: 1.2; }
.kpi .sub { color: #555; font-size: 7.5pt; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 3mm; align-items: start; }
figure { margin: 0; }
figcaption { font-weight: bold; font-size: 8.5pt; margin-bottom: 1mm; }
figure svg { max-width: 100%%; height: auto; display: block; }
table { border-collapse: collapse; width: 100%%; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 0.8mm 1.5mm; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f4f5f7; font-weight: bold; }
.swatch { display: inline-block; width: 2.5mm; height: 2.5mm; border-radius: 0.5mm; margin-right: 1mm;
          vertical-align: middle; }
.cards { display: grid; grid-template-columns: repeat(3, 1fr); gap: 2.5mm; }
.card { font-size: 7.5pt; border: 1px solid #ddd; border-top: 1.2mm solid var(--tier); border-radius: 1.5mm;
        padding: 2mm 2.5mm; break-inside: avoid; }
.card .size { color: #555; font-size: 7.5pt; margin-bottom: 1mm; }
.card ul { margin: 0 0 1.5mm; padding-left: 3.5mm; }
.card li { margin: 0; }
.note { background: #fff8e5; border-left: 0.8mm solid #E39B2D; padding: 1mm 1.5mm; margin: 0 0 1.5mm;
        white-space: pre-wrap; }
.measures { margin: 0; padding-left: 3.5mm; }
.measures li { margin-bottom: 0.8mm; }
.measures .how { color: #555; font-size: 7pt; display: block; }
.more { color: #777; font-size: 7pt; margin: 0; }
.empty { color: #777; }
footer { margin-top: 3mm; color: #777; font-size: 7pt; border-top: 1px solid #ddd; padding-top: 1.5mm; }
.print { position: fixed; top: 4mm; right: 4mm; font: inherit; font-size: 10pt; padding: 2mm 4mm;
         border: 1px solid #C0392B; background: #fff; color: #C0392B; border-radius: 1.5mm; cursor: pointer; }
@media print {
  body { background: #fff; }
  .page { width: auto; min-height: 0; margin: 0; padding: 0; box-shadow: none; zoom: var(--fit, 1); }
  .print { display: none; }
}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _handout_facts(p: Persona) -> list[str]:
    available = {f.key: f for f in p.facts}
    chosen = [k for k in HANDOUT_FACTS if k in available][:MAX_FACTS]
    return [f.text for f in p.facts if f.key in chosen]


def _cut(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def handout_html(features: Features, scored: pd.DataFrame, definition: Definition, lang: str = "ja", *,
                 source: str = "", created: datetime | None = None, personas: list[Persona] | None = None,
                 charts: bool = True, tier_colors: dict[str, str] | None = None,
                 segment_colors: dict[str, str] | None = None) -> str:
    """The one-page handout (see the module docstring).

    Args:
        features: the customer features (frame, as-of date, window).
        scored: the score frame with tier, rfm_segment and loyalty_score.
        definition: the definition in force (names, notes, measures).
        lang: "ja" or "en".
        source: where the data came from (file names).
        created: the date printed on the page (default: now).
        personas: the tier personas already built (built here when None).
        charts: False leaves the two charts out (no SVG rendering).
        tier_colors: tier key → colour (default :data:`TIER_COLORS`).
        segment_colors: segment key → colour (default :data:`SEGMENT_COLORS`).

    Returns:
        The HTML document as text.
    """
    f = features.frame
    created = created or datetime.now()
    colors = tier_colors or TIER_COLORS
    tl = {k: tier_label(k, definition, lang) for k in TIER_KEYS}
    tiers = group_summary(scored, f, "tier")
    if personas is None:
        personas = build_personas(f, scored, definition, lang)
    tier_personas = {p.key: p for p in personas if p.group == "tier"}
    has_segments = "rfm_segment" in scored and scored["rfm_segment"].notna().any()

    # -- header
    as_of = features.as_of
    window = ""
    if as_of is not None:
        window = t("handout.window", lang, days=f"{features.window_days:,}",
                   start=fmt.format_date(features.window_start),
                   end=fmt.format_date(as_of))
    meta = t("handout.meta", lang, name=definition.name, date=fmt.format_date(as_of), window=window,
             source=source or "—")

    # -- key figures
    total = len(scored)
    top = tiers.loc["top"]
    kpis = [
        (t("handout.kpi.customers", lang), fmt.format_int(total), ""),
        (t("handout.kpi.top", lang, tier=tl["top"]), fmt.format_int(top["customers"]),
         t("handout.kpi.of_all", lang, share=fmt.format_pct(top["customer_share"]))),
        (t("handout.kpi.top_revenue", lang, tier=tl["top"]), fmt.format_pct(top["revenue_share"]),
         t("handout.kpi.revenue_window", lang)),
    ]
    answers = compute_nps(pd.to_numeric(f["nps"], errors="coerce").to_numpy()) if "nps" in f else None
    if answers is not None and answers.respondents:
        kpis.append((t("handout.kpi.nps", lang), fmt.format_nps(answers.nps),
                     t("handout.kpi.answers", lang, n=fmt.format_int(answers.respondents))))
    else:
        kpis.append((t("handout.kpi.avg_score", lang), fmt.format_score(scored["loyalty_score"].mean()),
                     t("handout.kpi.of_100", lang)))
    kpi_html = "".join(f'<div class="kpi"><div class="label">{_e(a)}</div><div class="value">{_e(b)}</div>'
                       f'<div class="sub">{_e(c) or "&nbsp;"}</div></div>' for a, b, c in kpis)

    # -- charts
    chart_html = ""
    if charts:
        left = svg_of(tier_chart_spec(tiers, tl, lang, colors))
        if has_segments:
            seg = group_summary(scored, f, "rfm_segment")
            right = svg_of(segment_chart_spec(seg, segment_labels(definition.segments, lang), lang, segment_colors))
            right_title = t("handout.chart.segments", lang)
        else:
            right = svg_of(histogram_spec(scored["loyalty_score"].to_numpy(), definition, tl, lang, colors))
            right_title = t("handout.chart.histogram", lang)
        chart_html = (f'<section class="charts"><figure><figcaption>{_e(t("handout.chart.tiers", lang))}'
                      f'</figcaption>{left}</figure><figure><figcaption>{_e(right_title)}</figcaption>{right}'
                      f'</figure></section>')

    # -- tier table
    ranges = tier_ranges(definition, lang)
    heads = [t("common.tier", lang), t("handout.col.range", lang), t("col.customers", lang),
             t("col.customer_share", lang), t("col.revenue", lang), t("col.revenue_share", lang),
             t("col.avg_monetary", lang), t("col.avg_score", lang)]
    body = []
    for k in TIER_KEYS:
        r = tiers.loc[k]
        cells = [f'<span class="swatch" style="background:{_e(colors[k])}"></span>{_e(tl[k])}', _e(ranges[k]),
                 fmt.format_int(r["customers"]), fmt.format_pct(r["customer_share"]), fmt.format_yen(r["revenue"]),
                 fmt.format_pct(r["revenue_share"]), fmt.format_yen(r["avg_monetary"]),
                 fmt.format_score(r["avg_score"])]
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    table_html = ("<table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in heads) + "</tr></thead><tbody>"
                  + "".join(body) + "</tbody></table>")

    # -- persona cards with notes and measures
    cards = []
    for k in TIER_KEYS:
        p = tier_personas.get(k)
        n = p.customers if p else 0
        unit = p.count_unit if p else "people"
        size = t("handout.card_size", lang, n=t(f"persona.unit.{unit}", lang, n=fmt.format_int(n)),
                 share=fmt.format_pct(n / total if total else np.nan))
        parts = [f'<div class="card" style="--tier:{_e(colors[k])}"><h3>{_e(tl[k])}</h3>',
                 f'<div class="size">{_e(size)}</div>']
        bullets = _handout_facts(p) if p and n else []
        if bullets:
            parts.append("<ul>" + "".join(f"<li>{_e(b)}</li>" for b in bullets) + "</ul>")
        else:
            parts.append(f'<p class="empty">{_e(t("handout.no_customers", lang))}</p>')
        note = note_for(definition.persona_notes, f"tier:{k}")
        if note.strip():
            parts.append(f'<p class="note">{_e(_cut(note, MAX_NOTE_CHARS))}</p>')
        every = measures_for(definition.measures, f"tier:{k}", lang)
        rows = every[:MAX_MEASURES]
        if rows:
            how = [t("handout.measure_how", lang, channel=m["channel"] or "—", timing=m["timing"] or "—",
                     kpi=m["kpi"] or "—") for m in rows]
            items = "".join(f'<li><b>{_e(m["title"])}</b><span class="how">{_e(h)}</span></li>'
                            for m, h in zip(rows, how))
            parts.append(f'<h3>{_e(t("handout.measures", lang))}</h3><ol class="measures">{items}</ol>')
            if len(every) > len(rows):
                parts.append(f'<p class="more">{_e(t("handout.more_measures", lang, n=len(every) - len(rows)))}</p>')
        parts.append("</div>")
        cards.append("".join(parts))

    used, dropped = weights_used(definition, scored)
    sep = t("polish.list_sep", lang)
    footer = t("handout.footer", lang, created=created.strftime("%Y/%m/%d"),
               tiers=sep.join(f"{tl[k]} {ranges[k]}" for k in TIER_KEYS),
               weights=sep.join(f"{t(f'factor.{k}', lang)} {fmt.format_score(w)}" for k, w in used.items())
               or fmt.MISSING,
               dropped=t("handout.footer_dropped", lang, factors=sep.join(t(f"factor.{k}", lang) for k in dropped))
               if dropped else "")
    title = t("handout.title", lang)
    doc = [
        "<!DOCTYPE html>", f'<html lang="{_e(lang)}">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)} — {_e(definition.name)}</title>",
        "<style>" + _CSS % {"font": FONT_STACK} + "</style>", "</head>", "<body>",
        f'<button class="print" type="button" onclick="window.print()">{_e(t("handout.print", lang))}</button>',
        '<main class="page">',
        f'<header><h1>{_e(title)}</h1><p class="meta">{_e(meta)}</p></header>',
        f'<section class="kpis">{kpi_html}</section>',
        chart_html,
        f'<h2>{_e(t("handout.tiers", lang))}</h2>{table_html}',
        f'<h2>{_e(t("handout.personas", lang))}</h2><section class="cards">{"".join(cards)}</section>',
        f"<footer>{_e(footer)}</footer>",
        "</main>", f"<script>{_FIT_SCRIPT}</script>", "</body>", "</html>",
    ]
    return "\n".join(doc) + "\n"

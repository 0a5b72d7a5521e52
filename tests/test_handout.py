"""The one-page handout: the figures are on it, it is self-contained (no URL at all),
text is escaped, the charts are inline SVG, and Chromium prints it on one A4 page."""

import re
from datetime import datetime
from pathlib import Path

import pytest

from loyalty.handout import FONT_STACK, SEGMENT_COLORS, TIER_COLORS, handout_html, svg_of, tier_chart_spec
from loyalty.measures import replace_target
from loyalty.personas import build_personas
from loyalty.summary import group_summary
from tests import fixtures_deliverables as fx

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def page():
    features, result, d = fx.build()
    d.persona_notes = {"tier:top": "紹介経由が多い <script>alert(1)</script>"}
    d.measures = replace_target(None, "tier:low", [{"title": "休眠復活DM", "channel": "DM", "timing": "90日後",
                                                     "kpi": "復帰率"}], "ja")
    text = handout_html(features, result.frame, d, "ja", source="orders.csv、customers.csv",
                        created=datetime(2024, 7, 1))
    return text, features, result, d


def test_key_figures_are_on_the_page(page):
    text, *_ = page
    assert "<h1>ロイヤルカスタマー分析 サマリー</h1>" in text
    assert "定義「テスト定義」／基準日 2024/06/30" in text
    assert "orders.csv、customers.csv" in text
    # customers 5; top tier 2 = 40.0 %; its revenue 180,000 of 261,000 = 69.0 %
    assert '<div class="value">5</div>' in text
    assert '<div class="value">2</div><div class="sub">全顧客の 40.0%</div>' in text
    assert '<div class="value">69.0%</div>' in text
    # NPS over 10, 8, 3, 9: (2 − 1) / 4 = +25
    assert '<div class="value">+25</div><div class="sub">回答 4件</div>' in text
    assert "<td>¥180,000</td><td>69.0%</td>" in text and "<td>¥21,000</td><td>8.0%</td>" in text


def test_the_footer_names_the_tiers_and_the_weights_used(page):
    text, *_ = page
    # the fixture definition: R, F, M weighted 33.34 / 33.33 / 33.33, tiers at 80 and 50
    assert ("<footer>作成日 2024/07/01　層はロイヤルティスコア（0〜100）で分けています: 最重要顧客 80以上、"
            "中堅層 50以上80未満、低貢献層 50未満。スコアの重み: R：最終購入の近さ 33.3、F：購入頻度 33.3、"
            "M：購入金額 33.3。") in text


def test_the_footer_says_which_factors_the_data_lacked():
    from loyalty import definition as defn
    from loyalty.scoring import score

    features, _, _ = fx.build()
    d = defn.preset("b2c").copy(factors=[defn.FactorSetting("recency", 30), defn.FactorSetting("frequency", 30),
                                         defn.FactorSetting("monetary", 20), defn.FactorSetting("sns_reactions", 20)])
    text = handout_html(features, score(features.frame, d).frame, d, "ja", source="x", created=datetime(2024, 7, 1))
    # 30 / 80 = 37.5, 20 / 80 = 25.0 (one decimal, as on the workbook's definition sheet)
    assert ("スコアの重み: R：最終購入の近さ 37.5、F：購入頻度 37.5、M：購入金額 25.0"
            "（データにない SNSでの反応 は使わず、残りを合計100に換算）。") in text


def test_personas_notes_and_measures_per_tier(page):
    text, features, result, d = page
    top = build_personas(features.frame, result.frame, d, "ja")[0]
    assert "<li>売上構成比 69.0%（顧客数では 40.0%）</li>" in text
    assert f"<li>{top.fact('nps').text}</li>" in text
    assert "紹介経由が多い &lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>alert(1)</script>" not in text
    assert "<b>担当者をつけて個別にフォロー</b>" in text  # the catalogue's first top-tier measure
    assert "<b>休眠復活DM</b><span class=\"how\">DM／90日後／KPI: 復帰率</span>" in text
    assert "ほか 1 件（ワークブックの「施策」シートに全件）" in text  # 3 top-tier measures, 2 shown


def test_self_contained_with_print_css_and_japanese_fonts(page):
    text, *_ = page
    assert not re.search(r"https?:|//[a-z]|<link|<img|src=|@import|url\(", text, re.IGNORECASE)
    assert text.count("<svg") == 2 and text.count("<script>") == 1
    assert "@page { size: A4 portrait; margin: 10mm; }" in text
    assert "Noto Sans CJK JP" in text and FONT_STACK in text
    assert '<meta charset="utf-8">' in text and '<html lang="ja">' in text


def test_charts_are_inline_svg_with_the_tier_and_segment_names(page):
    text, *_ = page
    svgs = re.findall(r"<svg.*?</svg>", text, re.S)
    assert "最重要顧客" in svgs[0] and "顧客数" in svgs[0] and "40.0%" in svgs[0] and "69.0%" in svgs[0]
    assert "チャンピオン" in svgs[1] and "要注目" in svgs[1] and "ロイヤル候補" not in svgs[1]  # empty ones left out
    assert TIER_COLORS["top"].lower() in svgs[0].lower()


@pytest.mark.slow
def test_without_segments_the_second_chart_is_the_score_distribution():
    features, result, d = fx.build()
    scored = result.frame.assign(rfm_segment=result.frame["rfm_segment"].cat.set_categories([]))
    text = handout_html(features, scored, d, "en", created=datetime(2024, 7, 1))
    assert "Loyalty-score distribution" in text and "Customers per RFM segment" not in text
    assert '<html lang="en">' in text


def test_the_colours_given_are_used():
    features, result, d = fx.build()
    text = handout_html(features, result.frame, d, "ja", tier_colors={"top": "#010203", "middle": "#040506",
                                                                    "low": "#070809"},
                        segment_colors={"champions": "#0A0B0C"})
    assert "--tier:#010203" in text and "background:#070809" in text
    svgs = re.findall(r"<svg.*?</svg>", text, re.S)
    assert "#010203" in svgs[0].lower() and "#0a0b0c" in svgs[1].lower()
    assert SEGMENT_COLORS["champions"].lower() not in svgs[1].lower()


def test_svg_has_no_namespace_urls():
    features, result, d = fx.build()
    svg = svg_of(tier_chart_spec(group_summary(result.frame, features.frame, "tier"),
                                 {"top": "A", "middle": "B", "low": "C"}))
    assert svg.startswith("<svg") and "xmlns" not in svg and "http" not in svg


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(),
                    reason="Debian's Chromium (/usr/bin/chromium) is not installed here")
def test_chromium_prints_it_on_one_a4_page(page, tmp_path):
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    features, result, d = fx.build()
    d.persona_notes = {f"tier:{k}": "長いメモ。" * 60 for k in ("top", "middle", "low")}  # cut to 160 characters
    long_page = handout_html(features, result.frame, d, "en", source="x" * 300)
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            tab = browser.new_page()
            for html in (page[0], long_page):
                path = tmp_path / "handout.html"
                path.write_text(html, encoding="utf-8")
                tab.goto(path.as_uri())
                pdf = tab.pdf(prefer_css_page_size=True, print_background=True)
                assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
                width, height = (float(x) for x in re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", pdf).groups())
                assert (round(width), round(height)) == (595, 842)  # A4 in points
        finally:
            browser.close()


def test_the_footer_says_so_when_no_factor_was_in_the_data():
    from loyalty import definition as defn
    from loyalty.scoring import score, weights_used

    features, _, _ = fx.build()
    d = defn.preset("b2c").copy(factors=[defn.FactorSetting("sns_reactions", 60),
                                         defn.FactorSetting("email_open_rate", 40)])
    res = score(features.frame, d)
    assert weights_used(d, res.frame) == ({}, ["sns_reactions", "email_open_rate"])
    assert weights_used(d, res.frame[["tier"]]) == ({"sns_reactions": 60.0, "email_open_rate": 40.0}, [])
    text = handout_html(features, res.frame, d, "ja", source="x", created=datetime(2024, 7, 1))
    assert ("スコアの重み: —（データにない SNSでの反応、メール開封率 は使わず、残りを合計100に換算）。") in text

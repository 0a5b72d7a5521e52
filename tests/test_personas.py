"""Personas: exact bullets on a small hand-made customer base.

Every expected figure below is worked out by hand from the fixture (the comments
show the arithmetic), not read from the output."""

import numpy as np
import pandas as pd
import pytest

from loyalty import definition as defn
from loyalty.personas import FACTS, build_personas, comparison_table, note_for, persona_frame, with_note

NAN = np.nan


def _features() -> pd.DataFrame:
    rows = {
        #      age    gender region  channel      opy  rec  aov   monetary tenure disc  rev ord open  ev nps  sat logins
        "c1": ("30代", "女性", "関東", "紹介",      12, 10, 8000, 96000, 730, 0.1, 6, 24, 60, 2, 10, 5, NAN),
        "c2": ("40代", "女性", "関東", "Instagram", 8, 20, 6000, 48000, 1095, 0.0, 2, 16, 40, 0, 9, 4, NAN),
        "c3": ("30代", "男性", "近畿", "検索",      4, 40, 5000, 20000, 365, 0.5, 1, 4, 20, 1, 7, 4, 5),
        "c4": (None, "女性", "関東", "検索",        3, 200, 4000, 12000, 400, 0.5, 0, 6, NAN, 0, NAN, NAN, 7),
        "c5": ("20代", "女性", "九州", "検索",      1, 300, 3000, 3000, 200, 1.0, 0, 1, 10, 0, 3, 2, 1),
        "c6": ("20代", "男性", "関東", "検索",      0, 400, 2000, 0, 500, NAN, 0, 2, 0, 0, 6, 3, 0),
    }
    columns = ["age_band", "gender", "region", "acquisition_channel", "orders_per_year", "recency_days", "aov",
               "monetary", "tenure_days", "discount_share", "reviews", "orders_total", "email_open_rate", "events",
               "nps", "satisfaction", "logins"]
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    frame.index.name = "customer_id"
    for c in ("age_band", "gender", "region", "acquisition_channel"):
        frame[c] = frame[c].astype("str")
    return frame


def _scores(index) -> pd.DataFrame:
    tiers = ["top", "top", "middle", "middle", "low", "low"]
    segments = ["champions", "champions", "loyal", "at_risk", "lost", "lost"]
    keys = [s.key for s in defn.default_segments()] + ["other"]
    return pd.DataFrame({
        "loyalty_score": [95.0, 85.0, 70.0, 55.0, 30.0, 10.0],
        "tier": pd.Categorical(tiers, categories=["top", "middle", "low"]),
        "rfm_segment": pd.Categorical(segments, categories=keys),
    }, index=index)


@pytest.fixture(scope="module")
def base():
    f = _features()
    return f, _scores(f.index), defn.preset("b2c")


def test_top_tier_persona_bullets_exactly(base):
    f, s, d = base
    top = build_personas(f, s, d, "ja")[0]
    assert (top.target, top.label, top.customers) == ("tier:top", "最重要顧客", 2)
    assert top.bullets == [
        "顧客数 2人（全体の 33.3%）",
        # revenue 96,000 + 48,000 of 179,000 = 80.4 %
        "売上構成比 80.4%（顧客数では 33.3%）",
        # 30代 and 40代 tie 1:1 → the value that sorts first; 30代 is 2 of the 5 known ages overall
        "最も多い年代 30代（50.0%、全体 40.0%）",
        "最も多い性別 女性（100.0%、全体 66.7%）",
        "最も多い地域 関東（100.0%、全体 66.7%）",
        # Instagram and 紹介 tie; "Instagram" sorts before "紹介"; 1 of 6 overall
        "最も多い流入経路 Instagram（50.0%、全体 16.7%）",
        # median(12, 8) = 10; overall median(12, 8, 4, 3, 1, 0) = 3.5
        "年間購入回数の中央値 10回（全体 3.5回）",
        # median(10, 20) = 15; overall (40 + 200) / 2 = 120
        "最終購入からの日数の中央値 15日（全体 120日）",
        "平均購入単価の中央値 ¥7,000（全体 ¥4,500）",
        # 144,000 / 2 = 72,000; 179,000 / 6 = 29,833.3
        "1人あたり売上（集計期間） ¥72,000（全体 ¥29,833）",
        # median(730, 1095) = 912.5 days = 2.5 years; overall (400 + 500) / 2 = 450 days = 1.2 years
        "継続期間の中央値 2.5年（全体 1.2年）",
        # mean(0.1, 0.0) = 5 %; overall (0.1 + 0 + 0.5 + 0.5 + 1.0) / 5 = 42 % (c6 has no value)
        "割引・クーポンを使った注文の割合 5.0%（全体 42.0%）",
        # (6 + 2) / (24 + 16) = 20 %; overall 9 / 53 = 17.0 %
        "レビュー投稿率（投稿数÷購入回数） 20.0%（全体 17.0%）",
        # percent points: mean(60, 40) = 50; overall mean(60, 40, 20, 10, 0) = 26
        "メール開封率の平均 50.0%（全体 26.0%）",
        # no login figure for c1 and c2: left out for this tier
        # c1 attended, c2 not; overall c1 and c3 = 2 of 6
        "イベント・セミナーに参加したことがある 50.0%（全体 33.3%）",
        # 10 and 9 are promoters: +100; overall 2 promoters, 2 detractors (3, 6) of 5 answers = 0
        "NPS +100（全体 0、回答 2件）",
        "満足度の平均（5段階） 4.5（全体 3.6）",
    ]


def test_missing_values_leave_a_fact_out_but_other_groups_keep_it(base):
    f, s, d = base
    top, middle, low = build_personas(f, s, d, "ja")
    assert top.fact("logins") is None
    assert middle.fact("logins").text == "ログイン回数の中央値 6回（全体 3回）"  # median(5, 7); median(5, 7, 1, 0)
    assert middle.fact("age_band").text == "最も多い年代 30代（100.0%、全体 40.0%）"  # c4 has no age
    assert middle.fact("nps").text == "NPS 0（全体 0、回答 1件）"  # one passive (7)
    assert low.fact("nps").text == "NPS -100（全体 0、回答 2件）"
    assert low.fact("discount_share").value == pytest.approx(1.0)  # c6 has none: only c5 counts


def test_columns_the_data_lacks_are_never_invented(base):
    f, s, d = base
    keys = {fact.key for p in build_personas(f, s, d, "ja") for fact in p.facts}
    for absent in ("industry", "company_size", "annual_contract_value", "monthly_fee", "email_click_rate",
                   "sns_reactions", "inquiries", "departments", "meetings", "referral", "relationship_rating"):
        assert absent not in keys
    only_money = f[["monetary"]]
    p = build_personas(only_money, s, d, "ja")[0]
    assert [x.key for x in p.facts] == ["size", "revenue_share", "revenue_per_customer"]


def test_structured_values_and_english_text(base):
    f, s, d = base
    top = build_personas(f, s, d, "en")[0]
    fact = top.fact("orders_per_year")
    assert (fact.value, fact.overall, fact.value_text, fact.overall_text) == (10.0, 3.5, "10 orders", "3.5 orders")
    assert fact.text == "Median orders per year: 10 orders (overall 3.5 orders)"
    assert top.fact("nps").respondents == 2
    assert top.fact("nps").text == "NPS +100 (overall 0; 2 answers)"
    age = top.fact("age_band")
    assert (age.value, age.share, age.overall) == ("30代", 0.5, pytest.approx(0.4))
    assert top.label == "Top customers"


def test_segment_personas_follow_the_rules_order_and_include_empty_ones(base):
    f, s, d = base
    personas = build_personas(f, s, d, "ja", by="segment")
    assert [p.key for p in personas] == [r.key for r in d.segments] + ["other"]
    sizes = {p.key: p.customers for p in personas if p.customers}
    assert sizes == {"champions": 2, "loyal": 1, "at_risk": 1, "lost": 2}
    assert next(p for p in personas if p.key == "new").facts == ()
    assert next(p for p in personas if p.key == "at_risk").target == "segment:at_risk"


def test_no_segments_without_rfm(base):
    f, s, d = base
    no_seg = s.assign(rfm_segment=pd.Categorical([None] * len(s)))
    assert build_personas(f, no_seg, d, "ja", by="segment") == []


def test_b2b_accounts_are_counted_as_companies_and_yes_no_is_read():
    f = pd.DataFrame({
        "industry": ["IT", "IT", "製造", "小売"],
        "company_size": ["300〜499名", "300〜499名", "1〜49名", "1〜49名"],
        "annual_contract_value": [2_400_000.0, 1_800_000.0, 600_000.0, 300_000.0],
        "monetary": [2_400_000.0, 1_800_000.0, 600_000.0, 300_000.0],
        "referral": ["あり", "なし", "なし", None],
        "relationship_rating": [5.0, 4.0, 2.0, 1.0],
    }, index=pd.Index(["A1", "A2", "A3", "A4"], name="customer_id"))
    for c in ("industry", "company_size", "referral"):
        f[c] = f[c].astype("str")
    s = pd.DataFrame({"loyalty_score": [90.0, 85.0, 40.0, 20.0],
                      "tier": pd.Categorical(["top", "top", "low", "low"], categories=["top", "middle", "low"]),
                      "rfm_segment": pd.Categorical([None] * 4)}, index=f.index)
    top, middle, low = build_personas(f, s, defn.preset("b2b"), "ja")
    assert top.bullets == [
        "顧客数 2社（全体の 50.0%）",
        "売上構成比 82.4%（顧客数では 50.0%）",  # 4.2 M of 5.1 M
        "最も多い業種 IT（100.0%、全体 50.0%）",
        "最も多い従業員規模 300〜499名（100.0%、全体 50.0%）",
        "1社あたり売上（集計期間） ¥2,100,000（全体 ¥1,275,000）",
        "年間契約額の中央値 ¥2,100,000（全体 ¥1,200,000）",
        "紹介・事例協力あり 50.0%（全体 33.3%）",  # 1 of 3 answers overall (A4 unanswered)
        "担当者による関係性評価の平均（5段階） 4.5（全体 3.0）",
    ]
    assert middle.customers == 0 and middle.facts == ()


def test_comparison_table_and_reference_column(base):
    f, s, d = base
    tiers = build_personas(f, s, d, "ja")
    everyone = build_personas(f, s, d, "ja", by="all")[0]
    assert (everyone.target, everyone.label, everyone.customers) == ("all", "全体", 6)
    table = comparison_table(tiers, everyone, "ja")
    assert list(table.columns) == ["最重要顧客", "中堅層", "低貢献層", "全体"]
    assert table.loc["最も多い年代", "最重要顧客"] == "30代（50.0%）"
    assert table.loc["最も多い年代", "全体"] == "20代（40.0%）"  # 20代 and 30代 tie 2:2
    assert table.loc["顧客数", "全体"] == "6人（100.0%）"
    assert table.loc["ログイン回数の中央値", "最重要顧客"] == ""
    assert table.loc["年間購入回数の中央値", "全体"] == "3.5回"
    assert list(table.index) == [fact.label for fact in everyone.facts]  # FACTS order


def test_persona_frame_long_form_with_notes(base):
    f, s, d = base
    personas = build_personas(f, s, d, "ja") + build_personas(f, s, d, "ja", by="segment")
    frame = persona_frame(personas, {"tier:top": "紹介経由が多い", "segment:lost": "  "}, "ja")
    assert list(frame.columns) == ["group", "persona", "customers", "item", "value", "overall", "text"]
    n_facts = sum(len(p.facts) for p in personas if p.customers)
    assert len(frame) == n_facts + 1  # the blank note adds nothing
    note = frame[frame["item"] == "メモ（ファシリテーター）"].iloc[0]
    assert (note["group"], note["persona"], note["text"]) == ("層", "最重要顧客", "紹介経由が多い")
    assert set(frame["persona"]) == {"最重要顧客", "中堅層", "低貢献層", "チャンピオン", "ロイヤル", "離反リスク", "離脱"}


def test_notes_are_kept_under_the_target_and_read_from_a_bare_tier_key():
    assert note_for({"top": "古い形式"}, "tier:top") == "古い形式"
    assert note_for({"top": "古い形式"}, "segment:top") == ""
    assert note_for({"tier:top": "新", "top": "古"}, "tier:top") == "新"
    notes = {"top": "古い形式", "segment:lost": "x"}
    assert with_note(notes, "tier:top", "新しい") == {"segment:lost": "x", "tier:top": "新しい"}
    assert with_note(notes, "segment:lost", "  ") == {"top": "古い形式"}
    assert notes == {"top": "古い形式", "segment:lost": "x"}  # not modified


def test_unknown_grouping_is_a_programming_error(base):
    f, s, d = base
    with pytest.raises(ValueError):
        build_personas(f, s, d, "ja", by="region")


def test_every_fact_has_a_label_in_both_languages():
    from loyalty.i18n import catalogue

    for spec in FACTS:
        assert f"persona.fact.{spec.key}" in catalogue("ja") and f"persona.fact.{spec.key}" in catalogue("en")

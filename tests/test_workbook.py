"""The workbook, read back with openpyxl: sheets, headers, values worked out by hand
(tests/fixtures_deliverables.py), number formats, frozen header rows, filters, no
formula cells, and the definition that comes back out of it."""

import io
from datetime import datetime

import openpyxl
import pytest

from loyalty import definition as defn
from loyalty.export import NUMBER_FORMATS
from loyalty.ltv import customer_ltv
from loyalty.measures import replace_target
from loyalty.workbook import workbook_bytes
from tests import fixtures_deliverables as fx

SHEETS_JA = ["概要", "層", "RFMセグメント", "ペルソナ", "施策（アクションプラン）", "定義", "定義JSON",
             "顧客_最重要顧客", "顧客_中堅層", "顧客_低貢献層"]


@pytest.fixture(scope="module")
def made():
    features, result, d = fx.build()
    d.persona_notes = {"tier:top": "紹介経由の30代女性が中心"}
    d.measures = replace_target(None, "tier:top", [{"title": "=SUM(A1)", "channel": "電話", "kpi": "継続率"}], "ja")
    data = workbook_bytes(features, result.frame, d, "ja", source="orders.csv、customers.csv",
                          created=datetime(2024, 7, 1, 9, 30), ltv=customer_ltv(features.frame))
    return openpyxl.load_workbook(io.BytesIO(data)), d


def _table(ws, header_row: int) -> list[dict]:
    rows = list(ws.iter_rows(min_row=header_row, values_only=True))
    head = rows[0]
    return [dict(zip(head, r)) for r in rows[1:]]


def _header_row(ws) -> int:
    return int(ws.freeze_panes[1:]) - 1


def test_sheet_names_in_order(made):
    book, _ = made
    assert book.sheetnames == SHEETS_JA


def test_summary_title_lines_and_tier_table(made):
    book, _ = made
    ws = book["概要"]
    lines = [ws.cell(row=i, column=1).value for i in range(1, 7)]
    assert lines == [
        "ロイヤルカスタマー分析レポート",
        "定義: テスト定義",
        "基準日: 2024/06/30\u3000集計期間: 直近 365 日（2023/07/02〜2024/06/30）",
        "データ: orders.csv、customers.csv",
        "顧客数: 5\u3000売上（集計期間）: ¥261,000",
        "作成日時: 2024/07/01 09:30",
    ]
    rows = _table(ws, _header_row(ws))
    assert [r["層"] for r in rows] == ["最重要顧客", "中堅層", "低貢献層"]
    assert [r["顧客数"] for r in rows] == [2, 1, 2]
    assert [r["売上（期間内）"] for r in rows] == [fx.REVENUE["top"], fx.REVENUE["middle"], fx.REVENUE["low"]]
    assert [round(r["売上構成比"], 4) for r in rows] == [round(180 / 261, 4), round(60 / 261, 4), round(21 / 261, 4)]
    assert [r["顧客構成比"] for r in rows] == [0.4, 0.2, 0.4]


def test_number_formats_frozen_header_and_filters(made):
    book, _ = made
    ws = book["概要"]
    header = _header_row(ws)
    assert ws.freeze_panes == f"A{header + 1}"
    assert ws.auto_filter.ref == f"A{header}:F{header + 3}"
    cells = {c.value: c.column for c in ws[header]}
    first = header + 1
    assert ws.cell(first, cells["売上（期間内）"]).number_format == NUMBER_FORMATS["yen"]
    assert ws.cell(first, cells["売上構成比"]).number_format == NUMBER_FORMATS["pct"]
    assert ws.cell(first, cells["顧客数"]).number_format == NUMBER_FORMATS["int"]
    tiers = book["層"]
    cells = {c.value: c.column for c in tiers[_header_row(tiers)]}
    # averages read with one decimal (18.5 days), not two
    assert tiers.cell(_header_row(tiers) + 1, cells["平均経過日数"]).number_format == "0.0"
    assert tiers.cell(_header_row(tiers) + 1, cells["平均R"]).number_format == "0.0"
    customers = book["顧客_最重要顧客"]
    header = _header_row(customers)
    cells = {c.value: c.column for c in customers[header]}
    assert customers.cell(header + 1, cells["最終購入日"]).number_format == NUMBER_FORMATS["date"]
    assert customers.cell(header + 1, cells["購入金額（期間内）"]).number_format == NUMBER_FORMATS["yen"]
    assert customers.cell(header + 1, cells["顧客ID"]).number_format == "@"
    for ws in book.worksheets:
        assert ws.freeze_panes and ws.auto_filter.ref, ws.title
        assert ws.column_dimensions["A"].width >= 6, ws.title


def test_no_formula_cells_and_formulas_in_data_stay_text(made):
    book, _ = made
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    low = _table(book["顧客_低貢献層"], _header_row(book["顧客_低貢献層"]))
    plan = _table(book["施策（アクションプラン）"], _header_row(book["施策（アクションプラン）"]))
    assert plan[0]["施策"] == "=SUM(A1)"
    assert any(r["顧客ID"] == "0003" for r in low)


def test_customer_sheets_per_tier_sorted_by_score_with_ids_as_text(made):
    book, _ = made
    for sheet, tier in (("顧客_最重要顧客", "top"), ("顧客_中堅層", "middle"), ("顧客_低貢献層", "low")):
        ws = book[sheet]
        rows = _table(ws, _header_row(ws))
        expected = sorted((cid for cid, k in fx.TIERS.items() if k == tier), key=lambda c: -fx.SCORES[c])
        assert [r["顧客ID"] for r in rows] == expected
        assert [round(r["ロイヤルティスコア"], 1) for r in rows] == [round(fx.SCORES[c], 1) for c in expected]
    top = _table(book["顧客_最重要顧客"], _header_row(book["顧客_最重要顧客"]))
    assert top[0]["顧客名"] == "髙橋 𠮷子"
    assert top[0]["RFMセグメント"] == "チャンピオン"
    assert top[0]["最終購入日"] == datetime(2024, 6, 25)
    assert top[0]["購入金額（期間内）"] == 120_000
    assert book["顧客_最重要顧客"].cell(1, 1).value == "最重要顧客の顧客 2人（スコアの高い順）"


def test_segments_personas_and_action_plan(made):
    book, _ = made
    seg = _table(book["RFMセグメント"], _header_row(book["RFMセグメント"]))
    counts = {r["RFMセグメント"]: r["顧客数"] for r in seg if r["顧客数"]}
    assert counts == {"チャンピオン": 2, "ロイヤル": 1, "要注目": 1, "離脱": 1}
    personas = _table(book["ペルソナ"], _header_row(book["ペルソナ"]))
    top = [r for r in personas if r["対象"] == "最重要顧客"]
    assert top[0]["記述"] == "顧客数 2人（全体の 40.0%）"
    # the most common value with its share in the tier (both top customers are in their 30s), and overall
    assert {"項目": "最も多い年代", "値": "30代（100.0%）", "全体": "60.0%"}.items() <= top[2].items()
    assert top[-1]["項目"] == "メモ（ファシリテーター）" and top[-1]["記述"] == "紹介経由の30代女性が中心"
    # NPS of 10 and 9: +100; overall 10, 8, 3, 9 → 2 promoters, 1 detractor of 4 = +25
    assert any(r["記述"] == "NPS +100（全体 +25、回答 2件）" for r in top)
    plan = _table(book["施策（アクションプラン）"], _header_row(book["施策（アクションプラン）"]))
    assert list(plan[0]) == ["対象", "顧客数", "施策", "内容", "チャネル", "タイミング", "KPI", "担当", "期限"]
    assert (plan[0]["対象"], plan[0]["顧客数"], plan[0]["チャネル"]) == ("最重要顧客", 2, "電話")
    assert plan[1]["対象"] == "中堅層" and plan[1]["顧客数"] == 1


def test_definition_sheets_give_the_definition_back(made):
    book, d = made
    ws = book["定義JSON"]
    lines = [r[0] for r in ws.iter_rows(min_row=_header_row(ws) + 1, values_only=True)]
    back = defn.loads("\n".join("" if x is None else x for x in lines))
    assert back.to_dict() == d.to_dict()
    settings = {r["項目"]: r["値"] for r in _table(book["定義"], _header_row(book["定義"]))}
    assert settings["定義の名前"] == "テスト定義"
    assert settings["基準日"] == "自動（データの最新の購入日: 2024/06/30）"
    assert settings["M の区切り（金額: M2 / M3 / M4 / M5 の下限）"] == "¥10,000 / ¥30,000 / ¥50,000 / ¥100,000"
    assert settings["層: 最重要顧客"] == "80以上"  # no overlap at the cut-offs: 50以上80未満, 50未満
    assert settings["セグメント: 新規"] == "R 4–5 / F 1 / M 1–5"  # a one-score range reads "F 1", not "F 1–1"
    assert settings["施策"] == f"編集済み（{len(d.measures)} 件）"
    assert settings["ペルソナのメモ（件数）"] == "1"


def test_the_definition_sheet_says_which_weights_the_data_could_not_use():
    from loyalty.scoring import score

    features, _, _ = fx.build()
    d = defn.preset("b2c").copy(name="SNS入り", factors=[
        defn.FactorSetting("recency", 30), defn.FactorSetting("frequency", 30), defn.FactorSetting("monetary", 20),
        defn.FactorSetting("sns_reactions", 20)])  # the fixture has no SNS column
    res = score(features.frame, d)
    assert res.dropped == ["sns_reactions"]
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(features, res.frame, d, "ja", source="fixture")))
    settings = {r["項目"]: r["値"] for r in _table(book["定義"], _header_row(book["定義"]))}
    # 30 / (30 + 30 + 20) = 37.5; 20 / 80 = 25.0
    assert settings["重み: R：最終購入の近さ"] == "30（データにない要素を除き 37.5 に換算）"
    assert settings["重み: M：購入金額"] == "20（データにない要素を除き 25.0 に換算）"
    assert settings["重み: SNSでの反応"] == "20（データにないため使っていません）"
    # with every factor in the data the weights read as set
    plain = d.copy(factors=d.factors[:3])
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(features, score(features.frame, plain).frame, plain, "ja")))
    settings = {r["項目"]: r["値"] for r in _table(book["定義"], _header_row(book["定義"]))}
    assert settings["重み: R：最終購入の近さ"] == "30"


@pytest.mark.slow
def test_english_workbook_and_no_segment_sheet_without_rfm():
    features, result, d = fx.build()
    scored = result.frame.assign(rfm_segment=result.frame["rfm_segment"].cat.set_categories([]))
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(features, scored, d, "en")))
    assert book.sheetnames == ["Summary", "Tiers", "Personas", "Action plan", "Definition", "Definition JSON",
                               "Customers_Top customers", "Customers_Middle tier", "Customers_Low contributors"]
    assert "RFM segments: the data does not have R, F and M" in book["Summary"].cell(7, 1).value

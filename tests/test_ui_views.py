"""The pure helpers pages draw from (ui/quality_view.py, ui/segments_ui.py): tables and
texts computed from small hand-made inputs, without a Streamlit run."""

import pandas as pd

from loyalty.quality import EXCLUSION_ORDER
from ui import quality_view, segments_ui


def test_encoding_names_as_known_in_japan():
    assert quality_view.encoding_name("cp932", "ja") == "Shift_JIS（CP932）"
    assert quality_view.encoding_name("utf-8-sig", "en") == "UTF-8 with BOM"
    assert quality_view.encoding_name("latin-1", "ja") == "latin-1"  # no name in the catalogue: as it is


def test_date_forms_in_words():
    note = "YYYY/MM/DD + time + 和暦 (Japanese era) + Excel serial + 2 more forms"
    assert quality_view.date_forms(note, "ja") == "YYYY/MM/DD（時刻つき）、和暦、Excel のシリアル値、ほか 2 形式"
    assert quality_view.date_forms(note, "en") == ("YYYY/MM/DD with time, Japanese era, Excel serial numbers, "
                                                   "2 more forms")
    assert quality_view.date_forms("no dates", "en") == "no dates"
    assert quality_view.date_forms("—", "ja") == "—"


def test_plain_escapes_markdown_in_column_names():
    assert quality_view.plain("金額(税込)*_#1") == "金額\\(税込\\)\\*\\_\\#1"


def test_reasons_table_lists_every_check_in_order():
    counts = dict.fromkeys(EXCLUSION_ORDER, 0) | {"bad_date": 3, "missing_customer_id": 1}
    table = quality_view.reasons_table(counts, "ja")
    assert list(table.columns) == ["判定順", "除外理由", "行数"]
    assert table["判定順"].tolist() == list(range(1, len(EXCLUSION_ORDER) + 1))
    assert table["除外理由"].tolist()[:2] == ["顧客IDなし", "日付が空または読めない"]
    assert table["行数"].tolist()[:3] == [1, 3, 0] and table["行数"].sum() == 4


def test_excluded_view_words_the_reason_and_shows_empty_cells_empty():
    excluded = pd.DataFrame({"file": ["a.csv", "a.csv"], "row": [3, 7], "reason": ["bad_date", "missing_customer_id"],
                             "顧客ID": ["C1", None], "金額": [100.0, None]})
    view = quality_view.excluded_view(excluded, "en")
    assert list(view.columns) == ["File", "Row in file", "Reason", "顧客ID", "金額"]
    assert view["Reason"].tolist() == ["Date empty or unreadable", "No customer id"]
    assert view["顧客ID"].tolist() == ["C1", ""]
    assert view["金額"].isna().tolist() == [False, True]  # a number column keeps its missing value
    assert excluded["reason"].tolist() == ["bad_date", "missing_customer_id"]  # the input is not changed


def _customer_list():
    return pd.DataFrame({
        "customer_id": ["C001", "C002", "C010", "X100"],
        "tier": ["top", "middle", "top", "low"], "tier_label": ["最重要顧客", "中堅層", "最重要顧客", "低貢献層"],
        "rfm_segment": ["champions", "loyal", "loyal", "lost"],
        "rfm_segment_label": ["チャンピオン", "ロイヤル", "ロイヤル", "休眠"],
        "loyalty_score": [90.0, 60.0, 95.0, 60.5], "r_score": [5, 3, 5, 1], "recency_days": [3, 40, 1, 300]})


def test_filter_customers_by_tier_segment_and_id_text_highest_score_first():
    table = _customer_list()
    assert segments_ui.filter_customers(table)["customer_id"].tolist() == ["C010", "C001", "X100", "C002"]
    assert segments_ui.filter_customers(table, tier="top")["customer_id"].tolist() == ["C010", "C001"]
    assert segments_ui.filter_customers(table, segment="loyal")["customer_id"].tolist() == ["C010", "C002"]
    assert segments_ui.filter_customers(table, "middle", "loyal")["customer_id"].tolist() == ["C002"]
    assert segments_ui.filter_customers(table, query=" C00 ")["customer_id"].tolist() == ["C001", "C002"]
    assert segments_ui.filter_customers(table, query="c00").empty  # ids are matched as written
    assert segments_ui.filter_customers(table, query=".")["customer_id"].tolist() == []  # not a pattern


def test_on_screen_keeps_the_listed_columns_and_cuts_the_rows():
    table = _customer_list()
    shown, cut = segments_ui.on_screen(table, 3)
    assert list(shown.columns) == ["customer_id", "tier_label", "rfm_segment_label", "loyalty_score", "recency_days"]
    assert len(shown) == 3 and cut
    shown, cut = segments_ui.on_screen(table, 4)
    assert len(shown) == 4 and not cut

"""The pure helpers pages draw from (ui/quality_view.py, ui/segments_ui.py, ui/workshop.py,
ui/golden_route.py, ui/metrics.py):
tables and texts computed from small hand-made inputs, without a Streamlit run."""

from types import SimpleNamespace

import pandas as pd

from loyalty.quality import EXCLUSION_ORDER
from ui import golden_route as ug
from ui import metrics as um
from ui import quality_view, segments_ui
from ui import workshop as uw


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
    assert table["除外理由"].tolist()[:3] == ["顧客IDなし", "合計・小計などの集計行", "日付が空または読めない"]
    assert table["行数"].tolist()[:4] == [1, 0, 3, 0] and table["行数"].sum() == 4


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


TIERS_EN = {"top": "Top", "middle": "Mid", "low": "Low"}


def _scores(tiers, points):
    index = pd.Index(["A", "B", "C", "D"], name="customer_id")
    frame = pd.DataFrame({"tier": pd.Categorical(tiers, categories=["top", "middle", "low"]),
                          "points_recency": [p[0] for p in points], "points_nps": [p[1] for p in points]},
                         index=index)
    frame["loyalty_score"] = frame["points_recency"] + frame["points_nps"]
    return SimpleNamespace(frame=frame)


def _proposals():
    # "Sales" and "CS" agree on A (top) and D (low); B and C swap between top and middle.
    # C is scored only by "Sales": the comparison keeps the customers both scored.
    sales = _scores(["top", "top", "middle", "low"], [(50, 40), (45, 40), (30, 30), (5, 5)])
    cs = _scores(["top", "middle", "top", "low"], [(40, 50), (20, 45), (20, 70), (5, 5)])
    cs.frame = cs.frame.drop(index="C")
    return {"Sales": sales, "CS": cs}


def test_proposals_are_compared_on_the_customers_all_of_them_scored():
    features = pd.DataFrame({"monetary": [100.0, 50.0, 30.0, None]}, index=pd.Index(list("ABCD")))
    cmp, customers, narrowed = uw.on_common_customers(_proposals(), features)
    assert (customers, narrowed) == (3, True)
    assert cmp.names == ["Sales", "CS"]
    assert cmp.monetary.to_dict() == {"A": 100.0, "B": 50.0, "D": 0.0}  # no amount: ¥0
    cmp, _, _ = uw.on_common_customers(_proposals(), pd.DataFrame(index=pd.Index(list("ABCD"))))
    assert cmp.monetary.tolist() == [0.0, 0.0, 0.0]


def test_sizes_as_text_on_screen_and_as_numbers_in_the_workbook():
    cmp, _, _ = uw.on_common_customers(_proposals(), pd.DataFrame({"monetary": [100.0, 50.0, 30.0, 50.0]},
                                                                  index=pd.Index(list("ABCD"))))
    customers, revenue = uw.size_tables(cmp.tier_table(), cmp.names)
    assert customers.to_dict("index") == {"Sales": {"top": 2, "middle": 0, "low": 1},
                                          "CS": {"top": 1, "middle": 1, "low": 1}}
    assert revenue.loc["CS"].tolist() == [0.5, 0.25, 0.25]
    view = uw.sizes_view(cmp.names, customers, revenue, TIERS_EN, "en")
    assert view.to_dict("records") == [
        {"Proposal": "Sales", "Top (customers)": "2", "Top (revenue share)": "75.0%", "Mid (customers)": "0",
         "Mid (revenue share)": "0.0%", "Low (customers)": "1", "Low (revenue share)": "25.0%"},
        {"Proposal": "CS", "Top (customers)": "1", "Top (revenue share)": "50.0%", "Mid (customers)": "1",
         "Mid (revenue share)": "25.0%", "Low (customers)": "1", "Low (revenue share)": "25.0%"}]
    sheet, kinds = uw.sizes_sheet(cmp.names, customers, revenue, TIERS_EN, "en")
    assert sheet["Top (customers)"].tolist() == [2, 1] and sheet["Top (revenue share)"].tolist() == [0.75, 0.5]
    assert kinds == {"Top (customers)": "int", "Top (revenue share)": "pct", "Mid (customers)": "int",
                     "Mid (revenue share)": "pct", "Low (customers)": "int", "Low (revenue share)": "pct"}


def test_agreement_migration_and_disagreements_as_shown():
    cmp, _, _ = uw.on_common_customers(_proposals(), pd.DataFrame({"monetary": [1.0, 1.0, 1.0, 1.0]},
                                                                  index=pd.Index(list("ABCD"))))
    jac = uw.jaccard_long(cmp.agreement("top"))
    assert jac.to_dict("records") == [
        {"a": "Sales", "b": "Sales", "jaccard": 1.0, "overlap": 2},
        {"a": "Sales", "b": "CS", "jaccard": 0.5, "overlap": 1},
        {"a": "CS", "b": "Sales", "jaccard": 0.5, "overlap": 1},
        {"a": "CS", "b": "CS", "jaccard": 1.0, "overlap": 1}]
    view, moved = uw.migration_view(cmp.migration("Sales", "CS"), TIERS_EN, "Sales", "CS", "en")
    assert moved == 1  # B: top under Sales, middle under CS
    assert (view.index.name, view.columns.name) == ("Tier in Sales", "Tier in CS")
    assert view.loc["Top", "Mid"] == 1 and view.loc["Top", "Top"] == 1 and view.loc["Low", "Low"] == 1
    tiers_ja = {"top": "最重要", "middle": "中堅", "low": "低"}
    dis = uw.disagreement_view(cmp.disagreements(n=2), cmp.names, tiers_ja, "ja")
    assert dis.to_dict("records") == [
        {"顧客ID": "B", "Sales": "85（最重要）", "CS": "65（中堅）", "スコアの差": 20.0,
         "差を生んだ要素": "R：最終購入の近さ", "その要素の点差": 25.0},
        {"顧客ID": "A", "Sales": "90（最重要）", "CS": "90（最重要）", "スコアの差": 0.0,
         "差を生んだ要素": "NPS（推奨度）", "その要素の点差": 0.0}]  # no gap: the first factor by name


def test_golden_route_patterns_shown_by_group_and_verdict():
    patterns = pd.DataFrame({"group": ["product", "channel", "product", "engagement"],
                             "verdict": ["golden", "golden", "weak", "golden"]}, index=[10, 11, 12, 13])
    assert ug.patterns_shown(patterns, ["product", "engagement"], False).index.tolist() == [10, 12, 13]
    assert ug.patterns_shown(patterns, ["product", "engagement"], True).index.tolist() == [10, 13]
    assert ug.patterns_shown(patterns, [], False).empty


def test_golden_route_entries_shown_with_the_loyal_rate_interval():
    entries = pd.DataFrame({"entry": ["コーヒー豆", "ギフト"], "customers": [120, 40], "loyal": [30, 4],
                            "loyal_rate": [0.25, 0.1], "loyal_rate_low": [0.1975, 0.04],
                            "loyal_rate_high": [0.3012, 0.2345], "f2": [60, 10], "f2_rate": [0.5, 0.25],
                            "loyal_rate_f2": [0.4, 0.2], "hidden_column": [1, 2]})
    shown = ug.entries_shown(entries)
    assert list(shown.columns) == ["entry", "customers", "loyal", "loyal_rate", "loyal_rate_interval", "f2",
                                   "f2_rate", "loyal_rate_f2"]
    assert shown["loyal_rate_interval"].tolist() == ["19.8%〜30.1%", "4.0%〜23.5%"]


def test_ltv_ranking_highest_first_with_its_inputs_and_no_ltv_last():
    index = pd.Index(["A", "B", "C", "D"], name="customer_id")
    values = pd.Series([120_000.4, None, 300_000.6, 120_000.4], index=index)
    comp = pd.DataFrame({"aov": [10_000.0, 0.0, 30_000.0, 20_000.0], "orders_per_year": [4.0, 0.0, 5.0, 2.0]},
                        index=index)
    tiers = pd.Series(pd.Categorical(["middle", "low", "top", "middle"], categories=["top", "middle", "low"]),
                      index=index)
    table = um.ltv_ranking(values, comp, tiers, TIERS_EN)
    assert table["ltv"].isna().tolist() == [False, False, False, True]
    assert table.fillna({"ltv": -1.0}).to_dict("records") == [
        {"customer_id": "C", "tier_label": "Top", "aov": 30_000.0, "orders_per_year": 5.0, "ltv": 300_001.0},
        {"customer_id": "A", "tier_label": "Mid", "aov": 10_000.0, "orders_per_year": 4.0, "ltv": 120_000.0},
        {"customer_id": "D", "tier_label": "Mid", "aov": 20_000.0, "orders_per_year": 2.0, "ltv": 120_000.0},
        {"customer_id": "B", "tier_label": "Low", "aov": 0.0, "orders_per_year": 0.0, "ltv": -1.0}]
    assert um.ltv_ranking(values, comp, tiers, TIERS_EN, rows=2)["customer_id"].tolist() == ["C", "A"]


def test_pareto_bases_and_values():
    features = pd.DataFrame({"frequency": [3, 0, 1], "monetary": [900.0, 0.0, 100.0],
                             "revenue_total": [1500.0, 300.0, 100.0]}, index=["A", "B", "C"])
    assert um.pareto_bases("transactions", features.columns) == ["window", "all_time"]
    assert um.pareto_bases("customers", features.columns) == ["table"]
    assert um.pareto_bases("customers", ["nps"]) == []
    assert um.pareto_values(features, "window").to_dict() == {"A": 900.0, "C": 100.0}  # B: no order in the window
    assert um.pareto_values(features, "all_time").to_dict() == {"A": 1500.0, "B": 300.0, "C": 100.0}
    assert um.pareto_values(features, "table").to_dict() == {"A": 900.0, "B": 0.0, "C": 100.0}

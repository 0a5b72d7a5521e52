"""The golden-route page under AppTest: reached directly on the sample data, controls
that change what is shown, a customer-level upload, English, and the workbook it
offers.  Expected figures come from the domain package (loyalty.golden_route)
run separately on the same files, not from the screen."""

import io
from functools import partial

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from loyalty import definition as defn
from loyalty import golden_route as gr
from loyalty.fmt import format_int, format_pct
from loyalty.pipeline import InputFile, build_features, load_dataset
from loyalty.scoring import score
from tests.helpers import APP, SAMPLE, app_test, metrics as _metrics

PAGE = "pages/golden_route.py"
_app = partial(app_test, PAGE)


@pytest.fixture(scope="module")
def sample():
    ds = load_dataset([InputFile(p.name, p.read_bytes()) for p in SAMPLE])
    feats = build_features(ds)
    tiers = score(feats.frame, defn.preset("b2c")).frame["tier"]
    return ds, feats, tiers


def _expected(sample, **settings):
    ds, feats, tiers = sample
    return gr.analyse(ds.transactions, feats.frame, tiers, feats.as_of, gr.GoldenRouteSettings(**settings))


def _table(at, column: str) -> pd.DataFrame:
    return next(df.value for df in at.dataframe if column in df.value.columns)


@pytest.mark.slow
def test_page_renders_directly_with_the_sample_figures(sample):
    r = _expected(sample)
    at = _app()
    assert at.title[0].value == "ゴールデンルート"
    assert not at.error, [e.value for e in at.error]
    m = _metrics(at)
    assert m["比べた顧客"] == format_int(r.cohort)
    assert m["うち最重要顧客"] == format_int(r.loyal)
    assert m["F2転換率（90日以内）"] == format_pct(r.entries["product"][1]["f2_rate"])
    assert m["ルート上の新規顧客"] == format_int(int((r.new_customers["route_score"] > 0).sum()))
    # the summary names the sample's signal: referral and a staple product at full price
    summary = next(md.value for md in at.markdown if md.value.startswith("- **"))
    assert "流入経路：紹介" in summary and "初回の価格（定価／値引・クーポン）：定価" in summary
    # the pattern table: the referral row carries the domain's lift
    table = _table(at, "lift_interval")
    row = table[(table["attribute_label"] == "流入経路") & (table["value_label"] == "紹介")].iloc[0]
    expected = r.patterns.shown.set_index(["attribute", "value"]).loc[("acquisition_channel", "紹介")]
    assert row["lift"] == pytest.approx(expected["lift"])
    assert row["verdict_label"] == "◎ ゴールデンルート"
    # engagement (current values) is not shown until picked
    assert "メール開封率（現在値）" not in set(table["attribute_label"])
    # the new-customer list: positive scores only, best first
    new = _table(at, "route_score")
    assert new["customer_id"].tolist() == r.new_customers.loc[r.new_customers["route_score"] > 0,
                                                              "customer_id"].tolist()
    assert len(at.download_button) == 3


def test_the_lift_chart_keeps_labels_horizontal():
    at = _app()
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert len(charts) >= 2
    spec = charts[0].proto.spec
    assert '"labelAngle": 0' in spec or '"labelAngle":0' in spec
    assert '"type": "log"' in spec or '"type":"log"' in spec


@pytest.mark.slow
def test_counting_the_middle_tier_as_loyal_changes_the_figures(sample):
    r = _expected(sample, loyal_tiers=("top", "middle"))
    at = _app()
    before = _metrics(at)
    at.segmented_control(key="w_gr_loyal").set_value("top_middle").run()
    assert not at.exception, [e.value for e in at.exception]
    after = _metrics(at)
    assert after["うち最重要顧客＋中堅層"] == format_int(r.loyal)
    assert after["うち最重要顧客＋中堅層"] != before["うち最重要顧客"]


@pytest.mark.slow
def test_a_longer_minimum_history_compares_fewer_customers(sample):
    r = _expected(sample, min_history_days=365)
    at = _app()
    at.select_slider(key="w_gr_history").set_value(365).run()
    assert not at.exception, [e.value for e in at.exception]
    assert _metrics(at)["比べた顧客"] == format_int(r.cohort)
    assert r.cohort < _expected(sample).cohort


@pytest.mark.slow
def test_a_shorter_history_pulls_longer_windows_down_to_it(sample):
    at = _app()
    at.select_slider(key="w_gr_new").set_value(180).run()
    at.select_slider(key="w_gr_history").set_value(120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.select_slider(key="w_gr_new").value == 120
    r = _expected(sample, min_history_days=120, new_days=120)
    assert _metrics(at)["比べた顧客"] == format_int(r.cohort)


@pytest.mark.slow
def test_entry_table_by_category(sample):
    r = _expected(sample)
    at = _app()
    at.segmented_control(key="w_gr_entry_by").set_value("category").run()
    assert not at.exception
    shown = _table(at, "f2_rate")
    expected, _ = r.entries["category"]
    assert shown["entry"].tolist() == expected["entry"].tolist()
    assert shown["loyal"].tolist() == expected["loyal"].tolist()


def test_a_customer_level_upload_gets_a_clear_message():
    text = "顧客ID,最終購入からの日数,購入回数,購入金額\nA,10,3,30000\nB,200,1,5000\n"
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="w_upload").set_value(("summary.csv", text.encode("utf-8"), "text/csv")).run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("購入明細" in i.value for i in at.info)
    assert not at.metric


@pytest.mark.slow
def test_english(sample):
    at = _app()
    at.toggle(key="w_lang_en").set_value(True).run()
    assert not at.exception
    assert at.title[0].value == "Golden route"
    r = _expected(sample)
    assert _metrics(at)["Customers compared"] == format_int(r.cohort)


@pytest.mark.slow
def test_workbook_has_the_list_patterns_and_entries(sample):
    from ui import golden_route as ug

    r = _expected(sample)
    data = ug.workbook(r.new_customers, r.patterns.shown, r.entries["product"][0], r.labels, "ja",
                       {"list": ["title"]})
    book = pd.read_excel(io.BytesIO(data), sheet_name=None, header=None, dtype=str, engine="openpyxl")
    assert list(book) == ["新規顧客リスト", "初回の特徴", "入口商品"]
    listing = book["新規顧客リスト"]
    assert listing.iloc[2, 0] == "顧客ID"  # title line, empty line, header
    assert listing.iloc[3:, 0].tolist() == r.new_customers["customer_id"].tolist()  # zeros kept
    assert len(book["初回の特徴"]) == len(r.patterns.shown) + 1
    # the CSV for older tools: CP932, ids with their zeros
    from loyalty.export import csv_bytes

    text = csv_bytes(r.new_customers, encoding="cp932").data.decode("cp932")
    assert text.splitlines()[1].startswith(r.new_customers["customer_id"].iloc[0] + ",")


@pytest.mark.slow
def test_switching_language_keeps_every_choice(sample):
    at = _app()
    at.segmented_control(key="w_gr_loyal").set_value("top_middle").run()
    at.pills(key="w_gr_groups").set_value(["first_order", "engagement"]).run()
    at.segmented_control(key="w_gr_entry_by").set_value("category").run()
    at.select_slider(key="w_gr_history").set_value(365).run()
    at.select_slider(key="w_gr_min_customers").set_value(50).run()
    at.toggle(key="w_lang_en").set_value(True).run()
    at.run()  # the rerun after the switch is where formatted choices used to get lost
    assert not at.exception
    assert at.segmented_control(key="w_gr_loyal").value == "top_middle"
    assert at.pills(key="w_gr_groups").value == ["first_order", "engagement"]
    assert at.segmented_control(key="w_gr_entry_by").value == "category"
    assert at.select_slider(key="w_gr_history").value == 365
    assert at.select_slider(key="w_gr_min_customers").value == 50
    r = _expected(sample, min_history_days=365, loyal_tiers=("top", "middle"), min_customers=50)
    assert _metrics(at)["Customers compared"] == format_int(r.cohort)
    table = _table(at, "lift_interval")
    assert set(table["attribute_label"]) <= {gr.attribute_label(a.key, "en") for a in gr.ATTRIBUTES
                                             if a.group in ("first_order", "engagement")}
    assert "E-mail open rate (current)" in set(table["attribute_label"])


def test_a_tiny_upload_without_products_explains_what_is_missing():
    text = "会員番号,注文日,金額\n0001,2024/06/01,120000\n0001,2024/06/20,1000\n0002,2023/01/05,3000\n"
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="w_upload").set_value(("mine.csv", text.encode("cp932"), "text/csv")).run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    m = _metrics(at)
    assert m["比べた顧客"] == "1" and m["うち最重要顧客"] == "0"  # 0002 is compared; 0001 (top) is new
    infos = " ".join(i.value for i in at.info)
    assert "ロイヤル顧客がいません" in infos  # the note says what to change
    assert "商品名もカテゴリもない" in infos

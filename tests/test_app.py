"""App tests with Streamlit's AppTest: every page on the sample data and after an
upload, direct page access, sliders that change what is shown, no re-reading on
a slider move, English UI.  Expected figures are computed independently through
the domain package, not copied from the screen."""


import pytest

from loyalty import definition as defn
from loyalty.fmt import format_int, format_signed_int
from loyalty.i18n import t
from loyalty.pipeline import InputFile, build_features, load_dataset
from loyalty.scoring import score
from tests.helpers import ROOT, SAMPLE, app_test as _app, metrics as _metrics

PAGES = ["pages/home.py", "pages/data.py", "pages/definition.py", "pages/segments.py"]


def _expected_tiers(files, d=None):
    ds = load_dataset([InputFile(p.name, p.read_bytes()) for p in files])
    f = build_features(ds)
    res = score(f.frame, d or defn.preset("b2c"))
    return res.frame["tier"].astype(str).value_counts(), len(res.frame)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_when_reached_directly(page):
    at = _app(page)
    assert not at.error, [e.value for e in at.error]
    assert at.title, "every page has a title"


def test_home_shows_the_sample_figures():
    counts, n = _expected_tiers(SAMPLE)
    at = _app()
    m = _metrics(at)
    assert at.title[0].value == "ロイヤルカスタマー分析ワークベンチ"
    assert m["顧客数"] == format_int(n)
    assert m["最重要顧客"] == format_int(counts["top"])
    assert at.info  # the sample-data notice
    assert "定義「BtoC EC（標準）」で採点しています（ロイヤル定義ページで調整できます）。" in [c.value for c in at.caption]


def test_data_page_quality_report_on_sample():
    raw_rows = len((ROOT / "sample_data" / "orders_cp932.csv").read_bytes().decode("cp932").splitlines()) - 1
    at = _app("pages/data.py")
    m = _metrics(at)
    assert m["読み込んだ行"] == format_int(raw_rows)
    assert m["除外した行"] == "0"


def test_moving_an_rfm_slider_changes_tier_sizes_without_rereading(monkeypatch):
    import ui.state

    calls = {"read": 0, "features": 0}
    real_read, real_build = ui.state.read_table, ui.state.build_features

    def counting_read(*a, **k):
        calls["read"] += 1
        return real_read(*a, **k)

    def counting_build(*a, **k):
        calls["features"] += 1
        return real_build(*a, **k)

    monkeypatch.setattr(ui.state, "read_table", counting_read)
    monkeypatch.setattr(ui.state, "build_features", counting_build)
    at = _app("pages/definition.py")
    before = _metrics(at)
    calls.update(read=0, features=0)
    at.slider(key="w_def_recency_0").set_value(7).run()  # R5 only within a week
    assert not at.exception
    after = _metrics(at)
    d = defn.preset("b2c")
    d.rfm.recency = [7, 60, 90, 179]
    counts, _ = _expected_tiers(SAMPLE, d)
    assert after["最重要顧客"] == format_int(counts["top"])
    assert after["最重要顧客"] != before["最重要顧客"]
    # the change against the saved definition, signed, with no arrow beside the sign
    top = next(m for m in at.metric if m.label == "最重要顧客")
    moved_by = counts["top"] - int(before["最重要顧客"].replace(",", ""))
    assert top.delta == format_signed_int(moved_by) and top.proto.MetricDirection.Name(top.proto.direction) == "NONE"
    assert int(after["層が変わった顧客"].replace(",", "")) > 0
    assert calls == {"read": 0, "features": 0}  # a slider move only re-scores


def test_tier_cutoff_slider_changes_the_segment_table():
    at = _app("pages/definition.py")
    at.slider(key="w_def_tiers").set_value((40.0, 60.0)).run()
    at.switch_page("pages/segments.py").run()
    assert not at.exception
    d = defn.preset("b2c").copy(tiers={"top": 60.0, "middle": 40.0})
    counts, _ = _expected_tiers(SAMPLE, d)
    shown = [df for df in at.dataframe if "customers" in df.value.columns][0].value
    assert shown["customers"].tolist() == [counts["top"], counts["middle"], counts["low"]]


def test_upload_a_cp932_csv_replaces_the_sample(tmp_path):
    text = "会員番号,注文日,金額\n0001,2024/06/01,120000\n0001,2024/06/20,1000\n0002,2023/01/05,3000\n"
    at = _app("pages/data.py")
    at.file_uploader(key="w_upload").set_value(("mine.csv", text.encode("cp932"), "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    m = _metrics(at)
    assert m["読み込んだ行"] == "3" and m["使った行"] == "3"
    at.switch_page("pages/home.py").run()
    m = _metrics(at)
    assert m["顧客数"] == "2"
    # 0001: R5 F2 M5; BtoC weights R15 F25 M25 (SNS and NPS are not in this file, so they
    # drop out and R/F/M are rescaled): (15*5 + 25*2 + 25*5) / 65 * 20 = 76.9 -> middle
    assert m["最重要顧客"] == "0"
    at.switch_page("pages/segments.py").run()
    assert not at.exception
    shown = [df for df in at.dataframe if "customers" in df.value.columns][0].value
    assert shown["customers"].tolist() == [0, 1, 1]
    # back on the data page the uploader is empty (Streamlit keeps no widget off its page):
    # the page names the file still in use and what choosing a new one does
    at.switch_page("pages/data.py").run()
    in_use = t("polish.data.in_use", files="mine.csv")
    assert not at.file_uploader(key="w_upload").value
    assert [c.value for c in at.caption].count(in_use) == 1
    assert _metrics(at)["読み込んだ行"] == "3"


def test_a_bad_upload_shows_a_message_not_a_traceback():
    at = _app("pages/data.py")
    at.file_uploader(key="w_upload").set_value(("broken.xlsx", b"PK\x03\x04garbage", "application/octet-stream")).run()
    assert not at.exception
    assert any("broken.xlsx" in e.value for e in at.error)
    assert any("読み込めないファイルがある" in i.value for i in at.info)  # not "fix the mapping"
    at.switch_page("pages/segments.py").run()
    assert not at.exception
    assert any("broken.xlsx" in e.value for e in at.error)


def test_changing_the_column_mapping_updates_the_report():
    text = "会員番号,注文日,出荷日,金額\n1,2024/01/01,x,100\n2,2024/01/02,y,200\n"
    at = _app("pages/data.py")
    at.file_uploader(key="w_upload").set_value(("m.csv", text.encode(), "text/csv")).run()
    assert _metrics(at)["使った行"] == "2"
    box = next(s for s in at.selectbox if s.label.startswith("購入日"))
    box.set_value("出荷日").run()
    assert not at.exception
    assert _metrics(at)["除外した行"] == "2"  # the report stays visible...
    assert any("使える行がありません" in e.value for e in at.error)  # ...with a way forward


def test_english_switch_translates_the_pages():
    at = _app()
    at.toggle(key="w_lang_en").set_value(True).run()
    assert at.title[0].value == "Loyal-customer workbench"
    at.switch_page("pages/definition.py").run()
    assert at.title[0].value == "Loyalty definition"
    assert not at.exception


def test_quality_report_names_excluded_rows_and_fee_lines_in_the_ui_language():
    text = ("注文番号,会員番号,注文日,商品コード,金額\n"
            "A1,0001,2024/06/01,SK-01,3000\nA1,0001,2024/06/01,送料,500\n"
            "A2,,2024/06/02,SK-02,1000\nA3,0002,2024/13/40,SK-03,2000\n")
    at = _app("pages/data.py")
    at.file_uploader(key="w_upload").set_value(("fees.csv", text.encode(), "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert _metrics(at)["除外した行"] == "2"
    excluded = next(df.value for df in at.dataframe if "元の行番号" in df.value.columns)
    assert excluded["会員番号"].tolist() == ["", "0002"]  # an empty cell shows empty, not "None"
    assert excluded[["ファイル", "元の行番号", "除外理由"]].values.tolist() == [
        ["fees.csv", 4, "顧客IDなし"], ["fees.csv", 5, "日付が空または読めない"]]
    assert any(m.value.startswith("送料・手数料・調整の行（商品ではない行）: 1 行") for m in at.markdown)


@pytest.mark.parametrize("text, words", [
    # 3 of 4 customers in the top tier: the "few customers carry the business" sentence would be wrong
    # (R5 F3 M5 = (15*5 + 25*3 + 25*5) / 65 * 20 = 84.6 with R/F/M alone: top)
    ("会員番号,注文日,金額\n" + "".join(f"{c},2024/06/{d:02d},50000\n" for c in (1, 2, 3) for d in (10, 15, 20))
     + "4,2024/01/05,3000\n", "顧客の半分以上"),
    # nobody reaches the top tier
    ("会員番号,注文日,金額\n1,2024/06/01,100\n2,2024/05/01,200\n", "当てはまる顧客はいません"),
])
def test_the_overview_reading_fits_the_figures(text, words):
    at = _app("pages/data.py")
    at.file_uploader(key="w_upload").set_value(("mine.csv", text.encode(), "text/csv")).run()
    at.switch_page("pages/home.py").run()
    assert not at.exception, [e.value for e in at.exception]
    reading = [m.value for m in at.markdown if "から見て直近" in m.value]
    assert len(reading) == 1 and words in reading[0], reading


def test_the_date_forms_are_named_in_the_ui_language():
    text = "会員番号,注文日,金額\n1,2024/06/01 10:00,100\n2,令和6年6月2日,200\n3,2024-06-03,300\n"
    at = _app("pages/data.py")
    at.file_uploader(key="w_upload").set_value(("dates.csv", text.encode(), "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    line = next(c.value for c in at.caption if c.value.startswith("dates.csv"))
    assert line.endswith("YYYY-MM-DD、YYYY/MM/DD（時刻つき）、和暦") and "Japanese era" not in line  # one each: stable order


@pytest.mark.slow
def test_the_data_currency_shows_on_every_page_chart_and_table():
    import json

    at = _app("pages/data.py")
    at.selectbox(key="w_currency").set_value("GBP").run()
    assert not at.exception
    assert t("data.currency_m_hint", symbol="£") in [c.value for c in at.caption]  # the M cut points are yen
    at.switch_page("pages/home.py").run()
    revenue = _metrics(at)["期間内の売上"]
    assert revenue.startswith("£") and "¥" not in revenue
    at.switch_page("pages/segments.py").run()
    assert not at.exception
    # tables: amount columns use the pound sign; charts: the d3 locale's currency is the pound
    configs = [json.loads(df.proto.columns) for df in at.dataframe if df.proto.columns]
    formats = [((c or {}).get("type_config") or {}).get("format") for cfg in configs for c in cfg.values()]
    assert formats.count("£%,.0f") >= 2 and "yen" not in formats  # revenue, average spend
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert specs and all(s["config"]["locale"]["number"]["currency"] == ["£", ""] for s in specs)
    # the choice stays for the session, and yen comes back when chosen
    at.switch_page("pages/data.py").run()
    assert at.selectbox(key="w_currency").value == "GBP"
    at.selectbox(key="w_currency").set_value("JPY").run()
    at.switch_page("pages/home.py").run()
    assert _metrics(at)["期間内の売上"].startswith("¥")

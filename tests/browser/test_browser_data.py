"""The data page in a real browser: uploads through the real file input (a CP932
CSV, an Excel workbook) and a change of column mapping, each changing the
figures the marketer sees."""

from datetime import datetime

import openpyxl
import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Written in CP932: 髙, 﨑, ① and Ⅱ exist in CP932 (NEC/IBM extensions) but not in
# Shift_JIS, so the file only reads correctly when decoded as CP932.
CP932_CSV = (
    "会員番号,注文日,商品名,金額\r\n"
    "0001,2024/06/01,髙﨑農園のゆず①,120000\r\n"
    "0001,2024/06/20,リペアセラムⅡ,1000\r\n"
    "0002,2023/01/05,宮﨑日向夏ハンドクリーム,3000\r\n"
)


def test_uploading_a_cp932_csv_replaces_the_sample_figures(app, tmp_path):
    path = tmp_path / "mine_cp932.csv"
    path.write_bytes(CP932_CSV.encode("cp932"))
    app.open("data")
    app.upload(app.t("data.upload_label"), path)
    expect(app.metric(app.t("data.q.read"))).to_have_text("3")
    expect(app.metric(app.t("data.q.used"))).to_have_text("3")
    expect(app.page.get_by_test_id("stMain")).to_contain_text("CP932")
    expect(app.sidebar).to_contain_text("mine_cp932.csv")
    expect(app.sidebar).not_to_contain_text(app.t("polish.sidebar.sample_badge"))
    expect(app.sidebar).to_contain_text("2024/06/20")  # as-of = the latest order
    app.go("nav.home")
    expect(app.metric(app.t("home.kpi.customers"))).to_have_text("2")
    # 365 days up to 2024/06/20: 0001's two orders; 0002's order of 2023/01/05 is outside
    expect(app.metric(app.t("home.kpi.revenue"))).to_have_text("¥121,000")
    app.expect_no_exception()


def test_uploading_an_excel_workbook_reads_its_order_sheet(app, tmp_path):
    path = tmp_path / "受注データ.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "受注"
    ws.append(["顧客ID", "購入日", "購入金額"])
    for cid, day, amount in [("000123", datetime(2025, 3, 1), 8000), ("000123", datetime(2025, 3, 9), 12000),
                             ("000456", datetime(2025, 2, 14), 30000), ("000789", datetime(2024, 12, 24), 5000)]:
        ws.append([cid, day, amount])
    wb.create_sheet("メモ").append(["出力日", "2025/03/10"])
    wb.save(path)

    app.open("data")
    app.upload(app.t("data.upload_label"), path)
    expect(app.metric(app.t("data.q.read"))).to_have_text("4")
    expect(app.selectbox(app.t("data.sheet"))).to_have_value("受注")
    expect(app.sidebar).to_contain_text("2025/03/09")
    app.go("nav.home")
    expect(app.metric(app.t("home.kpi.customers"))).to_have_text("3")
    expect(app.metric(app.t("home.kpi.revenue"))).to_have_text("¥55,000")
    app.expect_no_exception()


def test_changing_the_order_date_column_changes_the_report(app, tmp_path):
    path = tmp_path / "shipments.csv"
    path.write_text("会員番号,注文日,出荷日,金額\n"
                    "A01,2024/06/01,2024/06/03,5000\n"
                    "A02,2024/06/10,2024/06/14,7000\n"
                    "A03,2024/06/20,,9000\n", encoding="utf-8")
    app.open("data")
    app.upload(app.t("data.upload_label"), path)
    expect(app.metric(app.t("data.q.used"))).to_have_text("3")
    expect(app.sidebar).to_contain_text("2024/06/20")

    app.expand(app.t("polish.data.mapping_edit"))
    app.select(app.t("role.order_date") + " *", "出荷日")
    # A03 has not been shipped: its row has no date under the new mapping
    expect(app.metric(app.t("data.q.used"))).to_have_text("2")
    expect(app.metric(app.t("data.q.excluded"))).to_have_text("1")
    expect(app.sidebar).to_contain_text("2024/06/14")
    app.go("nav.home")
    expect(app.metric(app.t("home.kpi.customers"))).to_have_text("2")

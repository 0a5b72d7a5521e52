"""Downloads in a real browser are built as the session shows things: its language,
its currency and its data (Streamlit builds a download on a worker thread, outside
the script run, where the session's state cannot be read)."""

import openpyxl
import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ORDERS = "会員番号,注文日,金額,注文番号\n" + "".join(
    f"C{c:03d},2025/0{1 + k % 9}/1{k % 10},{1200 + 37 * k + 100 * c},O{c}-{k}\n"
    for c in range(12) for k in range(1 + c % 5))


def test_downloads_follow_the_sessions_language_currency_and_data(app, tmp_path):
    upload = tmp_path / "pounds_shop.csv"
    upload.write_text(ORDERS, encoding="utf-8")
    app.open("data")
    app.set_language("en")
    app.upload(app.t("data.upload_label"), upload)
    app.select(app.t("data.currency"), app.t("data.currency.GBP"))
    app.expect_no_exception()

    # the workbook: English sheets, this file, amounts in pounds
    app.go("nav.export")
    book = openpyxl.load_workbook(app.download(app.t("export.workbook_button"), tmp_path))
    assert book.sheetnames[0] == app.t("workbook.sheet.summary")
    summary = book.worksheets[0]
    lines = [summary.cell(row=i, column=1).value for i in range(1, 6)]
    assert app.t("workbook.line.source", source="pounds_shop.csv") in lines
    assert any(str(v).startswith(app.t("workbook.line.customers", n="12", revenue="£")[:12]) for v in lines)
    formats = {c.number_format for row in summary.iter_rows() for c in row}
    assert '"£"#,##0;-"£"#,##0' in formats and not any("¥" in f for f in formats)

    # the handout: pounds only
    html = app.download(app.t("export.handout_button"), tmp_path).read_text(encoding="utf-8")
    assert "£" in html and "¥" not in html and "pounds_shop.csv" in html

    # the workshop comparison: builds in English, names this file
    app.go("nav.workshop")
    app.page.get_by_role("button", name=app.t("ws.add_samples")).click()
    app.wait_idle()
    expect(app.metric(app.t("ws.in_all"))).to_be_visible()
    book = openpyxl.load_workbook(app.download(app.t("ws.download"), tmp_path), read_only=True)
    assert book.sheetnames[0] == app.t("ws.sheet.sizes")
    head = [r[0] for r in book[app.t("ws.sheet.sizes")].iter_rows(max_row=4, values_only=True)]
    assert head[0] == app.t("ws.sheet_title") and app.t("workbook.line.source", source="pounds_shop.csv") in head
    app.expect_no_exception()

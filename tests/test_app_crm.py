"""The export page's CRM-ready lists in the app: the e-mail column of an uploaded
customer table is picked at once, any column rides along unchanged, and a HubSpot-shaped
list puts the e-mail under HubSpot's header."""

import io

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.test_app_deliverables import APP, downloads  # noqa: F401  (the fixture)

pytestmark = pytest.mark.slow  # drives the app (several seconds)

ORDERS = "会員番号,注文日,金額\n0001,2024/06/01,120000\n0001,2024/06/20,1000\n0002,2023/01/05,3000\n"
CUSTOMERS = "会員番号,氏名,メールアドレス,会員ランク\n0001,山田 花子,hanako@example.jp,007\n0002,佐藤 一郎,ichiro@example.jp,010\n"


def test_a_hubspot_list_from_uploaded_files(downloads):  # noqa: F811
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="w_upload").set_value([("orders.csv", ORDERS.encode("cp932"), "text/csv"),
                                               ("members.csv", CUSTOMERS.encode("utf-8-sig"), "text/csv")]).run()
    at.switch_page("pages/export.py").run()
    assert not at.exception, [e.value for e in at.exception]
    # the e-mail and name columns are chosen from the start
    assert at.multiselect(key="w_list_columns").value == ["メールアドレス", "氏名"]
    at.multiselect(key="w_list_columns").set_value(["メールアドレス", "氏名", "会員ランク"]).run()
    at.selectbox(key="w_list_template").set_value("hubspot").run()
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    assert any("`Email`" in c.value and "knowledge.hubspot.com" in c.value for c in at.caption)
    data = downloads(at, "このリストをダウンロード（CSV）")
    assert data.decode("utf-8-sig").split("\r\n")[0] == \
        "Email,Last Name,Customer ID,Loyalty Tier,RFM Segment,Loyalty Score,Last Order Date,会員ランク"
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert back[["Email", "Last Name", "Customer ID", "会員ランク"]].to_dict("records") == [
        {"Email": "hanako@example.jp", "Last Name": "山田 花子", "Customer ID": "0001", "会員ランク": "007"},
        {"Email": "ichiro@example.jp", "Last Name": "佐藤 一郎", "Customer ID": "0002", "会員ランク": "010"}]
    # without the e-mail column, HubSpot's list is flagged
    at.multiselect(key="w_list_columns").set_value(["会員ランク"]).run()
    assert [w.value for w in at.warning] == [
        "HubSpot は連絡先をメールアドレスで見分けます。「一緒に出力する顧客データの列」でメールアドレスの列を選んでください。"]

"""The data page with ordinary exports that used to give wrong figures: the same file
uploaded twice, a recency column in months, amounts written with a currency code."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
ORDERS = "会員番号,注文日,金額\n0001,2024/06/01,120000\n0001,2024/06/20,1000\n0002,2023/01/05,3000\n".encode("cp932")


def _data_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/data.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


@pytest.mark.slow
def test_the_same_file_under_two_names_is_used_once_and_named():
    # this raised an exception (two widgets with one key) and would have doubled the revenue
    at = _data_page()
    at.file_uploader(key="w_upload").set_value([("orders.csv", ORDERS, "text/csv"),
                                                ("orders (1).csv", ORDERS, "text/csv")]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [w.value for w in at.warning] == [
        "「orders \\(1\\)\\.csv」は「orders\\.csv」とまったく同じファイルのため、1回だけ数えました"
        "（「orders \\(1\\)\\.csv」は使っていません）。"]
    assert _metrics(at)["読み込んだ行"] == "3"  # one file's rows, not six
    at.switch_page("pages/home.py").run()
    assert _metrics(at)["顧客数"] == "2"


@pytest.mark.slow
def test_a_recency_column_in_months_is_asked_about_with_the_guess_preselected():
    # recency 1 / 2 / 12 never passes 12: read as months (30 / 60 / 360 days), not as days
    # (which put everybody at R5); the user can say "days" and the tiers follow
    text = "顧客ID,recency,frequency,monetary\nA,1,12,60000\nB,2,12,60000\nC,12,12,60000\n".encode()
    at = _data_page()
    at.file_uploader(key="w_upload").set_value([("summary.csv", text, "text/csv")]).run()
    assert not at.exception, [e.value for e in at.exception]
    box = next(s for s in at.selectbox if s.label.startswith("経過期間の単位"))
    assert box.value == "months"
    assert any("最大 12 で、12（か月） を超えません" in c.value for c in at.caption)
    at.switch_page("pages/home.py").run()
    months = _metrics(at)["最重要顧客"]
    at.switch_page("pages/data.py").run()
    box = next(s for s in at.selectbox if s.label.startswith("経過期間の単位"))
    box.set_value("days").run()
    assert not at.exception
    at.switch_page("pages/home.py").run()
    days = _metrics(at)["最重要顧客"]
    # months: A R5, B R4, C R1 (F5, M4 for all; R15 F25 M25 rescaled to 100): A 92.3, B 87.7 and
    # C 73.8, so A and B are in the top tier (≥ 80) and C is not
    # days: all three R5
    assert (months, days) == ("2", "3")


@pytest.mark.slow
def test_amounts_in_dollars_are_read_once_the_currency_is_chosen():
    text = "会員番号,注文日,金額\n1,2024/06/01,USD 12.50\n2,2024/06/02,$7.25\n3,2024/06/03,12.50 USD\n".encode()
    at = _data_page()
    at.file_uploader(key="w_upload").set_value([("usd.csv", text, "text/csv")]).run()
    assert not at.exception
    assert any("usd.csv" in e.value and "USD" in e.value for e in at.error)  # refused in yen, saying why
    at.selectbox(key="w_currency").set_value("USD").run()
    assert not at.exception, [e.value for e in at.exception]
    assert (_metrics(at)["読み込んだ行"], _metrics(at)["使った行"]) == ("3", "3")

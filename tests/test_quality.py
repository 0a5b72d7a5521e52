"""The quality report accounts for every row, in the documented order."""

from datetime import date

import pytest

from loyalty.errors import LoyaltyError
from loyalty.pipeline import build_features, load_dataset
from loyalty.quality import EXCLUSION_ORDER
from tests.helpers import csv_input

TODAY = date(2025, 1, 1)

# header = row 1; data rows are 2..12
MESSY = """顧客ID,購入日,金額,区分
c1,2024/01/05,"1,000",購入
,2024/01/05,500,購入
c2,not a date,500,購入
c3,2024/01/06,,購入
,bad,,購入
c4,2024/01/07,abc,購入
c5,2099/01/01,100,購入
c6,2024/02/01,800,返品
c7,2024/02/02,-300,購入
c1,2024/01/05,"1,000",購入
c8,2024/02/03,0,購入
"""


def _report(drop=False):
    return load_dataset([csv_input(MESSY, name="messy.csv")], drop_duplicates=drop, today=TODAY).transactions.report


def test_rows_read_equal_used_plus_excluded_with_reasons_in_order():
    r = _report()
    assert r.rows_read == 11
    assert r.excluded_by_reason == {"totals_row": 0, "missing_customer_id": 2, "bad_date": 1, "bad_amount": 2,
                                    "other_currency": 0, "field_count": 0, "future_date": 1, "duplicate": 0}
    assert r.rows_used == 5
    assert r.balanced()
    # the row with no id AND a bad date AND no amount counts once, as "no customer id"
    ex = r.excluded.set_index("row")
    assert ex.loc[6, "reason"] == "missing_customer_id"
    assert ex.loc[3, "reason"] == "missing_customer_id"
    assert ex.loc[4, "reason"] == "bad_date"
    assert ex.loc[5, "reason"] == "bad_amount"
    assert ex.loc[7, "reason"] == "bad_amount"
    assert ex.loc[8, "reason"] == "future_date"
    assert ex.loc[4, "購入日"] == "not a date"  # the original cells come along
    # a totals line (合計 / Total) is no customer's row: it is recognised first, so one with an
    # empty id is reported as a totals row; every other row without an id comes next
    assert list(EXCLUSION_ORDER)[:2] == ["missing_customer_id", "totals_row"]


def test_duplicates_are_counted_and_kept_by_default():
    r = _report()
    assert r.duplicates == 1 and not r.duplicates_dropped
    assert r.rows_used == 5


def test_duplicates_can_be_dropped_and_are_then_excluded():
    r = _report(drop=True)
    assert r.duplicates == 1 and r.duplicates_dropped
    assert r.excluded_by_reason["duplicate"] == 1
    assert r.rows_used == 4
    assert r.balanced()
    assert r.excluded.set_index("row").loc[11, "reason"] == "duplicate"


def test_returns_are_netted_counted_and_signed():
    ds = load_dataset([csv_input(MESSY)], today=TODAY)
    r = ds.transactions.report
    assert r.returns == 2           # c6 marked 返品 (made negative) and c7 with -300
    assert r.sign_flipped == 1
    assert r.returns_amount == -1100.0
    assert r.zero_amount == 1
    frame = ds.transactions.frame.set_index("customer_id")
    assert frame.loc["c6", "amount"] == -800.0
    assert bool(frame.loc["c6", "is_return"])


def test_quantity_times_unit_price_when_no_amount_column():
    text = "CustomerID,InvoiceDate,Quantity,UnitPrice\n1,2024-01-01,3,2.5\n2,2024-01-01,x,2\n"
    ds = load_dataset([csv_input(text)], today=TODAY)
    assert ds.transactions.frame["amount"].tolist() == [7.5]
    assert ds.transactions.report.excluded_by_reason["bad_amount"] == 1


def test_every_row_excluded_is_a_clear_error():
    text = "顧客ID,購入日,金額\n,2024/01/01,100\n,2024/01/02,200\n"
    ds = load_dataset([csv_input(text, name="noids.csv")], today=TODAY)
    assert ds.transactions.report.rows_excluded == 2  # the report is still there to read
    with pytest.raises(LoyaltyError) as exc:
        build_features(ds)
    assert "noids.csv" in str(exc.value) and "顧客IDなし" in str(exc.value)


def test_rows_with_a_wrong_field_count_are_kept_out_and_numbered():
    text = "顧客ID,購入日,金額\nc1,2024/01/01,100\nc2,2024/01/02,200,extra\nc3,2024/01/03\n"
    r = load_dataset([csv_input(text)], today=TODAY).transactions.report
    # c2 has every needed value but one field too many; c3 lacks its amount
    assert r.excluded_by_reason["field_count"] == 1
    assert r.excluded_by_reason["bad_amount"] == 1
    assert r.excluded.set_index("row").loc[3, "reason"] == "field_count"
    assert r.balanced()


def test_several_files_are_reported_separately_and_together():
    a = csv_input("顧客ID,購入日,金額\n1,2024/01/01,100\n", name="a.csv")
    b = csv_input("顧客ID,購入日,金額\n2,2024/01/02,200\n,2024/01/03,1\n", name="b.csv")
    r = load_dataset([a, b], today=TODAY).transactions.report
    assert (r.rows_read, r.rows_used, r.rows_excluded) == (3, 2, 1)
    assert [(f["file"], f["rows_read"], f["rows_used"]) for f in r.files] == [("a.csv", 1, 1), ("b.csv", 2, 1)]
    assert r.excluded["file"].tolist() == ["b.csv"]


# Fee lines: postage, fees and adjustments (loyalty/data/non_product_codes.json).
FEES = """注文番号,会員番号,注文日,商品コード,商品名,金額
A1,001,2024/05/01,SK-01,化粧水,3000
A1,001,2024/05/01,POST,送料,500
A2,001,2024/06/01,post ,送料のみ,400
A3,002,2024/06/02,送料,,600
A4,002,2024/06/03,SK-02,美容液,5000
A5,002,2024/06/04,D,値引,-200
"""


def test_fee_lines_are_counted_kept_and_flagged_by_their_product_code():
    ds = load_dataset([csv_input(FEES)], today=TODAY)
    r = ds.transactions.report
    assert r.rows_used == 6 and r.balanced()
    assert r.fee_lines == 4  # POST, "post " (trimmed, any case), 送料 and the D discount line
    assert r.to_dict()["fee_lines"] == 4
    frame = ds.transactions.frame
    assert frame["is_fee"].tolist() == [False, True, True, True, False, True]
    assert frame["product_code"].tolist() == ["SK-01", "POST", "post", "送料", "SK-02", "D"]
    assert frame["product"].tolist()[:2] == ["化粧水", "送料"]  # the name column stays the product


def test_a_code_without_a_name_column_names_the_product():
    text = "会員番号,注文日,品番,金額\n1,2024/01/01,SK-01,100\n"
    ds = load_dataset([csv_input(text)], today=TODAY)
    assert ds.tables[0].mapping.column("product_code") == "品番" and not ds.tables[0].mapping.has("product")
    assert ds.transactions.frame["product"].tolist() == ["SK-01"]


def test_the_readers_notes_are_copied_into_the_report_per_file():
    text = "注文明細 2024年\n顧客ID,購入日,金額\nc1,2024/01/05,1000\n,,\nc2,2024/01/06,'=1+1\n"
    r = load_dataset([csv_input(text, name="notes.csv")], today=TODAY).transactions.report
    assert r.files[0]["notes"] == [{"key": "note.skipped_title_lines", "values": {"lines": 1}},
                                   {"key": "note.rel_empty_rows_skipped", "values": {"count": 1}},
                                   {"key": "note.rel_apostrophes_removed", "values": {"count": 1}}]
    assert r.to_dict()["files"][0]["notes"] == r.files[0]["notes"]


def test_one_table_is_typed_into_a_value_the_caller_adds_up():
    from loyalty.pipeline import read_inputs
    from loyalty.quality import prepare_transactions, type_table

    (info,) = read_inputs([csv_input(MESSY, name="messy.csv")])
    typed = type_table(info.raw, info.mapping, today=TODAY, key_offset=100)
    # the table's own figures; nothing else is touched
    assert typed.excluded_by_reason == {"totals_row": 0, "missing_customer_id": 2, "bad_date": 1, "bad_amount": 2,
                                        "other_currency": 0, "field_count": 0, "future_date": 1, "duplicate": 0}
    assert typed.counts == {"returns": 2, "returns_amount": -1100.0, "sign_flipped": 1, "zero_amount": 1,
                            "fee_lines": 0, "rows_read": 11, "duplicates": 1}
    assert typed.frame["order_key"].tolist() == [100, 101, 102, 103, 104]  # no order id: one per line
    assert typed.next_key == 105
    assert typed.frame["is_order_line"].tolist() == [True, False, False, True, False]  # c1, c6 返品, c7 -300, c1, c8 0
    assert typed.info["rows_used"] == 5 and typed.excluded["row"].tolist() == [3, 4, 5, 6, 7, 8]
    # two tables: the caller sums their figures and their order keys do not collide
    tx = prepare_transactions([(info.raw, info.mapping), (info.raw, info.mapping)], today=TODAY)
    assert (tx.report.rows_read, tx.report.returns, tx.report.duplicates) == (22, 4, 2)
    assert tx.report.excluded_by_reason["bad_amount"] == 4
    assert tx.frame["order_key"].tolist() == list(range(10))

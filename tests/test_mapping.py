"""Column mapping from Japanese and English headers."""

import pytest

from loyalty.errors import LoyaltyError
from loyalty.mapping import detect_kind, detect_mapping, missing_roles, normalise_header, with_overrides


def test_japanese_ec_export_headers():
    cols = ["受注番号", "会員番号", "注文日時", "商品コード", "商品名", "カテゴリ", "数量", "単価", "値引額", "小計",
            "クーポンコード", "販売チャネル", "取引区分"]
    m = detect_mapping(cols, "transactions")
    assert m.roles == {"customer_id": "会員番号", "order_date": "注文日時", "amount": "小計", "quantity": "数量",
                       "unit_price": "単価", "order_id": "受注番号", "product": "商品名", "product_code": "商品コード",
                       "category": "カテゴリ",
                       "channel": "販売チャネル", "discount": "値引額", "coupon": "クーポンコード",
                       "transaction_type": "取引区分"}
    assert detect_kind(cols) == "transactions"


def test_online_retail_headers_use_quantity_times_price():
    cols = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
    m = detect_mapping(cols, "transactions")
    assert (m.column("customer_id"), m.column("order_date"), m.column("order_id")) == \
        ("CustomerID", "InvoiceDate", "InvoiceNo")
    assert not m.has("amount") and (m.column("quantity"), m.column("unit_price")) == ("Quantity", "UnitPrice")
    assert missing_roles(m) == []
    assert detect_kind(cols) == "transactions"


def test_cdnow_headers():
    m = detect_mapping(["customer_id", "date", "number_of_cds", "dollar_value"], "transactions")
    assert m.roles == {"customer_id": "customer_id", "order_date": "date", "amount": "dollar_value",
                       "quantity": "number_of_cds"}


@pytest.mark.parametrize("cols, kind", [
    (["顧客名", "単価", "購入頻度", "継続年数"], "customers"),                 # the seeds' LTV table
    (["顧客名", "Rスコア", "Fスコア", "Mスコア", "総合スコア"], "customers"),  # the seeds' RFM table
    (["顧客ID", "最終購入日", "購入回数", "購入金額"], "customers"),
    (["会員番号", "年代", "性別", "NPS"], "customers"),
])
def test_customer_tables_are_recognised(cols, kind):
    assert detect_kind(cols) == kind


def test_customer_table_roles_with_units_in_brackets():
    cols = ["会員番号", "メール開封率(%)", "ログイン回数（年間）", "イベント参加回数", "NPS", "満足度", "担当者評価"]
    m = detect_mapping(cols, "customers")
    assert m.roles == {"customer_id": "会員番号", "email_open_rate": "メール開封率(%)",
                       "logins": "ログイン回数（年間）", "events": "イベント参加回数", "nps": "NPS",
                       "satisfaction": "満足度", "relationship_rating": "担当者評価"}
    assert normalise_header(" メール 開封率（%） ") == "メール開封率"


def test_overrides_move_a_column_between_roles():
    cols = ["顧客ID", "注文日", "出荷日", "金額"]
    m = detect_mapping(cols, "transactions")
    assert m.column("order_date") == "注文日"
    m2 = with_overrides(m, {"order_date": "出荷日"}, cols)
    assert m2.column("order_date") == "出荷日"
    m3 = with_overrides(m2, {"amount": None}, cols)
    assert missing_roles(m3) == ["amount"]
    with pytest.raises(LoyaltyError) as exc:
        with_overrides(m, {"amount": "ない列"}, cols, file="a.csv")
    assert "ない列" in str(exc.value) and "a.csv" in str(exc.value)
    with pytest.raises(LoyaltyError):
        with_overrides(m, {"no_such_role": "金額"}, cols)


# ------------------------------------------------------------ purchase history over campaign outcomes

HILLSTROM = ["recency", "history_segment", "history", "mens", "womens", "zip_code", "newbie", "channel", "segment",
             "visit", "conversion", "spend"]


def test_monetary_is_the_purchase_history_not_the_campaign_outcome():
    # Hillstrom's spend is the two weeks after the e-mail; history is what the customer bought before
    assert detect_mapping(["customer_id", *HILLSTROM], "customers").column("monetary") == "history"
    assert detect_mapping(["顧客ID", "施策後反応金額", "累計購入額"], "customers").column("monetary") == "累計購入額"
    assert detect_mapping(["id", "total spend", "spend"], "customers").column("monetary") == "total spend"
    # an outcome-like column is still taken when nothing else fits
    assert detect_mapping(["customer_id", "recency", "spend"], "customers").column("monetary") == "spend"


def test_the_unit_a_recency_header_names():
    from loyalty.mapping import role_spec

    spec = role_spec("customers", "recency_days")
    assert [spec.unit_of(h) for h in ["recency", "経過日数", "経過月数", "最終購入日からの月数", "Recency (weeks)",
                                      "recency_months", "経過期間（週）", "最終購入からの日数"]] == [
        None, "days", "months", "months", "weeks", "months", "weeks", "days"]


def test_amounts_with_contact_columns_but_no_date_are_still_a_transaction_log():
    # e-mail and name columns ride along on order lines: without a date the file is a
    # transaction log whose date is missing (the mapping check says so), not a customer table
    assert detect_kind(["会員番号", "メールアドレス", "氏名", "金額"]) == "transactions"
    assert detect_kind(["会員番号", "メールアドレス", "年代", "金額"]) == "customers"

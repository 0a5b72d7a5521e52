"""CRM-ready target lists: e-mail and name roles in the mapping, customer-table columns
passed through unchanged, and the import layouts of HubSpot, Salesforce, Zoho CRM and
Klaviyo (loyalty/data/crm_templates.json)."""

import io
import zipfile

import pandas as pd
import pytest

from loyalty.mapping import detect_mapping
from loyalty.pipeline import InputFile, build_features, load_dataset
from loyalty.scoring import score
from loyalty.targets import PassThrough, crm_templates, customer_columns, target_csv, target_list, target_lists_zip
from tests import fixtures_deliverables as fx
from tests.helpers import rfm_equal

# the fixture's five customers (tests/fixtures_deliverables.py) with contact details; 0003 has no row
CUSTOMERS = """会員番号,氏名,姓,名,メールアドレス,会員ランク,電話番号,層
0001,髙橋 𠮷子,髙橋,𠮷子,yoshiko@example.jp,007,+81-90-1111-2222,A
0002,佐藤 花子,佐藤,花子,Hanako.Sato@Example.JP,010,,B
0004,田中 一郎,田中,一郎, ichiro@example.jp ,1.50,,C
０００５,鈴木 みどり,鈴木,みどり,midori@example.jp,00,,D
0005,重複 行,重複,行,dup@example.jp,99,,E
"""
TOP = ["0001", "0005"]  # top tier, highest score first


@pytest.fixture(scope="module")
def lists():
    files = [InputFile("orders.csv", fx.orders_csv().encode("utf-8")),
             InputFile("customers.csv", CUSTOMERS.encode("utf-8"))]
    ds = load_dataset(files)
    features = build_features(ds, as_of=fx.AS_OF).frame
    d = rfm_equal()
    passthrough = customer_columns([(i.raw.frame, i.mapping.column("customer_id"), i.mapping.roles)
                                    for i in ds.tables if i.kind == "customers"])
    return features, score(features, d).frame, d, passthrough


def _read(data: bytes, encoding: str = "utf-8-sig") -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), encoding=encoding, dtype=str, keep_default_na=False)


def test_the_mapping_recognises_e_mail_and_name_columns():
    ja = detect_mapping(["会員番号", "氏名", "姓", "名", "メールアドレス", "メール開封率(%)", "メール配信"], "customers")
    assert {r: ja.column(r) for r in ("customer_name", "last_name", "first_name", "email", "email_open_rate")} == {
        "customer_name": "氏名", "last_name": "姓", "first_name": "名", "email": "メールアドレス",
        "email_open_rate": "メール開封率(%)"}
    assert not ja.has("email") or ja.column("email") != "メール配信"  # an opt-in flag is not an address
    en = detect_mapping(["Customer ID", "First Name", "Last Name", "E-mail"], "customers")
    assert (en.column("email"), en.column("first_name"), en.column("last_name")) == ("E-mail", "First Name",
                                                                                     "Last Name")
    assert detect_mapping(["顧客ID", "Eメール"], "customers").column("email") == "Eメール"


def test_customer_columns_are_the_cells_as_read_one_row_per_id(lists):
    *_, passthrough = lists
    frame = passthrough.frame
    assert frame.index.tolist() == ["0001", "0002", "0004", "0005"]  # ０００５ is 0005; its repeat is dropped
    assert frame.columns.tolist() == ["氏名", "姓", "名", "メールアドレス", "会員ランク", "電話番号", "層"]
    assert frame.loc["0005", "メールアドレス"] == "midori@example.jp"
    assert frame["会員ランク"].tolist() == ["007", "010", "1.50", "00"]  # codes stay text
    assert frame.loc["0004", "メールアドレス"] == " ichiro@example.jp "  # not even trimmed
    assert passthrough.roles == {"氏名": "customer_name", "姓": "last_name", "名": "first_name",
                                 "メールアドレス": "email"}


def test_a_hubspot_list_carries_the_e_mail_under_hubspots_header_and_any_column_unchanged(lists):
    features, scored, d, passthrough = lists
    chosen = passthrough.pick(["メールアドレス", "姓", "名", "会員ランク"])
    frame = target_list(features, scored, d, "ja", "tier:top", passthrough=chosen, template="hubspot")
    assert list(frame.columns) == ["Email", "First Name", "Last Name", "Customer ID", "Loyalty Tier", "RFM Segment",
                                   "Loyalty Score", "Last Order Date", "会員ランク"]
    back = _read(target_csv(frame).data)
    assert list(back.columns) == list(frame.columns)
    assert back.to_dict("records") == [
        {"Email": "yoshiko@example.jp", "First Name": "𠮷子", "Last Name": "髙橋", "Customer ID": "0001",
         "Loyalty Tier": "最重要顧客", "RFM Segment": "チャンピオン", "Loyalty Score": "100.0",
         "Last Order Date": "2024-06-25", "会員ランク": "007"},
        {"Email": "midori@example.jp", "First Name": "みどり", "Last Name": "鈴木", "Customer ID": "0005",
         "Loyalty Tier": "最重要顧客", "RFM Segment": "チャンピオン", "Loyalty Score": "86.7",
         "Last Order Date": "2024-06-10", "会員ランク": "00"}]


@pytest.mark.parametrize("template, header", [
    ("hubspot", ["Email", "First Name", "Last Name", "Customer ID", "Loyalty Tier", "RFM Segment", "Loyalty Score",
                 "Last Order Date"]),
    ("salesforce", ["Email", "First Name", "Last Name", "Customer ID", "Loyalty Tier", "RFM Segment",
                    "Loyalty Score", "Last Order Date"]),
    ("zoho", ["Email", "First Name", "Last Name", "Customer ID", "Loyalty Tier", "RFM Segment", "Loyalty Score",
              "Last Order Date"]),
    ("klaviyo", ["Email Address", "First Name", "Last Name", "Customer ID", "Loyalty Tier", "RFM Segment",
                 "Loyalty Score", "Last Order Date"]),
])
def test_each_templates_header_row(lists, template, header):
    features, scored, d, passthrough = lists
    chosen = passthrough.pick(["メールアドレス", "姓", "名"])
    frame = target_list(features, scored, d, "en", None, form="key", passthrough=chosen, template=template)
    data = target_csv(frame).data
    assert data.decode("utf-8-sig").split("\r\n")[0] == ",".join(header)
    back = _read(data)
    assert back.iloc[:, 0].tolist() == ["yoshiko@example.jp", "midori@example.jp", "Hanako.Sato@Example.JP",
                                        " ichiro@example.jp ", ""]  # 0003 is not in the customer table
    assert back["Loyalty Tier"].tolist() == ["top", "top", "middle", "low", "low"]  # keys in the key form


@pytest.mark.parametrize("template, full_name_header", [
    ("hubspot", "Last Name"), ("salesforce", "Contact Full Name"), ("zoho", "Last Name"), ("klaviyo", "Last Name")])
def test_a_full_name_alone_goes_where_each_tool_takes_it(lists, template, full_name_header):
    features, scored, d, passthrough = lists
    frame = target_list(features, scored, d, "ja", "tier:top", passthrough=passthrough.pick(["メールアドレス", "氏名"]),
                        template=template)
    assert list(frame.columns)[:2] == [crm_templates()[template].columns[0]["header"], full_name_header]
    assert frame[full_name_header].tolist() == ["髙橋 𠮷子", "鈴木 みどり"]
    assert "First Name" not in frame.columns


def test_without_a_template_the_roles_name_their_columns(lists):
    features, scored, d, passthrough = lists
    chosen = passthrough.pick(["メールアドレス", "氏名", "会員ランク", "層"])
    label = target_list(features, scored, d, "ja", "tier:top", passthrough=chosen)
    assert list(label.columns) == ["顧客ID", "層", "RFMセグメント", "ロイヤルティスコア", "最終購入日",
                                   "メールアドレス", "顧客名", "会員ランク", "層（元データ）"]
    assert label["層（元データ）"].tolist() == ["A", "D"]
    key = target_list(features, scored, d, "en", "tier:top", form="key", passthrough=chosen)
    assert list(key.columns) == ["customer_id", "tier", "rfm_segment", "loyalty_score", "last_order", "email",
                                 "customer_name", "会員ランク", "層"]
    assert key["email"].tolist() == ["yoshiko@example.jp", "midori@example.jp"]
    assert key["customer_id"].tolist() == TOP
    # nothing chosen: the list as before
    plain = target_list(features, scored, d, "ja", "tier:top", passthrough=PassThrough(passthrough.frame[[]]))
    assert list(plain.columns) == ["顧客ID", "顧客名", "層", "RFMセグメント", "ロイヤルティスコア", "最終購入日"]


def test_cp932_and_the_zip_with_a_template(lists):
    features, scored, d, passthrough = lists
    chosen = passthrough.pick(["メールアドレス", "姓", "名", "電話番号"])
    data, replaced = target_lists_zip(features, scored, d, "ja", encoding="cp932", passthrough=chosen,
                                      template="klaviyo")
    assert replaced == 3  # 𠮷 (First Name of 0001) in the all-customer, top-tier and champions lists
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        top = _read(archive.read("02_tier_top.csv"), "cp932")
        readme = archive.read("README.txt").decode("utf-8-sig")
    assert top.columns.tolist()[0] == "Email Address"
    assert top["電話番号"].tolist() == ["'+81-90-1111-2222", ""]  # a leading + is defused, as every export does
    assert "列: Email Address、First Name、Last Name、Customer ID、" in readme


def test_unknown_template_is_a_programming_error(lists):
    features, scored, d, _ = lists
    with pytest.raises(ValueError):
        target_list(features, scored, d, "ja", None, template="mailchimp")

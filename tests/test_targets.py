"""Target lists for CRM/MA import: columns, filtering, order, BOM, CP932 with a warning
count that matches what the writer replaced, ISO dates, formula injection, the ZIP."""

import io
import zipfile

import pandas as pd
import pytest

from loyalty.export import unneutralize
from loyalty.targets import (counts_by_target, list_file_name, target_csv, target_list, target_lists_zip,
                             unencodable_cells)
from tests import fixtures_deliverables as fx


@pytest.fixture(scope="module")
def base():
    features, result, d = fx.build()
    return features.frame, result.frame, d


def _read(data: bytes, encoding: str) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), encoding=encoding, dtype=str, keep_default_na=False)


def test_tier_list_in_japanese_form(base):
    f, s, d = base
    frame = target_list(f, s, d, "ja", "tier:top")
    assert list(frame.columns) == ["顧客ID", "顧客名", "層", "RFMセグメント", "ロイヤルティスコア", "最終購入日"]
    assert frame["顧客ID"].tolist() == ["0001", "0005"]  # highest score first
    assert frame["層"].tolist() == ["最重要顧客", "最重要顧客"]
    assert frame["RFMセグメント"].tolist() == ["チャンピオン", "チャンピオン"]
    assert frame["ロイヤルティスコア"].tolist() == [100.0, 86.7]


def test_segment_list_in_system_form_and_all_customers(base):
    f, s, d = base
    frame = target_list(f, s, d, "ja", "segment:need_attention", form="key")
    assert list(frame.columns) == ["customer_id", "customer_name", "tier", "rfm_segment", "loyalty_score", "last_order"]
    assert frame.to_dict("records")[0] | {"last_order": None} == {
        "customer_id": "0004", "customer_name": "田中 一郎", "tier": "low", "rfm_segment": "need_attention",
        "loyalty_score": 46.7, "last_order": None}
    everyone = target_list(f, s, d, "en", None, form="key")
    assert everyone["customer_id"].tolist() == ["0001", "0005", "0002", "0004", "0003"]
    assert target_list(f, s, d, "ja", "segment:new").empty


def test_csv_is_utf8_with_bom_iso_dates_and_defused_formulas(base):
    f, s, d = base
    result = target_csv(target_list(f, s, d, "ja", "tier:low"))
    assert result.data.startswith(b"\xef\xbb\xbf") and result.replaced_cells == 0
    assert b"\r\n" in result.data
    back = _read(result.data, "utf-8-sig")
    assert back.columns.tolist()[0] == "顧客ID"
    assert back["顧客ID"].tolist() == ["0004", "0003"]
    assert back["最終購入日"].tolist() == ["2024-04-15", "2023-12-01"]
    assert back["顧客名"].iloc[1] == "'" + fx.NAMES["0003"]  # a formula becomes text
    assert unneutralize(back["顧客名"].iloc[1]) == fx.NAMES["0003"]


def test_cp932_variant_counts_the_replaced_cells_beforehand(base):
    f, s, d = base
    frame = target_list(f, s, d, "ja", None)
    lost = unencodable_cells(frame, "cp932")
    assert lost == {"顧客名": 1}  # 𠮷 (U+20BB7) is not in CP932; 髙 is (an IBM extension)
    result = target_csv(frame, "cp932")
    assert result.replaced_cells == sum(lost.values())
    assert dict(result.replaced_by_column) == lost
    back = _read(result.data, "cp932")
    assert back["顧客名"].iloc[0] == "髙橋 ?子"
    assert not result.data.startswith(b"\xef\xbb\xbf")
    assert unencodable_cells(frame, "utf-8") == {}


def test_file_names_are_ascii():
    assert list_file_name("tier:top") == "tier_top.csv"
    assert list_file_name("segment:at_risk", 3) == "03_segment_at_risk.csv"
    assert list_file_name("segment:常連") == "segment.csv"
    assert list_file_name(None) == "all_customers.csv"


def test_zip_holds_every_non_empty_list_and_a_readme(base):
    f, s, d = base
    data, replaced = target_lists_zip(f, s, d, "ja", encoding="cp932")
    assert replaced == 3  # 0001's name in the all-customer, top-tier and champions lists
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert names == ["01_all_customers.csv", "02_tier_top.csv", "03_tier_middle.csv", "04_tier_low.csv",
                         "05_segment_champions.csv", "06_segment_loyal.csv", "07_segment_need_attention.csv",
                         "08_segment_lost.csv", "README.txt"]
        lost = _read(archive.read("08_segment_lost.csv"), "cp932")
        assert lost["顧客ID"].tolist() == ["0003"]
        readme = archive.read("README.txt").decode("utf-8-sig")
        assert "02_tier_top.csv: 最重要顧客（2件）" in readme
        assert "08_segment_lost.csv: セグメント: 離脱（1件）" in readme
        assert "文字コード: Shift_JIS（CP932）、改行: CRLF。" in readme  # named as people know it


def test_counts_by_target(base):
    f, s, d = base
    assert counts_by_target(s) == {"tier:top": 2, "tier:middle": 1, "tier:low": 2, "segment:champions": 2,
                                   "segment:loyal": 1, "segment:need_attention": 1, "segment:lost": 1}


def test_customer_level_input_without_dates_lists_recency(base):
    f, s, d = base
    no_dates = f.drop(columns=["last_order", "customer_name"])
    frame = target_list(no_dates, s, d, "en", "tier:top", form="key")
    assert list(frame.columns) == ["customer_id", "tier", "rfm_segment", "loyalty_score", "recency_days"]
    assert frame["recency_days"].tolist() == [5, 20]


def test_bad_arguments_are_programming_errors(base):
    f, s, d = base
    with pytest.raises(ValueError):
        target_list(f, s, d, "ja", "top")
    with pytest.raises(ValueError):
        target_list(f, s, d, "ja", None, form="excel")

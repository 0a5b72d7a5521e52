"""CSV and Excel exports (loyalty.export), checked by reading the written files back."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty.errors import LoyaltyError
from loyalty.export import (
    COLUMN_WIDTH_MAX,
    EXCEL_MAX_ROWS,
    EXCEL_MAX_STRING,
    NUMBER_FORMATS,
    CsvExport,
    Sheet,
    csv_bytes,
    display_width,
    excel_bytes,
    infer_kind,
    neutralize,
    neutralize_frame,
    safe_sheet_names,
    unneutralize,
)

# ---------------------------------------------------------------- neutralize

INJECTIONS = [
    ("=1+1", "'=1+1"),
    ("+81-90-1234-5678", "'+81-90-1234-5678"),
    ("-foo", "'-foo"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"),
    ("\rx", "'\rx"),
    ("\nx", "'\nx"),
    ("'=x", "''=x"),  # already quoted: quoted again, so the change stays reversible
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
]
UNCHANGED = ["000123", "abc", "最重要顧客", "a=b", " =1", "'hello", "", "1-2"]


@pytest.mark.parametrize(("raw", "safe"), INJECTIONS)
def test_neutralize_quotes_formula_triggers(raw, safe):
    assert neutralize(raw) == safe
    assert unneutralize(safe) == raw


@pytest.mark.parametrize("text", UNCHANGED)
def test_neutralize_leaves_ordinary_text(text):
    assert neutralize(text) == text
    assert unneutralize(text) == text


def test_neutralize_removes_nul_then_checks_the_start():
    assert neutralize("a\x00b") == "ab"
    assert neutralize("\x00=1") == "'=1"


@pytest.mark.parametrize("value", [-5, -5.5, 0, np.int64(-3), np.float64(-1e9), None, np.nan, pd.NaT, True])
def test_neutralize_leaves_non_text_alone(value):
    assert neutralize(value) is value


def test_neutralize_frame_covers_str_object_categorical_and_labels():
    df = pd.DataFrame(
        {
            "s": pd.Series(["=a", "b", None], dtype="str"),
            "o": pd.Series([-1, "-1", None], dtype=object),
            "c": pd.Series(["@x", "y", "@x"], dtype="category"),
            "n": [-1.5, 2.0, np.nan],
            "=label": [1, 2, 3],
        }
    )
    out = neutralize_frame(df)
    assert out["s"].tolist()[:2] == ["'=a", "b"] and pd.isna(out["s"].iloc[2])
    assert out["o"].tolist()[:2] == [-1, "'-1"]  # the number stays a number
    assert out["c"].tolist() == ["'@x", "y", "'@x"]
    assert out["n"].tolist()[:2] == [-1.5, 2.0]
    assert list(out.columns) == ["s", "o", "c", "n", "'=label"]
    assert df["s"].iloc[0] == "=a"  # input untouched


# ----------------------------------------------------------------------- CSV


def read_csv(result: CsvExport, **kwargs) -> pd.DataFrame:
    return pd.read_csv(
        io.BytesIO(result.data), encoding=result.encoding, dtype=str, keep_default_na=False, **kwargs
    )


def test_csv_is_utf8_with_bom_and_crlf():
    result = csv_bytes(pd.DataFrame({"顧客ID": ["000123", "000456"], "金額": [1, 2]}))
    assert result.data.startswith(b"\xef\xbb\xbf")
    assert result.data.decode("utf-8-sig") == "顧客ID,金額\r\n000123,1\r\n000456,2\r\n"
    assert result.encoding == "utf-8-sig" and result.lossless and result.replaced_cells == 0


def test_csv_without_bom_on_request():
    assert csv_bytes(pd.DataFrame({"a": [1]}), encoding="utf-8").data == b"a\r\n1\r\n"


def test_csv_neutralises_every_trigger_and_keeps_numbers_and_ids():
    raw = [r for r, _ in INJECTIONS] + ["a\x00b", "000123"]
    df = pd.DataFrame({"text": raw, "n": [-5] + list(range(len(raw) - 1)), "x": -2.5})
    result = csv_bytes(df)
    back = read_csv(result)
    assert back["text"].tolist() == [s for _, s in INJECTIONS] + ["ab", "000123"]
    assert back["n"].iloc[0] == "-5" and back["x"].iloc[0] == "-2.5"
    text = result.data.decode("utf-8-sig")
    assert "\x00" not in text
    assert "\r\n-5,-2.5\r\n" not in text  # (-5 is in the first row)
    assert text.splitlines()[1].endswith(",-5,-2.5")


def test_csv_header_is_neutralised_too():
    back = read_csv(csv_bytes(pd.DataFrame({"=cmd": [1]})))
    assert list(back.columns) == ["'=cmd"]


def test_csv_index_is_not_written_and_dates_are_iso_or_as_asked():
    df = pd.DataFrame({"日付": pd.to_datetime(["2024-01-05", None]), "n": [1, 2]}, index=[10, 20])
    assert csv_bytes(df).data.decode("utf-8-sig") == "日付,n\r\n2024-01-05,1\r\n,2\r\n"
    assert csv_bytes(df, date_format="%Y/%m/%d").data.decode("utf-8-sig") == "日付,n\r\n2024/01/05,1\r\n,2\r\n"


def test_cp932_round_trips_japanese_including_nec_and_ibm_extensions():
    names = ["髙橋①", "㈱﨑山商事", "ｶﾀｶﾅ", "～∥－￠ⅰ"]
    result = csv_bytes(pd.DataFrame({"会社名": names}), encoding="cp932")
    assert result.encoding == "cp932" and result.lossless
    assert not result.data.startswith(b"\xef\xbb\xbf")
    assert read_csv(result)["会社名"].tolist() == names


@pytest.mark.parametrize("alias", ["shift_jis", "Shift-JIS", "sjis", "ms932", "windows-31j", "CP932"])
def test_shift_jis_aliases_mean_cp932(alias):
    result = csv_bytes(pd.DataFrame({"a": ["①"]}), encoding=alias)
    assert result.encoding == "cp932" and result.lossless


def test_cp932_replaces_what_it_cannot_hold_and_counts_cells():
    df = pd.DataFrame({"名前": ["田中", "佐藤😀😀", "鈴木"], "n": [1, 2, 3]})
    result = csv_bytes(df, encoding="cp932")
    assert result.replaced_cells == 1
    assert dict(result.replaced_by_column) == {"名前": 1}
    assert not result.lossless
    assert read_csv(result)["名前"].tolist() == ["田中", "佐藤??", "鈴木"]


def test_cp932_counts_header_and_repeated_cells():
    df = pd.DataFrame({"ラベル😀": ["😀", "😀", "ok"], "b": ["é", "x", "x"]})
    result = csv_bytes(df, encoding="cp932")
    assert dict(result.replaced_by_column) == {"ラベル😀": 3, "b": 1}  # header + two cells; é is not in CP932
    assert result.replaced_cells == 4


def test_unknown_encoding_is_a_user_error():
    with pytest.raises(LoyaltyError) as info:
        csv_bytes(pd.DataFrame({"a": [1]}), encoding="no-such-codec")
    assert "no-such-codec" in info.value.message("en")


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)


@pytest.mark.slow
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TEXT, min_size=1, max_size=8))
def test_csv_text_round_trips_after_undoing_neutralisation(texts):
    df = pd.DataFrame({"row": range(len(texts)), "text": pd.Series(texts, dtype=object)})
    back = read_csv(csv_bytes(df))
    assert [unneutralize(v) for v in back["text"]] == [t.replace("\x00", "") for t in texts]


@pytest.mark.slow
@settings(max_examples=100)
@given(
    st.lists(
        st.tuples(st.integers(-(2**63), 2**63 - 1), st.floats(allow_infinity=False, allow_nan=True)),
        min_size=1,
        max_size=10,
    )
)
def test_csv_numbers_round_trip(rows):
    df = pd.DataFrame(rows, columns=["i", "f"]).astype({"i": "int64", "f": "float64"})
    back = pd.read_csv(io.BytesIO(csv_bytes(df).data), encoding="utf-8-sig")
    assert back["i"].tolist() == df["i"].tolist()
    np.testing.assert_array_equal(back["f"].to_numpy(dtype=float), df["f"].to_numpy())


# ---------------------------------------------------------------------- Excel


def scored() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "顧客ID": pd.Series(["000123", "=1+1", "@SUM(A1)", "-foo", None], dtype="str"),
            "最終購入日": pd.to_datetime(
                ["2024-01-05", "2023-12-31 18:30", None, "2024-02-29", "2000-01-01"], format="ISO8601"
            ),
            "購入回数": [10, 1, 3, 0, 7],
            "購入金額": [180000.0, -1234.0, np.nan, 0.0, 99.5],
            "総合スコア": [96.0, 36.0, 66.0, np.nan, 72.25],
            "継続率": [0.9, 0.123, np.nan, 1.0, 0.0],
            "ティア": ["最重要顧客", "低貢献層", "中堅層", "中堅層", "最重要顧客"],
        }
    )


KINDS = {
    "顧客ID": "text",
    "最終購入日": "date",
    "購入回数": "int",
    "購入金額": "yen",
    "総合スコア": "score",
    "継続率": "pct",
}


def load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


@pytest.fixture(scope="module", params=[True, False], ids=["fast", "cells"])
def book(request) -> openpyxl.Workbook:
    data = excel_bytes(
        [
            Sheet("顧客", scored(), KINDS),
            Sheet("顧客", scored(), KINDS, title=["ロイヤル顧客一覧", "基準日 2024/02/29"]),
        ],
        fast=request.param,
    )
    return load(data)


def test_excel_has_no_formula_cells(book):
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.coordinate


def test_excel_text_is_literal_text(book):
    ws = book.worksheets[0]
    assert [ws.cell(r, 1).value for r in range(1, 7)] == ["顧客ID", "000123", "=1+1", "@SUM(A1)", "-foo", None]
    for r in range(2, 6):
        assert ws.cell(r, 1).data_type == "s"
        assert ws.cell(r, 1).number_format == "@"


def test_excel_numbers_are_numbers_with_japanese_formats(book):
    ws = book.worksheets[0]
    amount, count, score, rate, day = ws["D2"], ws["C2"], ws["E2"], ws["F3"], ws["B2"]
    assert amount.value == 180000 and amount.data_type == "n" and "¥" in amount.number_format
    assert amount.number_format == NUMBER_FORMATS["yen"]
    assert ws["D3"].value == -1234
    assert count.value == 10 and count.number_format == "#,##0"
    assert score.value == 96 and score.number_format == "0.0"
    assert rate.value == pytest.approx(0.123) and rate.number_format == "0.0%"
    assert day.value == dt.datetime(2024, 1, 5) and day.number_format == "yyyy/mm/dd"
    assert ws["B3"].value == dt.datetime(2023, 12, 31)  # a "date" column drops the time of day
    assert ws["B5"].value == dt.datetime(2024, 2, 29)
    assert ws["G2"].value == "最重要顧客" and ws["G2"].number_format == "@"


def test_excel_missing_values_are_empty_cells(book):
    ws = book.worksheets[0]
    assert ws["B4"].value is None  # NaT
    assert ws["D4"].value is None  # NaN
    assert ws["F4"].value is None
    assert ws["A6"].value is None  # None


def test_excel_header_frozen_and_filtered(book):
    ws = book.worksheets[0]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:G6"
    assert ws["A1"].font.b


def test_excel_title_lines_sit_above_the_table(book):
    ws = book.worksheets[1]
    assert ws["A1"].value == "ロイヤル顧客一覧" and ws["A1"].font.b
    assert ws["A2"].value == "基準日 2024/02/29"
    assert ws["A3"].value is None
    assert ws["A4"].value == "顧客ID" and ws["A5"].value == "000123"
    assert ws.freeze_panes == "A5"
    assert ws.auto_filter.ref == "A4:G9"
    assert ws.max_row == 9


def test_excel_duplicate_sheet_names_are_made_distinct(book):
    assert book.sheetnames == ["顧客", "顧客 (2)"]


def test_excel_widths_count_japanese_as_double():
    df = pd.DataFrame({"a": ["abcdefghij"] * 2, "b": ["あいうえおかきくけこ"] * 2, "c": ["x" * 500] * 2})
    ws = load(excel_bytes([Sheet("w", df)])).active
    widths = {k: v.width for k, v in ws.column_dimensions.items()}
    assert widths["B"] >= widths["A"] + 9
    assert COLUMN_WIDTH_MAX <= widths["C"] < COLUMN_WIDTH_MAX + 1  # XlsxWriter adds the cell padding


def test_excel_long_text_wraps_in_its_cell_and_sheets_print_one_page_wide():
    df = pd.DataFrame({"短い": ["abc", "def"], "長い": ["x" * 500, "短文"]})
    for fast in (True, False):
        ws = load(excel_bytes([Sheet("w", df)], fast=fast)).active
        # only the column wider than a column may be wraps, every cell of it (top-aligned)
        assert [ws.cell(r, 2).alignment.wrap_text for r in (2, 3)] == [True, True]
        assert ws.cell(2, 2).alignment.vertical == "top"
        assert not ws.cell(2, 1).alignment.wrap_text
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
        # fitToWidth is left out when it is 1 (the OOXML default); 0 pages high = as many as needed
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows == "$1:$1"


def test_excel_header_width_counts_too():
    df = pd.DataFrame({"とても長い日本語の列名": [1], "x": [1]})
    ws = load(excel_bytes([Sheet("w", df)])).active
    assert ws.column_dimensions["A"].width >= display_width("とても長い日本語の列名")


def test_fast_and_cell_by_cell_writers_give_the_same_workbook():
    df = scored()
    df["混在"] = pd.Series([1, "a", None, 2.5, "=x"], dtype=object)
    df["制御文字"] = ["a\x01b", "_x0041_", " 前後の空白 ", "<&>", "改行\r\nあり"]
    df["はみ出し"] = pd.Series([-np.inf, np.inf, "text", 3, None], dtype=object)
    df["古い日付"] = pd.Series([dt.date(1899, 12, 1), dt.date(1900, 1, 1), dt.date(1900, 3, 1), None, "x"])
    kinds = dict(KINDS, はみ出し="float", 古い日付="date")
    sheets = [Sheet("a", df, kinds, title="題"), Sheet("b", df.iloc[:0]), Sheet("c", pd.DataFrame())]
    fast, slow = load(excel_bytes(sheets)), load(excel_bytes(sheets, fast=False))
    assert fast.sheetnames == slow.sheetnames
    for wf, ws in zip(fast.worksheets, slow.worksheets):
        assert wf.dimensions == ws.dimensions
        assert wf.freeze_panes == ws.freeze_panes and wf.auto_filter.ref == ws.auto_filter.ref
        cells_f = [(c.coordinate, c.value, c.data_type, c.number_format) for r in wf.iter_rows() for c in r]
        cells_s = [(c.coordinate, c.value, c.data_type, c.number_format) for r in ws.iter_rows() for c in r]
        assert cells_f == cells_s
        assert {k: v.width for k, v in wf.column_dimensions.items()} == {
            k: v.width for k, v in ws.column_dimensions.items()
        }
    ws = fast["a"]
    assert [ws.cell(r, 10).value for r in range(4, 9)] == ["-inf", "inf", "text", 3, None]
    assert ws.cell(4, 11).value == "1899/12/01" and ws.cell(5, 11).value == dt.datetime(1900, 1, 1)
    assert ws.cell(6, 11).value == dt.datetime(1900, 3, 1) and ws.cell(8, 11).value == "x"


def test_excel_text_survives_xml_escaping():
    texts = ["a\x01b", "_x0041_", " 前後の空白 ", "<a & b>", "改行\r\nあり", "\tタブ", "a\x00b"]
    data = excel_bytes([Sheet("s", pd.DataFrame({"t": texts}))])
    back = pd.read_excel(io.BytesIO(data), engine="calamine", dtype=str)["t"].tolist()
    assert back == [t.replace("\x00", "") for t in texts]


def test_excel_ids_and_numbers_via_calamine_too():
    data = excel_bytes([Sheet("s", scored(), KINDS)])
    back = pd.read_excel(io.BytesIO(data), engine="calamine")
    assert back["顧客ID"].iloc[0] == "000123"
    assert back["購入金額"].iloc[:2].tolist() == [180000, -1234]


def test_excel_empty_frame_still_has_header_and_filter():
    ws = load(excel_bytes([Sheet("s", pd.DataFrame({"a": [], "b": []}))])).active
    assert [c.value for c in ws[1]] == ["a", "b"]
    assert ws.auto_filter.ref == "A1:B1" and ws.freeze_panes == "A2"


def test_excel_long_text_is_cut_to_excels_limit():
    ws = load(excel_bytes([Sheet("s", pd.DataFrame({"t": ["x" * 40_000, "y"]}))])).active
    assert len(ws["A2"].value) == EXCEL_MAX_STRING and ws["A3"].value == "y"


def test_excel_timezones_keep_wall_clock_time():
    df = pd.DataFrame({"t": pd.to_datetime(["2024-01-05 09:30"]).tz_localize("Asia/Tokyo")})
    ws = load(excel_bytes([Sheet("s", df)])).active
    assert ws["A2"].value == dt.datetime(2024, 1, 5, 9, 30)
    assert ws["A2"].number_format == NUMBER_FORMATS["datetime"]


def test_excel_numeric_ids_declared_text_become_text():
    df = pd.DataFrame({"id": [123.0, np.nan, 456.0], "n": [1, 2, 3]})
    ws = load(excel_bytes([Sheet("s", df, {"id": "text"})])).active
    assert [ws.cell(r, 1).value for r in (2, 3, 4)] == ["123", None, "456"]


def test_excel_too_many_rows_is_a_user_error():
    df = pd.DataFrame({"a": np.zeros(EXCEL_MAX_ROWS, dtype=np.int8)})
    with pytest.raises(LoyaltyError) as info:
        excel_bytes([Sheet("big", df)])
    assert "CSV" in info.value.message("ja")


def test_sheet_rejects_unknown_kinds_and_columns():
    with pytest.raises(ValueError):
        Sheet("s", pd.DataFrame({"a": [1]}), {"a": "money"})
    with pytest.raises(ValueError):
        Sheet("s", pd.DataFrame({"a": [1]}), {"b": "int"})
    with pytest.raises(ValueError):
        excel_bytes([])


@pytest.mark.parametrize(
    ("series", "kind"),
    [
        (pd.Series([1, 2]), "int"),
        (pd.Series([1, None], dtype="Int64"), "int"),
        (pd.Series([1.5]), "float"),
        (pd.Series(pd.to_datetime(["2024-01-05", None])), "date"),
        (pd.Series(pd.to_datetime(["2024-01-05 10:00"])), "datetime"),
        (pd.Series([dt.date(2024, 1, 5)]), "date"),
        (pd.Series(["a"]), "text"),
        (pd.Series([True]), "text"),
    ],
)
def test_infer_kind(series, kind):
    assert infer_kind(series) == kind


@pytest.mark.parametrize(
    ("names", "safe"),
    [
        (["a/b", "c:d", "[x]", "*?\\"], ["a_b", "c_d", "_x_", "___"]),
        (["'quoted'", "", "History"], ["quoted", "Sheet", "History_"]),
        (["Data", "data", "DATA"], ["Data", "data (2)", "DATA (3)"]),
        (["あ" * 40, "あ" * 40], ["あ" * 31, "あ" * 27 + " (2)"]),
        (["😀" * 20], ["😀" * 15]),  # 31 UTF-16 units at most
    ],
)
def test_safe_sheet_names(names, safe):
    assert safe_sheet_names(names) == safe


def test_safe_sheet_names_are_accepted_by_excel_writer():
    names = ["a/b", "a_b", "x" * 40, "x" * 40, "顧客:2024", "'", "history"]
    book = load(excel_bytes([Sheet(n, pd.DataFrame({"a": [1]})) for n in names]))
    assert book.sheetnames == safe_sheet_names(names)
    assert len({n.casefold() for n in book.sheetnames}) == len(names)
    assert all(len(n) <= 31 for n in book.sheetnames)


@pytest.mark.parametrize(
    ("text", "width"), [("abc", 3), ("顧客", 4), ("ｱｲｳ", 3), ("①※", 4), ("ＡＢ", 4), ("é", 1), ("", 0)]
)
def test_display_width(text, width):
    assert display_width(text) == width


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-(2**53), 2**53), st.floats(allow_nan=True, allow_infinity=False, width=64)),
        min_size=0,
        max_size=12,
    )
)
def test_excel_numbers_round_trip(rows):
    df = pd.DataFrame(rows, columns=["i", "f"]).astype({"i": "int64", "f": "float64"})
    ws = load(excel_bytes([Sheet("n", df)])).active
    back = list(ws.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in back] == df["i"].tolist()
    assert [r[1] for r in back] == [None if np.isnan(f) else f for f in df["f"]]


EXCEL_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufffe\uffff"), max_size=15
)


@settings(max_examples=40, deadline=None)
@given(st.lists(EXCEL_TEXT, min_size=1, max_size=8))
def test_excel_text_round_trips(texts):
    df = pd.DataFrame({"t": pd.Series(texts, dtype="str")})
    data = excel_bytes([Sheet("t", df)])
    back = pd.read_excel(io.BytesIO(data), engine="calamine", dtype=str, keep_default_na=False)["t"].tolist()
    assert back == texts


def test_excel_date_column_parses_text_dates_and_keeps_the_rest_as_text():
    df = pd.DataFrame({"d": pd.Series(["2024-01-05", "2024/01/06 10:00", "不明", 3, None], dtype=object)})
    ws = load(excel_bytes([Sheet("s", df, {"d": "date"})])).active
    assert [ws.cell(r, 1).value for r in range(2, 7)] == [
        dt.datetime(2024, 1, 5),
        dt.datetime(2024, 1, 6),
        "不明",
        "3",
        None,
    ]


def test_excel_amounts_carry_the_currency_in_use():
    from loyalty.fmt import use_currency

    df = pd.DataFrame({"売上": [1234.0, -5.0]})
    ws = load(excel_bytes([Sheet("w", df, {"売上": "yen"})])).active
    assert ws.cell(2, 1).number_format == NUMBER_FORMATS["yen"] == '"¥"#,##0;-"¥"#,##0'
    use_currency("GBP")
    for fast in (True, False):
        ws = load(excel_bytes([Sheet("w", df, {"売上": "yen"})], fast=fast)).active
        assert ws.cell(2, 1).number_format == '"£"#,##0;-"£"#,##0' and ws.cell(2, 1).value == 1234.0

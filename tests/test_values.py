"""Tests for loyalty.values: ids, dates, amounts and numbers read from text cells.

Each test feeds a small hand-made column and asserts the whole output:
values, the ``empty`` and ``bad`` masks, and for dates the note and the
ambiguity flag.  Property tests (hypothesis) check that every supported way
of writing an amount or a date reads back to the value it was written from.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from loyalty.values import (  # noqa: E402
    EXCEL_SERIAL_MAX,
    MISSING_TOKENS,
    RULES,
    AmountParse,
    DateParse,
    normalize_ids,
    parse_amounts,
    parse_dates,
    parse_numbers,
)

NaN = float("nan")
FULL_WIDTH = str.maketrans("0123456789,-/.:", "０１２３４５６７８９，－／．：")


def col(*cells) -> pd.Series:
    """A text column as the readers deliver it (dtype str, missing = NaN)."""
    return pd.Series(list(cells), dtype="str")


def assert_ids(result: pd.Series, expected: list) -> None:
    assert result.dtype == pd.StringDtype("pyarrow", na_value=np.nan)
    pd.testing.assert_series_equal(result, pd.Series(expected, dtype="str"))


def assert_numbers(res: AmountParse, values: list, empty: list[bool], bad: list[bool]) -> None:
    assert res.values.dtype == np.float64
    np.testing.assert_array_equal(res.values.to_numpy(), np.array(values, dtype=float))
    assert res.empty.tolist() == empty
    assert res.bad.tolist() == bad


def assert_dates(res: DateParse, values: list[str | None], empty=None, bad=None) -> None:
    expected = pd.Series(np.array([v or "NaT" for v in values], dtype="datetime64[us]"))
    pd.testing.assert_series_equal(res.values, expected)
    n = len(values)
    assert res.empty.tolist() == (empty if empty is not None else [False] * n)
    assert res.bad.tolist() == (bad if bad is not None else [False] * n)


# --------------------------------------------------------------------------
# ids


def test_ids_keep_leading_zeros_and_text():
    assert_ids(normalize_ids(col("000123", "0001", "A-001", "17850")), ["000123", "0001", "A-001", "17850"])


def test_ids_full_width_and_spaces_are_normalised():
    assert_ids(
        normalize_ids(col("　ＡＢ１２３　", " 000123 ", "\t17850\n", "\ufeffC-1", "1 2")),
        ["AB123", "000123", "17850", "C-1", "1 2"],
    )


def test_ids_placeholders_become_missing():
    assert_ids(
        normalize_ids(col("", "   ", "　", None, "nan", "NULL", "None", "N/A", "#N/A", "-", "－", "--", "不明", "x")),
        [NaN] * 13 + ["x"],
    )


def test_ids_float_suffix_dropped_when_every_id_has_it():
    assert_ids(normalize_ids(col("17850.0", "00123.0", None, "NULL", "9.0")), ["17850", "00123", NaN, NaN, "9"])


def test_ids_float_suffix_kept_when_one_id_lacks_it():
    assert_ids(normalize_ids(col("17850.0", "17851")), ["17850.0", "17851"])
    assert_ids(normalize_ids(col("17850.0", "A1.0")), ["17850.0", "A1.0"])
    assert_ids(normalize_ids(col("1.50")), ["1.50"])


def test_ids_keep_index_and_name():
    s = pd.Series(["1", "2"], index=[10, 20], name="顧客ID", dtype="str")
    out = normalize_ids(s)
    assert out.index.tolist() == [10, 20]
    assert out.name == "顧客ID"


def test_ids_from_numeric_column():
    assert_ids(normalize_ids(pd.Series([17850.0, np.nan, 12.0])), ["17850", NaN, "12"])


def test_ids_empty_and_all_missing_columns():
    assert_ids(normalize_ids(col()), [])
    assert_ids(normalize_ids(col(None, "")), [NaN, NaN])


# --------------------------------------------------------------------------
# amounts


def test_amounts_plain_numbers_fast_path():
    assert_numbers(
        parse_amounts(col("1234", "1234.5", "-5", "+7", "1.2e3", ".5", None, "0")),
        [1234, 1234.5, -5, 7, 1200, 0.5, NaN, 0],
        [False] * 6 + [True, False],
        [False] * 8,
    )


@pytest.mark.parametrize(
    "cell, value",
    [
        ("1234", 1234),
        ("1,234", 1234),
        ("12,345,678", 12345678),
        ("1234.5", 1234.5),
        ("1,234.50", 1234.5),
        ("¥1,234", 1234),
        ("￥1,234", 1234),
        ("\\1,234", 1234),
        ("¥ 1,234", 1234),
        ("1,234円", 1234),
        ("¥1,234円", 1234),
        ("１，２３４", 1234),
        ("１２３４．５", 1234.5),
        ("-1,234", -1234),
        ("−1,234", -1234),
        ("－1,234", -1234),
        ("－１，２３４", -1234),
        ("¥-1,234", -1234),
        ("-¥1,234", -1234),
        ("▲1,234", -1234),
        ("△1,234", -1234),
        ("▲ 1,234円", -1234),
        ("(1,234)", -1234),
        ("（１，２３４）", -1234),
        ("1,234-", -1234),
        ("+1,234", 1234),
        ("  1,234  ", 1234),
        ("　1,234　", 1234),
        ("1.2e3", 1200),
        ("1.5E-1", 0.15),
        ("0", 0),
        ("007", 7),
    ],
)
def test_amounts_accepted_forms(cell, value):
    res = parse_amounts(col(cell, "x"))  # the "x" forces the lenient path
    assert res.values.iloc[0] == value
    assert not res.empty.iloc[0] and not res.bad.iloc[0]


@pytest.mark.parametrize(
    "cell",
    [
        "abc",
        "ー5",  # katakana long vowel, not a minus
        "ｰ5",  # half-width long vowel
        "--5",
        "- -5",
        "+-5",
        "▲-5",
        "(-5)",
        "(5",
        "5)",
        "1,23,4",
        "1,5",
        ",123",
        "1,,234",
        "1234,",
        "1.2.3",
        "1 234",
        "$5",
        "5ドル",
        "45%",
        "¥",
        "円",
        "nan5",
        "inf",
        "1e400",
        "#VALUE!",
        "5..",
    ],
)
def test_amounts_bad_forms(cell):
    res = parse_amounts(col(cell))
    assert np.isnan(res.values.iloc[0])
    assert res.bad.iloc[0] and not res.empty.iloc[0]


@pytest.mark.parametrize("cell", [None, "", "  ", "　", "nan", "NaN", "NULL", "null", "-", "－", "―", "#N/A", "なし"])
def test_amounts_empty_forms(cell):
    res = parse_amounts(col(cell, "1"))
    assert np.isnan(res.values.iloc[0])
    assert res.empty.iloc[0] and not res.bad.iloc[0]


def test_amounts_empty_and_bad_are_distinguished_in_one_column():
    assert_numbers(
        parse_amounts(col("¥1,000", "", None, "abc", "▲500", "-", "1,23,4")),
        [1000, NaN, NaN, NaN, -500, NaN, NaN],
        [False, True, True, False, False, True, False],
        [False, False, False, True, False, False, True],
    )


def test_amounts_keep_index_and_name():
    s = pd.Series(["1", "x"], index=["a", "b"], name="金額", dtype="str")
    res = parse_amounts(s)
    for part in (res.values, res.empty, res.bad):
        assert part.index.tolist() == ["a", "b"]
        assert part.name == "金額"


def test_amounts_numeric_column_passes_through():
    assert_numbers(
        parse_amounts(pd.Series([1.5, np.nan, -3, np.inf])), [1.5, NaN, -3, NaN], [False, True, False, False],
        [False, False, False, True],
    )


def test_amounts_empty_column():
    assert_numbers(parse_amounts(col()), [], [], [])


def test_numbers_accept_percent_as_written():
    assert_numbers(
        parse_numbers(col("45%", "４５％", "12.5 %", "3", "(5%)", "¥5%", "%", "")),
        [45, 45, 12.5, 3, -5, NaN, NaN, NaN],
        [False] * 7 + [True],
        [False] * 5 + [True, True, False],
    )


def test_numbers_accept_everything_amounts_accept():
    assert_numbers(
        parse_numbers(col("1,234", "▲2", "１０")), [1234, -2, 10], [False] * 3, [False] * 3
    )


# --------------------------------------------------------------------------
# dates: accepted forms


@pytest.mark.parametrize(
    "cell",
    [
        "2024/1/5",
        "2024/01/05",
        "2024-01-05",
        "2024-1-5",
        "2024.1.5",
        "2024.01.05",
        "2024年1月5日",
        "2024年01月05日",
        "2024 年 1 月 5 日",
        "20240105",
        "2024/01/05 13:45",
        "2024/1/5 9:05",
        "2024/01/05 13:45:12",
        "2024-01-05 13:45:12",
        "2024-01-05T13:45:12",
        "2024-01-05T13:45:12.123456",
        "2024-01-05T13:45:12+09:00",
        "2024-01-05T13:45:12+0900",
        "2024-01-05T13:45:12Z",
        "2024-01-05 13:45 JST",
        "2024/01/05 1:45 PM",
        "2024/01/05 12:00 am",
        "2024/01/05 午後1:45",
        "2024年1月5日 13時45分",
        "2024年1月5日13時45分12秒",
        "2024年1月5日 午前9時",
        "2024/01/05(金)",
        "2024/01/05（金） 13:45",
        "2024年1月5日(金曜日)",
        "20240105134512",
        "202401051345",
        "20240105T134512",
        "２０２４／０１／０５",
        "２０２４年１月５日",
        "２０２４０１０５",
        "　2024/01/05　",
        "令和6年1月5日",
        "令和６年１月５日",
        "㋿6年1月5日",
        "R6.1.5",
        "R6/1/5",
        "R6-01-05",
        "r6.1.5",
        "R06.01.05",
        "令和6.1.5",
        "R6年1月5日",
        "令和6年1月5日 13:45",
        "45296",
        "45296.75",
    ],
)
def test_dates_accepted_forms(cell):
    res = parse_dates(col(cell))
    assert_dates(res, ["2024-01-05"])


@pytest.mark.parametrize(
    "cell, iso",
    [
        ("平成31年4月30日", "2019-04-30"),
        ("令和元年5月1日", "2019-05-01"),
        ("令和1年5月1日", "2019-05-01"),
        ("R1.5.1", "2019-05-01"),
        ("R元.5.1", "2019-05-01"),
        ("H31.4.30", "2019-04-30"),
        ("㍻31年4月30日", "2019-04-30"),
        ("平成元年1月8日", "1989-01-08"),
        ("昭和64年1月7日", "1989-01-07"),
        ("S64.1.7", "1989-01-07"),
        ("昭和元年12月25日", "1926-12-25"),
        ("大正15年12月24日", "1926-12-24"),
        ("明治45年7月29日", "1912-07-29"),
        ("平成32年1月1日", "2020-01-01"),  # after the era ended: converted arithmetically
        ("令和100年1月1日", "2118-01-01"),
    ],
)
def test_dates_japanese_era_boundaries(cell, iso):
    assert_dates(parse_dates(col(cell)), [iso])


@pytest.mark.parametrize(
    "cell",
    ["令和元年4月30日", "平成元年1月7日", "昭和元年12月24日", "令和0年5月1日", "R0.5.1", "X6.1.5", "令和6年2月30日"],
)
def test_dates_before_era_start_or_impossible_are_bad(cell):
    assert_dates(parse_dates(col(cell)), [None], bad=[True])


@pytest.mark.parametrize(
    "cell, iso",
    [
        ("45292", "2024-01-01"),
        ("45292.0", "2024-01-01"),
        ("45292.99999", "2024-01-01"),
        ("1", "1900-01-01"),
        ("59", "1900-02-28"),
        ("60", "1900-02-28"),  # Excel's non-existent 1900-02-29, read as the 28th
        ("61", "1900-03-01"),
        ("36526", "2000-01-01"),
        ("2958465", "9999-12-31"),
        ("４５２９２", "2024-01-01"),
    ],
)
def test_dates_excel_serials(cell, iso):
    assert_dates(parse_dates(col(cell)), [iso])
    assert parse_dates(col(cell)).note == "Excel serial"


@pytest.mark.parametrize(
    "cell",
    [
        "2024/2/30",
        "2023/2/29",
        "2024/13/1",
        "2024/0/10",
        "2024/1/0",
        "2024/1/32",
        "2024-04-31",
        "20240230",
        "20241301",
        "24/1/5",
        "1/5/24",
        "24-01-05",
        "2958466",
        "0.5",
        "2024/01-05",
        "2024/01/05 25:00",
        "2024/01/05 13:60",
        "2024/01/05 13:45:61",
        "2024/01/05 13:00 PM",
        "2024/01/05 x",
        "2024/01",
        "13:45:12",
        "abc",
        "2024年1月",
        "2024年13月1日",
        "１３/１３/2024",
        "Jan 5, 2024",
        "#VALUE!",
    ],
)
def test_dates_bad_forms(cell):
    res = parse_dates(col(cell))
    assert_dates(res, [None], bad=[True])


def test_dates_plain_numbers_are_serials_even_when_they_look_like_years():
    """Any plain number 1–2958465 is an Excel serial (documented risk): a bare
    year, a YYMMDD or a YYYYMM cell is not recognised as such."""
    assert_dates(parse_dates(col("2024", "240105", "202401")), ["1905-07-16", "2557-05-19", "2454-02-24"])


@pytest.mark.parametrize(
    "cell",
    [None, "", " ", "　", "nan", "NaT", "NULL", "-", "－", "0000-00-00", "0000/00/00", "0000-00-00 00:00:00", "00000000", "0"],
)
def test_dates_empty_forms(cell):
    res = parse_dates(col(cell, "2024/01/05"))
    assert_dates(res, [None, "2024-01-05"], empty=[True, False], bad=[False, False])


def test_dates_mixed_forms_in_one_column():
    res = parse_dates(
        col(
            "2024/1/5",
            "2024-01-06 10:00:00",
            "2024年1月7日",
            "20240108",
            "45300",
            "令和6年1月10日",
            "H31.4.30",
            "2024/2/30",
            "",
            None,
            "abc",
        )
    )
    assert_dates(
        res,
        [
            "2024-01-05",
            "2024-01-06",
            "2024-01-07",
            "2024-01-08",
            "2024-01-09",
            "2024-01-10",
            "2019-04-30",
            None,
            None,
            None,
            None,
        ],
        empty=[False] * 8 + [True, True, False],
        bad=[False] * 7 + [True, False, False, True],
    )
    assert res.note == "和暦 (Japanese era) + YYYY-MM-DD + time + YYYY/MM/DD + 3 more forms"
    assert res.ambiguous is False
    assert res.dayfirst is None


def test_dates_fast_path_and_fallback_agree():
    # A fixed-width column goes through the fast byte reader; one odd cell
    # sends that cell (only) through the lenient path.
    cells = ["2024-01-05 13:45:12", "2024-02-29 00:00:00", "2023-02-29 00:00:00", "2024-13-01 00:00:00"]
    assert_dates(parse_dates(col(*cells)), ["2024-01-05", "2024-02-29", None, None], bad=[False, False, True, True])
    assert_dates(
        parse_dates(col(*cells, None, "2024/1/5")),
        ["2024-01-05", "2024-02-29", None, None, None, "2024-01-05"],
        empty=[False] * 4 + [True, False],
        bad=[False, False, True, True, False, False],
    )


def test_dates_notes():
    assert parse_dates(col("2024/01/05", "2024/01/06")).note == "YYYY/MM/DD"
    assert parse_dates(col("2024-01-05 10:00:00")).note == "YYYY-MM-DD + time"
    assert parse_dates(col("2024.1.5")).note == "YYYY.MM.DD"
    assert parse_dates(col("2024年1月5日")).note == "YYYY年M月D日"
    assert parse_dates(col("20240105", "20240106")).note == "YYYYMMDD"
    assert parse_dates(col("R6.1.5")).note == "和暦 (Japanese era)"
    assert parse_dates(col("45292", "45293", "2024/01/05")).note == "Excel serial + YYYY/MM/DD"
    assert parse_dates(col("abc", None)).note == "no dates"


def test_dates_keep_index_and_name():
    s = pd.Series(["2024/01/05", "x"], index=[3, 7], name="購入日", dtype="str")
    res = parse_dates(s)
    for part in (res.values, res.empty, res.bad):
        assert part.index.tolist() == [3, 7]
        assert part.name == "購入日"


def test_dates_datetime_column_passes_through_at_midnight():
    s = pd.Series(pd.to_datetime(["2024-01-05 13:45", None]))
    assert_dates(parse_dates(s), ["2024-01-05", None], empty=[False, True], bad=[False, False])


def test_dates_empty_column():
    res = parse_dates(col())
    assert_dates(res, [])
    assert res.note == "no dates"


# --------------------------------------------------------------------------
# dates: dd/mm/yyyy versus mm/dd/yyyy


def test_dayfirst_inferred_from_a_first_field_above_12():
    res = parse_dates(col("13/01/2024", "02/03/2024"))
    assert_dates(res, ["2024-01-13", "2024-03-02"])
    assert (res.note, res.ambiguous, res.dayfirst) == ("dd/mm/yyyy (inferred)", False, True)


def test_monthfirst_inferred_from_a_second_field_above_12():
    res = parse_dates(col("01/13/2024", "02/03/2024"), dayfirst=True)  # the data wins over dayfirst
    assert_dates(res, ["2024-01-13", "2024-02-03"])
    assert (res.note, res.ambiguous, res.dayfirst) == ("mm/dd/yyyy (inferred)", False, False)


def test_undecidable_defaults_to_monthfirst_and_is_ambiguous():
    res = parse_dates(col("02/03/2024", "04/05/2024 10:00"))
    assert_dates(res, ["2024-02-03", "2024-04-05"])
    assert (res.note, res.ambiguous, res.dayfirst) == ("mm/dd/yyyy (assumed) + time", True, False)


def test_undecidable_uses_dayfirst_when_given():
    res = parse_dates(col("02/03/2024", "04.05.2024"), dayfirst=True)
    assert_dates(res, ["2024-03-02", "2024-05-04"])
    assert (res.note, res.ambiguous, res.dayfirst) == ("dd/mm/yyyy (dayfirst=True)", True, True)
    res = parse_dates(col("02/03/2024"), dayfirst=False)
    assert_dates(res, ["2024-02-03"])
    assert (res.ambiguous, res.dayfirst) == (True, False)


def test_same_day_and_month_is_not_ambiguous():
    res = parse_dates(col("01/01/2024", "12-12-2024"))
    assert_dates(res, ["2024-01-01", "2024-12-12"])
    assert (res.ambiguous, res.dayfirst) == (False, False)


def test_conflicting_evidence_is_ambiguous_and_the_losers_are_bad():
    res = parse_dates(col("13/01/2024", "01/13/2024", "02/03/2024"))
    assert_dates(res, [None, "2024-01-13", "2024-02-03"], bad=[True, False, False])
    assert (res.note, res.ambiguous, res.dayfirst) == ("mm/dd/yyyy (conflicting; assumed)", True, False)


def test_dmy_invalid_either_way_is_bad_and_not_evidence():
    res = parse_dates(col("13/13/2024", "31/02/2024", "14/01/2024"))
    assert_dates(res, [None, None, "2024-01-14"], bad=[True, True, False])
    assert (res.ambiguous, res.dayfirst) == (False, True)


def test_ymd_columns_are_never_ambiguous():
    res = parse_dates(col("2024/02/03"), dayfirst=True)
    assert_dates(res, ["2024-02-03"])
    assert (res.ambiguous, res.dayfirst) == (False, None)


# --------------------------------------------------------------------------
# documentation


def test_rules_and_missing_tokens_are_documented():
    for key in ("ids", "amount_commas", "amount_signs", "date_excel_serial", "date_dayfirst", "date_era"):
        assert RULES[key]
    assert {"", "nan", "null", "-", "#n/a"} <= MISSING_TOKENS
    assert EXCEL_SERIAL_MAX == 2958465


# --------------------------------------------------------------------------
# properties

AMOUNT_STYLES = {
    "yen sign": lambda n: f"¥{n:,}",
    "full-width yen": lambda n: f"￥{n:,}",
    "yen suffix": lambda n: f"{n:,}円",
    "plain": lambda n: f"{n}",
    "commas": lambda n: f"{n:,}",
    "full-width": lambda n: f"{n:,}".translate(FULL_WIDTH),
    "triangle negative": lambda n: f"▲{-n:,}" if n < 0 else f"{n:,}",
    "white triangle negative": lambda n: f"△{-n:,}円" if n < 0 else f"{n:,}円",
    "parentheses negative": lambda n: f"({-n:,})" if n < 0 else f"{n:,}",
    "trailing minus": lambda n: f"{-n:,}-" if n < 0 else f"{n:,}",
    "unicode minus": lambda n: f"{n:,}".replace("-", "\u2212"),
    "spaced": lambda n: f"  ¥ {n:,}  ",
}
#: Whole amounts up to the documented bound (LOYALTY_MAX_AMOUNT, 1e13) read exactly.
LIMIT = 10_000_000_000_000
INTS = st.integers(min_value=-LIMIT, max_value=LIMIT)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(n=INTS, style=st.sampled_from(sorted(AMOUNT_STYLES)))
def test_property_amount_styles_round_trip(n, style):
    cell = AMOUNT_STYLES[style](n)
    res = parse_amounts(col(cell))
    assert res.values.iloc[0] == n, cell
    assert not res.bad.iloc[0] and not res.empty.iloc[0]


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(n=st.integers(min_value=LIMIT + 1, max_value=2**80), neg=st.booleans(),
       style=st.sampled_from(sorted(AMOUNT_STYLES)))
def test_property_amounts_beyond_the_bound_are_bad(n, neg, style):
    cell = AMOUNT_STYLES[style](-n if neg else n)
    res = parse_amounts(col(cell))
    assert np.isnan(res.values.iloc[0]) and res.bad.iloc[0] and not res.empty.iloc[0], cell


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(cells=st.lists(st.tuples(INTS, st.sampled_from(sorted(AMOUNT_STYLES))), min_size=1, max_size=30))
def test_property_mixed_amount_column_round_trips(cells):
    res = parse_amounts(col(*[AMOUNT_STYLES[style](n) for n, style in cells]))
    assert res.values.tolist() == [float(n) for n, _ in cells]
    assert not res.bad.any() and not res.empty.any()


ERA_TABLE = [  # (kanji, letter, first year, first day)
    ("令和", "R", 2019, dt.date(2019, 5, 1)),
    ("平成", "H", 1989, dt.date(1989, 1, 8)),
    ("昭和", "S", 1926, dt.date(1926, 12, 25)),
    ("大正", "T", 1912, dt.date(1912, 7, 30)),
    ("明治", "M", 1868, dt.date(1873, 1, 1)),
]


def _era(d: dt.date) -> tuple[str, str, int]:
    for kanji, letter, base, start in ERA_TABLE:
        if d >= start:
            return kanji, letter, d.year - base + 1
    raise ValueError(d)


def _serial(d: dt.date) -> int:
    n = (d - dt.date(1899, 12, 30)).days
    return n if d >= dt.date(1900, 3, 1) else n - 1


def _era_kanji(d: dt.date) -> str:
    kanji, _, y = _era(d)
    return f"{kanji}{'元' if y == 1 else y}年{d.month}月{d.day}日"


def _era_letter(d: dt.date) -> str:
    _, letter, y = _era(d)
    return f"{letter}{y}.{d.month}.{d.day}"


def _y(d: dt.date) -> str:
    return f"{d.year:04d}"


DATE_STYLES = {
    "YYYY/MM/DD": lambda d, t: f"{_y(d)}/{d:%m/%d}",
    "YYYY/M/D": lambda d, t: f"{_y(d)}/{d.month}/{d.day}",
    "YYYY-MM-DD": lambda d, t: f"{_y(d)}-{d:%m-%d}",
    "YYYY.M.D": lambda d, t: f"{_y(d)}.{d.month}.{d.day}",
    "kanji": lambda d, t: f"{_y(d)}年{d.month}月{d.day}日",
    "YYYYMMDD": lambda d, t: f"{_y(d)}{d:%m%d}",
    "slash + time": lambda d, t: f"{_y(d)}/{d:%m/%d} {t:%H:%M:%S}",
    "slash + h:mm": lambda d, t: f"{_y(d)}/{d.month}/{d.day} {t.hour}:{t:%M}",
    "ISO T": lambda d, t: f"{_y(d)}-{d:%m-%d}T{t:%H:%M:%S}",
    "ISO +09:00": lambda d, t: f"{_y(d)}-{d:%m-%d}T{t:%H:%M:%S}+09:00",
    "12-hour": lambda d, t: f"{_y(d)}/{d:%m/%d} {t:%I:%M %p}",
    "kanji + time": lambda d, t: f"{_y(d)}年{d.month}月{d.day}日 {t.hour}時{t.minute}分",
    "full-width": lambda d, t: f"{_y(d)}/{d:%m/%d}".translate(FULL_WIDTH),
    "full-width kanji": lambda d, t: f"{_y(d)}年{d.month}月{d.day}日".translate(FULL_WIDTH),
    "weekday": lambda d, t: f"{_y(d)}/{d:%m/%d}({'月火水木金土日'[d.weekday()]})",
    "serial": lambda d, t: f"{_serial(d)}",
    "serial + time": lambda d, t: repr(_serial(d) + (t.hour * 3600 + t.minute * 60 + t.second) / 86400),
    "era kanji": lambda d, t: _era_kanji(d),
    "era letter": lambda d, t: _era_letter(d),
    "dd/mm/yyyy": lambda d, t: f"{d:%d/%m}/{_y(d)}",
    "mm/dd/yyyy": lambda d, t: f"{d:%m/%d}/{_y(d)}",
}
STYLE_MIN = {"serial": dt.date(1900, 1, 1), "serial + time": dt.date(1900, 1, 1), "era kanji": dt.date(1873, 1, 1),
             "era letter": dt.date(1873, 1, 1)}
DAYFIRST = {"dd/mm/yyyy": True, "mm/dd/yyyy": False}


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(
    style=st.sampled_from(sorted(DATE_STYLES)),
    dates=st.lists(st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)), min_size=1, max_size=12),
    time_of_day=st.times(),
)
def test_property_any_date_in_any_style_round_trips(style, dates, time_of_day):
    lo = STYLE_MIN.get(style, dt.date(1, 1, 1))
    dates = [max(d, lo) for d in dates]
    cells = [DATE_STYLES[style](d, time_of_day) for d in dates]
    res = parse_dates(col(*cells), dayfirst=DAYFIRST.get(style))
    assert res.values.tolist() == [pd.Timestamp(d) for d in dates], cells
    assert not res.bad.any() and not res.empty.any()


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(
    cells=st.lists(
        st.tuples(
            st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
            st.sampled_from(sorted(set(DATE_STYLES) - set(DAYFIRST))),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_property_mixed_date_column_round_trips(cells):
    noon = dt.time(12, 30, 15)
    res = parse_dates(col(*[DATE_STYLES[style](max(d, STYLE_MIN.get(style, d)), noon) for d, style in cells]))
    assert res.values.tolist() == [pd.Timestamp(max(d, STYLE_MIN.get(style, d))) for d, style in cells]
    assert not res.bad.any() and not res.empty.any()
    assert res.ambiguous is False


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(cells=st.lists(st.one_of(st.none(), st.text(max_size=12)), max_size=20))
def test_property_masks_partition_the_rows(cells):
    s = col(*cells)
    for res in (parse_amounts(s), parse_numbers(s), parse_dates(s)):
        assert not (res.empty & res.bad).any()
        assert (res.values.isna() == (res.empty | res.bad)).all()
    ids = normalize_ids(s)
    assert (ids.isna() | (ids.str.len() > 0)).all()


# --------------------------------------------------------------------------
# not finite, beyond the bound, currency codes


def test_non_finite_and_huge_numbers_are_bad_in_text_and_numeric_columns():
    cells = ["1e308", "1e309", "inf", "-inf", "Infinity", "NaN", "10000000000000", "-10000000000001", "5"]
    res = parse_amounts(col(*cells))
    assert res.bad.tolist() == [True, True, True, True, True, False, False, True, False]
    assert res.empty.tolist() == [False] * 5 + [True] + [False] * 3  # "NaN" is a placeholder: empty
    assert res.values.iloc[6] == 1e13 and res.values.iloc[8] == 5.0
    numeric = pd.Series([1e308, np.inf, -np.inf, np.nan, 2.5e13, 7.0])
    res = parse_amounts(numeric)
    assert res.bad.tolist() == [True, True, True, False, True, False]
    assert res.empty.tolist() == [False, False, False, True, False, False]
    assert res.values.iloc[5] == 7.0 and res.values.iloc[:5].isna().all()


def test_the_bound_is_the_documented_setting(monkeypatch):
    monkeypatch.setenv("LOYALTY_MAX_AMOUNT", "1000")
    res = parse_amounts(col("1,000", "1,001", "-1001", "999"))
    assert res.bad.tolist() == [False, True, True, False]
    assert parse_numbers(col("1000", "1001")).bad.tolist() == [False, True]


CURRENCY_CELLS = ["1,000 JPY", "JPY 1,000", "JPY1,000", "1,000円", "¥1,000", "￥1,000", "jpy 1,000",
                  "USD 12.50", "12.50 USD", "$12.50", "US$12.50", "£8", "GBP 8", "€9", "9 EUR", "1,000"]


def test_amounts_naming_the_data_currency_are_read_and_others_are_flagged():
    res = parse_amounts(col(*CURRENCY_CELLS))  # yen
    assert res.values.tolist()[:7] == [1000.0] * 7 and res.values.iloc[15] == 1000.0
    assert res.other_currency.tolist() == [False] * 7 + [True] * 8 + [False]
    assert res.bad.tolist() == res.other_currency.tolist()
    assert res.currencies == {"JPY": 7, "USD": 4, "GBP": 2, "EUR": 2}
    usd = parse_amounts(col(*CURRENCY_CELLS), currency="USD")
    assert usd.values.tolist()[7:11] == [12.5] * 4 and usd.values.iloc[15] == 1000.0
    assert usd.other_currency.tolist() == [True] * 7 + [False] * 4 + [True] * 4 + [False]
    gbp = parse_amounts(col("£8", "GBP 8.25", "-£3", "(GBP 2)"), currency="GBP")
    assert gbp.values.tolist() == [8.0, 8.25, -3.0, -2.0] and gbp.other_currency is None


def test_a_cell_naming_two_currencies_is_bad_but_not_another_currency():
    res = parse_amounts(col("$1,000円", "¥1,000円", "12 USD %"))
    assert res.bad.tolist() == [True, False, True]
    assert res.other_currency is None and res.values.iloc[1] == 1000.0

"""Japanese number and date formatting (loyalty.fmt)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.fmt import MISSING, format_date, format_int, format_pct, format_score, format_yen


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0, "¥0"),
        (1234, "¥1,234"),
        (-1234, "-¥1,234"),
        (1234567.0, "¥1,234,567"),
        (0.5, "¥1"),  # half away from zero
        (-0.5, "-¥1"),
        (-0.4, "¥0"),  # never "-¥0"
        (np.int64(180000), "¥180,000"),
        (np.float32(40000), "¥40,000"),
        (Decimal("6000"), "¥6,000"),
        (Fraction(3, 2), "¥2"),
        (True, "¥1"),
        (None, MISSING),
        (float("nan"), MISSING),
        (np.nan, MISSING),
        (pd.NA, MISSING),
        (float("inf"), MISSING),
    ],
)
def test_format_yen(value, shown):
    assert format_yen(value) == shown


def test_format_yen_rejects_text():
    with pytest.raises(TypeError):
        format_yen("1234")


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0, "0"), (1234, "1,234"), (-1234, "-1,234"), (1234.5, "1,235"), (np.int32(7), "7"), (None, MISSING)],
)
def test_format_int(value, shown):
    assert format_int(value) == shown


@pytest.mark.parametrize(
    ("value", "digits", "shown"),
    [
        (0.123, 1, "12.3%"),
        (0.1234, 1, "12.3%"),
        (0.12345, 2, "12.35%"),
        (1, 1, "100.0%"),
        (0, 1, "0.0%"),
        (0.4, 0, "40%"),
        (-0.05, 1, "-5.0%"),
        (-0.00001, 1, "0.0%"),
        (0.9, 1, "90.0%"),  # the seeds' retention: 90 of 100 stay
        (12.5, 1, "1,250.0%"),
        (np.nan, 1, MISSING),
    ],
)
def test_format_pct(value, digits, shown):
    assert format_pct(value, digits) == shown


@pytest.mark.parametrize(("value", "shown"), [(96, "96.0"), (72.45, "72.5"), (2.675, "2.7"), (None, MISSING)])
def test_format_score(value, shown):
    assert format_score(value) == shown


def test_format_score_rounds_what_is_printed():
    assert format_score(2.675, 2) == "2.68"  # binary 2.67499… would give 2.67


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (dt.date(2024, 1, 5), "2024/01/05"),
        (dt.datetime(2024, 1, 5, 23, 59), "2024/01/05"),
        (pd.Timestamp("2024-01-05 13:00"), "2024/01/05"),
        (pd.Timestamp("2024-01-05", tz="Asia/Tokyo"), "2024/01/05"),
        (np.datetime64("2024-01-05"), "2024/01/05"),
        ("2024-01-05", "2024/01/05"),
        (dt.date(999, 12, 31), "0999/12/31"),
        (None, MISSING),
        (pd.NaT, MISSING),
        (np.datetime64("NaT"), MISSING),
        (float("nan"), MISSING),
    ],
)
def test_format_date(value, shown):
    assert format_date(value) == shown


def test_format_date_rejects_non_dates():
    with pytest.raises(ValueError):
        format_date("not a date")
    with pytest.raises(TypeError):
        format_date(20240105)


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_yen_and_int_agree_with_python_grouping(n):
    assert format_int(n) == f"{n:,}"
    expected = f"¥{abs(n):,}"
    assert format_yen(n) == ("-" + expected if n < 0 else expected)


@given(st.floats(min_value=0, max_value=1, allow_nan=False))
def test_pct_has_one_decimal_and_percent_sign(x):
    shown = format_pct(x)
    assert shown.endswith("%")
    _, _, decimals = shown[:-1].partition(".")
    assert len(decimals) == 1
    assert 0 <= float(shown[:-1]) <= 100


def test_nps_is_a_signed_whole_number_everywhere():
    from loyalty.fmt import format_nps

    assert [format_nps(v) for v in (32.4, -13.7, 0.4, -0.4, 0, 100, None)] == ["+32", "-14", "0", "0", "0", "+100",
                                                                                 "—"]


def test_a_change_in_a_count_reads_with_its_sign_and_separators():
    from loyalty.fmt import format_signed_int

    assert [format_signed_int(v) for v in (1234, -12, 0, 2.5, None)] == ["+1,234", "-12", "0", "+3", "—"]


def test_amounts_take_the_symbol_of_the_currency_in_use():
    from loyalty.fmt import currency, format_yen, use_currency

    assert (currency(), format_yen(1234.5)) == ("JPY", "¥1,235")
    use_currency("GBP")
    assert (currency(), format_yen(1234.5), format_yen(-0.4), format_yen(-2)) == ("GBP", "£1,235", "£0", "-£2")
    use_currency("USD")
    assert format_yen(1_000_000) == "$1,000,000"
    use_currency("XYZ")  # unknown: back to yen
    assert format_yen(5) == "¥5"

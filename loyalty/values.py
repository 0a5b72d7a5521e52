"""Typed values from the text cells of one column.

Every column of an export arrives as text (a pandas Series of dtype ``str``,
missing cells as NaN), because customer ids must keep their leading zeros.
The functions here turn one such column into ids, dates or numbers.

They never raise on a bad cell.  Each parser returns the converted values plus
two boolean masks aligned with the input:

* ``empty``: the cell holds nothing (missing, blank, or a placeholder from
  :data:`MISSING_TOKENS` such as ``"-"`` or ``"NULL"``);
* ``bad``: the cell holds something that could not be read.

``empty`` and ``bad`` never overlap, so the quality report can count and list
every row that was not read, saying which of the two happened.

How the work is done (the common case must be fast on a million rows):

* every cell is first normalised with Unicode NFKC (full-width digits, commas,
  signs, the ideographic space and ``￥`` become their ASCII/half-width forms;
  ``㋿`` and ``㍻`` become ``令和`` and ``平成``) and stripped of surrounding
  white space, zero-width spaces and byte-order marks;
* a strict vectorised conversion of the whole column is tried first (Arrow's
  string-to-float cast for amounts; a fixed-layout ``YYYY-MM-DD[ HH:MM:SS]``
  reader for dates);
* whatever that fast path does not take is dictionary-encoded, parsed once per
  distinct value with the lenient rules below (regular expressions run by
  Arrow over the distinct values, never a Python loop over rows), and the
  results are taken back to the rows.

Decisions the quality report should mention are listed in :data:`RULES`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "AmountParse",
    "DateParse",
    "EXCEL_SERIAL_MAX",
    "EXCEL_SERIAL_MIN",
    "MISSING_TOKENS",
    "RULES",
    "normalize_ids",
    "parse_amounts",
    "parse_dates",
    "parse_numbers",
]

#: The pandas dtype of text columns (pandas 3's default ``str``).
STR_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)

#: Cell contents (after NFKC and trimming, compared case-insensitively) that
#: mean "nothing here".  Such a cell is *empty*, not *bad*, in every parser.
#: "#N/A" is Excel's "not available"; other Excel errors (#VALUE!, #REF!) are bad.
MISSING_TOKENS: frozenset[str] = frozenset(
    {
        "",
        "nan",
        "nat",
        "none",
        "null",
        "na",
        "n/a",
        "#n/a",
        "-",
        "--",
        "---",
        "―",  # U+2015 horizontal bar
        "—",  # U+2014 em dash
        "なし",
        "無し",
        "不明",
        "未入力",
        "未設定",
    }
)

#: Smallest and largest Excel serial day numbers read as dates
#: (1 = 1900-01-01, 2958465 = 9999-12-31, in Excel's 1900 date system).
EXCEL_SERIAL_MIN = 1
EXCEL_SERIAL_MAX = 2958465

#: The reading rules in plain words, for the README and the quality report.
RULES: dict[str, str] = {
    "normalisation": "Every cell is NFKC-normalised (full-width → half-width, ￥ → ¥, "
    "㋿ → 令和) and stripped of surrounding white space (including U+3000), "
    "zero-width spaces and BOMs.",
    "missing": "A cell that is blank or one of MISSING_TOKENS (nan, NULL, None, N/A, #N/A, "
    "-, --, ―, なし, 不明, 未入力, …; case-insensitive) is empty, not bad.",
    "ids": "Ids keep leading zeros. When every non-empty id in a column looks like "
    "'17850.0' (an id that went through a float), the '.0' is dropped.",
    "amount_commas": "Commas must be thousands separators in groups of three "
    "(1,234 and 12,345,678). '1,23,4' or '1,5' is bad rather than guessed.",
    "amount_signs": "Negative: '-', '−' (U+2212), '－', '▲', '△', '(1,234)', and a "
    "trailing minus '1,234-' (SAP style). One sign at most; '--5' and '(-5)' are bad. "
    "'ー' (katakana long vowel) is not a minus sign: bad.",
    "amount_currency": "A currency sign or code before or after the number (¥, '\\' as CP932 "
    "text shows the yen sign, 円, JPY, $, US$, USD, £, GBP, €, EUR) is read when it names the "
    "data's currency (円 by default; the data page's 金額の通貨, --currency); a cell naming "
    "another currency is bad and counted apart, so amounts in two currencies are never summed.",
    "amount_range": "A number that is not finite (inf, 1e309) or whose magnitude exceeds "
    "LOYALTY_MAX_AMOUNT (1e13 by default, loyalty.limits) is bad: sums cannot overflow.",
    "amount_placeholder": "A lone '-' is empty (the usual 'nothing' mark in Japanese "
    "tables), not zero.",
    "numbers_percent": "Count/rate columns also accept a trailing '%'; '45%' is read as 45.",
    "date_time": "Dates are normalised to midnight. A time of day is checked (13:45, "
    "13:45:12, 1:45 PM, 午後1:45, 13時45分) and dropped; a time-zone suffix "
    "(+09:00, Z, JST) is ignored: the date as written is kept.",
    "date_two_digit_year": "Two-digit years (24/1/5) are bad; only era years "
    "(R6.1.5, 平成31年4月30日) may be short.",
    "date_era": "Era dates: 令和 from 2019-05-01, 平成 from 1989-01-08, 昭和 from "
    "1926-12-25, 大正 from 1912-07-30, 明治 from 1873-01-01 (the Gregorian calendar); "
    "元年 = year 1. A date before its era began is bad; a date after the era ended "
    "(平成32年) is converted arithmetically.",
    "date_excel_serial": "A plain number from 1 to 2958465 is an Excel serial date "
    "(1900 date system, 45292 = 2024-01-01, a fraction is a time of day). Excel's "
    "non-existent 1900-02-29 (serial 60) is read as 1900-02-28.",
    "date_zero": "All-zero dates (0000-00-00, 00000000, 0) are placeholders: empty.",
    "date_dayfirst": "dd/mm/yyyy versus mm/dd/yyyy is decided for the whole column: a "
    "first field above 12 means day-first, a second field above 12 means month-first. "
    "When the data cannot decide, the dayfirst argument is used, else month-first, "
    "and the column is flagged ambiguous.",
}

# --------------------------------------------------------------------------
# shared helpers

# Unicode White_Space plus zero-width characters and the BOM.
_TRIM_CHARS = (
    "\t\n\v\f\r \x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
    "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
    "\u200b\u200c\u200d\u2060\ufeff"
)
def _case_variants(token: str) -> set[str]:
    """Every upper/lower-case spelling of a token ("na" -> na, nA, Na, NA)."""
    out = {""}
    for ch in token:
        forms = {ch, ch.upper(), ch.lower()} if ch.isascii() else {ch}
        out = {o + f for o in out for f in forms}
    return out


_MISSING_SET = pa.array(sorted(MISSING_TOKENS), type=pa.string())
# all case spellings: cells are compared without lower-casing a whole column first
_MISSING_ANY_CASE = pa.array(sorted(set().union(*(_case_variants(t) for t in MISSING_TOKENS))), type=pa.string())
_NAT = np.iinfo(np.int64).min


def _as_text(s: pd.Series) -> pa.Array:
    """The column as one Arrow string array (nulls where missing).

    Args:
        s: any Series; non-text dtypes are converted with ``astype("str")``.

    Returns:
        A ``pa.StringArray`` or ``pa.LargeStringArray``.
    """
    if not (isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow"):
        s = s.astype(STR_DTYPE)
    arr = pa.array(s.array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr


def _clean(arr: pa.Array) -> pa.Array:
    """NFKC-normalise and trim every cell.

    Args:
        arr: Arrow string array.

    Returns:
        The cleaned array (nulls stay null).  ASCII-only columns skip NFKC,
        which does not change ASCII text.
    """
    if len(arr) == 0:
        return arr
    if pc.all(pc.string_is_ascii(arr)).as_py() is not False:
        return pc.ascii_trim_whitespace(arr)
    arr = pc.utf8_normalize(arr, "NFKC")
    return pc.utf8_trim(arr, characters=_TRIM_CHARS)


def _missing_mask(clean: pa.Array) -> np.ndarray:
    """True where a cleaned cell is null, blank or a missing-value token.

    Args:
        clean: output of :func:`_clean`.

    Returns:
        Boolean numpy array.
    """
    if pc.all(pc.string_is_ascii(clean)).as_py() is not False:
        hit = pc.is_in(clean, value_set=_MISSING_ANY_CASE)  # the same as lower-casing: ASCII only
    else:
        hit = pc.is_in(pc.utf8_lower(clean), value_set=_MISSING_SET)
    hit = pc.or_(pc.fill_null(hit, True), clean.is_null())
    return _np_bool(hit)


def _np_bool(a: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean Arrow array as numpy (nulls count as False)."""
    return np.asarray(pc.fill_null(a, False).to_numpy(zero_copy_only=False), dtype=bool)


def _encode(arr: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Dictionary-encode a string array.

    Args:
        arr: Arrow string array.

    Returns:
        ``(codes, uniques)``: ``uniques[codes]`` rebuilds the column; null
        cells get the code ``len(uniques)`` so callers can append one slot
        for "missing" to every per-unique result.
    """
    enc = pc.dictionary_encode(arr)
    uniques = enc.dictionary
    codes = pc.fill_null(enc.indices, len(uniques)).to_numpy(zero_copy_only=False)
    return codes, uniques


def _ints(a: pa.Array) -> np.ndarray:
    """Digit strings (already validated by a regex) as int64."""
    return pc.cast(a, pa.int64()).to_numpy(zero_copy_only=False)


def _extract(sub: pa.Array, pattern: str) -> tuple[np.ndarray, dict[str, pa.Array]]:
    """Match a regex with named groups against each string.

    Args:
        sub: Arrow string array without nulls.
        pattern: RE2 pattern with ``(?P<name>...)`` groups.

    Returns:
        ``(matched, groups)``: which strings matched, and each group's text
        for the matched strings only ("" for an optional group that did not
        take part).
    """
    st = pc.extract_regex(sub, pattern)
    matched = _np_bool(st.is_valid())
    sel = st.filter(pa.array(matched))
    groups = {sel.type.field(i).name: sel.field(i) for i in range(sel.type.num_fields)}
    return matched, groups


def _series(values, s: pd.Series, dtype=None) -> pd.Series:
    return pd.Series(values, index=s.index, name=s.name, dtype=dtype, copy=False)


# --------------------------------------------------------------------------
# ids


def normalize_ids(s: pd.Series) -> pd.Series:
    """Normalise a column of customer or order ids.

    NFKC (full-width → half-width), surrounding white space stripped
    (including U+3000), placeholders from :data:`MISSING_TOKENS` made missing.
    Leading zeros stay: ``"000123"`` remains ``"000123"``.  When *every*
    non-empty value matches ``^\\d+\\.0$`` (an id column that went through a
    float, such as ``"17850.0"``), the trailing ``".0"`` is dropped so the ids
    join with ``"17850"`` from another file; otherwise values are unchanged.

    Args:
        s: the id column (any dtype; non-text is converted to text first).

    Returns:
        A Series of dtype ``str`` with the same index and name, NaN where empty.
    """
    arr = _clean(_as_text(s))
    missing = _missing_mask(arr)
    if missing.any():
        arr = pc.if_else(pa.array(missing), pa.scalar(None, type=arr.type), arr)
    if arr.null_count < len(arr) and pc.all(pc.ends_with(arr, ".0")).as_py():
        if pc.all(pc.match_substring_regex(arr, r"^\d+\.0$")).as_py():
            arr = pc.utf8_slice_codeunits(arr, 0, -2)
    return _series(pd.array(arr, dtype=STR_DTYPE), s)


# --------------------------------------------------------------------------
# amounts and numbers


@dataclass(frozen=True, eq=False)
class AmountParse:
    """The result of :func:`parse_amounts` or :func:`parse_numbers`.

    Attributes:
        values: float64 Series, NaN where the cell is empty or bad.
        empty: bool Series, True where the cell is missing, blank or a placeholder.
        bad: bool Series, True where the cell holds something unreadable (including
            ``other_currency``).
        other_currency: bool Series, True where the cell names a currency other than
            the data's (``$12.50`` when the data is in yen): such an amount is not
            summed with the others (it is also ``bad``); None when no cell names one.
        currencies: cells per currency named in them (``{"JPY": 120, "USD": 3}``);
            cells without a currency sign or code are not counted.
    """

    values: pd.Series
    empty: pd.Series
    bad: pd.Series
    other_currency: pd.Series | None = None
    currencies: dict[str, int] = field(default_factory=dict)


#: Currency signs and codes an amount may carry (after NFKC, lower case), and the
#: currency each names.  ``\\`` is the yen sign as CP932 text shows it.
CURRENCY_TOKENS: dict[str, str] = {
    "¥": "JPY", "\\": "JPY", "円": "JPY", "jpy": "JPY", "yen": "JPY",
    "$": "USD", "us$": "USD", "usd": "USD",
    "£": "GBP", "gbp": "GBP",
    "€": "EUR", "eur": "EUR",
}
_CURRENCY_CODES = ("JPY", "USD", "GBP", "EUR")
_TOKENS = pa.array(list(CURRENCY_TOKENS))
_TOKEN_CODE = np.array([_CURRENCY_CODES.index(c) for c in CURRENCY_TOKENS.values()] + [-1])
_CUR = r"(?:[¥\\$£€円]|(?i:us\$|jpy|yen|usd|gbp|eur))"

_SIGN = r"[-+\x{2212}▲△]"
_NUMERIC_RE = (
    r"^(?P<open>\()?\s*(?P<s1>" + _SIGN + r")?\s*(?P<cur>" + _CUR + r")?\s*(?P<s2>" + _SIGN + r")?\s*"
    r"(?P<num>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
    r"\s*(?P<s3>[-\x{2212}])?\s*(?P<suf>" + _CUR + r")?\s*(?P<pct>%)?\s*(?P<close>\))?$"
)
_MINUS = pa.array(["-", "\u2212", "▲", "△"])


def _currency_codes(token: pa.Array) -> np.ndarray:
    """The index in ``_CURRENCY_CODES`` of each matched sign or code ("" or unknown: -1)."""
    idx = pc.index_in(pc.utf8_lower(token), value_set=_TOKENS)
    return _TOKEN_CODE[pc.fill_null(idx, -1).to_numpy(zero_copy_only=False)]


def _numbers_from_uniques(u: pa.Array, allow_percent: bool, currency: str = "JPY"):
    """Lenient number reading of distinct cell texts.

    Args:
        u: Arrow string array of distinct cell texts (no nulls).
        allow_percent: accept a trailing "%".
        currency: the data's currency; a cell naming another one is bad.

    Returns:
        ``(values, empty, bad, code)`` numpy arrays aligned with ``u``; ``code`` is
        the index in ``_CURRENCY_CODES`` of the currency a readable cell names (-1: none).
    """
    n = len(u)
    values = np.full(n, np.nan)
    code = np.full(n, -1)
    c = _clean(u)
    empty = _missing_mask(c)
    todo = np.flatnonzero(~empty)
    if todo.size:
        matched, g = _extract(pc.fill_null(c.take(pa.array(todo)), ""), _NUMERIC_RE)
        paren_open = _np_bool(pc.equal(g["open"], "("))
        paren_close = _np_bool(pc.equal(g["close"], ")"))
        signs = [_np_bool(pc.not_equal(g[k], "")) for k in ("s1", "s2", "s3")]
        nsigns = signs[0].astype(int) + signs[1] + signs[2]
        minus = (
            _np_bool(pc.is_in(g["s1"], value_set=_MINUS))
            | _np_bool(pc.is_in(g["s2"], value_set=_MINUS))
            | _np_bool(pc.is_in(g["s3"], value_set=_MINUS))
        )
        pct = _np_bool(pc.equal(g["pct"], "%"))
        pre, suf = _currency_codes(g["cur"]), _currency_codes(g["suf"])
        named = np.maximum(pre, suf)
        ok = (paren_open == paren_close) & (nsigns <= 1) & ~(paren_open & (nsigns > 0))
        ok &= ~(pct & (named >= 0)) & (allow_percent | ~pct)
        ok &= (pre < 0) | (suf < 0) | (pre == suf)  # ¥1,000円 is fine, $1,000円 is not
        num = pc.if_else(pa.array(ok), pc.replace_substring(g["num"], ",", ""), "0")
        v = pc.cast(num, pa.float64()).to_numpy(zero_copy_only=False)
        v = np.where(minus | paren_open, -v, v)
        ok &= in_range(v)
        rows = todo[matched]
        code[rows[ok]] = named[ok]
        ok &= (named < 0) | (named == _CURRENCY_CODES.index(currency))
        values[rows[ok]] = v[ok]
    bad = ~empty & np.isnan(values)
    return values, empty, bad, code


def _strict_cast(arr: pa.Array) -> pa.Array | None:
    """Arrow's strict cast of a whole column of plain numbers to float64, or None.

    Whole numbers go through the (cheaper) int64 cast when the head of the
    column holds only whole numbers; ``int64 → float64`` rounds exactly as
    reading the digits as a float does.
    """
    head = arr.slice(0, 1000)
    for kind in (pa.int64(), pa.float64()):
        try:
            pc.cast(head, kind)
            out = pc.cast(arr, kind)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        # whole numbers beyond 2**53 round to the nearest float, as reading the digits would
        return out if kind == pa.float64() else pc.cast(out, pa.float64(), safe=False)
    return None


def max_magnitude() -> float:
    """The largest magnitude a number read from a cell may have
    (``LOYALTY_MAX_AMOUNT``, :mod:`loyalty.limits`): beyond it, or not finite, it is bad."""
    from loyalty import limits

    return float(limits.current().LOYALTY_MAX_AMOUNT)


def in_range(v: np.ndarray) -> np.ndarray:
    """Where numbers are finite and within :func:`max_magnitude` (NaN is not)."""
    with np.errstate(invalid="ignore"):
        return np.abs(v) <= max_magnitude()


def _parse_numeric(s: pd.Series, allow_percent: bool, currency: str | None = None) -> AmountParse:
    """Shared body of :func:`parse_amounts` and :func:`parse_numbers`."""
    currency = currency if currency in _CURRENCY_CODES else "JPY"
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        nan = np.isnan(v)
        ok = in_range(v)
        values = np.where(ok, v, np.nan)
        return AmountParse(
            _series(values, s, "float64"), _series(nan, s, bool), _series(~nan & ~ok, s, bool)
        )
    arr = _as_text(s)
    # Fast path: the whole column is plain numbers (Arrow's strict cast).  A
    # failing cast can be slow (0.7 s per million "¥1,234"), so it is only
    # tried on ASCII columns whose first thousand cells cast.
    cast = None
    if len(arr) and pc.all(pc.string_is_ascii(arr)).as_py() is not False:
        cast = _strict_cast(arr)
    if cast is not None:
        v = cast.to_numpy(zero_copy_only=False)
        null = _np_bool(arr.is_null())
        if np.all(in_range(v) | null):
            return AmountParse(
                _series(v, s, "float64"), _series(null, s, bool), _series(np.zeros(len(v), bool), s, bool)
            )
    # Lenient path over the distinct values.
    codes, uniques = _encode(arr)
    uv, ue, ub, uc = _numbers_from_uniques(uniques, allow_percent, currency)
    values = np.append(uv, np.nan)[codes]
    empty = np.append(ue, True)[codes]
    bad = np.append(ub, False)[codes]
    named = np.append(uc, -1)[codes]
    counts = np.bincount(named[named >= 0], minlength=len(_CURRENCY_CODES))
    other = (named >= 0) & (named != _CURRENCY_CODES.index(currency))
    return AmountParse(_series(values, s, "float64"), _series(empty, s, bool), _series(bad, s, bool),
                       other_currency=_series(other, s, bool) if other.any() else None,
                       currencies={c: int(k) for c, k in zip(_CURRENCY_CODES, counts) if k})


def parse_amounts(s: pd.Series, currency: str | None = "JPY") -> AmountParse:
    """Read a column of money amounts in the data's currency.

    Accepted: ``1234``, ``1,234``, ``1234.5``, ``1.2e3``, ``¥1,234``,
    ``￥1,234``, ``\\1,234``, ``1,234円``, full-width digits and commas
    (``１，２３４``), a leading ``+``, negatives written ``-1,234``,
    ``−1,234`` (U+2212), ``－1,234`` (U+FF0D), ``▲1,234``, ``△1,234``,
    ``(1,234)`` or ``1,234-``, with surrounding spaces.  A currency sign or
    code before or after the number (``1,000 JPY``, ``JPY 1,000``,
    ``JPY1,000``, ``USD 12.50``, ``12.50 USD``, ``$12.50``, ``£8``, ``€9``)
    is read when it names ``currency``; naming another one makes the cell
    bad (and ``other_currency``): amounts in two currencies are never summed.
    Commas must group thousands; see :data:`RULES` for the full list of decisions.

    Args:
        s: the amount column (text; a numeric column is passed through).
        currency: the data's currency (a key of :data:`CURRENCY_TOKENS`' values;
            None or unknown: yen).

    Returns:
        :class:`AmountParse` with float64 values and ``empty``/``bad`` masks.
    """
    return _parse_numeric(s, allow_percent=False, currency=currency)


def parse_numbers(s: pd.Series, currency: str | None = "JPY") -> AmountParse:
    """Read a column of counts or rates (engagement, survey figures).

    Everything :func:`parse_amounts` accepts, plus a trailing ``%``: the
    number is returned as written (``"45%"`` → 45.0, not 0.45).

    Args:
        s: the column (text; a numeric column is passed through).
        currency: the data's currency, as for :func:`parse_amounts`.

    Returns:
        :class:`AmountParse` with float64 values and ``empty``/``bad`` masks.
    """
    return _parse_numeric(s, allow_percent=True, currency=currency)


def currency_notes(file: str, parsed: dict[str, AmountParse], currency: str) -> list[tuple[str, dict]]:
    """Notes on columns whose cells name a currency other than the data's, or several.

    Args:
        file: the file name.
        parsed: column name -> its :class:`AmountParse`.
        currency: the data's currency.

    Returns:
        ``("note.amount_currencies", {file, column, counts, currency, other})`` per such column.
    """
    notes = []
    for column, p in parsed.items():
        if p.other_currency is None:
            continue
        counts = "、".join(f"{code} {k:,}" for code, k in p.currencies.items())
        notes.append(("note.amount_currencies", {"file": file, "column": column, "counts": counts,
                                                 "currency": currency,
                                                 "other": int(p.other_currency.sum())}))
    return notes


# --------------------------------------------------------------------------
# dates


@dataclass(frozen=True, eq=False)
class DateParse:
    """The result of :func:`parse_dates`.

    Attributes:
        values: ``datetime64[us]`` Series at midnight, NaT where empty or bad.
        empty: bool Series, True where the cell is missing, blank, a placeholder
            or an all-zero date.
        bad: bool Series, True where the cell holds something that is not a date
            (including impossible dates such as 2024/2/30).
        note: what was detected, most frequent form first, e.g. ``"YYYY/MM/DD"``,
            ``"YYYY-MM-DD + time"``, ``"Excel serial"``,
            ``"dd/mm/yyyy (inferred)"``, ``"YYYY/MM/DD + Excel serial"``.
        ambiguous: True when the column has dd/mm/yyyy-or-mm/dd/yyyy cells whose
            order the data could not decide (then ``dayfirst`` or month-first
            was used).  It stays True even when ``dayfirst`` was passed, so the
            app can keep offering the choice.
        dayfirst: the order used for such cells (True = day first), or None when
            the column has none.
    """

    values: pd.Series
    empty: pd.Series
    bad: pd.Series
    note: str
    ambiguous: bool = False
    dayfirst: bool | None = None


# Kinds of date text, for the note.
_K_NONE, _K_DASH, _K_SLASH, _K_DOT, _K_KANJI, _K_COMPACT, _K_ERA, _K_DMY, _K_SERIAL = range(9)
_KIND_LABEL = {
    _K_DASH: "YYYY-MM-DD",
    _K_SLASH: "YYYY/MM/DD",
    _K_DOT: "YYYY.MM.DD",
    _K_KANJI: "YYYY年M月D日",
    _K_COMPACT: "YYYYMMDD",
    _K_ERA: "和暦 (Japanese era)",
    _K_SERIAL: "Excel serial",
}
_SEP_KIND = {"-": _K_DASH, "/": _K_SLASH, ".": _K_DOT}

_FRAC = r"(?:[.,]\d{1,9})?"
_TIME24 = r"(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d" + _FRAC + r")?"
_TIME12 = r"(?:0?[1-9]|1[0-2]):[0-5]\d(?::[0-5]\d" + _FRAC + r")?\s*(?i:[ap]\.?m\.?)"
_TIME_JA_COLON = r"(?:午前|午後)\s*(?:0?\d|1[0-2]):[0-5]\d(?::[0-5]\d)?"
_TIME_JA = (
    r"(?:(?:午前|午後)\s*(?:0?\d|1[0-2])|[01]?\d|2[0-3])時(?:\s*[0-5]?\d分(?:\s*[0-5]?\d秒)?)?"
)
_TZ = (
    r"(?:\s*(?:[Zz]|[-+](?:[01]\d|2[0-3])(?::?[0-5]\d)?"
    r"|(?i:jst|utc|gmt)(?:[-+](?:[01]?\d|2[0-3])(?::?[0-5]\d)?)?))?"
)
_TIME = r"(?:" + "|".join([_TIME12, _TIME24, _TIME_JA_COLON, _TIME_JA]) + r")" + _TZ
_TAIL_NUM = r"(?P<time>(?:\s*[Tt]\s*|\s+)" + _TIME + r")?$"
_TAIL_KANJI = r"(?P<time>(?:\s*[Tt]\s*|\s*)" + _TIME + r")?$"

_RE_YMD = r"^(?P<y>\d{4})(?P<s1>[-/.])(?P<m>\d{1,2})(?P<s2>[-/.])(?P<d>\d{1,2})" + _TAIL_NUM
_RE_KANJI = r"^(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日" + _TAIL_KANJI
_RE_COMPACT = (
    r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"
    r"(?P<time>[Tt]?(?:[01]\d|2[0-3])[0-5]\d(?:[0-5]\d)?|(?:\s*[Tt]\s*|\s+)" + _TIME + r")?$"
)
_ERA_NAMES = r"(?P<era>令和|平成|昭和|大正|明治|[RrHhSsTtMm])\s*(?P<y>\d{1,4}|元)\s*"
_RE_ERA_KANJI = (
    r"^" + _ERA_NAMES + r"年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日" + _TAIL_KANJI
)
_RE_ERA_SEP = (
    r"^" + _ERA_NAMES + r"(?P<s1>[-/.])(?P<m>\d{1,2})(?P<s2>[-/.])(?P<d>\d{1,2})" + _TAIL_NUM
)
_RE_DMY = r"^(?P<a>\d{1,2})(?P<s1>[-/.])(?P<b>\d{1,2})(?P<s2>[-/.])(?P<y>\d{4})" + _TAIL_NUM
_RE_SERIAL = r"^\d{1,7}(?:\.\d+)?$"
_RE_ZERO = r"^0+(?:[-/.]0+){0,2}(?:[ T]0+(?::0+){0,2}(?:\.0+)?)?$"
_RE_WEEKDAY = (
    r"\s*\(\s*(?:[月火水木金土日](?:曜日?)?|(?i:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?)\s*\)\s*"
)

# Eras: accepted spellings, first year (元年) and the first valid day.
_ERAS = [
    (("令和", "R", "r"), 2019, np.datetime64("2019-05-01")),
    (("平成", "H", "h"), 1989, np.datetime64("1989-01-08")),
    (("昭和", "S", "s"), 1926, np.datetime64("1926-12-25")),
    (("大正", "T", "t"), 1912, np.datetime64("1912-07-30")),
    (("明治", "M", "m"), 1868, np.datetime64("1873-01-01")),
]
_ERA_KEYS = pa.array([k for names, _, _ in _ERAS for k in names])
_ERA_OF_KEY = np.array([i for i, (names, _, _) in enumerate(_ERAS) for _ in names])
_ERA_BASE = np.array([base for _, base, _ in _ERAS])
_ERA_START = np.array([start.astype("datetime64[D]").astype(np.int64) for _, _, start in _ERAS])

_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_EXCEL_EPOCH = -25569  # 1899-12-30 as days since 1970-01-01


def _ymd_days(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Days since 1970-01-01 of calendar dates, checking they exist.

    Args:
        y, m, d: int arrays of year, month and day.

    Returns:
        ``(days, valid)``: int64 days (meaningless where not valid) and whether
        each date exists (year 1–9999, month 1–12, day within the month).
    """
    # every field has at most four digits: int32 arithmetic is exact and halves the memory traffic
    y, m, d = (np.asarray(a).astype(np.int32, copy=False) for a in (y, m, d))
    valid = (y >= 1) & (y <= 9999) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= 31)
    k = y * 12 + (m - 1)  # months since year 0
    if not valid.any():
        return np.zeros(len(k), np.int64), valid
    lo = int(np.min(k, where=valid, initial=np.iinfo(np.int32).max))
    hi = int(np.max(k, where=valid, initial=np.iinfo(np.int32).min))
    k -= lo
    k[~valid] = 0
    # First day of each month in the range, plus one more for the month lengths.
    starts = (np.arange(lo, hi + 2) - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")
    starts = starts.astype(np.int64)
    first = starts[k]
    valid &= d <= starts[k + 1] - first
    first += d
    first -= 1
    return first, valid


def _has_time(g: dict[str, pa.Array]) -> np.ndarray:
    return _np_bool(pc.not_equal(g["time"], ""))


def _same_sep(g: dict[str, pa.Array]) -> np.ndarray:
    return _np_bool(pc.equal(g["s1"], g["s2"]))


def _kind_of_sep(g: dict[str, pa.Array]) -> np.ndarray:
    s1 = g["s1"].to_numpy(zero_copy_only=False)
    return np.select([s1 == "-", s1 == "/"], [_K_DASH, _K_SLASH], _K_DOT).astype(np.int8)


class _DateState:
    """Per-unique results being filled in by the pattern readers."""

    def __init__(self, n: int) -> None:
        self.days = np.full(n, _NAT, np.int64)
        self.ok = np.zeros(n, bool)
        self.kind = np.zeros(n, np.int8)
        self.timed = np.zeros(n, bool)

    def put(self, rows, days, valid, kind, timed) -> None:
        self.days[rows[valid]] = days[valid]
        self.ok[rows] = valid
        self.kind[rows] = np.where(valid, kind, _K_NONE)
        self.timed[rows] = timed & valid


def _read_ymd(sub, rows, st, pattern, kind_fn):
    matched, g = _extract(sub, pattern)
    r = rows[matched]
    days, valid = _ymd_days(_ints(g["y"]), _ints(g["m"]), _ints(g["d"]))
    if "s1" in g:
        valid &= _same_sep(g)
    st.put(r, days, valid, kind_fn(g), _has_time(g))
    return matched


def _read_era(sub, rows, st, pattern):
    matched, g = _extract(sub, pattern)
    r = rows[matched]
    era = _ERA_OF_KEY[pc.index_in(g["era"], value_set=_ERA_KEYS).to_numpy(zero_copy_only=False)]
    n = _ints(pc.if_else(pc.equal(g["y"], "元"), "1", g["y"]))
    days, valid = _ymd_days(_ERA_BASE[era] + n - 1, _ints(g["m"]), _ints(g["d"]))
    valid &= (n >= 1) & (days >= _ERA_START[era])
    if "s1" in g:
        valid &= _same_sep(g)
    st.put(r, days, valid, _K_ERA, _has_time(g))
    return matched


def _read_serial(sub, rows, st):
    matched = _np_bool(pc.match_substring_regex(sub, _RE_SERIAL))
    r = rows[matched]
    x = pc.cast(sub.filter(pa.array(matched)), pa.float64()).to_numpy(zero_copy_only=False)
    x = np.round(x * 86_400_000) / 86_400_000  # to the millisecond: 0.99999999 is not a new day
    day = np.floor(x).astype(np.int64)
    valid = (day >= EXCEL_SERIAL_MIN) & (day <= EXCEL_SERIAL_MAX)
    # Excel counts a fictitious 1900-02-29 as serial 60: serials below 61 are one day off.
    day = np.where(day == 60, 59, day)
    days = np.where(day < 61, _EXCEL_EPOCH + 1 + day, _EXCEL_EPOCH + day)
    st.put(r, days, valid, _K_SERIAL, x != np.floor(x))
    return matched


def _read_dmy(sub, rows, st, dayfirst):
    """dd/mm/yyyy or mm/dd/yyyy, decided for the whole column.

    Returns:
        ``(matched, label, ambiguous, dayfirst_used)``.
    """
    matched, g = _extract(sub, _RE_DMY)
    if not matched.any():
        return matched, "", False, None
    r = rows[matched]
    a, b, y = _ints(g["a"]), _ints(g["b"]), _ints(g["y"])
    says_day = ((a > 12) & (b <= 12)).any()
    says_month = ((b > 12) & (a <= 12)).any()
    if says_day != says_month:
        use, how, ambiguous = bool(says_day), "inferred", False
    else:
        use = bool(dayfirst) if dayfirst is not None else False
        how = f"dayfirst={dayfirst}" if dayfirst is not None else "assumed"
        if says_day and says_month:
            how = f"conflicting; {how}"
        ambiguous = bool(says_day and says_month) or bool(((a != b) & (a <= 12) & (b <= 12)).any())
    d, m = (a, b) if use else (b, a)
    days, valid = _ymd_days(y, m, d)
    valid &= _same_sep(g)
    st.put(r, days, valid, _K_DMY, _has_time(g))
    label = ("dd/mm/yyyy" if use else "mm/dd/yyyy") + f" ({how})"
    return matched, label, ambiguous, use


def _dates_from_uniques(u: pa.Array, dayfirst: bool | None):
    """Lenient date reading of distinct cell texts.

    Args:
        u: Arrow string array of distinct cell texts (no nulls).
        dayfirst: the caller's preference for undecidable dd/mm vs mm/dd.

    Returns:
        ``(state, empty, dmy_label, ambiguous, dayfirst_used)``.
    """
    n = len(u)
    st = _DateState(n)
    c = _clean(u)
    empty = _missing_mask(c)
    c = pc.fill_null(c, "")
    empty |= _np_bool(pc.match_substring_regex(c, _RE_ZERO))
    if pc.any(pc.match_substring(c, "(")).as_py():
        c = pc.utf8_trim_whitespace(pc.replace_substring_regex(c, _RE_WEEKDAY, " "))
    todo = np.flatnonzero(~empty)
    dmy = ("", False, None)
    readers = [
        lambda sub, rows: _read_ymd(sub, rows, st, _RE_YMD, _kind_of_sep),
        lambda sub, rows: _read_ymd(sub, rows, st, _RE_KANJI, lambda g: _K_KANJI),
        lambda sub, rows: _read_ymd(sub, rows, st, _RE_COMPACT, lambda g: _K_COMPACT),
        lambda sub, rows: _read_era(sub, rows, st, _RE_ERA_KANJI),
        lambda sub, rows: _read_era(sub, rows, st, _RE_ERA_SEP),
        lambda sub, rows: _read_serial(sub, rows, st),
    ]
    for read in readers:
        if todo.size == 0:
            break
        matched = read(c.take(pa.array(todo)), todo)
        todo = todo[~matched]
    if todo.size:
        matched, *dmy = _read_dmy(c.take(pa.array(todo)), todo, st, dayfirst)
    return st, empty, *dmy


_FAST_SEP_RE = (
    r"^\d{{4}}{sep}(?:0[1-9]|1[0-2]){sep}(?:0[1-9]|[12]\d|3[01])"
    r"(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{{1,9}})?)?"
    r"(?:Z|[-+](?:[01]\d|2[0-3]):?[0-5]\d)?)?$"
)
_FAST_LAYOUTS = [
    (_FAST_SEP_RE.format(sep="-"), (0, 5, 8), _K_DASH),
    (_FAST_SEP_RE.format(sep="/"), (0, 5, 8), _K_SLASH),
    (_FAST_SEP_RE.format(sep=r"\."), (0, 5, 8), _K_DOT),
    (r"^\d{4}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$", (0, 4, 6), _K_COMPACT),
]


def _fixed_ints(arr: pa.Array, starts: tuple[int, int, int]) -> tuple[np.ndarray, ...]:
    """Year, month and day read at fixed positions of ASCII strings.

    The strings must already be known to match a fixed layout (four-digit
    year then two-digit month and day at ``starts``).  Reads the Arrow data
    buffer directly: one numpy gather per digit instead of string slicing.
    """
    offsets_type = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=offsets_type)[arr.offset : arr.offset + len(arr)]
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(1, np.uint8)
    last = len(data) - 1

    def digits(start: int, width: int) -> np.ndarray:
        out = np.zeros(len(arr), np.int64)
        for k in range(width):
            out = out * 10 + data[np.minimum(offsets + (start + k), last)].astype(np.int64) - 48
        return out

    ys, ms, ds = starts
    return digits(ys, 4), digits(ms, 2), digits(ds, 2)


def _fixed_matrix(arr: pa.Array) -> np.ndarray | None:
    """The column as an (rows, length) byte matrix when every cell has one length.

    Zero-copy view of the Arrow data buffer; None when there are nulls, the
    lengths differ, or the column is empty.
    """
    if len(arr) == 0 or arr.null_count:
        return None
    offsets_type = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=offsets_type)[arr.offset : arr.offset + len(arr) + 1]
    width = int(offsets[1] - offsets[0])
    if width == 0 or int(offsets[-1] - offsets[0]) != width * len(arr):
        return None
    if not np.all(np.diff(offsets) == width):
        return None
    data = np.frombuffer(bufs[2], dtype=np.uint8)[int(offsets[0]) : int(offsets[-1])]
    return data.reshape(len(arr), width)


def _matrix_dates(mat: np.ndarray):
    """Strict reading of fixed-width ``YYYY-MM-DD[ HH:MM[:SS]]`` or ``YYYYMMDD``.

    The matrix is transposed once so that each character position is one
    contiguous row of bytes; every test below is then a plain vector operation.

    Args:
        mat: byte matrix from :func:`_fixed_matrix`.

    Returns:
        None when the width is not one of these layouts; else
        ``(ok, y, m, d, kind)`` with ``ok`` the rows that follow the layout
        (digits, separators, hour ≤ 23, minute and second ≤ 59).
    """
    width = mat.shape[1]
    if width != 8 and (width not in (10, 16, 19) or chr(mat[0, 4]) not in "-/."):
        return None
    pos = np.ascontiguousarray(mat.T)  # pos[c] = the c-th character of every cell
    digit = pos - np.uint8(48)  # wraps around below "0": a digit is < 10

    def num(*cols: int) -> np.ndarray:
        out = digit[cols[0]].astype(np.int32)
        for c in cols[1:]:
            out = out * 10 + digit[c]
        return out

    def digits(*cols: int) -> np.ndarray:
        ok = digit[cols[0]] < 10
        for c in cols[1:]:
            ok &= digit[c] < 10
        return ok

    if width == 8:
        return digits(*range(8)), num(0, 1, 2, 3), num(4, 5), num(6, 7), _K_COMPACT
    sep = mat[0, 4]
    ok = digits(0, 1, 2, 3, 5, 6, 8, 9) & (pos[4] == sep) & (pos[7] == sep)
    if width >= 16:
        ok &= ((pos[10] == ord(" ")) | (pos[10] == ord("T"))) & (pos[13] == ord(":"))
        ok &= digits(11, 12, 14, 15) & (num(11, 12) <= 23) & (num(14, 15) <= 59)
    if width == 19:
        ok &= (pos[16] == ord(":")) & digits(17, 18) & (num(17, 18) <= 59)
    return ok, num(0, 1, 2, 3), num(5, 6), num(8, 9), _SEP_KIND[chr(sep)]


def _fast_dates(arr: pa.Array):
    """Strict fixed-layout reading of the whole column, when it fits.

    Two routes: a column whose cells all have the same width is read as a
    byte matrix without any regex; otherwise a strict regex chosen from the
    head of the column selects the rows, whose digits are read at fixed
    positions.

    Args:
        arr: the raw column as an Arrow string array.

    Returns:
        None when no fixed layout fits; else ``(ok, days, kind, timed)``:
        rows read (valid dates only), their days since 1970-01-01, the kind
        code and whether each has a time of day.
    """
    mat = _fixed_matrix(arr)
    fixed = _matrix_dates(mat) if mat is not None else None
    if fixed is not None:
        ok, y, m, d, kind = fixed
        timed = np.full(len(arr), mat.shape[1] > 10)
    else:
        head = arr.slice(0, 1000).drop_null()
        if len(head) == 0:
            return None
        hits = [pc.sum(pc.match_substring_regex(head, lay[0])).as_py() or 0 for lay in _FAST_LAYOUTS]
        best = int(np.argmax(hits))
        if hits[best] * 2 < len(head):
            return None
        pattern, starts, kind = _FAST_LAYOUTS[best]
        ok = _np_bool(pc.match_substring_regex(arr, pattern))
        y, m, d = _fixed_ints(arr, starts)
        timed = pc.binary_length(arr).to_numpy(zero_copy_only=False) > 10
    if not ok.any():
        return ok, np.zeros(len(ok), np.int64), kind, timed & ok
    days, valid = _fixed_days(y, m, d, ok)
    ok &= valid
    return ok, days, kind, timed & ok


#: Years a column may span for :func:`_fixed_days` to use its lookup table.
_TABLE_YEARS = 30


def _fixed_days(y: np.ndarray, m: np.ndarray, d: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_ymd_days` of fixed-layout dates (two-digit month and day) where ``ok``.

    A column's dates span few years, so every possible (year, month 00–99,
    day 00–99) of that span is converted once into a small table, and each row
    then only looks its date up: the same result as :func:`_ymd_days` row by row.
    """
    y = y.astype(np.int32, copy=False)
    lo = int(np.min(y, where=ok, initial=np.iinfo(np.int32).max))
    hi = int(np.max(y, where=ok, initial=np.iinfo(np.int32).min))
    if hi - lo >= _TABLE_YEARS:
        return _ymd_days(np.where(ok, y, 1970), np.where(ok, m, 1), np.where(ok, d, 1))
    key = (y - lo) * 10_000 + m.astype(np.int32, copy=False) * 100 + d
    key[~ok] = 101  # lo-01-01, a valid placeholder
    ty, rest = np.divmod(np.arange((hi - lo + 1) * 10_000, dtype=np.int32), 10_000)
    t_days, t_valid = _ymd_days(ty + lo, rest // 100, rest % 100)
    return t_days[key], t_valid[key]


def parse_dates(s: pd.Series, *, dayfirst: bool | None = None) -> DateParse:
    """Read a column of dates (order dates, signup dates, birthdays).

    Accepted, also mixed in one column: ``2024/1/5``, ``2024/01/05``,
    ``2024-01-05``, ``2024.1.5``, ``2024年1月5日``, ``20240105``, each with or
    without a time (``13:45``, ``13:45:12``, ``T13:45:12``, ``1:45 PM``,
    ``13時45分``, a trailing ``+09:00``/``Z``/``JST``) and a weekday such as
    ``(金)``; full-width digits; Excel serial numbers (1–2958465, a fraction
    is a time); Japanese era dates (``令和6年1月5日``, ``平成31年4月30日``,
    ``R6.1.5``, ``H31.4.30``, ``R6/1/5``, ``元年`` = 1); and ``dd/mm/yyyy`` or
    ``mm/dd/yyyy`` decided for the whole column (see :data:`RULES`).
    Impossible dates (2024/2/30, month 13) and two-digit years are bad.

    Args:
        s: the date column (text; a datetime column is passed through,
            normalised to midnight).
        dayfirst: for dd/mm vs mm/dd cells the data cannot decide, True reads
            day first, False month first; None (default) reads month first and
            sets ``ambiguous``.  Data that decides overrides this.

    Returns:
        :class:`DateParse`.
    """
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        v = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        v = v.dt.normalize().astype("datetime64[us]")
        nat = v.isna().to_numpy()
        return DateParse(
            _series(v.to_numpy(), s), _series(nat, s, bool), _series(np.zeros(len(s), bool), s, bool), "datetime"
        )
    arr = _as_text(s)
    n = len(arr)
    days = np.full(n, _NAT, np.int64)
    kind = np.zeros(n, np.int8)
    timed = np.zeros(n, bool)
    empty = np.zeros(n, bool)
    dmy_label, ambiguous, dayfirst_used = "", False, None

    fast = _fast_dates(arr)
    if fast is not None:
        ok, fdays, fkind, ftimed = fast
        days[ok] = fdays[ok]
        kind[ok] = fkind
        timed[ok] = ftimed[ok]
        rest = np.flatnonzero(~ok)
        rest_arr = arr.take(pa.array(rest)) if rest.size < n else arr
    else:
        rest = None
        rest_arr = arr
    if rest is None or rest.size:
        codes, uniques = _encode(rest_arr)
        st, uempty, dmy_label, ambiguous, dayfirst_used = _dates_from_uniques(uniques, dayfirst)
        rows = slice(None) if rest is None else rest
        days[rows] = np.append(st.days, _NAT)[codes]
        kind[rows] = np.append(st.kind, _K_NONE)[codes]
        timed[rows] = np.append(st.timed, False)[codes]
        empty[rows] = np.append(uempty, True)[codes]

    read = days != _NAT
    bad = ~read & ~empty
    values = days.astype("datetime64[D]").astype("datetime64[us]")
    note = _date_note(kind, timed, dmy_label)
    return DateParse(
        values=_series(values, s),
        empty=_series(empty, s, bool),
        bad=_series(bad, s, bool),
        note=note,
        ambiguous=ambiguous,
        dayfirst=dayfirst_used,
    )


_NOTE_FORMS = 3  # forms named in the note before "+ N more forms"


def _date_note(kind: np.ndarray, timed: np.ndarray, dmy_label: str) -> str:
    """Short description of the forms found, most frequent first."""
    counts = np.bincount(kind, minlength=_K_SERIAL + 1)
    with_time = np.bincount(kind[timed], minlength=_K_SERIAL + 1)
    parts = []
    for k in np.argsort(-counts[1:], kind="stable") + 1:
        if counts[k] == 0:
            continue
        label = dmy_label if k == _K_DMY else _KIND_LABEL[k]
        if with_time[k] and k != _K_SERIAL:
            label += " + time"
        parts.append(label)
    if not parts:
        return "no dates"
    if len(parts) > _NOTE_FORMS:
        parts = parts[:_NOTE_FORMS] + [f"{len(parts) - _NOTE_FORMS} more forms"]
    return " + ".join(parts)

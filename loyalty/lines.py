"""What a transaction line is: the line-typing rules, written once for pandas and for SQL.

Every figure that counts orders reads the columns this module's rules make; none
restates them.  The typed-lines step applies them once per line: in pandas in
:mod:`loyalty.quality` (the upload path), in SQL in :mod:`loyalty.warehouse`
(files and databases read by DuckDB or a warehouse).  ``tests/test_lines.py``
proves the two agree line for line.

The rules (README, "What the numbers mean"):

* **Return marker**: a 取引区分 / transaction type that contains one of
  :data:`RETURN_WORDS` (返品, 返金, キャンセル, 取消, 赤伝, 売上戻り, 返品戻入, マイナス伝票,
  and the readings ヘンピン, ヘンキン, トリケシ), in katakana or hiragana, in any width of kana
  or letters; a word of :data:`RETURN_LATIN` (cancel, return, refund, void) at the start of
  a word, in any case; or a whole value of :data:`RETURN_VALUES` (戻, 戻り).  Only the
  transaction-type column is read: a product named "リターンズ" is a product.  A value such
  as 戻り便 (a delivery leg) is not a return: 戻り marks one only on its own or as part of
  売上戻り / 戻入.
* **Sign rule**: a line marked as a return whose amount is positive is made
  negative (its quantity too); the quality report counts it.
* **Return**: a negative stored amount, a negative quantity, or a return marker.
* **Fee line**: a product code listed in ``loyalty/data/non_product_codes.json``
  (postage, fees, adjustments), compared after NFKC, trimming and upper-casing.
* **Purchase line**: a positive amount that is not a return (fee lines included).
* **Order line** (``is_order_line``): a purchase line that is not a fee line.  Only
  order lines make orders: an order is the order lines of one order key (a
  distinct (customer, order id), or one line without an order id), dated by the
  earliest of them; a key with only returns or fee lines adds money, not an order.

:func:`is_purchase` and :func:`is_order_line` are one expression for numpy arrays
and Ibis columns alike; the marker, fee and sign rules have a pandas form and an
SQL form side by side.  Text values (a 取引区分, a product code) are judged in
Python by :func:`is_return_word` and :func:`is_fee_code`, once per distinct value,
on both paths; SQL applies the regular expression itself only when a column has
too many distinct values to list.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

#: Words that mark a return or cancellation wherever they appear in a 取引区分 /
#: transaction type (written in their NFKC, katakana form; the hiragana, half-width
#: and full-width spellings are derived by :func:`_spellings`).
RETURN_WORDS = (
    "返品", "返金", "返戻", "払戻", "払い戻", "キャンセル", "取消", "取り消", "赤伝", "マイナス伝票",
    "売上戻", "戻入", "ヘンピン", "ヘンキン", "トリケシ",
)
#: Latin words that mark a return at the start of a word ("Cancelled", "返品/return"),
#: not inside one ("nonreturnable" is left alone), in any case.
RETURN_LATIN = ("cancel", "return", "refund", "void")
#: Whole values that mark a return only on their own: 戻り is a return, 戻り便 is not.
RETURN_VALUES = ("戻", "戻り")


def _kana_forms() -> dict[str, str]:
    """Full-width katakana -> its half-width spelling (ｶﾞ for ガ), from Unicode's own
    compatibility mappings (NFKC of each half-width letter, alone and with ﾞ / ﾟ)."""
    out: dict[str, str] = {}
    for cp in range(0xFF66, 0xFF9E):
        half = chr(cp)
        for mark in ("", "\uff9e", "\uff9f"):
            full = unicodedata.normalize("NFKC", half + mark)
            if len(full) == 1:
                out.setdefault(full, half + mark)
    return out


def _spellings(word: str) -> list[str]:
    """A marker word as SQL must see it without NFKC: as written, in hiragana,
    in half-width kana, in full-width Latin letters (lower case)."""
    half = _kana_forms()
    forms = [word.lower(),
             "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in word),
             "".join(half.get(c, c) for c in word),
             "".join(chr(ord(c) + 0xFEE0) if "a" <= c <= "z" else c for c in word.lower())]
    return list(dict.fromkeys(forms))


def _return_pattern() -> str:
    """:data:`RETURN_PATTERN` from the three word lists."""
    words = [re.escape(f) for w in RETURN_WORDS for f in _spellings(w)]
    latin = [re.escape(f) for w in RETURN_LATIN for f in _spellings(w)]
    whole = [re.escape(f) for w in RETURN_VALUES for f in _spellings(w)]
    return ("|".join(words) + "|(?:^|[^a-z\uff41-\uff5a])(?:" + "|".join(latin) + ")"
            + "|^\\s*(?:" + "|".join(whole) + ")\\s*$")


#: The return markers as one regular expression over lower-cased text.  The same
#: text serves Python's ``re`` and SQL's RE2: no look-around, no Unicode classes.
RETURN_PATTERN = _return_pattern()

#: :data:`RETURN_PATTERN` compiled (searched in the NFKC, lower-cased text).
RETURN_MARKERS = re.compile(RETURN_PATTERN)

#: The list of product codes that are not products (postage, fees, adjustments).
NON_PRODUCT_CODES_FILE = Path(__file__).parent / "data" / "non_product_codes.json"


# --------------------------------------------------------------------------- text values


def is_return_word(text: str | None) -> bool:
    """Whether a 取引区分 value marks a return or cancellation (:data:`RETURN_MARKERS`,
    searched in the NFKC, lower-cased text, so half-width ｷｬﾝｾﾙ and full-width ＲＥＴＵＲＮ count)."""
    return text is not None and RETURN_MARKERS.search(unicodedata.normalize("NFKC", text).lower()) is not None


def normalise_code(code: str) -> str:
    """A product code as compared with the non-product list: NFKC, trimmed, upper case."""
    return unicodedata.normalize("NFKC", code).strip().upper()


@lru_cache(maxsize=None)
def non_product_codes() -> frozenset[str]:
    """The product codes of lines that are not products (``loyalty/data/non_product_codes.json``).

    Such a line (postage, a fee, a manual adjustment) keeps its amount in monetary
    value but never makes an order on its own: an order needs a product line.

    Returns:
        The codes, normalised by :func:`normalise_code`.
    """
    data = json.loads(NON_PRODUCT_CODES_FILE.read_text(encoding="utf-8"))
    return frozenset(normalise_code(c) for c in data["codes"])


def is_fee_code(code: str | None) -> bool:
    """Whether a product code is a non-product code (:func:`non_product_codes`)."""
    return code is not None and normalise_code(code) in non_product_codes()


def return_values(values: Iterable[str]) -> tuple[str, ...]:
    """The distinct 取引区分 values that mark a return (as stored), for an SQL ``IN``."""
    return tuple(v for v in values if is_return_word(v))


def fee_values(values: Iterable[str]) -> tuple[str, ...]:
    """The distinct product codes that are fee codes (as stored), for an SQL ``IN``."""
    return tuple(v for v in values if is_fee_code(v))


# --------------------------------------------------------------- the order-line rule


def is_purchase(amount, is_return):
    """Purchase lines: a positive amount that is not a return (fee lines included).

    One expression for numpy arrays and Ibis columns.

    Args:
        amount: the signed amount (a NaN / NULL amount is not a purchase).
        is_return: the return flag of the line.

    Returns:
        A boolean array or Ibis expression.
    """
    return (amount > 0) & ~is_return


def is_order_line(amount, is_return, is_fee):
    """Order lines: purchase lines that are not fee lines (only these make orders).

    One expression for numpy arrays and Ibis columns.

    Args:
        amount: the signed amount.
        is_return: the return flag.
        is_fee: the fee-line flag.

    Returns:
        A boolean array or Ibis expression.
    """
    return is_purchase(amount, is_return) & ~is_fee


# ------------------------------------------------------------------------ pandas form


@dataclass(frozen=True)
class LineTypes:
    """The typed columns of a table's lines (pandas form of the rules).

    Attributes:
        amount: the signed amount (returns negative).
        flipped: lines whose positive amount was made negative by a return marker.
        is_return: returns and cancellations.
        is_order_line: lines that make orders.
    """

    amount: np.ndarray
    flipped: np.ndarray
    is_return: np.ndarray
    is_order_line: np.ndarray


def type_lines(amount: np.ndarray, *, marker: np.ndarray | None = None, quantity: np.ndarray | None = None,
               is_fee: np.ndarray | None = None) -> LineTypes:
    """Apply the sign, return and order-line rules to a table's lines.

    Args:
        amount: the amounts as stored (float; NaN for none).
        marker: lines whose 取引区分 marks a return (:func:`return_marker`), or None.
        quantity: the quantities as stored (float), or None.
        is_fee: fee lines (:func:`fee_line`), or None (no product code).

    Returns:
        :class:`LineTypes`; ``amount`` is a new array only when a sign was flipped.
    """
    n = len(amount)
    no = np.zeros(n, dtype=bool)
    marker = no if marker is None else marker
    flipped = marker & (amount > 0)
    signed = np.where(flipped, -amount, amount) if flipped.any() else amount
    is_return = (amount < 0) | marker
    if quantity is not None:
        is_return |= quantity < 0
    order_line = is_order_line(signed, is_return, no if is_fee is None else is_fee)
    return LineTypes(amount=signed, flipped=flipped, is_return=is_return, is_order_line=order_line)


def return_marker(col: pd.Series) -> np.ndarray:
    """Lines whose 取引区分 marks a return, judging each distinct value once.

    Args:
        col: the (stripped) 取引区分 column.

    Returns:
        Boolean array aligned with ``col``.
    """
    codes, uniques = pd.factorize(col)
    if not len(uniques):
        return np.zeros(len(col), dtype=bool)
    hit = np.append(np.fromiter((is_return_word(v) for v in uniques), dtype=bool, count=len(uniques)), False)
    return hit[codes]  # code -1 (missing) takes the appended False


def fee_line(codes: pd.Series) -> np.ndarray:
    """Lines whose product code is a non-product code, judging each distinct code once.

    Args:
        codes: the (stripped) product-code column.

    Returns:
        Boolean array aligned with ``codes``.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(codes.array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    if len(arr) == 0:
        return np.zeros(0, dtype=bool)
    hit = fee_values(pc.unique(arr).drop_null().to_pylist())
    if not hit:
        return np.zeros(len(arr), dtype=bool)
    mask = pc.is_in(arr, value_set=pa.array(hit, type=arr.type))
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def order_line_mask(frame: pd.DataFrame) -> np.ndarray:
    """The ``is_order_line`` column of typed lines, as a boolean array.

    A frame that did not come through the typed-lines step (a hand-made table of
    customer_id, order_date, amount) gets the rule applied to what it has: without
    ``is_return`` a line is a return when its amount is negative, without
    ``is_fee`` no line is a fee line.

    Args:
        frame: transaction lines.

    Returns:
        Boolean array aligned with ``frame``.
    """
    if "is_order_line" in frame.columns:
        return frame["is_order_line"].to_numpy(dtype=bool)
    amount = np.nan_to_num(frame["amount"].to_numpy(dtype=float, na_value=np.nan), nan=0.0)
    ret = frame["is_return"].to_numpy(dtype=bool) if "is_return" in frame.columns else amount < 0
    fee = frame["is_fee"].to_numpy(dtype=bool) if "is_fee" in frame.columns else np.zeros(len(amount), dtype=bool)
    return is_order_line(amount, ret, fee)


# --------------------------------------------------------------------------- SQL form


def sql_return_marker(col, values: tuple[str, ...] | None = None):
    """SQL form of :func:`return_marker`.

    Args:
        col: the 取引区分 column (Ibis).
        values: the values that mark a return, judged in Python by
            :func:`return_values` (None: too many distinct values; the regular
            expression runs in SQL on the lower-cased text, without NFKC).

    Returns:
        An Ibis boolean expression (never NULL).
    """
    import ibis

    tt = col.cast("string")
    if values is None:
        return tt.lower().re_search(RETURN_PATTERN).fill_null(False)
    return tt.isin(list(values)).fill_null(False) if values else ibis.literal(False)


def sql_fee_line(col, values: tuple[str, ...] | None = None):
    """SQL form of :func:`fee_line`.

    Args:
        col: the product-code column (Ibis).
        values: the codes (as stored) that are fee codes, judged in Python by
            :func:`fee_values` (None: too many distinct codes; SQL compares the
            trimmed, upper-cased code, without NFKC).

    Returns:
        An Ibis boolean expression (never NULL).
    """
    import ibis

    code = col.cast("string")
    if values is None:
        return code.strip().upper().isin(sorted(non_product_codes())).fill_null(False)
    return code.isin(list(values)).fill_null(False) if values else ibis.literal(False)


def sql_type_lines(amount, *, marker=None, quantity=None, is_fee=None) -> dict:
    """SQL form of :func:`type_lines`.

    Args:
        amount: the amount as stored (Ibis float column; NULL when unreadable).
        marker: :func:`sql_return_marker`, or None.
        quantity: the quantity as stored (Ibis float column), or None.
        is_fee: :func:`sql_fee_line`, or None.

    Returns:
        ``{"amount", "is_return", "is_order_line"}``: Ibis expressions (the flags never NULL).
    """
    import ibis

    signed, is_return = amount, (amount < 0).fill_null(False)
    if marker is not None:
        signed = ibis.ifelse(marker & (amount > 0), -amount, amount)
        is_return = is_return | marker
    if quantity is not None:
        is_return = is_return | (quantity < 0).fill_null(False)
    order_line = is_order_line(signed, is_return, ibis.literal(False) if is_fee is None else is_fee)
    return {"amount": signed, "is_return": is_return, "is_order_line": order_line.fill_null(False)}

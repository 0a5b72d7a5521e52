"""The SQL typed-lines step: a source's raw lines as typed columns (ids, dates,
signed amounts, return / fee / order-line flags, order ids), built as an Ibis
expression with the rules of :mod:`loyalty.lines` (the pandas step is
:func:`loyalty.quality.type_table`)."""

from __future__ import annotations

from dataclasses import dataclass

from loyalty.lines import fee_values, return_values, sql_fee_line, sql_return_marker, sql_type_lines
from loyalty.mapping import ColumnMapping
from loyalty.values import MISSING_TOKENS
from loyalty.warehouse.source import _ibis


def _text(col, clean: bool = True):
    """A column as text, NULL when missing or blank.

    With ``clean`` the text is also trimmed and missing-value tokens ("NULL",
    "-", "不明", …) become NULL, as :func:`loyalty.values.normalize_ids` does
    (full-width characters are not NFKC-normalised in SQL).  Without it the
    value is compared as stored, which is much cheaper per line; see
    :func:`ids_need_cleaning` for when that is exact.
    """
    ibis = _ibis()
    dtype = col.type()
    if dtype.is_string():
        s = col.strip() if clean else col
    elif dtype.is_floating():
        # an id column that went through a float: 17850.0 -> "17850"
        s = ibis.ifelse(col == col.round(0), col.cast("int64").cast("string"), col.cast("string"))
    else:
        s = col.cast("string")
    if clean:
        return ibis.ifelse(s.lower().isin(sorted(MISSING_TOKENS)), ibis.null("string"), s)
    return s.nullif("")


def ids_need_cleaning(ids) -> bool:
    """Whether stored ids differ from their cleaned form (see :func:`_text`).

    Args:
        ids: the distinct customer ids as stored (a pyarrow string array).

    Returns:
        True when some id has surrounding white space or is a missing-value token.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    arr = arr.cast(pa.string())
    if not len(arr):
        return False
    trimmed = pc.utf8_trim_whitespace(arr)
    if not pc.all(pc.fill_null(pc.equal(trimmed, arr), True)).as_py():
        return True
    tokens = pa.array(sorted(MISSING_TOKENS))
    return bool(pc.any(pc.fill_null(pc.is_in(pc.utf8_lower(arr), value_set=tokens), False)).as_py())


def _day(col):
    """A column as a DATE (NULL when unreadable)."""
    dtype = col.type()
    if dtype.is_timestamp():
        return col.date()
    if dtype.is_date():
        return col
    if dtype.is_integer():
        col = col.cast("string")
    elif not dtype.is_string():
        return col.try_cast("date")
    s = col.strip()
    s = s.re_replace(r"^(\d{4})年\s*(\d{1,2})月\s*(\d{1,2})日.*$", r"\1-\2-\3")
    s = s.re_replace(r"^(\d{4})(\d{2})(\d{2})$", r"\1-\2-\3")
    s = s.re_replace(r"^(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})([ T].*)?$", r"\1-\2-\3")
    return s.try_cast("date")


def _number(col):
    """A column as float64 (NULL when empty or unreadable)."""
    dtype = col.type()
    if dtype.is_numeric() or dtype.is_boolean():
        return col.cast("float64")
    s = col.cast("string").strip()
    s = s.re_replace(r"^[▲△]", "-")
    s = s.re_replace(r"[,¥￥\\円\s]", "")
    return s.try_cast("float64")


#: A text column with at most this many distinct values is judged value by value
#: in Python (return markers, blank coupons) and matched with IN in SQL.
DISTINCT_IN_PYTHON = 10_000


LINE_FIELDS = ("cid", "day", "amount", "is_return", "discounted", "oid", "is_fee", "is_order_line")


@dataclass(frozen=True)
class TextRules:
    """Per-value decisions on low-cardinality text columns, taken in Python.

    Attributes:
        return_values: 取引区分 values that mark a return/cancellation
            (:func:`loyalty.lines.return_values`; None: decide in SQL with
            :data:`loyalty.lines.RETURN_PATTERN`).
        coupon_values: coupon values that are not blank (None: decide in SQL).
        fee_values: product codes that are non-product codes (postage, fees:
            :func:`loyalty.lines.fee_values`) as stored (None: decide in SQL on
            the trimmed, upper-cased code).
    """

    return_values: tuple[str, ...] | None = None
    fee_values: tuple[str, ...] | None = None
    coupon_values: tuple[str, ...] | None = None


def text_rules(t, mapping: ColumnMapping) -> TextRules:
    """Read the distinct values of the 取引区分 and coupon columns and judge them in Python.

    The same rules as the quality report (:mod:`loyalty.lines`) decide which
    取引区分 values are returns and which codes are fee codes, so SQL only checks membership;
    a column with more than :data:`DISTINCT_IN_PYTHON` values is left to SQL.

    Args:
        t: the Ibis table of raw lines.
        mapping: the column mapping.

    Returns:
        :class:`TextRules`.
    """
    def distinct(role: str) -> list[str] | None:
        if not mapping.has(role):
            return None
        c = t[mapping.column(role)].cast("string")
        values = t.select(v=c).distinct().limit(DISTINCT_IN_PYTHON + 1).to_pyarrow()["v"].to_pylist()
        return None if len(values) > DISTINCT_IN_PYTHON else [v for v in values if v is not None]

    return rules_from_values(distinct("transaction_type"), distinct("coupon"), distinct("product_code"))


def rules_from_values(tt: list[str] | None, cp: list[str] | None, codes: list[str] | None) -> TextRules:
    """Judge the distinct values of the 取引区分, coupon and product-code columns in Python.

    Args:
        tt: distinct 取引区分 values (None: not mapped or too many: SQL decides).
        cp: distinct coupon values (likewise).
        codes: distinct product codes (likewise).

    Returns:
        :class:`TextRules`.
    """
    return TextRules(
        return_values=None if tt is None else return_values(tt),
        coupon_values=None if cp is None else tuple(v for v in cp if v.strip()),
        fee_values=None if codes is None else fee_values(codes),
    )


def typed_lines(t, mapping: ColumnMapping, *, clean_ids: bool = True, rules: TextRules | None = None,
                fields: tuple[str, ...] = LINE_FIELDS, raw: tuple[str, ...] = ()):
    """The source lines as typed columns the feature SQL needs.

    This is the SQL typed-lines step; the rules are those of :mod:`loyalty.lines`
    (the pandas step is :func:`loyalty.quality.type_table`).  Columns (those of
    ``fields`` that apply): ``cid`` (text), ``day`` (date), ``amount`` (net,
    returns negative), ``is_return``, ``discounted``, ``is_fee`` (a
    postage/fee/adjustment code), ``is_order_line`` (the line makes an order)
    (booleans, never NULL), ``oid`` (text, '' for missing; only with an order id;
    an integer column stays integer, NULL for missing).  An order is the order
    lines of one (cid, oid), or one order line without an order id.  Unreadable
    cells are NULL.

    Args:
        t: the Ibis table of raw lines.
        mapping: its column mapping (complete).
        clean_ids: trim ids and treat missing-value tokens as missing (see
            :func:`_text`); order ids are trimmed likewise.
        rules: per-value decisions from :func:`text_rules` (default: decide in SQL).
        fields: the columns wanted (asking only for what a query needs keeps
            each query a single scan of the source).
        raw: roles whose column is also passed through as stored, as text,
            named ``raw_<role>`` (for :func:`check_expr`).

    Returns:
        An Ibis table expression.
    """
    ibis = _ibis()
    rules = rules or TextRules()
    col = lambda role: t[mapping.column(role)]  # noqa: E731
    if mapping.has("amount"):
        amount = _number(col("amount"))
    else:
        amount = _number(col("quantity")) * _number(col("unit_price"))
    marker = (sql_return_marker(col("transaction_type"), rules.return_values)
              if mapping.has("transaction_type") else None)
    is_fee = sql_fee_line(col("product_code"), rules.fee_values) if mapping.has("product_code") else None
    typed = sql_type_lines(amount, marker=marker, is_fee=is_fee,
                                 quantity=_number(col("quantity")) if mapping.has("quantity") else None)
    out = {}
    for name in fields:
        if name == "cid":
            out["cid"] = _text(col("customer_id"), clean_ids)
        elif name == "day":
            out["day"] = _day(col("order_date"))
        elif name in ("amount", "is_return", "is_order_line"):
            out[name] = typed[name]
        elif name == "is_fee":
            out["is_fee"] = ibis.literal(False) if is_fee is None else is_fee
        elif name == "discounted":
            out["discounted"] = _discounted(col, mapping, rules)
        elif name == "oid" and mapping.has("order_id"):
            out["oid"] = _order_id(col("order_id"), clean_ids)
    for role in raw:
        out[f"raw_{role}"] = col(role).cast("string")
    return t.select(**out)


def _discounted(col, mapping: ColumnMapping, rules: TextRules):
    """Lines with a discount > 0 or a coupon that is not blank (never NULL)."""
    ibis = _ibis()
    discounted = ibis.literal(False)
    if mapping.has("discount"):
        discounted = discounted | (_number(col("discount")) > 0).fill_null(False)
    if mapping.has("coupon"):
        coupon = col("coupon").cast("string")
        if rules.coupon_values is None:
            used = coupon.strip().length() > 0
        else:
            used = coupon.isin(list(rules.coupon_values)) if rules.coupon_values else ibis.literal(False)
        discounted = discounted | used.fill_null(False)
    return discounted


def _order_id(oid, clean: bool):
    """The order id as grouped: an integer column as stored (distinct integers are
    distinct texts, and NULLs make one group as '' does: a cast to text per line
    would only cost time); text trimmed (with ``clean``), '' for missing."""
    if oid.type().is_integer():
        return oid
    oid = oid.cast("string")
    return (oid.strip() if clean else oid).fill_null("")

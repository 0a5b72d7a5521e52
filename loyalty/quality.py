"""The quality report: what happened to every input row.

``rows read = rows used + rows excluded``.  Each excluded row is counted once,
under the first check it fails, in this order (``EXCLUSION_ORDER``):

1. ``missing_customer_id`` – no customer id;
2. ``bad_date`` – the order date is empty or unreadable;
3. ``bad_amount`` – the amount (or quantity or unit price, when the amount is
   computed as quantity × unit price) is empty or unreadable;
4. ``field_count`` – a text row had more or fewer fields than the header;
5. ``future_date`` – the order date is after today (a typo would otherwise move
   the as-of date and every recency);
6. ``duplicate`` – an exact copy of an earlier row of the same file, only when
   the user chose to drop duplicates (by default they are counted and kept,
   because order lines can legitimately repeat).

Returns and cancellations (a negative amount or quantity, or a 取引区分 such as
返品/キャンセル) are used: they lower monetary value but are not orders.  A row
marked as a return by its type but carrying a positive amount is turned
negative, and the report counts it.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from loyalty import values
from loyalty.i18n import error, t
from loyalty.mapping import ColumnMapping, require_complete, role_spec
from loyalty.readers import RawTable

EXCLUSION_ORDER = (
    "missing_customer_id",
    "bad_date",
    "bad_amount",
    "field_count",
    "future_date",
    "duplicate",
)

#: A 取引区分 / transaction type containing one of these marks a return or cancellation.
RETURN_MARKERS = re.compile(r"返品|返金|キャンセル|取消|取り消し|赤伝|cancel|return|refund|void", re.IGNORECASE)
_RETURN_MARKERS = RETURN_MARKERS

TEXT_ROLES = ("order_id", "product", "product_code", "category", "channel", "coupon", "transaction_type")

#: The list of product codes that are not products (postage, fees, adjustments).
NON_PRODUCT_CODES_FILE = Path(__file__).parent / "data" / "non_product_codes.json"

#: Tables with fewer rows are typed column after column in this thread (the
#: thread pool only pays off on large tables).
PARALLEL_MIN_ROWS = 50_000


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


@dataclass
class QualityReport:
    """What happened to the rows of the transaction files.

    Attributes:
        rows_read: data rows read from all files.
        rows_used: rows that reached the features.
        excluded_by_reason: reason key -> count, in ``EXCLUSION_ORDER``.
        duplicates: rows that exactly repeat an earlier row of the same file.
        duplicates_dropped: whether the duplicates were dropped (else kept).
        returns: used rows that are returns or cancellations.
        returns_amount: their total (a negative number).
        sign_flipped: return rows whose positive amount was made negative.
        zero_amount: used rows with an amount of 0 (not orders).
        fee_lines: used rows whose product code is a non-product code (postage, fees,
            adjustments: :func:`non_product_codes`); they count in monetary value but
            never make an order on their own.
        files: per file: name, rows read, used, excluded, encoding, sheet, date format
            note, and the reader's notes (``notes``: a list of ``{"key", "values"}``,
            catalogue keys such as "note.rel_two_header_rows").
        excluded: the excluded rows: file, row number, reason key, then the original cells.
        notes: catalogue keys (with values) of things worth telling the user.
    """

    rows_read: int = 0
    rows_used: int = 0
    excluded_by_reason: dict[str, int] = field(default_factory=lambda: {k: 0 for k in EXCLUSION_ORDER})
    duplicates: int = 0
    duplicates_dropped: bool = False
    returns: int = 0
    returns_amount: float = 0.0
    sign_flipped: int = 0
    zero_amount: int = 0
    fee_lines: int = 0
    files: list[dict] = field(default_factory=list)
    excluded: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[tuple[str, dict]] = field(default_factory=list)

    @property
    def rows_excluded(self) -> int:
        """Rows excluded, all reasons."""
        return int(sum(self.excluded_by_reason.values()))

    def balanced(self) -> bool:
        """``rows read = rows used + rows excluded``."""
        return self.rows_read == self.rows_used + self.rows_excluded

    def to_dict(self) -> dict:
        """A JSON-friendly summary (the excluded rows are not included)."""
        return {
            "rows_read": self.rows_read,
            "rows_used": self.rows_used,
            "rows_excluded": self.rows_excluded,
            "excluded_by_reason": dict(self.excluded_by_reason),
            "duplicates": self.duplicates,
            "duplicates_dropped": self.duplicates_dropped,
            "returns": self.returns,
            "returns_amount": self.returns_amount,
            "sign_flipped": self.sign_flipped,
            "zero_amount": self.zero_amount,
            "fee_lines": self.fee_lines,
            "files": self.files,
        }


@dataclass
class Transactions:
    """Clean transaction lines plus the report of how they were made.

    ``frame`` columns: customer_id (str), order_date (datetime64, midnight),
    amount (float, net; negative = return), order_key (int64: one value per
    order), is_return (bool), file (str), row (int64 original row number), and
    where mapped: quantity, unit_price, discount (float), order_id, product,
    product_code, category, channel, coupon, transaction_type (str), and with a
    product code, is_fee (bool: a postage/fee/adjustment line, see
    :func:`non_product_codes`).  A table with a product code but no product
    name uses the code as ``product``.

    ``customer_codes`` is a cache the quality step fills for the feature step:
    ``(array, codes, uniques)`` where ``codes`` numbers ``frame["customer_id"]``
    in sorted id order (as ``pd.factorize(..., sort=True)`` would) and ``array``
    is the column's array object they were computed for; it is used only while
    ``frame["customer_id"].array`` is still that very object.
    """

    frame: pd.DataFrame
    report: QualityReport
    has_order_id: bool
    customer_codes: tuple | None = field(default=None, repr=False, compare=False)


def prepare_transactions(tables: list[tuple[RawTable, ColumnMapping]], *,
                         drop_duplicates: bool = False, today: date | None = None) -> Transactions:
    """Type, check and combine transaction tables.

    Args:
        tables: each raw table with its (complete) column mapping.
        drop_duplicates: drop exact duplicate rows (kept and counted by default).
        today: the date after which order dates count as "future" (default: today).

    Returns:
        :class:`Transactions` whose report accounts for every row read (possibly
        with no usable row: see :func:`require_rows`).

    Raises:
        LoyaltyError: a mapping lacks a required role.
    """
    today = today or date.today()
    report = QualityReport(duplicates_dropped=drop_duplicates)
    parts: list[pd.DataFrame] = []
    excluded_parts: list[pd.DataFrame] = []
    has_order_id = all(m.has("order_id") for _, m in tables) and bool(tables)
    key_offset = 0
    codes = None
    for raw, mapping in tables:
        require_complete(mapping, raw.name)
        part, excl, info, key_offset, codes = _prepare_one(raw, mapping, drop_duplicates, today, report,
                                                           has_order_id, key_offset)
        parts.append(part)
        if len(excl):
            excluded_parts.append(excl)
        report.files.append(info)
    cache = None
    if len(parts) == 1:
        frame = parts[0]  # already 0..n-1 indexed: no copy
        cache = (frame["customer_id"].array, *codes)
    else:
        frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    report.rows_used = len(frame)
    report.excluded = (pd.concat(excluded_parts, ignore_index=True) if excluded_parts
                       else pd.DataFrame({"file": pd.Series(dtype="str"), "row": pd.Series(dtype="int64"),
                                          "reason": pd.Series(dtype="str")}))
    return Transactions(frame=frame, report=report, has_order_id=has_order_id, customer_codes=cache)


def require_rows(tx: Transactions) -> None:
    """Raise a clear error when no transaction row is usable.

    Raises:
        LoyaltyError: naming the first file and the most common exclusion reason.
    """
    r = tx.report
    if r.rows_used:
        return
    worst = max(r.excluded_by_reason, key=r.excluded_by_reason.get)
    first = r.files[0]["file"] if r.files else None
    raise error("error.no_usable_rows", file=first, rows=r.rows_read,
                reason={lang: t(f"reason.{worst}", lang) for lang in ("ja", "en")})


def _prepare_one(raw: RawTable, mapping: ColumnMapping, drop_duplicates: bool, today: date,
                 report: QualityReport, has_order_id: bool, key_offset: int):
    """Type, check and clean one transaction table (see :func:`prepare_transactions`).

    Returns:
        ``(clean frame, excluded rows, file info, next order key, (customer codes, uniques))``.
    """
    src = raw.frame
    n = len(src)
    report.rows_read += n
    date_col = mapping.column("order_date")
    numeric = [r for r in ("amount", "quantity", "unit_price", "discount") if mapping.has(r)]
    text_roles = [r for r in TEXT_ROLES if mapping.has(r)]
    with _Work(parallel=n >= PARALLEL_MIN_ROWS) as work:
        return _prepare_one_typed(raw, mapping, drop_duplicates, today, report, has_order_id, key_offset,
                                  work, date_col, numeric, text_roles)


def _prepare_one_typed(raw, mapping, drop_duplicates, today, report, has_order_id, key_offset, work,
                       date_col, numeric, text_roles):
    src = raw.frame
    n = len(src)
    # Every mapped column is parsed once.  Arrow kernels and numpy release the GIL,
    # so on a large table the columns are typed on a two-thread pool while this
    # thread works on what is ready (codes, duplicates, the checks); jobs are
    # submitted in the order they are needed, a job that waits for another is
    # always submitted after it.
    f_ids = work.submit(values.normalize_ids, src[mapping.column("customer_id")])
    f_dates = work.submit(values.parse_dates, src[date_col])
    f_text = {}
    if "order_id" in text_roles:
        f_text["order_id"] = work.submit(_stripped, src[mapping.column("order_id")])
        f_order = work.submit(lambda: _order_id_codes(f_text["order_id"].result()))
    f_num = {col: work.submit(values.parse_amounts, src[col])
             for col in dict.fromkeys(mapping.column(r) for r in numeric)}
    for role in text_roles:
        if role not in f_text:
            f_text[role] = work.submit(_stripped, src[mapping.column(role)])
    f_fee = f_marker = None
    if "product_code" in f_text:
        f_fee = work.submit(lambda: _is_fee(f_text["product_code"].result()))
    if "transaction_type" in f_text:
        f_marker = work.submit(lambda: _matches(f_text["transaction_type"].result(), _RETURN_MARKERS))
    ids, dates = f_ids.result(), f_dates.result()
    num = {r: f_num[mapping.column(r)].result() for r in numeric}

    if "amount" in num:
        amt = num["amount"]
        amount = amt.values.to_numpy(dtype=float, na_value=np.nan)
        amount_bad = (amt.empty | amt.bad).to_numpy()
    else:
        q, p = num["quantity"], num["unit_price"]
        amount = (q.values.to_numpy(dtype=float, na_value=np.nan)
                  * p.values.to_numpy(dtype=float, na_value=np.nan))
        amount_bad = (q.empty | q.bad | p.empty | p.bad).to_numpy()

    missing_id = ids.isna().to_numpy()
    bad_date = (dates.empty | dates.bad).to_numpy()
    bad_count = ~raw.field_count_ok
    date_values = dates.values
    day_us = date_values.to_numpy().astype("datetime64[us]", copy=False).view(np.int64)
    future = day_us > np.datetime64(today, "us").astype(np.int64)  # NaT is the smallest int64: never future
    id_codes, id_uniques = _sorted_codes(ids)
    keys = [id_codes, day_us, amount]
    keys += [num[r].values.to_numpy(dtype=float, na_value=np.nan) for r in ("quantity", "unit_price", "discount")
             if r in num]
    order_codes = None
    if "order_id" in f_text:
        order_codes = f_order.result()
        keys.append(order_codes)
    dup = _duplicated_rows(src, keys)
    report.duplicates += int(dup.sum())

    checks = [missing_id, bad_date, amount_bad, bad_count, future,
              dup if drop_duplicates else np.zeros(n, dtype=bool)]
    reason = np.full(n, "", dtype=object)
    taken = np.zeros(n, dtype=bool)
    for key, mask in zip(EXCLUSION_ORDER, checks):
        hit = mask & ~taken
        count = int(hit.sum())
        report.excluded_by_reason[key] += count
        if count:
            reason[hit] = key
            taken |= hit
    every = not taken.any()
    keep = ~taken

    def kept(col: pd.Series) -> pd.Series:
        return col.reset_index(drop=True) if every else col[keep].reset_index(drop=True)

    def kept_np(a: np.ndarray) -> np.ndarray:
        return a if every else a[keep]

    if every:  # nothing excluded: no excluded-rows frame to build
        excl = pd.DataFrame({"file": pd.Series(dtype="str"), "row": pd.Series(dtype="int64"),
                             "reason": pd.Series(dtype="str")})
    else:
        excl = pd.DataFrame({"file": raw.name, "row": raw.row_numbers[taken], "reason": reason[taken]})
        excl = pd.concat([excl, src.loc[taken].reset_index(drop=True)], axis=1)

    out = pd.DataFrame({
        "customer_id": kept(ids),
        "order_date": kept(date_values),
        "amount": kept_np(amount),
    })
    for role in ("quantity", "unit_price", "discount"):
        if role in num:
            out[role] = kept_np(num[role].values.to_numpy(dtype=float, na_value=np.nan))
    for role in TEXT_ROLES:
        if role in f_text:
            out[role] = kept(f_text[role].result())
    if "product_code" in f_text and "product" not in f_text:
        out["product"] = out["product_code"]  # only a code: it names the product

    marker = np.zeros(len(out), dtype=bool)
    if f_marker is not None:
        marker = kept_np(f_marker.result())
    flip = marker & (out["amount"].to_numpy() > 0)
    if flip.any():
        out.loc[flip, "amount"] = -out.loc[flip, "amount"]
        if "quantity" in out:
            out.loc[flip, "quantity"] = -out.loc[flip, "quantity"].abs()
    report.sign_flipped += int(flip.sum())
    amounts_out = out["amount"].to_numpy()
    neg_qty = (out["quantity"].to_numpy() < 0) if "quantity" in out else np.zeros(len(out), dtype=bool)
    is_return = (amounts_out < 0) | neg_qty | marker
    out["is_return"] = is_return
    report.returns += int(is_return.sum())
    report.returns_amount += float(np.minimum(amounts_out[is_return], 0).sum())
    report.zero_amount += int(((amounts_out == 0) & ~is_return).sum())
    if f_fee is not None:
        is_fee = kept_np(f_fee.result())
        out["is_fee"] = is_fee
        report.fee_lines += int(is_fee.sum())

    ccodes = kept_np(id_codes)
    if has_order_id:
        ocodes = kept_np(order_codes)
        order_key = _combine_codes(ccodes, ocodes, complete=every) + key_offset
        key_offset = int(order_key.max()) + 1 if len(order_key) else key_offset
    else:
        order_key = np.arange(key_offset, key_offset + len(out), dtype=np.int64)
        key_offset += len(out)
    out["order_key"] = order_key
    out["file"] = raw.name
    out["row"] = kept_np(raw.row_numbers)

    info = {
        "file": raw.name,
        "sheet": raw.sheet,
        "encoding": raw.encoding,
        "delimiter": raw.delimiter,
        "rows_read": n,
        "rows_used": int(keep.sum()),
        "rows_excluded": int(taken.sum()),
        "date_format": dates.note,
        "dates_ambiguous": bool(dates.ambiguous),
        "mapping": dict(mapping.roles),
        "notes": [{"key": k, "values": dict(v)} for k, v in raw.notes],
    }
    if dates.ambiguous:
        report.notes.append(("note.dates_ambiguous", {"file": raw.name, "column": date_col}))
    return out, excl, info, key_offset, (ccodes, id_uniques)


class _Done:
    """An already computed result with the interface of a future."""

    def __init__(self, value) -> None:
        self.value = value

    def result(self):
        return self.value


class _Work:
    """Typing jobs: on a two-thread pool for large tables, else run at once in this thread."""

    def __init__(self, parallel: bool) -> None:
        self.pool = (ThreadPoolExecutor(max_workers=2, thread_name_prefix="loyalty-typing")
                     if parallel and (os.cpu_count() or 1) >= 2 else None)

    def submit(self, fn, *args):
        """Start ``fn(*args)``; returns an object whose ``result()`` gives (or raises) the outcome."""
        return self.pool.submit(fn, *args) if self.pool is not None else _Done(fn(*args))

    def __enter__(self) -> "_Work":
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def _sorted_codes(ids: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes of the ids numbered in sorted id order (missing: -1), and the sorted distinct ids.

    The same as ``pd.factorize(ids, sort=True)``, cheaper: ids that are digits of
    one width (member numbers such as "0012345") are numbered through their
    integer values, whose order is then the text order; other ids are found in
    order of appearance and only the distinct ids (not the rows) are sorted.
    """
    arr = pa.array(ids.array)
    width = _digits_width(arr)
    if width is not None:
        ints = pc.cast(arr, pa.int64())
        null = np.asarray(ints.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        values_ = np.asarray(pc.fill_null(ints, 0).to_numpy(zero_copy_only=False), dtype=np.int64)
        keys = pd.arrays.IntegerArray(values_, null) if null.any() else values_
        codes, uniques = pd.factorize(keys, sort=True)
        text = pc.utf8_lpad(pc.cast(pa.array(np.asarray(uniques, dtype=np.int64)), pa.large_string()), width, "0")
        return codes.astype(np.int64, copy=False), pd.Index(text.to_pandas(), dtype="str")
    codes, uniques = pd.factorize(ids)
    if len(uniques) < 2:
        return codes.astype(np.int64, copy=False), pd.Index(uniques, dtype="str")
    order = np.asarray(pc.sort_indices(pa.array(uniques.array)))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    if len(codes) and codes.min() >= 0:
        sorted_codes = rank[codes]
    else:
        sorted_codes = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)
    return sorted_codes, pd.Index(pa.array(uniques.array).take(pa.array(order)).to_pandas(), dtype="str")


def _digits_width(arr: pa.Array | pa.ChunkedArray) -> int | None:
    """The common length of the values when every present one is 1–18 ASCII digits
    of that one length (then text order = number order), else None."""
    if len(arr) == 0 or arr.null_count == len(arr):
        return None
    if not pc.all(pc.ascii_is_decimal(arr)).as_py():
        return None
    lo_hi = pc.min_max(pc.binary_length(arr)).as_py()
    if lo_hi["min"] != lo_hi["max"] or lo_hi["max"] > 18:
        return None
    return int(lo_hi["max"])


def _is_fee(codes: pd.Series) -> np.ndarray:
    """Rows whose product code is a non-product code (tested once per distinct code)."""
    arr = pa.array(codes.array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    if len(arr) == 0:
        return np.zeros(0, dtype=bool)
    distinct = pc.unique(arr).drop_null()
    fees = non_product_codes()
    hit = [v for v in distinct.to_pylist() if normalise_code(v) in fees]
    if not hit:
        return np.zeros(len(arr), dtype=bool)
    mask = pc.is_in(arr, value_set=pa.array(hit, type=arr.type))
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def _stripped(col: pd.Series) -> pd.Series:
    """A text column with surrounding white space removed.

    When nothing was removed (the usual case) the column itself is returned and
    the trimmed copy dropped at once, so the clean table shares the text of the
    table as read instead of holding a second copy of it.
    """
    if not len(col):
        return col
    out = col.str.strip()
    size = _text_bytes(col)
    if size is not None and _text_bytes(out) == size:  # trimming only removes: equal size = unchanged
        return col
    return out


def _text_bytes(col: pd.Series) -> int | None:
    """Total bytes of an Arrow-backed text column, from its offsets alone (None if not Arrow)."""
    if not isinstance(col.array, pd.arrays.ArrowStringArray):
        return None
    arr = pa.array(col.array)
    total = 0
    for ch in (arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]):
        if len(ch):
            offs = np.frombuffer(ch.buffers()[1], dtype=np.int64 if pa.types.is_large_string(ch.type) else np.int32)
            total += int(offs[ch.offset + len(ch)]) - int(offs[ch.offset])
    return total


def _matches(col: pd.Series, pattern: re.Pattern) -> np.ndarray:
    """Rows whose text matches ``pattern``, testing each distinct value once."""
    codes, uniques = pd.factorize(col)
    if not len(uniques):
        return np.zeros(len(col), dtype=bool)
    hit = np.append(np.asarray(uniques.str.contains(pattern, na=False), dtype=bool), False)
    return hit[codes]  # code -1 (missing) takes the appended False


def _hash_rows(keys: list[np.ndarray]) -> np.ndarray:
    """A 64-bit mix of several 8-byte arrays (equal inputs give equal hashes)."""
    h = np.zeros(len(keys[0]), dtype=np.uint64)
    mult = np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        for k in keys:
            v = np.ascontiguousarray(k)
            v = v.view(np.uint64) if v.dtype.itemsize == 8 else v.astype(np.int64).view(np.uint64)
            h = (h ^ v) * mult
            h ^= h >> np.uint64(29)
    return h


def _duplicated_rows(src: pd.DataFrame, keys: list[np.ndarray]) -> np.ndarray:
    """Rows that exactly repeat an earlier row of ``src`` (all cells equal, missing = missing).

    Comparing every column of a million-row table is the costly part of the
    report, so rows are first compared on a hash of a few 8-byte keys derived
    from their cells (customer code, parsed date, parsed amount, order id code).
    Equal rows have equal keys and so equal hashes: only rows whose hash repeats
    can be duplicates.  The full comparison then runs on those candidates alone,
    in their original order, which gives exactly ``src.duplicated(keep="first")``
    (a hash collision only adds a candidate, never hides a duplicate).

    Args:
        src: the table as read (text cells).
        keys: arrays aligned with ``src``, each a function of a row's cells.

    Returns:
        Boolean array, True for the second and later copies of a row.
    """
    n = len(src)
    out = np.zeros(n, dtype=bool)
    if n < 2:
        return out
    cand = pd.Series(_hash_rows(keys)).duplicated(keep=False).to_numpy()
    pos = np.flatnonzero(cand)
    if len(pos):
        sub = pd.DataFrame({i: _take_rows(src.iloc[:, i], pos) for i in range(src.shape[1])})
        out[pos] = sub.duplicated(keep="first").to_numpy()
    return out


def _take_rows(col: pd.Series, pos: np.ndarray) -> pd.Series:
    """``col.iloc[pos]`` for sorted positions, taken chunk by chunk from an Arrow
    column (Arrow's take on a many-chunk column costs several times more)."""
    if not isinstance(col.array, pd.arrays.ArrowStringArray):
        return col.iloc[pos].reset_index(drop=True)
    arr = pa.array(col.array)
    if not isinstance(arr, pa.ChunkedArray) or arr.num_chunks <= 1:
        return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([arr.take(pa.array(pos))])))
    bounds = np.cumsum([0] + [len(c) for c in arr.chunks])
    cuts = np.searchsorted(pos, bounds)
    pieces = [arr.chunk(i).take(pa.array(pos[cuts[i]:cuts[i + 1]] - bounds[i]))
              for i in range(arr.num_chunks) if cuts[i + 1] > cuts[i]]
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(pieces, type=arr.type)))


def _order_id_codes(order_id: pd.Series) -> np.ndarray:
    """Codes of stripped order ids: equal ids share a code; missing and blank ids get 0.

    Order numbers that are plain digits without leading zeros (the usual case) are
    numbered through their integer values, which is exact (one number, one text)
    and much cheaper than hashing the text; codes are numbered by first appearance
    either way.
    """
    arr = pa.array(order_id.array)
    as_int = _plain_integers(arr)
    if as_int is not None:
        ints, null = as_int
        if not null.any() and len(ints) > 1:
            step = np.diff(ints)
            if (step >= 0).all():
                # numbers in ascending order (exports sorted by order number): the
                # first appearance of each is where it changes
                codes = np.empty(len(ints), dtype=np.int64)
                codes[0] = 1
                np.cumsum(step != 0, out=codes[1:])
                codes[1:] += 1
                return codes
        keys = pd.arrays.IntegerArray(ints, null) if null.any() else ints
        return pd.factorize(keys)[0].astype(np.int64) + 1  # missing: -1 + 1 = 0
    ocode = pd.factorize(order_id)[0].astype(np.int64) + 1
    blank = (order_id.str.len() == 0).to_numpy(dtype=bool, na_value=False)
    if blank.any():
        ocode[blank] = 0
    return ocode


def _plain_integers(arr: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray] | None:
    """The values as int64 when every present one is 1–18 ASCII digits without a
    leading zero (so that different texts are different numbers), else None.

    Returns:
        ``(ints, missing)``; missing values are 0 in ``ints``.
    """
    if len(arr) == 0 or arr.null_count == len(arr):
        return None
    if not pc.all(pc.ascii_is_decimal(arr)).as_py():  # false for "" as well
        return None
    lengths = pc.binary_length(arr)
    if (pc.max(lengths).as_py() or 0) > 18:
        return None
    lead_zero = pc.and_(pc.starts_with(arr, "0"), pc.greater(lengths, 1))
    if pc.any(lead_zero).as_py():
        return None
    ints = pc.cast(arr, pa.int64())
    null = np.asarray(ints.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    return np.asarray(pc.fill_null(ints, 0).to_numpy(zero_copy_only=False), dtype=np.int64), null


def _combine_codes(id_codes: np.ndarray, order_codes: np.ndarray, *, complete: bool = False) -> np.ndarray:
    """One int64 per distinct (customer, order id) pair, numbered by first appearance.

    When every order id belongs to one customer and none is blank (the usual
    case), the pairs are the order ids themselves and their codes are reused.

    Args:
        id_codes: customer codes of the rows (equal ids = equal codes).
        order_codes: :func:`_order_id_codes` of the rows.
        complete: the rows are all the rows ``order_codes`` were made for (none
            dropped), so its codes 1..k are dense and numbered by first appearance.

    Returns:
        int64 array of codes 0..k-1.
    """
    if not len(order_codes):
        return np.zeros(0, dtype=np.int64)
    if order_codes.min() > 0:
        k = int(order_codes.max())
        owner = np.zeros(k + 1, dtype=np.int64)
        owner[order_codes] = id_codes  # (which row's write wins does not matter to the test below)
        if (owner[order_codes] == id_codes).all():  # each order id belongs to one customer
            if complete:
                return order_codes - 1
            present = np.zeros(k + 1, dtype=bool)
            present[order_codes] = True
            codes = (np.cumsum(present) - 1)[order_codes]  # dense: rank among the ids still present
            if _first_appearance(codes):
                return codes.astype(np.int64, copy=False)
    span = int(order_codes.max(initial=0)) + 1
    combined = id_codes.astype(np.int64) * span + order_codes
    return pd.factorize(combined)[0].astype(np.int64)


def _first_appearance(codes: np.ndarray) -> bool:
    """Whether dense codes 0..k-1 are numbered by first appearance (as factorize numbers them):
    each code is at most one more than the largest code before it."""
    if not len(codes):
        return True
    before = np.maximum.accumulate(codes)[:-1]
    return bool(codes[0] == 0 and (codes[1:] <= before + 1).all())


@dataclass
class Customers:
    """A typed customer table.

    ``frame`` is indexed by customer_id (str) with one column per mapped role
    (numbers as float, dates as datetime64, text as str).  ``rows_read``,
    ``rows_used`` and ``excluded`` account for every row (no id, or a repeated id:
    the first row of an id is kept).
    """

    frame: pd.DataFrame
    name: str
    rows_read: int
    rows_used: int
    excluded: pd.DataFrame
    excluded_by_reason: dict[str, int]
    mapping: ColumnMapping


def prepare_customers(raw: RawTable, mapping: ColumnMapping) -> Customers:
    """Type a customer table by its mapping.

    Args:
        raw: the table as read.
        mapping: its mapping (kind "customers").

    Returns:
        :class:`Customers`.

    Raises:
        LoyaltyError: no customer id column, or no row has an id.
    """
    require_complete(mapping, raw.name)
    src = raw.frame
    ids = values.normalize_ids(src[mapping.column("customer_id")])
    missing = ids.isna().to_numpy()
    dup = (ids.duplicated(keep="first") & ~ids.isna()).to_numpy()
    keep = ~missing & ~dup
    reason = np.where(missing, "missing_customer_id", np.where(dup, "duplicate_customer_id", ""))
    taken = ~keep
    excl = pd.DataFrame({"file": raw.name, "row": raw.row_numbers[taken], "reason": reason[taken]})
    if taken.any():
        excl = pd.concat([excl, src.loc[taken].reset_index(drop=True)], axis=1)
    cols: dict[str, pd.Series] = {}
    for role, col in mapping.roles.items():
        if role == "customer_id":
            continue
        kind = role_spec("customers", role).type
        s = src[col][keep].reset_index(drop=True)
        if kind == "date":
            cols[role] = values.parse_dates(s).values
        elif kind == "amount":
            cols[role] = values.parse_amounts(s).values.astype(float)
        elif kind == "number":
            cols[role] = values.parse_numbers(s).values.astype(float)
        else:
            cols[role] = s.str.strip()
    frame = pd.DataFrame(cols)
    frame.index = pd.Index(ids[keep].reset_index(drop=True), name="customer_id", dtype="str")
    if len(frame) == 0:
        raise error("error.no_usable_rows", file=raw.name, rows=len(src),
                    reason={lang: t("reason.missing_customer_id", lang) for lang in ("ja", "en")})
    return Customers(frame=frame, name=raw.name, rows_read=len(src), rows_used=int(keep.sum()),
                     excluded=excl,
                     excluded_by_reason={"missing_customer_id": int(missing.sum()),
                                         "duplicate_customer_id": int(dup.sum())},
                     mapping=mapping)

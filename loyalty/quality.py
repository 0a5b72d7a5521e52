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

import re
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from loyalty import values
from loyalty.i18n import error, t
from loyalty.mapping import ColumnMapping, require_complete, role_spec
from loyalty.reading import RawTable

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

TEXT_ROLES = ("order_id", "product", "category", "channel", "coupon", "transaction_type")


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
        files: per file: name, rows read, used, excluded, encoding, sheet, date format note.
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
            "files": self.files,
        }


@dataclass
class Transactions:
    """Clean transaction lines plus the report of how they were made.

    ``frame`` columns: customer_id (str), order_date (datetime64, midnight),
    amount (float, net; negative = return), order_key (int64: one value per
    order), is_return (bool), file (str), row (int64 original row number), and
    where mapped: quantity, unit_price, discount (float), order_id, product,
    category, channel, coupon, transaction_type (str).
    """

    frame: pd.DataFrame
    report: QualityReport
    has_order_id: bool


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
    for raw, mapping in tables:
        require_complete(mapping, raw.name)
        part, excl, info, key_offset = _prepare_one(raw, mapping, drop_duplicates, today, report,
                                                    has_order_id, key_offset)
        parts.append(part)
        if len(excl):
            excluded_parts.append(excl)
        report.files.append(info)
    if len(parts) == 1:
        frame = parts[0]  # already 0..n-1 indexed: no copy
    else:
        frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    report.rows_used = len(frame)
    report.excluded = (pd.concat(excluded_parts, ignore_index=True) if excluded_parts
                       else pd.DataFrame({"file": pd.Series(dtype="str"), "row": pd.Series(dtype="int64"),
                                          "reason": pd.Series(dtype="str")}))
    return Transactions(frame=frame, report=report, has_order_id=has_order_id)


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
    src = raw.frame
    n = len(src)
    report.rows_read += n

    ids = values.normalize_ids(src[mapping.column("customer_id")])
    date_col = mapping.column("order_date")
    dates = values.parse_dates(src[date_col])
    if mapping.has("amount"):
        amt = values.parse_amounts(src[mapping.column("amount")])
        amount = amt.values.to_numpy(dtype=float, na_value=np.nan)
        amount_bad = (amt.empty | amt.bad).to_numpy()
    else:
        q = values.parse_amounts(src[mapping.column("quantity")])
        p = values.parse_amounts(src[mapping.column("unit_price")])
        amount = (q.values.to_numpy(dtype=float, na_value=np.nan)
                  * p.values.to_numpy(dtype=float, na_value=np.nan))
        amount_bad = (q.empty | q.bad | p.empty | p.bad).to_numpy()

    missing_id = ids.isna().to_numpy()
    bad_date = (dates.empty | dates.bad).to_numpy()
    bad_count = ~raw.field_count_ok
    date_values = dates.values
    future = (date_values > pd.Timestamp(today)).fillna(False).to_numpy(dtype=bool)
    id_codes = pd.factorize(ids)[0]
    text = {role: _stripped(src[mapping.column(role)]) for role in TEXT_ROLES if mapping.has(role)}
    keys = [id_codes, date_values.to_numpy().view(np.int64), amount]
    order_codes = None
    if "order_id" in text:
        order_codes = _order_id_codes(text["order_id"])
        keys.append(order_codes)
    dup = _duplicated_rows(src, keys)
    report.duplicates += int(dup.sum())

    checks = [missing_id, bad_date, amount_bad, bad_count, future,
              dup if drop_duplicates else np.zeros(n, dtype=bool)]
    reason = np.full(n, "", dtype=object)
    taken = np.zeros(n, dtype=bool)
    for key, mask in zip(EXCLUSION_ORDER, checks):
        hit = mask & ~taken
        report.excluded_by_reason[key] += int(hit.sum())
        reason[hit] = key
        taken |= hit
    keep = ~taken
    every = not taken.any()

    def kept(col: pd.Series) -> pd.Series:
        return col.reset_index(drop=True) if every else col[keep].reset_index(drop=True)

    excl = pd.DataFrame({"file": raw.name, "row": raw.row_numbers[taken], "reason": reason[taken]})
    if taken.any():
        excl = pd.concat([excl, src.loc[taken].reset_index(drop=True)], axis=1)

    out = pd.DataFrame({
        "customer_id": kept(ids),
        "order_date": kept(date_values),
        "amount": amount if every else amount[keep],
    })
    for role in ("quantity", "unit_price", "discount"):
        if mapping.has(role):
            vals = values.parse_amounts(src[mapping.column(role)]).values.to_numpy(dtype=float, na_value=np.nan)
            out[role] = vals if every else vals[keep]
    for role in TEXT_ROLES:
        if role in text:
            out[role] = kept(text[role])

    marker = np.zeros(len(out), dtype=bool)
    if "transaction_type" in out:
        marker = _matches(out["transaction_type"], _RETURN_MARKERS)
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

    if has_order_id:
        ocodes = order_codes if every else order_codes[keep]
        ccodes = id_codes if every else id_codes[keep]
        order_key = _combine_codes(ccodes, ocodes) + key_offset
        key_offset = int(order_key.max()) + 1 if len(order_key) else key_offset
    else:
        order_key = np.arange(key_offset, key_offset + len(out), dtype=np.int64)
        key_offset += len(out)
    out["order_key"] = order_key
    out["file"] = raw.name
    out["row"] = raw.row_numbers if every else raw.row_numbers[keep]

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
    }
    if dates.ambiguous:
        report.notes.append(("note.dates_ambiguous", {"file": raw.name, "column": date_col}))
    return out, excl, info, key_offset


def _stripped(col: pd.Series) -> pd.Series:
    """A text column with surrounding white space removed."""
    return col.str.strip() if len(col) else col


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
        out[pos] = src.iloc[pos].duplicated(keep="first").to_numpy()
    return out


def _order_id_codes(order_id: pd.Series) -> np.ndarray:
    """Codes of stripped order ids: equal ids share a code; missing and blank ids get 0."""
    ocode = pd.factorize(order_id)[0].astype(np.int64) + 1
    blank = (order_id.str.len() == 0).to_numpy(dtype=bool, na_value=False)
    if blank.any():
        ocode[blank] = 0
    return ocode


def _combine_codes(id_codes: np.ndarray, order_codes: np.ndarray) -> np.ndarray:
    """One int64 per distinct (customer, order id) pair, numbered by first appearance.

    Args:
        id_codes: customer codes of the rows (equal ids = equal codes).
        order_codes: :func:`_order_id_codes` of the rows.

    Returns:
        int64 array of codes 0..k-1.
    """
    span = int(order_codes.max(initial=0)) + 1
    combined = id_codes.astype(np.int64) * span + order_codes
    return pd.factorize(combined)[0].astype(np.int64)


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

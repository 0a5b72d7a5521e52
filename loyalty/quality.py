"""The quality report: what happened to every input row.

``rows read = rows used + rows excluded``.  Each excluded row is counted once,
under the first check it fails, in this order (``EXCLUSION_ORDER``):

1. ``missing_customer_id`` – no customer id (DESIGN: the order begins here, so a
   totals line whose id cell is empty is counted as a row without an id);
2. ``totals_row`` – a 合計 / 小計 / Total line in the id column, not a customer
   (:mod:`loyalty.totals`);
3. ``bad_date`` – the order date is empty or unreadable;
4. ``bad_amount`` – the amount (or quantity or unit price, when the amount is
   computed as quantity × unit price) is empty, unreadable, not finite, or beyond
   ``LOYALTY_MAX_AMOUNT`` (:mod:`loyalty.limits`);
5. ``other_currency`` – the amount names a currency other than the data's
   (``$12.50`` in yen data): it is never summed with the others;
6. ``field_count`` – a text row had more or fewer fields than the header;
7. ``future_date`` – the order date is after today (a typo would otherwise move
   the as-of date and every recency);
8. ``duplicate`` – an exact copy of an earlier row of the same file, only when
   the user chose to drop duplicates (by default they are counted and kept,
   because order lines can legitimately repeat).

Returns and cancellations (a negative amount or quantity, or a 取引区分 such as
返品/キャンセル) are used: they lower monetary value but are not orders.  A row
marked as a return by its type but carrying a positive amount is turned
negative, and the report counts it.

This is the pandas typed-lines step: each used line gets ``is_return``,
``is_fee`` (with a product code), ``is_order_line`` and an ``order_key`` here,
by the rules of :mod:`loyalty.lines`; every later figure reads those columns.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from loyalty import line_keys, lines, totals, values
from loyalty.customer_table import Customers, prepare_customers  # noqa: F401  (re-exported)
from loyalty.i18n import error, t
from loyalty.mapping import ColumnMapping, require_complete
from loyalty.readers import RawTable

EXCLUSION_ORDER = (
    "missing_customer_id",
    "totals_row",
    "bad_date",
    "bad_amount",
    "other_currency",
    "field_count",
    "future_date",
    "duplicate",
)

TEXT_ROLES = ("order_id", "product", "product_code", "category", "channel", "coupon", "transaction_type")
NUMERIC_ROLES = ("amount", "quantity", "unit_price", "discount")

#: Tables with fewer rows are typed column after column in this thread (the
#: thread pool only pays off on large tables).
PARALLEL_MIN_ROWS = 50_000


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
            adjustments: :func:`loyalty.lines.non_product_codes`); they count in monetary value but
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
            "notes": [{"key": k, "values": dict(v)} for k, v in self.notes],
        }


@dataclass
class Transactions:
    """Clean transaction lines plus the report of how they were made.

    ``frame`` columns: customer_id (str), order_date (datetime64, midnight),
    amount (float, net; negative = return), order_key (int64: one value per
    order), is_return (bool), is_order_line (bool: the line makes an order,
    :func:`loyalty.lines.is_order_line`), file (str), row (int64 original row
    number), and where mapped: quantity, unit_price, discount (float), order_id,
    product, product_code, category, channel, coupon, transaction_type (str), and
    with a product code, is_fee (bool: a postage/fee/adjustment line, see
    :func:`loyalty.lines.non_product_codes`).  A table with a product code but no
    product name uses the code as ``product``.  An order is the order lines of
    one order key, dated by the earliest of them.

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
                         drop_duplicates: bool = False, today: date | None = None,
                         currency: str = "JPY") -> Transactions:
    """Type, check and combine transaction tables.

    Args:
        tables: each raw table with its (complete) column mapping.
        drop_duplicates: drop exact duplicate rows (kept and counted by default).
        today: the date after which order dates count as "future" (default: today).
        currency: the data's currency (amounts naming another are excluded).

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
    typed = None
    for raw, mapping in tables:
        require_complete(mapping, raw.name)
        typed = type_table(raw, mapping, drop_duplicates=drop_duplicates, today=today, has_order_id=has_order_id,
                           key_offset=key_offset, currency=currency)
        key_offset = typed.next_key
        _add_to_report(report, typed)
        parts.append(typed.frame)
        if len(typed.excluded):
            excluded_parts.append(typed.excluded)
    cache = None
    if len(parts) == 1:
        frame = parts[0]  # already 0..n-1 indexed: no copy
        cache = (frame["customer_id"].array, *typed.customer_codes)
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


@dataclass
class TypedTable:
    """One transaction table typed and checked (see :func:`prepare_transactions`).

    Attributes:
        frame: its clean lines (the columns of :attr:`Transactions.frame`).
        excluded: its excluded rows: file, row number, reason key, then the original cells.
        info: its entry of :attr:`QualityReport.files`.
        excluded_by_reason: reason key -> rows, in ``EXCLUSION_ORDER``.
        counts: what the report adds up: rows_read, duplicates, returns,
            returns_amount, sign_flipped, zero_amount, fee_lines.
        notes: catalogue keys (with values) worth telling the user.
        next_key: the first order key free for the next table.
        customer_codes: ``(codes, uniques)`` of the clean lines' customer ids, numbered
            in sorted id order (see :attr:`Transactions.customer_codes`).
    """

    frame: pd.DataFrame
    excluded: pd.DataFrame
    info: dict
    excluded_by_reason: dict[str, int]
    counts: dict[str, float]
    notes: list[tuple[str, dict]]
    next_key: int
    customer_codes: tuple[np.ndarray, pd.Index]


def _add_to_report(report: QualityReport, typed: TypedTable) -> None:
    """Add one table's counts to the report."""
    for key, value in typed.counts.items():
        setattr(report, key, getattr(report, key) + value)
    for key, count in typed.excluded_by_reason.items():
        report.excluded_by_reason[key] += count
    report.notes.extend(typed.notes)
    report.files.append(typed.info)


def type_table(raw: RawTable, mapping: ColumnMapping, *, drop_duplicates: bool = False,
               today: date | None = None, has_order_id: bool | None = None, key_offset: int = 0,
               currency: str = "JPY") -> TypedTable:
    """Type, check and clean one transaction table (see :func:`prepare_transactions`).

    Every mapped column is parsed once.  Arrow kernels and numpy release the GIL,
    so on a large table (:data:`PARALLEL_MIN_ROWS`) the columns are typed on a
    two-thread pool while this thread works on what is ready (codes, duplicates,
    the checks).

    Args:
        raw: the table as read.
        mapping: its complete column mapping.
        drop_duplicates: exclude exact duplicate rows (else counted and kept).
        today: order dates after it are "future" (default: today).
        has_order_id: whether order keys come from order ids (default: whether
            this table maps one).
        key_offset: the first order key to use.
        currency: the data's currency (:func:`loyalty.values.parse_amounts`).

    Returns:
        :class:`TypedTable`.

    Raises:
        LoyaltyError: every amount names another currency than ``currency``.
    """
    today = today or date.today()
    has_order_id = mapping.has("order_id") if has_order_id is None else has_order_id
    with _Work(parallel=len(raw.frame) >= PARALLEL_MIN_ROWS) as work:
        jobs = _Jobs.submit(raw.frame, mapping, work, currency)
        checked = _check_rows(raw, jobs, drop_duplicates, today)
        frame, counts = _clean_lines(raw, jobs, checked)
    ccodes = checked.kept(checked.id_codes)
    if has_order_id:
        order_key = line_keys.combine_codes(ccodes, checked.kept(jobs.order.result()), complete=checked.every)
        order_key = order_key + key_offset
        next_key = int(order_key.max()) + 1 if len(order_key) else key_offset
    else:
        order_key = np.arange(key_offset, key_offset + len(frame), dtype=np.int64)
        next_key = key_offset + len(frame)
    frame["order_key"] = order_key
    frame["file"] = raw.name
    frame["row"] = checked.kept(raw.row_numbers)
    counts.update(rows_read=len(raw.frame), duplicates=int(checked.duplicated.sum()))
    date_col = mapping.column("order_date")
    notes = [("note.dates_ambiguous", {"file": raw.name, "column": date_col})] if jobs.dates_ambiguous else []
    notes += values.currency_notes(raw.name, {c: f.result() for c, f in jobs.numbers.items()}, currency)
    if checked.totals_without_id:
        notes.append(("note.totals_without_id", {"file": raw.name, "rows": checked.totals_without_id}))
    return TypedTable(frame=frame, excluded=checked.excluded_rows(raw), info=_file_info(raw, mapping, checked, jobs),
                      excluded_by_reason=checked.by_reason, counts=counts, notes=notes, next_key=next_key,
                      customer_codes=(ccodes, checked.id_uniques))


@dataclass
class _Jobs:
    """The parsing jobs of one table's mapped columns (futures, see :class:`_Work`)."""

    mapping: ColumnMapping
    ids: object
    dates: object
    numbers: dict[str, object]
    text: dict[str, object]
    order: object = None
    fee: object = None
    marker: object = None
    currency: str = "JPY"

    @classmethod
    def submit(cls, src: pd.DataFrame, mapping: ColumnMapping, work: "_Work", currency: str = "JPY") -> "_Jobs":
        """Start parsing every mapped column; jobs are submitted in the order they are
        needed, and a job that waits for another is always submitted after it."""
        col = lambda role: src[mapping.column(role)]  # noqa: E731
        jobs = cls(mapping=mapping, ids=work.submit(values.normalize_ids, col("customer_id")),
                   dates=work.submit(values.parse_dates, col("order_date")), numbers={}, text={},
                   currency=currency)
        text_roles = [r for r in TEXT_ROLES if mapping.has(r)]
        if "order_id" in text_roles:
            jobs.text["order_id"] = work.submit(line_keys.stripped, col("order_id"))
            jobs.order = work.submit(lambda: line_keys.order_id_codes(jobs.text["order_id"].result()))
        jobs.numbers = {c: work.submit(values.parse_amounts, src[c], currency)
                        for c in dict.fromkeys(mapping.column(r) for r in NUMERIC_ROLES if mapping.has(r))}
        for role in text_roles:
            if role not in jobs.text:
                jobs.text[role] = work.submit(line_keys.stripped, col(role))
        if "product_code" in jobs.text:
            jobs.fee = work.submit(lambda: lines.fee_line(jobs.text["product_code"].result()))
        if "transaction_type" in jobs.text:
            jobs.marker = work.submit(lambda: lines.return_marker(jobs.text["transaction_type"].result()))
        return jobs

    def number(self, role: str):
        """The parsed column of a numeric role (None when not mapped)."""
        return self.numbers[self.mapping.column(role)].result() if self.mapping.has(role) else None

    def number_array(self, role: str) -> np.ndarray | None:
        """A numeric role's values as float (NaN when empty or unreadable; None when not mapped)."""
        parsed = self.number(role)
        return None if parsed is None else parsed.values.to_numpy(dtype=float, na_value=np.nan)

    @property
    def dates_ambiguous(self) -> bool:
        """Whether the date column could be read day-first as well as month-first."""
        return bool(self.dates.result().ambiguous)


@dataclass
class _Checked:
    """The checks of one table's rows (see :func:`_check_rows`)."""

    reason: np.ndarray
    taken: np.ndarray
    by_reason: dict[str, int]
    duplicated: np.ndarray
    amount: np.ndarray
    id_codes: np.ndarray
    id_uniques: pd.Index
    totals_without_id: int = 0

    @property
    def every(self) -> bool:
        """Whether no row was excluded."""
        return not self.taken.any()

    def kept(self, a):
        """The kept rows of an array (no copy when every row is kept) or of a Series (0-based index)."""
        if isinstance(a, pd.Series):
            return a.reset_index(drop=True) if self.every else a[~self.taken].reset_index(drop=True)
        return a if self.every else a[~self.taken]

    def excluded_rows(self, raw: RawTable) -> pd.DataFrame:
        """The excluded rows: file, row number, reason key, then the original cells."""
        if self.every:  # nothing excluded: no excluded-rows frame to build
            return pd.DataFrame({"file": pd.Series(dtype="str"), "row": pd.Series(dtype="int64"),
                                 "reason": pd.Series(dtype="str")})
        excl = pd.DataFrame({"file": raw.name, "row": raw.row_numbers[self.taken], "reason": self.reason[self.taken]})
        return pd.concat([excl, raw.frame.loc[self.taken].reset_index(drop=True)], axis=1)


def _check_rows(raw: RawTable, jobs: _Jobs, drop_duplicates: bool, today: date) -> _Checked:
    """Run the checks in ``EXCLUSION_ORDER``: each failing row counts once, under its first failed check."""
    src = raw.frame
    n = len(src)
    ids, dates = jobs.ids.result(), jobs.dates.result()
    parsed = [jobs.number("amount")] if jobs.mapping.has("amount") else [jobs.number(r) for r in
                                                                          ("quantity", "unit_price")]
    other = np.zeros(n, dtype=bool)
    for part in parsed:
        if part.other_currency is not None:
            other |= part.other_currency.to_numpy()
    if jobs.mapping.has("amount"):
        amount = parsed[0].values.to_numpy(dtype=float, na_value=np.nan)
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            amount = jobs.number_array("quantity") * jobs.number_array("unit_price")
    # empty, unreadable, not finite or beyond the bound (also quantity × unit price)
    amount_bad = ~values.in_range(amount) & ~other
    if other.any() and not values.in_range(amount).any():  # no amount at all in the data's currency
        col = "、".join(jobs.mapping.column(r) for r in ("amount", "quantity", "unit_price") if jobs.mapping.has(r))
        named = sorted(set().union(*(p.currencies for p in parsed)) - {jobs.currency})
        raise error("error.amount_other_currency", file=raw.name, amount_column=col, named=", ".join(named),
                    currency=jobs.currency)
    day_us = dates.values.to_numpy().astype("datetime64[us]", copy=False).view(np.int64)
    future = day_us > np.datetime64(today, "us").astype(np.int64)  # NaT is the smallest int64: never future
    id_codes, id_uniques = line_keys.sorted_codes(ids)
    keys = [id_codes, day_us, amount]
    keys += [jobs.number_array(r) for r in ("quantity", "unit_price", "discount") if jobs.mapping.has(r)]
    if jobs.order is not None:
        keys.append(jobs.order.result())
    dup = line_keys.duplicated_rows(src, keys)
    missing_id = ids.isna().to_numpy()
    is_totals = totals.totals_rows(src, jobs.mapping.column("customer_id"), missing_id)
    checks = [missing_id, is_totals,
              (dates.empty | dates.bad).to_numpy(), amount_bad, other, ~raw.field_count_ok,
              future, dup if drop_duplicates else np.zeros(n, dtype=bool)]
    reason = np.full(n, "", dtype=object)
    taken = np.zeros(n, dtype=bool)
    by_reason = {}
    for key, mask in zip(EXCLUSION_ORDER, checks):
        hit = mask & ~taken
        by_reason[key] = int(hit.sum())
        if by_reason[key]:
            reason[hit] = key
            taken |= hit
    return _Checked(reason=reason, taken=taken, by_reason=by_reason, duplicated=dup, amount=amount,
                    id_codes=id_codes, id_uniques=id_uniques, totals_without_id=int((is_totals & missing_id).sum()))


def _clean_lines(raw: RawTable, jobs: _Jobs, checked: _Checked) -> tuple[pd.DataFrame, dict]:
    """The kept rows as typed columns, with the line types of :mod:`loyalty.lines`.

    Returns:
        ``(frame, counts)``: counts of returns, returns_amount, sign_flipped, zero_amount, fee_lines.
    """
    kept = checked.kept
    out = pd.DataFrame({
        "customer_id": kept(jobs.ids.result()),
        "order_date": kept(jobs.dates.result().values),
        "amount": kept(checked.amount),
    })
    for role in ("quantity", "unit_price", "discount"):
        if jobs.mapping.has(role):
            out[role] = kept(jobs.number_array(role))
    for role in TEXT_ROLES:
        if role in jobs.text:
            out[role] = kept(jobs.text[role].result())
    if "product_code" in jobs.text and "product" not in jobs.text:
        out["product"] = out["product_code"]  # only a code: it names the product

    is_fee = kept(jobs.fee.result()) if jobs.fee is not None else None
    typed = lines.type_lines(out["amount"].to_numpy(),
                             marker=kept(jobs.marker.result()) if jobs.marker is not None else None,
                             quantity=out["quantity"].to_numpy() if "quantity" in out else None,
                             is_fee=is_fee)
    if typed.flipped.any():
        out["amount"] = typed.amount
        if "quantity" in out:
            out.loc[typed.flipped, "quantity"] = -out.loc[typed.flipped, "quantity"].abs()
    out["is_return"] = typed.is_return
    if is_fee is not None:
        out["is_fee"] = is_fee
    out["is_order_line"] = typed.is_order_line
    amount = typed.amount
    counts = {"returns": int(typed.is_return.sum()),
              "returns_amount": float(np.minimum(amount[typed.is_return], 0).sum()),
              "sign_flipped": int(typed.flipped.sum()),
              "zero_amount": int(((amount == 0) & ~typed.is_return).sum()),
              "fee_lines": int(is_fee.sum()) if is_fee is not None else 0}
    return out, counts


def _file_info(raw: RawTable, mapping: ColumnMapping, checked: _Checked, jobs: _Jobs) -> dict:
    """The entry of :attr:`QualityReport.files` for one table."""
    used = int((~checked.taken).sum())
    return {
        "file": raw.name,
        "sheet": raw.sheet,
        "encoding": raw.encoding,
        "delimiter": raw.delimiter,
        "rows_read": len(raw.frame),
        "rows_used": used,
        "rows_excluded": len(raw.frame) - used,
        "date_format": jobs.dates.result().note,
        "dates_ambiguous": jobs.dates_ambiguous,
        "mapping": dict(mapping.roles),
        "notes": [{"key": k, "values": dict(v)} for k, v in raw.notes],
    }


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

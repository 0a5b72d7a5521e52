"""The per-customer feature query of the SQL path and running it: two scans of the
source (checks, then features), only the per-customer table fetched, returned
as the frame :func:`loyalty.features.build_features` makes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from loyalty.features import DEFAULT_WINDOW_DAYS, Features
from loyalty.i18n import error
from loyalty.lines import is_purchase
from loyalty.ltv import average_order_value
from loyalty.mapping import ColumnMapping
from loyalty.quality import EXCLUSION_ORDER
from loyalty.warehouse.checks import _WHEN_REASON, run_checks
from loyalty.warehouse.source import Source, _ibis, _loyalty_error, _short, open_source, source_mapping
from loyalty.warehouse.typed import LINE_FIELDS, ids_need_cleaning, typed_lines


@dataclass
class WarehouseResult:
    """Features computed by SQL, plus what happened to the lines.

    Attributes:
        features: the per-customer :class:`~loyalty.features.Features` (source "warehouse").
        report: rows_read, rows_used, excluded_by_reason (quality report order),
            rows_after_as_of.
        mapping: the column mapping used.
    """

    features: Features
    report: dict
    mapping: ColumnMapping


def features_expr(lines, *, as_of: date, window_days: int = DEFAULT_WINDOW_DAYS, has_order_id: bool,
                  today: date | None = None, count_untrimmed: bool = False):
    """The per-customer aggregation as an Ibis expression (see the module docstring).

    Args:
        lines: ``fields -> table``: typed lines with (at least) the given
            columns (:func:`typed_lines` bound to a source); each part of the
            query asks only for its columns, so each is one plain scan.
        as_of: the as-of date.
        window_days: the frequency/monetary window.
        has_order_id: whether an order id is mapped.
        today: lines after it are excluded (default: today).
        count_untrimmed: also count, per customer, the text order ids that differ
            from their trimmed form (``untrimmed_oids``): with order ids compared
            as stored, such an id would not be the same order as its trimmed twin
            (one check per order, not per line; see :func:`warehouse_features`).

    Returns:
        A table with cid, monetary, revenue_total, gross, returns_amount,
        orders_total, frequency, discounted_orders, first_day, last_day
        (order counts and days NULL for customers without an order).
    """
    ibis = _ibis()
    today = today or date.today()
    start = ibis.literal(as_of - timedelta(days=int(window_days)))
    end = ibis.literal(min(as_of, today))
    zero = ibis.literal(0.0)

    def usable(fields):
        v = lines(fields)
        return v.filter(v.cid.notnull(), v.day.notnull(), v.amount.notnull(), v.day <= end)

    if not has_order_id:
        # every order line is an order: one scan, one aggregation
        v = usable(("cid", "day", "amount", "is_return", "discounted", "is_order_line"))
        purchase = is_purchase(v.amount, v.is_return)  # gross value (fee lines included)
        order = v.is_order_line
        return v.group_by("cid").aggregate(
            monetary=ibis.ifelse(v.day > start, v.amount, zero).sum(),
            revenue_total=v.amount.sum(),
            gross=ibis.ifelse(purchase, v.amount, zero).sum(),
            returns_amount=ibis.ifelse(v.is_return, v.amount, zero).sum(),
            orders_total=order.sum(),
            frequency=(order & (v.day > start)).sum(),
            discounted_orders=(order & v.discounted).sum(),
            first_day=v.day.min(where=order),
            last_day=v.day.max(where=order),
        )
    # one scan: the lines of each (customer, order id) first, carrying their money, then per customer.
    # An order = the order lines of one (customer, order id); its date is their earliest; a
    # (customer, order id) with only returns or fee lines adds money and no order (od NULL).
    v = usable(("cid", "oid", "day", "amount", "is_return", "discounted", "is_order_line"))
    purchase = is_purchase(v.amount, v.is_return)  # gross value (fee lines included)
    order_line = v.is_order_line
    per_order = v.group_by(["cid", "oid"]).aggregate(
        monetary=ibis.ifelse(v.day > start, v.amount, zero).sum(),
        revenue_total=v.amount.sum(),
        gross=ibis.ifelse(purchase, v.amount, zero).sum(),
        returns_amount=ibis.ifelse(v.is_return, v.amount, zero).sum(),
        od=v.day.min(where=order_line),
        ox=(order_line & v.discounted).any(),
    )
    o = per_order
    extra = {}
    if count_untrimmed and o.oid.type().is_string():
        extra["untrimmed_oids"] = (o.oid != o.oid.strip()).sum()
    return o.group_by("cid").aggregate(
        **extra,
        monetary=o.monetary.sum(),
        revenue_total=o.revenue_total.sum(),
        gross=o.gross.sum(),
        returns_amount=o.returns_amount.sum(),
        orders_total=o.od.count(),
        frequency=(o.od > start).fill_null(False).sum(),
        discounted_orders=o.ox.fill_null(False).sum(),  # ox implies an order line: od is set
        first_day=o.od.min(),
        last_day=o.od.max(),
    )


def feature_sql(columns: dict[str, str], mapping: ColumnMapping, *, table: str = "orders",
                as_of: date, window_days: int = DEFAULT_WINDOW_DAYS, today: date | None = None,
                dialect: str = "duckdb") -> str:
    """The feature SQL for a table of the given column types, without connecting.

    Args:
        columns: column name -> Ibis type name ("string", "date", "timestamp", "float64", …).
        mapping: the column mapping.
        table: the table name used in the SQL.
        as_of: the as-of date.
        window_days: the window.
        today: lines after this day are excluded (default: today).
        dialect: a SQL dialect Ibis knows ("duckdb", "postgres", "bigquery", "snowflake", …).

    Returns:
        The SQL text.
    """
    ibis = _ibis()
    t = ibis.table(columns, name=table)
    expr = features_expr(lambda fields: typed_lines(t, mapping, fields=fields), as_of=as_of,
                         window_days=window_days, has_order_id=mapping.has("order_id"), today=today)
    return ibis.to_sql(expr, dialect=dialect)


def warehouse_features(source: Source, mapping: ColumnMapping | None = None, *, as_of: date | None = None,
                       window_days: int = DEFAULT_WINDOW_DAYS, today: date | None = None,
                       progress=None) -> WarehouseResult:
    """Compute customer features in the source's engine and fetch the per-customer table.

    Two queries, each one scan of the lines and nothing created: the quality
    counts with the distinct 取引区分/coupon/product-code values
    (:func:`run_checks`), then the features (:func:`features_expr`).  A CSV is
    read by both (parsing it twice costs less than writing its lines to a
    temporary table that then spills past DuckDB's memory limit).

    Args:
        source: an opened :class:`Source`.
        mapping: the column mapping (default: :func:`source_mapping`).
        as_of: the as-of date (default: the latest usable line's date).
        window_days: the frequency/monetary window (> 0).
        today: lines dated after it are excluded as future dates (default: today).
        progress: optional callable ``(step_key)`` told "reading", "checking", "aggregating".

    Returns:
        :class:`WarehouseResult` whose features frame matches
        :func:`loyalty.features.build_features` column for column.

    Raises:
        LoyaltyError: bad window, no usable line, as-of before the data, or the
            engine refused the query.
    """
    if window_days is None or int(window_days) <= 0:
        raise error("error.bad_window", window=window_days)
    window_days = int(window_days)
    today = today or date.today()
    mapping = mapping or source_mapping(source)
    tell = progress or (lambda step: None)
    try:
        tell("reading")
        q, table, as_of = _retrying(source, lambda: _run(source, mapping, clean_ids=False, as_of=as_of,
                                                         window_days=window_days, today=today, tell=tell))
        if ids_need_cleaning(table["cid"]) or _has_untrimmed(table):
            # some stored ids carry spaces or placeholders: redo it with per-line cleaning (exact, slower)
            q, table, as_of = _run(source, mapping, clean_ids=True, as_of=as_of, window_days=window_days,
                                   today=today, tell=tell)
    except Exception as exc:
        if isinstance(exc, _loyalty_error()):
            raise
        raise error("error.perf_query_failed", source=source.name, detail=_short(exc)) from None
    rows_used = int(q["rows_read"]) - sum(int(q[k] or 0) for k in _WHEN_REASON)
    rows_after = int(q["rows_after_as_of"] or 0)
    frame = _features_frame(table, as_of, window_days)
    excluded = {k: 0 for k in EXCLUSION_ORDER}
    for k in _WHEN_REASON:
        excluded[k] = int(q[k] or 0)
    report = {"rows_read": int(q["rows_read"]), "rows_used": rows_used, "excluded_by_reason": excluded,
              "rows_after_as_of": rows_after}
    notes: list[tuple[str, dict]] = []
    if rows_after:
        notes.append(("note.rows_after_as_of", {"rows": rows_after}))
    has_discount_info = mapping.has("discount") or mapping.has("coupon")
    if not has_discount_info:
        frame["discount_share"] = np.nan
    features = Features(frame=frame, as_of=as_of, window_days=window_days, source="transactions",
                        rows_after_as_of=rows_after, notes=notes)
    return WarehouseResult(features=features, report=report, mapping=mapping)


def _retrying(source: Source, run):
    """``run()``; for a CSV whose bytes turn out not to be UTF-8 past its first
    megabyte, once more on a copy transcoded from CP932."""
    try:
        return run()
    except Exception as exc:  # noqa: BLE001
        if source.retry is None or "unicode" not in str(exc).lower():
            raise
    retry, source.retry = source.retry, None
    source.table = retry()
    return run()


def _run(source: Source, mapping: ColumnMapping, *, clean_ids: bool, as_of: date | None, window_days: int,
         today: date, tell):
    """The queries of :func:`warehouse_features`: quality counts and text rules
    (one scan, :func:`run_checks`), then the features (one scan).

    Returns:
        ``(quality row as a dict, per-customer pyarrow table, as-of date)``.
    """
    tell("checking")
    base = source.table
    q, rules = run_checks(base, mapping, clean_ids=clean_ids, today=today, as_of=as_of)
    lines = lambda fields: typed_lines(base, mapping, clean_ids=clean_ids, rules=rules, fields=fields)  # noqa: E731
    if as_of is None and isinstance(q["latest"], date):
        as_of = q["latest"]
    rows_used = int(q["rows_read"]) - sum(int(q[k] or 0) for k in _WHEN_REASON)
    if rows_used <= 0 or as_of is None:
        from loyalty.i18n import t as _t

        worst = max(_WHEN_REASON, key=lambda k: int(q[k] or 0))
        raise error("error.no_usable_rows", file=source.name, rows=int(q["rows_read"]),
                    reason={lang: _t(f"reason.{worst}", lang) for lang in ("ja", "en")})
    if int(q["rows_after_as_of"] or 0) >= rows_used:
        raise error("error.as_of_before_data", as_of=as_of.strftime("%Y/%m/%d"))
    tell("aggregating")
    expr = features_expr(lines, as_of=as_of, window_days=window_days, has_order_id=mapping.has("order_id"),
                         today=today, count_untrimmed=not clean_ids)
    if source.local:
        # DuckDB compares text byte by byte (= code point order, as pandas sorts): the frame
        # comes back in index order; a warehouse's collation may differ, so it is sorted in Python
        expr = expr.order_by("cid")
    return q, expr.to_pyarrow(), as_of


def _has_untrimmed(table) -> bool:
    """Whether a fetched table counts order ids that differ from their trimmed form."""
    import pyarrow.compute as pc

    return "untrimmed_oids" in table.column_names and bool(pc.sum(table["untrimmed_oids"]).as_py() or 0)


def _in_order(ids) -> bool:
    """Whether a string column is already in ascending code point order (no NULLs)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    if len(arr) < 2:
        return True
    if arr.null_count:
        return False
    return bool(pc.all(pc.less(arr.slice(0, len(arr) - 1), arr.slice(1))).as_py())


def _features_frame(table, as_of: date, window_days: int) -> pd.DataFrame:
    """The fetched per-customer table as the columns of :func:`loyalty.features.build_features`.

    Args:
        table: the pyarrow table of :func:`features_expr` (any row order).
        as_of: the as-of date.
        window_days: the window.

    Returns:
        The feature frame indexed by customer_id, in customer_id order.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not _in_order(table["cid"]):
        table = table.take(pc.sort_indices(table, sort_keys=[("cid", "ascending")]))
    as_of_day = np.datetime64(as_of, "D").astype(np.int64)

    def days(name: str) -> np.ndarray:
        col = table[name].cast(pa.date32()).cast(pa.int32())
        return col.to_numpy(zero_copy_only=False).astype(float)  # NaN where NULL

    def num(name: str) -> np.ndarray:
        col = table[name].cast(pa.float64()).fill_null(0.0)
        return col.to_numpy(zero_copy_only=False)

    orders_total = num("orders_total").astype(np.int64)
    has_order = orders_total > 0
    first, last = days("first_day"), days("last_day")
    discounted = num("discounted_orders")
    aov = average_order_value(num("revenue_total"), orders_total)  # the one rule (net per order)
    with np.errstate(invalid="ignore", divide="ignore"):
        dshare = np.where(has_order, discounted / np.maximum(orders_total, 1), np.nan)

    def stamp(d: np.ndarray) -> np.ndarray:
        out = np.nan_to_num(d, nan=0).astype(np.int64).astype("datetime64[D]").astype("datetime64[s]")
        out[~has_order] = np.datetime64("NaT")
        return out

    frequency = num("frequency").astype(np.int64)
    index = pd.Index(table["cid"].to_pandas(), name="customer_id", dtype="str")
    frame = pd.DataFrame({
        "recency_days": np.where(has_order, as_of_day - last, np.nan),
        "frequency": frequency,
        "monetary": num("monetary"),
        "first_order": stamp(first),
        "last_order": stamp(last),
        "tenure_days": np.where(has_order, as_of_day - first, np.nan),
        "orders_total": orders_total,
        "revenue_total": num("revenue_total"),
        "aov": aov,
        "discount_share": dshare,
        "returns_amount": num("returns_amount"),
    }, index=index)
    frame["orders_per_year"] = frame["frequency"] * (365.0 / window_days)
    return frame


def typed_line_table(source: Source, mapping: ColumnMapping | None = None, *, today: date | None = None,
                     fields: tuple[str, ...] = LINE_FIELDS):
    """The source's usable typed lines, fetched (to check them against the pandas step;
    the feature query never fetches lines).

    The lines are typed as :func:`warehouse_features` types them: text rules from
    :func:`run_checks`, ids compared as stored unless some need cleaning.  Usable =
    with a customer id, a readable date and amount, dated on or before ``today``.

    Args:
        source: an opened :class:`Source`.
        mapping: the column mapping (default: :func:`source_mapping`).
        today: lines dated after it are not usable (default: today).
        fields: the columns wanted (see :func:`typed_lines`).

    Returns:
        A pyarrow table, in the order of the source's lines on DuckDB (which keeps
        the order of a file's lines; a warehouse may return any order).
    """
    today = today or date.today()
    mapping = mapping or source_mapping(source)

    def fetch(clean_ids: bool):
        _, rules = run_checks(source.table, mapping, clean_ids=clean_ids, today=today)
        v = typed_lines(source.table, mapping, clean_ids=clean_ids, rules=rules, fields=tuple(dict.fromkeys(
            ("cid", "day", "amount", *fields))))
        usable = v.filter(v.cid.notnull(), v.day.notnull(), v.amount.notnull(), v.day <= _ibis().literal(today))
        return usable.select(*[f for f in fields if f in usable.columns]).to_pyarrow()

    table = _retrying(source, lambda: fetch(False))
    untrimmed = False
    if mapping.has("order_id"):
        oid = typed_lines(source.table, mapping, clean_ids=False, fields=("oid",)).oid
        untrimmed = oid.type().is_string() and bool((oid != oid.strip()).any().to_pyarrow().as_py())
    if untrimmed or ("cid" in table.column_names and ids_need_cleaning(table["cid"].unique())):
        table = fetch(True)
    return table


def score_source(url: str, table: str | None, definition, *, overrides: dict[str, str | None] | None = None,
                 today: date | None = None, progress=None):
    """Open a source, compute features in its engine and score them in pandas.

    Args:
        url: see :func:`open_source`.
        table: the table name.
        definition: a :class:`loyalty.definition.Definition` (its as-of date and window are used).
        overrides: role -> column choices.
        today: see :func:`warehouse_features`.
        progress: see :func:`warehouse_features`.

    Returns:
        ``(WarehouseResult, ScoreResult)``.

    Raises:
        LoyaltyError: see :func:`open_source` and :func:`warehouse_features`.
    """
    from loyalty.scoring import Scorer

    with open_source(url, table) as source:
        mapping = source_mapping(source, overrides)
        result = warehouse_features(source, mapping, as_of=definition.as_of, window_days=definition.window_days,
                                    today=today, progress=progress)
    return result, Scorer(result.features.frame).score(definition)

"""Customer features computed where the data lives: the aggregation pushed down as SQL.

The transaction → customer-feature step of :mod:`loyalty.features` is written
once as an Ibis expression, so the same definition runs on an embedded DuckDB
(a Parquet or CSV file of any size, out of core) or in a warehouse that Ibis
supports (PostgreSQL, BigQuery, Snowflake, Spark, Trino, …).  Only the
per-customer table comes back; scoring stays in pandas (:mod:`loyalty.scoring`).

Sources (``--source`` on the command line):

* ``duckdb:///path/orders.parquet``, ``duckdb:///path/orders.csv`` (or a plain
  path): the file is read by an in-memory DuckDB.  A CSV that is not UTF-8 is
  transcoded from CP932 once, as a stream, into a temporary UTF-8 copy.
* ``duckdb:///path/shop.duckdb`` with a table name: a DuckDB database file,
  attached read-only.
* any other URL (``postgres://user@host/db``, ``bigquery://project/dataset``,
  ``snowflake://user@account/db/schema?warehouse=WH``, …) with a table name:
  opened with ``ibis.connect``; the backend's extra must be installed
  (``pip install 'ibis-framework[postgres]'``).

Semantics are exactly those of :func:`loyalty.features.build_features`:

* an **order** is a distinct (customer, order id) among lines with a positive
  amount that are not returns; without an order id, each such line is an order;
  a missing or blank order id is one order per customer;
* fee lines (a product code from ``loyalty/data/non_product_codes.json``:
  postage, fees, adjustments) count in monetary value but never make an order
  on their own;
* an order's date is the earliest date of its lines; returns (negative amount
  or quantity, or a 取引区分 such as 返品/キャンセル, whose positive amount is
  then made negative) lower monetary value but are not orders;
* lines dated after the as-of date are ignored; ``recency_days`` = as-of − last
  order date in whole days; ``frequency`` = orders dated in
  (as-of − window_days, as-of]; ``monetary`` = net amount dated in that window.

Rows are checked in the quality report's order (no customer id, unreadable
date, unreadable amount, date after today); the SQL reads typed warehouse
columns as they are and text columns in the common Japanese forms (ids
trimmed, ``2024/01/05``, ``2024-1-5``, ``2024年1月5日``, ``20240105``, amounts
with ``,`` ``¥`` ``円`` and ``▲`` for minus).  Text the SQL cannot read is
counted as unreadable, never guessed.
"""

from __future__ import annotations

import codecs
import gzip
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import unquote, urlparse

import numpy as np
import pandas as pd

from loyalty import settings
from loyalty.features import DEFAULT_WINDOW_DAYS, Features
from loyalty.i18n import error
from loyalty.mapping import ColumnMapping, detect_mapping, require_complete, with_overrides
from loyalty.quality import EXCLUSION_ORDER
from loyalty.values import MISSING_TOKENS

FILE_SUFFIXES = (".parquet", ".pq", ".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")
DATABASE_SUFFIXES = (".duckdb", ".ddb", ".db")

#: Return / cancellation markers of a 取引区分 column (the same words as loyalty.quality).
RETURN_PATTERN = "返品|返金|キャンセル|取消|取り消し|赤伝|cancel|return|refund|void"

#: The backends named in messages and the README; Ibis supports more.
WAREHOUSE_SCHEMES = ("postgres", "postgresql", "bigquery", "snowflake", "pyspark", "trino", "mysql",
                     "mssql", "clickhouse", "databricks", "athena", "oracle", "risingwave", "impala",
                     "druid", "exasol", "flink", "sqlite", "datafusion", "polars")

_WHEN_REASON = {"missing_customer_id": 0, "bad_date": 1, "bad_amount": 2, "future_date": 4}


@dataclass
class Source:
    """An opened source of transaction lines.

    Attributes:
        url: what the user gave.
        name: a short name for messages (file or table name).
        table: the Ibis table of raw lines.
        backend: the Ibis backend (connection).
        local: True for the embedded DuckDB (intermediate tables may be created).
        cleanup: temporary paths to delete on :meth:`close`.
        retry: for a CSV, re-opens it transcoded from CP932 (used once, when
            DuckDB finds a byte that is not UTF-8 past the first megabyte).
    """

    url: str
    name: str
    table: object
    backend: object
    local: bool
    cleanup: list[Path] = field(default_factory=list)
    retry: object = None

    @property
    def columns(self) -> list[str]:
        """The source table's column names."""
        return list(self.table.columns)

    def close(self) -> None:
        """Disconnect and remove temporary files."""
        try:
            self.backend.disconnect()
        except Exception:  # noqa: BLE001 - closing is best effort
            pass
        for p in self.cleanup:
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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


# ---------------------------------------------------------------------------
# opening sources


def _ibis():
    try:
        import ibis
    except ImportError:  # pragma: no cover - a dependency of the project
        raise error("error.perf_backend_missing", backend="duckdb", package="ibis-framework[duckdb]") from None
    return ibis


def _duckdb_config() -> dict:
    """DuckDB's settings for file sources (``LOYALTY_DUCKDB_*`` in :mod:`loyalty.settings`)."""
    config = {"memory_limit": settings.read("LOYALTY_DUCKDB_MEMORY_LIMIT")}
    threads = settings.read("LOYALTY_DUCKDB_THREADS")
    if threads is not None:
        config["threads"] = threads
    return config


def _local_path(url: str) -> Path | None:
    """The file path of ``duckdb:///path`` or a plain path; None for other URLs."""
    if url.startswith("duckdb://"):
        rest = url[len("duckdb://"):]
        return Path(unquote(rest)) if rest else None
    if "://" in url:
        return None
    return Path(url)


def open_source(url: str, table: str | None = None) -> Source:
    """Open a transaction source by URL or path.

    Args:
        url: ``duckdb:///path/file.parquet|.csv|.duckdb``, a plain file path, or
            a warehouse URL that ``ibis.connect`` understands.
        table: the table name (required for databases; for a file, optional:
            the name the file's lines are known by in SQL).

    Returns:
        A :class:`Source` (close it, or use it as a context manager).

    Raises:
        LoyaltyError: bad URL, missing file, unreadable file, missing backend,
            failed connection, or missing table.
    """
    if not url or not url.strip():
        raise error("error.perf_bad_source", source=url or "")
    url = url.strip()
    path = _local_path(url)
    if path is not None:
        return _open_local(url, path, table)
    if url == "duckdb://":
        raise error("error.perf_bad_source", source=url)
    return _open_remote(url, table)


def _open_local(url: str, path: Path, table: str | None) -> Source:
    ibis = _ibis()
    lower = path.name.lower()
    if not path.exists():
        raise error("error.file_not_found", file=str(path))
    con = ibis.duckdb.connect(**_duckdb_config())
    tmp = Path(tempfile.mkdtemp(prefix="loyalty_duckdb_"))
    con.raw_sql(f"SET temp_directory = '{tmp.as_posix()}'")
    source = Source(url=url, name=path.name, table=None, backend=con, local=True, cleanup=[tmp])
    try:
        if lower.endswith(DATABASE_SUFFIXES):
            if not table:
                raise error("error.perf_table_required", source=url)
            con.attach(str(path), name="src", read_only=True)
            names = con.list_tables(database=("src", "main"))
            if table not in names:
                raise error("error.perf_table_not_found", source=path.name, table=table,
                            tables="、".join(names) or "—")
            source.table = con.table(table, database=("src", "main"))
            source.name = table
        elif lower.endswith((".parquet", ".pq")):
            source.table = con.read_parquet(str(path), table_name=_view_name(table))
        elif lower.endswith(FILE_SUFFIXES):
            source.table = _read_csv(con, path, table, source)
        else:
            raise error("error.perf_unknown_file", file=path.name)
    except Exception as exc:
        source.close()
        if isinstance(exc, _loyalty_error()):
            raise
        raise error("error.perf_unreadable", file=path.name, detail=_short(exc)) from None
    return source


def _open_remote(url: str, table: str | None) -> Source:
    ibis = _ibis()
    scheme = urlparse(url).scheme.lower()
    if not scheme or not re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme):
        raise error("error.perf_bad_source", source=_redact(url))
    if not table:
        raise error("error.perf_table_required", source=_redact(url))
    try:
        con = ibis.connect(url)
    except (ImportError, ModuleNotFoundError):
        raise error("error.perf_backend_missing", backend=scheme,
                    package=f"ibis-framework[{scheme.replace('postgresql', 'postgres')}]") from None
    except Exception as exc:  # noqa: BLE001 - drivers raise many kinds
        raise error("error.perf_connect_failed", source=_redact(url), detail=_short(exc)) from None
    try:
        t = con.table(table)
    except Exception:  # noqa: BLE001
        try:
            names = "、".join(con.list_tables()[:30]) or "—"
        except Exception:  # noqa: BLE001
            names = "—"
        try:
            con.disconnect()
        except Exception:  # noqa: BLE001
            pass
        raise error("error.perf_table_not_found", source=_redact(url), table=table, tables=names) from None
    return Source(url=url, name=table, table=t, backend=con, local=False)


def _loyalty_error():
    from loyalty.errors import LoyaltyError

    return LoyaltyError


def _view_name(table: str | None) -> str:
    if table and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", table):
        return table
    return f"lines_{uuid.uuid4().hex[:8]}"


def _redact(url: str) -> str:
    """The URL without its password (messages must not leak it)."""
    return re.sub(r"(//[^:/@]+):[^@/]*@", r"\1:***@", url)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def _read_csv(con, path: Path, table: str | None, source: Source):
    """A CSV/TSV file as a DuckDB view; id columns kept as text (leading zeros).

    DuckDB reads UTF-8 only: a file whose first megabyte is not UTF-8 is
    transcoded from CP932 once; a later bad byte surfaces when the lines are
    scanned, and :func:`warehouse_features` then transcodes and retries.
    """
    header = _header_names(path)
    mapping = detect_mapping(header, "transactions")
    types = {c: "VARCHAR" for r, c in mapping.roles.items() if r in ("customer_id", "order_id")}
    name = _view_name(table)
    if not _starts_as_utf8(path):
        path = _transcode_cp932(path, source.cleanup[0])
    else:
        source.retry = lambda: _reread_as_cp932(con, path, name, types, source)
    return con.read_csv(str(path), table_name=name, types=types or None)


def _reread_as_cp932(con, path: Path, name: str, types: dict, source: Source):
    utf8 = _transcode_cp932(path, source.cleanup[0])
    source.table = con.read_csv(str(utf8), table_name=name, types=types or None)
    return source.table


def _starts_as_utf8(path: Path) -> bool:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as fh:
        head = fh.read(1 << 20)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _header_names(path: Path) -> list[str]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as fh:
        head = fh.readline(1 << 20)
    for enc in ("utf-8-sig", "cp932"):
        try:
            text = head.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise error("error.unknown_encoding", file=path.name, row=1)
    sep = max((",", "\t", ";", "|"), key=text.count)
    return [c.strip().strip('"') for c in text.rstrip("\r\n").split(sep)]


def _transcode_cp932(path: Path, folder: Path) -> Path:
    """Stream a CP932 text file into a UTF-8 copy (strict: a bad byte is an error)."""
    out = folder / (path.name.removesuffix(".gz") + ".utf8.csv")
    decoder = codecs.getincrementaldecoder("cp932")(errors="strict")
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    line = 1
    with opener(path, "rb") as src, open(out, "wb") as dst:
        while True:
            chunk = src.read(8 << 20)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError:
                raise error("error.unknown_encoding", file=path.name, row=line) from None
            line += text.count("\n")
            dst.write(text.encode("utf-8"))
            if not chunk:
                break
    return out


# ---------------------------------------------------------------------------
# mapping and typing


def source_mapping(source: Source, overrides: dict[str, str | None] | None = None) -> ColumnMapping:
    """Map the source's columns to roles (detected from the names, then the user's choices).

    Raises:
        LoyaltyError: an override names an unknown role or column, or a required role is missing.
    """
    columns = source.columns
    mapping = detect_mapping(columns, "transactions")
    if overrides:
        mapping = with_overrides(mapping, overrides, columns, file=source.name)
    require_complete(mapping, source.name)
    return mapping


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

LINE_FIELDS = ("cid", "day", "amount", "is_return", "discounted", "oid", "is_fee")


@dataclass(frozen=True)
class TextRules:
    """Per-value decisions on low-cardinality text columns, taken in Python.

    Attributes:
        return_values: 取引区分 values that mark a return/cancellation (None:
            decide in SQL with :data:`RETURN_PATTERN`).
        coupon_values: coupon values that are not blank (None: decide in SQL).
        fee_values: product codes that are non-product codes (postage, fees:
            :func:`loyalty.quality.non_product_codes`) as stored (None: decide in
            SQL on the trimmed, upper-cased code).
    """

    return_values: tuple[str, ...] | None = None
    fee_values: tuple[str, ...] | None = None
    coupon_values: tuple[str, ...] | None = None


def text_rules(t, mapping: ColumnMapping) -> TextRules:
    """Read the distinct values of the 取引区分 and coupon columns and judge them in Python.

    The same regular expression as the quality report (:data:`loyalty.quality.RETURN_MARKERS`)
    decides which 取引区分 values are returns, so SQL only checks membership;
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
    from loyalty.quality import RETURN_MARKERS, non_product_codes, normalise_code

    fees = non_product_codes()
    return TextRules(
        return_values=None if tt is None else tuple(v for v in tt if RETURN_MARKERS.search(v)),
        coupon_values=None if cp is None else tuple(v for v in cp if v.strip()),
        fee_values=None if codes is None else tuple(v for v in codes if normalise_code(v) in fees),
    )


def typed_lines(t, mapping: ColumnMapping, *, clean_ids: bool = True, rules: TextRules | None = None,
                fields: tuple[str, ...] = LINE_FIELDS, raw: tuple[str, ...] = ()):
    """The source lines as typed columns the feature SQL needs.

    Columns (those of ``fields`` that apply): ``cid`` (text), ``day`` (date),
    ``amount`` (net, returns negative), ``is_return``, ``discounted``,
    ``is_fee`` (booleans; a fee line is a postage/fee/adjustment code, see
    :func:`loyalty.quality.non_product_codes`), ``oid`` (text, '' for missing;
    only with an order id; an integer column stays integer, NULL for missing).
    Unreadable cells are NULL.

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
    marker = ibis.literal(False)
    if mapping.has("transaction_type"):
        tt = col("transaction_type").cast("string")
        if rules.return_values is None:
            marker = tt.lower().re_search(RETURN_PATTERN).fill_null(False)
        elif rules.return_values:
            marker = tt.isin(list(rules.return_values)).fill_null(False)
    raw_amount = amount
    amount = ibis.ifelse(marker & (amount > 0), -amount, amount)
    out = {}
    for name in fields:
        if name == "cid":
            out["cid"] = _text(col("customer_id"), clean_ids)
        elif name == "day":
            out["day"] = _day(col("order_date"))
        elif name == "amount":
            out["amount"] = amount
        elif name == "is_return":
            # the signed amount is negative exactly when the stored one is, or when the
            # marker flipped it: with the marker itself a return, the stored sign decides
            is_return = (raw_amount < 0).fill_null(False) | marker
            if mapping.has("quantity"):
                is_return = is_return | (_number(col("quantity")) < 0).fill_null(False)
            out["is_return"] = is_return
        elif name == "discounted":
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
            out["discounted"] = discounted
        elif name == "is_fee":
            is_fee = ibis.literal(False)
            if mapping.has("product_code"):
                code = col("product_code").cast("string")
                if rules.fee_values is None:
                    from loyalty.quality import non_product_codes

                    is_fee = code.strip().upper().isin(sorted(non_product_codes())).fill_null(False)
                elif rules.fee_values:
                    is_fee = code.isin(list(rules.fee_values)).fill_null(False)
            out["is_fee"] = is_fee
        elif name == "oid" and mapping.has("order_id"):
            oid = col("order_id")
            if oid.type().is_integer():
                # grouped as stored: distinct integers are distinct texts, and NULLs make one
                # group as '' does (a cast to text per line would only cost time)
                out["oid"] = oid
            else:
                oid = oid.cast("string")
                out["oid"] = (oid.strip() if clean_ids else oid).fill_null("")
    for role in raw:
        out[f"raw_{role}"] = col(role).cast("string")
    return t.select(**out)


def quality_expr(lines, today: date, as_of: date | None = None):
    """One-row table of the quality counts (quality report order), the latest
    usable date (``latest``) and the usable lines after ``as_of``."""
    return lines.aggregate(**_quality_metrics(lines, today, as_of))


def _quality_metrics(lines, today: date, as_of: date | None) -> dict:
    """The aggregates of :func:`quality_expr` by name."""
    ibis = _ibis()
    missing = lines.cid.isnull()
    bad_date = ~missing & lines.day.isnull()
    bad_amount = ~missing & lines.day.notnull() & lines.amount.isnull()
    ok = ~missing & lines.day.notnull() & lines.amount.notnull()
    future = ok & (lines.day > ibis.literal(today))
    used = ok & (lines.day <= ibis.literal(today))
    after = used & (lines.day > ibis.literal(as_of if as_of is not None else today))
    return dict(
        rows_read=lines.count(),
        missing_customer_id=missing.sum(),
        bad_date=bad_date.sum(),
        bad_amount=bad_amount.sum(),
        future_date=future.sum(),
        rows_after_as_of=after.sum(),
        latest=lines.day.max(where=used),
    )


#: The roles whose distinct values :func:`run_checks` judges in Python (see :class:`TextRules`).
RULE_ROLES = ("transaction_type", "coupon", "product_code")

#: :func:`check_expr` returns at most this many value combinations; past it the checks
#: fall back to one query per column (:func:`text_rules`) plus :func:`quality_expr`.
CHECK_GROUPS_MAX = 1_000_000


def check_expr(t, mapping: ColumnMapping, *, clean_ids: bool, today: date, as_of: date | None = None):
    """The quality counts of :func:`quality_expr` per combination of the 取引区分,
    coupon and product-code values, so one scan gives both the counts and the
    distinct values :func:`rules_from_values` judges.

    Args:
        t: the Ibis table of raw lines.
        mapping: the column mapping.
        clean_ids: see :func:`typed_lines`.
        today: lines after it are future dates.
        as_of: the as-of date, when given.

    Returns:
        A table with ``raw_<role>`` for the mapped roles of :data:`RULE_ROLES`
        and the columns of :func:`quality_expr`, one row per combination.
    """
    raw = tuple(r for r in RULE_ROLES if mapping.has(r))
    # the sign of an amount does not matter to the counts: no return marker is needed here
    lines = typed_lines(t, mapping, clean_ids=clean_ids, rules=TextRules((), (), ()),
                        fields=("cid", "day", "amount"), raw=raw)
    if not raw:
        return quality_expr(lines, today, as_of)
    return lines.group_by([f"raw_{r}" for r in raw]).aggregate(**_quality_metrics(lines, today, as_of))


def run_checks(t, mapping: ColumnMapping, *, clean_ids: bool, today: date,
               as_of: date | None = None) -> tuple[dict, TextRules]:
    """The quality row and the text rules, in one scan when the value combinations are few.

    Args:
        t, mapping, clean_ids, today, as_of: as for :func:`check_expr`.

    Returns:
        ``(quality row as a dict, TextRules)``; the dict has the keys of :func:`quality_expr`.
    """
    import pyarrow.compute as pc

    raw = [r for r in RULE_ROLES if mapping.has(r)]
    tab = check_expr(t, mapping, clean_ids=clean_ids, today=today, as_of=as_of)
    tab = tab.limit(CHECK_GROUPS_MAX + 1).to_pyarrow()
    if tab.num_rows > CHECK_GROUPS_MAX:
        rules = text_rules(t, mapping)
        lines = typed_lines(t, mapping, clean_ids=clean_ids, rules=TextRules((), (), ()),
                            fields=("cid", "day", "amount"))
        return quality_expr(lines, today, as_of).to_pyarrow().to_pylist()[0], rules
    q = {}
    for name in tab.column_names:
        if name.startswith("raw_"):
            continue
        col = tab[name]
        q[name] = pc.max(col).as_py() if name == "latest" else int(pc.sum(col).as_py() or 0)

    def values(role: str) -> list[str] | None:
        if role not in raw:
            return None
        v = pc.unique(tab[f"raw_{role}"]).drop_null().to_pylist()
        return None if len(v) > DISTINCT_IN_PYTHON else v

    return q, rules_from_values(values("transaction_type"), values("coupon"), values("product_code"))


def features_expr(lines, *, as_of: date, window_days: int = DEFAULT_WINDOW_DAYS, has_order_id: bool,
                  today: date | None = None):
    """The per-customer aggregation as an Ibis expression (see the module docstring).

    Args:
        lines: ``fields -> table``: typed lines with (at least) the given
            columns (:func:`typed_lines` bound to a source); each part of the
            query asks only for its columns, so each is one plain scan.
        as_of: the as-of date.
        window_days: the frequency/monetary window.
        has_order_id: whether an order id is mapped.
        today: lines after it are excluded (default: today).

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
        # every purchase line that is not a fee line is an order: one scan, one aggregation
        v = usable(("cid", "day", "amount", "is_return", "discounted", "is_fee"))
        purchase = (v.amount > 0) & ~v.is_return
        order = purchase & ~v.is_fee
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
    # An order = the purchase lines of one (customer, order id) but its fee lines; its date is their
    # earliest; a (customer, order id) with only returns or fee lines adds money and no order (od NULL).
    v = usable(("cid", "oid", "day", "amount", "is_return", "discounted", "is_fee"))
    purchase = (v.amount > 0) & ~v.is_return
    order_line = purchase & ~v.is_fee
    per_order = v.group_by(["cid", "oid"]).aggregate(
        monetary=ibis.ifelse(v.day > start, v.amount, zero).sum(),
        revenue_total=v.amount.sum(),
        gross=ibis.ifelse(purchase, v.amount, zero).sum(),
        returns_amount=ibis.ifelse(v.is_return, v.amount, zero).sum(),
        od=v.day.min(where=order_line),
        ox=(order_line & v.discounted).any(),
    )
    o = per_order
    return o.group_by("cid").aggregate(
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


# ---------------------------------------------------------------------------
# running


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
        if ids_need_cleaning(table["cid"]):
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
                         today=today)
    if source.local:
        # DuckDB compares text byte by byte (= code point order, as pandas sorts): the frame
        # comes back in index order; a warehouse's collation may differ, so it is sorted in Python
        expr = expr.order_by("cid")
    return q, expr.to_pyarrow(), as_of


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
    gross = num("gross")
    discounted = num("discounted_orders")
    with np.errstate(invalid="ignore", divide="ignore"):
        aov = np.where(has_order, gross / np.maximum(orders_total, 1), np.nan)
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

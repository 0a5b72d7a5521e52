"""Opening a source of transaction lines for the SQL path: a file read by an
embedded DuckDB, a DuckDB database, or a warehouse Ibis connects to (see
:mod:`loyalty.warehouse`), and mapping its columns to roles."""

from __future__ import annotations

import codecs
import gzip
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from loyalty import settings
from loyalty.i18n import error
from loyalty.mapping import ColumnMapping, detect_mapping, require_complete, with_overrides


FILE_SUFFIXES = (".parquet", ".pq", ".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")


DATABASE_SUFFIXES = (".duckdb", ".ddb", ".db")


#: The backends named in messages and the README; Ibis supports more.
WAREHOUSE_SCHEMES = ("postgres", "postgresql", "bigquery", "snowflake", "pyspark", "trino", "mysql",
                     "mssql", "clickhouse", "databricks", "athena", "oracle", "risingwave", "impala",
                     "druid", "exasol", "flink", "sqlite", "datafusion", "polars")


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

"""What kind of file is this: the format from its first bytes and its name.

Formats are told by their magic bytes first (Parquet ``PAR1``, a zip or OLE2
container for workbooks) and by the file name only where the bytes say nothing.
A web page or an "XML Spreadsheet 2003" saved with a table's name (common from
Japanese systems) is refused with a message saying how to re-save it, and a gzip
file is decompressed (within the file-size limit) before its content is sniffed.
"""

from __future__ import annotations

import gzip
import io
import re
import struct
import zlib
from pathlib import Path

from loyalty import limits as limits_mod
from loyalty.i18n import error
from loyalty.readers.table import CHUNK, MB, short

TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".dat", ".tab"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
PARQUET_SUFFIXES = {".parquet", ".pq"}

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"

_HTML_HEAD = re.compile(rb"^\s*(?:<!doctype\s+html|<html|<table|<head|<body|<meta|<style|<!--)", re.IGNORECASE)
_SPREADSHEET_ML = b"urn:schemas-microsoft-com:office:spreadsheet"


def sniff_kind(data: bytes, name: str) -> str:
    """The kind of table file: "parquet", "excel" or "text".

    Args:
        data: the file's bytes (not gzip: see :func:`gunzip`).
        name: the file name (its suffix, without ``.gz``, decides where the bytes do not).

    Returns:
        A key of :data:`loyalty.readers.READERS`.

    Raises:
        LoyaltyError: a web page or XML spreadsheet given as a table, or a file
            named like a workbook that is neither a workbook nor text.
    """
    suffix = Path(name.lower().removesuffix(".gz")).suffix
    head = data[:8]
    if head.startswith(PARQUET_MAGIC) or suffix in PARQUET_SUFFIXES:
        return "parquet"
    if head.startswith(ZIP_MAGIC) or head.startswith(OLE_MAGIC):
        return "excel"
    if suffix in EXCEL_SUFFIXES:
        # named like a workbook but not a zip/OLE container: a web page or an
        # "XML Spreadsheet 2003" saved with .xls (common from Japanese systems),
        # a CSV with the wrong name, or damage
        if looks_like_text(data):
            _refuse_markup(data, name)
            return "text"
        raise error("error.excel_corrupt", file=name)
    if looks_like_text(data):
        _refuse_markup(data, name)
    return "text"


def _refuse_markup(data: bytes, name: str) -> None:
    """Refuse a web page or an XML spreadsheet given as a table file."""
    sample = data[:4096]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            sample = sample[: len(sample) // 2 * 2].decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return
    sample = sample.removeprefix(b"\xef\xbb\xbf")
    if _SPREADSHEET_ML in data[:65536]:
        raise error("error.rel_xml_spreadsheet", file=name)
    if _HTML_HEAD.match(sample):
        raise error("error.rel_html_table", file=name)


def looks_like_text(data: bytes) -> bool:
    """Whether the first 4 KB look like text (a BOM, UTF-16, or hardly any control bytes).

    Args:
        data: the file's bytes.

    Returns:
        True for text.
    """
    sample = data[:4096]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return True
    if utf16_without_bom(sample):
        return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls <= len(sample) * 0.01 or (controls <= 2 and len(sample) >= 64)


def utf16_without_bom(sample: bytes) -> str | None:
    """"utf-16-le" or "utf-16-be" when NUL bytes fill every other byte, else None.

    Args:
        sample: the first bytes of a file.

    Returns:
        The UTF-16 variant, or None.
    """
    if len(sample) < 4:
        return None
    even = sample[0::2]
    odd = sample[1::2]
    if odd.count(0) > len(odd) * 0.4 and even.count(0) < len(even) * 0.1:
        return "utf-16-le"
    if even.count(0) > len(even) * 0.4 and odd.count(0) < len(odd) * 0.1:
        return "utf-16-be"
    return None


def gunzip(data: bytes, name: str, lim: limits_mod.Limits) -> bytes:
    """Decompress a gzip file whose content must fit the file-size limit.

    A first pass only counts the decompressed bytes (nothing is kept), so a
    gzip bomb is refused without ever holding its content in memory.

    Args:
        data: the gzip file's bytes.
        name: the file name, for messages.
        lim: the limits in force.

    Returns:
        The decompressed bytes.

    Raises:
        LoyaltyError: the content is over ``LOYALTY_MAX_FILE_MB``, or the gzip is damaged.
    """
    cap = lim.LOYALTY_MAX_FILE_MB * MB
    if len(data) >= 18 and struct.unpack("<I", data[-4:])[0] > cap:
        # the trailer's size field (of the last member, modulo 4 GiB) already says so;
        # a trailer that understates the size is caught by the counting pass below
        raise error("error.rel_gzip_too_large", file=name, limit_mb=lim.LOYALTY_MAX_FILE_MB)
    try:
        size = 0
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
            while chunk := gz.read(CHUNK):
                size += len(chunk)
                if size > cap:
                    raise error("error.rel_gzip_too_large", file=name, limit_mb=lim.LOYALTY_MAX_FILE_MB)
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
            return gz.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise error("error.gzip_corrupt", file=name, detail=short(exc)) from None

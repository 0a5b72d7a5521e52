"""Workbook container checks, run before any native reader sees the file.

Hostile workbooks are refused before any parsing: password-protected (OLE2 with an
``EncryptedPackage``), too many zip entries, too large once decompressed, an
abnormal compression ratio, a zip entry that inflates to more than its directory
says (a forged zip bomb), or an XML part that declares a DOCTYPE/ENTITY (the
"billion laughs").  The limits are named settings in :mod:`loyalty.limits`.
calamine allocates a sheet's whole bounding box before any check of ours could
run (DESIGN §7), so these checks are the only ones that come first.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib

from loyalty import limits as limits_mod
from loyalty.i18n import error
from loyalty.readers.sniff import OLE_MAGIC, ZIP_MAGIC
from loyalty.readers.table import MB

#: Workbook zip entries must start their XML root element within this many
#: decompressed bytes; everything before it (the prolog) is checked for DOCTYPE.
XML_PROLOG_MAX = 64 * 1024

_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_WORKBOOK_PARTS = ("[Content_Types].xml", "content.xml", "xl/workbook.xml", "xl/workbook.bin")
_ROOT_START = re.compile(rb"<[A-Za-z_]")


def check_workbook_container(data: bytes, name: str, lim: limits_mod.Limits, *,
                             keep_min: int | None = None) -> dict[str, bytearray]:
    """Refuse encrypted, damaged and bomb-like workbooks before parsing anything.

    Checks, in order: OLE2 container (password-protected .xlsx, or a legacy .xls
    that calamine reads); zip directory (entry count, total declared size, ratio
    of each large entry); then every XML part is inflated once, streaming, to
    check that it is no larger than the directory says (a forged size would let
    a bomb through) and that its prolog declares no DOCTYPE/ENTITY.

    Args:
        data: the file's bytes.
        name: the file name (for messages).
        lim: the limits in force.
        keep_min: when given and exactly one worksheet part (``xl/worksheets/*.xml``)
            is at least this large once inflated, its inflated bytes are kept and
            returned (they are produced by the check anyway).

    Returns:
        ``{zip entry name: inflated bytes}`` for the kept part (usually empty).

    Raises:
        LoyaltyError: encrypted, damaged, too large, bomb-like or DOCTYPE/ENTITY.
    """
    lower = name.lower()
    if data.startswith(OLE_MAGIC):
        if _ENCRYPTED in data:
            raise error("error.excel_encrypted", file=name)
        if lower.endswith((".xlsx", ".xlsm")):
            raise error("error.excel_corrupt", file=name)
        return {}  # legacy .xls: calamine reads it
    if not data.startswith(ZIP_MAGIC):
        raise error("error.excel_corrupt", file=name)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise error("error.excel_corrupt", file=name) from None
    _check_directory(infos, name, lim)
    big = [i.filename for i in infos if keep_min is not None and is_worksheet_part(i.filename)
           and i.file_size >= keep_min]
    keep = big[0] if len(big) == 1 else None
    kept: dict[str, bytearray] = {}
    for info in infos:
        if info.filename.lower().endswith((".xml", ".rels", ".bin")):
            out = _check_entry(data, info, name, keep=info.filename == keep)
            if out is not None:
                kept[info.filename] = out
    return kept


def _check_directory(infos: list[zipfile.ZipInfo], name: str, lim: limits_mod.Limits) -> None:
    """The zip directory's checks: entry count, a workbook part, total size, ratios."""
    if len(infos) > lim.LOYALTY_XLSX_MAX_ENTRIES:
        raise error("error.excel_too_many_entries", file=name, entries=len(infos),
                    limit=lim.LOYALTY_XLSX_MAX_ENTRIES)
    names = {i.filename for i in infos}
    if not names & set(_WORKBOOK_PARTS):
        raise error("error.rel_zip_not_workbook", file=name)
    total = sum(i.file_size for i in infos)
    if total > lim.LOYALTY_XLSX_MAX_UNCOMPRESSED_MB * MB:
        raise error("error.excel_too_large_uncompressed", file=name, size_mb=total // MB,
                    limit_mb=lim.LOYALTY_XLSX_MAX_UNCOMPRESSED_MB)
    for info in infos:
        if info.file_size > 10 * MB and info.file_size > lim.LOYALTY_XLSX_MAX_RATIO * max(info.compress_size, 1):
            raise error("error.excel_bomb", file=name, entry=info.filename,
                        ratio=info.file_size // max(info.compress_size, 1))


def is_worksheet_part(entry: str) -> bool:
    """Whether a zip entry is a worksheet of an .xlsx.

    Args:
        entry: the entry's name in the zip.

    Returns:
        True for ``xl/worksheets/<name>.xml``.
    """
    return entry.startswith("xl/worksheets/") and entry.endswith(".xml") and entry.count("/") == 2


def _check_entry(data: bytes, info: zipfile.ZipInfo, name: str, *, keep: bool = False) -> bytearray | None:
    """Inflate one zip entry from its raw bytes, as a workbook reader would,
    stopping as soon as it exceeds its declared size; check its XML prolog.
    With ``keep``, the inflated bytes are returned (None if they do not match the
    declared size exactly)."""
    off = info.header_offset
    if data[off:off + 4] != ZIP_MAGIC:
        raise error("error.excel_corrupt", file=name)
    n_len, x_len = struct.unpack_from("<HH", data, off + 26)
    start = off + 30 + n_len + x_len
    raw = memoryview(data)[start:start + info.compress_size]
    if info.flag_bits & 0x1:
        raise error("error.excel_encrypted", file=name)
    into = bytearray(info.file_size) if keep else None
    if info.compress_type == zipfile.ZIP_STORED:
        produced, head = len(raw), bytes(raw[:XML_PROLOG_MAX])
        if produced < info.file_size:
            raise error("error.excel_corrupt", file=name)
        if into is not None and produced == info.file_size:
            into[:] = raw
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        produced, head = _inflate_count(raw, info.file_size, info.CRC, name, into=into)
    else:
        raise error("error.excel_corrupt", file=name)
    if produced > info.file_size:
        raise error("error.rel_excel_size_mismatch", file=name, entry=info.filename)
    if info.filename.lower().endswith((".xml", ".rels")):
        _check_prolog(head, name, info.filename)
    return into if into is not None and produced == info.file_size else None


def _inflate_count(raw: memoryview, declared: int, crc: int, name: str, *,
                   into: bytearray | None = None) -> tuple[int, bytes]:
    """Decompressed size of a raw deflate stream, stopping just past ``declared``;
    also the first :data:`XML_PROLOG_MAX` bytes.  A stream that ends early, is
    damaged, or whose CRC-32 differs from the directory's is a corrupt workbook.
    With ``into`` (``declared`` bytes long), the inflated bytes are also written there."""
    d = zlib.decompressobj(-15)
    produced = 0
    check = 0
    head = b""
    pos = 0
    step = MB
    try:
        while pos < len(raw) or d.unconsumed_tail:
            if d.unconsumed_tail:
                chunk = d.decompress(d.unconsumed_tail, step)
            else:
                chunk = d.decompress(raw[pos:pos + step], step)
                pos += step
            if len(head) < XML_PROLOG_MAX:
                head += chunk[: XML_PROLOG_MAX - len(head)]
            if into is not None and produced + len(chunk) <= declared:
                into[produced:produced + len(chunk)] = chunk
            produced += len(chunk)
            check = zlib.crc32(chunk, check)
            if produced > declared:
                return produced, head
            if d.eof:
                break
    except zlib.error:
        raise error("error.excel_corrupt", file=name) from None
    if not d.eof or check != crc:
        raise error("error.excel_corrupt", file=name)
    return produced, head


def _check_prolog(head: bytes, name: str, entry: str) -> None:
    """Refuse an XML part whose prolog declares a DOCTYPE or an ENTITY.

    The prolog is everything before the root element; it must end within
    :data:`XML_PROLOG_MAX` bytes (real workbooks need about a hundred).
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head[: len(head) // 2 * 2].decode("utf-16", "ignore").encode("utf-8")
    root = _ROOT_START.search(head)
    prolog = head[: root.start()] if root else head
    upper = prolog.upper()
    if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
        raise error("error.excel_xml_entities", file=name, entry=entry)
    if root is None and len(head) >= XML_PROLOG_MAX:
        raise error("error.excel_xml_entities", file=name, entry=entry)

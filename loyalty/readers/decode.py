"""Bytes to text: the encodings Japanese systems write, decoded strictly.

Decoding order (DESIGN §7): UTF-8 (BOM-tolerant) first, then CP932, then EUC-JP;
UTF-16 is recognised by its BOM or its NUL bytes.  Decoding is strict: a file that
fits none of them is refused with a message saying how to re-save it, never
decoded with errors ignored (that would silently destroy Japanese text).  Text is
decoded and checked in chunks and kept as UTF-8 bytes, so reading a large file
needs a few times its size in memory, not ten.  A few NUL characters in a text
file are removed (and counted in a note).

The direct text path (:mod:`loyalty.readers.text`) reads UTF-8 and CP932 files
without converting them first: :func:`prefix_encoding` judges the encoding from
the file's start, and :func:`cp932_column` decodes CP932 cells column by column.
"""

from __future__ import annotations

import codecs
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loyalty.i18n import error
from loyalty.readers.sniff import looks_like_text, utf16_without_bom
from loyalty.readers.table import CHUNK, MB

_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_HALFWIDTH_KANA = re.compile(r"[\uff61-\uff9f]")
#: Bytes at the start of a file that :func:`prefix_encoding` decodes as UTF-8.
_PREFIX = 64 * 1024


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """Decode a text export, strictly, trying the encodings Japanese systems use.

    Args:
        data: the raw bytes.
        name: the file name, for messages.

    Returns:
        ``(text, encoding)`` where encoding is one of "utf-8-sig", "utf-8",
        "cp932", "euc_jp", "utf-16".

    Raises:
        LoyaltyError: binary data, or no encoding fits.
    """
    utf8, encoding, _ = to_utf8(data, name, keep_nul=False)
    return utf8.decode("utf-8"), encoding


def _candidates(data: bytes, name: str) -> list[str]:
    """The encodings to try, in order, for a text export."""
    if data.startswith(b"\xef\xbb\xbf"):
        return ["utf-8-sig"]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return ["utf-16"]
    if (enc := utf16_without_bom(data[:4096])) is not None:
        return [enc]
    if not looks_like_text(data):
        raise error("error.binary_file", file=name)
    return ["utf-8", "cp932", "euc_jp"]


def to_utf8(data: bytes, name: str, *, keep_nul: bool = True) -> tuple[bytes, str, int]:
    """Check or convert a text export to UTF-8 bytes, chunk by chunk.

    Args:
        data: the raw bytes.
        name: the file name, for messages.
        keep_nul: refuse NUL characters (False) or remove a few of them (True).

    Returns:
        ``(utf8, encoding, nul_removed)``: the text as UTF-8 without BOM, the
        encoding it was in (see :func:`decode_text`) and how many NUL characters
        were removed.

    Raises:
        LoyaltyError: binary data, or no encoding fits (with the line of the
            first byte that is not UTF-8).
    """
    first_failure: int | None = None
    result: tuple[bytes, str] | None = None
    for enc in _candidates(data, name):
        if enc in ("utf-8", "utf-8-sig"):
            body = data[3:] if enc == "utf-8-sig" else data
            bad = _utf8_error_at(body)
            if bad is None:
                result = (body, enc)
                break
            first_failure = bad + (3 if enc == "utf-8-sig" else 0)
            continue
        converted = _transcode(data, enc)
        if converted is None:
            continue
        if enc == "cp932" and _kana_soup(converted):
            # EUC-JP bytes often decode as CP932 too, as half-width katakana soup.
            euc = _transcode(data, "euc_jp")
            if euc is not None and _JAPANESE.search(euc[:MB].decode("utf-8", "ignore")):
                converted, enc = euc, "euc_jp"
        result = (converted, "utf-16" if enc.startswith("utf-16") else enc)
        break
    if result is None:
        line = data[:first_failure].count(b"\n") + 1 if first_failure is not None else None
        raise error("error.unknown_encoding", file=name, row=line)
    utf8, encoding = result
    nul = utf8.count(b"\x00")
    if nul:
        if not keep_nul or nul > max(len(utf8) // 100, 1):
            raise error("error.binary_file", file=name)
        utf8 = utf8.replace(b"\x00", b"")
    return utf8, encoding, nul


def _utf8_error_at(data: bytes) -> int | None:
    """Offset of the first byte that is not valid UTF-8, or None (checked in chunks)."""
    dec = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(data), CHUNK):
        try:
            dec.decode(data[start:start + CHUNK])
        except UnicodeDecodeError:
            return _exact_utf8_error(data, start)
    try:
        dec.decode(b"", final=True)
    except UnicodeDecodeError:
        return _exact_utf8_error(data, max(0, len(data) - CHUNK))
    return None


def _exact_utf8_error(data: bytes, near: int) -> int:
    """Offset of the first byte that is not UTF-8 in the chunk starting near ``near``."""
    start = near
    while start > 0 and near - start < 4 and 0x80 <= data[start] < 0xC0:
        start -= 1  # back to the first byte of a character
    try:
        data[start:start + CHUNK + 4].decode("utf-8")
    except UnicodeDecodeError as exc:
        return start + exc.start
    return start


def _transcode(data: bytes, encoding: str) -> bytes | None:
    """``data`` in ``encoding`` converted to UTF-8 bytes, or None when it does not decode."""
    dec = codecs.getincrementaldecoder(encoding)()
    out: list[bytes] = []
    try:
        for start in range(0, len(data), CHUNK):
            out.append(dec.decode(data[start:start + CHUNK]).encode("utf-8"))
        out.append(dec.decode(b"", final=True).encode("utf-8"))
    except (UnicodeDecodeError, UnicodeEncodeError):
        return None
    text = b"".join(out)
    if encoding.startswith("utf-16"):
        text = text.removeprefix("\ufeff".encode())
    return text


def _kana_soup(utf8: bytes) -> bool:
    """More half-width katakana than kana and kanji: EUC-JP bytes decoded as CP932."""
    sample = utf8[:MB].decode("utf-8", "ignore")
    return len(_HALFWIDTH_KANA.findall(sample)) > len(_JAPANESE.findall(sample))


def prefix_encoding(data: bytes) -> str | None:
    """The encoding the direct text path would read ``data`` with, judged from its start.

    Args:
        data: the raw bytes.

    Returns:
        "utf-8-sig", "utf-8" or "cp932"; None for anything else (UTF-16, EUC-JP,
        binary, undecidable), which the converting path handles.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    head = data[:_PREFIX]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or utf16_without_bom(head[:4096]) or not looks_like_text(data):
        return None
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3 and len(data) > len(head):  # a character cut at the end of the prefix
            return "utf-8"
    sample = data[:MB]
    try:
        text = sample.decode("cp932")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 1 or len(data) == len(sample):
            return None
        text = sample[:exc.start].decode("cp932")
    # EUC-JP often decodes as CP932 half-width katakana soup: the converting path decides
    if _HALFWIDTH_KANA.search(text) and len(_HALFWIDTH_KANA.findall(text)) > len(_JAPANESE.findall(text)):
        return None
    return "cp932"


def cp932_column(col: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """A large_binary column of CP932 bytes as a large_string column (None if a value does not decode).

    ASCII columns are reinterpreted without a copy.  Other columns are decoded
    by Python's strict cp932 codec either once per distinct value (columns that
    repeat their values: names, categories, channels; the distinct values are
    found across all chunks at once) or as one buffer per chunk with a line
    break between cells (columns of mostly distinct values); a line break can
    never be part of a CP932 character, so a cell that does not decode on its
    own does not decode in the buffer either.

    Args:
        col: the column as pyarrow read it (``large_binary``).

    Returns:
        The decoded column, or None when a cell is not CP932.
    """
    text = pa.chunked_array([c.view(pa.large_string()) for c in col.chunks], pa.large_string())
    if len(col) == 0 or pc.all(pc.string_is_ascii(text)).as_py() is not False:
        return text  # no copy: large_binary and large_string share a layout
    sample = col.slice(0, 4096)
    try:
        if len(pc.unique(sample)) * 4 < len(sample):
            enc = pc.dictionary_encode(col)
            dictionary = enc.chunk(0).dictionary
            decoded = pa.array([v.decode("cp932") for v in dictionary.to_pylist()], pa.large_string())
            return pa.chunked_array([decoded.take(c.indices) for c in enc.chunks], pa.large_string())
        return pa.chunked_array([_decode_as_buffer(c) for c in col.chunks], pa.large_string())
    except UnicodeDecodeError:
        return None


def _decode_as_buffer(arr: pa.Array) -> pa.Array:
    """One chunk of CP932 cells decoded as one buffer (cells joined by line breaks).

    Raises:
        UnicodeDecodeError: a cell is not CP932.
    """
    cells = pc.fill_null(arr, b"")
    joined = pc.binary_join(pa.array([cells], pa.list_(cells.type)), pa.scalar(b"\n", cells.type))[0].as_py()
    utf8 = joined.decode("cp932").encode("utf-8")
    buf = np.frombuffer(utf8, dtype=np.uint8)
    breaks = np.flatnonzero(buf == 10)
    offsets = np.empty(len(arr) + 1, dtype=np.int64)
    offsets[0] = 0
    offsets[1:-1] = breaks
    offsets[-1] = len(utf8)
    # each cell after the first starts one byte (the line break) after the previous end
    starts = offsets[:-1].copy()
    starts[1:] += 1
    lengths = offsets[1:] - starts
    data = np.delete(buf, breaks) if len(breaks) else buf
    new_offsets = np.zeros(len(arr) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_offsets[1:])
    validity = arr.buffers()[0] if arr.null_count else None
    if validity is not None and arr.offset:
        validity = pc.is_valid(arr).buffers()[1]
    return pa.LargeStringArray.from_buffers(len(arr), pa.py_buffer(new_offsets), pa.py_buffer(data), validity,
                                            arr.null_count)

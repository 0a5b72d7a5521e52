"""Bytes kept in the store: cut into parts, each compressed with zstd when that helps.

A part is at most :data:`PART_BYTES` before compression, so no single SQLite value
comes near its 1 GB limit and no step needs two copies of a whole large file.
A file that is already compressed (.gz, .xlsx, Parquet) is kept as it is: zstd would
not make it smaller, and a part is stored compressed only when it saves at least 5%.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pyarrow as pa

PART_BYTES = 32 * 1024 * 1024
CODEC = "zstd"
PLAIN = "none"
_LEVEL = 3          # zstd's default: about 400 MB/s here, most of the gain of higher levels
_WORTH = 0.95       # keep a compressed part only when it is at most this share of the original


@dataclass(frozen=True)
class Part:
    """One stored piece of a blob.

    Attributes:
        index: 0-based position in the blob.
        codec: ``"zstd"`` or ``"none"``.
        size: its length before compression.
        data: the stored bytes.
    """

    index: int
    codec: str
    size: int
    data: bytes


def _codec() -> pa.Codec:
    return pa.Codec(CODEC, compression_level=_LEVEL)


def pack(data: bytes) -> Iterator[Part]:
    """Cut ``data`` into parts and compress each when that helps.

    Args:
        data: the bytes to keep.

    Yields:
        :class:`Part` objects in order (one empty part for empty data).
    """
    codec = _codec()
    view = memoryview(data)
    for index, start in enumerate(range(0, max(len(data), 1), PART_BYTES)):
        piece = bytes(view[start:start + PART_BYTES])
        squeezed = codec.compress(piece, asbytes=True) if piece else b""
        if piece and len(squeezed) <= _WORTH * len(piece):
            yield Part(index, CODEC, len(piece), squeezed)
        else:
            yield Part(index, PLAIN, len(piece), piece)


def unpack(parts: Iterable[Part]) -> bytes:
    """The original bytes from their parts.

    Args:
        parts: the parts in order.

    Returns:
        The bytes :func:`pack` was given.

    Raises:
        ValueError: a part is missing, of an unknown codec or of the wrong size
            (a damaged store).
    """
    codec = None
    out = []
    for expected, part in enumerate(parts):
        if part.index != expected:
            raise ValueError(f"blob part {expected} is missing")
        if part.codec == PLAIN:
            piece = part.data
        elif part.codec == CODEC:
            codec = codec or _codec()
            try:
                piece = codec.decompress(part.data, decompressed_size=part.size, asbytes=True)
            except OSError as exc:  # pyarrow: "Corrupt ZSTD compressed data"
                raise ValueError(f"blob part {expected}: {exc}") from None
        else:
            raise ValueError(f"unknown codec {part.codec!r}")
        if len(piece) != part.size:
            raise ValueError(f"blob part {expected} has {len(piece)} bytes, not {part.size}")
        out.append(piece)
    return b"".join(out)

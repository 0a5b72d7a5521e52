"""A table as read (:class:`loyalty.readers.RawTable`) kept as Parquet, and the
fingerprint of the reader that read it.

The store keeps every upload's original bytes (the source of truth) and, beside
them, the table as the reader returned it, as Parquet: reopening a workspace after
a restart then costs a Parquet read instead of a parse of the file (0.3 s instead
of 0.8 s for Online Retail's CSV; far more for a large workbook).  A kept table
is used only when the reader is the same: its fingerprint covers the reader's
code, its limits and the versions of the libraries it uses; after an update the
file is read again from its bytes, so today's reader always applies.

Layout: one column per table column, named ``c0``, ``c1``, … (any header the user's
file has, even one that repeats or looks like ours, is safe), plus ``__row`` (the
row number a spreadsheet shows) and ``__fields_ok``; the names and the reader's
notes are in the file's key-value metadata.
"""

from __future__ import annotations

import hashlib
import io
import json
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from loyalty.readers import RawTable

_META_KEY = b"loyalty.raw_table"
_ROW, _OK = "__row", "__fields_ok"
_LIBRARIES = ("pandas", "pyarrow", "numpy", "python-calamine", "fastexcel", "openpyxl", "xlrd", "odfpy")


def to_parquet(raw: RawTable) -> bytes:
    """The table as a Parquet file (zstd-compressed).

    Args:
        raw: a table as a reader returned it.

    Returns:
        The file's bytes.
    """
    frame = raw.frame.copy(deep=False)
    names = [str(c) for c in frame.columns]
    frame.columns = [f"c{i}" for i in range(len(names))]
    frame[_ROW] = np.asarray(raw.row_numbers, dtype="int64")
    frame[_OK] = np.asarray(raw.field_count_ok, dtype="bool")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    about = {"names": names, "encoding": raw.encoding, "delimiter": raw.delimiter, "sheet": raw.sheet,
             "sheets": list(raw.sheets), "header_row": raw.header_row,
             "notes": [[key, values] for key, values in raw.notes]}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           _META_KEY: json.dumps(about, ensure_ascii=False, default=str)})
    out = io.BytesIO()
    pq.write_table(table, out, compression="zstd")
    return out.getvalue()


def from_parquet(data: bytes, name: str) -> RawTable:
    """A table from :func:`to_parquet`'s bytes.

    Args:
        data: the Parquet file.
        name: the file name to give the table (the same bytes may be uploaded under
            another name).

    Returns:
        The table, equal to the one that was kept.

    Raises:
        ValueError: not a kept table (missing metadata or columns).
    """
    table = pq.read_table(pa.BufferReader(data))
    raw_meta = (table.schema.metadata or {}).get(_META_KEY)
    if raw_meta is None or _ROW not in table.column_names or _OK not in table.column_names:
        raise ValueError("not a kept table")
    about = json.loads(raw_meta)
    frame = table.to_pandas()
    rows = frame.pop(_ROW).to_numpy(dtype="int64")
    ok = frame.pop(_OK).to_numpy(dtype="bool")
    if len(frame.columns) != len(about["names"]):
        raise ValueError("kept table columns do not match their names")
    frame.columns = about["names"]
    return RawTable(name=name, frame=frame, row_numbers=rows, field_count_ok=ok, encoding=about["encoding"],
                    delimiter=about["delimiter"], sheet=about["sheet"], sheets=list(about["sheets"]),
                    header_row=about["header_row"], notes=[(k, dict(v)) for k, v in about["notes"]])


@lru_cache(maxsize=1)
def reader_fingerprint() -> str:
    """What a kept table depends on: the reader's code, its limits, the libraries' versions.

    Returns:
        A SHA-256 (hex) that changes whenever reading the same bytes could give
        another table.
    """
    from loyalty import limits

    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for path in sorted((package / "readers").glob("*.py")) + [package / "limits.py"]:
        if path.exists():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    try:
        digest.update(repr(limits.current()).encode())
    except Exception:  # noqa: BLE001 - a bad limit setting is reported by the reader itself
        digest.update(b"limits?")
    for lib in _LIBRARIES:
        try:
            version = metadata.version(lib)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{lib}={version};".encode())
    return digest.hexdigest()

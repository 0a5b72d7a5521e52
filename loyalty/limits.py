"""Named limits on what the reader accepts, with their defaults in one place.

Each limit can be overridden by an environment variable of the same name
(for a hosted copy with more or less memory).  The README's "Limits" table
lists every field here; ``tests/test_limits.py`` fails when one is missing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Limits:
    """Limits the reader enforces before and while parsing a file.

    Attributes:
        LOYALTY_MAX_FILE_MB: largest input file accepted, in MB (the app's upload
            limit in ``.streamlit/config.toml`` is the same number).
        LOYALTY_MAX_ROWS: most data rows read from one file.
        LOYALTY_MAX_COLUMNS: most columns in one table.
        LOYALTY_MAX_CELL_CHARS: longest text in one cell (Excel's own limit).
        LOYALTY_XLSX_MAX_UNCOMPRESSED_MB: largest total decompressed size of an .xlsx,
            checked from the zip directory before anything is parsed.
        LOYALTY_XLSX_MAX_ENTRIES: most entries in an .xlsx zip.
        LOYALTY_XLSX_MAX_RATIO: highest decompressed/compressed ratio of one large
            zip entry (real workbooks stay well below it; zip bombs do not).
    """

    LOYALTY_MAX_FILE_MB: int = 1000
    LOYALTY_MAX_ROWS: int = 20_000_000
    LOYALTY_MAX_COLUMNS: int = 1_000
    LOYALTY_MAX_CELL_CHARS: int = 32_767
    LOYALTY_XLSX_MAX_UNCOMPRESSED_MB: int = 4_000
    LOYALTY_XLSX_MAX_ENTRIES: int = 10_000
    LOYALTY_XLSX_MAX_RATIO: int = 200

    @classmethod
    def from_env(cls) -> "Limits":
        """Defaults, overridden by environment variables of the same names."""
        values = {}
        for f in fields(cls):
            raw = os.environ.get(f.name)
            if raw is not None and raw.strip().isdigit():
                values[f.name] = int(raw.strip())
        return cls(**values)


def current() -> Limits:
    """The limits in force now (defaults plus environment overrides)."""
    return Limits.from_env()

"""Named limits on what the reader accepts, with their defaults in one place.

Each limit can be overridden by an environment variable of the same name (a
hosted copy with less memory sets lower values; README "Hosting safely" gives
the figures).  A value that is not a positive whole number is a configuration
mistake and is reported, never silently replaced by the default.  The README's
"Limits" table lists every field here (``tests/test_readme.py``) and
``tests/test_limits.py`` proves each one is enforced.

What the defaults cost (README "Reliability", measured on this project's
machine): reading text takes about 6-7 times the file's size in memory, typing
and checking it about 10-11 times; an .xlsx sheet takes about 2.5 times its
decompressed XML.  Hostile files (zip and gzip bombs, XML entities, 10,000
columns) are refused before they cost more than a few tens of MB.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields

from loyalty.i18n import error


@dataclass(frozen=True)
class Limits:
    """Limits the reader enforces before and while parsing a file.

    Attributes:
        LOYALTY_MAX_FILE_MB: largest input file accepted, in MB (the app's upload
            limit in ``.streamlit/config.toml`` is the same number); a gzip file
            must also fit once decompressed.
        LOYALTY_MAX_ROWS: most data rows read from one file.
        LOYALTY_MAX_COLUMNS: most columns in one table.
        LOYALTY_MAX_CELL_CHARS: longest text in one cell (Excel's own limit).
        LOYALTY_XLSX_MAX_UNCOMPRESSED_MB: largest total decompressed size of an
            .xlsx/.ods, checked from the zip directory before anything is parsed
            (and each part is then checked not to inflate beyond what the
            directory says).  1,000 MB holds Excel's maximum of 1,048,576 rows
            with about 20 columns.
        LOYALTY_XLSX_MAX_ENTRIES: most entries in an .xlsx zip.
        LOYALTY_XLSX_MAX_RATIO: highest decompressed/compressed ratio of one zip
            entry larger than 10 MB (real workbooks stay well below it; zip bombs
            do not).
        LOYALTY_MAX_AMOUNT: largest magnitude of one number read from a cell
            (an amount, quantity, unit price, or a customer table's monetary,
            frequency, …); a larger or non-finite value is unreadable (a bad
            amount, counted in the quality report).  10 trillion (1e13) is above
            any real order or customer total in yen, keeps a customer's sum of
            up to 900 such lines exact to the yen (float64 holds whole numbers
            exactly to 2**53 ≈ 9.0e15), and no sum of LOYALTY_MAX_ROWS lines or
            quantity × unit price can overflow to infinity.
    """

    LOYALTY_MAX_FILE_MB: int = 1000
    LOYALTY_MAX_ROWS: int = 20_000_000
    LOYALTY_MAX_COLUMNS: int = 1_000
    LOYALTY_MAX_CELL_CHARS: int = 32_767
    LOYALTY_XLSX_MAX_UNCOMPRESSED_MB: int = 1_000
    LOYALTY_XLSX_MAX_ENTRIES: int = 10_000
    LOYALTY_XLSX_MAX_RATIO: int = 200
    LOYALTY_MAX_AMOUNT: int = 10_000_000_000_000

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Limits":
        """Defaults, overridden by environment variables of the same names.

        Args:
            environ: the variables to read (default: ``os.environ``).

        Returns:
            The limits.

        Raises:
            LoyaltyError: a variable is set to something other than a positive
                whole number ("1000", "1_000" and "1,000" are accepted).
        """
        env = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = env.get(f.name)
            if raw is None or not raw.strip():
                continue
            text = raw.strip()
            if not re.fullmatch(r"\d{1,3}(?:[,_]\d{3})+|\d+", text) or int(re.sub(r"[,_]", "", text)) <= 0:
                raise error("error.rel_bad_limit", setting=f.name, value=raw, default=f"{f.default:,}")
            values[f.name] = int(re.sub(r"[,_]", "", text))
        return cls(**values)


def current() -> Limits:
    """The limits in force now (defaults plus environment overrides).

    Raises:
        LoyaltyError: an override is not a positive whole number.
    """
    return Limits.from_env()

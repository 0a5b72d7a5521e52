"""The typed view of the reader's limits: one field per limit setting.

The limits are declared, with their defaults, meanings and validation, in the
settings registry (:mod:`loyalty.settings`); this class only gathers the ones the
reader enforces.  Each can be overridden by an environment variable of the same
name (a hosted copy with less memory sets lower values; README "Hosting safely"
gives the figures).  A value that is not a positive whole number is a
configuration mistake and is reported, never silently replaced by the default.
The README's "Settings" table lists every setting (``tests/test_readme.py``) and
``tests/test_limits.py`` proves each limit is enforced.

What the defaults cost (README "Reliability", measured on this project's
machine): reading text takes about 6-7 times the file's size in memory, typing
and checking it about 10-11 times; an .xlsx sheet takes about 2.5 times its
decompressed XML.  Hostile files (zip and gzip bombs, XML entities, 10,000
columns) are refused before they cost more than a few tens of MB.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from loyalty import settings


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

    LOYALTY_MAX_FILE_MB: int = settings.SETTINGS["LOYALTY_MAX_FILE_MB"].default
    LOYALTY_MAX_ROWS: int = settings.SETTINGS["LOYALTY_MAX_ROWS"].default
    LOYALTY_MAX_COLUMNS: int = settings.SETTINGS["LOYALTY_MAX_COLUMNS"].default
    LOYALTY_MAX_CELL_CHARS: int = settings.SETTINGS["LOYALTY_MAX_CELL_CHARS"].default
    LOYALTY_XLSX_MAX_UNCOMPRESSED_MB: int = settings.SETTINGS["LOYALTY_XLSX_MAX_UNCOMPRESSED_MB"].default
    LOYALTY_XLSX_MAX_ENTRIES: int = settings.SETTINGS["LOYALTY_XLSX_MAX_ENTRIES"].default
    LOYALTY_XLSX_MAX_RATIO: int = settings.SETTINGS["LOYALTY_XLSX_MAX_RATIO"].default
    LOYALTY_MAX_AMOUNT: int = settings.SETTINGS["LOYALTY_MAX_AMOUNT"].default

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Limits":
        """Defaults, overridden by environment variables of the same names.

        Args:
            environ: the variables to read (default: the process environment).

        Returns:
            The limits.

        Raises:
            LoyaltyError: a variable is set to something other than a positive
                whole number ("1000", "1_000" and "1,000" are accepted).
        """
        return cls(**{f.name: settings.read(f.name, environ) for f in fields(cls)})


def current() -> Limits:
    """The limits in force now (defaults plus environment overrides).

    Raises:
        LoyaltyError: an override is not a positive whole number.
    """
    return Limits.from_env()

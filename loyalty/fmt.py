"""Japanese number and date formatting for what a marketer reads.

One small set of formatters used by the app, the summaries and the exports, so a
figure looks the same everywhere:

=====================  ======================  =========================
function               example                 missing (None/NaN/NaT/NA)
=====================  ======================  =========================
``format_yen(x)``      ``¥1,234`` / ``-¥1,234``  ``—``
``format_int(n)``      ``1,234``               ``—``
``format_score(x)``    ``72.5``                ``—``
``format_pct(x)``      ``12.3%`` (x = 0.123)   ``—``
``format_nps(x)``      ``+32`` / ``-14`` / ``0``  ``—``
``format_date(d)``     ``2024/01/05``          ``—``
=====================  ======================  =========================

Rounding is "half away from zero" on the value as Python prints it (so 2.675
rounds to 2.68 and ¥0.5 to ¥1, as a person would do it on paper, not as binary
floating point would).  A value that rounds to zero never shows a minus sign.
Infinite values count as missing.  The Excel export uses the matching number
formats (see ``loyalty.export.NUMBER_FORMATS``), so a workbook and the screen agree.

Amounts are in the data's currency, yen unless :func:`use_currency` says
otherwise (``£1,234`` for an export in pounds); the setting holds for the
current thread of work (a context variable), so one app session never sees
another's.
"""

from __future__ import annotations

import datetime as _dt
import math
from contextvars import ContextVar
from decimal import ROUND_HALF_UP, Context, Decimal
from numbers import Number

import numpy as np
import pandas as pd

__all__ = [
    "CURRENCIES",
    "MISSING",
    "currency",
    "currency_symbol",
    "format_date",
    "format_int",
    "format_pct",
    "format_score",
    "format_yen",
    "use_currency",
]

#: What every formatter returns for a missing or non-finite value (an em dash).
MISSING = "—"

#: The currencies an amount can be shown in (ISO code → symbol); yen is the default.
CURRENCIES = {"JPY": "¥", "USD": "$", "GBP": "£", "EUR": "€"}

_CURRENCY: ContextVar[str] = ContextVar("loyalty_currency", default="JPY")


def use_currency(code: str | None) -> None:
    """Show amounts in this currency from now on (in the current context).

    Args:
        code: a key of :data:`CURRENCIES`; None or an unknown code means yen.
    """
    _CURRENCY.set(code if code in CURRENCIES else "JPY")


def currency() -> str:
    """The ISO code of the currency amounts are shown in ("JPY" by default)."""
    return _CURRENCY.get()


def currency_symbol() -> str:
    """The symbol of :func:`currency` ("¥", "$", "£", "€")."""
    return CURRENCIES[_CURRENCY.get()]


_WIDE = Context(prec=400, Emax=999_999, Emin=-999_999)


def _decimal(x: object) -> Decimal | None:
    """``x`` as a finite Decimal, or None when it is missing or not finite.

    Floats go through ``repr`` so that rounding acts on the digits a person sees.
    """
    if x is None or x is pd.NA or x is pd.NaT:
        return None
    if isinstance(x, Decimal):
        return x if x.is_finite() else None
    if isinstance(x, (bool, np.bool_)):
        return Decimal(int(x))
    if isinstance(x, (int, np.integer)):
        return Decimal(int(x))
    if isinstance(x, (float, np.floating)):
        f = float(x)
        if not math.isfinite(f):
            return None
        return Decimal(repr(f))
    if isinstance(x, Number):
        try:
            f = float(x)  # Fraction and friends
        except (TypeError, ValueError, OverflowError):
            return None
        return Decimal(repr(f)) if math.isfinite(f) else None
    raise TypeError(f"not a number: {x!r}")


def _rounded(x: object, digits: int) -> Decimal | None:
    d = _decimal(x)
    if d is None:
        return None
    # Enough precision for any float (up to ~1.8e308) with its decimals.
    q = d.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP, context=_WIDE)
    if q == 0:
        q = abs(q)  # no "-0"
    return q


def _grouped(q: Decimal, digits: int) -> str:
    """A non-negative rounded Decimal with thousands separators."""
    return f"{q:,.{digits}f}"


def format_yen(x: object) -> str:
    """Format an amount: ``¥1,234``; negative amounts as ``-¥1,234``.

    The symbol is that of :func:`currency` (yen unless :func:`use_currency` set
    another: ``£1,234``); amounts are shown in whole units in every currency.

    Args:
        x: an amount (int, float, numpy number, Decimal); fractions of a unit are
            rounded half away from zero.

    Returns:
        The formatted amount, or ``MISSING`` ("—") for None/NaN/NA/inf.
    """
    q = _rounded(x, 0)
    if q is None:
        return MISSING
    sign = "-" if q < 0 else ""
    return f"{sign}{currency_symbol()}{_grouped(abs(q), 0)}"


def format_nps(x: object) -> str:
    """Format an NPS (−100 to +100) as a whole number with its sign: ``+32``, ``-14``, ``0``.

    NPS is reported as a whole number; every page, summary and handout uses this
    one form so the same figure reads the same everywhere.
    """
    return format_signed_int(x)


def format_signed_int(n: object) -> str:
    """Format a whole number with its sign, as a change is read: ``+1,234``, ``-12``, ``0``."""
    text = format_int(n)
    return "+" + text if text not in ("0", MISSING) and not text.startswith("-") else text


def format_int(n: object) -> str:
    """Format a count with thousands separators: ``1,234`` / ``-1,234``.

    Args:
        n: a number; non-integers are rounded half away from zero.

    Returns:
        The formatted number, or ``MISSING`` for None/NaN/NA/inf.
    """
    q = _rounded(n, 0)
    if q is None:
        return MISSING
    sign = "-" if q < 0 else ""
    return f"{sign}{_grouped(abs(q), 0)}"


def format_score(x: object, digits: int = 1) -> str:
    """Format a score (e.g. the 0–100 loyalty score) with one decimal: ``72.5``.

    Args:
        x: the score.
        digits: decimals to show (default 1).

    Returns:
        The formatted score, or ``MISSING`` for None/NaN/NA/inf.
    """
    q = _rounded(x, digits)
    if q is None:
        return MISSING
    sign = "-" if q < 0 else ""
    return f"{sign}{_grouped(abs(q), digits)}"


def format_pct(x: object, digits: int = 1) -> str:
    """Format a fraction as a percentage: 0.123 → ``12.3%``.

    Args:
        x: a fraction (0–1 for 0–100 %; values outside that range are shown as they are).
        digits: decimals after the point (default 1).

    Returns:
        The formatted percentage, or ``MISSING`` for None/NaN/NA/inf.
    """
    d = _decimal(x)
    if d is None:
        return MISSING
    q = _rounded(d * 100, digits)
    sign = "-" if q < 0 else ""
    return f"{sign}{_grouped(abs(q), digits)}%"


def format_date(d: object) -> str:
    """Format a date as ``YYYY/MM/DD`` (a time of day, if any, is dropped).

    Args:
        d: a ``datetime.date``/``datetime``, ``pandas.Timestamp``, ``numpy.datetime64``
            or an ISO-like string such as ``"2024-01-05"``.

    Returns:
        The formatted date, or ``MISSING`` for None/NaT/NA.

    Raises:
        ValueError: when a string is not a date.
    """
    if d is None or d is pd.NA or d is pd.NaT:
        return MISSING
    if isinstance(d, float) and math.isnan(d):
        return MISSING
    if isinstance(d, (np.datetime64, str)):
        try:
            ts = pd.Timestamp(d)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"not a date: {d!r}") from exc
        if ts is pd.NaT:
            return MISSING
        d = ts
    if isinstance(d, _dt.date):  # datetime and Timestamp are dates too
        return f"{d.year:04d}/{d.month:02d}/{d.day:02d}"
    raise TypeError(f"not a date: {d!r}")


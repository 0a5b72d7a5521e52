"""JSON a user gives us (a definition, a workshop proposal), parsed without letting it hurt.

``json.loads`` recurses once per level of nesting: a file of 200,000 ``[`` ends in
RecursionError (exit 1 on the command line, an exception box in the app).  It also
accepts ``NaN`` and ``Infinity``, and turns ``1e400`` into infinity.  :func:`parse_json`
measures the size and the nesting first (a linear scan, no recursion) and refuses what
is too large or too deep, and refuses the constants, each with a message naming the
file.  Whether the numbers are finite and in range is for the reader of the content to
check (:mod:`loyalty.definition`).
"""

from __future__ import annotations

import json
import re

import numpy as np

from loyalty.i18n import error

#: The largest file read, in bytes (a saved definition with measures and notes takes a few KB).
MAX_JSON_BYTES = 1_000_000
#: The deepest nesting of lists and objects read (a definition needs 4 levels).
MAX_JSON_DEPTH = 32


class _Constant(ValueError):
    """A JSON constant (NaN, Infinity) met while parsing."""


def _no_constant(name: str):
    raise _Constant(name)


def parse_json(text: str | bytes, file: str) -> object:
    """Parse JSON a user gave us (a definition, a workshop proposal), refusing what would
    hurt: more than :data:`MAX_JSON_BYTES`, nesting deeper than :data:`MAX_JSON_DEPTH`
    (measured before parsing), and the constants NaN / Infinity.

    Args:
        text: the file's bytes (UTF-8, a BOM allowed) or text.
        file: its name, for messages.

    Returns:
        The parsed value.

    Raises:
        LoyaltyError: naming the file and what is wrong.
    """
    if len(text) > MAX_JSON_BYTES:
        raise error("error.json_too_large", file=file, size=len(text), limit=MAX_JSON_BYTES)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise error("error.definition_not_utf8", file=file) from None
    if json_depth(text) > MAX_JSON_DEPTH:
        raise error("error.json_too_deep", file=file, depth=MAX_JSON_DEPTH)
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise error("error.definition_not_json", file=file, row=exc.lineno, detail=exc.msg) from None
    except _Constant as exc:
        raise error("error.json_constant", file=file, value=str(exc)) from None
    except RecursionError:  # not reached after json_depth; kept so no stack overflow ever escapes
        raise error("error.json_too_deep", file=file, depth=MAX_JSON_DEPTH) from None


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def json_depth(text: str) -> int:
    """The deepest nesting of ``[`` and ``{`` in JSON text, outside strings (linear time).

    Args:
        text: JSON text (well-formed or not).

    Returns:
        0 for a scalar, 1 for ``[]``, 2 for ``[[1]]`` …
    """
    code = np.frombuffer(_JSON_STRING.sub('""', text).encode("utf-8"), dtype=np.uint8)
    step = np.isin(code, (ord("["), ord("{"))).astype(np.int64) - np.isin(code, (ord("]"), ord("}")))
    return int(np.cumsum(step).max(initial=0))

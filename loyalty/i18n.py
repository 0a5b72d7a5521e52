"""The message catalogue: every text a user sees, in Japanese and English.

Texts live in ``loyalty/locales/<lang>/<area>.json`` as flat ``key -> text``
maps with ``str.format`` placeholders (one file per area of the product).  Japanese is the default; English is switchable.
A missing key or a key missing in one language is a bug that
``tests/test_i18n.py`` catches.
"""

from __future__ import annotations

import json
import numbers
import re
from functools import lru_cache
from pathlib import Path

from loyalty.errors import LoyaltyError

LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "ja"
_LOCALE_DIR = Path(__file__).with_name("locales")


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    """Return the whole catalogue for ``lang`` (cached).

    The catalogue is every ``loyalty/locales/<lang>/*.json`` file merged (one file
    per area of the product); a key defined in two files is an error.

    Args:
        lang: "ja" or "en".

    Returns:
        A dict of message key to template.
    """
    if lang not in LANGUAGES:
        lang = DEFAULT_LANGUAGE
    merged: dict[str, str] = {}
    for path in sorted((_LOCALE_DIR / lang).glob("*.json")):
        with path.open(encoding="utf-8") as fh:
            part = json.load(fh)
        twice = sorted(set(part) & set(merged))
        if twice:
            raise ValueError(f"catalogue keys defined twice ({path.name}): {', '.join(twice[:5])}")
        merged.update(part)
    return merged


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **values: object) -> str:
    """Translate ``key`` into ``lang`` and fill its placeholders.

    Args:
        key: a catalogue key such as ``"nav.data"``.
        lang: "ja" or "en".
        **values: placeholder values for ``str.format``.

    Returns:
        The text.  An unknown key raises ``KeyError`` so tests catch it.
    """
    template = catalogue(lang)[key]
    if not values:
        return template
    for name in _PLURAL.findall(template):
        # "{n:s}" on a formatted text would print the text itself ("1 item1")
        if not isinstance(values.get(name), numbers.Integral):
            raise TypeError(f"{key}: {{{name}:s}} needs a whole number, got {values.get(name)!r}")
    return template.format(**{k: _Count(v) if isinstance(v, numbers.Integral) and not isinstance(v, bool) else v
                              for k, v in values.items()})


_PLURAL = re.compile(r"\{(\w+):e?s\}")


class _Count(int):
    """A whole number in a template that can also choose an English plural ending:
    ``{n:s}`` is "" for 1 and "s" otherwise (``{n} order{n:s}``); any other format
    spec (``{n:,}``) formats the number as usual."""

    def __format__(self, spec: str) -> str:
        if spec in ("s", "es"):
            return "" if int(self) == 1 else spec
        return int.__format__(int(self), spec)


def error(key: str, /, *, file: str | None = None, row: int | None = None,
          column: str | None = None, field: str | None = None, **values: object) -> LoyaltyError:
    """Build a :class:`LoyaltyError` from the catalogue entry ``key`` in both languages.

    Args:
        key: catalogue key of the message (``"error.…"``).
        file, row, column, field: where the problem is.
        **values: placeholder values; a value given as ``{"ja": …, "en": …}``
            is filled in per language.

    Returns:
        The error, ready to raise.
    """
    located = {"file": file, "row": row, "column": column, "field": field}
    values = {**{k: v for k, v in located.items() if v is not None}, **values}

    def pick(lang: str) -> dict:
        return {k: (v[lang] if isinstance(v, dict) and set(v) == set(LANGUAGES) else v)
                for k, v in values.items()}

    return LoyaltyError(
        ja=t(key, "ja", **pick("ja")),
        en=t(key, "en", **pick("en")),
        file=file,
        row=row,
        column=column,
        field=field,
    )

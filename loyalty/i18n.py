"""The message catalogue: every text a user sees, in Japanese and English.

Texts live in ``loyalty/locales/<lang>.json`` as flat ``key -> text`` maps with
``str.format`` placeholders.  Japanese is the default; English is switchable.
A missing key or a key missing in one language is a bug that
``tests/test_i18n.py`` catches.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from loyalty.errors import LoyaltyError

LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "ja"
_LOCALE_DIR = Path(__file__).with_name("locales")


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    """Return the whole catalogue for ``lang`` (cached).

    Args:
        lang: "ja" or "en".

    Returns:
        A dict of message key to template.
    """
    if lang not in LANGUAGES:
        lang = DEFAULT_LANGUAGE
    with (_LOCALE_DIR / f"{lang}.json").open(encoding="utf-8") as fh:
        return json.load(fh)


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
    return template.format(**values) if values else template


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

"""What the data page says about reading and checking, worded for a marketer.

Pure functions (a frame or a note in, text or a frame out, the language passed
explicitly), so the page only draws what they return: the encoding's Japanese
name, the reader's date-format note in words, the table of exclusion reasons and
the excluded rows with their reason in words.
"""

from __future__ import annotations

import re

import pandas as pd

from loyalty.i18n import catalogue, t
from loyalty.quality import EXCLUSION_ORDER

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")
_DATE_WORDS = {"和暦 (Japanese era)": "polish.date.era", "Excel serial": "polish.date.serial",
               "no dates": "polish.date.none"}


def plain(text: object) -> str:
    """A column name escaped so Markdown shows it as it is."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))


def note(key: str, values: dict, lang: str) -> str:
    """A note of the reader or the checks in words, its file and column names escaped
    so Markdown shows them as they are (a name is the user's text, never markup)."""
    return t(key, lang, **{k: plain(v) if isinstance(v, str) else v for k, v in values.items()})


def encoding_name(encoding: str, lang: str) -> str:
    """How an encoding is called in Japan ("cp932" -> "Shift_JIS（CP932）"); an encoding
    the catalogue has no name for is shown as it is."""
    key = "polish.encoding." + encoding.replace("-", "_")
    return t(key, lang) if key in catalogue(lang) else encoding


def date_forms(note: str, lang: str) -> str:
    """The reader's date-format note in the UI language.

    Args:
        note: the reader's note, parts joined by " + ": a date form
            ("YYYY/MM/DD"), "time" (the form before it has a time), "和暦 (Japanese
            era)", "Excel serial", "no dates" or "N more forms".
        lang: "ja" or "en".

    Returns:
        The forms as a list in words (「YYYY/MM/DD（時刻つき）、和暦、ほか2形式」).
    """
    forms: list[str] = []
    for part in note.split(" + "):
        more = re.fullmatch(r"(\d+) more forms", part)
        if part == "time" and forms:
            forms[-1] = t("polish.date.with_time", lang, form=forms[-1])
        elif more:
            forms.append(t("polish.date.more", lang, n=int(more.group(1))))
        else:
            forms.append(t(_DATE_WORDS[part], lang) if part in _DATE_WORDS else part)
    return t("polish.list_sep", lang).join(forms)


def reasons_table(excluded_by_reason: dict[str, int], lang: str) -> pd.DataFrame:
    """The exclusion checks in the order they run, with the rows each excluded.

    Args:
        excluded_by_reason: reason key -> rows (the quality report's).
        lang: the language of headers and reasons.

    Returns:
        Columns order (1, 2, …), reason (in words), rows — headers in ``lang``.
    """
    return pd.DataFrame({
        t("data.q.order", lang): range(1, len(EXCLUSION_ORDER) + 1),
        t("data.q.reason", lang): [t(f"reason.{k}", lang) for k in EXCLUSION_ORDER],
        t("data.q.rows", lang): [excluded_by_reason[k] for k in EXCLUSION_ORDER],
    })


def excluded_view(excluded: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Excluded rows with the reason in words and the report's own columns named in ``lang``.

    Args:
        excluded: the quality report's excluded rows: file, row, reason (a key),
            then the row's original cells.
        lang: "ja" or "en".

    Returns:
        A new frame: reasons in words, an empty original cell shown empty (not "None").
    """
    out = excluded.copy()
    out["reason"] = out["reason"].map(lambda k: t(f"reason.{k}", lang))
    for col in out.columns[3:]:
        if pd.api.types.is_string_dtype(out[col]) or out[col].dtype == object:
            out[col] = out[col].fillna("")
    return out.rename(columns={"file": t("polish.data.col_file", lang), "row": t("polish.data.col_row", lang),
                               "reason": t("data.q.reason", lang)})

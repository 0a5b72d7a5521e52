"""Totals rows: a spreadsheet's 合計 / 小計 / 総計 / Total line is not a customer.

Exports made by hand (or by a report tool) often end with a sum line, and some put
a subtotal under each group.  Read as data, such a line becomes a customer — usually
the top one — or adds its sum to someone's figures a second time.  A row is a
**totals row** when

* its customer-id cell is a totals label, or
* its customer id is empty and one of its other cells is a totals label
  (the label sits in a name, date or product column).

A totals label (``loyalty/data/totals_labels.json``) is compared after NFKC,
lower-casing, and removing white space (合 計, 合　計), brackets (【合計】, (合計)),
punctuation (合計:, ＊合計＊) and a trailing count (合計 3件, Total (12)): a whole
label (合計, 小計, 総計, 計, Total, Grand total, Sum …), a short prefix before 合計 /
小計 / 総計 (売上合計, 東日本小計), or an English cell whose last word is total or
subtotal (East subtotal).  A row with a customer id is never judged by its other
cells, so a product named "Total care" on a customer's line is a product.

The quality report excludes such rows under their own reason, checked first
(``totals_row``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

LABELS_FILE = Path(__file__).parent / "data" / "totals_labels.json"

_BRACKETED = re.compile(r"[(\[（【［〔<＜《「『][^)\]）】］〕>＞》」』]*[)\]）】］〕>＞》」』]")
_NOISE = re.compile(r"[\s\u3000_\-‐―−ー.,、。・:：;=＝*＊#＃/／\\|'\"“”‘’()\[\]（）【】［］〔〕<>＜＞《》「」『』~〜]+")
_COUNT = re.compile(r"\d+(?:件|名|人|行|社|店|点|customers?|rows?|items?|records?)?$")
_WORD = re.compile(r"[a-z]+")


@lru_cache(maxsize=None)
def _labels() -> tuple[frozenset[str], tuple[str, ...], int, frozenset[str]]:
    data = json.loads(LABELS_FILE.read_text(encoding="utf-8"))
    return (frozenset(data["labels"]), tuple(data["suffixes"]), int(data["suffix_max_prefix"]),
            frozenset(data["last_words"]))


def _candidates(text: str) -> set[str]:
    """The cell's comparable forms: brackets dropped with or without what they enclose."""
    low = unicodedata.normalize("NFKC", text).lower().strip()
    out = set()
    for form in (low, _BRACKETED.sub(" ", low)):
        squeezed = _NOISE.sub("", form)
        out.add(squeezed)
        out.add(_COUNT.sub("", squeezed))
    out.discard("")
    return out


def is_totals_label(text: object) -> bool:
    """Whether a cell's text labels a totals row (see the module docstring).

    Args:
        text: the cell (None / NaN / non-text: False).

    Returns:
        True for 合計, 小計, Total, 【合計】, 合 計, 売上合計, Grand Total, 合計 3件, …
    """
    if not isinstance(text, str) or not text.strip():
        return False
    labels, suffixes, max_prefix, last_words = _labels()
    for c in _candidates(text):
        if c in labels:
            return True
        if any(c.endswith(s) and len(c) - len(s) <= max_prefix for s in suffixes):
            return True
    words = _WORD.findall(_BRACKETED.sub(" ", unicodedata.normalize("NFKC", text).lower()))
    return bool(words) and words[-1] in last_words and len(words) <= 4


def _label_mask(col: pd.Series) -> np.ndarray:
    """Cells of one column that are totals labels, judging each distinct value once."""
    codes, uniques = pd.factorize(col)
    if not len(uniques):
        return np.zeros(len(col), dtype=bool)
    hit = np.append(np.fromiter((is_totals_label(v) for v in uniques), dtype=bool, count=len(uniques)), False)
    return hit[codes]


def totals_rows(frame: pd.DataFrame, id_column: str, id_missing: np.ndarray) -> np.ndarray:
    """The totals rows of a table (see the module docstring).

    Args:
        frame: the table's cells as read (text).
        id_column: the customer-id column.
        id_missing: rows whose customer id is empty (after normalisation).

    Returns:
        Boolean array aligned with ``frame``.
    """
    hit = _label_mask(frame[id_column])
    rows = np.flatnonzero(id_missing & ~hit)
    if rows.size:
        sub = frame.iloc[rows]
        other = np.zeros(rows.size, dtype=bool)
        for col in sub.columns:
            if col != id_column:
                other |= _label_mask(sub[col])
        hit[rows[other]] = True
    return hit

"""How output columns are shown: localized header and number format.

Column keys are the English snake_case names of the command line's output;
headers come from the message catalogue (``col.<key>``), formats from here.
"""

from __future__ import annotations

import pandas as pd

from loyalty.export import Sheet
from loyalty.i18n import catalogue, t

# key -> Excel kind (see loyalty.export.Sheet): text, int, yen, float, score, pct, date
KINDS: dict[str, str] = {
    "customer_id": "text",
    "recency_days": "int",
    "frequency": "int",
    "monetary": "yen",
    "r_score": "int",
    "f_score": "int",
    "m_score": "int",
    "rfm_total": "int",
    "loyalty_score": "score",
    "tier": "text",
    "rfm_segment": "text",
    "tier_label": "text",
    "rfm_segment_label": "text",
    "ltv": "yen",
    "first_order": "date",
    "last_order": "date",
    "orders_total": "int",
    "revenue_total": "yen",
    "aov": "yen",
    "tenure_days": "int",
    "discount_share": "pct",
    "customers": "int",
    "customer_share": "pct",
    "revenue": "yen",
    "revenue_share": "pct",
    "avg_recency_days": "score",  # averages: one decimal is enough to read
    "avg_frequency": "score",
    "avg_monetary": "yen",
    "avg_r": "score",
    "avg_f": "score",
    "avg_m": "score",
    "avg_score": "score",
}


def kind_of(key: str) -> str:
    """The display kind of a column key (points_/score_ columns are scores)."""
    if key in KINDS:
        return KINDS[key]
    if key.startswith("points_"):
        return "score"
    if key.startswith("score_"):
        return "float"
    return "text"


def header(key: str, lang: str = "ja") -> str:
    """The localized header of a column key (the key itself when unknown)."""
    cat = catalogue(lang)
    if f"col.{key}" in cat:
        return cat[f"col.{key}"]
    for prefix in ("points_", "score_"):
        if key.startswith(prefix) and f"factor.{key[len(prefix):]}" in cat:
            return t(f"col.{prefix}factor", lang, factor=cat[f"factor.{key[len(prefix):]}"])
    return key


def excel_sheet(frame: pd.DataFrame, name: str, lang: str = "ja"):
    """A :class:`loyalty.export.Sheet` with localized headers and formats."""
    renamed = frame.rename(columns={c: header(c, lang) for c in frame.columns})
    kinds = {header(c, lang): kind_of(c) for c in frame.columns}
    return Sheet(name=name, frame=renamed, kinds=kinds)
